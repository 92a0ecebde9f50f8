/*
 * libecai — experiments: deterministic A/B assignment, exposure logging, KPI events
 * and metrics, significance tests and a before/after report.
 *
 * ASSIGNMENT (reproducible in any language):
 *   h = XXH3_64bits(salt || 0x00 || unit_id)   (seed 0; salt and unit_id as raw UTF-8
 *                                              bytes, no terminators; 0x00 one byte)
 *   u = (h >> 11) * 2^-53                       (a double in [0, 1))
 *   Variants are taken in the order they were added with weights w_i > 0; with
 *   W = w_1 + ... + w_k and c_i = (w_1 + ... + w_i) / W computed in IEEE double,
 *   the unit gets the first variant i with u < c_i (the last one if rounding leaves
 *   none).
 *   Holdout (optional, fraction f): hh = XXH3_64bits(hsalt || 0x00 || unit_id) with
 *   hsalt the holdout salt (default: salt followed by the 8 bytes "#holdout");
 *   uh = (hh >> 11) * 2^-53; the unit is held out ("holdout") when uh < f. A holdout
 *   salt shared by several experiments gives one global holdout group.
 *   PHP: u = hexdec-of(hash('xxh3', $salt . "\0" . $unit)) >> 11, times 2**-53
 *   (hash() prints the canonical big-endian hex of h).
 *
 * KPI EVENTS: (time, unit, variant, event, value) with event one of exposure,
 * add_to_cart, order (value = order amount), ticket_opened, ticket_bot_answered,
 * ticket_escalated. Files: CSV with a header naming at least `ts` (or `time`,
 * `timestamp`, `date`), `unit` (or `unit_id`, `user`, `visitor`), `event` (or
 * `type`), optional `variant` and `value`; or JSON lines with the same keys. Times
 * are ISO 8601 (`YYYY-MM-DD[THH:MM[:SS]][Z]`, UTC) or unix seconds. gzip is read
 * transparently.
 *
 * METRICS (per variant, per period and overall):
 *   visitors            distinct units with an exposure (units with any event when a
 *                       group has no exposure at all)
 *   conversion_rate     distinct units with >= 1 order / visitors
 *   aov                 order value / orders
 *   revenue_per_visitor order value / visitors
 *   checkout_abandonment  units with add_to_cart and no order / units with add_to_cart
 *   tickets             ticket_opened events; tickets_per_1000_visitors
 *   bot_deflection_rate 1 - ticket_escalated / ticket_opened (clamped to [0, 1])
 */
#ifndef ECAI_EXPERIMENT_H
#define ECAI_EXPERIMENT_H

#include "ecai/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Assignment and exposure log                                                */
/* ------------------------------------------------------------------------- */

/** An experiment: salt, weighted variants, optional holdout, in-memory exposure log. */
typedef struct ecai_experiment ecai_experiment;

/**
 * @brief Creates an experiment with no variants yet.
 * @param[out] out  receives the handle; NULL on failure.
 * @param[in]  name experiment name (used in logs and reports; non-empty).
 * @param[in]  salt the assignment salt (any bytes but NUL; often the name plus a version;
 *                  non-empty). Changing it reshuffles every unit.
 * @return ECAI_OK; ECAI_EINVAL (NULL or empty argument); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_experiment_free(); strings are copied.
 * Thread-safety: a handle is used by one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_new(ecai_experiment **out, const char *name, const char *salt);

/**
 * @brief Frees an experiment and its exposure log. Accepts NULL.
 * Ownership: takes the handle. Thread-safety: not concurrently with other uses.
 * @since 0.1
 */
ECAI_API void ecai_experiment_free(ecai_experiment *e);

