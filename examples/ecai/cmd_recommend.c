/* ecai recommend: recommendations for a cart (and history) from order history. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai recommend [--index DIR] (--orders FILE | --model FILE) --cart ID,... [--history ID,...]\n"
    "                      [--customer ID] [--k N]\n"
    "                      [--strategy mixed|complementary|similar|trending|bundle] [--exclude ID,...]\n"
    "                      [--category PATH]... [--exclude-category PATH]...\n"
    "                      [--min-price P] [--max-price P] [--allow-pricier] [--save FILE]\n"
    "                      [--save-index] [--config FILE] [--json]\n"
    "       ecai recommend --index DIR [--orders FILE] --cart ID,... [--history ID,...] [...]\n\n"
    "Trains a recommender on an orders CSV (order_id,product_id,quantity,price,date,customer\n"
    "[,title] or the UCI Online Retail columns; gzip accepted) or loads a saved model, and\n"
    "recommends products for the cart: co-occurrence, EASE and title similarity blended,\n"
    "cart and history items excluded, diversified, complements not far above the cart's\n"
    "prices. --save writes the trained model (reload it with --model).\n"
    "--index DIR (a store saved by `ecai index`) adds the catalog: titles and prices for\n"
    "reasons and price sanity, out-of-stock products filtered, and content similarity from\n"
    "the store's embedder for products with little or no order history; with --index alone\n"
    "(no orders yet, no saved model) recommendations are content-based.\n"
    "Model saved with the index: --save-index (with --index DIR) writes the learnt model to\n"
    "DIR/recommend.bin (atomically, checksummed). Later runs with --index DIR load it (unless\n"
    "--model FILE is given) without --orders; orders given then (--orders FILE) are added\n"
    "to it (lines of known order ids merge) and the model is refitted; add --save-index\n"
    "again to keep the update. A damaged DIR/recommend.bin is an error (exit 2), never\n"
    "silently ignored.\n"
    "--category PATH keeps only products under a catalog category path (\"Kitchen\" matches\n"
    "\"Kitchen > Mugs\"; repeat for several); --exclude-category PATH drops products under it.\n"
    "--customer ID adds that customer's own orders (from the training orders; the most recent\n"
    "200) as purchase history: re-orders and what goes with them, recency-weighted; an unknown\n"
    "customer falls back to the cart (or popularity) and the reply says \"known\": false.\n"
    "--strategy trending: products whose orders in the last 28 days rise against their own\n"
    "previous 84 days (smoothed ratio above 1), the most orders gained first; for empty carts\n"
    "and new visitors (no --cart needed).\n"
    "--strategy bundle: sets of 2-3 of the best recommendations that orders with a cart item\n"
    "held together at least twice, with their combined price and the orders behind them.\n"
    "--json prints {\"items\":[{\"id\":...,\"score\":...,\"reason\":\"...\"},...]}\n"
    "(bundles: {\"bundles\":[{\"items\":[...],\"price\":...,\"orders\":...,\"reason\":...}]}).\n"
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
      const char *cat_path = json_string_value(json_object_get(o, "category"));
      if (cat_path) s = ecai_recommend_set_category(r, sku, cat_path);
      json_decref(o);
      ecai_free(js);
    }
    if (!s) s = ecai_recommend_set_item(r, sku, ecai_catalog_title(cat, id), price);
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

/* DIR/recommend.bin: the model saved with the store. */
static char *store_model_path(const char *dir) {
  size_t n = strlen(dir);
  char *p = malloc(n + 32);
  if (p) snprintf(p, n + 32, "%s%srecommend.bin", dir, (n && dir[n - 1] == '/') ? "" : "/");
  return p;
}

typedef struct {
  const char *orders, *model, *cart, *hist, *strategy, *excl, *save, *index, *cfg, *customer;
  long k;
  double minp, maxp;
  bool json, pricier, save_index;
  json_t *req; /* request fields set while parsing options (categories) */
} reco_args;

