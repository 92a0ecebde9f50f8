--TEST--
Ecai\Guard: output checks against sources, catalog, banned phrases, options, confidence
--EXTENSIONS--
ecai
--FILE--
<?php
$src = ["faq04" => "Our return policy allows you to return products within 30 days of purchase for a full refund."];
$g = (new Ecai\Guard('{"guard": {"support_threshold": 0.5}}'))->set("banned_phrases", ["ikea"]);
$v = $g->checkOutput("You can return products within thirty days of purchase for a full refund.", $src);
var_dump($v["pass"], $v["sentences"][0]["source"]);
$v = $g->checkOutput("You can return products within 60 days of purchase for a full refund.", $src);
var_dump($v["pass"], $v["escalate"], $v["reason"]);
$v = $g->checkOutput("You can return products within 30 days of purchase for a full refund, unlike ikea.", $src);
var_dump($v["reason"]);
$g->setCatalog(["LMP-3300" => 89.5]);
$lamp = ["c" => "The Oslo lamp is a table lamp."];
var_dump($g->checkOutput("The Oslo lamp (LMP-3300) is a table lamp for $79.", $lamp)["reason"]);
var_dump($g->checkOutput("The Oslo lamp (LMP-1111) is a table lamp.", $lamp)["reason"]);
var_dump($g->checkOutput("The Oslo lamp (LMP-3300) is a table lamp for $89.50.", $lamp)["pass"]);
$c = $g->confidence(0.9, 0.2, null);
var_dump($c["confidence"] < 0.5, $c["escalate"]);
try { $g->set("support_threshold", 3.0); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
try { $g->set("nope", 1); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
try { $g->checkOutput("x", ["a" => 1]); } catch (\ValueError $e) { echo "ValueError\n"; }
$ctx = new Ecai\Context('{"guard": {"max_input_chars": 5}}');
var_dump((new Ecai\Guard($ctx))->checkInput("too long for five")["reason"]);
try { new Ecai\Guard('{"guard": {"max_input_char": 5}}'); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
?>
--EXPECT--
bool(true)
string(5) "faq04"
bool(false)
bool(true)
string(21) "number_not_in_sources"
string(12) "banned_topic"
string(14) "price_mismatch"
string(11) "unknown_sku"
bool(true)
bool(true)
bool(true)
int(-2)
int(-7)
ValueError
string(8) "too_long"
int(-2)
