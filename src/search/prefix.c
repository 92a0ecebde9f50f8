/* Search as you type: the last word of a query is a prefix, expanded over the keyword
 * index's own vocabulary (the surface words, unstemmed, and the index terms, which carry
 * the numbers, units and short words). Both are sorted once per engine, on the first
 * prefix query (~10 ms on Home Depot's 40k words; ecai_search_open stays as fast as it
 * was), and a prefix is two binary searches and a scan of the matching range. The
 * expansion keeps the ECAI__PREFIX_MAX index terms with the most postings (document
 * frequency): the completions a shopper most likely means. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_internal.h"

struct ecai__prefix {
  pthread_mutex_t mu;
  int ready; /* read under mu; set once */
  ecai_status st;
  uint32_t *surf; /* surface ids sorted by their string */
  uint32_t *term; /* term ids sorted by their string */
};

static const char *surf_str(const ecai__bm25 *bm, uint32_t i) { return bm->surf + bm->surf_off[i]; }
static const char *term_str(const ecai__bm25 *bm, uint32_t i) { return bm->terms + bm->term_off[i]; }

static int cmp_surf(const void *a, const void *b, void *ctx) {
  return strcmp(surf_str(ctx, *(const uint32_t *)a), surf_str(ctx, *(const uint32_t *)b));
}
static int cmp_term(const void *a, const void *b, void *ctx) {
  return strcmp(term_str(ctx, *(const uint32_t *)a), term_str(ctx, *(const uint32_t *)b));
}

ecai_status ecai__prefix_new(ecai__prefix **out) {
  *out = ecai__calloc(1, sizeof **out);
  if (!*out) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  pthread_mutex_init(&(*out)->mu, NULL);
  return ECAI_OK;
}

void ecai__prefix_free(ecai__prefix *p) {
  if (!p) return;
  pthread_mutex_destroy(&p->mu);
  ecai__free(p->surf);
  ecai__free(p->term);
  ecai__free(p);
}

static ecai_status build(ecai__prefix *p, const ecai__bm25 *bm) {
  p->surf = ecai__malloc((bm->nsurf ? bm->nsurf : 1) * sizeof *p->surf);
  p->term = ecai__malloc((bm->nterms ? bm->nterms : 1) * sizeof *p->term);
  if (!p->surf || !p->term) {
    ecai__free(p->surf), ecai__free(p->term);
    p->surf = p->term = NULL;
    return ecai__err(ECAI_ENOMEM, "search: out of memory");
  }
  for (size_t i = 0; i < bm->nsurf; i++) p->surf[i] = (uint32_t)i;
  for (size_t i = 0; i < bm->nterms; i++) p->term[i] = (uint32_t)i;
  qsort_r(p->surf, bm->nsurf, sizeof *p->surf, cmp_surf, (void *)bm);
  qsort_r(p->term, bm->nterms, sizeof *p->term, cmp_term, (void *)bm);
  return ECAI_OK;
}

/* First index in ids[0..n) whose string is >= w[0..len) (compared on len bytes). */
static size_t lower(const uint32_t *ids, size_t n, const char *w, size_t len, const char *(*str)(const ecai__bm25 *, uint32_t),
                    const ecai__bm25 *bm) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strncmp(str(bm, ids[mid]), w, len) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static uint32_t df(const ecai__bm25 *bm, uint32_t t) { return bm->post_start[t + 1] - bm->post_start[t]; }

/* Keeps the `cap` terms with most postings in out[0..*n) (sorted by df, descending, at the end). */
static void keep(const ecai__bm25 *bm, uint32_t *out, size_t *n, size_t cap, uint32_t t) {
  for (size_t i = 0; i < *n; i++)
    if (out[i] == t) return;
  if (*n < cap) {
    out[(*n)++] = t;
    return;
  }
  size_t worst = 0;
  for (size_t i = 1; i < *n; i++)
    if (df(bm, out[i]) < df(bm, out[worst]) || (df(bm, out[i]) == df(bm, out[worst]) && out[i] > out[worst])) worst = i;
  if (df(bm, t) > df(bm, out[worst]) || (df(bm, t) == df(bm, out[worst]) && t < out[worst])) out[worst] = t;
}

static int cmp_df(const void *a, const void *b, void *ctx) {
  const ecai__bm25 *bm = ctx;
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  if (df(bm, x) != df(bm, y)) return df(bm, x) > df(bm, y) ? -1 : 1;
  return x < y ? -1 : x > y;
}

ecai_status ecai__prefix_expand(ecai__prefix *p, const ecai__bm25 *bm, const char *w, size_t len, uint32_t *out,
                                size_t cap, size_t *n) {
  *n = 0;
  pthread_mutex_lock(&p->mu);
  if (!p->ready) {
    p->st = build(p, bm);
    p->ready = p->st == ECAI_OK;
  }
  ecai_status st = p->ready ? ECAI_OK : p->st;
  pthread_mutex_unlock(&p->mu);
  if (st || !len) return st;
  for (size_t i = lower(p->surf, bm->nsurf, w, len, surf_str, bm); i < bm->nsurf; i++) {
    if (strncmp(surf_str(bm, p->surf[i]), w, len)) break;
    keep(bm, out, n, cap, bm->surf_term[p->surf[i]]);
  }
  for (size_t i = lower(p->term, bm->nterms, w, len, term_str, bm); i < bm->nterms; i++) {
    if (strncmp(term_str(bm, p->term[i]), w, len)) break;
    keep(bm, out, n, cap, p->term[i]);
  }
  qsort_r(out, *n, sizeof *out, cmp_df, (void *)bm);
  return ECAI_OK;
}

ecai_status ecai__prefix_accumulate(const ecai__bm25 *bm, const uint32_t *exp, size_t n, unsigned slot, float *acc,
                                    uint32_t *mask, uint32_t *touched, size_t *nt) {
  if (!n) return ECAI_OK;
  float *best = ecai__calloc(bm->ndocs ? bm->ndocs : 1, sizeof *best);
  if (!best) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  float idf = bm->idf[exp[0]];
  for (size_t e = 0; e < n; e++)
    for (uint32_t p = bm->post_start[exp[e]]; p < bm->post_start[exp[e] + 1]; p++) {
      uint32_t d = bm->post_doc[p];
      float v = idf * bm->post_w[p];
      if (!mask[d]) touched[(*nt)++] = d;
      mask[d] |= 1u << slot;
      if (v > best[d]) {
        acc[d] += v - best[d];
        best[d] = v;
      }
    }
  ecai__free(best);
  return ECAI_OK;
}
