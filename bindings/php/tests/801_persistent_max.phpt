--TEST--
ecai.max_persistent: the least recently used store not in use is closed first
--EXTENSIONS--
ecai
--INI--
ecai.max_persistent=1
--FILE--
<?php
$base = sys_get_temp_dir() . "/ecai_php_persist_max_" . getmypid();
@mkdir($base);
$st = new Ecai\Store(new Ecai\Context());
$st->load(getenv("ECAI_ROOT") . "/tests/data/search_catalog.jsonl");
$st->build();
$st->save("$base/a");
$st->save("$base/b");
unset($st);
function listed() {
  $e = array_filter(Ecai\Store::persistentStats()["entries"], fn($e) => $e["listed"]);
  return implode(",", array_map(fn($e) => basename($e["path"]), $e));
}
$ctx = new Ecai\Context();
var_dump(ini_get("ecai.max_persistent"));
$a = Ecai\Store::open($ctx, "$base/a");
$b = Ecai\Store::open($ctx, "$base/b");   /* both in use: neither is closed */
echo listed(), "\n";
unset($b);                                /* 2 kept > 1: b, the only one not in use, is closed */
echo listed(), " evicted=", Ecai\Store::persistentStats()["evicted"], "\n";
unset($a);
echo listed(), "\n";
$a = Ecai\Store::open($ctx, "$base/a");
echo listed(), " reused=", Ecai\Store::persistentStats()["reused"], "\n";
unset($a);
foreach (["a", "b"] as $d) { array_map("unlink", glob("$base/$d/*")); rmdir("$base/$d"); }
rmdir($base);
?>
--EXPECT--
string(1) "1"
b,a
a evicted=1
a
a reused=1
