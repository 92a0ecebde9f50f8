--TEST--
Ecai\Experiment: reproduces the committed assignment vectors, also in pure PHP (hash xxh3)
--EXTENSIONS--
ecai
--FILE--
<?php
$root = getenv("ECAI_ROOT") ?: __DIR__ . "/../../..";
$rows = array_slice(file("$root/tests/data/ab_assign.tsv", FILE_IGNORE_NEW_LINES), 1);
$variants = [["control", 50], ["treatment_a", 30], ["treatment_b", 20]];
$e = new Ecai\Experiment("checkout", "checkout-2026", $variants, 0.1, "global-holdout");
// pure PHP: u = (XXH3_64(salt "\0" unit) >> 11) * 2^-53, then cumulative weight shares
function point(string $salt, string $unit): float {
    $h = unpack("J", hash("xxh3", $salt . "\0" . $unit, true))[1];
    return (($h >> 11) & 0x1FFFFFFFFFFFFF) * 2 ** -53;
}
function pick(float $u, array $variants): string {
    $total = 0.0;
    foreach ($variants as [$n, $w]) $total += $w;
    $cum = 0.0;
    foreach ($variants as [$n, $w]) { $cum += $w; if ($u < $cum / $total) return $n; }
    return end($variants)[0];
}
$bad = 0; $badpure = 0;
foreach ($rows as $line) {
    [$unit, $u, $uh, $want] = explode("\t", $line);
    if ($e->assign($unit) !== $want) $bad++;
    if (Ecai\Experiment::hashPoint("checkout-2026", $unit) !== (float)$u) $bad++;
    $pure = point("global-holdout", $unit) < 0.1 ? "holdout" : pick(point("checkout-2026", $unit), $variants);
    if ($pure !== $want || point("checkout-2026", $unit) !== (float)$u) $badpure++;
}
echo count($rows), " vectors, extension mismatches: $bad, pure PHP mismatches: $badpure\n";
try { $e->addVariant("late"); } catch (Ecai\EcaiException $x) { echo get_class($x), " ", $x->getCode(), "\n"; }
$f = new Ecai\Experiment("hero", "hero-1", ["A", "B"]);
for ($i = 0; $i < 100; $i++) $f->expose("u$i", 1700000000 + $i);
$s = $f->summary();
var_dump($s["exposures"], $s["variants"][0]["units"] + $s["variants"][1]["units"]);
var_dump(substr_count($f->logJsonl(), "\n"));
try { new Ecai\Experiment("", "s"); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
?>
--EXPECT--
260 vectors, extension mismatches: 0, pure PHP mismatches: 0
Ecai\EcaiException -6
int(100)
int(100)
int(100)
-2
