--TEST--
Ecai\Recommender: orders through the API, complements with reasons, cart excluded, incremental update
--EXTENSIONS--
ecai
--FILE--
<?php
$r = new Ecai\Recommender();
for ($i = 0; $i < 6; $i++) $r->addOrder("o$i", ["mug", "coffee", "spoon"], "c1", 1000 + $i);
for ($i = 0; $i < 4; $i++) $r->addOrder("s$i", ["sofa", "cushion"]);
$r->setItem("mug", "White mug", 8.0);
$r->fit();
$items = $r->recommend(["mug"], [], 2);
var_dump(count($items), $items[0]["reason"], in_array("mug", array_column($items, "id")));
var_dump(in_array("lamp", array_column($r->recommend(["sofa"], [], 5), "id")));
for ($i = 0; $i < 3; $i++) $r->addOrder("l$i", ["sofa", "lamp"]);
var_dump(in_array("lamp", array_column($r->recommend(["sofa"], [], 5), "id")));
var_dump(in_array("coffee", array_column($r->recommend(["mug"], ["coffee"], 5), "id")));
$st = $r->stats();
var_dump($st["orders"], $st["ease_stale"]);
$reply = $r->query('{"cart":["sofa"],"k":1,"method":"cooccurrence"}');
var_dump($reply["items"][0]["id"], $reply["strategy"]);
?>
--EXPECT--
int(2)
string(27) "often bought with White mug"
bool(false)
bool(false)
bool(true)
bool(false)
int(13)
int(1)
string(7) "cushion"
string(5) "mixed"
