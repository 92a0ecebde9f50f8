/*
 * libecai — recommendations from order history, cart and browsing history.
 *
 * An ecai_recommend handle learns from orders (CSV files or API calls):
 *   - popularity (distinct orders per product),
 *   - item-to-item co-occurrence (raw counts and cosine-normalised
 *     count / sqrt(orders_a * orders_b)), updated immediately as orders arrive,
 *   - EASE (Steck 2019, closed-form linear item-item model) on the most frequent
 *     products, refitted on demand (ecai_recommend_fit()),
 *   - content similarity: caller-supplied item vectors (ecai_recommend_set_content*)
 *     or, when none are given, the library's builtin embedder (embed.h, kind "builtin",
 *     the context's embedder.* builtin settings) over the product titles, its IDF
 *     learnt from the titles at ecai_recommend_fit(); the content vectors are kept in a
 *     FAISS index (recommend.content_index) that the request's session vector searches
 *     for candidates (recommend.content_candidates), united with the co-purchase ones.
 * A request (JSON) carries the cart, browsing/purchase history, the customer, k, filters
 * and a strategy; the reply (JSON) lists product ids with scores and a reason each (or
 * bundles of products, or trending products).
 *
 * Order data it learns from: lines with a quantity or a unit price <= 0 are not sales and
 * are skipped (returns, stock adjustments, free samples), and so are cancelled invoices
 * ("C..." with the UCI Online Retail columns): a return never counts as a purchase, in the
 * model or in a customer's history. ecai_recommend_add_order() refuses such lines
 * (ECAI_EINVAL) instead. A product without a known price (never sold at a price > 0, set
 * with a price < 0) has no price: bundles holding it report "price": null.
 *
 * Thread-safety: a handle may be used by one thread at a time (see common.h);
 * ecai_recommend_query() does not modify the handle and may run concurrently with
 * other queries on the same handle when no writer (add/fit/set/load) runs.
 */
#ifndef ECAI_RECOMMEND_H
#define ECAI_RECOMMEND_H

#include "ecai/common.h"
#include "ecai/llm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A recommender trained from order history. */
typedef struct ecai_recommend ecai_recommend;

/** Options for ecai_recommend_set_int() / ecai_recommend_set_double(). */
typedef enum ecai_recommend_opt {
  ECAI_RECOMMEND_OPT_MAX_ITEMS = 100,     /**< int: items in the EASE model (most frequent), default 4000 */
  ECAI_RECOMMEND_OPT_COLD_ORDERS = 101,   /**< int: items with fewer training orders are "cold", default 5 */
  ECAI_RECOMMEND_OPT_EASE_LAMBDA = 200,   /**< double: EASE L2 regularisation, default 50 */
  ECAI_RECOMMEND_OPT_MMR_LAMBDA = 201,    /**< double: MMR relevance weight in [0,1] (1 = no diversity), default 0.9 */
  ECAI_RECOMMEND_OPT_W_EASE = 202,        /**< double: blend weight of EASE, default 1 */
  ECAI_RECOMMEND_OPT_W_COOC = 203,        /**< double: blend weight of cosine co-occurrence, default 0.1 */
  ECAI_RECOMMEND_OPT_W_CONTENT = 204,     /**< double: blend weight of content similarity, scaled per candidate by cold_orders / (cold_orders + its orders) and raised when the cart lacks order history (recommend.cold_cart_boost), default 1 */
  ECAI_RECOMMEND_OPT_W_HISTORY = 205,     /**< double: weight of history items as model inputs beside a cart (without a cart they count fully), default 0 */
  ECAI_RECOMMEND_OPT_HALF_LIFE_DAYS = 206, /**< double: recency half-life of history items, default 30 */
  ECAI_RECOMMEND_OPT_PRICE_RATIO = 207,   /**< double: complements at most this times the priciest cart item (0 = off), default 3 */
  ECAI_RECOMMEND_OPT_W_REBUY = 208        /**< double: blend weight of re-ordering history items (when not excluded), x a known customer's repeat propensity (its share of re-ordered lines over the shop's), default 0.35 */
} ecai_recommend_opt;

/**
 * Stock callback: returns 1 when the product may be recommended (in stock), 0 when not.
 * Called during ecai_recommend_query() on the calling thread, for candidates only.
 */
typedef int (*ecai_recommend_stock_fn)(const char *product_id, void *payload);

