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

/* Queries are embedded and searched in batches (one FAISS call per batch: BLAS). */
#define QBATCH 256

static int flush_batch(ecai_store *store, char **qid, char **qtext, size_t n, size_t k) {
  ecai_embedder *emb = ecai_store_embedder(store);
  ecai_index *idx = ecai_store_index(store);
  ecai_catalog *cat = ecai_store_catalog(store);
  size_t dim = ecai_index_dim(idx);
  float *q = malloc(n * dim * sizeof *q), *sc = malloc(n * k * sizeof *sc);
  int64_t *ids = malloc(n * k * sizeof *ids);
  int rc = CLI_OK;
  ecai_status st = (!q || !sc || !ids) ? ECAI_ENOMEM : ECAI_OK;
  if (!st) st = ecai_index_check_embedder(idx, emb);
  if (!st) st = ecai_embedder_embed_batch(q, emb, (const char *const *)qtext, NULL, n);
  if (!st) st = ecai_index_search_batch(ids, sc, idx, q, n, k);
  if (st) {
    rc = cli_fail("search", st, "query failed");
  } else {
    for (size_t i = 0; i < n; i++) {
      json_t *hits = json_array();
      for (size_t j = 0; j < k; j++) {
        const char *sku = ids[i * k + j] >= 0 ? ecai_catalog_sku(cat, ids[i * k + j]) : NULL;
        if (sku) json_array_append_new(hits, json_pack("{s:s,s:f}", "id", sku, "score", (double)sc[i * k + j]));
      }
      json_t *o = json_pack("{s:s,s:o}", "query_id", qid[i], "hits", hits);
      char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
      if (s) puts(s);
      free(s);
      json_decref(o);
    }
  }
  free(q);
  free(sc);
  free(ids);
  return rc;
}

static int run_queries(ecai_store *store, const char *path, size_t k) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "ecai search: cannot open %s\n", path);
    return CLI_USAGE;
  }
  char *line = NULL, *qid[QBATCH], *qtext[QBATCH];
  size_t cap = 0, nb = 0, lineno = 0;
  ssize_t n;
  int rc = CLI_OK;
  while (rc == CLI_OK && (n = getline(&line, &cap, f)) >= 0) {
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
    qid[nb] = strdup(line);
    qtext[nb] = strdup(tab + 1);
    nb++;
    if (nb == QBATCH) {
      rc = flush_batch(store, qid, qtext, nb, k);
      for (size_t i = 0; i < nb; i++) free(qid[i]), free(qtext[i]);
      nb = 0;
    }
  }
  if (rc == CLI_OK && nb) rc = flush_batch(store, qid, qtext, nb, k);
  for (size_t i = 0; i < nb; i++) free(qid[i]), free(qtext[i]);
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
