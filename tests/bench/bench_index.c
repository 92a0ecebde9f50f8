/*
 * Benchmarks of the catalog / embedder / index module (not timed tests):
 *   - builtin embedder throughput (Home Depot titles per second, one thread)
 *   - end-to-end build of the Home Depot state (load + fit + embed + index)
 *   - search latency p50/p99 (one thread) for Flat and HNSW32 on the Home Depot vectors and
 *     on a synthetic set (50k x 128 clustered unit vectors: kept small so that the HNSW
 *     build fits a 2-core box; the 1M-vector figure is not measured here)
 *   - HNSW recall@10 against exact search; libecai overhead over the FAISS C API called
 *     directly on the same vectors in the same run
 *   - index bytes per product for Flat, SQ8, HNSW32
 *   - opening a saved state vs building it
 * Run with `make bench` (OMP_WAIT_POLICY=PASSIVE). Prints one table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/index_io_c.h>

#include <ecai.h>

#include "bench_util.h"

#include "catalog/catalog_internal.h"
#include "index/index_internal.h"

static void die(const char *what, ecai_status st) {
  fprintf(stderr, "bench_index: %s: %s\n", what, st ? ecai_last_error() : "failed");
  exit(1);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) - 0.5f;
}

/* p50/p99 in microseconds of single-query searches through libecai, and the ratio of
 * total time libecai / FAISS called directly on the same FAISS object. The two run as
 * separate passes in A B B A order so that neither profits from the other's warm cache. */
static void latency(const char *name, ecai_index *x, FaissIndex *raw, const float *qs, size_t nq, size_t dim,
                    double *p50, double *p99, double *ratio) {
  double *t = malloc(nq * sizeof *t);
  int64_t ids[10];
  float sc[10];
  idx_t L[10];
  float D[10];
  size_t n;
  double tot_e = 0, tot_f = 0;
  for (int pass = 0; pass < 4; pass++) {
    int ecai_pass = pass == 0 || pass == 3;
    double a = now();
    for (size_t i = 0; i < nq; i++) {
      if (ecai_pass) {
        double b = now();
        if (ecai_index_search(&n, ids, sc, x, qs + i * dim, 10, NULL, 0, NULL, NULL)) die("search", ECAI_ERROR);
        if (pass == 3) t[i] = (now() - b) * 1e6;
      } else {
        faiss_Index_search(raw, 1, qs + i * dim, 10, D, L);
      }
    }
    if (ecai_pass) tot_e += now() - a;
    else tot_f += now() - a;
  }
  qsort(t, nq, sizeof *t, cmpd);
  *p50 = t[nq / 2];
  *p99 = t[(size_t)(nq * 0.99)];
  *ratio = tot_e / tot_f;
  free(t);
  (void)name;
}

static double recall10(ecai_index *approx, ecai_index *exact, const float *qs, size_t nq, size_t dim) {
  int64_t a[10], e[10];
  size_t na, ne, hit = 0, tot = 0;
  for (size_t i = 0; i < nq; i++) {
    ecai_index_search(&na, a, NULL, approx, qs + i * dim, 10, NULL, 0, NULL, NULL);
    ecai_index_search(&ne, e, NULL, exact, qs + i * dim, 10, NULL, 0, NULL, NULL);
    for (size_t j = 0; j < ne; j++) {
      tot++;
      for (size_t k = 0; k < na; k++)
        if (a[k] == e[j]) {
          hit++;
          break;
        }
    }
  }
  return tot ? (double)hit / (double)tot : 0;
}

