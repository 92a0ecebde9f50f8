/*
 * libecai — batch price suggestions ("analysis mode, not per request").
 *
 * From price/quantity history per product (optionally per segment) the elasticity b
 * is estimated by ordinary least squares on ln(quantity) = a + b·ln(price), over
 * observations aggregated per period and price (quantities summed). A product gets a
 * suggestion only when the data is rich enough and the fit good enough; otherwise it
 * is held back with a reason code:
 *   thin_data            fewer than min_observations aggregated observations
 *   few_prices           fewer than min_distinct_prices distinct prices
 *   low_price_variation  standard deviation of ln(price) below min_price_variation
 *   poor_fit             R² below min_r2 or standard error of b above max_slope_se
 *   positive_elasticity  b >= 0: demand does not fall with price (confounded data)
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
  ECAI_PRICING_OPT_AGGREGATE = 2,              /**< "day" (default), "week" or "none" */
  ECAI_PRICING_OPT_MIN_OBSERVATIONS = 100,     /**< default 8 */
  ECAI_PRICING_OPT_MIN_DISTINCT_PRICES = 101,  /**< default 3 */
  ECAI_PRICING_OPT_BY_SEGMENT = 102,           /**< 0 (default) or 1: one result per product and segment */
  ECAI_PRICING_OPT_MAX_CHANGE = 200,           /**< default 0.10 (10 % per step) */
  ECAI_PRICING_OPT_MIN_MARGIN = 201,           /**< default 0.20 */
  ECAI_PRICING_OPT_MIN_R2 = 202,               /**< default 0.10 */
  ECAI_PRICING_OPT_MAX_SLOPE_SE = 203,         /**< default 0.75 */
  ECAI_PRICING_OPT_MIN_PRICE_VARIATION = 204,  /**< default 0.02 (sd of ln price) */
  ECAI_PRICING_OPT_UNIT_COST_RATIO = 205       /**< default 0 (unknown cost stays unknown) */
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
 * min_r2, max_slope_se, min_price_variation, unit_cost_ratio) or the built-in defaults.
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
 * "expected_objective_change":…|null,"bounded_by":[…],"rationale":…}` (reason "ok"
 * for a suggestion; "bounded_by" lists the guardrails that moved the target:
 * max_change, floor, ceiling, map, min_margin).
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
