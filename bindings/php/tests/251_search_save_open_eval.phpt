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
file_put_contents("$dir/search.bin", "garbage");
try { Ecai\Search::open($st2, $dir); } catch (Ecai\EcaiException $e) { echo "EcaiException\n"; }
foreach (glob("$dir/*") as $f) unlink($f);
rmdir($dir);
?>
--EXPECT--
int(2)
string(4) "bm25"
bool(true)
EcaiException
