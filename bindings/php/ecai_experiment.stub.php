<?php
/**
 * libecai PHP extension: experiments, KPI metrics, statistics and batch pricing.
 * Keep ecai_experiment_arginfo.h in step with this file by hand (gen_stub.php needs network).
 * @generate-class-entries
 */
namespace Ecai;

/** Deterministic A/B assignment (XXH3 of salt "\0" unit), holdout, exposure log. */
final class Experiment {
    /** @param array $variants list of [name, weight] pairs (or names, weight 1) in design order */
    public function __construct(string $name, string $salt, array $variants = [], float $holdout = 0.0, ?string $holdoutSalt = null) {}
    public function addVariant(string $name, float $weight = 1.0): void {}
    public function setHoldout(float $fraction, ?string $holdoutSalt = null): void {}
    /** Variant name or "holdout". */
    public function assign(string $unit): string {}
    /** Assigns and logs an exposure at unix time $ts. */
    public function expose(string $unit, int $ts = 0): string {}
    public function summary(): array {}
    public function logJsonl(): string {}
    /** The assignment point u in [0, 1) of (salt, unit). */
    public static function hashPoint(string $salt, string $unit): float {}
}

/** KPI events (exposure, add_to_cart, order, ticket_opened, ticket_bot_answered, ticket_escalated). */
final class Kpi {
    public function __construct() {}
    public function record(int $ts, string $unit, string $event, ?string $variant = null, float $value = 0.0): void {}
    public function loadFile(string $path): void {}
    public function load(string $data): void {}
    public function count(): int {}
    public function metrics(string $period = "day"): array {}
    public function report(?string $control = null, ?int $launchTs = null): array {}
}

/** Significance tests. */
final class Stats {
    public static function normalCdf(float $x): float {}
    public static function tCdf(float $t, float $df): float {}
    public static function chi2Sf(float $x, float $df): float {}
    public static function proportions(int $xControl, int $nControl, int $xTreatment, int $nTreatment, float $confidence = 0.95): array {}
    public static function welch(array $control, array $treatment, float $confidence = 0.95): array {}
    /** @return array{0: float, 1: float} chi2 and p-value */
    public static function srm(array $counts, ?array $weights = null): array {}
    public static function sampleSize(float $baseline, float $mdeAbs, float $alpha = 0.05, float $power = 0.8): int {}
    /**
     * The `ecai abtest --json` document; $metric "proportion" or "mean". $options takes the
     * keys of ecai_abtest_csv_opts_json(): "covariate" (CUPED), "sequential" => true with
     * "look_column" (mSPRT), "alpha", "tau", "seed", "draws".
     */
    public static function abtestCsv(string $path, string $variantColumn, string $metricColumn, string $metric = "proportion", ?string $control = null, array $options = []): array {}
}

/** Batch price suggestions with guardrails. */
final class Pricing {
    /** @param array $options objective, aggregate, min_observations, min_distinct_prices, by_segment, max_change, min_margin, min_r2, max_slope_se, min_price_variation, unit_cost_ratio, validation_share */
    public function __construct(array $options = [], ?string $configJson = null) {}
    public function set(string $name, string|int|float $value): void {}
    public function add(string $product, float $price, float $quantity, int $ts = 0, ?string $segment = null, ?float $unitCost = null): void {}
    public function setBounds(string $product, float $floor = 0.0, float $ceiling = 0.0, float $map = 0.0): void {}
    /** A price test's result (randomly assigned groups, e.g. by Ecai\Experiment::assign()); combined with the history estimate at run(). */
    public function addExperiment(string $product, float $controlPrice, float $controlUnits, float $controlExposure, float $testPrice, float $testUnits, float $testExposure): void {}
    public function loadFile(string $path): void {}
    public function count(): int {}
    /** One associative array per product (suggestion or hold-back reason). */
    public function run(): array {}
}
