/* Learning to rank: the feature vector of one candidate (documented in ecai/search.h). */
#include <math.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "search/ltr.h"
#include "text/text.h"

const char *const ecai__ltr_feature_names[ECAI__LTR_NFEAT] = {
#define X(n) #n,
    ECAI__LTR_FEATURES
#undef X
};

enum { NFLD = 4 }; /* brand, category, description, attributes */

static const char *field_text(const ecai__product *p, int f) {
  const char *v = f == 0 ? p->brand : f == 1 ? p->cat : f == 2 ? p->desc : p->attrs;
  return v && *v ? v : NULL;
}

/* Field texts longer than this are scored on their beginning (bounded cost per candidate). */
#define FIELD_CAP 4096

static size_t field_tokens(const ecai__product *p, int f, ecai__tokenizer *tk, ecai__tokens *toks) {
  const char *v = field_text(p, f);
  if (!v || !tk) return 0;
  size_t len = strlen(v);
  if (len > FIELD_CAP) len = FIELD_CAP;
  while (len > 0 && len < strlen(v) && ((unsigned char)v[len] & 0xC0) == 0x80) len--; /* whole characters */
  if (ecai__tokenize(tk, v, len, ECAI__TOKF_STOP | ECAI__TOKF_STEM, toks)) return 0;
  return toks->n;
}

void ecai__ltr_field_lengths(double sums[4], const ecai_catalog *cat, int64_t id, ecai__tokenizer *tk,
                             ecai__tokens *toks) {
  const ecai__product *p = ecai__catalog_product(cat, id);
  if (!p) return;
  for (int f = 0; f < NFLD; f++) sums[f] += (double)field_tokens(p, f, tk, toks);
}

/* BM25 of one field from per-term frequencies: sum idf * (k1+1) tf~ / (k1 + tf~). */
static double bm25_field(const ecai__bm25 *bm, const ecai__ltr_query *q, const unsigned *tf, double len, double avg) {
  double s = 0, norm = 1 - bm->b + bm->b * (avg > 0 ? len / avg : 1);
  for (size_t j = 0; j < q->nq; j++) {
    if (!tf[j]) continue;
    double t = tf[j] / norm;
    s += bm->idf[q->term[j]] * (bm->k1 + 1) * t / (bm->k1 + t);
  }
  return s;
}

static int qindex(const ecai__ltr_query *q, uint32_t t) {
  for (size_t j = 0; j < q->nq; j++)
    if ((uint32_t)q->term[j] == t) return (int)j;
  return -1;
}

/* The title features, from the title's term sequence kept by the keyword index. */
static void title_features(float *x, const ecai__bm25 *bm, const ecai__ltr_query *q, int64_t id, double avg_title,
                           double idfsum) {
  if ((size_t)id >= bm->ndocs) return;
  const uint32_t *tt = bm->ttok + bm->tstart[id];
  size_t tn = bm->tstart[id + 1] - bm->tstart[id], matched = 0;
  unsigned tf[32] = {0};
  int pos[64];
  for (size_t u = 0; u < tn; u++) {
    int j = qindex(q, tt[u]);
    if (u < 64) pos[u] = j;
    if (j >= 0) tf[j]++, matched++;
  }
  x[ECAI__LF_bm25_title] = (float)bm25_field(bm, q, tf, (double)tn, avg_title);
  double cov = 0;
  for (size_t j = 0; j < q->nq; j++)
    if (tf[j]) cov += bm->idf[q->term[j]];
  x[ECAI__LF_title_coverage] = idfsum > 0 ? (float)(cov / idfsum) : 0;
  x[ECAI__LF_title_precision] = tn ? (float)matched / (float)tn : 0;
  x[ECAI__LF_title_terms] = (float)tn;
  x[ECAI__LF_first_in_title] = q->nq && tf[0] ? 1.0f : 0.0f;
  x[ECAI__LF_last_in_title] = q->nq && tf[q->nq - 1] ? 1.0f : 0.0f;
  /* pairs: adjacent query terms found adjacent in the title; phrase: the longest run of
   * consecutive query terms found consecutively, as a share of the query */
  size_t pairs = 0, best = 0, lim = tn < 64 ? tn : 64;
  for (size_t j = 0; j + 1 < q->nq; j++)
    for (size_t u = 0; u + 1 < lim; u++)
      if (pos[u] == (int)j && pos[u + 1] == (int)j + 1) { pairs++; break; }
  for (size_t u = 0; u < lim; u++) {
    if (pos[u] < 0) continue;
    size_t run = 1;
    while (u + run < lim && pos[u + run] == pos[u] + (int)run) run++;
    if (run > best) best = run;
  }
  x[ECAI__LF_pairs] = q->nq > 1 ? (float)pairs / (float)(q->nq - 1) : 0;
  x[ECAI__LF_phrase] = q->nq ? (float)best / (float)q->nq : 0;
}

