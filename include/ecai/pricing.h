/*
 * libecai — batch price suggestions ("analysis mode, not per request").
 *
 * Demand model ("poisson_irls_within_tier"). A shop's order export mixes prices that
 * depend on the order (quantity tiers, customer type, channel) with list-price changes
 * over time; only the latter show how demand responds to price. Per product:
 *  1. Tiers. With a segment column (and by_segment off) each segment with >= 5 % of the
 *     orders is a tier (the rest pooled). Within each day (and segment), when at least 3
 *     days (and >= 10 % of the days with several orders) show several prices and one
 *     order-size threshold separates the cheaper orders from the others (<= 15 % of
 *     those orders misplaced), orders from that size on form a discount tier; the search
 *     repeats on each side (up to 3 thresholds, 4 size tiers; "size_threshold" reports
 *     the lowest). When on >= 20 % of the days with several orders (and at least 3)
 *     orders of one size tier and segment still paid different prices, the product is
 *     not identified (prices depend on something the data does not show).
 *  2. Counts. Units are summed per period (day, or week with aggregate "week") and tier,
 *     from the first to the last sale: periods without sales count as zero, at the tier's
 *     price carried forward (backward before its first sale). The tier's price in a
 *     period is the quantity-weighted geometric mean of its order prices.
 *  3. Fit. Poisson regression with log link by IRLS: ln E[units] = b·ln(price) + tier
 *     level + linear trend + weekday (daily, >= 21 days) + one yearly-scale harmonic
 *     over the span (>= 120 days): b is identified only by price changes over time
 *     within a tier. Quasi-Poisson standard errors: the dispersion is estimated per tier
 *     (wholesale units are lumpier), the tiers weighted by it, and the 95 % interval is
 *     b ± t(0.975, rows - columns)·se. "r2" is the share of the Poisson deviance beyond
 *     the tier levels explained by the model.
 *  Assumptions: constant elasticity, the same in every tier; list-price changes are not
 *  timed to demand shocks other than trend, weekday and a slow season (promotions
 *  announced elsewhere, stock-outs and competitor moves are not seen); the order size
 *  mix does not depend on the price; zero-sale periods between the first and the last
 *  sale are real (the product was listed).
 *  Partial pooling (option pooling, default on). A thin product's own estimate is noisy
 *  (at 2-12 orders a day its standard error is typically 0.3-0.5), but the shop's
 *  products share a distribution of elasticities. ecai_pricing_run() first fits every
 *  product on its own; when at least 10 products identify an elasticity (not
 *  not_identified, thin_data, few_prices or low_price_variation) their estimates give a
 *  random-effects distribution (DerSimonian-Laird: mean weighted by 1/se², spread sd =
 *  the variance beyond the products' own standard errors, at least 0.15), and each of
 *  those products is refitted with it as a normal prior on b (penalised IRLS: the
 *  posterior mode; the same prior in the validation refit). Noisy estimates move towards
 *  the shop's mean and their intervals narrow; well-measured ones barely move. The
 *  result's "pooling" object reports the product's own estimate and the prior
 *  ({"elasticity_own","elasticity_own_se","prior_mean","prior_sd"}), null when not
 *  pooled. Assumption: the products of one run are exchangeable (one shop's catalog);
 *  a run mixing unrelated shops should set pooling 0.
 *  4. Validation out of time (validation_share, default 0.25): the model is refitted on
 *     the earlier periods and forecasts the held-out later periods' units at their
 *     prices; the no-change forecast keeps the recent level (the last 28 days or 4
 *     weeks before the hold-out, same weekday pattern). Both are scored by Poisson
 *     deviance; a model that does not beat no change is held back (not_validated).
 * A product gets a suggestion only when all checks pass; otherwise it is held back
 * with a reason code:
 *   thin_data            fewer than min_observations (period, tier) cells with sales
 *   not_identified       the history cannot identify an elasticity; "reason_detail" says
 *                        why: prices_set_only_by_order_size, prices_differ_only_by_segment,
 *                        prices_vary_between_orders_of_the_same_day,
 *                        price_changes_coincide_with_trend_or_season (the price variation
 *                        left after the trend/season controls is below min_price_variation),
 *                        history_spans_too_many_periods (over 4000 weeks; daily histories
 *                        over 4000 days are modelled by week)
 *   few_prices           fewer than min_distinct_prices distinct prices
 *   low_price_variation  standard deviation of ln(price) over time within tiers below
 *                        min_price_variation
 *   poor_fit             r2 below min_r2 or standard error of b above max_slope_se
 *   positive_elasticity  b >= 0: demand does not fall with price (confounded data)
 *   not_validated        the out-of-time check failed; "reason_detail":
 *                        does_not_beat_the_no_change_forecast,
 *                        no_price_change_in_the_validation_window,
 *                        no_price_change_before_the_validation_window,
 *                        history_too_short_to_hold_out, earlier_part_cannot_be_fitted
 *   no_cost              objective "margin" without a unit cost
 *   guardrail_conflict   the guardrails leave no admissible price
 *   no_improvement       the best admissible price is the current one
 * The objective under constant elasticity: revenue R(p) ∝ p^(1+b) (raise the price when
 * -1 < b < 0, lower it when b < -1); margin M(p) ∝ (p - c)·p^b, optimum p* = c·b/(1+b)
 * for b < -1, higher prices otherwise. The target is then bounded by the guardrails:
 * max_change per step (|p'/p - 1| <= max_change), floor, ceiling, MAP (minimum
 * advertised price: p' >= MAP) and minimum margin ((p' - c)/p' >= min_margin when c is
 * known), and rounded to cents. The current price is the price of the most recent
 * observation; the unit cost the most recent one given, else unit_cost_ratio × price
 * when that option is > 0.
 *
 * Each result is one JSON object (see ecai_pricing_run()). An optional rationale
 * callback (for example an LLM writing a short explanation) receives the finished
 * suggestion and may only add text: it can never change a number.
 */
