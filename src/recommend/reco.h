/* Internal declarations of the recommend module. Never installed. */
#ifndef ECAI_RECO_INTERNAL_H
#define ECAI_RECO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"
#include "ecai/embed.h"
#include "ecai/recommend.h"

/* open-addressing map item -> co-occurrence count; key = item index + 1 (0 = empty) */
typedef struct {
  uint32_t *keys;
  float *vals;
  uint32_t cap, len;
} reco_nbr;

typedef struct {
  char *id;
  char *title;
  char *category; /* "A > B" path or NULL */
  double price_sum;
  uint32_t price_n;
  uint32_t orders; /* distinct orders containing the item */
  int64_t last_ts;
} reco_item;

typedef struct {
  char *id;
  char *customer;
  int64_t ts;
  uint32_t *items;
  uint32_t n, cap;
} reco_order;

/* a product's orders (indexes into the order array, in arrival order) */
typedef struct {
  uint32_t *o;
  uint32_t n, cap;
} reco_plist;

/* a known customer: its orders (indexes into the order array, in arrival order) */
typedef struct {
  char *id;
  uint32_t *orders;
  uint32_t n, cap;
} reco_cust;

/* At most this many of a customer's most recent orders feed a request (customers with
   thousands of orders: wholesalers, marketplaces). */
#define RECO_MAX_CUSTOMER_ORDERS 200

/* string-keyed index map over an array of structs whose first member is `char *id` */
typedef struct {
  uint32_t *slots; /* index + 1, 0 = empty */
  size_t cap, n;
} reco_smap;

enum { RECO_CONTENT_TEXT = 0, RECO_CONTENT_MATRIX = 1, RECO_CONTENT_FN = 2 };

struct ecai_recommend {
  /* settings */
  size_t max_items, cold_orders;
  double lambda, mmr, w_ease, w_cooc, w_content, w_hist, w_rebuy, half_life, price_ratio, cold_cart_boost, w_category;
  double w_recent;      /* blend weight of recent sales (orders in the trend window / its maximum) */
  double w_nbr;         /* blend weight of the customer's neighbours' items (ecai__reco_neighbours) */
  double repeat_prior;  /* the shop's repeat rate (ecai__reco_repeat_counts over every customer), derived at fit and load */
  /* sales trend as of the newest order at the last fit/load (ecai__reco_trend) */
  float *recent, *trend, *hot; /* hot: the trending score (ecai__reco_trend) */
  size_t trend_n;
  int64_t trend_now;
  /* products */
  reco_item *items;
  reco_nbr *nbr;
  reco_plist *iord; /* per item: the orders holding it */
  size_t n_items, cap_items;
  reco_smap imap;
  /* orders */
  reco_order *orders;
  size_t n_orders, cap_orders;
  reco_smap omap;
  uint64_t n_pairs;
  /* customers (from the orders' customer ids) */
  reco_cust *custs;
  size_t n_custs, cap_custs;
  reco_smap cmap;
  uint32_t *ocust; /* per order: customer index + 1 or 0, derived at fit and load (ocust_n orders) */
  size_t ocust_n;
  /* EASE */
  size_t ease_n, ease_pos_n;
  uint32_t *ease_items; /* model row -> item */
  int32_t *ease_pos;    /* item -> model row or -1 (ease_pos_n entries) */
  float *ease_b;        /* ease_n x ease_n, row = cart item, column = candidate */
  double ease_fit_lambda;
  bool ease_stale;
  /* content */
  ecai_ctx *ectx;      /* owned context of the built-in title embedder */
  ecai_embedder *emb;  /* built-in embedder of the product titles (RECO_CONTENT_TEXT) */
  bool text_fitted;    /* its IDF was learnt from the titles (ecai__reco_text_fit) */
  int content_kind;
  size_t cdim;
  float *cvec;      /* cap_items x cdim */
  uint8_t *chas;    /* cap_items */
  ecai_recommend_vector_fn vec_fn;
  void *vec_payload;
  /* content vector index (cindex.c): rows 0..cidx_n-1 are items */
  void *cidx; /* FaissIndex * */
  size_t cidx_n, cand_m;
  bool cidx_stale;
  bool cidx_exact; /* content_index "exact": in-process vectorised scan, no FAISS */
  char cindex_factory[64];
  /* filters */
  ecai_recommend_stock_fn stock_fn;
  void *stock_payload;
  /* loaded from a mapped model file (mapfile.c): the arrays point into it until the first
     change copies them (ecai__reco_own); NULL for a private model */
  struct reco_mapping *mapping;
};