/**
 * @brief Appends a variant. Order matters for the assignment (see the file comment).
 * @param[in] e      the experiment.
 * @param[in] name   unique variant name, not "holdout", at most 127 bytes.
 * @param[in] weight relative weight > 0 (e.g. 50 and 50, or 0.9 and 0.1).
 * @return ECAI_OK; ECAI_EINVAL (bad name or weight, duplicate); ECAI_ESTATE (a unit was
 * already assigned: the design is frozen); ECAI_ENOMEM.
 * Ownership: name is copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_add_variant(ecai_experiment *e, const char *name, double weight);

/**
 * @brief Sets a holdout group: a fraction of units that never enters the experiment.
 * @param[in] e            the experiment.
 * @param[in] fraction     0 <= fraction < 1 (0 disables the holdout).
 * @param[in] holdout_salt salt of the holdout hash, or NULL for salt + "#holdout".
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ESTATE (after the first assignment); ECAI_ENOMEM.
 * Ownership: holdout_salt is copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_set_holdout(ecai_experiment *e, double fraction, const char *holdout_salt);

/**
 * @brief Assigns a unit (visitor, customer, session) to a variant, deterministically.
 * Freezes the design. Does not log an exposure (see ecai_experiment_expose()).
 * @param[out] out_variant receives the variant name, or "holdout".
 * @param[in]  e           the experiment (at least one variant).
 * @param[in]  unit        unit id bytes (UTF-8, need not be NUL-terminated).
 * @param[in]  unit_len    length of unit in bytes.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument); ECAI_ESTATE (no variant).
 * Ownership: *out_variant is borrowed from e, valid until e is freed.
 * Thread-safety: one thread at a time (the call freezes the handle).
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_assign(const char **out_variant, ecai_experiment *e, const char *unit,
                                            size_t unit_len);

/**
 * @brief Assigns a unit and appends an exposure event (time, unit, variant) to the
 * in-memory log.
 * @param[out] out_variant receives the variant name or "holdout" (may be NULL).
 * @param[in]  e           the experiment.
 * @param[in]  unit        unit id bytes; unit_len its length (at most 1024 bytes).
 * @param[in]  ts          event time, unix seconds.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ESTATE (no variant); ECAI_ENOMEM.
 * Ownership: *out_variant is borrowed from e. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_expose(const char **out_variant, ecai_experiment *e, const char *unit,
                                            size_t unit_len, int64_t ts);

/**
 * @brief The exposure log summary as JSON: `{"experiment":NAME,"salt":…,"holdout":f,
 * "exposures":N,"variants":[{"name":…,"weight":…,"exposures":…,"units":…},…],
 * "holdout_exposures":…,"holdout_units":…,"srm_chi2":…,"srm_p_value":…}` (SRM test of
 * the distinct units per variant against the weights; null with fewer than 2 variants
 * or no exposure).
 * @param[out] out     receives the JSON text; free with ecai_free().
 * @param[out] out_len receives its length (may be NULL).
 * @param[in]  e       the experiment.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_summary_json(char **out, size_t *out_len, const ecai_experiment *e);

/**
 * @brief The exposure log as JSON lines, one event per line:
 * `{"ts":UNIX,"unit":…,"variant":…,"event":"exposure"}` — the format
 * ecai_kpi_load_buffer() reads back.
 * @param[out] out     receives the text ("" when empty); free with ecai_free().
 * @param[out] out_len receives its length (may be NULL).
 * @param[in]  e       the experiment.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_log_jsonl(char **out, size_t *out_len, const ecai_experiment *e);

/**
 * @brief The assignment hash point u in [0, 1) for (salt, unit) — the number the
 * variant choice compares against the cumulative weights. For cross-language checks.
 * @param[out] out_u    receives u.
 * @param[in]  salt     NUL-terminated salt.
 * @param[in]  unit     unit id bytes; unit_len its length.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument).
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_experiment_hash_point(double *out_u, const char *salt, const char *unit, size_t unit_len);

/* ------------------------------------------------------------------------- */
/* KPI events and metrics                                                     */
/* ------------------------------------------------------------------------- */

/** A store of KPI events (see the file comment for the event kinds and metrics). */
typedef struct ecai_kpi ecai_kpi;

/** KPI event kinds. */
typedef enum ecai_kpi_event {
  ECAI_KPI_EXPOSURE = 1,
  ECAI_KPI_ADD_TO_CART = 2,
  ECAI_KPI_ORDER = 3,
  ECAI_KPI_TICKET_OPENED = 4,
  ECAI_KPI_TICKET_BOT_ANSWERED = 5,
  ECAI_KPI_TICKET_ESCALATED = 6
} ecai_kpi_event;

/**
 * @brief Creates an empty event store.
 * @param[out] out receives the handle; NULL on failure.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: free with ecai_kpi_free(). Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kpi_new(ecai_kpi **out);

/**
 * @brief Frees an event store. Accepts NULL.
 * Ownership: takes the handle. Thread-safety: not concurrently with other uses.
 * @since 0.1
 */
ECAI_API void ecai_kpi_free(ecai_kpi *k);

