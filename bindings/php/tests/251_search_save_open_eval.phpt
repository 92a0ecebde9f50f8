--TEST--
Ecai\Search: save/open with the store folder, evaluate on judged queries, damaged file
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$st = new Ecai\Store($ctx);
$st->load(getenv("ECAI_ROOT") . "/tests/data/search_catalog.jsonl");
$st->build();
$dir = sys_get_temp_dir() . "/ecai_php_search_" . getmypid();
$st->save($dir);
(new Ecai\Search($st))->save($dir);
$st2 = Ecai\Store::open($ctx, $dir);
$s = Ecai\Search::open($st2, $dir);
$q = "$dir/q.tsv"; $l = "$dir/l.tsv";
file_put_contents($q, "query_id\tquery\nq1\tsofa\nq2\tmattress\n");
file_put_contents($l, "query_id\tproduct_id\tgrade\nq1\tS-1\t3\nq2\tM-1\t3\nq2\tM-2\t3\n");
$m = $s->evaluate($q, $l, ["mode" => "bm25"]);
var_dump($m["queries"], $m["mode"], $m["recall@100"] == 1.0);
// the judged toy set worked out by hand in tests/unit/test_search.c (search_eval_metrics):
// nDCG@10 = (1 + 0.859719 + 0.403030) / 3, MRR@10 = (1 + 1 + 1/2) / 3, recall@100 = (1 + 1 + 1/3) / 3
$data = getenv("ECAI_ROOT") . "/tests/data";
$m = $s->evaluate("$data/search_eval_queries.tsv", "$data/search_eval_labels.tsv", ["mode" => "bm25"]);
printf("queries=%d labelled=%d ndcg=%.4f mrr=%.4f recall=%.4f\n", $m["queries"], $m["labelled"], $m["ndcg@10"],
       $m["mrr@10"], $m["recall@100"]);
file_put_contents("$dir/search.bin", "garbage");
try { Ecai\Search::open($st2, $dir); } catch (Ecai\EcaiException $e) { echo "EcaiException\n"; }
foreach (glob("$dir/*") as $f) unlink($f);
rmdir($dir);
?>
--EXPECT--
int(2)
string(4) "bm25"
bool(true)
queries=3 labelled=4 ndcg=0.7542 mrr=0.8333 recall=0.7778
EcaiException
