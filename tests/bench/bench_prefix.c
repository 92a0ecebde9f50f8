/*
 * Benchmark of search as you type (not a timed test): 300 typed prefixes of real Home Depot
 * titles, each the first three words of a product's title and the first three letters of
 * its fourth word ("GE UltraPro 1 Eth"; products taken in the order of the XXH3-64 of
 * their id, titles with a fourth word of 4+ bytes whose first three are ASCII letters or
 * digits; tests/eval/eval_prefix.sh picks the same ones). The product itself is the target:
 * top-10 find rate and latency p50/p99 of ecai_search_query with "prefix": true (hybrid and
 * bm25) next to SQLite FTS5's prefix query ("w1" AND "w2" AND "w3" AND "eth"*, porter
 * unicode61 over titles, ORDER BY bm25() LIMIT 10) on the same prefixes in the same run.
 * libsqlite3 is loaded with dlopen(). Run with `make bench`.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecai.h>
#include <jansson.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bench_util.h"
#include "bench_fts5.h"

enum { NPREFIX = 300 };

typedef struct prod { uint64_t h; char *id, *title; } prod;
static prod *prods;
static size_t nprod;
static char *pq[NPREFIX], *target[NPREFIX];
static size_t npq;

static int cmp_prod(const void *a, const void *b) {
  const prod *x = a, *y = b;
  return x->h < y->h ? -1 : x->h > y->h;
}

static void load(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char *line = NULL;
  size_t cap = 0, pcap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    char *tab = strchr(line, '\t');
    if (!tab || !strncmp(line, "product_id\t", 11)) continue;
    *tab = 0;
    if (nprod == pcap) prods = realloc(prods, (pcap = pcap ? 2 * pcap : 65536) * sizeof *prods);
    char *t2 = strchr(tab + 1, '\t');
    if (t2) *t2 = 0;
    prods[nprod++] = (prod){XXH3_64bits(line, strlen(line)), strdup(line), strdup(tab + 1)};
  }
  free(line);
  fclose(f);
  qsort(prods, nprod, sizeof *prods, cmp_prod);
  for (size_t i = 0; i < nprod && npq < NPREFIX; i++) {
    const char *w[4], *s = prods[i].title;
    size_t wl[4], k = 0;
    while (k < 4) { /* words = runs of non-space bytes */
      while (*s == ' ') s++;
      if (!*s) break;
      w[k] = s;
      while (*s && *s != ' ') s++;
      wl[k] = (size_t)(s - w[k]);
      k++;
    }
    if (k < 4 || wl[3] < 4 || !isalnum((unsigned char)w[3][0]) || !isalnum((unsigned char)w[3][1]) ||
        !isalnum((unsigned char)w[3][2]))
      continue;
    char q[1024];
    snprintf(q, sizeof q, "%.*s %.*s %.*s %.3s", (int)wl[0], w[0], (int)wl[1], w[1], (int)wl[2], w[2], w[3]);
    pq[npq] = strdup(q);
    target[npq++] = prods[i].id;
  }
}

static void report(const char *name, double *lat, size_t n, size_t found) {
  qsort(lat, n, sizeof *lat, cmpd);
  printf("%-36s found %3zu/%zu  p50 %7.3f ms  p99 %7.3f ms\n", name, found, n, lat[n / 2] * 1e3,
         lat[(size_t)(0.99 * (double)n)] * 1e3);
}