static int run(reco_args *a) {
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("recommend", a->cfg, &ctx);
  if (rc) return rc;
  ecai_recommend *r = NULL;
  ecai_store *store = NULL;
  char *ipath = NULL, *out = NULL;
  ecai_status st = ECAI_OK;
  const char *what = "cannot open the index";
  if (a->index && (st = ecai_store_open(&store, ctx, a->index))) goto fail;
  if (a->index && !(ipath = store_model_path(a->index))) {
    st = ECAI_ENOMEM;
    goto fail;
  }
  const char *model = a->model;
  FILE *probe = (!model && ipath) ? fopen(ipath, "rb") : NULL;
  if (probe) { /* a model saved with the index */
    fclose(probe);
    model = ipath;
  }
  what = "cannot load the model";
  if (model) st = ecai_recommend_load(&r, ctx, model);
  else st = ecai_recommend_new(&r, ctx);
  if (st) goto fail;
  what = "cannot use the catalog";
  if (store && (st = attach_store(r, store))) goto fail;
  what = "cannot train on the orders";
  if (a->orders && (st = ecai_recommend_load_orders(r, a->orders, 0))) goto fail;
  if (a->orders && (st = ecai_recommend_fit(r))) goto fail; /* without orders: the saved fit, or content only */
  what = "cannot save the model";
  if (a->save && (st = ecai_recommend_save(r, a->save))) goto fail;
  if (a->save_index && (st = ecai_recommend_save(r, ipath))) goto fail;
  json_t *req = a->req, *ca = json_array(), *ha = json_array(), *xa = json_array();
  if (a->cart) add_ids(ca, a->cart);
  if (a->hist) add_ids(ha, a->hist);
  if (a->excl) add_ids(xa, a->excl);
  json_object_set_new(req, "cart", ca);
  json_object_set_new(req, "history", ha);
  json_object_set_new(req, "exclude", xa);
  json_object_set_new(req, "k", json_integer(a->k));
  if (a->strategy) json_object_set_new(req, "strategy", json_string(a->strategy));
  if (a->customer) json_object_set_new(req, "customer", json_string(a->customer));
  if (a->minp >= 0) json_object_set_new(req, "min_price", json_real(a->minp));
  if (a->maxp >= 0) json_object_set_new(req, "max_price", json_real(a->maxp));
  if (a->pricier) json_object_set_new(req, "allow_pricier", json_true());
  char *rs = json_dumps(req, JSON_COMPACT);
  what = "request failed";
  st = rs ? ecai_recommend_query(&out, NULL, r, rs, strlen(rs)) : ECAI_ENOMEM;
  free(rs);
  if (st) goto fail;
  if (a->json) {
    printf("%s\n", out);
  } else {
    json_t *j = json_loads(out, 0, NULL);
    json_t *items = json_object_get(j, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it) {
      printf("%2zu. %-12s %8.4f  %s\n", i + 1, json_string_value(json_object_get(it, "id")),
             json_number_value(json_object_get(it, "score")), json_string_value(json_object_get(it, "reason")));
    }
    json_t *bundles = json_object_get(j, "bundles"), *b;
    json_array_foreach(bundles, i, b) {
      json_t *bi = json_object_get(b, "items"), *x;
      size_t u;
      printf("%2zu. ", i + 1);
      json_array_foreach(bi, u, x) printf("%s%s", u ? " + " : "", json_string_value(json_object_get(x, "id")));
      if (json_is_number(json_object_get(b, "price"))) printf("  (%.2f)", json_number_value(json_object_get(b, "price")));
      printf("  %s\n", json_string_value(json_object_get(b, "reason")));
    }
    if (json_array_size(items) == 0 && json_array_size(bundles) == 0) printf("no recommendations\n");
    json_decref(j);
  }
  goto done;
fail:
  rc = cli_fail("recommend", st, what);
done:
  ecai_free(out);
  free(ipath);
  ecai_recommend_free(r);
  ecai_store_free(store); /* after r: its callbacks use the store */
  ecai_ctx_free(ctx);
  return rc;
}