#ifndef ECAI_PRICING_H
#define ECAI_PRICING_H

#include "ecai/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A batch pricing job: history, guardrails, options. */
typedef struct ecai_pricing ecai_pricing;

/** Options (value ranges encode the type: 1..99 strings, 100..199 ints, 200..299 doubles). */
typedef enum ecai_pricing_opt {
  ECAI_PRICING_OPT_OBJECTIVE = 1,              /**< "revenue" (default) or "margin" */
  ECAI_PRICING_OPT_AGGREGATE = 2,              /**< model period: "day" (default), "week"; "none" = "day" */
  ECAI_PRICING_OPT_MIN_OBSERVATIONS = 100,     /**< default 8 (period x tier cells with sales) */
  ECAI_PRICING_OPT_MIN_DISTINCT_PRICES = 101,  /**< default 3 */
  ECAI_PRICING_OPT_BY_SEGMENT = 102,           /**< 0 (default) or 1: one result per product and segment */
  ECAI_PRICING_OPT_POOLING = 103,              /**< 1 (default) or 0: partial pooling across products (see above) */
  ECAI_PRICING_OPT_MAX_CHANGE = 200,           /**< default 0.10 (10 % per step) */
  ECAI_PRICING_OPT_MIN_MARGIN = 201,           /**< default 0.20 */
  ECAI_PRICING_OPT_MIN_R2 = 202,               /**< default 0.10 (share of deviance explained) */
  ECAI_PRICING_OPT_MAX_SLOPE_SE = 203,         /**< default 0.30 (was 0.75 for the old log-log fit) */
  ECAI_PRICING_OPT_MIN_PRICE_VARIATION = 204,  /**< default 0.02 (sd of ln price) */
  ECAI_PRICING_OPT_UNIT_COST_RATIO = 205,      /**< default 0 (unknown cost stays unknown) */
  ECAI_PRICING_OPT_VALIDATION_SHARE = 206      /**< default 0.25: later share held out; 0 (off) or 0.1..0.5 */
} ecai_pricing_opt;

/**
 * Progress callback of ecai_pricing_run(): called every 1000 products and at the end.
 * Return 0 to continue, non-zero to cancel (the run returns ECAI_ECANCELED).
 */
typedef int (*ecai_pricing_progress_fn)(size_t done, size_t total, void *payload);

/**
 * Rationale callback: receives one finished result (JSON, NUL-terminated, `len` bytes)
 * and may write a NUL-terminated UTF-8 explanation of at most `cap` bytes (including
 * the NUL) into `buf`. Return 0 when text was written, non-zero for none. The text is
 * stored under "rationale"; it cannot change any figure.
 */
