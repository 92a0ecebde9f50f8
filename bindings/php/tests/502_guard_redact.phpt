--TEST--
Ecai\Guard: PII redaction with reversible placeholders, mapping carried between turns
--EXTENSIONS--
ecai
--FILE--
<?php
$r = Ecai\Guard::redact("I'm jane@example.com, card 4111 1111 1111 1111, order #W1234567");
var_dump($r["text"]);
$m = json_decode($r["mapping"], true);
var_dump(count($m["items"]), $m["tags"][0]["value"]);
$r2 = Ecai\Guard::redact("also call +1 415 555 0132, mail jane@example.com", $r["mapping"]);
var_dump($r2["text"]);
var_dump(Ecai\Guard::restore("We wrote to [EMAIL_1] and [phone_1].", $r2["mapping"]));
try { Ecai\Guard::restore("x", "{"); } catch (Ecai\EcaiException $e) { var_dump($e->getCode()); }
?>
--EXPECT--
string(45) "I'm [EMAIL_1], card [CARD_1], order #W1234567"
int(2)
string(9) "#W1234567"
string(35) "also call [PHONE_1], mail [EMAIL_1]"
string(49) "We wrote to jane@example.com and +1 415 555 0132."
int(-11)
