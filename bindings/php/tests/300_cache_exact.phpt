--TEST--
Ecai\Cache: keys, put/get, tags, product facts, stats, persistence
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$c = new Ecai\Cache($ctx);
var_dump(Ecai\Cache::keyJson('{"b":1,"a":2}') === Ecai\Cache::keyJson('{ "a": 2, "b": 1 }'));
var_dump(strlen(Ecai\Cache::key("x")));
var_dump($c->get("q"));
$c->put("q", "answer", 0, ["tags" => ["faq"], "saved_tokens" => 50, "saved_cost" => 0.01]);
var_dump($c->get("q"));
$c->put("kettle", "19.99", 0, ["products" => [["sku" => "SKU-1", "facts" => "price=19.99"]]]);
$c->put("mug", "5", 0, ["products" => [["sku" => "SKU-2", "fact_hash" => Ecai\Cache::factHash("price=5")]]]);
var_dump($c->invalidateProduct("SKU-1", "price=17.49"));
var_dump($c->get("kettle"), $c->get("mug"));
var_dump($c->invalidateTag("faq"), $c->get("q"));
$s = $c->stats();
var_dump($s["hits"], $s["tokens_saved"], $s["backend"]);
$f = tempnam(sys_get_temp_dir(), "ecai");
$c->save($f);
$c2 = new Ecai\Cache($ctx);
var_dump($c2->load($f), $c2->get("mug"));
file_put_contents($f, "ECAICACH broken");
try { $c2->load($f); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
unlink($f);
try { $c->put("x", "y", -7); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
var_dump($c->counterAdd("spend", 1.5), $c->counterAdd("spend", 1.0));
?>
--EXPECT--
bool(true)
int(16)
NULL
string(6) "answer"
int(1)
NULL
string(1) "5"
int(1)
NULL
int(2)
int(50)
string(6) "memory"
int(1)
string(1) "5"
int(-14)
int(-2)
float(1.5)
float(2.5)
