--TEST--
Ecai\Store::update: price, stock and text changes seen by the next query; another handle on the folder sees them through the journal; bad input changes nothing
--EXTENSIONS--
ecai
--INI--
ecai.persistent=0
--FILE--
<?php
$ctx = new Ecai\Context();
$st = new Ecai\Store($ctx);
$st->load(getenv("ECAI_ROOT") . "/tests/data/search_catalog.jsonl");
$st->build();
$dir = sys_get_temp_dir() . "/ecai_php_update_" . getmypid();
$st->save($dir);
(new Ecai\Search($st))->save($dir);
function ids($s, $q, $opts) { return array_column($s->query($q, $opts)["hits"], "id"); }
$cheap = ["k" => 10, "filters" => ["price_max" => 300]];
// a worker and an admin job: two independent opens of the folder (persistence off)
$worker = Ecai\Store::open($ctx, $dir);
$search = Ecai\Search::open($worker, $dir);
$admin = Ecai\Store::open(new Ecai\Context(), $dir);
var_dump(in_array("S-1", ids($search, "sofa", $cheap)));
$admin->update("S-1", ["price" => 249.5]);
var_dump(in_array("S-1", ids($search, "sofa", $cheap)), file_exists("$dir/updates.journal"));
$worker->update("S-3", ["stock" => 2]);
var_dump(in_array("S-3", ids($search, "sofa", ["filters" => ["in_stock" => true]])));
$admin->update("T-2", ["title" => "Brass side table", "description" => "Tempered top"]);
var_dump(ids($search, "glass", ["mode" => "bm25"]), in_array("T-2", ids($search, "brass", ["mode" => "bm25"])));
// bad input: an exception, nothing applied
$bad = [["NOPE", ["price" => 1]], ["S-2", ["price" => -1]], ["S-2", ["price" => 5, "colour" => "red"]],
        ["S-2", ["price" => "cheap"]], ["S-2", []], ["S-2", ["title" => str_repeat("x", 2 << 20)]]];
foreach ($bad as [$sku, $f]) {
  try { $worker->update($sku, $f); echo "no error\n"; }
  catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode(), ": ", strtok($e->getMessage(), "("), "\n"; }
}
try { $worker->update("S-2", ["price" => NAN]); } catch (ValueError $e) { echo "ValueError\n"; }
var_dump(in_array("S-2", ids($search, "sofa", $cheap)));
foreach (glob("$dir/*") as $f) unlink($f);
rmdir($dir);
?>
--EXPECT--
bool(false)
bool(true)
bool(true)
bool(true)
array(0) {
}
bool(true)
EcaiException -4: store_update: no product with SKU 'NOPE'
EcaiException -2: store_update: "price" must be finite and >= 0 
EcaiException -2: store_update: unknown field "colour" 
EcaiException -2: store_update: "price" must be a number or null
EcaiException -2: store_update: no field to change 
EcaiException -2: store_update: "title" is 2097152 bytes, more than catalog.max_field_bytes 
ValueError
bool(true)
