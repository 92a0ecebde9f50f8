/*
 * libecai — embedders: text -> L2-normalised float vectors, one interface, two kinds
 * (configuration key `embedder.kind`):
 *
 *  - "builtin" (default; offline, deterministic): hashed features (XXH3) — words of
 *    the shared tokenizer (NFKC + case folding, units, stop words, Snowball stems),
 *    optionally word bigrams (`embedder.word_bigrams`, off), and character n-grams of
 *    each word (`embedder.ngram_min`..`ngram_max`, 3..5, weight `embedder.char_weight`
 *    0.35) — weighted by IDF^`embedder.idf_power` (0.5) learned from a catalog with
 *    ecai_embedder_fit(), signed-hashed into `embedder.dim` dimensions (384).
 *    Measured on the Home Depot set (vector-only nDCG@10, tests/eval/eval_vector.sh):
 *    defaults 0.316; without char n-grams 0.225; with bigrams 0.314; IDF^0 0.306,
 *    IDF^1 0.290; dim 256 0.300, 512 0.322. A catalog-trained PCA projection (FAISS
 *    PCAMatrix, 1024 -> 384) measured +0.009 over plain hashing at a several-fold
 *    embedding cost, so it is not used.
 *  - "openai": a remote OpenAI-compatible `POST {embedder.base_url}/v1/embeddings`
 *    (OpenAI, Ollama, llama.cpp, vLLM, TEI), batched (`embedder.batch_size`), one
 *    keep-alive connection per embedder, `embedder.timeout_ms`, retries on 429/5xx.
 *    Replies larger than `embedder.max_reply_bytes` (64 MiB) are refused unbuffered;
 *    TLS peers are verified (`embedder.ca_file` trusts a private CA; turning it off with
 *    `embedder.verify_tls: false` is logged as a warning).
 *
 * Every embedder has an identity (kind, model, dim, hash of its parameters and fitted
 * state); indexes store it and refuse queries from another embedder.
 *
 * Thread-safety: after ecai_embedder_fit() (or opening a saved embedder),
 * ecai_embedder_embed() / _embed_batch() may be called from several threads at once on
 * one builtin embedder. Fit, save and free need exclusive access. A remote embedder
 * serialises its requests internally.
 */
#ifndef ECAI_EMBED_H
#define ECAI_EMBED_H

#include "ecai/cache.h"
#include "ecai/common.h"
#include "ecai/catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An embedder (opaque). */
typedef struct ecai_embedder ecai_embedder;

/**
 * @brief Creates an embedder of the kind configured in ctx (`embedder.kind`).
 * @param[out] out receives the embedder; NULL on failure.
 * @param[in]  ctx the context; must outlive the embedder.
 * @return ECAI_OK; ECAI_EINVAL (bad setting, e.g. openai without base_url/model);
 * ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_embedder_free().
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_new(ecai_embedder **out, ecai_ctx *ctx);

/**
 * @brief Frees an embedder. Accepts NULL.
 * Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API void ecai_embedder_free(ecai_embedder *emb);

/**
 * @brief Dimension of the vectors produced (0 for NULL).
 * Thread-safety: safe concurrently.
 * @since 0.1
 */
ECAI_API size_t ecai_embedder_dim(const ecai_embedder *emb);

/**
 * @brief Learns the builtin embedder's IDF weights from a catalog's product texts
 * (remote embedders: learns the dimension with one request when `embedder.dim` is
 * not set). Changes the identity: vectors made before a fit are not comparable with
 * vectors made after.
 * @param[in] emb the embedder.
 * @param[in] cat the catalog (not modified).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM; remote: ECAI_EHTTP, ECAI_ETIMEOUT, ECAI_EPARSE.
 * Thread-safety: exclusive access to emb; cat is only read.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_fit(ecai_embedder *emb, const ecai_catalog *cat);

/**
 * @brief Embeds one text into out[0..dim).
 * @param[out] out     caller buffer of out_dim floats; receives a unit vector (all
 *                     zeros for a text without any feature).
 * @param[in]  out_dim must equal ecai_embedder_dim().
 * @param[in]  emb     the embedder.
 * @param[in]  text    UTF-8 text (need not be NUL-terminated).
 * @param[in]  len     its length in bytes.
 * @return ECAI_OK; ECAI_EINVAL (NULL, wrong out_dim); ECAI_ESTATE (remote, dimension not
 * known yet: set embedder.dim or fit first); ECAI_EPARSE (invalid UTF-8 or bad reply, the
 * message gives the byte offset); ECAI_EHTTP / ECAI_ETIMEOUT (remote); ECAI_ENOMEM.
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_embed(float *out, size_t out_dim, ecai_embedder *emb, const char *text,
                                         size_t len);

/**
 * @brief Embeds n texts into out[0..n*dim) (row i = text i). Remote embedders send
 * them in batches of `embedder.batch_size`.
 * @param[out] out   caller buffer of n * ecai_embedder_dim() floats.
 * @param[in]  emb   the embedder.
 * @param[in]  texts n UTF-8 texts.
 * @param[in]  lens  their lengths, or NULL when the texts are NUL-terminated.
 * @param[in]  n     number of texts.
 * @return as ecai_embedder_embed(); the message names the failing text's index.
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_embed_batch(float *out, ecai_embedder *emb, const char *const *texts,
                                               const size_t *lens, size_t n);

/**
 * @brief Attaches an exact cache (ecai_cache, in-process or Redis) to a remote embedder:
 * each text is looked up first (key: XXH3-128 of {"model","dim","text"}) and only the
 * misses are sent, in batches; new vectors are stored. Several servers sharing a Redis
 * cache embed each text once. NULL detaches.
 * @param[in] emb   a remote embedder.
 * @param[in] cache the cache or NULL; borrowed: it must outlive the embedder (or be
 *                  detached first).
 * @return ECAI_OK; ECAI_EINVAL (NULL emb); ECAI_EUNSUPPORTED (builtin embedder: computing
 * its vectors is cheaper than looking them up).
 * Ownership: borrowed. Thread-safety: exclusive access to emb; ecai_cache is thread-safe.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_attach_cache(ecai_embedder *emb, ecai_cache *cache);

/**
 * @brief The embedder's identity as JSON: {"kind":..,"model":..,"dim":..,"params":..}
 * where params is a hash of every parameter and of the fitted state.
 * @param[out] out     receives the JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out. Thread-safety: safe concurrently with embed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_identity(char **out, size_t *out_len, const ecai_embedder *emb);

/**
 * @brief Writes the embedder (parameters and fitted state, never secrets) to one file
 * atomically, with a format version and a checksum.
 * @return ECAI_OK; ECAI_EIO; ECAI_EINVAL; ECAI_ENOMEM.
 * Thread-safety: safe concurrently with embed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_save(const ecai_embedder *emb, const char *path);

/**
 * @brief Reads an embedder written by ecai_embedder_save(). A remote embedder takes its
 * endpoint settings and key from ctx; its kind, model and dim come from the file. The file
 * is mapped read-only and the fitted weights are used in place (little-endian hosts):
 * replace it by rename, never rewrite it in place while the embedder lives.
 * @param[out] out  receives the embedder; NULL on failure.
 * @param[in]  ctx  the context.
 * @param[in]  path file path.
 * @return ECAI_OK; ECAI_EIO; ECAI_ECORRUPT (truncated, damaged, other version); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_embedder_free().
 * @since 0.1
 */
ECAI_API ecai_status ecai_embedder_open(ecai_embedder **out, ecai_ctx *ctx, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_EMBED_H */
