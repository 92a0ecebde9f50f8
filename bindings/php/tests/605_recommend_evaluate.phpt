--TEST--
Ecai\Recommender::evaluate: every metric worked out by hand on tests/data/recommend_eval.csv
--EXTENSIONS--
ecai
--FILE--
<?php
// See tests/unit/test_recommend.c (recommend_evaluate_exact_metrics) for the hand computation:
// hit rate 3/4, nDCG (1/log2(3) + 1 + 0 + 1/log2(4)) / 4, coverage 4/5, cold slice 2 baskets.
$root = getenv("ECAI_ROOT") ?: __DIR__ . "/../../..";
$r = Ecai\Recommender::evaluate("$root/tests/data/recommend_eval.csv", "2024-02-01", "2024-03-01", 3,
                                '{"recommend": {"cold_orders": 2}}');
printf("%d baskets, %d train orders, %d catalog items\n", $r["test_baskets"], $r["train_orders"], $r["catalog_items"]);
foreach (["popularity", "cooccurrence"] as $m) {
    $x = $r["methods"][$m];
    printf("%s %.4f %.4f %.4f cold %d %.4f %.4f\n", $m, $x["hit_rate@3"], $x["ndcg@3"], $x["coverage"],
           $x["cold_start"]["baskets"], $x["cold_start"]["hit_rate@3"], $x["cold_start"]["ndcg@3"]);
}
try { Ecai\Recommender::evaluate("$root/tests/data/recommend_eval.csv", "soon", "2024-03-01"); }
catch (ValueError $e) { echo "bad date\n"; }
try { Ecai\Recommender::evaluate("/nonexistent.csv", "2024-02-01", "2024-03-01"); }
catch (Ecai\EcaiException $e) { echo $e->getCode(), "\n"; }
?>
--EXPECT--
4 baskets, 4 train orders, 5 catalog items
popularity 0.7500 0.5327 0.8000 cold 2 0.5000 0.2500
cooccurrence 0.7500 0.5327 0.8000 cold 2 0.5000 0.2500
bad date
-8
