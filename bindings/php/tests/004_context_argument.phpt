--TEST--
Classes taking an Ecai\Context reject other objects with a TypeError
--EXTENSIONS--
ecai
--FILE--
<?php
foreach (["Ecai\\Llm", "Ecai\\Guard"] as $cls) {
    try {
        new $cls(new stdClass());
        echo "no error\n";
    } catch (TypeError $e) {
        echo $cls, ": ", $e->getMessage(), "\n";
    }
}
$llm = new Ecai\Llm(new Ecai\Context('{"llm": {"provider": "none"}}'));
echo get_class($llm), "\n";
?>
--EXPECTF--
Ecai\Llm: Ecai\Llm::__construct(): Argument #1 ($%s) must be of type Ecai\Context, stdClass given
Ecai\Guard: Ecai\Guard::__construct(): Argument #1 ($%s) must be of type Ecai\Context, stdClass given
Ecai\Llm
