/* Internal declarations of the cache module (exact cache, Redis backend, semantic
 * cache, hit verification, the interim text vectors). Never installed. */
#ifndef ECAI_CACHE_INTERNAL_H
#define ECAI_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"
#include "ecai/cache.h"

/* ---- clock (tests inject one so that they never sleep) ---------------------- */
typedef int64_t (*ecai__clock_fn)(void *payload); /* Unix time in milliseconds */
int64_t ecai__cache_realtime_ms(void *unused);
/* Replaces the clock of an exact cache (NULL restores the real one). */
void ecai__cache_set_clock(ecai_cache *c, ecai__clock_fn fn, void *payload);

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
typedef struct ecai__redis ecai__redis;
ecai_status ecai__redis_new(ecai__redis **out, const char *url, const char *password, int timeout_ms,
                            const char *prefix);
void ecai__redis_free(ecai__redis *r);
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
/* true when the two texts agree on numbers, codes, negation and verb polarity. */
bool ecai__semverify(const char *a, size_t alen, const char *b, size_t blen);

/* ---- question vectors (src/cache/textvec.c) ------------------------------------ */
/* The semantic cache embeds customer questions with its own featuriser, not the
 * catalog's builtin embedder: function words are kept (down-weighted) and nothing is
 * stemmed, because "why/when was I charged" must stay apart. Measured on BANKING77
 * (tests/eval/eval_cache.sh, threshold 0.95, verified): these vectors 252 hits with
 * 1.6 % false hits; the builtin embedder 728 hits with 3.2 % (stop words dropped) or
 * 161 with 3.1 % (kept). The whole cache reaches text vectors through ecai__cache_embed(). */
#define ECAI__TEXTVEC_DIM 512
void ecai__textvec(float *out, const char *s, size_t len); /* L2-normalised, dim 512 */
static inline void ecai__cache_embed(float *out, const char *s, size_t len) { ecai__textvec(out, s, len); }

#endif
