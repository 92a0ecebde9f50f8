/* The exact kernel of Flat indexes (src/index/flat.c): its fast bounded pass plus
 * rescoring must give exactly what a plain scan gives when every row is summed in FAISS's
 * reference order and ranked by (score desc, row asc): same rows, same float bits, also on
 * rows built to tie within rounding, at dimensions that are and are not multiples of 8;
 * and the scores FAISS's own IndexFlatIP returns for fewer than 20 queries (the calls
 * ecai_index routes to the kernel), bit for bit, with the same rows except among exact ties. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>

#include "harness.h"
#include "index/index_internal.h"

typedef struct {
  float s;
  int64_t pos;
} ref_hit;

static int ref_cmp(const void *a, const void *b) {
  const ref_hit *x = a, *y = b;
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* xorshift64*, uniform in [-1, 1) */
  rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
  return (float)((rng * 2685821657736338717ull) >> 40) / (float)(1 << 23) - 1.0f;
}

/* n rows: groups of 8 copies of one random row, each copy with a few coordinates moved by
 * one or two ulps (scores that tie or nearly tie), and a few exact duplicates. */
static float *near_ties(size_t n, size_t d) {
  float *v = malloc(n * d * sizeof *v);
  for (size_t r = 0; r < n; r++) {
    if (r % 8 == 0)
      for (size_t i = 0; i < d; i++) v[r * d + i] = frand();
    else {
      memcpy(v + r * d, v + (r - r % 8) * d, d * sizeof *v);
      for (int t = 0; r % 8 != 7 && t < 3; t++) {
        size_t i = (size_t)((frand() + 1) * 0.5f * (float)d) % d;
        v[r * d + i] = nextafterf(v[r * d + i], frand() > 0 ? INFINITY : -INFINITY);
      }
    }
  }
  return v;
}

static void check_kernel(size_t n, size_t d, size_t nq, size_t k) {
  float *v = near_ties(n, d), *q = malloc(nq * d * sizeof *q);
  for (size_t i = 0; i < nq * d; i++) q[i] = frand();
  for (size_t i = 0; i < d; i++) q[i] = v[5 * d + i]; /* one query equal to a row */
  float *D = malloc(nq * k * sizeof *D);
  int64_t *L = malloc(nq * k * sizeof *L);
  CHECK_INT_EQ(ecai__flat_search(v, n, d, q, nq, k, D, L), 0);
  ref_hit *all = malloc(n * sizeof *all);
  for (size_t qi = 0; qi < nq; qi++) {
    for (size_t r = 0; r < n; r++) {
      float s = 0;
      for (size_t i = 0; i < d; i++) s += v[r * d + i] * q[qi * d + i];
      all[r] = (ref_hit){s, (int64_t)r};
    }
    qsort(all, n, sizeof *all, ref_cmp);
    for (size_t j = 0; j < k; j++) {
      float want = j < n ? all[j].s : -INFINITY;
      int64_t wpos = j < n ? all[j].pos : -1;
      CHECK_MSG(L[qi * k + j] == wpos && memcmp(&D[qi * k + j], &want, sizeof want) == 0,
                "n=%zu d=%zu k=%zu query %zu rank %zu: row %lld score %.9g, want row %lld score %.9g", n, d, k, qi, j,
                (long long)L[qi * k + j], D[qi * k + j], (long long)wpos, want);
      if (L[qi * k + j] != wpos) break;
    }
  }
  free(all);
  free(v);
  free(q);
  free(D);
  free(L);
}

TEST(index_flat_kernel_is_the_reference_scan_bit_for_bit) {
  check_kernel(1000, 384, 20, 10);
  check_kernel(1000, 37, 20, 10);
  check_kernel(517, 48, 17, 1);
  check_kernel(300, 64, 3, 100);
  check_kernel(40, 8, 2, 45); /* k beyond n: -inf / -1 after the last row */
  check_kernel(2000, 5, 4, 50);
}

static float ref_score(const float *row, const float *q, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; i++) s += row[i] * q[i];
  return s;
}

/* FAISS and the kernel on the same rows and queries: the same scores bit for bit, rank by
 * rank; where the rows differ, FAISS's row has exactly that score too (FAISS orders, and
 * at the k-th place picks, rows of equal score its own way; the kernel puts the lower row
 * first). Returns how many ranks differed. */
static size_t compare_with_faiss(const float *v, size_t n, size_t d, const float *q, size_t nq, size_t k) {
  FaissIndexFlat *fi = NULL;
  CHECK_INT_EQ(faiss_IndexFlat_new_with(&fi, (idx_t)d, METRIC_INNER_PRODUCT), 0);
  CHECK_INT_EQ(faiss_Index_add((FaissIndex *)fi, (idx_t)n, v), 0);
  float *D1 = malloc(nq * k * sizeof *D1), *D2 = malloc(nq * k * sizeof *D2);
  idx_t *L1 = malloc(nq * k * sizeof *L1);
  int64_t *L2 = malloc(nq * k * sizeof *L2);
  CHECK_INT_EQ(faiss_Index_search((FaissIndex *)fi, (idx_t)nq, q, (idx_t)k, D1, L1), 0);
  CHECK_INT_EQ(ecai__flat_search(v, n, d, q, nq, k, D2, L2), 0);
  size_t differ = 0;
  for (size_t i = 0; i < nq * k; i++) {
    CHECK_MSG(memcmp(&D1[i], &D2[i], sizeof D1[i]) == 0, "nq %zu, %zu: FAISS %.9g, kernel %.9g", nq, i, D1[i], D2[i]);
    if (L1[i] == L2[i]) continue;
    differ++;
    float s = L1[i] >= 0 ? ref_score(v + (size_t)L1[i] * d, q + i / k * d, d) : -INFINITY;
    CHECK_MSG(memcmp(&s, &D2[i], sizeof s) == 0, "nq %zu, %zu: FAISS row %lld (score %.9g) does not tie kernel row %lld",
              nq, i, (long long)L1[i], s, (long long)L2[i]);
  }
  faiss_Index_free((FaissIndex *)fi);
  free(D1), free(D2), free(L1), free(L2);
  return differ;
}

/* Single queries and batches below FAISS's BLAS threshold (what ecai_index sends to the
 * kernel for an in-memory Flat index). */
TEST(index_flat_kernel_gives_faiss_scores_bit_for_bit) {
  const size_t n = 3000, d = 64, nq = 19, k = 10;
  float *q = malloc(nq * d * sizeof *q);
  for (size_t i = 0; i < nq * d; i++) q[i] = frand();
  float *v = near_ties(n, d);
  compare_with_faiss(v, n, d, q, 1, k);
  compare_with_faiss(v, n, d, q, nq, k);
  for (size_t i = 0; i < n * d; i++) v[i] = frand(); /* no ties: the very same rows */
  CHECK_INT_EQ(compare_with_faiss(v, n, d, q, 1, k), 0);
  CHECK_INT_EQ(compare_with_faiss(v, n, d, q, nq, k), 0);
  free(v);
  free(q);
}
