--TEST--
Ecai\Llm: streaming through a PHP callable, JSON mode with repair and raw reply
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$s = fakellm_start();
$llm = new Ecai\Llm(fakellm_ctx($s));
$parts = [];
$r = $llm->stream("one two three", function (string $d) use (&$parts) { $parts[] = $d; });
var_dump(implode("", $parts), count($parts) >= 4, $r["text"]);
$n = 0;
try {
    $llm->stream("one two three", function ($d) use (&$n) { $n++; throw new LogicException("enough"); });
} catch (LogicException $e) {
    echo "stopped by ", $e->getMessage(), " after $n\n";
}
foreach ([["anthropic", "a b"]] as [$p, $m]) {
    $x = new Ecai\Llm(fakellm_ctx($s, ["provider" => $p]));
    $acc = "";
    $x->stream($m, function ($d) use (&$acc) { $acc .= $d; });
    var_dump($acc);
}
$llm->set("header", 'X-Fake-Answer: {"ids": [1, 2], "reason": "ok"}');
$r = $llm->chatJson("pick", "ids:array,reason:string");
var_dump($r["json"]["ids"], $r["text"]);
$llm->set("header", null)->set("header", "X-Fake-Key: k1")->set("header", 'X-Fake-Answer: nope||{"ids": []}');
$r = $llm->chatJson("pick", "ids:array");
var_dump($r["attempts"], $r["text"]);
$llm->set("header", null)->set("header", "X-Fake-Answer: never json");
try {
    $llm->chatJson("pick", "ids:array");
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), "\n";
}
var_dump($llm->lastRaw());
fakellm_stop($s);
?>
--EXPECT--
string(19) "echo: one two three"
bool(true)
string(19) "echo: one two three"
stopped by enough after 1
string(9) "echo: a b"
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(2)
}
string(27) "{"ids":[1,2],"reason":"ok"}"
int(2)
string(10) "{"ids":[]}"
-11
string(10) "never json"
