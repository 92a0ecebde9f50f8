--TEST--
Ecai\Support: extractive answer with citation, escalation with handoff (PII redacted), LLM path catches a planted wrong number
--EXTENSIONS--
ecai
--FILE--
<?php
require __DIR__ . "/fakellm.inc";
$md = "# Policy\n\n## Returns\n\nYou can return items within 30 days of delivery for a full refund.\n\n## Shipping\n\nStandard delivery takes 3 to 5 business days.\n";
$ctx = new Ecai\Context();
$kb = new Ecai\KnowledgeBase($ctx);
$kb->addText("policy.md", $md);
$bot = new Ecai\Support($ctx, $kb);
$r = $bot->answer("How many days do I have to return an item?");
var_dump($r["escalated"], $r["answer"], $r["citations"][0]["section"], $r["event"]["event"]);
$r = $bot->answer("I want to talk to a real person, I'm jane@example.com", json_encode(["where is my refund?"]));
var_dump($r["escalated"], $r["reason"], $r["answer"]);
$h = json_encode($r["handoff"]);
var_dump(strpos($h, "jane@example.com") === false, strpos($h, "[EMAIL_1]") !== false);
try { $bot->answer("hi", "{not json"); } catch (Ecai\EcaiException $e) { echo "EcaiException\n"; }
$s = fakellm_start();
$lctx = fakellm_ctx($s, ["model" => "fault-adversarial", "max_retries" => 0,
                         "headers" => ["X-Fake-Answer" => "You can return items within 90 days of delivery for a full refund."]]);
$kb2 = new Ecai\KnowledgeBase($lctx);
$kb2->addText("policy.md", $md);
$bot2 = new Ecai\Support($lctx, $kb2);
$r = $bot2->answer("How many days do I have to return an item?");
var_dump($r["escalated"], $r["reason"], $r["mode"]);
fakellm_stop($s);
?>
--EXPECT--
bool(false)
string(66) "You can return items within 30 days of delivery for a full refund."
string(16) "Policy > Returns"
string(19) "ticket_bot_answered"
bool(true)
string(15) "human_requested"
NULL
bool(true)
bool(true)
EcaiException
bool(true)
string(21) "number_not_in_sources"
string(3) "llm"