ecai_status ecai__ltr_features(float *X, const ecai__bm25 *bm, const ecai_catalog *cat, const ecai__ltr_prior *pr,
                               const ecai__ltr_avg *avg, const ecai__ltr_query *q, const ecai__ltr_cand *c,
                               size_t n, const float *own, ecai__tokenizer *tk, ecai__tokens *toks) {
  float maxbm = 0, maxcos = -1;
  double idfsum = 0;
  for (size_t i = 0; i < n; i++) {
    if (c[i].bm > maxbm) maxbm = c[i].bm;
    if (c[i].cos > maxcos) maxcos = c[i].cos;
  }
  for (size_t j = 0; j < q->nq; j++) idfsum += bm->idf[q->term[j]];
  memset(X, 0, n * ECAI__LTR_NFEAT * sizeof *X);
  for (size_t i = 0; i < n; i++) {
    float *x = X + i * ECAI__LTR_NFEAT;
    x[ECAI__LF_bm25f] = c[i].bm;
    x[ECAI__LF_bm25f_rel] = maxbm > 0 ? c[i].bm / maxbm : 0;
    x[ECAI__LF_cosine] = c[i].cos;
    x[ECAI__LF_cosine_rel] = c[i].cos - maxcos;
    x[ECAI__LF_coverage_idf] = c[i].cov;
    x[ECAI__LF_hybrid_score] = c[i].score;
    x[ECAI__LF_hybrid_rank] = (float)i;
    x[ECAI__LF_query_terms] = (float)q->nq;
    x[ECAI__LF_query_unknown] = (float)q->unknown;
    x[ECAI__LF_vector_only] = c[i].vec && c[i].bm == 0 ? 1.0f : 0.0f;
    title_features(x, bm, q, c[i].id, avg->title, idfsum);
    const ecai__product *p = ecai__catalog_product(cat, c[i].id);
    size_t found = 0;
    unsigned any[32] = {0};
    for (int f = 0; p && f < NFLD; f++) {
      size_t len = field_tokens(p, f, tk, toks);
      if (!len) continue;
      unsigned tf[32] = {0};
      for (size_t u = 0; u < len; u++) {
        int64_t t = ecai__bm25_term(bm, toks->text + toks->off[u], toks->len[u]);
        int j = t < 0 ? -1 : qindex(q, (uint32_t)t);
        if (j >= 0) tf[j]++, any[j] = 1;
      }
      x[ECAI__LF_bm25_brand + f] = (float)bm25_field(bm, q, tf, (double)len, avg->f[f]);
    }
    if ((size_t)c[i].id < bm->ndocs) { /* terms in the title count too */
      const uint32_t *tt = bm->ttok + bm->tstart[c[i].id];
      for (uint32_t u = 0; u < bm->tstart[c[i].id + 1] - bm->tstart[c[i].id]; u++) {
        int j = qindex(q, tt[u]);
        if (j >= 0) any[j] = 1;
      }
    }
    for (size_t j = 0; j < q->nq; j++) found += any[j];
    x[ECAI__LF_coverage_terms] = q->nq ? (float)found / (float)q->nq : 0;
    /* prior: smoothed mean training gain of the product; while learning the query's own
     * judgment is left out, so the model sees what it will see on unseen queries */
    double sum = 0, cnt = 0;
    if (pr && (size_t)c[i].id < pr->n) sum = pr->sum[c[i].id], cnt = pr->cnt[c[i].id];
    if (own && !isnan(own[i]) && cnt >= 1) sum -= own[i], cnt -= 1;
    x[ECAI__LF_prior_grade] = pr ? (float)((sum + pr->m * pr->mean) / (cnt + pr->m)) : 0;
    x[ECAI__LF_prior_count] = (float)log1p(cnt);
  }
  return ECAI_OK;
}
