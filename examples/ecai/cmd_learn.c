/* ecai learn: learn a ranker from judged queries (or click counts) and save it in a store folder. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

int cli_open_search(const char *cmd, ecai_ctx *ctx, const char *dir, ecai_store **store, ecai_search **srch);

static const char HELP[] =
    "usage: ecai learn --index DIR --queries FILE --labels FILE [--counts] [--split all|tune|test]\n"
    "                  [--options JSON] [--config FILE] [--json]\n\n"
    "Learns to rank from the shop's own judgments and saves the ranker as DIR/ranker.bin;\n"
    "'ecai search', 'ecai eval --index DIR' and ecai_search_query() then rerank the best\n"
    "candidates of the hybrid search with it (query option {\"rerank\":false} switches it off).\n"
    "--queries: 'query_id<TAB>query' lines; --labels: 'query_id<TAB>product_id<TAB>grade'\n"
    "lines, grades 1..3 (decimals allowed). --counts: the third column is a click or purchase\n"
    "count instead; per query the most clicked product becomes grade 3, an unclicked one 1,\n"
    "others 1 + 2 log(1+count)/log(1+max count). A 'query_id' header line is skipped; .gz accepted.\n"
    "--split tune|test learns from one half of the queries only (XXH3 of the query text, even =\n"
    "tune), so the other half stays unseen: check it with 'ecai eval --index DIR --split test'.\n"
    "--options passes learner options as JSON: {\"candidates\":50,\"rounds\":100,\"eta\":0.1,\n"
    "\"max_depth\":4,\"threads\":0,\"min_queries\":20}. The learner is XGBoost's LambdaMART\n"
    "(rank:ndcg); the features are listed in include/ecai/search.h (ecai_search_learn).\n"
    "Prints what was learnt from (with --json the report of ecai_search_learn()).\n"
    "exit status: 0 ok, 2 bad input (unknown queries or products in the labels, grades outside\n"
    "1..3, too few labelled queries, missing files), 3 runtime failure.\n";

int cmd_learn(int argc, char **argv) {
  static const struct option opts[] = {
      {"index", required_argument, 0, 'i'},  {"queries", required_argument, 0, 'q'},
      {"labels", required_argument, 0, 'l'}, {"counts", no_argument, 0, 'n'},
      {"split", required_argument, 0, 's'},  {"options", required_argument, 0, 'o'},
      {"config", required_argument, 0, 'C'}, {"json", no_argument, 0, 'j'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *dir = NULL, *queries = NULL, *labels = NULL, *split = NULL, *extra = NULL, *cfg = NULL;
  int json = 0, counts = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:q:l:ns:o:C:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'i': dir = optarg; break;
    case 'q': queries = optarg; break;
    case 'l': labels = optarg; break;
    case 'n': counts = 1; break;
    case 's':
      if (strcmp(optarg, "all") && strcmp(optarg, "tune") && strcmp(optarg, "test"))
        return cli_usage("learn", "--split must be all, tune or test");
      split = optarg;
      break;
    case 'o': extra = optarg; break;
    case 'C': cfg = optarg; break;
    case 'j': json = 1; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("learn", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc) return cli_usage("learn", "unexpected argument '%s'", argv[optind]);
  if (!dir || !queries || !labels) return cli_usage("learn", "--index, --queries and --labels are required");
  json_t *oj = extra ? json_loads(extra, 0, NULL) : json_object();
  if (!json_is_object(oj)) {
    json_decref(oj);
    return cli_usage("learn", "--options must be a JSON object");
  }
  if (counts) json_object_set_new(oj, "labels", json_string("counts"));
  if (split) json_object_set_new(oj, "split", json_string(split));
  char *optstr = json_dumps(oj, JSON_COMPACT);
  json_decref(oj);
  ecai_ctx *ctx = NULL;
  ecai_store *store = NULL;
  ecai_search *srch = NULL;
  char *js = NULL;
  size_t jl = 0;
  int rc = cli_ctx("learn", cfg, &ctx);
  if (!rc) rc = cli_open_search("learn", ctx, dir, &store, &srch);
  if (rc) goto out;
  ecai_status st = ecai_search_learn(&js, &jl, srch, dir, queries, labels, optstr);
  if (st) {
    rc = cli_fail("learn", st, "learning failed");
    goto out;
  }
  if (json) {
    puts(js);
  } else {
    json_t *d = json_loadb(js, jl, 0, NULL);
    printf("learnt from %lld of %lld judged queries (%lld judgments, split %s); train nDCG@10 %.4f; saved %s\n",
           (long long)json_integer_value(json_object_get(d, "learnt_from")),
           (long long)json_integer_value(json_object_get(d, "queries")),
           (long long)json_integer_value(json_object_get(d, "judgments")),
           json_string_value(json_object_get(d, "split")), json_number_value(json_object_get(d, "train_ndcg@10")),
           json_string_value(json_object_get(d, "file")));
    json_decref(d);
  }
out:
  ecai_free(js);
  free(optstr);
  ecai_search_free(srch);
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  return rc;
}
