--TEST--
Ecai\Recommender: orders CSV, save/load round trip, corrupt file, content vectors
--EXTENSIONS--
ecai
--FILE--
<?php
$csv = getenv("ECAI_ROOT") . "/tests/data/recommend_orders.csv";
if (!getenv("ECAI_ROOT") || !file_exists($csv)) $csv = __DIR__ . "/../../../tests/data/recommend_orders.csv";
$r = Ecai\Recommender::fromOrders($csv);
$a = $r->recommend(["MUG1"], [], 3);
var_dump($a[0]["id"], $a[0]["reason"]);
$f = tempnam(sys_get_temp_dir(), "ecai");
$r->save($f);
$b = Ecai\Recommender::load($f)->recommend(["MUG1"], [], 3);
var_dump($a === $b);
file_put_contents($f, "ECAIRECO-garbage-garbage-garbage");
try { Ecai\Recommender::load($f); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -14); }
unlink($f);
$r->setContent(["MUG1" => [1.0, 0.0], "MUGR" => [0.95, 0.05], "SOFA1" => [0.0, 1.0]]);
$s = $r->recommend(["MUG1"], [], 1, "similar");
var_dump($s[0]["id"]);
?>
--EXPECT--
string(4) "COF1"
string(35) "often bought with WHITE CERAMIC MUG"
bool(true)
bool(true)
string(4) "MUGR"
