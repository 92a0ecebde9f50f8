/* ecai eval: relevance of bm25 / vector / hybrid search on judged queries. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

int cli_open_search(const char *cmd, ecai_ctx *ctx, const char *dir, ecai_store **store, ecai_search **srch);

static const char HELP[] =
    "usage: ecai eval --catalog FILE --queries FILE --labels FILE [--mode bm25|vector|hybrid]\n"
    "                 [--fusion blend|rrf] [--split all|tune|test] [--index DIR] [--config FILE] --json\n\n"
    "Indexes the catalog (products.tsv: product_id, title, ...; .gz accepted), searches every\n"
    "query of the queries file (query_id, query) that has at least one label with grade > 1\n"
    "in the labels file (query_id, product_id, grade 1..3) over the whole catalog and prints\n"
    "one JSON object: {\"mode\",\"queries\",\"labelled\",\"ndcg@10\",\"mrr@10\",\"recall@100\",...}.\n"
    "gain = grade - 1 for nDCG@10; relevant = grade > 1 for MRR@10 and recall@100.\n"
    "--split tune|test evaluates only one half of the queries (chosen by a hash of the query\n"
    "text): tune weights on one half, report on the other. --index DIR reuses a saved state\n"
    "instead of --catalog.\n"
    "exit status: 0 ok, 2 bad input (missing or malformed file), 3 runtime failure.\n";

int cmd_eval(int argc, char **argv) {
  static const struct option opts[] = {
      {"catalog", required_argument, 0, 'c'}, {"queries", required_argument, 0, 'q'},
      {"labels", required_argument, 0, 'l'},  {"mode", required_argument, 0, 'm'},
      {"fusion", required_argument, 0, 'f'},  {"split", required_argument, 0, 's'},
      {"index", required_argument, 0, 'i'},   {"config", required_argument, 0, 'C'},
      {"json", no_argument, 0, 'j'},          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *catalog = NULL, *queries = NULL, *labels = NULL, *mode = NULL, *fusion = NULL, *split = NULL,
             *dir = NULL, *cfg = NULL;
  int json = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:q:l:m:f:s:i:C:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'c': catalog = optarg; break;
    case 'q': queries = optarg; break;
    case 'l': labels = optarg; break;
    case 'm':
      if (strcmp(optarg, "bm25") && strcmp(optarg, "vector") && strcmp(optarg, "hybrid"))
        return cli_usage("eval", "--mode must be bm25, vector or hybrid (got '%s')", optarg);
      mode = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "blend") && strcmp(optarg, "rrf")) return cli_usage("eval", "--fusion must be blend or rrf");
      fusion = optarg;
      break;
    case 's':
      if (strcmp(optarg, "all") && strcmp(optarg, "tune") && strcmp(optarg, "test"))
        return cli_usage("eval", "--split must be all, tune or test");
      split = optarg;
      break;
    case 'i': dir = optarg; break;
    case 'C': cfg = optarg; break;
    case 'j': json = 1; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("eval", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc) return cli_usage("eval", "unexpected argument '%s'", argv[optind]);
  if ((!catalog && !dir) || !queries || !labels)
    return cli_usage("eval", "--catalog (or --index), --queries and --labels are required");
  json_t *oj = json_object();
  if (mode) json_object_set_new(oj, "mode", json_string(mode));
  if (fusion) json_object_set_new(oj, "fusion", json_string(fusion));
  if (split) json_object_set_new(oj, "split", json_string(split));
  char *optstr = json_dumps(oj, JSON_COMPACT);
  json_decref(oj);
  ecai_ctx *ctx = NULL;
  ecai_store *store = NULL;
  ecai_search *srch = NULL;
  char *js = NULL;
  int rc = cli_ctx("eval", cfg, &ctx);
  if (rc) goto out;
  ecai_status st;
  if (dir) {
    rc = cli_open_search("eval", ctx, dir, &store, &srch);
    if (rc) goto out;
  } else {
    size_t loaded = 0, skipped = 0;
    st = ecai_store_new(&store, ctx);
    if (!st) st = ecai_catalog_load(&loaded, &skipped, ecai_store_catalog(store), catalog, ECAI_CATALOG_AUTO, NULL, 0);
    if (st) {
      rc = cli_fail("eval", st, "cannot load the catalog");
      goto out;
    }
    if (!mode || strcmp(mode, "bm25")) {
      st = ecai_store_build(NULL, store, 0, NULL, NULL);
      if (st) {
        rc = cli_fail("eval", st, "cannot index the catalog");
        goto out;
      }
    }
    st = ecai_search_new(&srch, store);
    if (st) {
      rc = cli_fail("eval", st, "cannot build the keyword index");
      goto out;
    }
  }
  size_t jl = 0;
  st = ecai_search_eval(&js, &jl, srch, queries, labels, optstr);
  if (st) {
    rc = cli_fail("eval", st, "evaluation failed");
    goto out;
  }
  if (json) {
    puts(js);
  } else {
    json_t *d = json_loadb(js, jl, 0, NULL);
    printf("mode %s: %lld queries  nDCG@10 %.4f  MRR@10 %.4f  recall@100 %.4f\n",
           json_string_value(json_object_get(d, "mode")), (long long)json_integer_value(json_object_get(d, "queries")),
           json_real_value(json_object_get(d, "ndcg@10")), json_real_value(json_object_get(d, "mrr@10")),
           json_real_value(json_object_get(d, "recall@100")));
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
