/* Exact inner-product search over vectors used in place (a mapped Flat index file, or the
 * rows of an in-memory FAISS IndexFlatIP): a fast SIMD pass bounds every row's score, and
 * only the rows that can be in the top k are scored again in FAISS's reference order, so
 * the scores are FAISS's, bit for bit (rows of exactly equal score: lower row first). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_internal.h"

/* The reference score of row r: summed in row order in float, s = ((0 + r0 q0) + r1 q1) +
 * ..., exactly as FAISS's reference fvec_inner_product (the one in Debian's libfaiss), so
 * scores are bit-identical to its IndexFlatIP single-query search. */
static float ref_dot(const float *restrict q, const float *restrict r, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; i++) s += r[i] * q[i];
  return s;
}

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* A fast score of row r, summed in SIMD lanes (another order than ref_dot's), and in *err
 * a bound on how far it can be from ref_dot's: both are within gamma_n * sum |r_i q_i| of
 * the exact inner product (n = d + 1 roundings at most in any summation order), so they
 * are within twice that of each other; `slack` is 2 gamma_n with a margin for the bound's
 * own rounding, plus a term for products that underflow. */
static float fast_dot(const float *restrict q, const float *restrict r, size_t d, float slack, float *err) {
  const v4i nosign = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
  v4f s0 = {0, 0, 0, 0}, s1 = s0, a0 = s0, a1 = s0;
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    v4f p0 = load4(r + i) * load4(q + i), p1 = load4(r + i + 4) * load4(q + i + 4);
    s0 += p0;
    s1 += p1;
    a0 += (v4f)((v4i)p0 & nosign);
    a1 += (v4f)((v4i)p1 & nosign);
  }
  v4f sv = s0 + s1, av = a0 + a1;
  float s = (sv[0] + sv[1]) + (sv[2] + sv[3]), a = (av[0] + av[1]) + (av[2] + av[3]);
  for (; i < d; i++) {
    float p = r[i] * q[i];
    s += p;
    a += fabsf(p);
  }
  *err = slack * a + (float)d * FLT_MIN;
  return s;
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

/* One query's pass: the best k lower bounds seen (a heap, worst at the root) and the rows
 * whose upper bound reached the k-th lower bound when they were scored. */
typedef struct {
  float *lb;
  size_t nlb;
  hit *cand; /* s = upper bound */
  size_t nc, cap;
} pass;

static int float_cmp(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x < y) - (x > y); /* larger first */
}

static float kth_bound(const pass *p, size_t k) { return p->nlb == k ? p->lb[0] : -INFINITY; }

/* Scores rows [b, b + m) fast for query q; keeps the rows that may be in the top k. */
static int pass_block(pass *p, const float *q, const float *vecs, size_t b, size_t m, size_t d, size_t k, float slack) {
  for (size_t j = 0; j < m; j++) {
    float err, s = fast_dot(q, vecs + (b + j) * d, d, slack, &err), lo = s - err, hi = s + err;
    ecai__topk_push(p->lb, &p->nlb, k, sizeof lo, float_cmp, &lo);
    if (!(hi >= kth_bound(p, k))) continue;
    if (p->nc == p->cap) {
      size_t nc = p->cap ? 2 * p->cap : 4 * k + 64;
      hit *c = ecai__realloc(p->cand, nc * sizeof *c);
      if (!c) return -1;
      p->cand = c, p->cap = nc;
    }
    p->cand[p->nc++] = (hit){hi, (int64_t)(b + j)};
  }
  return 0;
}

/* The exact top k of a pass: its candidates still above the final k-th lower bound,
 * rescored with ref_dot and ranked as FAISS does, into D[0..k), L[0..k). Every row of the
 * exact top k is among them: its upper bound is at least its reference score, which is at
 * least the k-th best reference score, which is at least the k-th best lower bound. */
static void pass_finish(pass *p, const float *q, const float *vecs, size_t d, size_t k, hit *heap, float *D,
                        int64_t *L) {
  float t = kth_bound(p, k);
  size_t have = 0;
  for (size_t c = 0; c < p->nc; c++) {
    if (!(p->cand[c].s >= t)) continue;
    hit h = {ref_dot(q, vecs + (size_t)p->cand[c].pos * d, d), p->cand[c].pos};
    ecai__topk_push(heap, &have, k, sizeof h, hit_cmp, &h);
  }
  qsort(heap, have, sizeof *heap, hit_cmp); /* best first; unused slots -inf / -1 */
  for (size_t j = 0; j < k; j++) {
    D[j] = j < have ? heap[j].s : -INFINITY;
    L[j] = j < have ? heap[j].pos : -1;
  }
}

int ecai__flat_search(const float *vecs, size_t n, size_t d, const float *qs, size_t nq, size_t k, float *D,
                      int64_t *L) {
  if (k == 0) return 0;
  double u = FLT_EPSILON / 2, gn = (double)(d + 1) * u / (1 - (double)(d + 1) * u);
  float slack = (float)(2.0 * gn * 1.01);
  pass ps[QCHUNK];
  memset(ps, 0, sizeof ps);
  hit *heap = ecai__malloc(k * sizeof *heap);
  int rc = heap ? 0 : -1;
  size_t npass = nq < QCHUNK ? nq : QCHUNK; /* one query (the usual call): one pass */
  for (size_t qi = 0; !rc && qi < npass; qi++)
    if (!(ps[qi].lb = ecai__malloc(k * sizeof *ps[qi].lb))) rc = -1;
  for (size_t q0 = 0; !rc && q0 < nq; q0 += QCHUNK) {
    size_t nc = nq - q0 < QCHUNK ? nq - q0 : QCHUNK;
    for (size_t qi = 0; qi < nc; qi++) ps[qi].nlb = ps[qi].nc = 0;
    for (size_t b = 0; !rc && b < n; b += BLOCK) {
      size_t m = n - b < BLOCK ? n - b : BLOCK;
      for (size_t qi = 0; !rc && qi < nc; qi++) rc = pass_block(&ps[qi], qs + (q0 + qi) * d, vecs, b, m, d, k, slack);
    }
    for (size_t qi = 0; !rc && qi < nc; qi++)
      pass_finish(&ps[qi], qs + (q0 + qi) * d, vecs, d, k, heap, D + (q0 + qi) * k, L + (q0 + qi) * k);
  }
  for (size_t qi = 0; qi < npass; qi++) {
    ecai__free(ps[qi].lb);
    ecai__free(ps[qi].cand);
  }
  ecai__free(heap);
  return rc;
}
