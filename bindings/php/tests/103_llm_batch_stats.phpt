--TEST--
Ecai\Llm: concurrent batch with per-item results, stats, keep-alive, budget downgrade
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$s = fakellm_start();
$llm = new Ecai\Llm(fakellm_ctx($s, ["batch_concurrency" => 3]));
$res = $llm->batch(["a", "b", [["role" => "user", "content" => "c"]]]);
foreach ($res as $r) echo $r["text"], "\n";
$llm->set("model", "fault-flaky:1")->set("max_retries", 0);
$res = $llm->batch(["x", "y"]);
echo count(array_filter($res, fn($r) => isset($r["status"]))), " failed\n";
$llm->set("model", "m");
for ($i = 0; $i < 20; $i++) $llm->chat("ping");
/* keep-alive: a fresh handle makes 20 sequential calls over exactly one connection
   (each /stats request is one more connection, hence the - 1) */
$k = new Ecai\Llm(fakellm_ctx($s));
$before = fakellm_get($s, "/stats")["connections"];
for ($i = 0; $i < 20; $i++) $k->chat("ping");
$after = fakellm_get($s, "/stats")["connections"];
var_dump($after - $before - 1);
$st = $llm->stats();
var_dump($st["requests"], $st["errors"], $st["latency_ms"]["p50"] > 0);
$b = new Ecai\Llm(fakellm_ctx($s, ["prices" => ["m" => ["input_per_mtok" => 1e6, "output_per_mtok" => 0]],
                                   "budget" => ["limit" => 1.0, "window_s" => 60], "downgrade" => ["escalate"]]));
echo $b->chat("x")["downgrade"], " ", $b->chat("y")["downgrade"], "\n";
fakellm_stop($s);
?>
--EXPECT--
echo: a
echo: b
echo: c
1 failed
int(1)
int(25)
int(1)
bool(true)
none escalate
