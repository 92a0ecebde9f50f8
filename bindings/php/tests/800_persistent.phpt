--TEST--
ecai.persistent: open() keeps stores, searches, recommenders and KBs; new versions, configs, damage, changes
--EXTENSIONS--
ecai
--FILE--
<?php
$base = sys_get_temp_dir() . "/ecai_php_persist_" . getmypid();
@mkdir($base);
function make_store($dir, $extra) {
  $st = new Ecai\Store(new Ecai\Context());
  $st->load(getenv("ECAI_ROOT") . "/tests/data/search_catalog.jsonl");
  foreach ($extra as $p) $st->add($p);
  $st->build();
  $st->save($dir);
  (new Ecai\Search($st))->save($dir);
}
function publish($base, $target) { /* atomic symlink swap */
  @unlink("$base/tmp");
  symlink($target, "$base/tmp");
  rename("$base/tmp", "$base/current");
}
function serve($ctx, $dir) {
  $s = Ecai\Store::open($ctx, $dir);
  $q = Ecai\Search::open($s, $dir);
  return count($s) . " " . ($q->query("velvet armchair", ["k" => 1, "mode" => "bm25"])["hits"][0]["id"] ?? "-");
}
function delta($before) {
  $now = Ecai\Store::persistentStats();
  $d = [];
  foreach (["opened", "reused", "replaced", "unshared", "failed"] as $k) if ($now[$k] != $before[$k]) $d[] = "$k+" . ($now[$k] - $before[$k]);
  return implode(" ", $d);
}
make_store("$base/v1", []);
make_store("$base/v2", [["id" => "Z-1", "title" => "Velvet armchair", "category" => "Furniture > Chairs"]]);
publish($base, "$base/v1");
$ctx = new Ecai\Context('{}');
$s0 = Ecai\Store::persistentStats();
var_dump($s0["enabled"], $s0["pid"] === getmypid(), $s0["max_persistent"]);

echo "first:  ", serve($ctx, "$base/current"), " | ", delta($s0), "\n";
$s = Ecai\Store::persistentStats();
echo "again:  ", serve(new Ecai\Context('{}'), "$base/current"), " | ", delta($s), "\n";
$s = Ecai\Store::persistentStats();
echo "config: ", serve(new Ecai\Context('{"search":{"k1":1.5}}'), "$base/current"), " | ", delta($s), "\n";

$s = Ecai\Store::persistentStats();
publish($base, "$base/v2");
echo "swap:   ", serve($ctx, "$base/current"), " | ", delta($s), "\n";
$s = Ecai\Store::persistentStats();
echo "again:  ", serve($ctx, "$base/current"), " | ", delta($s), "\n";
$s = Ecai\Store::persistentStats();
echo "same folder by another path: ", serve($ctx, "$base/../" . basename($base) . "/v2"), " | ", delta($s), "\n";

/* a publish between Store::open and Search::open: the search of the store's version */
$st = Ecai\Store::open($ctx, "$base/current");
publish($base, "$base/v1");
var_dump(count($st), Ecai\Search::open($st, "$base/current")->query("velvet armchair", ["k" => 1, "mode" => "bm25"])["hits"][0]["id"]);
unset($st);

/* rewritten in place */
make_store("$base/v2", []);
publish($base, "$base/v2");
$s = Ecai\Store::persistentStats();
echo "inplace: ", serve($ctx, "$base/current"), " | ", delta($s), "\n";

/* missing and damaged folders: clear errors, the kept version stays */
try { Ecai\Store::open($ctx, "$base/missing"); } catch (Ecai\EcaiException $e) { echo "missing: ", $e->getCode(), " ", str_contains($e->getMessage(), "missing") ? "names it" : $e->getMessage(), "\n"; }
mkdir("$base/bad");
foreach (glob("$base/v2/*") as $f) copy($f, "$base/bad/" . basename($f));
file_put_contents("$base/bad/catalog.bin", substr(file_get_contents("$base/bad/catalog.bin"), 0, 100));
publish($base, "$base/bad");
$s = Ecai\Store::persistentStats();
try { serve($ctx, "$base/current"); } catch (Ecai\EcaiException $e) { echo "damaged: ", $e->getCode(), " | ", delta($s), "\n"; }
publish($base, "$base/v2");
$s = Ecai\Store::persistentStats();
echo "back:   ", serve($ctx, "$base/current"), " | ", delta($s), "\n";

