--TEST--
Ecai\Recommender: errors become exceptions with the status code
--EXTENSIONS--
ecai
--FILE--
<?php
$r = new Ecai\Recommender();
try { $r->fit(); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -6); }
try { $r->query("{oops"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -11); }
try { $r->recommend(["a"], [], 0); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -2); }
try { $r->addOrder("o", []); } catch (ValueError $e) { echo "empty order rejected\n"; }
try { $r->addOrder("o", [1]); } catch (TypeError $e) { echo "non-string id rejected\n"; }
try { Ecai\Recommender::fromOrders("/nonexistent.csv"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -8); }
try { new Ecai\Recommender('{"recommend":{"mmr_lambda":7}}'); } catch (Ecai\EcaiException $e) { var_dump($e->getCode() === -2); }
try { clone $r; } catch (Error $e) { echo "not clonable\n"; }
var_dump((new ReflectionClass("Ecai\\Recommender"))->isFinal());
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
empty order rejected
non-string id rejected
bool(true)
bool(true)
not clonable
bool(true)
