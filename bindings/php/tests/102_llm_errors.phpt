--TEST--
Ecai\Llm: fault modes become EcaiException with the status code; the API key never shows
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$s = fakellm_start();
$llm = new Ecai\Llm(fakellm_ctx($s, ["max_retries" => 1]));
$all = "";
foreach (["fault-500", "fault-badjson", "fault-reset", "fault-missing", "fault-slow:2", "fault-huge:16"] as $m) {
    $llm->set("model", $m)->set("timeout_ms", 300)->set("max_reply_bytes", 65536);
    try {
        $llm->chat("x");
        echo "$m: no exception\n";
    } catch (Ecai\EcaiException $e) {
        $all .= $e->getMessage();
        echo "$m: ", $e->getCode(), "\n";
    }
}
$llm->set("model", "fault-flaky:1")->set("timeout_ms", 2000);
var_dump($llm->chat("retry me")["retries"]);
var_dump(str_contains($all, "HTTP 500"), str_contains($all, "planted"));
var_dump(str_contains(json_encode($llm->stats()), "planted"));
try {
    $llm->set("no_such_option", 1);
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), "\n";
}
try {
    $llm->set("timeout_ms", "soon");
} catch (TypeError $e) {
    echo "TypeError\n";
}
try {
    (new Ecai\Llm(new Ecai\Context()))->chat("offline");
} catch (Ecai\EcaiException $e) {
    echo $e->getCode(), "\n";
}
fakellm_stop($s);
?>
--EXPECT--
fault-500: -9
fault-badjson: -11
fault-reset: -9
fault-missing: -11
fault-slow:2: -10
fault-huge:16: -9
int(1)
bool(true)
bool(false)
bool(false)
-7
TypeError
-7
