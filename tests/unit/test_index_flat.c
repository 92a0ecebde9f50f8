/* The exact kernel of mapped Flat indexes (src/index/flat.c): its fast bounded pass plus
 * rescoring must give exactly what a plain scan gives when every row is summed in FAISS's
 * reference order and ranked by (score desc, row asc): same rows, same float bits, also on
 * rows built to tie within rounding, at dimensions that are and are not multiples of 8. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
