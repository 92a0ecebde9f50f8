/* ecai recommend: recommendations for a cart (and history) from order history. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai recommend [--index DIR] (--orders FILE | --model FILE) --cart ID,... [--history ID,...]\n"
    "                      [--k N] [--strategy mixed|complementary|similar] [--exclude ID,...]\n"
    "                      [--min-price P] [--max-price P] [--allow-pricier] [--save FILE]\n"
    "                      [--config FILE] [--json]\n"
    "       ecai recommend --index DIR --cart ID,... [--history ID,...] [...]\n\n"
    "Trains a recommender on an orders CSV (order_id,product_id,quantity,price,date,customer\n"
    "[,title] or the UCI Online Retail columns; gzip accepted) or loads a saved model, and\n"
    "recommends products for the cart: co-occurrence, EASE and title similarity blended,\n"
    "cart and history items excluded, diversified, complements not far above the cart's\n"
    "prices. --save writes the trained model (reload it with --model).\n"
    "--index DIR (a store saved by `ecai index`) adds the catalog: titles and prices for\n"
    "reasons and price sanity, out-of-stock products filtered, and content similarity from\n"
    "the store's embedder for products with little or no order history; with --index alone\n"
    "(no orders yet) recommendations are content-based.\n"
    "--json prints {\"items\":[{\"id\":...,\"score\":...,\"reason\":\"...\"},...]}.\n"
    "exit status: 0 ok, 2 bad input (missing/corrupt file, bad option), 3 runtime failure.\n";

/* Appends the comma-separated ids of s to arr. */
static void add_ids(json_t *arr, const char *s) {
  const char *p = s;
  while (*p) {
    const char *c = strchr(p, ',');
    size_t n = c ? (size_t)(c - p) : strlen(p);
    while (n && *p == ' ') p++, n--;
    while (n && p[n - 1] == ' ') n--;
    if (n) json_array_append_new(arr, json_stringn(p, n));
    if (!c) break;
    p = c + 1;
  }
}

/* Content vectors from the store's embedder: the product's catalog text. */
static int store_vector(float *out, size_t dim, const char *product_id, void *payload) {
  ecai_store *st = payload;
  const ecai_catalog *cat = ecai_store_catalog(st);
  int64_t id;
  if (ecai_catalog_id(&id, cat, product_id) != ECAI_OK) return 0;
  const char *title = ecai_catalog_title(cat, id);
  return title && ecai_embedder_embed(out, dim, ecai_store_embedder(st), title, strlen(title)) == ECAI_OK;
}

static int store_in_stock(const char *product_id, void *payload) {
  char *js = NULL;
  /* unknown to the catalog: no stock data, so it may be recommended */
  if (ecai_catalog_get_json(&js, NULL, ecai_store_catalog(payload), product_id) != ECAI_OK) return 1;
  int out = strstr(js, "\"in_stock\":false") == NULL;
  ecai_free(js);
  return out;
}

/* Declares the catalog's products to the recommender and plugs in content and stock. */
static ecai_status attach_store(ecai_recommend *r, ecai_store *st) {
  const ecai_catalog *cat = ecai_store_catalog(st);
  ecai_status s = ECAI_OK;
  for (int64_t id = -1; !s && ecai_catalog_next(&id, cat, id) == ECAI_OK;) {
    char *js = NULL;
    double price = -1;
    const char *sku = ecai_catalog_sku(cat, id);
    if (ecai_catalog_get_json(&js, NULL, cat, sku) == ECAI_OK) {
      json_t *o = json_loads(js, 0, NULL);
      if (json_is_number(json_object_get(o, "price"))) price = json_number_value(json_object_get(o, "price"));
      json_decref(o);
      ecai_free(js);
    }
    s = ecai_recommend_set_item(r, sku, ecai_catalog_title(cat, id), price);
  }
  if (!s) s = ecai_recommend_set_content_fn(r, ecai_embedder_dim(ecai_store_embedder(st)), store_vector, st);
  if (!s) s = ecai_recommend_set_stock_fn(r, store_in_stock, st);
  return s;
}

static int parse_price(const char *s, double *out) {
  char *end;
  *out = strtod(s, &end);
  return *end == '\0' && end != s && *out >= 0;
}

