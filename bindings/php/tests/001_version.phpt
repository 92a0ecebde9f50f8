--TEST--
Ecai\version() matches the library and the constant
--EXTENSIONS--
ecai
--FILE--
<?php
var_dump(Ecai\version() === "0.1.0" || preg_match('/^\d+\.\d+\.\d+$/', Ecai\version()) === 1);
var_dump(Ecai\version_number() === Ecai\VERSION_NUMBER);
var_dump(str_starts_with(Ecai\status_str(-2), "ECAI_EINVAL"));
var_dump(extension_loaded("ecai"));
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