/* Scoring methods. */
typedef enum {
  RECO_M_POPULARITY = 0,
  RECO_M_RAW = 1,
  RECO_M_COSINE = 2,
  RECO_M_EASE = 3,
  RECO_M_CONTENT = 4,
  RECO_M_BLENDED = 5,
  RECO_M_TRENDING = 6
} reco_method;

enum { RECO_S_MIXED = 0, RECO_S_COMPLEMENTARY = 1, RECO_S_SIMILAR = 2, RECO_S_TRENDING = 3, RECO_S_BUNDLE = 4 };

/* One weighted input item of a request. */
typedef struct {
  uint32_t item;
  double w;   /* weight as a model input (cart 1, history w_history x recency) */
  double rec; /* history only: summed recency weight (re-order signal) */
  bool cart;
} reco_in;

/* Per-request scratch: component scores over all items. */
typedef struct {
  size_t n;
  float *pop, *raw, *cos, *ease, *content, *hist;
  float *nbr; /* the known customer's neighbours' items (ecai__reco_neighbours), else 0 */
  uint8_t *banned; /* cart / excluded / filtered */
  float *qv;      /* query vector (content) */
  float *xq;      /* summed vectors of cart ids unknown to the model (content callback) */
  bool has_q, has_x;
  const float *recent, *trend, *hot; /* sales trend (trend_n items), for RECO_M_TRENDING */
  size_t trend_n;
} reco_scores;

typedef struct {
  size_t k;
  int strategy;
  reco_method method;
  bool exclude_history, allow_pricier, in_stock, use_mmr;
  bool rebuy; /* the customer's own orders feed the request: re-orders score (w_rebuy) */
  double repeat; /* x w_rebuy: the customer's repeat propensity (ecai__reco_repeat_factor); 0 = 1 */
  double min_price, max_price; /* < 0 = unset */
  const char *const *cat_in, *const *cat_out; /* category prefixes to include / exclude */
  size_t n_cat_in, n_cat_out;
} reco_opts;

typedef struct {
  uint32_t item;
  float score;
  int why; /* 0 popular, 1 bought with, 2 similar to, 3 ordered before, 4 similar to the cart, 5/6 category, 7 trending, 8 neighbours */
  uint32_t because;
} reco_hit;

/* recommend.c */
ecai_status ecai__reco_item_get(ecai_recommend *r, const char *id, size_t len, uint32_t *out);
int64_t ecai__reco_item_find(const ecai_recommend *r, const char *id, size_t len);
ecai_status ecai__reco_add_line(ecai_recommend *r, const char *order_id, const char *customer, int64_t ts,
                                const char *product, const char *title, double price);
ecai_status ecai__reco_set_title(ecai_recommend *r, uint32_t item, const char *title);
ecai_status ecai__reco_set_category(ecai_recommend *r, uint32_t item, const char *category, size_t len);
/* 1 when category path `cat` lies under `prefix` ("Kitchen" matches "kitchen > Mugs", not "Kitchenware"). */
bool ecai__reco_cat_match(const char *cat, const char *prefix);
float ecai__reco_cooc(const ecai_recommend *r, uint32_t a, uint32_t b);
double ecai__reco_price(const ecai_recommend *r, uint32_t item);
const float *ecai__reco_vec(const ecai_recommend *r, uint32_t item);

/* 1 when the built-in title embedder has been fitted (IDF from the titles). */
bool ecai__reco_text_fitted(const ecai_recommend *r);
/* Fits the built-in title embedder on the current titles and re-embeds them (no-op
   when the content comes from the caller). */
ecai_status ecai__reco_text_fit(ecai_recommend *r);

/* Trend window, baseline and smoothing: recent = orders in the RECO_TREND_DAYS days up to
   `now`, base = orders in the RECO_TREND_BASE_DAYS days before that window, trend =
   (recent + RECO_TREND_PRIOR) / (base x RECO_TREND_DAYS / RECO_TREND_BASE_DAYS + RECO_TREND_PRIOR). */
