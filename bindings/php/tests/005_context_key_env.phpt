--TEST--
Ecai\Context: an api_key_env naming an unset variable is an error naming it; auth "none" is keyless
--EXTENSIONS--
ecai
--FILE--
<?php
putenv("ECAI_PHP_NO_SUCH_KEY");
try {
    new Ecai\Context('{"llm": {"provider": "openai", "api_key_env": "ECAI_PHP_NO_SUCH_KEY"}}');
    echo "no error\n";
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), " ", str_contains($e->getMessage(), "ECAI_PHP_NO_SUCH_KEY") ? "names it" : $e->getMessage(), "\n";
}
$c = new Ecai\Context('{"llm": {"provider": "openai", "api_key_env": "ECAI_PHP_NO_SUCH_KEY", "auth": "none"}}');
echo $c->get("llm.auth"), "\n";
putenv("ECAI_PHP_KEY=sk-php-secret");
$c = new Ecai\Context('{"llm": {"provider": "openai", "api_key_env": "ECAI_PHP_KEY"}}');
echo $c->get("llm.auth"), "\n";
?>
--EXPECT--
-2 names it
none
key
