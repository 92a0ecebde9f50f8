--TEST--
Ecai\KnowledgeBase: markdown / FAQ ingest, unchanged re-ingest skipped, search with source and section, errors
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$kb = new Ecai\KnowledgeBase($ctx);
$md = "# Policy\n\n## Returns\n\nYou can return items within 30 days of delivery.\n\n## Shipping\n\nStandard delivery takes 3 to 5 business days.\n";
var_dump($kb->addText("policy.md", $md));
var_dump($kb->addText("policy.md", $md));
var_dump($kb->addText("faq.json", json_encode([["id" => "f1", "question" => "Do you sell gift cards?", "answer" => "Yes, from 10 EUR."]])));
var_dump($kb->stats());
$r = $kb->search("how many days to return", 1);
var_dump($r["results"][0]["source"], $r["results"][0]["section"]);
$r = $kb->search("gift cards", 1);
var_dump($r["results"][0]["source"]);
$f = tempnam(sys_get_temp_dir(), "kb");
$kb->save($f);
$back = Ecai\KnowledgeBase::open($f, $ctx);
var_dump($back->stats() == $kb->stats(), $back->search("gift cards", 1)["results"][0]["source"]);
file_put_contents($f, "nope");
try { Ecai\KnowledgeBase::open($f, $ctx); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode() == -14 ? "ECORRUPT" : $e->getCode(), "\n"; }
unlink($f);
$kb->remove("policy.md");
var_dump($kb->stats()["documents"]);
try { $kb->addText("bad.json", "[{\"id\":1}]"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode() == -11 ? "EPARSE" : $e->getCode(), "\n"; }
try { $kb->remove("nope"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getMessage(), "\n"; }
try { $kb->addPath("/nonexistent/x"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode() == -8 ? "EIO" : $e->getCode(), "\n"; }
?>
--EXPECT--
int(1)
int(0)
int(1)
array(2) {
  ["documents"]=>
  int(2)
  ["chunks"]=>
  int(3)
}
string(9) "policy.md"
string(16) "Policy > Returns"
string(2) "f1"
bool(true)
string(2) "f1"
EcaiException ECORRUPT
int(1)
EcaiException EPARSE
EcaiException kb: no document named nope
EcaiException EIO
