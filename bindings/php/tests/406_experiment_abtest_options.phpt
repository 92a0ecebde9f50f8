--TEST--
Ecai\Stats::abtestCsv: four variants with Holm, CUPED ($options["covariate"]), mSPRT (sequential + look_column)
--EXTENSIONS--
ecai
--FILE--
<?php
mt_srand(12);
$gauss = function () { return sqrt(-2 * log(1 - mt_rand() / (mt_getrandmax() + 1))) * cos(2 * M_PI * mt_rand() / mt_getrandmax()); };
$csv = tempnam(sys_get_temp_dir(), "ab") . ".csv";
$f = fopen($csv, "w");
fwrite($f, "variant,y,conv,pre,look\n");
$xs = []; $ys = [];
for ($i = 0; $i < 20000; $i++) {
    $v = ["A", "B", "C", "D"][$i % 4];
    $z = $gauss();
    $y = 50 + 15 * (0.7 * $z + sqrt(0.51) * $gauss()) + ($v === "D" ? 1.0 : 0);
    $x = 100 + 20 * $z;
    $conv = (mt_rand() / mt_getrandmax()) < ($v === "D" ? 0.14 : 0.10) ? 1 : 0;
    fprintf($f, "%s,%.9f,%d,%s,%d\n", $v, $y, $conv, $i % 500 == 0 ? "" : sprintf("%.9f", $x), 1 + intdiv($i * 10, 20000));
    if ($i % 500 != 0) { $xs[] = round($x, 9); $ys[] = round($y, 9); }
}
fclose($f);

$d = Ecai\Stats::abtestCsv($csv, "variant", "conv");
echo $d["p_adjustment"], " ", implode(",", array_column($d["comparisons"], "variant")), "\n";
$ps = array_column($d["comparisons"], "p_value");
asort($ps);
$run = 0; $k = 0; $ok = true;
foreach ($ps as $i => $p) { /* Holm by hand */
    $run = max($run, min(1, (3 - $k++) * $p));
    $ok = $ok && abs($d["comparisons"][$i]["p_adjusted"] - $run) < 1e-12;
}
var_dump($ok, $d["comparisons"][2]["p_adjusted"] < 0.05, $d["comparisons"][2]["p_beats_control"] > 0.99);

$c = Ecai\Stats::abtestCsv($csv, "variant", "y", "mean", "A", ["covariate" => "pre"]);
$mx = array_sum($xs) / count($xs); $my = array_sum($ys) / count($ys); $sxy = 0; $sxx = 0;
foreach ($xs as $i => $x) { $sxy += ($x - $mx) * ($ys[$i] - $my); $sxx += ($x - $mx) ** 2; }
var_dump(abs($c["cuped"]["theta"] - $sxy / $sxx) < 1e-6 * abs($sxy / $sxx));
var_dump(abs($c["cuped"]["variance_reduction"] - 0.49) < 0.04, $c["cuped"]["missing_covariate"]);

$s = Ecai\Stats::abtestCsv($csv, "variant", "y", "mean", "A", ["sequential" => true, "look_column" => "look", "alpha" => 0.05]);
echo $s["sequential"]["looks"], " ", substr($s["sequential"]["method"], 0, 5), "\n";
var_dump($s["sequential"]["always_valid_p"] >= $s["p_value"]);
$g = Ecai\Stats::abtestCsv($csv, "variant", "y", "mean", "A", ["sequential" => true, "look_column" => "look", "sequential_method" => "obf"]);
echo count($g["sequential"]["boundaries"]), " ", substr($g["sequential"]["method"], 0, 16), "\n";
try {
    Ecai\Stats::abtestCsv($csv, "variant", "y", "mean", null, ["sequential" => true]);
} catch (Ecai\EcaiException $e) {
    echo Ecai\status_str($e->getCode()), "\n";
}
try {
    Ecai\Stats::abtestCsv($csv, "variant", "y", "mean", null, ["covariate" => "nope"]);
} catch (Ecai\EcaiException $e) {
    echo Ecai\status_str($e->getCode()), "\n";
}
unlink($csv);
?>
--EXPECT--
holm B,C,D
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(40)
10 mSPRT
bool(true)
10 group-sequential
ECAI_EINVAL: invalid argument
ECAI_ENOTFOUND: not found
