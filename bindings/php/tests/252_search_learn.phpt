--TEST--
Ecai\Search::learn: learning to rank from judgments and click counts, saved and reopened, bad input
--EXTENSIONS--
ecai
--FILE--
<?php
// fixture tests/data/ltr_* (tests/data/tools/gen_ltr.py): the judges like W-30..W-39, which the
// unlearnt ranking puts last; the check queries were never learnt from
$data = getenv("ECAI_ROOT") . "/tests/data";
$ctx = new Ecai\Context();
$st = new Ecai\Store($ctx);
$st->load("$data/ltr_catalog.jsonl");
$st->build();
$dir = sys_get_temp_dir() . "/ecai_php_learn_" . getmypid();
$st->save($dir);
$s = new Ecai\Search($st);
$s->save($dir);
$check = fn($s) => $s->evaluate("$data/ltr_check_queries.tsv", "$data/ltr_check_labels.tsv")["ndcg@10"];
$before = $check($s);
var_dump($s->query("blue widget kit")["learnt"]);
$fast = ["min_queries" => 5, "rounds" => 30];
$r = $s->learn("$data/ltr_queries.tsv", "$data/ltr_labels.tsv", $dir, $fast);
printf("queries=%d judgments=%d learnt_from=%d saved=%d\n", $r["queries"], $r["judgments"], $r["learnt_from"],
       file_exists("$dir/ranker.bin"));
var_dump($check($s) > $before + 0.4);
$hit = $s->query("blue widget kit");
var_dump($hit["learnt"], str_starts_with($hit["hits"][0]["id"], "W-3"));
var_dump($s->query("blue widget kit", ["rerank" => false])["learnt"]);
$s2 = Ecai\Search::open(Ecai\Store::open($ctx, $dir), $dir);
var_dump($s2->query("blue widget kit") == $hit);
$r = $s->learn("$data/ltr_queries.tsv", "$data/ltr_counts.tsv", null, $fast + ["labels" => "counts"]);
echo $r["labels"], " ", $r["file"] === null ? "not saved" : "saved", "\n";
try { $s->learn("$data/ltr_queries.tsv", "$data/ltr_counts.tsv", null, $fast); }
catch (Ecai\EcaiException $e) { echo str_contains($e->getMessage(), "outside 1..3") ? "grade range\n" : $e->getMessage(); }
file_put_contents("$dir/l.tsv", "query_id\tproduct_id\tgrade\nt0\tW-30\t3\nzz\tW-31\t3\n");
try { $s->learn("$data/ltr_queries.tsv", "$dir/l.tsv"); }
catch (Ecai\EcaiException $e) { echo str_contains($e->getMessage(), "not in") ? "unknown query\n" : $e->getMessage(); }
foreach (glob("$dir/*") as $f) unlink($f);
rmdir($dir);
?>
--EXPECT--
bool(false)
queries=24 judgments=480 learnt_from=24 saved=1
bool(true)
bool(true)
bool(true)
bool(false)
bool(true)
counts not saved
grade range
unknown query
