/* Internal declarations of the cache module (exact cache, Redis backend, semantic
 * cache, hit verification, the interim text vectors). Never installed. */
#ifndef ECAI_CACHE_INTERNAL_H
#define ECAI_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/redis.h"
#include "catalog/ser.h" /* ecai__put_* / ecai__rd: the byte layout of the cache files */
#include "core/internal.h"
#include "ecai/cache.h"
#include "text/text.h"

/* ---- clock (tests inject one so that they never sleep) ---------------------- */
typedef int64_t (*ecai__clock_fn)(void *payload); /* Unix time in milliseconds */
int64_t ecai__cache_realtime_ms(void *unused);
/* Replaces the clock of an exact cache (NULL restores the real one). */
void ecai__cache_set_clock(ecai_cache *c, ecai__clock_fn fn, void *payload);
/* Index links examined by tag / product invalidations so far (memory backend). */
unsigned long long ecai__cache_index_visits(ecai_cache *c);

/* ---- parsed put annotations -------------------------------------------------- */
typedef struct {
  char *sku;
  uint64_t hash;
} ecai__cprod;

typedef struct {
  char **tags;
  uint32_t ntags;
  ecai__cprod *prods;
  uint32_t nprods;
  int64_t expires_at_ms; /* 0 = none */
  int64_t saved_tokens;
  double saved_cost;
} ecai__cmeta;

ecai_status ecai__cmeta_parse(ecai__cmeta *m, const char *json);
void ecai__cmeta_free(ecai__cmeta *m);

/* ---- Redis backend (src/cache/redis.c) ------------------------------------------ */
/* The connection (ecai__redis_new / _free / _command) is in cache/redis.h. */
/* Each returns 1 hit / 0 miss (or done) / -1 backend failure (message in *err is not set:
 * callers count the failure; the next call reconnects). */
int ecai__redis_get(ecai__redis *r, const uint8_t *key, void **out, size_t *out_len, int64_t *saved_tokens,
                    double *saved_cost);
int ecai__redis_put(ecai__redis *r, const uint8_t *key, const void *v, size_t n, int64_t ttl_ms,
                    const ecai__cmeta *m);
int ecai__redis_del(ecai__redis *r, const uint8_t *key);
int ecai__redis_invalidate_tag(ecai__redis *r, const char *tag, size_t *n);
int ecai__redis_invalidate_product(ecai__redis *r, const char *sku, uint64_t hash, size_t *n);
int ecai__redis_clear(ecai__redis *r);
int ecai__redis_counter_add(ecai__redis *r, const char *name, double delta, int64_t window_s, double *total);

/* ---- hit verification (src/cache/verify.c) -------------------------------------- */
/* Defaults of cache.semantic_threshold and cache.verify_word_mismatch, and the fewest
 * content words a question needs for a hit on a paraphrase (not the same words); see
 * ecai/cache.h for how they were chosen (tests/eval/eval_cache.sh, tune half). */
#define ECAI__SEM_THRESHOLD 1.0
#define ECAI__SEM_WORD_MISMATCH 0.0
#define ECAI__SEM_MIN_WORDS 3u
/* true when the two texts agree on numbers, codes, negation and verb polarity. */
bool ecai__semverify(const char *a, size_t alen, const char *b, size_t blen);

/* Content words of a question: Snowball-stemmed words that are neither the
 * tokenizer's stop words (articles, pronouns, auxiliaries) nor numbers, as distinct XXH3-64 hashes (never 0). *out is allocated with ecai__malloc
 * (NULL when there are none). ECAI_ENOMEM; ECAI_EINVAL for invalid UTF-8. */
ecai_status ecai__semwords(uint64_t **out, uint32_t *n, ecai__tokenizer *tk, ecai__tokens *toks, const char *s,
                           size_t len);

/* Document frequencies of content words over the entries of one partition (the
 * cache's own questions, never an outside corpus). */
typedef struct {
  uint64_t *keys; /* 0 = empty slot */
  uint32_t *cnt;
  size_t cap, used, zeros;
} ecai__dfmap;
void ecai__df_free(ecai__dfmap *m);
/* Adds delta (+1 / -1) for each word; ECAI_ENOMEM (nothing changed) on failure. */
ecai_status ecai__df_add(ecai__dfmap *m, const uint64_t *w, uint32_t n, int delta);
uint32_t ecai__df_get(const ecai__dfmap *m, uint64_t w);
/* IDF-weighted share of the two word sets that only one side has: sum of idf over the
 * symmetric difference / sum over the union, idf(w) = ln((ndocs + 1) / (df(w) + 1)) + 1.
 * 0 when neither has content words. */
double ecai__word_mismatch(const ecai__dfmap *df, size_t ndocs, const uint64_t *a, uint32_t na, const uint64_t *b,
                           uint32_t nb);

/* ---- question vectors (src/cache/textvec.c) ------------------------------------ */
/* The semantic cache embeds customer questions with its own featuriser, not the
 * catalog's builtin embedder: function words are kept (down-weighted) and left
 * unstemmed, because "why/when was I charged" must stay apart; content words are
 * stemmed. Measured on BANKING77 (tests/eval/eval_cache.sh, threshold 0.95, verified
 * without the word rule): unstemmed 252 hits with 1.6 % false hits, stemmed 264 with
 * 1.5 %; with the word rule 212 with 0.47 %. The builtin embedder: 728 hits with 3.2 %
 * (stop words dropped) or 161 with 3.1 % (kept). The whole cache reaches text vectors
 * through ecai__cache_embed(). */
#define ECAI__TEXTVEC_DIM 512
/* L2-normalised, dim 512; tk (may be NULL: no stemming) is used by one thread at a time. */
void ecai__textvec(float *out, const char *s, size_t len, ecai__tokenizer *tk);
static inline void ecai__cache_embed(float *out, const char *s, size_t len, ecai__tokenizer *tk) {
  ecai__textvec(out, s, len, tk);
}

#endif
