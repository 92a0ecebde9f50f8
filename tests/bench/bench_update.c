/*
 * Live updates (ecai_store_update_json) on the Home Depot store built in the same run
 * (54,667 products, Flat index mapped, search.bin mapped):
 *   - a price update on a store opened from its folder (journal append: file lock, write,
 *     two fdatasync) against the same update on a store built in memory (no journal);
 *   - a title update (re-embedding one product, journal record with its vector, the
 *     vector replaced beside the shared mapping of the index) against it;
 *   - hybrid query p50 before any update and after 1,000 price and 200 title updates
 *     (the keyword delta rescoring 200 changed products in every query);
 *   - another process that opened the store before those updates: its first query (which
 *     applies the 1,200 journal records) against its next ones.
 * Run with `make bench`. Data: $ECAI_DATA or $ECAI_ROOT/../shared/data (search/homedepot).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ecai.h>

#include "bench_util.h"

static char dir[512], qpath[4400], products[4200];
static char **queries;
static size_t nqueries;
static char skus[2000][32];

static void die(const char *what) {
  fprintf(stderr, "bench_update: %s: %s\n", what, ecai_last_error());
  exit(1);
}

static double pct(double *v, size_t n, double p) {
  qsort(v, n, sizeof *v, cmpd);
  return v[(size_t)(p * (double)(n - 1))];
}

static double query_p50(ecai_search *se) {
  double t[200];
  for (size_t i = 0; i < nqueries; i++) {
    char *js = NULL;
    double t0 = now();
    if (ecai_search_query(&js, NULL, se, queries[i], strlen(queries[i]), NULL)) die("query");
    t[i] = (now() - t0) * 1e6;
    ecai_free(js);
  }
  return pct(t, nqueries, 0.5);
}

/* n updates of SKUs [from, from + n) with JSON made by fmt(i); returns the median in us. */
static double updates(ecai_store *s, size_t from, size_t n, int title) {
  double *t = malloc(n * sizeof *t);
  char js[256];
  for (size_t i = 0; i < n; i++) {
    if (title) snprintf(js, sizeof js, "{\"title\":\"Cordless brushless drill kit %zu with two batteries\"}", i);
    else snprintf(js, sizeof js, "{\"price\":%zu.99,\"in_stock\":%s}", 10 + i % 500, i % 7 ? "true" : "false");
    double t0 = now();
    if (ecai_store_update_json(s, skus[from + i], js)) die("update");
    t[i] = (now() - t0) * 1e6;
  }
  double m = pct(t, n, 0.5);
  free(t);
  return m;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  setenv("OMP_NUM_THREADS", "1", 1);
  const char *root = getenv("ECAI_ROOT") ? getenv("ECAI_ROOT") : ".";
  char data[4096];
  if (getenv("ECAI_DATA")) snprintf(data, sizeof data, "%s", getenv("ECAI_DATA"));
  else snprintf(data, sizeof data, "%s/../shared/data", root);
  snprintf(products, sizeof products, "%s/search/homedepot/products.tsv", data);
  snprintf(qpath, sizeof qpath, "%s/search/homedepot/queries.tsv", data);
  if (access(products, R_OK)) {
    printf("bench_update: skipped (no %s)\n", products);
    return 0;
  }
  snprintf(dir, sizeof dir, "/tmp/ecai-bench-update-%d", (int)getpid());
  nqueries = bench_read_queries(qpath, &queries, 200);
  if (nqueries < 20) die("queries");
  double t0 = now();
  ecai_ctx *ctx = NULL;
  ecai_store *mem = NULL;
  ecai_search *se = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0) || ecai_store_new(&mem, ctx) ||
      ecai_catalog_load(NULL, NULL, ecai_store_catalog(mem), products, ECAI_CATALOG_AUTO, NULL, 0) ||
      ecai_store_build(NULL, mem, 0, NULL, NULL) || ecai_store_save(mem, dir) || ecai_search_new(&se, mem) ||
      ecai_search_save(se, dir))
    die("build");
  ecai_search_free(se);
  int64_t id = -1;
  for (size_t i = 0; i < 2000 && !ecai_catalog_next(&id, ecai_store_catalog(mem), id); i++)
    snprintf(skus[i], sizeof skus[i], "%s", ecai_catalog_sku(ecai_store_catalog(mem), id * 7 % 54000));
  printf("%-64s %.1f s\n", "homedepot store built and saved (Flat, search.bin)", now() - t0);

  ecai_store *st = NULL;
  if (ecai_store_open(&st, ctx, dir) || ecai_search_open(&se, st, dir)) die("open");
  /* a reader process opened before the updates; it waits for a byte, then queries */
  int go[2], back[2];
  if (pipe(go) || pipe(back)) die("pipe");
  pid_t reader = fork();
  if (reader == 0) {
    ecai_ctx *c2 = NULL;
    ecai_store *s2 = NULL;
    ecai_search *e2 = NULL;
    if (ecai_ctx_new(&c2, NULL, 0) || ecai_store_open(&s2, c2, dir) || ecai_search_open(&e2, s2, dir)) _exit(1);
    char c;
    double r[2];
    (void)query_p50(e2); /* warm */
    if (read(go[0], &c, 1) != 1) _exit(1);
    char *js = NULL;
    double a = now();
    if (ecai_search_query(&js, NULL, e2, queries[0], strlen(queries[0]), NULL)) _exit(1);
    r[0] = (now() - a) * 1e6;
    ecai_free(js);
    r[1] = query_p50(e2);
    _exit(write(back[1], r, sizeof r) == sizeof r ? 0 : 1);
  }
  double q0 = query_p50(se);
  double um = updates(mem, 0, 1000, 0), uj = updates(st, 0, 1000, 0);
  printf("%-64s %12s %12s %8s\n", "", "journal", "in memory", "ratio");
  printf("%-64s %12.1f %12.1f %7.1fx\n", "price update, us (median of 1,000)", uj, um, uj / um);
  double a = now();
  if (ecai_store_update_json(st, skus[1000], "{\"title\":\"Cordless drill kit\"}")) die("update");
  double first = (now() - a) * 1e6;
  double tj = updates(st, 1001, 200, 1);
  printf("%-64s %12.1f %12s %7.1fx\n", "title update, us (median of 200; re-embed + vector)", tj, "", tj / uj);
  printf("%-64s %12.0f\n", "  the first title update in the process, us", first);
  double q1 = query_p50(se);
  printf("%-64s %12.0f %12.0f %7.2fx\n", "hybrid query p50, us: after 1,000 price + 201 title updates vs none", q1, q0,
         q1 / q0);
  char c = 'g';
  double r[2] = {0};
  int ws = 0;
  if (write(go[1], &c, 1) != 1 || read(back[0], r, sizeof r) != sizeof r || waitpid(reader, &ws, 0) != reader || ws)
    die("reader");
  printf("%-64s %12.0f %12.0f %7.1fx\n", "other process: first query (applies 1,201 records) vs next p50, us", r[0],
         r[1], r[0] / r[1]);
  ecai_search_free(se);
  ecai_store_free(st);
  ecai_store_free(mem);
  ecai_ctx_free(ctx);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) return 1;
  return 0;
}