#define RECO_TREND_DAYS 28
#define RECO_TREND_BASE_DAYS 84
#define RECO_TREND_PRIOR 5.0
/* The trending score "hot" that "strategy": "trending" ranks by: d / max d + p / max p,
   d = the orders of the trend window, each weighted 0.5^(age / RECO_HOT_HALF_LIFE days),
   x sqrt(trend capped at RECO_HOT_CAP), p = the product's orders up to `now` (popularity:
   the anchor and the fallback); products without orders in the trend and baseline windows
   score 0. Chosen on the training months (top 10 for an empty cart against the
   next month's baskets, June to September 2011, models trained before each month): mean
   share of baskets holding one of them 0.481 against 0.477 for plain popularity and 0.470
   for the orders of the last 28 days; the ratio alone (sales gained over the own past)
   0.21-0.35, the decayed count without popularity 0.469. */
#define RECO_HOT_HALF_LIFE 14.0
#define RECO_HOT_CAP 4.0
/* Fills recent, trend and hot (n_items floats each) as of `now`. */
void ecai__reco_trend(const ecai_recommend *r, int64_t now, float *recent, float *trend, float *hot);
/* Recomputes r->recent / r->trend / r->hot as of the newest order. */
ecai_status ecai__reco_trend_update(ecai_recommend *r);

/* cindex.c */
ecai_status ecai__reco_cindex_build(ecai_recommend *r);
void ecai__reco_cindex_free(ecai_recommend *r);
/* Up to m nearest indexed items to q (inner product): returns the count, SIZE_MAX when
   the index cannot answer (none, stale, FAISS failure: scan instead). Sets *indexed to
   the number of leading items the index covers (later ones must be scanned). */
size_t ecai__reco_cindex_search(const ecai_recommend *r, const float *q, size_t m, int64_t *ids, float *scores,
                                size_t *indexed);
/* Dot product of two dim-float vectors (vectorisable). */
float ecai__reco_dot(const float *a, const float *b, size_t n);

/* query.c */
/* Adds the known customer's orders dated at or before `now` (its most recent
   RECO_MAX_CUSTOMER_ORDERS) to the inputs as purchase history: rec = the share of those
   orders holding the item, each order weighted 0.5^(age / half_life), and w = w_history x
   rec (items already in the inputs, e.g. the cart, are left as they are). `in` has room for
   *nin + n_items entries; slot (n_items entries, 0 = none, else index in `in` + 1) is kept
   in step with it. Returns the number of orders used (0 for an unknown customer),
   SIZE_MAX when out of memory. */
size_t ecai__reco_customer_inputs(const ecai_recommend *r, const char *customer, int64_t now, reco_in *in,
                                  size_t *nin, uint32_t *slot);
/* Items bought by customers like this one: the customer's RECO_NBR_ITEMS most bought
   history items in[0..nin) (recency share `rec`) each credit the customers of their
   RECO_NBR_ORDERS most recent orders with rec x log(1 + orders / the item's orders); the
   RECO_NBR_K customers with the most credit over the square root of their order count add
   that similarity to each item of their RECO_NBR_CUST_ORDERS most recent orders (out,
   n_items floats, overwritten). Orders after `now` and the customer's own never count.
   Returns the number of neighbours, SIZE_MAX when out of memory. */
#define RECO_NBR_ITEMS 30
#define RECO_NBR_ORDERS 100
#define RECO_NBR_K 50
#define RECO_NBR_CUST_ORDERS 20
size_t ecai__reco_neighbours(const ecai_recommend *r, const char *customer, int64_t now, const reco_in *in,
                             size_t nin, float *out);
/* Repeat purchases of a customer: of its orders dated at or before `now` (the most recent
   RECO_MAX_CUSTOMER_ORDERS, in the order they were added), the lines of every order but the
   first go to *lines, those naming a product of an earlier one also to *repeats (added to
   both). mark: n_items zero bytes, zero again on return. */
void ecai__reco_repeat_counts(const ecai_recommend *r, const reco_cust *c, int64_t now, uint8_t *mark,
                              double *repeats, double *lines);