/**
 * @brief Records one event.
 * @param[in] k       the store.
 * @param[in] ts      unix seconds (UTC).
 * @param[in] unit    unit id (NUL-terminated, non-empty, <= 1024 bytes).
 * @param[in] variant variant name, or NULL/"" for none (before/after data).
 * @param[in] event   the kind.
 * @param[in] value   order amount for ECAI_KPI_ORDER (finite, >= 0), ignored otherwise.
 * @return ECAI_OK; ECAI_EINVAL (bad kind, value, NULL unit); ECAI_ENOMEM.
 * Ownership: strings are copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kpi_record(ecai_kpi *k, int64_t ts, const char *unit, const char *variant,
                                     ecai_kpi_event event, double value);

/**
 * @brief Loads events from a CSV or JSON-lines file (optionally gzip-compressed);
 * the format is detected from the first non-blank byte (`{` = JSON lines).
 * All-or-nothing: on error no event of the file is kept.
 * @param[in] k    the store.
 * @param[in] path file path.
 * @return ECAI_OK; ECAI_EIO (unreadable); ECAI_EPARSE (bad row: the message gives the
 * line and the problem); ECAI_ENOMEM.
 * Ownership: none. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kpi_load_file(ecai_kpi *k, const char *path);

/**
 * @brief Loads events from memory (CSV or JSON lines, as ecai_kpi_load_file()).
 * @param[in] k    the store.
 * @param[in] data the text; len its length in bytes.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EPARSE; ECAI_ENOMEM.
 * Ownership: data is copied as needed. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kpi_load_buffer(ecai_kpi *k, const char *data, size_t len);

/**
 * @brief Number of events recorded.
 * @return the count (0 for NULL).
 * Ownership: none. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API size_t ecai_kpi_count(const ecai_kpi *k);

/**
 * @brief Metrics per variant, overall and per period, as JSON:
 * `{"events":N,"variants":[{"name":…,"visitors":…,"orders":…,"revenue":…,
 * "conversion_rate":…,"aov":…,"revenue_per_visitor":…,"checkout_abandonment":…,
 * "tickets":…,"tickets_per_1000_visitors":…,"bot_deflection_rate":…},…],
 * "periods":[{"period":"2024-05-06","variants":[…same fields…]},…]}`.
 * Rates with a zero denominator are null. Events without a variant are grouped
 * under the name "(none)".
 * @param[out] out     receives the JSON text; free with ecai_free().
 * @param[out] out_len receives its length (may be NULL).
 * @param[in]  k       the store.
 * @param[in]  period  "day", "week" (ISO weeks, labelled by their Monday), "month" or
 *                     "none" (no per-period breakdown); NULL = "day".
 * @return ECAI_OK; ECAI_EINVAL (unknown period); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kpi_metrics_json(char **out, size_t *out_len, const ecai_kpi *k, const char *period);

/**
 * @brief A/B report as JSON: the metrics per variant plus, for each variant against
 * the control, a two-proportion z-test on conversion, Welch's t-test and a bootstrap
 * 95 % interval (1000 resamples, seed 42) on revenue per visitor (per-unit revenue,
 * zeros included),
 * and a sample-ratio-mismatch test of visitors against equal weights:
 * `{"control":…,"variants":[…],"comparisons":[{"variant":…,"conversion":{"diff","lift",
 * "z","p_value","ci":[lo,hi]},"revenue_per_visitor":{"diff","lift","t","df","p_value",
 * "ci":[…],"bootstrap_ci":[…]}}],"srm":{"chi2":…,"df":…,"p_value":…,"flag":bool}}`.
 * Each comparison also carries the guardrail metrics "checkout_abandonment" (z-test among
 * units with a cart: {"control_rate","rate","diff","p_value","ci"}) and
 * "tickets_per_visitor" (Welch on tickets per unit: {"control","value","diff","p_value",
 * "ci"}) (null when not measurable), a "p_adjusted" in every metric object (Holm over
 * the variants, per metric) and `"guardrails":[{"metric","better":"higher"|"lower",
 * "flag":bool}]`: flag is true when the metric moved the wrong way with p_adjusted < 0.05
 * (`ecai report` prints those as GUARDRAIL lines). "conversion" also holds a
 * "sequential" object as in ecai_abtest_csv_opts_json() (mSPRT at alpha 0.05, one look per
 * UTC day of the units' first event), whose boundary `ecai report --chart` draws.
 * When launch_ts is not INT64_MIN a "before_after" object compares the period before
 * launch_ts with the period from it on (all units, ignoring variants): the same metrics
 * for both sides and the same tests (after against before).
 * @param[out] out       receives the JSON text; free with ecai_free().
 * @param[out] out_len   receives its length (may be NULL).
 * @param[in]  k         the store.
 * @param[in]  control   the control variant name, or NULL for the first name in byte order.
 * @param[in]  launch_ts unix seconds of the launch, or INT64_MIN for no before/after.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOTFOUND (control not present); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kpi_report_json(char **out, size_t *out_len, const ecai_kpi *k, const char *control,
                                          int64_t launch_ts);

/* ------------------------------------------------------------------------- */
/* Statistics                                                                 */
/* ------------------------------------------------------------------------- */

