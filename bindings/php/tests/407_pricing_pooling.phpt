--TEST--
Ecai\Pricing: partial pooling across products (the "pooling" option and result object)
--EXTENSIONS--
ecai
--FILE--
<?php
/* 12 products, list prices moving every 30 days, elasticities -2.2 .. -0.6, few orders */
function product(Ecai\Pricing $p, string $id, float $b): void {
    $steps = [1.0, 1.1, 0.95, 1.05, 0.9, 1.0, 1.12, 0.97];
    for ($d = 0; $d < 240; $d++) {
        $list = round(20 * $steps[intdiv($d, 30) % 8], 2);
        $n = (int)round(4 * ($list / 20) ** $b * (1 + 0.5 * sin($d * 2.1 + strlen($id))));
        for ($k = 0; $k < $n; $k++) $p->add($id, $list, 1 + $k % 3, 86400 * $d + 60 * $k);
    }
}
foreach ([null, 0] as $pooling) {
    $p = $pooling === null ? new Ecai\Pricing() : new Ecai\Pricing(["pooling" => $pooling]);
    for ($i = 0; $i < 12; $i++) product($p, sprintf("p%02d", $i), -2.2 + 1.6 * $i / 11);
    $pooled = 0; $narrower = 0;
    foreach ($p->run() as $r) {
        if ($r["pooling"] === null) continue;
        $pooled++;
        if ($r["elasticity_se"] <= $r["pooling"]["elasticity_own_se"] && $r["pooling"]["prior_sd"] >= 0.15) $narrower++;
    }
    printf("pooling %s: %d pooled, %d with a narrower interval\n", $pooling ?? "default", $pooled, $narrower);
}
try { (new Ecai\Pricing())->set("pooling", 5); } catch (Ecai\EcaiException $x) { echo get_class($x), " ", $x->getCode(), "\n"; }
?>
--EXPECT--
pooling default: 12 pooled, 12 with a narrower interval
pooling 0: 0 pooled, 0 with a narrower interval
Ecai\EcaiException -2
