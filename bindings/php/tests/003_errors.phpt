--TEST--
Ecai\Context: bad configuration throws EcaiException with status code and message
--EXTENSIONS--
ecai
--FILE--
<?php
foreach (['{"llm": {"modle": "x"}}', '{"llm": ', '[]', '{"llm": {"timeout_ms": "x"}}'] as $json) {
    try {
        new Ecai\Context($json);
        echo "no exception\n";
    } catch (Ecai\EcaiException $e) {
        echo $e->getCode(), " ", $e->getMessage(), "\n";
    }
}
try {
    Ecai\Context::fromFile("/nonexistent/ecai.json");
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), "\n";
}
try {
    (new Ecai\Context())->get("no.such.key");
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), "\n";
}
var_dump((new ReflectionClass("Ecai\\Context"))->isFinal());
var_dump(new Ecai\EcaiException("x") instanceof RuntimeException);
try {
    $c = new Ecai\Context();
    $d = clone $c;
} catch (Error $e) {
    echo get_class($e), "\n";
}
try {
    serialize(new Ecai\Context());
} catch (Exception $e) {
    echo get_class($e), "\n";
}
?>
--EXPECTF--
-2 config: unknown key 'llm.modle' (did you mean 'llm.model'?)
-11 config: malformed JSON: %s at line 1 column %d (byte %d)
-2 config: the document must be a JSON object
-2 config: key 'llm.timeout_ms' must be an integer
-8
-4
bool(true)
bool(true)
Error
Exception