/**
 * @brief Standard normal CDF Φ(x) (via erfc).
 * @return Φ(x). Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API double ecai_stats_normal_cdf(double x);

/**
 * @brief Inverse of the standard normal CDF.
 * @return x with Φ(x) = p; ±infinity at 0/1; NaN outside [0, 1].
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API double ecai_stats_normal_ppf(double p);

/**
 * @brief Student t CDF with df degrees of freedom (regularized incomplete beta).
 * @return P(T <= t); NaN when df <= 0.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API double ecai_stats_t_cdf(double t, double df);

/**
 * @brief Chi-square survival function P(X >= x) (1 df via erfc, others via the
 * regularized incomplete gamma).
 * @return the upper tail; NaN when df <= 0.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API double ecai_stats_chi2_sf(double x, double df);

/**
 * @brief Two-proportion z-test (pooled SE), interval on the difference (unpooled SE),
 * relative lift. JSON: `{"control":{"n","successes","rate"},"treatment":{…},"diff",
 * "lift","z","p_value","ci":[lo,hi],"confidence"}` (lift as a fraction).
 * @param[out] out, out_len   the JSON (free with ecai_free()); out_len may be NULL.
 * @param[in]  x_control, n_control, x_treatment, n_treatment  successes and trials.
 * @param[in]  confidence     e.g. 0.95.
 * @return ECAI_OK; ECAI_EINVAL (x > n, n <= 0, confidence outside (0,1)); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_stats_proportions_json(char **out, size_t *out_len, int64_t x_control,
                                                 int64_t n_control, int64_t x_treatment, int64_t n_treatment,
                                                 double confidence);

/**
 * @brief Welch's t-test on two samples (Welch–Satterthwaite df), interval on the
 * difference of means (treatment − control). JSON: `{"control":{"n","mean","variance"},
 * "treatment":{…},"diff","lift","t","df","p_value","ci":[lo,hi],"confidence"}`.
 * @param[out] out, out_len  the JSON (free with ecai_free()); out_len may be NULL.
 * @param[in]  control, n_control, treatment, n_treatment  the samples (n >= 2 each).
 * @param[in]  confidence    e.g. 0.95.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out; inputs are read only. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_stats_welch_json(char **out, size_t *out_len, const double *control, size_t n_control,
                                           const double *treatment, size_t n_treatment, double confidence);

/**
 * @brief Percentile bootstrap interval of mean(treatment) − mean(control):
 * `iterations` resamples with replacement drawn from a splitmix64 stream seeded
 * with `seed` (same inputs and seed → same interval on every machine).
 * @param[out] out_lo, out_hi  the interval.
 * @param[in]  control, n_control, treatment, n_treatment  the samples (non-empty).
 * @param[in]  iterations >= 10 (e.g. 2000); confidence e.g. 0.95; seed any value.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_stats_bootstrap_diff(double *out_lo, double *out_hi, const double *control,
                                               size_t n_control, const double *treatment, size_t n_treatment,
                                               size_t iterations, double confidence, uint64_t seed);

/**
 * @brief Sample-ratio-mismatch chi-square test of observed group sizes against design
 * weights (k − 1 degrees of freedom).
 * @param[out] out_chi2, out_p  the statistic and its p-value.
 * @param[in]  counts   k observed counts (>= 0).
 * @param[in]  weights  k design weights (> 0), or NULL for equal weights.
 * @param[in]  k        2..1000 groups.
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_stats_srm(double *out_chi2, double *out_p, const int64_t *counts, const double *weights,
                                    size_t k);

/**
 * @brief Units per arm for a two-sided two-proportion test (Fleiss, no continuity
 * correction): n = (z_{1−α/2}·√(2 p̄(1−p̄)) + z_{power}·√(p1(1−p1)+p2(1−p2)))² / δ²,
 * p2 = p1 + δ, p̄ = (p1+p2)/2, rounded up.
 * @param[out] out_n_per_arm the sample size per arm.
 * @param[in]  baseline p1; mde_abs δ (absolute, non-zero); alpha e.g. 0.05; power e.g. 0.8.
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_stats_sample_size(double *out_n_per_arm, double baseline, double mde_abs, double alpha,
                                            double power);

/**
 * @brief Minimum detectable (absolute, upward) effect for n units per arm: the δ for
 * which ecai_stats_sample_size() (before rounding) equals n.
 * @param[out] out_mde_abs δ.
 * @param[in]  baseline, n_per_arm, alpha, power  as in ecai_stats_sample_size().
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_stats_mde(double *out_mde_abs, double baseline, double n_per_arm, double alpha,
                                    double power);

/** Metric kinds of ecai_abtest_csv_json(). */
typedef enum ecai_abtest_metric {
  ECAI_ABTEST_PROPORTION = 1, /**< 0/1, true/false, TRUE/FALSE values; two-proportion z-test */
  ECAI_ABTEST_MEAN = 2        /**< numbers; Welch's t-test */
} ecai_abtest_metric;

