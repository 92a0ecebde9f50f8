/*
 * libecai — caches: an exact cache (bytes by 128-bit key; in-process or Redis) and a
 * semantic cache (query vectors, cosine similarity, verified hits).
 *
 * Exact cache (ecai_cache)
 *   Keys are 16-byte XXH3-128 digests of a canonical serialisation of the request
 *   (ecai_cache_key_from_json() sorts object keys and drops whitespace, so
 *   {"b":1,"a":2} and {"a":2,"b":1} give the same key). Values are bytes.
 *   In-process: sharded (cache.shards, default 16) hash tables with a mutex each,
 *   LRU eviction (CLOCK second-chance approximation: a hit only sets a bit, so a get
 *   touches one entry) under a byte budget (cache.max_bytes, split evenly across shards),
 *   per-entry TTL or absolute expiry, invalidation by key, tag or product fact
 *   (an index per shard from tag and SKU to entries: invalidation visits only the
 *   entries concerned).
 *   Redis ("cache.backend": "redis"): keys are redis.prefix + "v1:" + hex(key), TTL
 *   by SET PX, tags and products by Redis sets. A Redis failure or timeout is a miss
 *   (counted as backend_errors), never an error; the next call reconnects.
 *
 * Catalog-tied invalidation
 *   An entry may record the products it used as (SKU, fact hash) pairs, where the
 *   fact hash is ecai_cache_fact_hash() of the facts quoted (price, stock, title...).
 *   ecai_cache_invalidate_product(sku, new_hash) drops exactly the entries that
 *   recorded that SKU with a different hash.
 *
 * Semantic cache (ecai_semcache)
 *   Entries are (partition, query vector, query text, value). A lookup finds, within
 *   the same partition only, the stored vectors with cosine similarity >= threshold
 *   (FAISS inner product on L2-normalised vectors), and serves the best candidate
 *   whose query text VERIFIES against the new query: both texts must mention the
 *   same numbers (order numbers, quantities, prices), the same SKU-like codes, and
 *   agree on negation ("not", "no", "never", "n't", "cannot") and on opposite verb
 *   pairs (enable/disable, lock/unlock, cancel/uncancel, activate/deactivate...), and
 *   ask the same kind of question (why / how / where / when / which / who, with
 *   "how long" and "how much" as kinds of their own); and they must agree on their
 *   content words (stemmed, stop words aside), each weighted by its IDF among the
 *   partition's own cached questions, idf = ln((n + 1) / (df + 1)) + 1: the share of
 *   the weight carried by words only one of the two has must not exceed
 *   cache.verify_word_mismatch (default 0: the same content words; 1 turns this rule
 *   off). A question with fewer than 3 content words is served only for a repeat
 *   with the same words, never for a paraphrase ("pending transaction?" may be a
 *   transfer or a card payment). Rejected candidates are counted (verify_rejects);
 *   the next candidate above the threshold (up to 8) is tried.
 *
 *   Defaults: cache.semantic_threshold 1.0 serves repeats with the same
 *   words (case, punctuation, hyphens aside), not paraphrases. The builtin question
 *   vectors cannot give a useful hit rate at <= 1 % false hits on questions not used
 *   for tuning. Measured on BANKING77 (10,003 real banking questions, 77
 *   near-neighbour intents; tests/eval/eval_cache.sh), split by XXH3-64 of the
 *   question (even = tune, 4,928 lookups; odd = check, 5,075), hit rate and false
 *   hits / hits, verified with the default rules:
 *       threshold        0.70          0.80          0.85          0.88          0.90          0.95          1.00
 *       tune           4.1% 2.5%     3.2% 1.9%     2.3% 0.9%     1.7% 0/83     1.4% 0/68     0.6% 0/28     0.1% 0/6
 *       check          4.7% 2.5%     3.9% 2.5%     3.0% 2.7%     2.3% 2/115    2.0% 2/99     0.9% 1/48     0.3% 1/14
 *       check, unverified 28.5% 11.6%  14.8% 5.1%   9.2% 4.3%     6.6% 4.5%     5.1% 5.0%     2.4% 4.9%     0.3% 1/14
 *   The tune half pointed at 0.88 (0 of 83); the check half gave 2 of 115 (1.7 %),
 *   so no paraphrase threshold meets the target on unseen questions. Why the false
 *   hits happen: near duplicates that differ in one intent word ("What's the limit for
 *   auto top-up?" / "What's the top-up limit?", "disposable virtual card" / "virtual
 *   card"). The older rule weighted words by IDF among the cache's own questions, and
 *   in a one-domain cache the intent words (card, transfer, top-up, auto) are the
 *   frequent ones, so they weighed least: the rule now asks for the same content
 *   words. What is left are labelling conflicts, the same question under two intents
 *   ("Has my top-up gone through?" is both top_up_reverted and pending_top_up; it is
 *   the one false hit of the check half at 1.0): no text check can separate those.
 *   Set a lower threshold (0.88-0.90) only where a wrong answer is cheap, or with
 *   caller vectors from a stronger embedder, measured with `ecai eval-cache --half`;
 *   a stronger embedder moves the whole curve. Lookups use FAISS
 *   "Flat" (exact) by default; for partitions above ~10k entries set
 *   cache.semantic_index to "HNSW32" (sub-millisecond at 100k).
 *
 *   Persistence: ecai_semcache_save() / ecai_semcache_load(), or
 *   cache.semantic_persist_path (loaded at creation, saved when freed); the file
 *   carries the entries, their partitions, vectors and content words (the document
 *   frequencies are rebuilt from them), with a magic, a format version and an XXH3-64
 *   checksum. A damaged file loads nothing.
 *
 * Thread-safety: both cache types are internally locked; one handle may be used from
 * several threads at once (an exception to the library-wide rule).
 */
