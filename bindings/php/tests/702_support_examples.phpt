--TEST--
Ecai\KnowledgeBase examples and Ecai\Support::resolve: learning from resolved tickets, errors naming the line, fitted confidence
--EXTENSIONS--
ecai
--FILE--
<?php
$ctx = new Ecai\Context();
$kb = new Ecai\KnowledgeBase($ctx);
$kb->addPath(getenv("ECAI_ROOT") . "/tests/data/shop_faq.json");
$bot = new Ecai\Support($ctx, $kb);
$r = $bot->answer("my parcel, where is it? my email is jane.doe@example.com");
var_dump($r["escalated"], $r["calibrated"]);
$bot->resolve($r, "faq03");                      // the agent answered with faq03
$again = $bot->answer("my parcel, where is it? my email is max@example.org");
var_dump($again["escalated"], $again["citations"][0]["source"]);
$bot->resolve(json_encode($r["handoff"]));       // a person was needed
var_dump($kb->search("where is it")["examples"]);
try { $bot->resolve($r, "faq99"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", str_contains($e->getMessage(), "faq99") ? "names faq99" : $e->getMessage(), "\n"; }
try { $bot->resolve(["answer" => "x"], "faq03"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode() == -2 ? "EINVAL" : $e->getCode(), "\n"; }
try { $kb->addExamplesTsv("where is my parcel\tfaq03\nhow to pay\tfaq77\n"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", str_contains($e->getMessage(), "line 2") ? "names line 2" : $e->getMessage(), "\n"; }
try { $kb->addExample("faq03", "\u{1F600}\u{1F621}"); } catch (Ecai\EcaiException $e) { echo "EcaiException ", $e->getCode() == -2 ? "EINVAL" : $e->getCode(), "\n"; }
var_dump($kb->search("where is it")["examples"]);    // nothing added by the failures
var_dump($kb->search("which payment methods can I use")["confidence"]);
var_dump($kb->addExamplesTsv(file_get_contents(getenv("ECAI_ROOT") . "/tests/data/shop_faq_examples.tsv")));
$kb->addExample("ESCALATE", "do you buy used furniture");
$easy = $kb->search("which payment methods can I use");
var_dump($easy["examples"], $easy["confidence"] > 0.5, $kb->search("is it nice")["confidence"] < $easy["confidence"]);
$f = tempnam(sys_get_temp_dir(), "kb");
$kb->save($f);
$back = Ecai\KnowledgeBase::open($f, $ctx);
var_dump($back->search("where's my parcel at") == $kb->search("where's my parcel at"));
unlink($f);
?>
--EXPECT--
bool(true)
NULL
bool(false)
string(5) "faq03"
int(2)
EcaiException names faq99
EcaiException EINVAL
EcaiException names line 2
EcaiException EINVAL
int(2)
NULL
int(24)
int(27)
bool(true)
bool(true)
bool(true)
