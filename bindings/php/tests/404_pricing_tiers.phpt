--TEST--
Ecai\Pricing: order-size tiers, not_identified, out-of-time validation, validation_share, price tests
--EXTENSIONS--
ecai
--FILE--
<?php
/* order lines: a list price moving every 30 days (or fixed), a quarter of the orders
   wholesale (24 units at 85 %), the rest 1-3 units; deterministic counts */
function shop(Ecai\Pricing $p, string $id, float $b, bool $fixed, int $days = 240): void {
    $steps = [1.0, 1.1, 0.95, 1.05, 0.9, 1.0, 1.12, 0.97];
    for ($d = 0; $d < $days; $d++) {
        $list = $fixed ? 20.0 : round(20 * $steps[intdiv($d, 30) % 8], 2);
        $n = (int)round(40 * ($list / 20) ** $b * (1 + 0.3 * sin($d * 2.1)));
        for ($k = 0; $k < $n; $k++) {
            $wholesale = $k % 4 == 3;
            $p->add($id, $wholesale ? round(0.85 * $list, 2) : $list, $wholesale ? 24 : 1 + $k % 3,
                    86400 * $d + 60 * $k);
        }
    }
}
$p = new Ecai\Pricing();
shop($p, "moving", -1.8, false);
shop($p, "fixed", -1.8, true);
foreach ($p->run() as $r) {
    printf("%s %s %s %s %s\n", $r["product"], $r["status"], $r["reason"], $r["reason_detail"] ?? "-",
           $r["tiers"]["basis"]);
    if ($r["product"] === "moving") {
        printf("near truth: %s\n", abs($r["elasticity"] + 1.8) < 0.3 ? "yes" : "no " . $r["elasticity"]);
        printf("validation: %s, model beats no change: %s\n", $r["validation"]["status"],
               $r["validation"]["deviance_model"] < $r["validation"]["deviance_no_change"] ? "yes" : "no");
    }
}
$q = new Ecai\Pricing(["validation_share" => 0]);
shop($q, "moving", -1.8, false);
echo $q->run()[0]["validation"]["status"], "\n";
try { $q->set("validation_share", 0.9); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
/* the loop with experiments: a price test on the product the history cannot identify */
$e = new Ecai\Experiment("price-fixed", "salt-php");
$e->addVariant("control", 1);
$e->addVariant("test", 1);
$e->setHoldout(0.1);
$units = ["control" => 0, "test" => 0]; $visitors = ["control" => 0, "test" => 0];
$price = ["control" => 20.0, "test" => 18.0];
mt_srand(25);
for ($i = 0; $i < 100000; $i++) {
    $v = $e->assign("visitor-$i");
    if ($v === "holdout") continue;
    $visitors[$v]++;
    if (mt_rand() / mt_getrandmax() < 0.05 * ($price[$v] / 20) ** -1.8) $units[$v]++;
}
try { $p->addExperiment("fixed", 20, 10, 100, 20, 12, 100); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
$p->addExperiment("fixed", 20, $units["control"], $visitors["control"], 18, $units["test"], $visitors["test"]);
foreach ($p->run() as $r)
    if ($r["product"] === "fixed")
        printf("%s %s tests=%d within 3 se: %s\n", $r["status"], $r["elasticity_source"], $r["experiment"]["tests"],
               abs($r["elasticity"] + 1.8) < 3 * $r["elasticity_se"] ? "yes" : "no");
?>
--EXPECT--
fixed hold not_identified prices_set_only_by_order_size order_size
moving suggest ok - order_size
near truth: yes
validation: passed, model beats no change: yes
not_run
-2
-2
suggest experiment tests=1 within 3 se: yes
