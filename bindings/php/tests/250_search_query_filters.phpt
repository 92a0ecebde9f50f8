--TEST--
Ecai\Search: hybrid query, filters, facets, typo correction, no confident match
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$st = new Ecai\Store($ctx);
$st->load(getenv("ECAI_ROOT") . "/tests/data/search_catalog.jsonl");
$st->build();
$s = new Ecai\Search($st);
$r = $s->query("sofa", ["k" => 3]);
var_dump($r["mode"], substr($r["hits"][0]["id"], 0, 2), $r["facets"]["category"]["Furniture > Sofas"]);
var_dump(str_starts_with($r["hits"][0]["why"], "title: sofa"));
$r = $s->query("sofa", ["k" => 5, "filters" => ["category" => "Furniture > Sofas", "in_stock" => true, "price_max" => 400]]);
var_dump(array_column($r["hits"], "id"));
$r = $s->query("mattres", ["k" => 1]);
var_dump($r["corrected"], substr($r["hits"][0]["id"], 0, 2));
var_dump($s->query("smartphone charger")["no_confident_match"], $s->query("oak dining table")["no_confident_match"]);
var_dump($s->query("couch", ["mode" => "vector", "k" => 1])["mode"]);
try { $s->query("x", ["mode" => "fuzzy"]); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode(), "\n"; }
try { new Ecai\Search($ctx); } catch (TypeError $e) { echo "TypeError\n"; }
?>
--EXPECT--
string(6) "hybrid"
string(2) "S-"
int(3)
bool(true)
array(1) {
  [0]=>
  string(3) "S-2"
}
array(1) {
  ["mattres"]=>
  string(8) "mattress"
}
string(2) "M-"
bool(true)
bool(false)
string(6) "vector"
EcaiException -2
TypeError