static size_t faiss_bytes(ecai_index *x) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  faiss_write_index(x->fi, f);
  fclose(f);
  free(buf);
  return len;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  const char *root = getenv("ECAI_ROOT") ? getenv("ECAI_ROOT") : ".";
  char path[4096], qpath[4096], dir[4096];
  snprintf(path, sizeof path, "%s/../shared/data/search/homedepot/products.tsv", root);
  snprintf(qpath, sizeof qpath, "%s/../shared/data/search/homedepot/queries.tsv", root);
  snprintf(dir, sizeof dir, "/tmp/ecai-bench-index-%d", (int)getpid());
  ecai_ctx *ctx = NULL;
  ecai_status st = ecai_ctx_new(&ctx, NULL, 0);
  if (st) die("ctx", st);
  printf("%-58s %s\n", "measure", "value");

  /* 1. end-to-end build: load + fit + embed + index (Flat) */
  double t0 = now();
  ecai_store *store = NULL;
  size_t loaded = 0;
  if ((st = ecai_store_new(&store, ctx))) die("store", st);
  if ((st = ecai_catalog_load(&loaded, NULL, ecai_store_catalog(store), path, ECAI_CATALOG_AUTO, NULL, 0)))
    die("load", st);
  double t1 = now();
  if ((st = ecai_store_build(NULL, store, 0, NULL, NULL))) die("build", st);
  double t2 = now();
  printf("%-58s %zu products, %.2f s (load %.2f s, fit+embed+index %.2f s)\n", "homedepot build end to end (Flat)",
         loaded, t2 - t0, t1 - t0, t2 - t1);

  /* 2. embedder throughput on the titles (one thread) */
  ecai_catalog *cat = ecai_store_catalog(store);
  ecai_embedder *emb = ecai_store_embedder(store);
  size_t dim = ecai_embedder_dim(emb), n = ecai_catalog_count(cat);
  const char **titles = malloc(n * sizeof *titles);
  size_t nt = 0;
  int64_t it = -1;
  while (ecai_catalog_next(&it, cat, it) == ECAI_OK) titles[nt++] = ecai_catalog_title(cat, it);
  float *vecs = malloc(nt * dim * sizeof *vecs);
  double a = now();
  if ((st = ecai_embedder_embed_batch(vecs, emb, titles, NULL, nt))) die("embed", st);
  double te = now() - a;
  size_t bytes = 0;
  for (size_t i = 0; i < nt; i++) bytes += strlen(titles[i]);
  printf("%-58s %.0f titles/s (target >= 100000; %zu dims, %.1f MB/s of text)\n", "builtin embedder, one thread",
         (double)nt / te, dim, (double)bytes / te / 1e6);

  /* 3. search latency at catalog size: queries embedded from queries.tsv */
  FILE *qf = fopen(qpath, "r");
  size_t nq = 0, qcap = 300;
  float *qs = malloc(qcap * dim * sizeof *qs);
  char line[4096];
  while (qf && nq < qcap && fgets(line, sizeof line, qf)) {
    char *tab = strchr(line, '\t');
    if (!tab || !strncmp(line, "query_id", 8)) continue;
    tab++;
    tab[strcspn(tab, "\r\n")] = 0;
    if (ecai_embedder_embed(qs + nq * dim, dim, emb, tab, strlen(tab)) == ECAI_OK) nq++;
  }
  if (qf) fclose(qf);
  int64_t *ids = malloc(nt * sizeof *ids);
  it = -1;
  for (size_t i = 0; i < nt; i++) {
    ecai_catalog_next(&it, cat, it);
    ids[i] = it;
  }
  const char *types[3] = {"Flat", "HNSW32", "SQ8"};
  ecai_index *ix[3];
  for (int k = 0; k < 3; k++) {
    double s0 = now();
    if ((st = ecai_index_new(&ix[k], ctx, dim, types[k]))) die("index", st);
    if ((st = ecai_index_add(ix[k], ids, vecs, nt))) die("add", st);
    double s1 = now();
    double per = (double)(faiss_bytes(ix[k]) + ix[k]->cap_pos * 8 + ix[k]->map.cap * 16) / (double)nt;
    printf("%-58s %.0f B/product (vectors %zu B), built in %.2f s\n", k == 0 ? "memory per product: Flat" : k == 1 ? "memory per product: HNSW32" : "memory per product: SQ8", per, dim * 4, s1 - s0);
  }
  for (int k = 0; k < 2; k++) {
    /* the same FAISS object called directly: the ratio is libecai's own cost */
    int efs[3] = {64, 128, 256};
    for (int e = 0; e < (k ? 3 : 1); e++) {
      if (k) ecai_index_set_int(ix[k], ECAI_INDEX_OPT_EF_SEARCH, efs[e]);
      double p50, p99, ratio;
      latency(types[k], ix[k], ix[k]->fi, qs, nq, dim, &p50, &p99, &ratio);
      char label[128];
      if (k) snprintf(label, sizeof label, "homedepot %zu x %zu, HNSW32 ef%d, k=10: p50 / p99", nt, dim, efs[e]);
      else snprintf(label, sizeof label, "homedepot %zu x %zu, Flat, k=10: p50 / p99", nt, dim);
      printf("%-58s %.0f us / %.0f us; overhead vs FAISS C API %.3fx", label, p50, p99, ratio);
      if (k) printf("; recall@10 vs exact %.3f", recall10(ix[1], ix[0], qs, nq, dim));
      printf("\n");
    }
  }
  for (int k = 0; k < 3; k++) ecai_index_free(ix[k]);

  /* 4. save / open vs build */
  if ((st = ecai_store_save(store, dir))) die("save", st);
  double o0 = now();
  ecai_store *back = NULL;
  if ((st = ecai_store_open(&back, ctx, dir))) die("open", st);
  double o1 = now();
  printf("%-58s %.3f s vs %.2f s to build (%.0fx faster, no re-embedding)\n", "open saved homedepot state", o1 - o0, t2 - t0, (t2 - t0) / (o1 - o0));
  ecai_store_free(back);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_index: cannot remove %s\n", dir);

  /* 5. synthetic set */
  size_t sn = 50000, sd = 128, sq = 300, ncent = 500;
  float *sv = malloc(sn * sd * sizeof *sv), *sqv = malloc(sq * sd * sizeof *sqv);
  int64_t *sids = malloc(sn * sizeof *sids);
  float *cent = malloc(ncent * sd * sizeof *cent);
  for (size_t i = 0; i < ncent * sd; i++) cent[i] = frand();
  for (size_t i = 0; i < sn; i++) {
    double s = 0;
    for (size_t d = 0; d < sd; d++) {
      sv[i * sd + d] = cent[(i % ncent) * sd + d] + 0.25f * frand();
      s += (double)sv[i * sd + d] * sv[i * sd + d];
    }
    for (size_t d = 0; d < sd; d++) sv[i * sd + d] /= (float)sqrt(s);
    sids[i] = (int64_t)i;
  }
  for (size_t i = 0; i < sq; i++) /* queries near stored points */
    for (size_t d = 0; d < sd; d++) sqv[i * sd + d] = sv[(i * 97) % sn * sd + d] + 0.05f * frand();
  ecai_index *sf = NULL, *sh = NULL;
  ecai_index_new(&sf, ctx, sd, "Flat");
  ecai_index_new(&sh, ctx, sd, "HNSW32");
  ecai_index_add(sf, sids, sv, sn);
  double h0 = now();
  ecai_index_add(sh, sids, sv, sn);
  double h1 = now();
  for (int k = 0; k < 2; k++) {
    ecai_index *x = k ? sh : sf;
    double p50, p99, ratio;
    latency(types[k], x, x->fi, sqv, sq, sd, &p50, &p99, &ratio);
    char label[128];
    snprintf(label, sizeof label, "synthetic %zu x %zu, %s, k=10: p50 / p99", sn, sd, types[k]);
    printf("%-58s %.0f us / %.0f us; overhead vs FAISS C API %.3fx\n", label, p50, p99, ratio);
  }
  printf("%-58s %.3f (efSearch 64); HNSW build %.1f s\n", "synthetic HNSW32 recall@10 vs exact", recall10(sh, sf, sqv, sq, sd), h1 - h0);
  ecai_index_set_int(sh, ECAI_INDEX_OPT_EF_SEARCH, 128);
  printf("%-58s %.3f (efSearch 128)\n", "synthetic HNSW32 recall@10 vs exact", recall10(sh, sf, sqv, sq, sd));
  ecai_index_free(sf);
  ecai_index_free(sh);
  free(cent);
  free(sv);
  free(sqv);
  free(sids);
  free(qs);
  free(ids);
  free(vecs);
  free(titles);
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  return 0;
}
