/*
 * Internal: learning to rank for ecai_search (features.c: the feature vector of a candidate;
 * ltr.c: the ranker file, learning with XGBoost's LambdaMART, reranking).
 *
 * search.c hands the fused, ranked candidates of a query to ecai__ltr_apply() (its hook is
 * a few lines in run()); the ranker either reorders the first ones by the model's score or,
 * while learning, records their feature vectors. The features are documented in
 * include/ecai/search.h (ecai_search_learn) in the order of ECAI__LTR_FEATURES.
 */
#ifndef ECAI_SEARCH_LTR_H
#define ECAI_SEARCH_LTR_H

#include <stddef.h>
#include <stdint.h>

#include "ecai/search.h"
#include "search/search_internal.h"
#include "text/text.h"

/* The feature names, in column order; also written into the ranker file (a file whose list
 * differs is refused, so features can change only with a new list). */
#define ECAI__LTR_FEATURES                                                                        \
  X(bm25f) X(bm25f_rel) X(bm25_title) X(bm25_brand) X(bm25_category) X(bm25_desc) X(bm25_attrs)  \
  X(cosine) X(cosine_rel) X(coverage_idf) X(coverage_terms) X(title_coverage) X(title_precision) \
  X(pairs) X(phrase) X(first_in_title) X(last_in_title) X(hybrid_score) X(hybrid_rank)          \
  X(prior_grade) X(prior_count) X(query_terms) X(query_unknown) X(title_terms) X(vector_only)
enum {
#define X(n) ECAI__LF_##n,
  ECAI__LTR_FEATURES
#undef X
  ECAI__LTR_NFEAT
};
extern const char *const ecai__ltr_feature_names[ECAI__LTR_NFEAT];

/* A candidate as the fusion left it. */
typedef struct ecai__ltr_cand {
  int64_t id;
  float bm, cos, cov, score;
  int vec;     /* came from the vector side only */
  size_t orig; /* its index in the caller's array */
} ecai__ltr_cand;

/* The query: its text as given, term ids (typo-corrected, deduplicated) and unknown words. */
typedef struct ecai__ltr_query {
  const char *text;
  size_t len;
  const int64_t *term;
  size_t nq, unknown;
} ecai__ltr_query;

/* Product priors: per catalog id, the sum and count of training grades (gain = grade - 1). */
typedef struct ecai__ltr_prior {
  float *sum, *cnt;
  size_t n;
  double mean, m; /* global mean gain, smoothing weight */
} ecai__ltr_prior;

/* Field length averages (tokens): the title, then brand, category, description, attributes. */
typedef struct ecai__ltr_avg { double title, f[4]; } ecai__ltr_avg;

/* Fills X (n rows of ECAI__LTR_NFEAT floats) for the candidates c[0..n), which are in
 * fusion order. own[i] (may be NULL) is the gain of c[i] in the query's own training
 * judgments or NAN: while learning it is taken out of the prior (leave one query out).
 * tk/toks: a tokenizer and scratch tokens for the non-title fields (tk NULL: they count as
 * empty; only when no candidate has one). */
ecai_status ecai__ltr_features(float *X, const ecai__bm25 *bm, const ecai_catalog *cat, const ecai__ltr_prior *pr,
                               const ecai__ltr_avg *avg, const ecai__ltr_query *q, const ecai__ltr_cand *c,
                               size_t n, const float *own, ecai__tokenizer *tk, ecai__tokens *toks);
/* Adds the token counts of c's non-title fields to sums (for ecai__ltr_avg). */
void ecai__ltr_field_lengths(double sums[4], const ecai_catalog *cat, int64_t id, ecai__tokenizer *tk,
                             ecai__tokens *toks);

typedef struct ecai__ltr ecai__ltr;
/* Reads DIR/ranker.bin into *out (NULL when there is none). ECAI_ENOTFOUND: no file;
 * ECAI_ECORRUPT: damaged, another format or feature list; ECAI_ENOMEM. */
ecai_status ecai__ltr_open(ecai__ltr **out, const ecai_catalog *cat, const char *dir);
void ecai__ltr_free(ecai__ltr *m);
/* Reranks (or, for a learning collector, records) the candidates c[0..n) of one query, in
 * fusion order: on return c[0..min(n, depth)) are reordered by the model, .score set to
 * the model's score. */
ecai_status ecai__ltr_apply(ecai__ltr *m, const ecai__bm25 *bm, const ecai_catalog *cat, const ecai__ltr_query *q,
                            ecai__ltr_cand *c, size_t n);

/* In search.c, for ltr.c: runs QUERY through the hybrid retrieval with m as the ranker (a
 * learning collector records the candidates); the engine's store and keyword index; sets
 * the engine's ranker (the engine owns it) and returns the previous one. */
ecai_status ecai__search_probe(ecai_search *s, ecai__ltr *m, const char *query, size_t len);
ecai_store *ecai__search_store(const ecai_search *s);
const ecai__bm25 *ecai__search_bm25(const ecai_search *s);
ecai__ltr *ecai__search_set_ltr(ecai_search *s, ecai__ltr *m);

#endif
