/*
 * Opening a saved store with its Flat index mapped (index.mmap true, the default) against
 * read into memory (index.mmap false: index.bin read, hashed and copied into a FAISS
 * IndexFlatIP in every process, search.bin read into a buffer, which is what every open
 * did before the mapped layouts; catalog.bin is mapped in both),
 * on the Home Depot store built in the same run (54,667 products, 384-dim vectors):
 *   - ecai_store_open in a warm page cache: the first open in a fresh process (every
 *     checksum computed) and later opens (checksums of unchanged files are remembered),
 *     medians over fresh processes (wall clock, and the opening thread's CPU time, which
 *     other processes on a busy machine do not inflate), and what each part costs;
 *   - single-query vector search: the exact kernel on the mapping vs FAISS on the copy;
 *   - proportional set size (PSS, /proc/PID/smaps_rollup) of 4 processes that each open
 *     the store and the keyword index (search.bin) and run 20 hybrid queries, vs 1.
 * Every measuring process is forked from a parent that holds no store (as php-fpm
 * workers from their master). Run with `make bench`. Data: $ECAI_DATA or
 * $ECAI_ROOT/../shared/data (search/homedepot).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ecai.h>

#include "bench_util.h"

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "embed/embed_internal.h"
#include "index/index_internal.h"

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmpd);
  return v[n / 2];
}

static void die(const char *what) {
  fprintf(stderr, "bench_open: %s: %s\n", what, ecai_last_error());
  exit(1);
}

static char dir[512], qpath[4400];
static char **queries;
static size_t nqueries;

static ecai_ctx *mode_ctx(int mapped) {
  ecai_ctx *c = NULL;
  const char *js = mapped ? "{\"index\":{\"mmap\":true}}" : "{\"index\":{\"mmap\":false}}";
  if (ecai_ctx_new(&c, js, strlen(js))) die("ctx");
  return c;
}

/* Runs fn in a fresh child; it writes n doubles back. */
typedef void (*child_fn)(int mapped, double *out);
static void in_child(child_fn fn, int mapped, double *out, size_t n) {
  int p[2];
  if (pipe(p)) die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    double *r = calloc(n, sizeof *r);
    fn(mapped, r);
    ssize_t w = write(p[1], r, n * sizeof *r);
    _exit(w == (ssize_t)(n * sizeof *r) ? 0 : 1);
  }
  close(p[1]);
  size_t got = 0;
  while (got < n * sizeof *out) {
    ssize_t r = read(p[0], (char *)out + got, n * sizeof *out - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != n * sizeof *out || status) die("child failed");
}

/* CPU time of this thread, s: what an open costs without the time other processes on a
 * busy machine take from it (wall clock medians of a few ms move with the load). */
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* out: first store open, its first query, median of 15 later opens, median index open,
 * median CPU time of the later opens */
static void opens(int mapped, double *out) {
  ecai_ctx *ctx = mode_ctx(mapped);
  ecai_store *s = NULL;
  double a = now();
  if (ecai_store_open(&s, ctx, dir)) die("open");
  double b = now();
  char *js = NULL;
  if (ecai_store_search(&js, NULL, s, "cordless drill", 14, 10)) die("search");
  out[0] = (b - a) * 1e3;
  out[1] = (now() - b) * 1e3;
  ecai_free(js);
  ecai_store_free(s);
  double t[15], ti[15], tc[15];
  char ip[600];
  snprintf(ip, sizeof ip, "%s/index.bin", dir);
  for (int i = 0; i < 15; i++) {
    a = now();
    double c = cpu_now();
    if (ecai_store_open(&s, ctx, dir)) die("open");
    t[i] = (now() - a) * 1e3;
    tc[i] = (cpu_now() - c) * 1e3;
    ecai_store_free(s);
    ecai_index *x = NULL;
    a = now();
    if (ecai__index_open_file(&x, ctx, ip, NULL)) die("index open");
    ti[i] = (now() - a) * 1e3;
    ecai_index_free(x);
  }
  out[2] = median(t, 15);
  out[3] = median(ti, 15);
  out[4] = median(tc, 15);
}

/* out: medians (ms) of catalog and embedder (mapped as ecai_store_open does; read: read and
 * copied), embedded.bin, search.bin (ecai_search_open) */
