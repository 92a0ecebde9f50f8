--TEST--
Ecai\Embedder, Ecai\Index, Ecai\Store: embed, search by vector, build, save/open
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$cat = new Ecai\Catalog($ctx);
$cat->load(getenv("ECAI_ROOT") . "/tests/data/catalog_small.csv", "csv", "id=sku,title=name");
$emb = new Ecai\Embedder($ctx);
$emb->fit($cat);
var_dump($emb->dim(), $emb->identity()["kind"]);
$v = $emb->embed("grey sofa");
var_dump(count($v), abs(array_sum(array_map(fn($x) => $x * $x, $v)) - 1) < 1e-4);
$idx = new Ecai\Index($ctx, $emb->dim(), "Flat");
$titles = ["Grey 3-seat sofa, linen", "Oak coffee table", "Cordless drill 18V"];
$idx->add([10, 11, 12], array_map(fn($t) => $emb->embed($t), $titles));
var_dump(count($idx));
$hits = $idx->search($v, 2);
var_dump($hits[0]["id"], $hits[0]["score"] >= $hits[1]["score"]);
var_dump(array_column($idx->search($v, 3, [11, 12]), "id") == [11, 12] || array_column($idx->search($v, 3, [11, 12]), "id") == [12, 11]);
try { $idx->search([1.0, 2.0]); } catch (ValueError $e) { echo "ValueError\n"; }
$f = tempnam(sys_get_temp_dir(), "ecai");
$idx->save($f);
var_dump(Ecai\Index::open($ctx, $f)->search($v, 1)[0]["id"]);
unlink($f);

$st = new Ecai\Store($ctx);
$st->load(getenv("ECAI_ROOT") . "/tests/data/catalog_small.tsv");
var_dump($st->build());
var_dump($st->search("copper pipe", 1)[0]["id"]);
$st->add(["id" => "X9", "title" => "Velvet armchair"]);
var_dump($st->build(), count($st));
$dir = sys_get_temp_dir() . "/ecai-php-store-" . getmypid();
$st->save($dir);
$back = Ecai\Store::open($ctx, $dir);
var_dump($back->search("velvet armchair", 1)[0]["id"], $back->build());
file_put_contents("$dir/index.bin", "x");
try { Ecai\Store::open($ctx, $dir); } catch (Ecai\EcaiException $e) { echo $e->getCode(), "\n"; }
array_map("unlink", glob("$dir/*"));
rmdir($dir);
?>
--EXPECT--
int(384)
string(7) "builtin"
int(384)
bool(true)
int(3)
int(10)
bool(true)
bool(true)
ValueError
int(10)
int(3)
string(1) "3"
int(1)
int(4)
string(2) "X9"
int(0)
-14
