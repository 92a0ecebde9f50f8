--TEST--
Ecai\Stats: reference figures of tests/data/ab_small.csv, textbook values, SRM, sample size
--EXTENSIONS--
ecai
--FILE--
<?php
$root = getenv("ECAI_ROOT") ?: __DIR__ . "/../../..";
$csv = "$root/tests/data/ab_small.csv"; // figures: tests/data/tools/gen_ab_small.py (independent Python)
$d = Ecai\Stats::abtestCsv($csv, "version", "retention_7");
printf("%d %d z=%.4f p=%.6f ci=[%.6f, %.6f] lift=%.3f%% srm_p=%.4f\n", $d["variants"][0]["n"], $d["variants"][1]["n"],
       $d["statistic"], $d["p_value"], $d["ci95"][0], $d["ci95"][1], 100 * $d["lift"], $d["srm_p_value"]);
$w = Ecai\Stats::abtestCsv($csv, "version", "sum_gamerounds", "mean");
printf("welch t=%.3f\n", $w["statistic"]);
printf("%.10f %.10f %.6f\n", Ecai\Stats::normalCdf(1.96), Ecai\Stats::tCdf(1.0, 1), Ecai\Stats::chi2Sf(3.841458820694124, 1));
[$chi2, $p] = Ecai\Stats::srm([44700, 45489]);
printf("srm chi2=%.3f p=%.4f\n", $chi2, $p);
var_dump(Ecai\Stats::sampleSize(0.10, 0.02));
$r = Ecai\Stats::proportions(8502, 44700, 8279, 45489);
printf("z=%.4f\n", $r["z"]);
$t = Ecai\Stats::welch([1, 2, 3, 4], [2, 4, 6, 8]);
printf("t=%.6f\n", $t["t"]);
try { Ecai\Stats::abtestCsv($csv, "version", "nope"); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
try { Ecai\Stats::proportions(5, 4, 1, 10); } catch (Ecai\EcaiException $x) { echo $x->getCode(), "\n"; }
?>
--EXPECT--
2091 1909 z=-2.4026 p=0.016281 ci=[-0.052940, -0.005466] lift=-15.078% srm_p=0.0040
welch t=-3.601
0.9750021049 0.7500000000 0.050000
srm chi2=6.902 p=0.0086
int(3841)
z=-3.1644
t=1.732051
-4
-2
