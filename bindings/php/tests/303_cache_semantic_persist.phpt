--TEST--
Ecai\SemanticCache: save / load round trip, damaged files, content-word rule
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$dir = sys_get_temp_dir() . "/ecai_php_sem_" . getmypid();
@mkdir($dir);
$path = "$dir/sem.bin";
$sc = new Ecai\SemanticCache($ctx);
$sc->setThreshold(0.6);
$sc->putText("en", "Where is my order 77? It has not arrived.", "track-77");
$sc->putText("en", "How do I return a damaged kettle?", "returns");
$sc->save($path);
$b = new Ecai\SemanticCache($ctx);
$b->setThreshold(0.6);
var_dump($b->load($path));
var_dump($b->lookupText("en", "where is my order 77, it has not arrived")[0]);
var_dump($b->lookupText("en", "where is my order 78, it has not arrived"));
$bytes = file_get_contents($path);
$bytes[intdiv(strlen($bytes), 2)] = chr(ord($bytes[intdiv(strlen($bytes), 2)]) ^ 0x20);
file_put_contents("$dir/bad.bin", $bytes);
try { $b->load("$dir/bad.bin"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
try { $b->load("$dir/none.bin"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
var_dump($b->stats()["entries"]);
$v = new Ecai\SemanticCache($ctx, 4);
$v->setThreshold(0.9);
$v->put("p", [1, 0, 0, 0], "How do I pay with my debit card?", "debit");
$v->put("p", [1, 0, 0, 0], "Is my card payment safe?", "safe");
var_dump($v->lookup("p", [1, 0, 0, 0], "how can i pay with a debit card")[0]);
var_dump($v->lookup("p", [1, 0, 0, 0], "How do I pay with my credit card?"));
$v->setWordMismatch(1.0);
var_dump($v->lookup("p", [1, 0, 0, 0], "How do I pay with my credit card?") !== null);
try { $v->setWordMismatch(2.0); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
try { $v->load($path); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
foreach (glob("$dir/*") as $f) unlink($f);
rmdir($dir);
?>
--EXPECT--
int(2)
string(8) "track-77"
NULL
int(-14)
int(-4)
int(2)
string(5) "debit"
NULL
bool(true)
int(-2)
int(-2)