/* a store the script changes leaves the table; the next open() gets the saved one */
$st = Ecai\Store::open($ctx, "$base/current");
$s = Ecai\Store::persistentStats();
$st->add(["id" => "N-1", "title" => "New lamp"]);
echo "changed: ", count($st), " ", serve($ctx, "$base/current"), " | ", delta($s), "\n";
unset($st);

/* recommender and knowledge base files */
$r = Ecai\Recommender::fromOrders(getenv("ECAI_ROOT") . "/tests/data/recommend_orders.csv");
$r->save("$base/reco.bin");
$kb = new Ecai\KnowledgeBase($ctx);
$kb->addText("faq.md", "# Returns\nYou can return items within 30 days.\n");
$kb->save("$base/kb.bin");
$s = Ecai\Store::persistentStats();
$a = Ecai\Recommender::load("$base/reco.bin");
$b = Ecai\Recommender::load("$base/reco.bin");
$k1 = Ecai\KnowledgeBase::open("$base/kb.bin", $ctx);
unset($ctx); /* the kept KB has a context of its own */
$k2 = Ecai\KnowledgeBase::open("$base/kb.bin", new Ecai\Context());
echo "files:  ", $a->stats() == $b->stats() ? "same" : "differ", " ", $k2->search("return", 1)["results"][0]["source"], " | ", delta($s), "\n";
$k2->addText("more.md", "# Shipping\nFree over 50 EUR.\n");
var_dump($k2->stats()["documents"], Ecai\KnowledgeBase::open("$base/kb.bin", new Ecai\Context())->stats()["documents"]);
unset($a, $b, $k1, $k2);
file_put_contents("$base/kb.bin", "nope");
try { Ecai\KnowledgeBase::open("$base/kb.bin", new Ecai\Context()); } catch (Ecai\EcaiException $e) { echo "kb damaged: ", $e->getCode(), "\n"; }

/* a path now leading to a folder kept under another path: the version it led to is dropped */
make_store("$base/v3", [["id" => "Z-1", "title" => "Velvet armchair", "category" => "Furniture > Chairs"]]);
$ctx = new Ecai\Context('{}');
$s = Ecai\Store::persistentStats();
echo "v3 by its own path: ", serve($ctx, "$base/v3"), " | ", delta($s), "\n";
publish($base, "$base/v3");
$s = Ecai\Store::persistentStats();
echo "current -> v3: ", serve($ctx, "$base/current"), " | ", delta($s), "\n";
var_dump(count(array_filter(Ecai\Store::persistentStats()["entries"], fn($e) => $e["listed"] && $e["realpath"] === realpath("$base/v2"))));

/* off: every open() opens afresh */
ini_set("ecai.persistent", "0");
$s = Ecai\Store::persistentStats();
echo "off:    ", serve(new Ecai\Context(), "$base/current"), " | ", delta($s), "|\n";
var_dump($s["enabled"]);
ini_set("ecai.persistent", "1");
var_dump(Ecai\Store::persistentStats()["enabled"]);

foreach (["v1", "v2", "v3", "bad"] as $d) { array_map("unlink", glob("$base/$d/*")); rmdir("$base/$d"); }
array_map("unlink", glob("$base/*"));
rmdir($base);
?>
--EXPECT--
bool(true)
bool(true)
int(8)
first:  10 - | opened+2
again:  10 - | reused+2
config: 10 - | opened+2
swap:   11 Z-1 | opened+2 replaced+1
again:  11 Z-1 | reused+2
same folder by another path: 11 Z-1 | reused+2
int(11)
string(3) "Z-1"
inplace: 10 - | opened+2 replaced+1
missing: -8 names it
damaged: -14 | failed+1
back:   10 - | reused+2
changed: 11 10 - | opened+2 unshared+1
files:  same faq.md | opened+2 reused+2
int(2)
int(1)
kb damaged: -14
v3 by its own path: 11 Z-1 | opened+2
current -> v3: 11 Z-1 | reused+2 replaced+1
int(0)
off:    11 Z-1 | |
bool(false)
bool(true)
