--TEST--
Ecai\Store::seal: compaction seals the journal , updates fail until unsealed, the saved version holds them
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
$dir = sys_get_temp_dir() . "/ecai_php_seal_" . getmypid();
$st->save($dir);
(new Ecai\Search($st))->save($dir);
function cheap($store, $dir) { // SKUs of sofas under 300 in that store
  return array_column(Ecai\Search::open($store, $dir)->query("sofa", ["k" => 10, "filters" => ["price_max" => 300]])["hits"], "id");
}
$writer = Ecai\Store::open($ctx, $dir);
$compactor = Ecai\Store::open(new Ecai\Context(), $dir);
$writer->update("S-1", ["price" => 111]);
$compactor->seal();
var_dump(in_array("S-1", cheap($compactor, $dir)));
try { $writer->update("S-2", ["price" => 222]); echo "no error\n"; }
catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode(), ": ", strstr($e->getMessage(), "sealed", true) !== false ? "sealed" : $e->getMessage(), "\n"; }
$compactor->save("$dir-v2");
(new Ecai\Search($compactor))->save("$dir-v2");
var_dump(file_exists("$dir-v2/updates.journal"));
$back = Ecai\Store::open($ctx, "$dir-v2");
var_dump(in_array("S-1", cheap($back, "$dir-v2")));
$compactor->seal(false);
$writer->update("S-2", ["price" => 222]);
var_dump(in_array("S-2", cheap($writer, $dir)));
try { $st->seal(); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode(), "\n"; }
foreach (["$dir", "$dir-v2"] as $d) { foreach (glob("$d/*") as $f) unlink($f); rmdir($d); }
echo "done\n";
?>
--EXPECT--
bool(true)
EcaiException -6: sealed
bool(false)
bool(true)
bool(true)
EcaiException -6
done
