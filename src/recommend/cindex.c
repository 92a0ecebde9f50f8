/*
 * ecai_recommend: the content vector index (inner product over the unit content
 * vectors): "exact" (default: an in-process vectorised scan keeping the best
 * candidates; for catalogs of a few thousand products it beats any FAISS index here)
 * or any FAISS factory string (recommend.content_index, e.g. "HNSW32" for large ones). A request's session vector (recency-weighted cart + history) retrieves the
 * `content_candidates` nearest products; they are united with the co-purchase
 * candidates (see ecai__reco_components). Row i of the index is item i; items added
 * after the last build are scanned exactly until the next build (fit, set_content*,
 * load), and a changed vector of an indexed item marks the index stale (exact scan).
 */
#include <string.h>

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>

#include "recommend/reco.h"

void ecai__reco_cindex_free(ecai_recommend *r) {
  if (r->cidx) faiss_Index_free((FaissIndex *)r->cidx);
  r->cidx = NULL;
  r->cidx_n = 0;
  r->cidx_stale = false;
}

static ecai_status backend(const char *what) {
  const char *e = faiss_get_last_error();
  return ecai__err(ECAI_EBACKEND, "recommend: content index: %s failed: %s", what, e ? e : "unknown FAISS error");
}

ecai_status ecai__reco_cindex_build(ecai_recommend *r) {
  ecai__reco_cindex_free(r);
  size_t n = r->n_items, rows = 0;
  if (!r->chas || !n) return ECAI_OK;
  if (r->cidx_exact) { /* vectors are read in place: nothing to build */
    r->cidx_n = n;
    return ECAI_OK;
  }
  for (size_t i = 0; i < n; i++) rows += r->chas[i] != 0;
  if (!rows) return ECAI_OK;
  float *x = ecai__malloc(n * r->cdim * sizeof *x);
  if (!x) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (content index)");
  for (size_t i = 0; i < n; i++) {
    float *dst = x + i * r->cdim;
    if (r->chas[i]) memcpy(dst, r->cvec + i * r->cdim, r->cdim * sizeof *dst);
    else memset(dst, 0, r->cdim * sizeof *dst);
  }
  FaissIndex *fi = NULL;
  ecai_status st = ECAI_OK;
  if (faiss_index_factory(&fi, (int)r->cdim, r->cindex_factory, METRIC_INNER_PRODUCT)) st = backend("index_factory");
  else if (!faiss_Index_is_trained(fi) && faiss_Index_train(fi, (idx_t)n, x)) st = backend("train");
  else if (faiss_Index_add(fi, (idx_t)n, x)) st = backend("add");
  ecai__free(x);
  if (st) {
    if (fi) faiss_Index_free(fi);
    return st;
  }
  r->cidx = fi;
  r->cidx_n = n;
  return ECAI_OK;
}

typedef struct {
  float s;
  int64_t id;
} hit;

/* higher score first; equal scores tie (the earlier item stays) */
static int cmp_hit(const void *a, const void *b) {
  float x = ((const hit *)a)->s, y = ((const hit *)b)->s;
  return x > y ? -1 : x < y;
}

size_t ecai__reco_cindex_search(const ecai_recommend *r, const float *q, size_t m, int64_t *ids, float *scores,
                                size_t *indexed) {
  *indexed = 0;
  if (!m) return SIZE_MAX;
  if (r->cidx_exact) { /* exact inner-product scan of every item, best m kept */
    size_t n = r->n_items, hn = 0;
    hit *h = ecai__malloc(m * sizeof *h);
    if (!h || !r->chas) {
      ecai__free(h);
      return SIZE_MAX;
    }
    for (size_t j = 0; j < n; j++) {
      if (!r->chas[j]) continue;
      hit x = {ecai__reco_dot(r->cvec + j * r->cdim, q, r->cdim), (int64_t)j};
      ecai__topk_push(h, &hn, m, sizeof *h, cmp_hit, &x);
    }
    for (size_t i = 0; i < hn; i++) {
      ids[i] = h[i].id;
      scores[i] = h[i].s;
    }
    ecai__free(h);
    *indexed = n;
    return hn;
  }
  if (!r->cidx || r->cidx_stale) return SIZE_MAX;
  if (m > r->cidx_n) m = r->cidx_n;
  idx_t *lab = (idx_t *)ids;
  if (faiss_Index_search((const FaissIndex *)r->cidx, 1, q, (idx_t)m, scores, lab)) return SIZE_MAX;
  size_t k = 0;
  for (size_t i = 0; i < m; i++)
    if (lab[i] >= 0 && (size_t)lab[i] < r->cidx_n) {
      ids[k] = lab[i];
      scores[k] = scores[i];
      k++;
    }
  *indexed = r->cidx_n;
  return k;
}
