/* ecai eval-recommend: hide-one-item evaluation of the recommenders on real transactions. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai eval-recommend --transactions FILE --train-before DATE --test-before DATE\n"
    "                           [--k N] [--config FILE] [--json]\n\n"
    "Trains on the orders dated before --train-before and tests every order dated from\n"
    "--train-before up to --test-before with at least 2 distinct products: one product\n"
    "(chosen by a hash of the order id) is hidden, the rest is the cart, the customer's\n"
    "training orders dated before it are the history. Reports hit-rate@k, nDCG@k and catalog\n"
    "coverage for popularity, cooccurrence (raw counts), cosine co-occurrence, EASE, content\n"
    "(builtin embedder over the titles) and the blended recommender, with the cold-start slice\n"
    "(hidden products with fewer than recommend.cold_orders training orders) and the slices of\n"
    "baskets whose customer has training orders (with_history) or not (without_history).\n"
    "Order value (value of a line = quantity x unit price; returns, cancellations and zero\n"
    "prices are not sales and are left out):\n"
    "  revenue@k       value of the hidden items found in the top k / value of all hidden items\n"
    "  aov_lift_bound  that recovered value / the value of all test baskets: the order value a\n"
    "                  basket would gain on average if every recovered item were bought, as a\n"
    "                  share of the average basket (an upper bound: a shown item is not a sale)\n"
    "Blended weights (w_rebuy, w_history, w_recent, w_neighbours, w_content) are chosen on the\n"
    "training months only, never on the test window: tune = a model trained on the first half\n"
    "of the training months ranks the 30 days after it, the best of a 288-set grid by\n"
    "hit-rate@k wins; check = a model\n"
    "trained on all but the last 30 training days ranks those days with the tuned and the\n"
    "configured weights, and the tuned ones are used only if they win there (\"tuning\" in the\n"
    "JSON; fewer than 200 baskets: skipped, configured weights). Ablations: blended_cart_only\n"
    "(no history), blended_untuned (configured weights).\n"
    "Bundles: in each test basket of 4+ products a hashed half is held out, the rest is the\n"
    "cart; bundle_hit@1 / @3 = the first bundle / one of the first 3 lies wholly in the held-out\n"
    "half; peers: the two best single recommendations as a pair, as served (MMR diversity on,\n"
    "peer_top2_pair_hit) and without MMR (peer_top2_no_mmr_hit).\n"
    "FILE: UCI Online Retail columns or an orders CSV (gzip accepted). DATE: YYYY-MM-DD.\n"
    "exit status: 0 ok, 1 the blended recommender does not beat every baseline on\n"
    "hit-rate@k, 2 bad input, 3 runtime failure.\n";

int cmd_eval_recommend(int argc, char **argv) {
  static const struct option opts[] = {{"transactions", required_argument, 0, 't'},
                                       {"train-before", required_argument, 0, 'a'},
                                       {"test-before", required_argument, 0, 'b'},
                                       {"k", required_argument, 0, 'k'},
                                       {"config", required_argument, 0, 'c'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *file = NULL, *train = NULL, *test = NULL, *cfg = NULL;
  long k = 10;
  bool json = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "t:a:b:k:c:jh", opts, NULL)) != -1) {
    switch (c) {
    case 't': file = optarg; break;
    case 'a': train = optarg; break;
    case 'b': test = optarg; break;
    case 'k': {
      char *end;
      k = strtol(optarg, &end, 10);
      if (*end || k < 1 || k > 1000) return cli_usage("eval-recommend", "--k must be 1..1000");
      break;
    }
    case 'c': cfg = optarg; break;
    case 'j': json = true; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("eval-recommend", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("eval-recommend", "unexpected argument '%s'", argv[optind]);
  if (!file || !train || !test)
    return cli_usage("eval-recommend", "--transactions, --train-before and --test-before are required");
  int64_t ta, tb;
  if (ecai_recommend_parse_date(&ta, train) || ecai_recommend_parse_date(&tb, test))
    return cli_usage("eval-recommend", "dates must be YYYY-MM-DD");
  if (ta >= tb) return cli_usage("eval-recommend", "--train-before must be before --test-before");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("eval-recommend", cfg, &ctx);
  if (rc) return rc;
  char *rep = NULL;
  ecai_status st = ecai_recommend_evaluate(&rep, NULL, ctx, file, ta, tb, (size_t)k);
  ecai_ctx_free(ctx);
  if (st) return cli_fail("eval-recommend", st, "evaluation failed");
  json_error_t e;
  json_t *j = json_loads(rep, 0, &e);
  rc = CLI_OK;
  char key[32];
  snprintf(key, sizeof key, "hit_rate@%ld", k);
  json_t *methods = json_object_get(j, "methods");
  double blended = json_number_value(json_object_get(json_object_get(methods, "blended"), key));
  const char *name;
  json_t *m;
  if (json_integer_value(json_object_get(j, "test_baskets")) > 0)
    json_object_foreach(methods, name, m) {
      if (strncmp(name, "blended", 7) && json_number_value(json_object_get(m, key)) >= blended) rc = CLI_FAILED;
    }
  if (json) {
    printf("%s\n", rep);
  } else {
    printf("test baskets: %lld (cold-start: %lld, customer with history: %lld)\n",
           (long long)json_integer_value(json_object_get(j, "test_baskets")),
           (long long)json_integer_value(json_object_get(j, "cold_start_baskets")),
           (long long)json_integer_value(json_object_get(j, "history_baskets")));
    json_t *tu = json_object_get(j, "tuning");
    if (json_object_get(tu, "skipped"))
      printf("tuning: skipped (%s)\n", json_string_value(json_object_get(tu, "skipped")));
    else
      printf("tuning: %s weights w_rebuy %g, w_history %g, w_recent %g\n",
             json_string_value(json_object_get(tu, "adopted")), json_number_value(json_object_get(tu, "w_rebuy")),
             json_number_value(json_object_get(tu, "w_history")), json_number_value(json_object_get(tu, "w_recent")));
    char rkey[32];
    snprintf(rkey, sizeof rkey, "revenue@%ld", k);
    printf("%-18s %11s %7s %8s %11s %8s %9s %9s %9s\n", "method", key, "ndcg", "coverage", rkey, "aov_lift",
           "hist hit", "new hit", "cold hit");
    json_t *groups[2] = {methods, json_object_get(j, "ablations")};
    for (int g = 0; g < 2; g++)
      json_object_foreach(groups[g], name, m) {
        char nkey[32];
        snprintf(nkey, sizeof nkey, "ndcg@%ld", k);
        printf("%-18s %11.4f %7.4f %8.4f %11.4f %8.4f %9.4f %9.4f %9.4f\n", name,
               json_number_value(json_object_get(m, key)), json_number_value(json_object_get(m, nkey)),
               json_number_value(json_object_get(m, "coverage")), json_number_value(json_object_get(m, rkey)),
               json_number_value(json_object_get(m, "aov_lift_bound")),
               json_number_value(json_object_get(json_object_get(m, "with_history"), key)),
               json_number_value(json_object_get(json_object_get(m, "without_history"), key)),
               json_number_value(json_object_get(json_object_get(m, "cold_start"), key)));
      }
  }
  if (rc == CLI_FAILED) fprintf(stderr, "ecai eval-recommend: the blended recommender does not beat every baseline\n");
  json_decref(j);
  ecai_free(rep);
  return rc;
}
