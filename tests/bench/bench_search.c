/*
 * Benchmark of ecai_search (not a timed test): hybrid (and bm25) search latency p50/p99 and
 * QPS on one thread over the Home Depot catalog and its 8,250 dev queries, next to SQLite
 * FTS5 (tokenize='porter unicode61', query terms joined with OR, ORDER BY bm25() LIMIT 10,
 * over title) on the same queries in the same run. libsqlite3 is loaded with dlopen() so the
 * benchmark links with the library's own libraries only.
 * Also: keyword index build time and search.bin open time, and the learnt ranker
 * (ecai_search_learn on the tune half of the judged queries): hybrid latency with it and
 * without it ("rerank": false), interleaved query by query, as a ratio of p50s.
 * Run with `make bench`.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecai.h>

#include "bench_util.h"
#include "bench_fts5.h"

static char **queries;
static size_t nq;

static void report(const char *name, double *lat, size_t n) {
  qsort(lat, n, sizeof *lat, cmpd);
  double tot = 0;
  for (size_t i = 0; i < n; i++) tot += lat[i];
  printf("%-34s p50 %8.3f ms  p99 %8.3f ms  %8.0f queries/s\n", name, lat[n / 2] * 1e3,
         lat[(size_t)(0.99 * (double)n)] * 1e3, (double)n / tot);
}

/* ---- FTS5 (bench_fts5.h) ---- */
static int fts5_bench(const char *products) {
  sqlite3 *db = fts5_open_table();
  if (!db) return 0;
  double t0 = now();
  sqlite3_stmt *ins = NULL, *q = NULL;
  s_exec(db, "BEGIN", 0, 0, 0);
  s_prepare(db, "INSERT INTO p VALUES(?,?)", -1, &ins, NULL);
  FILE *f = fopen(products, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while (f && (n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    char *tab = strchr(line, '\t');
    if (!tab || !strncmp(line, "product_id\t", 11)) continue;
    *tab = 0;
    s_bind_text(ins, 1, line, -1, SQLITE_TRANSIENT);
    s_bind_text(ins, 2, tab + 1, -1, SQLITE_TRANSIENT);
    s_step(ins);
    s_reset(ins);
  }
  if (f) fclose(f);
  free(line);
  s_finalize(ins);
  s_exec(db, "COMMIT", 0, 0, 0);
  printf("FTS5 index build: %.2f s\n", now() - t0);
  s_prepare(db, "SELECT pid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10", -1, &q, NULL);
  double *lat = malloc(nq * sizeof *lat);
  size_t m = 0;
  char expr[4096];
  for (size_t i = 0; i < nq; i++) {
    /* terms = runs of letters/digits, quoted, joined with OR */
    size_t e = 0;
    const char *s = queries[i];
    while (*s && e < sizeof expr - 64) {
      while (*s && !isalnum((unsigned char)*s)) s++;
      if (!*s) break;
      if (e) e += (size_t)snprintf(expr + e, sizeof expr - e, " OR ");
      expr[e++] = '"';
      while (*s && isalnum((unsigned char)*s) && e < sizeof expr - 8) expr[e++] = (char)tolower((unsigned char)*s++);
      expr[e++] = '"';
    }
    expr[e] = 0;
    if (!e) continue;
    double a = now();
    s_bind_text(q, 1, expr, -1, SQLITE_TRANSIENT);
    while (s_step(q) == SQLITE_ROW) {
    }
    s_reset(q);
    lat[m++] = now() - a;
  }
  s_finalize(q);
  s_close(db);
  report("SQLite FTS5 bm25 (OR), k=10", lat, m);
  free(lat);
  return 0;
}

/* Hybrid with the learnt ranker against without it, same engine, interleaved. */
static void learnt_bench(ecai_search *s, const char *root, const char *qpath) {
  char lpath[1024], *rep = NULL;
  snprintf(lpath, sizeof lpath, "%s/../shared/data/search/homedepot/labels.tsv", root);
  double t0 = now();
  if (ecai_search_learn(&rep, NULL, s, NULL, qpath, lpath, "{\"split\":\"tune\"}")) {
    printf("learnt ranker: %s, skipped\n", ecai_last_error());
    return;
  }
  printf("learnt ranker: learnt in %.1f s: %s\n", now() - t0, rep);
  ecai_free(rep);
  double *on = malloc(nq * sizeof *on), *off = malloc(nq * sizeof *off);
  for (size_t i = 0; i < nq; i++)
    for (int k = 0; k < 2; k++) {
      char *out = NULL;
      double a = now();
      if (ecai_search_query(&out, NULL, s, queries[i], strlen(queries[i]), k ? "{\"k\":10,\"rerank\":false}" : "{\"k\":10}")) {
        printf("query failed: %s\n", ecai_last_error());
        exit(1);
      }
      (k ? off : on)[i] = now() - a;
      ecai_free(out);
    }
  report("ecai hybrid + learnt ranker, k=10", on, nq);
  report("ecai hybrid, ranker off (same run)", off, nq);
  printf("learnt ranker / unlearnt hybrid p50 latency: %.2fx\n", on[nq / 2] / off[nq / 2]);
  free(on), free(off);
}

int main(void) {
  const char *root = getenv("ECAI_ROOT") ? getenv("ECAI_ROOT") : ".";
  char products[1024], qpath[1024];
  snprintf(products, sizeof products, "%s/../shared/data/search/homedepot/products.tsv", root);
  snprintf(qpath, sizeof qpath, "%s/../shared/data/search/homedepot/queries.tsv", root);
  nq = bench_read_queries(qpath, &queries, SIZE_MAX);
  if (!nq) {
    printf("bench_search: %s not found, skipped\n", qpath);
    return 0;
  }
  ecai_ctx *ctx = NULL;
  ecai_store *st = NULL;
  ecai_search *s = NULL;
  size_t loaded = 0, skipped = 0;
  if (ecai_ctx_new(&ctx, NULL, 0) || ecai_store_new(&st, ctx) ||
      ecai_catalog_load(&loaded, &skipped, ecai_store_catalog(st), products, ECAI_CATALOG_AUTO, NULL, 0) ||
      ecai_store_build(NULL, st, 0, NULL, NULL)) {
    printf("bench_search: cannot build the store: %s\n", ecai_last_error());
    return 1;
  }
  double t0 = now();
  if (ecai_search_new(&s, st)) {
    printf("bench_search: %s\n", ecai_last_error());
    return 1;
  }
  printf("Home Depot: %zu products, %zu queries; keyword index build %.2f s\n", loaded, nq, now() - t0);
  double *lat = malloc(nq * sizeof *lat);
  const char *modes[2] = {"hybrid", "bm25"};
  for (int m = 0; m < 2; m++) {
    char opts[64], name[64];
    snprintf(opts, sizeof opts, "{\"k\":10,\"mode\":\"%s\"}", modes[m]);
    for (size_t i = 0; i < nq; i++) {
      char *out = NULL;
      double a = now();
      if (ecai_search_query(&out, NULL, s, queries[i], strlen(queries[i]), opts)) {
        printf("query failed: %s\n", ecai_last_error());
        return 1;
      }
      lat[i] = now() - a;
      ecai_free(out);
    }
    snprintf(name, sizeof name, "ecai %s, k=10 (incl. JSON)", modes[m]);
    report(name, lat, nq);
  }
  free(lat);
  learnt_bench(s, root, qpath);
  fts5_bench(products);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
  for (size_t i = 0; i < nq; i++) free(queries[i]);
  free(queries);
  return 0;
}