typedef int (*ecai_pricing_rationale_fn)(const char *result_json, size_t len, char *buf, size_t cap, void *payload);

/**
 * @brief Creates a pricing job. Defaults come from the context's "pricing" section
 * (objective, aggregate, min_observations, min_distinct_prices, max_change, min_margin,
 * min_r2, max_slope_se, min_price_variation, unit_cost_ratio, validation_share) or the
 * built-in defaults.
 * @param[out] out receives the handle; NULL on failure.
 * @param[in]  ctx a context, or NULL for the built-in defaults (not retained).
 * @return ECAI_OK; ECAI_EINVAL (NULL out, or a configured value out of range); ECAI_ENOMEM.
 * Ownership: free with ecai_pricing_free(). Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_new(ecai_pricing **out, const ecai_ctx *ctx);

/**
 * @brief Frees a pricing job. Accepts NULL.
 * Ownership: takes the handle. Thread-safety: not concurrently with other uses.
 * @since 0.1
 */
ECAI_API void ecai_pricing_free(ecai_pricing *p);

/**
 * @brief Sets a string option (ECAI_PRICING_OPT_OBJECTIVE, ECAI_PRICING_OPT_AGGREGATE).
 * @return ECAI_OK; ECAI_EINVAL (wrong type for the option or bad value);
 * ECAI_EUNSUPPORTED (unknown option).
 * Ownership: v is copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_set_str(ecai_pricing *p, ecai_pricing_opt opt, const char *v);

/**
 * @brief Sets an integer option (100..199).
 * @return ECAI_OK; ECAI_EINVAL (wrong type or out of range); ECAI_EUNSUPPORTED.
 * Ownership: none. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_set_int(ecai_pricing *p, ecai_pricing_opt opt, int64_t v);

/**
 * @brief Sets a double option (200..299). Fractions are in [0, 1) (max_change in (0, 1)).
 * @return ECAI_OK; ECAI_EINVAL (wrong type or out of range); ECAI_EUNSUPPORTED.
 * Ownership: none. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_set_double(ecai_pricing *p, ecai_pricing_opt opt, double v);

/**
 * @brief Adds one observation: `quantity` units sold at `price` at time `ts`.
 * @param[in] p          the job.
 * @param[in] product_id product id (non-empty UTF-8, <= 256 bytes).
 * @param[in] segment    segment (e.g. country, channel) or NULL.
 * @param[in] ts         unix seconds.
 * @param[in] price      unit price > 0.
 * @param[in] quantity   units > 0.
 * @param[in] unit_cost  unit cost >= 0, or a negative value / NaN when unknown.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: strings are copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_add(ecai_pricing *p, const char *product_id, const char *segment, int64_t ts,
                                      double price, double quantity, double unit_cost);

/**
 * @brief Sets per-product price bounds (apply to every segment of the product).
 * @param[in] p          the job.
 * @param[in] product_id product id.
 * @param[in] floor      lowest allowed price, or <= 0 for none.
 * @param[in] ceiling    highest allowed price, or <= 0 for none.
 * @param[in] map        minimum advertised price (price >= map), or <= 0 for none.
 * @return ECAI_OK; ECAI_EINVAL (floor > ceiling, NaN); ECAI_ENOMEM.
 * Ownership: product_id is copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_set_bounds(ecai_pricing *p, const char *product_id, double floor, double ceiling,
                                             double map);

/**
 * @brief Adds the measured result of a price test for one product (the loop with
 * experiments). A suggestion is tested by showing price_b to randomly assigned units
 * (visitors, sessions, or products of a group) and price_a to the others, for example
 * with ecai_experiment_assign() (variants "control" and "test", a hold-out kept at the
 * current price), counting purchases per group over its exposure (visitors, days). The
 * test's elasticity is b = ln((units_b/exposure_b) / (units_a/exposure_a)) / ln(price_b/price_a),
 * its standard error sqrt(1/units_a + 1/units_b) / |ln(price_b/price_a)| (Poisson
 * counts: pass orders rather than units when baskets hold several units, or the interval
 * is too narrow). Several tests of a product are pooled by inverse variance. At
 * ecai_pricing_run() the history estimate (when the history identifies one) and the
 * tests are combined by inverse variance; a randomized test needs no identification or
 * out-of-time check, so a product with a test is held back only for a wide combined
 * interval (max_slope_se), a positive elasticity or the guardrails. The result reports
 * "elasticity_source" ("history", "experiment", "history+experiment") and
 * "experiment":{"tests":n,"elasticity":…,"elasticity_se":…} (null without tests).
 * @param[in] p          the job.
 * @param[in] product_id product id (applies to every segment of the product).
 * @param[in] price_a, units_a, exposure_a  control group: price > 0, units > 0, exposure > 0.
 * @param[in] price_b, units_b, exposure_b  test group: price > 0 (at least 0.5 % away from
 *                       price_a), units > 0, exposure > 0.
 * @return ECAI_OK; ECAI_EINVAL (bad or non-finite numbers, equal prices); ECAI_ENOMEM.
 * Ownership: product_id is copied. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_add_experiment(ecai_pricing *p, const char *product_id, double price_a, double units_a,
                                                 double exposure_a, double price_b, double units_b, double exposure_b);

/**
 * @brief Loads history from a CSV file (plain or gzip). Two layouts, told apart by the
 * header: (1) generic `product_id,date,price,quantity[,unit_cost][,segment][,floor]
 * [,ceiling][,map]` (aliases: product/sku, ts/time, qty); every row must be valid;
 * (2) invoice lines `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,
 * CustomerID,Country` (the UCI Online Retail layout), cleaned on the way: cancellations
 * (InvoiceNo "C…"), stock codes not starting with five digits (postage, fees,
 * discounts, samples…) and non-positive quantities or prices are skipped; the segment
 * is the Country.
 * All-or-nothing: on error nothing of the file is kept.
 * @param[in] p    the job.
 * @param[in] path file path.
 * @return ECAI_OK; ECAI_EIO; ECAI_EPARSE (the message gives the line); ECAI_ENOMEM.
 * Ownership: none. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_load_file(ecai_pricing *p, const char *path);

/**
 * @brief Number of observations held (after cleaning).
 * @return the count (0 for NULL). Ownership: none. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API size_t ecai_pricing_count(const ecai_pricing *p);

/**
 * @brief Installs (or removes, with fn NULL) the rationale callback.
 * @return ECAI_OK; ECAI_EINVAL (NULL p).
 * Ownership: payload is passed through. Thread-safety: one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_set_rationale(ecai_pricing *p, ecai_pricing_rationale_fn fn, void *payload);

/**
 * @brief Runs the batch: one JSON object per line, per product (or product and
 * segment), in byte order of the id:
 * `{"product":…,"segment":…|null,"status":"suggest"|"hold","reason":CODE,
 * "reason_text":…,"observations":n,"distinct_prices":k,"current_price":…,
 * "suggested_price":…|null,"change":…|null,"elasticity":…|null,"elasticity_se":…,
 * "elasticity_ci95":[lo,hi],"r2":…,"unit_cost":…|null,"objective":…,
 * "expected_objective_change":…|null,"bounded_by":[…],"reason_detail":…|null,
 * "method":"poisson_irls_within_tier","periods":n,"tiers":{"count":k,"basis":"none"|
 * "order_size"|"segment"|"segment+order_size","size_threshold":units|null},
 * "validation":{"status":"passed"|"failed"|"not_run","detail":…|null,"periods":n,
 * "elasticity_earlier":…,"deviance_model":…,"deviance_no_change":…},"rationale":…}`
 * (reason "ok" for a suggestion; "observations" counts period x tier cells with sales;
 * "bounded_by" lists the guardrails that moved the target: max_change, floor, ceiling,
 * map, min_margin). The elasticity and its interval are reported whenever the model
 * could be fitted, also for most hold-backs.
 * @param[out] out      receives the JSON lines; free with ecai_free().
 * @param[out] out_len  receives their length (may be NULL).
 * @param[in]  p        the job.
 * @param[in]  progress progress callback or NULL; payload is passed to it.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ECANCELED (progress returned non-zero); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time; callbacks run
 * on the calling thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_pricing_run(char **out, size_t *out_len, ecai_pricing *p, ecai_pricing_progress_fn progress,
                                      void *payload);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_PRICING_H */