#ifndef ECAI_CACHE_H
#define ECAI_CACHE_H

#include "ecai/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size in bytes of an exact-cache key. */
#define ECAI_CACHE_KEY_SIZE 16

/** An exact cache (in-process or Redis). */
typedef struct ecai_cache ecai_cache;

/**
 * @brief Creates an exact cache configured by ctx: "cache.backend" ("memory" or
 * "redis"), "cache.max_bytes", "cache.ttl_s" (default TTL), "cache.shards",
 * "cache.persist_path" (memory backend: loaded here, saved by ecai_cache_free(); a
 * corrupt or truncated file is ignored with a warning log and counted as
 * load_errors), "redis.url", "redis.timeout_ms", "redis.prefix", "redis.password".
 * The Redis backend does not connect here; it connects on first use.
 * @param[out] out receives the cache; NULL on failure.
 * @param[in]  ctx the context (must outlive the cache).
 * @return ECAI_OK; ECAI_EINVAL (NULL argument, bad setting, redis backend without
 * redis.url); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_cache_free().
 * Thread-safety: the returned cache is internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_new(ecai_cache **out, const ecai_ctx *ctx);

/**
 * @brief Frees a cache (saving it first when cache.persist_path is set). Accepts NULL.
 * Thread-safety: not concurrently with any other use of the cache.
 * @since 0.1
 */
ECAI_API void ecai_cache_free(ecai_cache *cache);