/* ---- FTS5 (bench_fts5.h) ---- */
static double fts5_prefix(size_t *found_out) {
  sqlite3 *db = fts5_open_table();
  if (!db) return 0;
  sqlite3_stmt *ins = NULL, *q = NULL;
  s_exec(db, "BEGIN", 0, 0, 0);
  s_prepare(db, "INSERT INTO p VALUES(?,?)", -1, &ins, NULL);
  for (size_t i = 0; i < nprod; i++) {
    s_bind_text(ins, 1, prods[i].id, -1, SQLITE_TRANSIENT);
    s_bind_text(ins, 2, prods[i].title, -1, SQLITE_TRANSIENT);
    s_step(ins);
    s_reset(ins);
  }
  s_finalize(ins);
  s_exec(db, "COMMIT", 0, 0, 0);
  s_prepare(db, "SELECT pid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10", -1, &q, NULL);
  double lat[NPREFIX];
  size_t found = 0;
  for (size_t i = 0; i < npq; i++) {
    /* runs of letters/digits, quoted, joined with AND; the last one is a prefix */
    char expr[2048];
    size_t e = 0;
    const char *s = pq[i];
    while (*s && e < sizeof expr - 64) {
      while (*s && !isalnum((unsigned char)*s)) s++;
      if (!*s) break;
      if (e) e += (size_t)snprintf(expr + e, sizeof expr - e, " AND ");
      expr[e++] = '"';
      while (*s && isalnum((unsigned char)*s) && e < sizeof expr - 8) expr[e++] = (char)tolower((unsigned char)*s++);
      expr[e++] = '"';
    }
    expr[e++] = '*';
    expr[e] = 0;
    double a = now();
    s_bind_text(q, 1, expr, -1, SQLITE_TRANSIENT);
    int hit = 0;
    while (s_step(q) == SQLITE_ROW)
      if (!strcmp((const char *)s_column_text(q, 0), target[i])) hit = 1;
    s_reset(q);
    lat[i] = now() - a;
    found += (size_t)hit;
  }
  s_finalize(q);
  s_close(db);
  report("SQLite FTS5 prefix (AND), k=10", lat, npq, found);
  *found_out = found;
  return lat[npq / 2];
}

int main(void) {
  const char *root = getenv("ECAI_ROOT") ? getenv("ECAI_ROOT") : ".";
  char products[1024];
  if (getenv("ECAI_DATA")) snprintf(products, sizeof products, "%s/search/homedepot/products.tsv", getenv("ECAI_DATA"));
  else snprintf(products, sizeof products, "%s/../shared/data/search/homedepot/products.tsv", root);
  load(products);
  if (npq < NPREFIX) {
    printf("bench_prefix: %s not found (or too small), skipped\n", products);
    return 0;
  }
  ecai_ctx *ctx = NULL;
  ecai_store *st = NULL;
  ecai_search *s = NULL;
  size_t loaded = 0, skipped = 0;
  if (ecai_ctx_new(&ctx, NULL, 0) || ecai_store_new(&st, ctx) ||
      ecai_catalog_load(&loaded, &skipped, ecai_store_catalog(st), products, ECAI_CATALOG_AUTO, NULL, 0) ||
      ecai_store_build(NULL, st, 0, NULL, NULL) || ecai_search_new(&s, st)) {
    printf("bench_prefix: %s\n", ecai_last_error());
    return 1;
  }
  printf("Home Depot: %zu products, %zu typed prefixes (e.g. \"%s\")\n", loaded, npq, pq[0]);
  const char *modes[2] = {"hybrid", "bm25"};
  double p50[2] = {0};
  size_t found[2] = {0};
  for (int m = 0; m < 2; m++) {
    char opts[96], name[64];
    double lat[NPREFIX];
    snprintf(opts, sizeof opts, "{\"k\":10,\"mode\":\"%s\",\"prefix\":true}", modes[m]);
    for (int rep = 0; rep < 2; rep++) /* the first pass also sorts the vocabularies once */
      for (size_t i = 0; i < npq; i++) {
        char *out = NULL;
        double a = now();
        if (ecai_search_query(&out, NULL, s, pq[i], strlen(pq[i]), opts)) {
          printf("query failed: %s\n", ecai_last_error());
          return 1;
        }
        lat[i] = now() - a;
        if (rep) {
          json_t *doc = json_loads(out, 0, NULL), *hit;
          size_t j;
          json_array_foreach(json_object_get(doc, "hits"), j, hit)
            if (!strcmp(json_string_value(json_object_get(hit, "id")), target[i])) found[m]++;
          json_decref(doc);
        }
        ecai_free(out);
      }
    snprintf(name, sizeof name, "ecai %s prefix, k=10 (incl. JSON)", modes[m]);
    report(name, lat, npq, found[m]);
    p50[m] = lat[npq / 2];
  }
  size_t ffound = 0;
  double fp50 = fts5_prefix(&ffound);
  if (fp50 > 0)
    printf("ecai hybrid / FTS5: find rate %.3f, p50 latency %.2fx (target: rate >= 1, p50 < 1 ms: %s)\n",
           (double)found[0] / (double)(ffound ? ffound : 1), p50[0] / fp50,
           found[0] >= ffound && p50[0] < 1e-3 ? "met" : "MISSED");
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
  for (size_t i = 0; i < npq; i++) free(pq[i]);
  for (size_t i = 0; i < nprod; i++) free(prods[i].id), free(prods[i].title);
  free(prods);
  return 0;
}
