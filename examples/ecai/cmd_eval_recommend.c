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
    "earlier orders are the history. Reports hit-rate@k, nDCG@k and catalog coverage for\n"
    "popularity, cooccurrence (raw counts), cosine co-occurrence, EASE, content (builtin\n"
    "embedder over the titles) and the blended recommender, with the cold-start slice\n"
    "(hidden products with fewer than recommend.cold_orders training orders).\n"
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
    printf("test baskets: %lld (cold-start: %lld)\n", (long long)json_integer_value(json_object_get(j, "test_baskets")),
           (long long)json_integer_value(json_object_get(j, "cold_start_baskets")));
    printf("%-18s %12s %10s %9s %14s\n", "method", key, "ndcg", "coverage", "cold hit-rate");
    json_object_foreach(methods, name, m) {
      snprintf(key, sizeof key, "ndcg@%ld", k);
      double nd = json_number_value(json_object_get(m, key));
      snprintf(key, sizeof key, "hit_rate@%ld", k);
      printf("%-18s %12.4f %10.4f %9.4f %14.4f\n", name, json_number_value(json_object_get(m, key)), nd,
             json_number_value(json_object_get(m, "coverage")),
             json_number_value(json_object_get(json_object_get(m, "cold_start"), key)));
    }
  }
  if (rc == CLI_FAILED) fprintf(stderr, "ecai eval-recommend: the blended recommender does not beat every baseline\n");
  json_decref(j);
  ecai_free(rep);
  return rc;
}
