--TEST--
Ecai\Llm::attachCache(): repeats are answered from an Ecai\Cache without a model call
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$s = fakellm_start();
$ctx = fakellm_ctx($s, ["prices" => ["m" => ["input_per_mtok" => 1000.0, "output_per_mtok" => 1000.0]]]);
$llm = new Ecai\Llm($ctx);
$cache = new Ecai\Cache(new Ecai\Context());
$llm->attachCache($cache);
$before = fakellm_get($s, "/stats")["requests"]["/v1/chat/completions"] ?? 0;
$a = $llm->chat("can I pay by invoice");
$b = $llm->chat("can I pay by invoice");
$after = fakellm_get($s, "/stats")["requests"]["/v1/chat/completions"] ?? 0;
var_dump($a["cached"], $b["cached"], $a["text"] === $b["text"], $after - $before);
var_dump(abs($cache->stats()["cost_saved"] - $a["cost"]) < 1e-12);
unset($cache); // the client keeps the cache alive while attached
var_dump($llm->chat("can I pay by invoice")["cached"]);
$llm->attachCache(null);
var_dump($llm->chat("can I pay by invoice")["cached"]);
try {
    $llm->attachCache(new Ecai\Context());
} catch (TypeError $e) {
    echo "TypeError\n";
}
fakellm_stop($s);
?>
--EXPECT--
bool(false)
bool(true)
bool(true)
int(1)
bool(true)
bool(true)
bool(false)
TypeError