static void parts(int mapped, double *out) {
  ecai_ctx *ctx = mode_ctx(mapped);
  ecai_store *s = NULL;
  if (ecai_store_open(&s, ctx, dir)) die("open");
  double t[4][9];
  const char *names[3] = {"catalog.bin", "embedder.bin", "embedded.bin"};
  static const char magics[3][8] = {"ECAICAT", "ECAIEMB", "ECAIHSH"};
  for (int r = 0; r < 9; r++) {
    for (int k = 0; k < 3; k++) {
      char p[600], *data = NULL;
      size_t len = 0;
      snprintf(p, sizeof p, "%s/%s", dir, names[k]);
      double a = now();
      if (k < 2 && mapped) { /* as ecai_store_open: mapped, strings and weights used in place */
        ecai__map mp;
        ecai_catalog *c = NULL;
        ecai_embedder *e = NULL;
        if (ecai__blob_map(p, magics[k], &mp, NULL) ||
            (k == 0 ? ecai__catalog_map(&c, ctx, &mp) : ecai__embedder_map(&e, ctx, &mp)))
          die(names[k]);
        ecai_catalog_free(c);
        ecai_embedder_free(e);
        t[k][r] = (now() - a) * 1e3;
        continue;
      }
      if (ecai__blob_read(p, magics[k], &data, &len, NULL)) die(names[k]);
      if (k == 0) {
        ecai_catalog *c = NULL;
        if (ecai__catalog_read(&c, ctx, data, len)) die("catalog");
        ecai_catalog_free(c);
      } else if (k == 1) {
        ecai_embedder *e = NULL;
        if (ecai__embedder_read(&e, ctx, data, len)) die("embedder");
        ecai_embedder_free(e);
      }
      t[k][r] = (now() - a) * 1e3;
      ecai__free(data);
    }
    ecai_search *se = NULL;
    double a = now();
    if (ecai_search_open(&se, s, dir)) die("search open");
    t[3][r] = (now() - a) * 1e3;
    ecai_search_free(se);
  }
  for (int k = 0; k < 4; k++) out[k] = median(t[k], 9);
  ecai_store_free(s);
}

/* out: p50 and mean (us) of single-query vector searches, k = 10 */
static void latency(int mapped, double *out) {
  ecai_ctx *ctx = mode_ctx(mapped);
  ecai_store *s = NULL;
  if (ecai_store_open(&s, ctx, dir)) die("open");
  ecai_index *x = ecai_store_index(s);
  size_t d = ecai_index_dim(x);
  float *q = malloc(nqueries * d * sizeof *q);
  for (size_t i = 0; i < nqueries; i++)
    if (ecai_embedder_embed(q + i * d, d, ecai_store_embedder(s), queries[i], strlen(queries[i]))) die("embed");
  int64_t ids[10];
  size_t n;
  double *t = malloc(nqueries * sizeof *t), tot = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < nqueries; i++) {
      double a = now();
      if (ecai_index_search(&n, ids, NULL, x, q + i * d, 10, NULL, 0, NULL, NULL)) die("search");
      if (pass) tot += (t[i] = (now() - a) * 1e6);
    }
  out[0] = median(t, nqueries);
  out[1] = tot / (double)nqueries;
  free(t);
  free(q);
  ecai_store_free(s);
}

static long pss_kb(pid_t pid, const char *field) {
  char p[64], line[256];
  snprintf(p, sizeof p, "/proc/%d/smaps_rollup", (int)pid);
  FILE *f = fopen(p, "r");
  long v = -1;
  size_t fl = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') v = atol(line + fl + 1);
  if (f) fclose(f);
  return v;
}

/* Sum of PSS (and RSS) in MB of np processes that each open store + search and run 20
 * hybrid queries, measured while all of them are alive. */
static void memory(int mapped, int np, double *pss, double *rss) {
  int ready[2], go[2];
  if (pipe(ready) || pipe(go)) die("pipe");
  pid_t kids[8];
  for (int k = 0; k < np; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      close(ready[0]);
      close(go[1]);
      ecai_ctx *ctx = mode_ctx(mapped);
      ecai_store *s = NULL;
      ecai_search *se = NULL;
      if (ecai_store_open(&s, ctx, dir) || ecai_search_open(&se, s, dir)) die("open");
      for (size_t i = 0; i < 20 && i < nqueries; i++) {
        char *js = NULL;
        if (ecai_search_query(&js, NULL, se, queries[i], strlen(queries[i]), NULL)) die("query");
        ecai_free(js);
      }
      char c = 'r';
      if (write(ready[1], &c, 1) != 1) _exit(1);
      (void)!read(go[0], &c, 1);
      _exit(0);
    }
  }
  close(ready[1]);
  close(go[0]);
  char c;
  for (int k = 0; k < np; k++)
    if (read(ready[0], &c, 1) != 1) die("child failed");
  *pss = *rss = 0;
  for (int k = 0; k < np; k++) {
    *pss += (double)pss_kb(kids[k], "Pss") / 1024;
    *rss += (double)pss_kb(kids[k], "Rss") / 1024;
  }
  close(go[1]);
  close(ready[0]);
  for (int k = 0; k < np; k++) waitpid(kids[k], NULL, 0);
}

