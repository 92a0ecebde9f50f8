--TEST--
Ecai\Recommender: category include/exclude filters (path prefixes), errors
--EXTENSIONS--
ecai
--FILE--
<?php
$r = new Ecai\Recommender();
for ($i = 0; $i < 6; $i++) $r->addOrder("o$i", ["mug", "coffee", "spoon"], "c1", 1000 + $i);
$r->fit();
$r->setCategory("coffee", "Food > Coffee");
$r->setCategory("spoon", "Kitchen > Cutlery");
$ids = fn($reply) => array_column($reply["items"], "id");
$all = $ids($r->query('{"cart":["mug"],"k":5}'));
sort($all);
var_dump($all);
var_dump($ids($r->query('{"cart":["mug"],"k":5,"categories":["kitchen"]}')));
var_dump($ids($r->query('{"cart":["mug"],"k":5,"exclude_categories":["Kitchen > Cutlery"]}')));
$r->setCategory("spoon", null);
var_dump($ids($r->query('{"cart":["mug"],"k":5,"categories":"Kitchen"}')));
try {
    $r->query('{"cart":["mug"],"categories":[1]}');
} catch (Ecai\EcaiException $e) {
    var_dump($e->getCode() === -2, str_contains($e->getMessage(), "categories"));
}
try {
    $r->setCategory("", "A");
} catch (Ecai\EcaiException $e) {
    var_dump($e->getCode());
}
?>
--EXPECT--
array(2) {
  [0]=>
  string(6) "coffee"
  [1]=>
  string(5) "spoon"
}
array(1) {
  [0]=>
  string(5) "spoon"
}
array(1) {
  [0]=>
  string(6) "coffee"
}
array(0) {
}
bool(true)
bool(true)
int(-2)
