--TEST--
Ecai\Context: defaults, settings, config array, secrets redacted
--EXTENSIONS--
ecai
--ENV--
PHP_TEST_KEY=sk-php-planted-777
--FILE--
<?php
$c = new Ecai\Context();
var_dump($c->get("llm.provider"));
var_dump($c->get("llm.timeout_ms"));
$c = new Ecai\Context('{"llm": {"model": "m-3", "temperature": 0.5, "api_key_env": "PHP_TEST_KEY"}}');
var_dump($c->get("llm.model"), $c->get("llm.temperature"));
$cfg = $c->config();
var_dump($cfg["llm"]["api_key_set"], $cfg["llm"]["api_key"]);
var_dump(str_contains(json_encode($cfg), "planted"));
$f = tempnam(sys_get_temp_dir(), "ecai");
file_put_contents($f, '{"index": {"type": "HNSW32"}}');
var_dump(Ecai\Context::fromFile($f)->get("index.type"));
unlink($f);
?>
--EXPECT--
string(4) "none"
int(30000)
string(3) "m-3"
float(0.5)
bool(true)
string(3) "***"
bool(false)
string(6) "HNSW32"