static void build(const char *products) {
  ecai_ctx *ctx = NULL;
  ecai_store *s = NULL;
  ecai_search *se = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0) || ecai_store_new(&s, ctx) ||
      ecai_catalog_load(NULL, NULL, ecai_store_catalog(s), products, ECAI_CATALOG_AUTO, NULL, 0) ||
      ecai_store_build(NULL, s, 0, NULL, NULL) || ecai_store_save(s, dir) || ecai_search_new(&se, s) ||
      ecai_search_save(se, dir))
    die("build");
  ecai_search_free(se);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  setenv("OMP_NUM_THREADS", "1", 1); /* no OpenMP pool to inherit across fork */
  const char *root = getenv("ECAI_ROOT") ? getenv("ECAI_ROOT") : ".";
  char data[4096], products[4200];
  if (getenv("ECAI_DATA")) snprintf(data, sizeof data, "%s", getenv("ECAI_DATA"));
  else snprintf(data, sizeof data, "%s/../shared/data", root);
  snprintf(products, sizeof products, "%s/search/homedepot/products.tsv", data);
  snprintf(qpath, sizeof qpath, "%s/search/homedepot/queries.tsv", data);
  if (access(products, R_OK)) {
    printf("bench_open: skipped (no %s)\n", products);
    return 0;
  }
  snprintf(dir, sizeof dir, "/tmp/ecai-bench-open-%d", (int)getpid());
  nqueries = bench_read_queries(qpath, &queries, 200);
  if (nqueries < 20) die("queries");
  double t0 = now();
  pid_t b = fork();
  if (b == 0) {
    build(products);
    _exit(0);
  }
  int status = 0;
  waitpid(b, &status, 0);
  if (status) die("build");
  printf("%-62s %.1f s\n", "homedepot store built and saved (Flat, search.bin)", now() - t0);
  sleep((unsigned)ecai__verify_settle_s + 1); /* files old enough for their checks to be remembered */
  printf("%-62s %12s %12s %8s\n", "warm page cache, ms (median of fresh processes)", "mapped", "read", "ratio");
  double m[5], r[5], fm[5], fr[5], f1m[5], f1r[5];
  for (int i = 0; i < 5; i++) {
    in_child(opens, 1, m, 5);
    in_child(opens, 0, r, 5);
    fm[i] = m[0];
    fr[i] = r[0];
    f1m[i] = m[1];
    f1r[i] = r[1];
  }
  printf("%-62s %12.1f %12.1f %7.2fx\n", "store_open, first in a process (checksums computed)", median(fm, 5),
         median(fr, 5), median(fm, 5) / median(fr, 5));
  printf("%-62s %12.1f %12.1f %7.2fx\n", "first store_search after it (pages faulted in)", median(f1m, 5),
         median(f1r, 5), median(f1m, 5) / median(f1r, 5));
  printf("%-62s %12.2f %12.1f %7.3fx\n", "store_open, later opens (checksums remembered)", m[2], r[2], m[2] / r[2]);
  printf("%-62s %12.2f %12.1f %7.3fx\n", "  CPU time of those opens (this thread)", m[4], r[4], m[4] / r[4]);
  printf("%-62s %12.2f %12.1f %7.3fx\n", "  of which index.bin (84 MB)", m[3], r[3], m[3] / r[3]);
  double pm[4], pr[4];
  in_child(parts, 1, pm, 4);
  in_child(parts, 0, pr, 4);
  printf("%-62s %12.1f %12.1f\n", "  catalog.bin (7.3 MB; mapped + checked / read + copied)", pm[0], pr[0]);
  printf("%-62s %12.1f %12.1f\n", "  embedder.bin (4 MB; mapped + checked / read + copied)", pm[1], pr[1]);
  printf("%-62s %12.1f %12.1f\n", "  embedded.bin (content hashes)", pm[2], pr[2]);
  printf("%-62s %12.1f %12.1f %7.2fx\n", "ecai_search_open: search.bin (BM25F, 8.5 MB)", pm[3], pr[3], pm[3] / pr[3]);
  double lm[2], lr[2];
  in_child(latency, 1, lm, 2);
  in_child(latency, 0, lr, 2);
  printf("%-62s %12.0f %12.0f %7.2fx\n", "vector search p50, us (exact kernel on the map vs FAISS)", lm[0], lr[0],
         lm[0] / lr[0]);
  printf("%-62s %12.0f %12.0f %7.2fx\n", "vector search mean, us", lm[1], lr[1], lm[1] / lr[1]);
  double p1m, r1m, p4m, r4m, p1r, r1r, p4r, r4r;
  memory(1, 1, &p1m, &r1m);
  memory(1, 4, &p4m, &r4m);
  memory(0, 1, &p1r, &r1r);
  memory(0, 4, &p4r, &r4r);
  printf("%-62s %12.0f %12.0f %7.2fx\n", "PSS MB, 1 process (store + search, 20 queries)", p1m, p1r, p1m / p1r);
  printf("%-62s %12.0f %12.0f %7.2fx\n", "PSS MB, 4 processes together", p4m, p4r, p4m / p4r);
  printf("%-62s %11.2fx %11.2fx\n", "  4 processes / 1 process (goal <= 2x)", p4m / p1m, p4r / p1r);
  printf("%-62s %12.0f %12.0f\n", "RSS MB, 4 processes together (shared pages counted 4x)", r4m, r4r);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_open: cannot remove %s\n", dir);
  return 0;
}