int cmd_recommend(int argc, char **argv) {
  static const struct option opts[] = {{"orders", required_argument, 0, 'o'},  {"model", required_argument, 0, 'm'},
                                       {"cart", required_argument, 0, 'C'},    {"history", required_argument, 0, 'H'},
                                       {"k", required_argument, 0, 'k'},       {"strategy", required_argument, 0, 's'},
                                       {"exclude", required_argument, 0, 'x'}, {"min-price", required_argument, 0, 'p'},
                                       {"max-price", required_argument, 0, 'P'}, {"allow-pricier", no_argument, 0, 'A'},
                                       {"save", required_argument, 0, 'S'},    {"index", required_argument, 0, 'i'},
                                       {"config", required_argument, 0, 'c'},  {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
  const char *orders = NULL, *model = NULL, *cart = NULL, *hist = NULL, *strategy = NULL, *excl = NULL, *save = NULL,
             *index = NULL, *cfg = NULL;
  long k = 10;
  double minp = -1, maxp = -1;
  bool json = false, pricier = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:m:C:H:k:s:x:p:P:AS:i:c:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': orders = optarg; break;
    case 'm': model = optarg; break;
    case 'C': cart = optarg; break;
    case 'H': hist = optarg; break;
    case 'k': {
      char *end;
      k = strtol(optarg, &end, 10);
      if (*end || k < 1 || k > 1000) return cli_usage("recommend", "--k must be 1..1000");
      break;
    }
    case 's': strategy = optarg; break;
    case 'x': excl = optarg; break;
    case 'p': if (!parse_price(optarg, &minp)) return cli_usage("recommend", "--min-price must be a number >= 0"); break;
    case 'P': if (!parse_price(optarg, &maxp)) return cli_usage("recommend", "--max-price must be a number >= 0"); break;
    case 'A': pricier = true; break;
    case 'S': save = optarg; break;
    case 'i': index = optarg; break;
    case 'c': cfg = optarg; break;
    case 'j': json = true; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("recommend", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("recommend", "unexpected argument '%s'", argv[optind]);
  if (orders && model) return cli_usage("recommend", "give one of --orders FILE or --model FILE, not both");
  if (!orders && !model && !index) return cli_usage("recommend", "give --orders FILE, --model FILE or --index DIR");
  if (!cart && !hist) return cli_usage("recommend", "--cart (or --history) is required");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("recommend", cfg, &ctx);
  if (rc) return rc;
  ecai_recommend *r = NULL;
  ecai_store *store = NULL;
  ecai_status st;
  if (index && (st = ecai_store_open(&store, ctx, index))) {
    ecai_ctx_free(ctx);
    return cli_fail("recommend", st, "cannot open the index");
  }
  if (model) {
    st = ecai_recommend_load(&r, ctx, model);
    if (!st && store) st = attach_store(r, store);
    if (st) {
      rc = cli_fail("recommend", st, "cannot load the model");
      ecai_recommend_free(r);
      ecai_store_free(store);
      ecai_ctx_free(ctx);
      return rc;
    }
  } else {
    st = ecai_recommend_new(&r, ctx);
    if (!st && store) st = attach_store(r, store);
    if (!st && orders) st = ecai_recommend_load_orders(r, orders, 0);
    if (!st && orders) st = ecai_recommend_fit(r); /* without orders: content only */
    if (st) {
      rc = cli_fail("recommend", st, orders ? "cannot train on the orders" : "cannot use the catalog");
      ecai_recommend_free(r);
      ecai_store_free(store);
      ecai_ctx_free(ctx);
      return rc;
    }
  }
  if (save && (st = ecai_recommend_save(r, save))) {
    rc = cli_fail("recommend", st, "cannot save the model");
    ecai_recommend_free(r);
    ecai_store_free(store);
    ecai_ctx_free(ctx);
    return rc;
  }
  json_t *req = json_object(), *ca = json_array(), *ha = json_array(), *xa = json_array();
  if (cart) add_ids(ca, cart);
  if (hist) add_ids(ha, hist);
  if (excl) add_ids(xa, excl);
  json_object_set_new(req, "cart", ca);
  json_object_set_new(req, "history", ha);
  json_object_set_new(req, "exclude", xa);
  json_object_set_new(req, "k", json_integer(k));
  if (strategy) json_object_set_new(req, "strategy", json_string(strategy));
  if (minp >= 0) json_object_set_new(req, "min_price", json_real(minp));
  if (maxp >= 0) json_object_set_new(req, "max_price", json_real(maxp));
  if (pricier) json_object_set_new(req, "allow_pricier", json_true());
  char *rs = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  char *out = NULL;
  st = rs ? ecai_recommend_query(&out, NULL, r, rs, strlen(rs)) : ECAI_ENOMEM;
  free(rs);
  if (st) {
    rc = cli_fail("recommend", st, "request failed");
  } else if (json) {
    printf("%s\n", out);
  } else {
    json_t *j = json_loads(out, 0, NULL);
    json_t *items = json_object_get(j, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it) {
      printf("%2zu. %-12s %8.4f  %s\n", i + 1, json_string_value(json_object_get(it, "id")),
             json_number_value(json_object_get(it, "score")), json_string_value(json_object_get(it, "reason")));
    }
    if (json_array_size(items) == 0) printf("no recommendations\n");
    json_decref(j);
  }
  ecai_free(out);
  ecai_recommend_free(r);
  ecai_store_free(store); /* after r: its callbacks use the store */
  ecai_ctx_free(ctx);
  return rc;
}
