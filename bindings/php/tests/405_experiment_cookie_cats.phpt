--TEST--
Ecai\Stats: the Cookie Cats reference figures (outside data; skipped when absent)
--EXTENSIONS--
ecai
--SKIPIF--
<?php
$data = getenv("ECAI_DATA") ?: (getenv("ECAI_ROOT") ?: __DIR__ . "/../../..") . "/../shared/data";
$csv = "$data/experiments/cookie_cats/cookie_cats.csv";
if (!is_readable($csv)) die("skip no outside data (looked for $csv; set ECAI_DATA to the data folder)");
?>
--FILE--
<?php
$data = getenv("ECAI_DATA") ?: (getenv("ECAI_ROOT") ?: __DIR__ . "/../../..") . "/../shared/data";
$csv = "$data/experiments/cookie_cats/cookie_cats.csv";
$d = Ecai\Stats::abtestCsv($csv, "version", "retention_7");
printf("%d %d z=%.4f p=%.6f ci=[%.6f, %.6f] lift=%.3f%% srm_p=%.4f\n", $d["variants"][0]["n"], $d["variants"][1]["n"],
       $d["statistic"], $d["p_value"], $d["ci95"][0], $d["ci95"][1], 100 * $d["lift"], $d["srm_p_value"]);
$w = Ecai\Stats::abtestCsv($csv, "version", "sum_gamerounds", "mean");
printf("welch t=%.3f\n", $w["statistic"]);
?>
--EXPECT--
44700 45489 z=-3.1644 p=0.001554 ci=[-0.013282, -0.003121] lift=-4.312% srm_p=0.0086
welch t=-0.885
