/* Exact inner-product search over vectors used in place (a mapped Flat index file). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_internal.h"

/* Scores of n rows of d floats against q. Each score is summed in row order in float,
 * s = ((0 + v0 q0) + v1 q1) + ..., exactly as FAISS's reference fvec_inner_product (the
 * one in Debian's libfaiss), so scores are bit-identical to its IndexFlatIP single-query
 * search. Eight rows at a time in independent sums: the compiler keeps them in SIMD lanes
 * and the additions no longer wait on one another. */
static void ip_rows(const float *restrict q, const float *restrict v, size_t n, size_t d, float *restrict out) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const float *r0 = v + j * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d, *r4 = r3 + d, *r5 = r4 + d,
                *r6 = r5 + d, *r7 = r6 + d;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (size_t i = 0; i < d; i++) {
      float x = q[i];
      s0 += r0[i] * x;
      s1 += r1[i] * x;
      s2 += r2[i] * x;
      s3 += r3[i] * x;
      s4 += r4[i] * x;
      s5 += r5[i] * x;
      s6 += r6[i] * x;
      s7 += r7[i] * x;
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
    out[j + 4] = s4;
    out[j + 5] = s5;
    out[j + 6] = s6;
    out[j + 7] = s7;
  }
  for (; j < n; j++) {
    const float *r = v + j * d;
    float s = 0;
    for (size_t i = 0; i < d; i++) s += r[i] * q[i];
    out[j] = s;
  }
}

/* a row's score; ranks before another by a higher score, then by a lower row number
 * (FAISS's IndexFlatIP order) */
typedef struct {
  float s;
  int64_t pos;
} hit;

static int hit_cmp(const void *a, const void *b) {
  const hit *x = a, *y = b;
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

#define BLOCK 128 /* rows scored per query before moving on: 192 KiB at dim 384 stay in cache */
#define QCHUNK 16 /* queries sharing one pass over the rows */

int ecai__flat_search(const float *vecs, size_t n, size_t d, const float *qs, size_t nq, size_t k, float *D,
                      int64_t *L) {
  if (k == 0) return 0;
  hit *heap = ecai__malloc(QCHUNK * k * sizeof *heap); /* one bounded best-k heap per query */
  if (!heap) return -1;
  for (size_t q0 = 0; q0 < nq; q0 += QCHUNK) {
    size_t nc = nq - q0 < QCHUNK ? nq - q0 : QCHUNK, have[QCHUNK] = {0};
    float sc[BLOCK];
    for (size_t b = 0; b < n; b += BLOCK) {
      size_t m = n - b < BLOCK ? n - b : BLOCK;
      for (size_t qi = 0; qi < nc; qi++) {
        ip_rows(qs + (q0 + qi) * d, vecs + b * d, m, d, sc);
        for (size_t j = 0; j < m; j++) {
          hit h = {sc[j], (int64_t)(b + j)};
          ecai__topk_push(heap + qi * k, &have[qi], k, sizeof h, hit_cmp, &h);
        }
      }
    }
    for (size_t qi = 0; qi < nc; qi++) { /* best first; unused slots -inf / -1 */
      hit *h = heap + qi * k;
      qsort(h, have[qi], sizeof *h, hit_cmp);
      for (size_t j = 0; j < k; j++) {
        D[(q0 + qi) * k + j] = j < have[qi] ? h[j].s : -INFINITY;
        L[(q0 + qi) * k + j] = j < have[qi] ? h[j].pos : -1;
      }
    }
  }
  ecai__free(heap);
  return 0;
}