/**
 * @brief Key of raw bytes: XXH3-128 of data, written big-endian into out[16].
 * @param[out] out  16 bytes (ECAI_CACHE_KEY_SIZE).
 * @param[in]  data bytes (may be NULL when len is 0).
 * @param[in]  len  length of data.
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_key_from_bytes(uint8_t *out, const void *data, size_t len);

/**
 * @brief Key of a JSON request, canonicalised first (object keys sorted, no
 * whitespace), so documents that differ only in key order or spacing share a key.
 * @param[out] out  16 bytes.
 * @param[in]  json JSON text (need not be NUL-terminated).
 * @param[in]  len  its length.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EPARSE (malformed JSON).
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_key_from_json(uint8_t *out, const char *json, size_t len);

/**
 * @brief Hash of the product facts an answer used (e.g. "price=19.99;stock=3;title=X"),
 * for entry annotations and ecai_cache_invalidate_product(). XXH3-64.
 * @param[in] facts bytes (may be NULL when len is 0).
 * @param[in] len   length.
 * @return the hash.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API uint64_t ecai_cache_fact_hash(const void *facts, size_t len);

/**
 * @brief Stores (or replaces) a value.
 * @param[in] cache     the cache.
 * @param[in] key       16-byte key.
 * @param[in] value     bytes (copied; may be NULL when value_len is 0).
 * @param[in] value_len length.
 * @param[in] ttl_ms    time to live in milliseconds; 0 = cache.ttl_s; -1 = never expires.
 * @param[in] meta_json NULL or a JSON object with optional members:
 *   "tags": ["t", ...]; "expires_at_ms": absolute Unix time in ms (the earlier of this
 *   and the TTL wins); "saved_tokens": integer and "saved_cost": number (what one hit
 *   saves; summed into tokens_saved / cost_saved of the stats on each hit);
 *   "products": [{"sku": "S1", "fact_hash": "<16 hex digits>"} or
 *   {"sku": "S1", "facts": "price=9.99;stock=3"}, ...].
 * @return ECAI_OK (also when a Redis backend failed: the put is dropped and counted);
 * ECAI_EINVAL (NULL argument, ttl_ms < -1, bad meta member); ECAI_EPARSE (meta is not
 * JSON); ECAI_ENOMEM. A value larger than a shard's byte budget is not stored (ECAI_OK).
 * Ownership: inputs are copied. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_put(ecai_cache *cache, const uint8_t *key, const void *value,
                                    size_t value_len, int64_t ttl_ms, const char *meta_json);

/**
 * @brief Looks a key up; on a hit copies the value into memory the caller owns.
 * @param[out] out     receives the value (NUL-terminated for convenience); NULL on a miss.
 * @param[out] out_len receives its length (may be NULL).
 * @param[in]  cache   the cache.
 * @param[in]  key     16-byte key.
 * @return ECAI_OK (hit); ECAI_ENOTFOUND (miss, expired, or Redis unavailable);
 * ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_free(). Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_get(void **out, size_t *out_len, ecai_cache *cache, const uint8_t *key);

/**
 * @brief Removes one key (absent keys are fine).
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_delete(ecai_cache *cache, const uint8_t *key);

/**
 * @brief Removes every entry stored with the tag.
 * @param[out] out_n receives the number removed (may be NULL).
 * @param[in]  cache the cache.
 * @param[in]  tag   NUL-terminated tag.
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: internally locked (each shard's tag index in turn;
 * only the entries with the tag are visited).
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_invalidate_tag(size_t *out_n, ecai_cache *cache, const char *tag);

/**
 * @brief A product's facts changed: removes exactly the entries that recorded `sku`
 * with a fact hash different from new_fact_hash. Entries that used the current facts
 * and entries of other products stay.
 * @param[out] out_n         receives the number removed (may be NULL).
 * @param[in]  cache         the cache.
 * @param[in]  sku           NUL-terminated SKU.
 * @param[in]  new_fact_hash ecai_cache_fact_hash() of the product's current facts.
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: internally locked (each shard's SKU index in turn;
 * only the entries that recorded the SKU are visited).
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_invalidate_product(size_t *out_n, ecai_cache *cache, const char *sku,
                                                   uint64_t new_fact_hash);

/**
 * @brief Removes every entry (Redis: every key under the prefix's "v1:" namespace).
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_clear(ecai_cache *cache);

/**
 * @brief Statistics as a JSON object: "backend", "hits", "misses", "puts",
 * "evictions", "expirations", "invalidations", "entries", "bytes", "max_bytes",
 * "tokens_saved", "cost_saved", "backend_errors", "load_errors", "hit_rate".
 * @param[out] out     receives NUL-terminated JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  cache   the cache.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_stats_json(char **out, size_t *out_len, ecai_cache *cache);

/**
 * @brief Saves the in-process cache to a file atomically (temporary file, fsync,
 * rename): format version, entries that have not expired, XXH64 checksum.
 * @param[in] cache the cache (memory backend).
 * @param[in] path  destination file.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EIO; ECAI_EUNSUPPORTED (Redis backend).
 * Ownership: none. Thread-safety: internally locked (one shard at a time).
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_save(ecai_cache *cache, const char *path);

/**
 * @brief Loads entries saved by ecai_cache_save() into the cache (expired ones skipped).
 * @param[out] out_n receives the number loaded (may be NULL).
 * @param[in]  cache the cache (memory backend).
 * @param[in]  path  file.
 * @return ECAI_OK; ECAI_ENOTFOUND (no file); ECAI_ECORRUPT (truncated, damaged, other
 * version: nothing is loaded); ECAI_EIO; ECAI_EINVAL; ECAI_EUNSUPPORTED (Redis).
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_load(size_t *out_n, ecai_cache *cache, const char *path);

/**
 * @brief Adds delta to a named counter shared by every user of the backend (spend
 * budgets across web servers). Redis: INCRBYFLOAT, and when window_s > 0 the counter
 * expires window_s seconds after its first increment (fixed window). Memory: the
 * same semantics within the process.
 * @param[out] out_total receives the counter after the addition (may be NULL).
 * @param[in]  cache     the cache.
 * @param[in]  name      NUL-terminated counter name.
 * @param[in]  delta     amount (may be negative or 0 to read).
 * @param[in]  window_s  window length in seconds; 0 = never resets.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EIO (Redis unreachable; counted in backend_errors).
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_cache_counter_add(double *out_total, ecai_cache *cache, const char *name,
                                            double delta, int64_t window_s);

/* ------------------------------------------------------------------------- */
/* Semantic cache                                                             */
/* ------------------------------------------------------------------------- */

