--TEST--
Ecai\Recommender::rerank(): the LLM orders candidates only; failures fall back to the plain ranking
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$r = new Ecai\Recommender();
$orders = [["mug", "coffee", "spoon"], ["mug", "coffee"], ["mug", "spoon"], ["mug", "coffee", "filter"]];
foreach ($orders as $i => $items) $r->addOrder("o$i", $items, "c1", 1700000000 + $i);
$r->fit();
$s = fakellm_start();
$answer = json_encode(["ids" => ["filter", "NOT-A-CANDIDATE", "spoon"]]);
$llm = new Ecai\Llm(fakellm_ctx($s, ["max_retries" => 0,
    "headers" => ["X-Fake-Fault" => "adversarial", "X-Fake-Answer" => $answer]]));
$req = json_encode(["cart" => [["id" => "mug", "qty" => 1]], "k" => 3]);
$res = $r->rerank($llm, $req);
echo implode(",", array_column($res["items"], "id")), " used=", var_export($res["llm"]["used"], true),
     " dropped=", $res["llm"]["dropped"], "\n";
$off = new Ecai\Llm(new Ecai\Context('{"llm": {"provider": "none"}}'));
$res = $r->rerank($off, $req);
echo implode(",", array_column($res["items"], "id")), " used=", var_export($res["llm"]["used"], true), "\n";
try {
    $r->rerank(new Ecai\Context(), $req);
} catch (TypeError $e) {
    echo "TypeError\n";
}
fakellm_stop($s);
?>
--EXPECT--
filter,spoon,coffee used=true dropped=1
coffee,spoon,filter used=false
TypeError