/**
 * Content callback: writes the product's vector (dim floats) into out and returns 1,
 * or returns 0 when the product has no vector. Called by ecai_recommend_set_content_fn()
 * for every known product, later for each product first seen in an order, and during
 * ecai_recommend_query() (on the calling thread) for cart ids the model does not know.
 */
typedef int (*ecai_recommend_vector_fn)(float *out, size_t dim, const char *product_id, void *payload);

/**
 * @brief Creates an empty recommender. Settings come from the context's "recommend"
 * section (ease_lambda, max_items, mmr_lambda, cold_orders, w_ease, w_cooc,
 * w_content, w_history, w_rebuy, w_recent, w_neighbours, half_life_days, price_ratio, content_index,
 * content_candidates, cold_cart_boost).
 * @param[out] out receives the handle; NULL on failure.
 * @param[in]  ctx the context (may be NULL for the defaults); not retained.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_recommend_free().
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_new(ecai_recommend **out, const ecai_ctx *ctx);

/**
 * @brief Frees a recommender. Accepts NULL.
 * Thread-safety: not concurrently with any other use of the handle.
 * @since 0.1
 */
ECAI_API void ecai_recommend_free(ecai_recommend *r);

/**
 * @brief Sets an integer option (ECAI_RECOMMEND_OPT_MAX_ITEMS, _COLD_ORDERS).
 * @return ECAI_OK; ECAI_EINVAL (wrong type or out of range); ECAI_EUNSUPPORTED (unknown option).
 * Thread-safety: not concurrently with other uses of the handle.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_int(ecai_recommend *r, ecai_recommend_opt opt, int64_t v);

/**
 * @brief Sets a double option (ECAI_RECOMMEND_OPT_EASE_LAMBDA ... _PRICE_RATIO).
 * @return ECAI_OK; ECAI_EINVAL (wrong type, negative or non-finite); ECAI_EUNSUPPORTED.
 * Thread-safety: not concurrently with other uses of the handle.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_double(ecai_recommend *r, ecai_recommend_opt opt, double v);

/**
 * @brief Loads orders from a CSV file (gzip-compressed files are detected and accepted).
 *
 * The header names the columns (case-insensitive): order (order_id | InvoiceNo),
 * product (product_id | StockCode | sku), quantity (Quantity), price (price |
 * UnitPrice), date (date | InvoiceDate: "YYYY-MM-DD[THH:MM[:SS]]" or epoch seconds),
 * customer (customer | customer_id | CustomerID, may be empty) and optionally a title
 * (title | Description). Lines with a non-positive quantity or price are skipped.
 * With the UCI Online Retail columns (InvoiceNo, StockCode) cancellations (invoice
 * "C...") and non-product codes (stock codes not starting with five digits) are
 * skipped too. Lines of one order id are merged into one order. On a failure the
 * lines read before it stay loaded (the message names the line).
 * @param[in] r         the recommender.
 * @param[in] path      the file.
 * @param[in] before_ts load only orders dated before this Unix time (0 = all).
 * @return ECAI_OK; ECAI_EIO (cannot read); ECAI_EPARSE (no header / missing column,
 * the message names it); ECAI_ENOMEM.
 * Thread-safety: writer (no concurrent use of r).
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_load_orders(ecai_recommend *r, const char *path, int64_t before_ts);

/**
 * @brief Adds one order (or lines of an existing order id). Co-occurrence counts and
 * popularity update immediately; EASE keeps its last fit until ecai_recommend_fit().
 * @param[in] r           the recommender.
 * @param[in] order_id    order id (NUL-terminated); lines of a known order are merged.
 * @param[in] customer_id customer id or NULL.
 * @param[in] ts          order time (Unix seconds).
 * @param[in] product_ids n product ids.
 * @param[in] quantities  n quantities (> 0), or NULL for 1 each.
 * @param[in] prices      n unit prices (> 0), or NULL when unknown.
 * @param[in] n           number of lines (>= 1).
 * @return ECAI_OK; ECAI_EINVAL (NULL, empty id, non-positive quantity/price); ECAI_ENOMEM.
 * Ownership: inputs are copied. Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_add_order(ecai_recommend *r, const char *order_id, const char *customer_id,
                                              int64_t ts, const char *const *product_ids,
                                              const double *quantities, const double *prices, size_t n);

/**
 * @brief Declares or updates a product without an order (catalog knowledge): its
 * title (used in reasons and by the built-in title embedder) and price (< 0 keeps the
 * current one). New products are cold-start items.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_item(ecai_recommend *r, const char *product_id, const char *title,
                                             double price);

/**
 * @brief Sets or clears a product's category, a path like "Kitchen > Mugs" (catalog
 * knowledge; unknown ids become cold products). Requests filter on it with
 * "categories" (keep only products under one of the given paths) and
 * "exclude_categories" (drop products under any of them): a path matches itself and
 * its sub-paths, case-insensitively ("kitchen" matches "Kitchen > Mugs", not
 * "Kitchenware"). Saved with the model.
 * @param[in] r          the recommender.
 * @param[in] product_id the product (NUL-terminated, not empty).
 * @param[in] category   UTF-8 path, or NULL / "" to clear it.
 * @return ECAI_OK; ECAI_EINVAL (NULL, empty id, invalid UTF-8); ECAI_ENOMEM.
 * Ownership: copied. Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_category(ecai_recommend *r, const char *product_id, const char *category);

/**
 * @brief (Re)fits the EASE model on the `max_items` most frequent products from the
 * current co-occurrence counts (LAPACK Cholesky; seconds for a few thousand items),
 * refits the built-in title embedder (when no caller content is set) and rebuilds
 * the content vector index.
 * @return ECAI_OK; ECAI_ESTATE (no orders); ECAI_ENOMEM; ECAI_ERROR (factorisation
 * failed); ECAI_EBACKEND (content index).
 * Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_fit(ecai_recommend *r);

/**
 * @brief Supplies content vectors as a row-major matrix: row i (dim floats) belongs
 * to ids[i]. Replaces any earlier content; unknown ids become (cold) products.
 * Rows are L2-normalised on copy. Used for cold-start items (fewer than
 * `cold_orders` training orders) and by the "similar" strategy.
 * @param[in] r    the recommender.
 * @param[in] ids  n product ids.
 * @param[in] mat  n*dim floats.
 * @param[in] n    rows (>= 1).
 * @param[in] dim  vector dimension (>= 1).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM; ECAI_EBACKEND (content index).
 * Ownership: copied. Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_content(ecai_recommend *r, const char *const *ids, const float *mat,
                                                size_t n, size_t dim);

/**
 * @brief Supplies content vectors through a callback (see ecai_recommend_vector_fn),
 * called now for every known product, later for products first seen in orders, and
 * during ecai_recommend_query() for cart ids the model does not know (cold-start carts).
 * fn = NULL removes caller content (the built-in title vectors are used again).
 * @return ECAI_OK; ECAI_EINVAL (dim 0 with fn); ECAI_ENOMEM; ECAI_EBACKEND (content index).
 * Ownership: fn/payload must stay valid while r uses them. Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_content_fn(ecai_recommend *r, size_t dim, ecai_recommend_vector_fn fn,
                                                   void *payload);

/**
 * @brief Installs the in-stock filter callback (NULL removes it).
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: fn/payload must stay valid while r uses them. Thread-safety: writer.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_set_stock_fn(ecai_recommend *r, ecai_recommend_stock_fn fn, void *payload);

/**
 * @brief Recommends products for a request (JSON object):
 * `{"cart": ["id", {"id": "id", "qty": 2}, ...], "history": ["id", {"id": "id", "ts": 1700000000}],
 *   "customer": "17850", "k": 10,
 *   "strategy": "mixed"|"complementary"|"similar"|"trending"|"bundle", "exclude": ["id"],
 *   "min_price": 0, "max_price": 100, "allow_pricier": false, "now": 1700000000,
 *   "categories": ["Kitchen"], "exclude_categories": ["Kitchen > Knives"],
 *   "exclude_history": true, "in_stock": true, "method": "blended"|"popularity"|
 *   "cooccurrence"|"cosine"|"ease"|"content"}` (all optional except one of cart/history
 * for non-popularity results). Category filters: see ecai_recommend_set_category();
 * with "categories" products without a category are dropped. Cart items are never recommended; history items are not
 * either unless "exclude_history" is false (purchase history: re-orders allowed).
 * The reply: `{"items":[{"id":"...","score":0.93,"reason":"often bought with ..."}],
 * "strategy":"mixed","unknown":["ids not in the model"]}`.
 *
 * "customer" (a string, or an integer taken as its decimal text): that customer's own
 * orders known to the model (their customer id in ecai_recommend_add_order() or the orders
 * CSV) join the request as purchase history: the most recent 200 of them dated at or
 * before "now" (default: the customer's newest order; customers with thousands of orders
 * are capped there), each weighted 0.5^(age / half_life_days); a product's history weight
 * is the weighted share of those orders holding it (0..1). Products they bought may be
 * recommended again (w_rebuy, reason "you ordered this before") unless "exclude_history"
 * is true, and feed EASE and co-occurrence at w_history. Items bought by similar
 * customers add w_neighbours x their neighbour score (over its maximum): the customers who
 * bought the customer's 30 most bought products (recent orders, weighted by the product's
 * rarity) are ranked by that overlap over the square root of their order count, and the
 * 50 most alike vote for the products of their 20 most recent orders (reason "bought by
 * customers who buy what you buy"). An unknown customer changes
 * nothing: the cart (or, without one, popularity) decides. The reply adds
 * `"customer":{"id":"...","known":true|false,"orders_used":n}`.
 *
 * "strategy": "trending": products selling now and rising, ranked by d / max d + p / max p:
 * d = the orders of the last 28 days, each weighted 0.5^(age / 14 days), x the square root
 * of the smoothed ratio to the product's own previous 84 days, (recent + 5) / (baseline x
 * 28/84 + 5), capped at 4; p = the product's orders up to then (popularity: the anchor,
 * and the fallback for products without recent sales); as of "now" or, without it, the
 * newest order at the last fit or load (products without orders in those 112 days are
 * left out); for empty carts and new visitors (cart, history and exclude only remove products;
 * filters apply). Reason: "trending: N orders in the last 28 days, R.Rx its earlier rate"
 * for a rising product (R > 1), else "popular with other shoppers".
 *
 * "strategy": "bundle": `"bundles":[{"items":[{"id","title","price"}, ...],"price":P,
 * "orders":n,"score":s,"reason":"bought together with ... in n of its m orders"}]` (and
 * "items" empty): sets of 2 or 3 of the 12 best single recommendations (filters applied)
 * that at least 2 orders holding a cart item contain together (without a cart: any
 * orders; the most recent 1,000 such orders are counted), ordered by the geometric mean
 * of their single-item scores (ties: more orders, then the set of 3), at most k;
 * "price" is the sum of the mean unit prices (null when one is unknown), score = n / m.
 * @param[out] out     receives the reply (NUL-terminated); free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  r       the recommender.
 * @param[in]  req     request JSON (UTF-8), len bytes.
 * @param[in]  len     length of req.
 * @return ECAI_OK; ECAI_EINVAL (NULL, bad field; the message names it); ECAI_EPARSE
 * (malformed JSON); ECAI_ENOMEM.
 * Ownership: caller frees *out. Thread-safety: reader (see the file comment).
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_query(char **out, size_t *out_len, const ecai_recommend *r, const char *req,
                                          size_t len);

/**
 * @brief Like ecai_recommend_query(), then lets an LLM reorder the candidates. The model
 * sees only the cart ids and up to 3k candidates as "id: title" lines inside escaped data
 * sections, and must answer {"ids": [...]} (JSON mode). Ids that are not candidates are
 * dropped and counted; candidates the model leaves out follow in their own order. On any
 * LLM failure (none provider, HTTP error, timeout, budget, unparsable reply) the non-LLM
 * ranking is returned with OK. The reply adds "llm": {"used": true, "dropped": n,
 * "ordered_by_model": m} or {"used": false, "error": "..."}.
 * @param[out] out     receives the JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  r       the recommender.
 * @param[in]  llm     the LLM client (see llm.h).
 * @param[in]  req     the request, as for ecai_recommend_query().
 * @param[in]  len     its length in bytes.
 * @return ECAI_OK; the errors of ecai_recommend_query(); ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out. Thread-safety: as ecai_recommend_query(); llm is
 * internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_rerank(char **out, size_t *out_len, const ecai_recommend *r, ecai_llm *llm,
                                           const char *req, size_t len);

/**
 * @brief Model statistics as JSON: {"items":…, "orders":…, "pairs":…, "ease_items":…,
 * "ease_lambda":…, "ease_stale":0|1, "content":"title_text"|"matrix"|"callback",
 * "content_dim":…, "title_embedder_fitted":0|1, "content_index":"exact"|FAISS factory,
 * "content_index_rows":…, "content_index_stale":0|1}.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: caller frees *out with ecai_free(). Thread-safety: reader.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_stats(char **out, size_t *out_len, const ecai_recommend *r);

/**
 * @brief Saves the model (products, orders, co-occurrence, EASE weights, content vectors)
 * to a file laid out for mapping (see ecai_recommend_load(); a big-endian host writes the
 * previous, parsed format): format version + XXH3 checksum, written to a temporary
 * file, fsynced and renamed, so a failure never leaves a half-written file. Settings are not saved (they
 * come from the context given to ecai_recommend_load()); neither are the callbacks:
 * install the content and stock callbacks again after loading. The model kept with a
 * store (see index.h) is the file DIR/recommend.bin of the store folder: `ecai recommend
 * --index DIR` loads it, and --save-index writes it after adding new orders.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EIO; ECAI_ENOMEM.
 * Thread-safety: reader.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_save(const ecai_recommend *r, const char *path);

/**
 * @brief Loads a model saved by ecai_recommend_save() into a new handle. A file of the
 * current format is memory-mapped read-only and used in place (processes loading one file
 * share its pages; after the first load in a process, a load costs well under a
 * millisecond); replace such a file by rename (as ecai_recommend_save() does), never by
 * rewriting it in place while a process has it loaded. The first call that changes a
 * loaded model (adding orders, items, categories, content, fit) copies it into private
 * memory first. Files of earlier format versions are read and rebuilt in memory.
 * @param[out] out  receives the handle; NULL on failure.
 * @param[in]  ctx  context for settings (may be NULL).
 * @param[in]  path the file.
 * @return ECAI_OK; ECAI_EIO (cannot read or map); ECAI_ECORRUPT (bad magic, version,
 * checksum, truncated or inconsistent: the message names the file); ECAI_ENOMEM.
 * Ownership: caller frees *out with ecai_recommend_free(). Thread-safety: see file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_load(ecai_recommend **out, const ecai_ctx *ctx, const char *path);

/**
 * @brief Offline evaluation on a transactions CSV (UCI Online Retail columns or the
 * orders columns of ecai_recommend_load_orders(); gzip accepted). Trains on orders
 * dated before train_before; tests every order dated in [train_before, test_before)
 * with at least 2 distinct products: one product (chosen by a hash of the order id)
 * is hidden, the rest is the cart, the customer's training-window orders dated before
 * the test order are the history. Reports hit-rate@k, nDCG@k and catalog coverage for
 * popularity, cooccurrence (raw counts), cosine, ease, content (built-in title
 * vectors) and blended, plus the cold-start slice (hidden items with fewer than
 * cold_orders training orders).
 * Order value: revenue@k = value (quantity x unit price) of the hidden items found in the
 * top k / value of all hidden items; aov_lift_bound = that value / the value of all test
 * baskets (the average order value a basket would gain if every recovered item were
 * bought, as a share of the average basket). Slices per method: cold_start,
 * with_history / without_history (the basket's customer has a training order before it or
 * not). The blended weights (w_rebuy, w_history, w_recent, w_neighbours, w_content) are
 * chosen on the training months only: tuned with a model trained on the first half of
 * them, ranking the 30 days after it (288 weight sets, hit-rate@k), then checked with a model trained on all but the
 * last 30 training days ranking those days; the tuned weights are used only when they beat
 * the configured ones there ("tuning" in the report; skipped below 200 baskets). Ablations:
 * blended_cart_only, blended_untuned. "bundles": in test baskets of 4+ products a hashed
 * half is held out and the rest is the cart; bundle_hit@1/@3 = share of baskets whose
 * held-out half holds every product of the first bundle / one of the first 3, against
 * peer_top2_pair_hit (the two best single recommendations as a pair). "trending": the top
 * 10 trending, popular and recently popular products against every test basket
 * (basket_hit_rate, new_visitor_hit_rate, revenue_share).
 * Products seen anywhere in the file before test_before
 * are known to the catalog (titles/prices), as a shop's catalog would be.
 * @param[out] out     JSON report; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  ctx     settings (may be NULL).
 * @param[in]  path    transactions file.
 * @param[in]  train_before, test_before  Unix times (train_before < test_before).
 * @param[in]  k       list length (1..1000).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EIO; ECAI_EPARSE; ECAI_ENOMEM.
 * Thread-safety: safe from any thread (no shared state).
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_evaluate(char **out, size_t *out_len, const ecai_ctx *ctx, const char *path,
                                             int64_t train_before, int64_t test_before, size_t k);

/**
 * @brief Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (also with a space) as UTC,
 * or a decimal Unix time.
 * @param[out] out Unix seconds.
 * @param[in]  s   the text.
 * @return ECAI_OK; ECAI_EINVAL (NULL or not a date).
 * Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_recommend_parse_date(int64_t *out, const char *s);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_RECOMMEND_H */
