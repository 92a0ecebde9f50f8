/* ecai recommend: recommendations for a cart (and history) from order history. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai recommend (--orders FILE | --model FILE) --cart ID,... [--history ID,...]\n"
    "                      [--k N] [--strategy mixed|complementary|similar] [--exclude ID,...]\n"
    "                      [--min-price P] [--max-price P] [--allow-pricier] [--save FILE]\n"
    "                      [--index DIR] [--config FILE] [--json]\n\n"
    "Trains a recommender on an orders CSV (order_id,product_id,quantity,price,date,customer\n"
    "[,title] or the UCI Online Retail columns; gzip accepted) or loads a saved model, and\n"
    "recommends products for the cart: co-occurrence, EASE and title similarity blended,\n"
    "cart and history items excluded, diversified, complements not far above the cart's\n"
    "prices. --save writes the trained model (reload it with --model).\n"
    "--index DIR (content from a catalog index) is not available yet.\n"
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
  if (index)
    return cli_usage("recommend", "--index is not available yet (no catalog index in this build); use --orders or --model");
  if (!orders == !model) return cli_usage("recommend", "give exactly one of --orders FILE or --model FILE");
  if (!cart && !hist) return cli_usage("recommend", "--cart (or --history) is required");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("recommend", cfg, &ctx);
  if (rc) return rc;
  ecai_recommend *r = NULL;
  ecai_status st;
  if (model) {
    st = ecai_recommend_load(&r, ctx, model);
    if (st) {
      ecai_ctx_free(ctx);
      return cli_fail("recommend", st, "cannot load the model");
    }
  } else {
    st = ecai_recommend_new(&r, ctx);
    if (!st) st = ecai_recommend_load_orders(r, orders, 0);
    if (!st) st = ecai_recommend_fit(r);
    if (st) {
      rc = cli_fail("recommend", st, "cannot train on the orders");
      ecai_recommend_free(r);
      ecai_ctx_free(ctx);
      return rc;
    }
  }
  if (save && (st = ecai_recommend_save(r, save))) {
    rc = cli_fail("recommend", st, "cannot save the model");
    ecai_recommend_free(r);
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
  ecai_ctx_free(ctx);
  return rc;
}
