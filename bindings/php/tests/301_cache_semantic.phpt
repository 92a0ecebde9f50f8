--TEST--
Ecai\SemanticCache: partitions, threshold, verification, text vectors
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$sc = new Ecai\SemanticCache($ctx, 4);
$sc->setThreshold(0.9);
$sc->put("p", [1, 0, 0, 0], "How do I enable price alerts?", "A1");
$hit = $sc->lookup("p", [1, 0.1, 0, 0], "how can I enable price alerts");
var_dump($hit[0], $hit[1] > 0.99);
var_dump($sc->lookup("other", [1, 0, 0, 0], "How do I enable price alerts?"));
var_dump($sc->lookup("p", [1, 0.1, 0, 0], "How do I disable price alerts?"));
var_dump($sc->stats()["verify_rejects"]);
$sc->setVerify(false);
var_dump($sc->lookup("p", [1, 0.1, 0, 0], "How do I disable price alerts?")[0]);
try { $sc->put("p", [NAN, 0, 0, 0], "q", "v"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
try { $sc->put("p", [1, "x", 0, 0], "q", "v"); } catch (TypeError $e) { echo "TypeError\n"; }
$t = new Ecai\SemanticCache($ctx);
$t->setThreshold(0.6);
$t->putText("en", "Where is my order 77? It has not arrived.", "track-77");
var_dump($t->lookupText("en", "where is my order 77, it has not arrived")[0]);
var_dump($t->lookupText("en", "where is my order 78, it has not arrived"));
var_dump(Ecai\SemanticCache::verify("order 12", "order 12"), Ecai\SemanticCache::verify("can I", "can't I"));
?>
--EXPECT--
string(2) "A1"
bool(true)
NULL
NULL
int(1)
string(2) "A1"
int(-2)
TypeError
string(8) "track-77"
NULL
bool(true)
bool(false)