/**
 * @brief A/B test straight from a CSV file (plain or gzip) with one row per unit:
 * `{"metric":"proportion"|"mean","control":…,"treatment":…,"variants":[{"name","n",
 * "mean"[,"successes"|"variance"]},…],"lift":…,"statistic":…,"p_value":…,"ci95":[lo,hi],
 * "srm_chi2":…,"srm_p_value":…}`. Variants are listed control first, then in byte
 * order; the test compares the first non-control variant with the control; lift is a
 * fraction; ci95 is the 95 % interval of treatment − control; the SRM test is against
 * equal weights over all variants.
 * Every variant is also compared with the control:
 * `"comparisons":[{"variant","diff","lift","statistic","ci95":[lo,hi],"p_value",
 * "p_adjusted","p_beats_control","expected_loss"},…]` in the order of "variants",
 * with `"p_adjustment":"holm"`: p_adjusted are Holm's step-down adjusted p-values over
 * the k − 1 comparisons (reject where p_adjusted <= alpha controls the family-wise error
 * rate); the top-level fields keep describing the first comparison. Bayesian read-out
 * (higher is better): p_beats_control = P(variant > control), expected_loss =
 * E[max(control − variant, 0)] in metric units (the expected cost of shipping the
 * variant); proportions use Beta(1,1) priors and the Beta-Binomial posteriors sampled
 * with 20000 seeded draws (seed 42; same result on every machine), means use the
 * normal approximation N(diff, se²); `"bayesian":{"method",…}` says which.
 * Degenerate data never yields NaN: no variation at all (for example zero conversions in
 * both groups) gives p_value 1 (0 when the means differ with zero variance) and a
 * zero-width interval; lift is null when the control mean is 0. Up to 1000 variants.
 * @param[out] out, out_len     the JSON (free with ecai_free()); out_len may be NULL.
 * @param[in]  path             the CSV file (header row required).
 * @param[in]  variant_column   header name of the variant column.
 * @param[in]  metric_column    header name of the metric column.
 * @param[in]  metric           ECAI_ABTEST_PROPORTION or ECAI_ABTEST_MEAN.
 * @param[in]  control          control variant name, or NULL for the first in byte order.
 * @return ECAI_OK; ECAI_EIO; ECAI_EPARSE (bad value: the message gives the line);
 * ECAI_ENOTFOUND (column or control missing); ECAI_EINVAL (fewer than two variants,
 * too few rows); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_abtest_csv_json(char **out, size_t *out_len, const char *path, const char *variant_column,
                                          const char *metric_column, ecai_abtest_metric metric, const char *control);

/**
 * @brief ecai_abtest_csv_json() with options: CUPED and sequential testing.
 * `options_json` is NULL, "" or a JSON object with any of:
 *  - `"covariate": COL` — CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the
 *    sensitivity of online controlled experiments by utilizing pre-experiment data"):
 *    COL holds a pre-experiment value per unit; theta = cov(Y, X) / var(X) pooled over all
 *    units of all variants, and every test (comparisons, Bayesian, sequential) runs on
 *    Y − theta (X − mean X) with Welch's t-test (also for proportions). Missing covariates
 *    (empty, NA, NaN, null) are imputed at the mean of X, so those units keep their
 *    unadjusted value; none is dropped and their count is reported. A covariate that is
 *    not a number is ECAI_EPARSE (with the line); all missing is ECAI_EINVAL; a constant
 *    covariate gives theta 0. Adds `"cuped":{"covariate","theta","covariate_mean",
 *    "missing_covariate","variance_reduction"}` (variance_reduction = 1 − Var(adjusted
 *    diff) / Var(unadjusted diff) of the first comparison, about rho² for a covariate
 *    correlated rho with the metric) and "mean_adjusted" per variant; "diff", "ci95",
 *    "p_value" and "comparisons" become the adjusted ones (lift over the raw control mean).
 *  - `"sequential": true, "look_column": COL` — the mixture sequential probability ratio
 *    test, mSPRT (Johari, Koomen, Pekelis & Walsh 2017, "Peeking at A/B tests: why it
 *    matters, and what to do about it", KDD; Robbins 1970): each distinct value of COL
 *    (numbers or ISO dates; rows may come in any order; the looks are the sorted distinct
 *    values) is a look at all units with a value up to it. At each look the difference d of
 *    the first comparison has variance s² (pooled under H0 for proportions, Welch's for
 *    means or CUPED) and the mixture likelihood ratio over delta ~ N(0, tau²) is
 *    L = sqrt(s²/(s²+tau²)) exp(d² tau² / (2 s² (s²+tau²))); the always-valid p-value is
 *    p_k = min(p_{k−1}, 1/L_k), p_0 = 1, valid however often one looks and whenever one
 *    stops. Looks where a group has fewer than 2 units carry no evidence. Adds
 *    `"sequential":{"method","reject","looks","stopped_at","stopped_at_look",
 *    "always_valid_p","always_valid_p_by_look":[…],"z_by_look":[…],"boundaries":[…],
 *    "alpha","tau"}` (boundaries: the |z| at which each look would reject, null where a
 *    look carries no evidence; z = d / s): reject is
 *    always_valid_p <= alpha, stopped_at the 1-based index of the first look where
 *    p_k <= alpha (null if none) and stopped_at_look that look's value (dates as unix
 *    seconds). A look value that is neither a number nor a date is ECAI_EPARSE.
 *  - `"sequential_method": "obf"` (default "msprt") — instead a group-sequential design
 *    with Lan-DeMets O'Brien-Fleming-type alpha spending (Lan & DeMets 1983, "Discrete
 *    sequential boundaries for clinical trials", Biometrika; each side spends
 *    2 − 2 Phi(z_{1−alpha/4}/sqrt t)), boundaries by recursive numerical integration
 *    (Jennison & Turnbull 2000, ch. 19; 5 equal looks at alpha 0.05 give 4.877, 3.357,
 *    2.680, 2.290, 2.031). The information fraction of a look is 1/(1/n_c + 1/n_t)
 *    relative to the last look in the file, so the design is valid when the last look
 *    is the planned end of the experiment (use the mSPRT for open-ended monitoring); more
 *    power than the mSPRT at the planned end. At most 100 looks. always_valid_p is then
 *    the repeated p-value (the smallest alpha whose boundaries are crossed at some look);
 *    "information_fractions" replaces "always_valid_p_by_look" and "tau".
 *  - `"alpha": x` (0 < x < 1, default 0.05) for the sequential decision.
 *  - `"tau": x` (> 0) the mixing standard deviation in metric units; by default
 *    tau² = 8 s² at the last look, which puts the tightest boundary near the last look
 *    (about |z| >= 3.0 there at alpha 0.05). Fix tau in advance when analysing day by day.
 *  - `"seed": n`, `"draws": n` (1000..1000000) for the Bayesian draws (42, 20000).
 * Unknown keys, bad values, look_column or sequential_method without sequential, sequential
 * without look_column, more than 100 looks with "obf" are ECAI_EINVAL.
 * @param[in] options_json the options (see above), or NULL.
 * Other parameters, results, ownership and errors as ecai_abtest_csv_json();
 * ECAI_ENOTFOUND also for a missing covariate or look column.
 * Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_abtest_csv_opts_json(char **out, size_t *out_len, const char *path,
                                               const char *variant_column, const char *metric_column,
                                               ecai_abtest_metric metric, const char *control,
                                               const char *options_json);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_EXPERIMENT_H */