/** A semantic cache (in-process; FAISS). */
typedef struct ecai_semcache ecai_semcache;

/** Options of ecai_semcache_set_int() / ecai_semcache_set_double(). */
typedef enum ecai_semcache_opt {
  ECAI_SEMCACHE_OPT_MAX_ENTRIES = 100, /**< int > 0: LRU bound (cache.semantic_max_entries) */
  ECAI_SEMCACHE_OPT_VERIFY = 101,      /**< int 0/1: verify hits (cache.verify) */
  ECAI_SEMCACHE_OPT_THRESHOLD = 200,   /**< double in [-1, 1]: cosine threshold (cache.semantic_threshold) */
  ECAI_SEMCACHE_OPT_WORD_MISMATCH = 201 /**< double in [0, 1]: verification's content-word rule, 1 = off
                                             (cache.verify_word_mismatch) */
} ecai_semcache_opt;

/**
 * @brief Creates a semantic cache for vectors of `dim` floats, configured by ctx
 * ("cache.semantic_threshold", "cache.semantic_max_entries", "cache.verify",
 * "cache.semantic_index": a FAISS factory string, "Flat" (exact, default) or e.g.
 * "HNSW32", "cache.verify_word_mismatch", "cache.semantic_persist_path": loaded here,
 * saved by ecai_semcache_free(); a damaged file is ignored with a warning log and
 * counted as load_errors). dim 0 selects the builtin text vectors used by the *_text
 * functions.
 * @param[out] out receives the cache; NULL on failure.
 * @param[in]  ctx the context.
 * @param[in]  dim vector dimension (0 = builtin text vectors).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_semcache_free().
 * Thread-safety: the returned cache is internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_new(ecai_semcache **out, const ecai_ctx *ctx, size_t dim);

/**
 * @brief Frees a semantic cache (saving it first when cache.semantic_persist_path is
 * set). Accepts NULL.
 * Thread-safety: not concurrently with any other use.
 * @since 0.1
 */
ECAI_API void ecai_semcache_free(ecai_semcache *sc);

