--TEST--
Ecai\Pricing: suggestions, guardrails, hold-back reasons, options, configuration
--EXTENSIONS--
ecai
--FILE--
<?php
function history(Ecai\Pricing $p, string $id, float $b, ?float $cost = null, int $days = 40): void {
    for ($d = 0; $d < $days; $d++) {
        $price = $d < $days - 1 ? 10 * (0.8 + 0.4 * ($d % 6) / 5) : 10.0;
        $p->add($id, $price, 100 * ($price / 10) ** $b, 1700000000 + 86400 * $d, null, $cost);
    }
}
$p = new Ecai\Pricing(["max_change" => 0.1]);
history($p, "inelastic", -0.5);
history($p, "elastic", -2.5);
history($p, "thin", -1.0, null, 3);
$p->setBounds("elastic", 0, 0, 9.5);
var_dump($p->count());
foreach ($p->run() as $r)
    printf("%s %s %s %s\n", $r["product"], $r["status"], $r["reason"],
           $r["suggested_price"] === null ? "null" : sprintf("%.2f", $r["suggested_price"]));
$m = new Ecai\Pricing(["max_change" => 0.5], '{"pricing": {"objective": "margin"}}');
history($m, "x", -2.5, 4.0);
$r = $m->run()[0];
printf("%s %.2f %.4f\n", $r["objective"], $r["suggested_price"], $r["elasticity"]);
try { $p->set("max_change", 2.0); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
try { $p->set("nope", 1); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
try { $p->loadFile("/nonexistent.csv"); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
?>
--EXPECT--
int(83)
elastic suggest ok 9.50
inelastic suggest ok 11.00
thin hold thin_data null
margin 6.67 -2.5000
-2
-7
-8
