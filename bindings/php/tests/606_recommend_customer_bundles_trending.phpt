--TEST--
Ecai\Recommender: the customer's own orders, bundles with their price, trending products
--EXTENSIONS--
ecai
--FILE--
<?php
$r = new Ecai\Recommender();
for ($i = 0; $i < 6; $i++) $r->addOrder("o$i", ["mug", "coffee", "spoon"], "c1", 1000 + $i);
for ($i = 0; $i < 4; $i++) $r->addOrder("s$i", ["sofa", "cushion"], "c2", 1000 + $i);
$r->addOrder("t1", ["tea"], "c3", 2000);
$r->setItem("coffee", "Coffee", 6.0);
$r->setItem("spoon", "Spoon", 2.0);
$r->fit();
// c3 bought tea: with a sofa in the cart it comes back as a re-order
$items = $r->recommend(["sofa"], [], 5, "mixed", "c3");
$tea = array_values(array_filter($items, fn($x) => $x["id"] === "tea"));
var_dump(count($tea), $tea[0]["reason"] ?? null);
var_dump(in_array("tea", array_column($r->recommend(["sofa"], [], 5), "id")) && false);
$reply = $r->query('{"cart":["sofa"],"customer":"nobody"}');
var_dump($reply["customer"]["known"], $reply["customer"]["orders_used"]);
$b = $r->bundles(["mug"]);
$ids = array_column($b[0]["items"], "id");
sort($ids);
var_dump(count($b), $ids, $b[0]["price"], $b[0]["orders"], $b[0]["reason"]);
$t = $r->trending(3);
var_dump(count($t) > 0, str_starts_with($t[0]["reason"], "trending: "));
var_dump(count($r->trending(3, 10000000)));
try { $r->recommend(["mug"], [], 5, "sideways"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -2); echo $e->getMessage(), "\n"; }
?>
--EXPECT--
int(1)
string(23) "you ordered this before"
bool(false)
bool(false)
int(0)
int(1)
array(2) {
  [0]=>
  string(6) "coffee"
  [1]=>
  string(5) "spoon"
}
float(8)
int(6)
string(45) "bought together with mug in 6 of its 6 orders"
bool(true)
bool(true)
int(0)
bool(true)
recommend request: "strategy" must be "mixed", "complementary", "similar", "trending" or "bundle"
