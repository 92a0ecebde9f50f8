--TEST--
Ecai\Catalog: load a CSV with a mapping, add, get, remove, errors, save/open
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$cat = new Ecai\Catalog($ctx);
$csv = getenv("ECAI_ROOT") . "/tests/data/catalog_small.csv";
var_dump($cat->load($csv, null, "id=sku,title=name,description=desc,category=cat"));
var_dump(count($cat));
$p = $cat->get("A-3");
var_dump($p["title"], $p["in_stock"], $p["price"]);
var_dump($cat->add(["id" => "N1", "title" => "Walnut bookshelf", "price" => 120.0]));
var_dump($cat->idOf("N1"), count($cat));
$cat->remove("N1");
try { $cat->get("N1"); } catch (Ecai\EcaiException $e) { echo $e->getCode(), "\n"; }
$bad = tempnam(sys_get_temp_dir(), "ecai") . ".csv";
file_put_contents($bad, "id,title,price\n1,ok,1\n2,bad,abc\n");
try { $cat->load($bad); } catch (Ecai\EcaiException $e) { echo $e->getCode(), " ", str_contains($e->getMessage(), ":3: ") ? "line 3" : $e->getMessage(), "\n"; }
var_dump($cat->load($bad, "csv", null, true));
unlink($bad);
$f = tempnam(sys_get_temp_dir(), "ecai");
$cat->save($f);
$back = Ecai\Catalog::open($ctx, $f);
var_dump(count($back), $back->get("A-1")["title"]);
file_put_contents($f, "garbage");
try { Ecai\Catalog::open($ctx, $f); } catch (Ecai\EcaiException $e) { echo $e->getCode(), "\n"; }
unlink($f);
try { $cat->load($csv, "xml"); } catch (ValueError $e) { echo "ValueError\n"; }
?>
--EXPECT--
array(2) {
  [0]=>
  int(5)
  [1]=>
  int(0)
}
int(5)
string(25) "LED bulb 60W "warm white""
bool(false)
float(4.99)
int(5)
int(5)
int(6)
-4
-11 line 3
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(1)
}
int(6)
string(23) "Grey 3-seat sofa, linen"
-14
ValueError
