--TEST--
Ecai\Search: as you type, sort, paging, highlights, merchandising rules and synonyms
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$st = new Ecai\Store($ctx);
$st->load(getenv("ECAI_ROOT") . "/tests/data/search_catalog.jsonl");
$st->build();
$s = new Ecai\Search($st);
$r = $s->query("memory fo", ["prefix" => true, "mode" => "bm25", "k" => 1, "highlight" => true]);
var_dump($r["hits"][0]["id"], $r["hits"][0]["highlight"]["title"]);
var_dump(array_column($s->query("sofa", ["sort" => "price_asc"])["hits"], "id"));
var_dump(count($s->query("sofa", ["sort" => "price_asc", "offset" => 2])["hits"]));
$s->setRules(["rules" => [["query" => "sofa", "pin" => ["T-1"], "hide" => ["S-3"]]],
              "synonyms" => [["from" => "settee", "to" => ["loveseat"]]]]);
var_dump(array_column($s->query("sofa", ["mode" => "bm25"])["hits"], "id"));
var_dump($s->query("settee", ["mode" => "bm25"])["hits"][0]["why"]);
try { $s->setRules('[{"query":"sofa","hide":["NOPE-7"]}]'); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode(), " ", str_contains($e->getMessage(), "NOPE-7") ? "names it" : $e->getMessage(), "\n"; }
var_dump($s->query("sofa", ["mode" => "bm25"])["hits"][0]["id"]);
$s->setRules(null);
var_dump($s->query("sofa", ["mode" => "bm25"])["hits"][0]["id"]);
try { $s->setRules(7); } catch (TypeError $e) { echo "TypeError\n"; }
$f = tempnam(sys_get_temp_dir(), "pop");
file_put_contents($f, "sku,count\nS-1,5\nS-3,2\nGONE,1\n");
var_dump($s->setPopularity($f));
var_dump(array_column($s->query("sofa", ["mode" => "bm25", "sort" => "popularity"])["hits"], "id"));
file_put_contents($f, "sku,count\nS-1,many\n");
try { $s->setPopularity($f); } catch (Ecai\EcaiException $e) { echo "EcaiException\n"; }
var_dump($s->setPopularity(null));
unlink($f);
?>
--EXPECT--
string(3) "M-1"
string(44) "<em>Memory</em> <em>foam</em> mattress queen"
array(3) {
  [0]=>
  string(3) "S-2"
  [1]=>
  string(3) "S-1"
  [2]=>
  string(3) "S-3"
}
int(1)
array(3) {
  [0]=>
  string(3) "T-1"
  [1]=>
  string(3) "S-2"
  [2]=>
  string(3) "S-1"
}
string(35) "title: loveseat (synonym of settee)"
EcaiException -2 names it
string(3) "T-1"
string(3) "S-2"
TypeError
int(2)
array(3) {
  [0]=>
  string(3) "S-1"
  [1]=>
  string(3) "S-3"
  [2]=>
  string(3) "S-2"
}
EcaiException
int(0)