int cmd_recommend(int argc, char **argv) {
  static const struct option opts[] = {{"orders", required_argument, 0, 'o'},  {"model", required_argument, 0, 'm'},
                                       {"cart", required_argument, 0, 'C'},    {"history", required_argument, 0, 'H'},
                                       {"k", required_argument, 0, 'k'},       {"strategy", required_argument, 0, 's'},
                                       {"exclude", required_argument, 0, 'x'}, {"min-price", required_argument, 0, 'p'},
                                       {"max-price", required_argument, 0, 'P'}, {"allow-pricier", no_argument, 0, 'A'},
                                       {"save", required_argument, 0, 'S'},    {"index", required_argument, 0, 'i'},
                                       {"save-index", no_argument, 0, 'I'},    {"category", required_argument, 0, 'g'},
                                       {"exclude-category", required_argument, 0, 'G'},
                                       {"customer", required_argument, 0, 'u'},
                                       {"config", required_argument, 0, 'c'},  {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
  reco_args a = {0};
  a.k = 10;
  a.minp = a.maxp = -1;
  json_t *cats = json_array(), *xcats = json_array();
  int c, rc = -1;
  optind = 1;
  opterr = 0;
  while (rc < 0 && (c = getopt_long(argc, argv, "o:m:C:H:k:s:x:p:P:AS:i:Ig:G:u:c:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': a.orders = optarg; break;
    case 'm': a.model = optarg; break;
    case 'C': a.cart = optarg; break;
    case 'H': a.hist = optarg; break;
    case 'k': {
      char *end;
      a.k = strtol(optarg, &end, 10);
      if (*end || a.k < 1 || a.k > 1000) rc = cli_usage("recommend", "--k must be 1..1000");
      break;
    }
    case 's': a.strategy = optarg; break;
    case 'x': a.excl = optarg; break;
    case 'p': if (!parse_price(optarg, &a.minp)) rc = cli_usage("recommend", "--min-price must be a number >= 0"); break;
    case 'P': if (!parse_price(optarg, &a.maxp)) rc = cli_usage("recommend", "--max-price must be a number >= 0"); break;
    case 'A': a.pricier = true; break;
    case 'S': a.save = optarg; break;
    case 'i': a.index = optarg; break;
    case 'I': a.save_index = true; break;
    case 'g':
    case 'G':
      if (!optarg[0]) rc = cli_usage("recommend", "--category and --exclude-category need a category path");
      else json_array_append_new(c == 'g' ? cats : xcats, json_string(optarg));
      break;
    case 'u':
      if (!optarg[0]) rc = cli_usage("recommend", "--customer needs a customer id");
      a.customer = optarg;
      break;
    case 'c': a.cfg = optarg; break;
    case 'j': a.json = true; break;
    case 'h': fputs(HELP, stdout); rc = CLI_OK; break;
    default: rc = cli_usage("recommend", "unknown or incomplete option '%s'", argv[optind - 1]); break;
    }
  }
  if (rc < 0) {
    if (optind < argc) rc = cli_usage("recommend", "unexpected argument '%s'", argv[optind]);
    else if (a.orders && a.model) rc = cli_usage("recommend", "give one of --orders FILE or --model FILE, not both");
    else if (!a.orders && !a.model && !a.index) rc = cli_usage("recommend", "give --orders FILE, --model FILE or --index DIR");
    else if (a.save_index && !a.index) rc = cli_usage("recommend", "--save-index needs --index DIR");
    else if (!a.cart && !a.hist && !a.customer && !(a.strategy && !strcmp(a.strategy, "trending")))
      rc = cli_usage("recommend", "--cart (or --history, --customer, --strategy trending) is required");
  }
  if (rc < 0) {
    a.req = json_object();
    if (json_array_size(cats)) json_object_set(a.req, "categories", cats);
    if (json_array_size(xcats)) json_object_set(a.req, "exclude_categories", xcats);
    rc = run(&a);
    json_decref(a.req);
  }
  json_decref(cats);
  json_decref(xcats);
  return rc;
}
