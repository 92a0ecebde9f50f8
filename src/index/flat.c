/* Exact inner-product search over vectors used in place (a mapped Flat index file). */
#include <math.h>
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

/* a is worse than b: lower score, or the same score at a later position */
static inline int worse(float sa, int64_t la, float sb, int64_t lb) { return sa < sb || (sa == sb && la > lb); }

/* min-heap (worst at the root) of *n <= k entries kept in D/L */
static void heap_down(float *D, int64_t *L, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && worse(D[l], L[l], D[m], L[m])) m = l;
    if (r < n && worse(D[r], L[r], D[m], L[m])) m = r;
    if (m == i) return;
    float ts = D[i];
    D[i] = D[m];
    D[m] = ts;
    int64_t tl = L[i];
    L[i] = L[m];
    L[m] = tl;
    i = m;
  }
}

static void heap_push(float *D, int64_t *L, size_t *n, size_t k, float s, int64_t pos) {
  if (*n == k) {
    if (!worse(D[0], L[0], s, pos)) return;
    D[0] = s;
    L[0] = pos;
    heap_down(D, L, k, 0);
    return;
  }
  size_t i = (*n)++;
  D[i] = s;
  L[i] = pos;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!worse(D[i], L[i], D[p], L[p])) break;
    float ts = D[i];
    D[i] = D[p];
    D[p] = ts;
    int64_t tl = L[i];
    L[i] = L[p];
    L[p] = tl;
    i = p;
  }
}

#define BLOCK 128 /* rows scored per query before moving on: 192 KiB at dim 384 stay in cache */
#define QCHUNK 16 /* queries sharing one pass over the rows */

void ecai__flat_search(const float *vecs, size_t n, size_t d, const float *qs, size_t nq, size_t k, float *D,
                       int64_t *L) {
  if (k == 0) return;
  for (size_t q0 = 0; q0 < nq; q0 += QCHUNK) {
    size_t nc = nq - q0 < QCHUNK ? nq - q0 : QCHUNK, have[QCHUNK] = {0};
    float sc[BLOCK];
    for (size_t b = 0; b < n; b += BLOCK) {
      size_t m = n - b < BLOCK ? n - b : BLOCK;
      for (size_t qi = 0; qi < nc; qi++) {
        ip_rows(qs + (q0 + qi) * d, vecs + b * d, m, d, sc);
        float *hd = D + (q0 + qi) * k;
        int64_t *hl = L + (q0 + qi) * k;
        for (size_t j = 0; j < m; j++) heap_push(hd, hl, &have[qi], k, sc[j], (int64_t)(b + j));
      }
    }
    for (size_t qi = 0; qi < nc; qi++) { /* heap -> best first; unused slots -1 / -inf */
      float *hd = D + (q0 + qi) * k;
      int64_t *hl = L + (q0 + qi) * k;
      for (size_t j = have[qi]; j < k; j++) {
        hd[j] = -INFINITY;
        hl[j] = -1;
      }
      for (size_t e = have[qi]; e > 1; e--) {
        float ts = hd[0];
        hd[0] = hd[e - 1];
        hd[e - 1] = ts;
        int64_t tl = hl[0];
        hl[0] = hl[e - 1];
        hl[e - 1] = tl;
        heap_down(hd, hl, e - 1, 0);
      }
    }
  }
}