/**
 * @brief Sets an integer option (ECAI_SEMCACHE_OPT_MAX_ENTRIES, _VERIFY).
 * @return ECAI_OK; ECAI_EINVAL (wrong type or value); ECAI_EUNSUPPORTED (unknown option).
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_set_int(ecai_semcache *sc, ecai_semcache_opt opt, int64_t v);

/**
 * @brief Sets a double option (ECAI_SEMCACHE_OPT_THRESHOLD, _WORD_MISMATCH).
 * @return ECAI_OK; ECAI_EINVAL (wrong type, NaN or out of range); ECAI_EUNSUPPORTED.
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_set_double(ecai_semcache *sc, ecai_semcache_opt opt, double v);

/**
 * @brief Stores an answer for a query. The vector is L2-normalised internally.
 * @param[in] sc        the cache.
 * @param[in] partition opaque NUL-terminated scope (feature, language, catalog
 *                      version, customer scope): lookups never cross partitions.
 * @param[in] vec       dim floats (finite, not all zero).
 * @param[in] dim       must equal the cache's dimension.
 * @param[in] query     the query text (UTF-8, used for hit verification).
 * @param[in] query_len its length.
 * @param[in] value     the answer bytes; value_len its length.
 * @return ECAI_OK; ECAI_EINVAL (NULL, wrong dim, NaN/Inf or zero vector, invalid
 * UTF-8); ECAI_ENOMEM; ECAI_EBACKEND (FAISS).
 * Ownership: inputs are copied. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_put(ecai_semcache *sc, const char *partition, const float *vec,
                                       size_t dim, const char *query, size_t query_len,
                                       const void *value, size_t value_len);

/**
 * @brief Finds a verified similar query in the partition.
 * @param[out] out       receives a copy of the value (NUL-terminated); NULL on a miss.
 * @param[out] out_len   its length (may be NULL).
 * @param[out] out_score cosine similarity of the served entry (may be NULL).
 * @param[in]  sc, partition, vec, dim, query, query_len as in ecai_semcache_put().
 * @return ECAI_OK (hit); ECAI_ENOTFOUND (miss, or every candidate failed
 * verification); ECAI_EINVAL; ECAI_ENOMEM; ECAI_EBACKEND.
 * Ownership: the caller frees *out with ecai_free(). Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_lookup(void **out, size_t *out_len, float *out_score,
                                          ecai_semcache *sc, const char *partition, const float *vec,
                                          size_t dim, const char *query, size_t query_len);

/**
 * @brief ecai_semcache_put() with the query embedded by the builtin text vectors
 * (the cache must have been created with dim 0).
 * @return as ecai_semcache_put(); ECAI_ESTATE when the cache has another dimension.
 * Ownership: inputs are copied. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_put_text(ecai_semcache *sc, const char *partition, const char *query,
                                            size_t query_len, const void *value, size_t value_len);

/**
 * @brief ecai_semcache_lookup() with the query embedded by the builtin text vectors.
 * @return as ecai_semcache_lookup(); ECAI_ESTATE when the cache has another dimension.
 * Ownership: the caller frees *out with ecai_free(). Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_lookup_text(void **out, size_t *out_len, float *out_score,
                                               ecai_semcache *sc, const char *partition,
                                               const char *query, size_t query_len);

/**
 * @brief Whether two query texts may share an answer according to hit verification
 * (same numbers, SKU-like codes, negation and verb polarity).
 * @param[out] out_ok receives 1 (compatible) or 0.
 * @param[in]  a, a_len, b, b_len the two texts (UTF-8).
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_verify(int *out_ok, const char *a, size_t a_len, const char *b,
                                          size_t b_len);

/**
 * @brief Statistics as JSON: "entries", "partitions", "max_entries", "threshold",
 * "verify", "word_mismatch", "lookups", "hits", "misses", "verify_rejects" (candidates
 * above the threshold rejected by verification), "evictions", "puts", "load_errors"
 * (persisted files ignored at creation), "hit_rate".
 * @param[out] out     receives NUL-terminated JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  sc      the cache.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_stats_json(char **out, size_t *out_len, ecai_semcache *sc);

/**
 * @brief Saves the semantic cache to a file atomically (temporary file, fsync,
 * rename): format version, dimension, every entry (partition, query, value, vector,
 * the content words verification uses) oldest first, XXH3-64 checksum.
 * @param[in] sc   the cache.
 * @param[in] path destination file.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EIO; ECAI_ENOMEM.
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_save(ecai_semcache *sc, const char *path);

/**
 * @brief Loads entries saved by ecai_semcache_save() into the cache (added to what it
 * holds; cache.semantic_max_entries still bounds it, the oldest going first). The
 * whole file is checked before anything is loaded.
 * @param[out] out_n receives the number loaded (may be NULL).
 * @param[in]  sc    the cache.
 * @param[in]  path  file.
 * @return ECAI_OK; ECAI_ENOTFOUND (no file); ECAI_ECORRUPT (truncated, damaged, other
 * format version: nothing is loaded); ECAI_EINVAL (NULL argument, or a file saved by a
 * cache of another dimension); ECAI_EIO; ECAI_ENOMEM.
 * Ownership: none. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_semcache_load(size_t *out_n, ecai_semcache *sc, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_CACHE_H */
