--TEST--
Ecai\Catalog: an unterminated quote and an oversized field are errors (strict) or counted skips (lenient); loadReport()
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context('{"catalog":{"max_field_bytes":100}}');
$cat = new Ecai\Catalog($ctx);
var_dump($cat->loadReport()["read"], $cat->loadReport()["first_skip"]);
$dir = sys_get_temp_dir() . "/ecai203_" . getmypid();
@mkdir($dir);
file_put_contents("$dir/open.csv", "id,title\n1,\"unterminated\n2,ok\n");
try { $cat->load("$dir/open.csv"); } catch (Ecai\EcaiException $e) {
  echo $e->getCode(), " ", str_replace($dir, "DIR", $e->getMessage()), "\n";
}
var_dump(count($cat));
var_dump($cat->load("$dir/open.csv", null, null, true));
var_dump($cat->get("2")["title"]);
$r = $cat->loadReport();
echo $r["read"], " read, ", $r["loaded"], " loaded, ", $r["skipped"], " skipped, unterminated_quote ",
     $r["skipped_by_reason"]["unterminated_quote"], "\n", str_replace($dir, "DIR", $r["first_skip"]), "\n";
file_put_contents("$dir/big.csv", "id,title,brand\n1,ok,b\n2," . str_repeat("x", 200) . ",b\n3,fine,b\n");
try { $cat->load("$dir/big.csv"); } catch (Ecai\EcaiException $e) {
  echo $e->getCode(), " ", str_replace($dir, "DIR", $e->getMessage()), "\n";
}
var_dump($cat->load("$dir/big.csv", "csv", null, true));
var_dump($cat->loadReport()["skipped_by_reason"]["field_too_large"]);
file_put_contents("$dir/multi.csv", "id,title\n1,\"two\nlines\"\n2,ok\n");
var_dump($cat->load("$dir/multi.csv"), $cat->get("1")["title"]);
foreach (["open.csv", "big.csv", "multi.csv"] as $f) unlink("$dir/$f");
rmdir($dir);
?>
--EXPECT--
int(0)
NULL
-11 DIR/open.csv:2: unterminated quoted field starting here
int(0)
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(1)
}
string(2) "ok"
2 read, 1 loaded, 1 skipped, unterminated_quote 1
DIR/open.csv:2: unterminated quoted field starting here
-11 DIR/big.csv:3: field in column 2 (title) is larger than catalog.max_field_bytes (100 bytes)
array(2) {
  [0]=>
  int(2)
  [1]=>
  int(1)
}
int(1)
array(2) {
  [0]=>
  int(2)
  [1]=>
  int(0)
}
string(9) "two
lines"
