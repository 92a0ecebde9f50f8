/* ecai search: open a saved state folder and search it (vector search for now). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai search --index DIR [--k N] [--json] [--config FILE] QUERY\n"
    "       ecai search --index DIR --queries FILE [--k N] --json\n\n"
    "Opens a folder written by 'ecai index' (nothing is re-embedded) and prints the N best\n"
    "products (default 10) for QUERY: 'score<TAB>id<TAB>title' lines, or with --json\n"
    "  {\"hits\":[{\"id\":\"...\",\"score\":0.81,\"title\":\"...\"},...]}\n"
    "--queries FILE reads 'query_id<TAB>query' lines (a 'query_id' header line is skipped)\n"
    "and prints one JSON line per query: {\"query_id\":\"...\",\"hits\":[{\"id\":\"...\",\"score\":...},...]}.\n"
    "Search mode: vector similarity (the hybrid keyword + vector search comes later).\n"
    "exit status: 0 ok, 2 bad input (missing, truncated or damaged DIR; bad query), 3 runtime failure.\n";

static int run_queries(ecai_store *store, const char *path, size_t k) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "ecai search: cannot open %s\n", path);
    return CLI_USAGE;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  size_t lineno = 0;
  int rc = CLI_OK;
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (n == 0) continue;
    char *tab = strchr(line, '\t');
    if (!tab) {
      fprintf(stderr, "ecai search: %s:%zu: expected 'query_id<TAB>query'\n", path, lineno);
      rc = CLI_USAGE;
      break;
    }
    *tab = 0;
    if (lineno == 1 && !strcmp(line, "query_id")) continue;
    const char *q = tab + 1;
    char *js = NULL;
    size_t jl = 0;
    ecai_status st = ecai_store_search(&js, &jl, store, q, strlen(q), k);
    if (st) {
      rc = cli_fail("search", st, "query failed");
      break;
    }
    json_t *doc = json_loadb(js, jl, 0, NULL);
    ecai_free(js);
    json_t *hits = json_object_get(doc, "hits"), *h;
    size_t i;
    json_array_foreach(hits, i, h) json_object_del(h, "title");
    json_t *o = json_pack("{s:s,s:O}", "query_id", line, "hits", hits ? hits : json_array());
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (s) puts(s);
    free(s);
    json_decref(o);
    json_decref(doc);
  }
  free(line);
  fclose(f);
  return rc;
}

int cmd_search(int argc, char **argv) {
  static const struct option opts[] = {
      {"index", required_argument, 0, 'i'}, {"k", required_argument, 0, 'k'}, {"json", no_argument, 0, 'j'},
      {"queries", required_argument, 0, 'q'}, {"config", required_argument, 0, 'C'},
      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *dir = NULL, *queries = NULL, *cfg = NULL;
  long k = 10;
  int json = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:k:jq:C:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': dir = optarg; break;
    case 'k': {
      char *end;
      k = strtol(optarg, &end, 10);
      if (*end || k < 1 || k > 10000) return cli_usage("search", "--k must be 1..10000 (got '%s')", optarg);
      break;
    }
    case 'j': json = 1; break;
    case 'q': queries = optarg; break;
    case 'C': cfg = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("search", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!dir) return cli_usage("search", "--index DIR is required");
  if (!queries && optind != argc - 1) return cli_usage("search", "expected one QUERY argument");
  if (queries && optind != argc) return cli_usage("search", "QUERY and --queries exclude each other");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("search", cfg, &ctx);
  if (rc) return rc;
  ecai_store *store = NULL;
  ecai_status st = ecai_store_open(&store, ctx, dir);
  if (st) {
    rc = cli_fail("search", st, "cannot open the index");
    goto out;
  }
  if (queries) {
    rc = run_queries(store, queries, (size_t)k);
    goto out;
  }
  char *js = NULL;
  size_t jl = 0;
  st = ecai_store_search(&js, &jl, store, argv[optind], strlen(argv[optind]), (size_t)k);
  if (st) {
    rc = cli_fail("search", st, "query failed");
    goto out;
  }
  if (json) {
    puts(js);
  } else {
    json_t *doc = json_loadb(js, jl, 0, NULL), *h;
    size_t i;
    json_array_foreach(json_object_get(doc, "hits"), i, h)
      printf("%.4f\t%s\t%s\n", json_real_value(json_object_get(h, "score")),
             json_string_value(json_object_get(h, "id")), json_string_value(json_object_get(h, "title")));
    json_decref(doc);
  }
  ecai_free(js);
out:
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  return rc;
}