/* The known customer's repeat propensity, the factor on w_rebuy: its repeat rate smoothed
   toward the shop's, (repeats + RECO_REPEAT_PRIOR_LINES x prior) / (lines +
   RECO_REPEAT_PRIOR_LINES), over the shop's rate r->repeat_prior (1 for an unknown customer or
   without a prior). Chosen on the training months (June to September 2011, models trained
   before each month, hit-rate@10 of the blend): 0.3707 against 0.3657 with the plain w_rebuy,
   ahead in each of the four months; a prior of 2 or 20 lines instead of 5: 0.3709 / 0.3705.
   Returns 0 when out of memory. */
#define RECO_REPEAT_PRIOR_LINES 5.0
double ecai__reco_repeat_factor(const ecai_recommend *r, const char *customer, int64_t now);
/* The customer's record or NULL. */
const reco_cust *ecai__reco_customer(const ecai_recommend *r, const char *customer);
ecai_status ecai__reco_scores_init(reco_scores *s, size_t n, size_t dim);
void ecai__reco_scores_free(reco_scores *s);
void ecai__reco_components(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s);
/* Ranks with the given method; writes up to opts->k hits, returns the count (SIZE_MAX: out of memory). */
size_t ecai__reco_rank(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s,
                       const reco_opts *o, reco_hit *hits);

/* Bundles: sets of 2-3 of the top RECO_BUNDLE_CANDIDATES single recommendations that orders
   holding a cart item (any orders without a cart; the most recent RECO_BUNDLE_MAX_ORDERS of
   them) contain together at least RECO_BUNDLE_MIN_ORDERS times, ordered by
   ecai__reco_bundle_weight; appended to `arr` as JSON objects. */
#define RECO_BUNDLE_CANDIDATES 12
#define RECO_BUNDLE_MIN_ORDERS 2
#define RECO_BUNDLE_MAX_ORDERS 1000 /* the most recent orders counted in (latency bound) */
/* The chance-like weight of a bundle of n (2 or 3) candidates that orders it: the product
   over its members x of min(1, RECO_BUNDLE_CALIBRATION x (rel[x] + RECO_BUNDLE_LIFT x the
   sum over the other members y of lift[y * n + x])), rel = the member's single score over
   the best candidate's, lift[y][x] = what the blend adds to x's score when y joins the cart
   (EASE and cosine co-occurrence). Members that go with each other, not just with the cart,
   lift the set; the calibration (a best single score ~ a 30 % chance) keeps a third member
   from outweighing a likelier pair. Chosen on June to September 2011 (models trained before
   each month, 5,233 baskets of 4+ products, half held out): the first bundle wholly in the
   held-out half 0.190 against 0.181 for the geometric mean of the single scores (the former
   order) and 0.180 for the two best single recommendations as a pair; ahead of that pair in
   each month. Lift weight 0.5: 0.187, 1: 0.180; without the calibration triples come first
   and it falls to 0.175. */
#define RECO_BUNDLE_LIFT 0.25
#define RECO_BUNDLE_CALIBRATION 0.3
double ecai__reco_bundle_weight(const float *rel, const float *lift, int n);
ecai_status ecai__reco_bundles(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s,
                               const reco_opts *o, json_t *arr);

/* mapfile.c: the model file laid out for mapping (format version 3). Every call that
   changes a model calls ecai__reco_own first: a mapped model is copied into private memory
   and its mapping dropped (no-op for a private model). ecai__reco_unmap (in
   ecai_recommend_free) releases a mapped model's per-process arrays and its mapping. */
ecai_status ecai__reco_save_mapped(const ecai_recommend *r, const char *path);
ecai_status ecai__reco_load_mapped(ecai_recommend **out, const ecai_ctx *ctx, const char *path);
ecai_status ecai__reco_own(ecai_recommend *r);
void ecai__reco_unmap(ecai_recommend *r);
bool ecai__reco_is_mapped(const ecai_recommend *r);
/* Test hook: the format ecai_recommend_save writes (3, or 2 = the previous, unmapped one). */
extern int ecai__reco_save_version;

/* io.c: CSV reading */
typedef struct {
  const char *order, *product, *title, *customer;
  double qty, price;
  int64_t ts;
} reco_row;
typedef ecai_status (*reco_row_fn)(const reco_row *row, void *payload);
ecai_status ecai__reco_read_csv(const char *path, reco_row_fn fn, void *payload);

#endif
