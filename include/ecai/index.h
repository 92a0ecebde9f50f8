/*
 * libecai — vector index on FAISS (C API) with inner-product scoring of unit vectors
 * (cosine), keyed by caller ids (int64, e.g. catalog internal ids), and the store:
 * catalog + embedder + index saved and opened together.
 *
 * Index types are FAISS factory strings: "Flat" (exact, default), "HNSW32" (graph),
 * "IVF<n>,SQ8", "IVF<n>,PQ<m>" (compressed; trained automatically on the first add,
 * which needs enough vectors). Ids map to FAISS positions internally: add with an
 * existing id replaces its vector; remove marks the position deleted. Deleted
 * positions are filtered out of every result (searches over-fetch by their number) and
 * the FAISS structure is compacted (vectors reconstructed and re-added) once they
 * exceed 1024 and outnumber the live ones; IVF indexes cannot reconstruct and keep
 * their tombstones until rebuilt (ecai_store_build() with refit).
 * Memory-mapped loading: a saved Flat index is opened by mapping its file read-only and
 * shared (index.mmap, default true), so processes that open one file share one copy of
 * the vectors through the page cache; it is searched in place by an exact kernel whose
 * scores equal FAISS's IndexFlatIP (bit for bit with Debian's libfaiss). Vectors added to
 * a mapped index (new ids, or replacements: the mapped row becomes a deleted position) are
 * kept in memory beside the mapping and scanned with it; the mapping stays shared until a
 * compaction. HNSW and IVF files are read into memory
 * (FAISS 1.7.3 reads HNSW into memory and maps only on-disk IVF lists).
 *
 * Thread-safety: ecai_index_search*() may run concurrently on one handle (internal
 * read-write lock); add, remove, set_* and save take the lock exclusively.
 */
#ifndef ECAI_INDEX_H
#define ECAI_INDEX_H

#include "ecai/common.h"
#include "ecai/catalog.h"
#include "ecai/embed.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A vector index (opaque). */
typedef struct ecai_index ecai_index;

/** Options for ecai_index_set_int() (100..199 are integers). */
typedef enum ecai_index_opt {
  ECAI_INDEX_OPT_EF_SEARCH = 100, /**< HNSW efSearch (default `index.hnsw_ef_search`, 64) */
  ECAI_INDEX_OPT_NPROBE = 101     /**< IVF lists probed (default `index.nprobe`, 16) */
} ecai_index_opt;

/** Candidate filter: return 1 to keep id, 0 to drop it. Called during the search. */
typedef int (*ecai_index_filter_fn)(int64_t id, void *payload);

/**
 * @brief Creates an empty index.
 * @param[out] out     receives the index; NULL on failure.
 * @param[in]  ctx     the context; must outlive the index.
 * @param[in]  dim     vector dimension (> 0).
 * @param[in]  factory FAISS factory string, or NULL for `index.type` (default "Flat").
 * @return ECAI_OK; ECAI_EINVAL (dim 0, NULL); ECAI_EBACKEND (FAISS rejects the factory
 * string, message from FAISS); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_index_free().
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_new(ecai_index **out, ecai_ctx *ctx, size_t dim, const char *factory);

/**
 * @brief Frees an index. Accepts NULL.
 * Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API void ecai_index_free(ecai_index *idx);

/**
 * @brief Adds or replaces n vectors (row i of vecs has id ids[i]). Vectors should be
 * unit length (scores are inner products). All or nothing on argument errors.
 * @param[in] idx  the index.
 * @param[in] ids  n ids (>= 0).
 * @param[in] vecs n * dim floats.
 * @param[in] n    number of vectors.
 * @return ECAI_OK; ECAI_EINVAL (NULL, negative or repeated id, NaN/Inf component);
 * ECAI_EBACKEND (FAISS failure, e.g. too few vectors to train an IVF index); ECAI_ENOMEM.
 * Thread-safety: exclusive (takes the write lock).
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_add(ecai_index *idx, const int64_t *ids, const float *vecs, size_t n);

/**
 * @brief Removes an id.
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL.
 * Thread-safety: exclusive (takes the write lock).
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_remove(ecai_index *idx, int64_t id);

/**
 * @brief Number of live ids (0 for NULL).
 * Thread-safety: safe concurrently.
 * @since 0.1
 */
ECAI_API size_t ecai_index_count(const ecai_index *idx);

/**
 * @brief Dimension (0 for NULL).
 * Thread-safety: safe concurrently.
 * @since 0.1
 */
ECAI_API size_t ecai_index_dim(const ecai_index *idx);

/**
 * @brief Sets an integer option (see ecai_index_opt).
 * @return ECAI_OK; ECAI_EINVAL (out of range, or not an integer option);
 * ECAI_EUNSUPPORTED (unknown option).
 * Thread-safety: exclusive (takes the write lock).
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_set_int(ecai_index *idx, ecai_index_opt opt, int64_t value);

/**
 * @brief The k nearest ids by inner product, best first, optionally restricted to a
 * candidate set. With `allowed`, a small set (<= 4096 ids or <= 1/16 of the index) is
 * scored exactly; a larger one, or a filter callback, is searched with adaptive
 * over-fetching (4x, 16x, ... up to the whole index), so the result stays exact on
 * Flat and approximate only as the index type is.
 * @param[out] out_n      receives the number of hits (<= k).
 * @param[out] out_ids    caller buffer of k ids.
 * @param[out] out_scores caller buffer of k scores (may be NULL).
 * @param[in]  idx        the index.
 * @param[in]  query      dim floats (finite).
 * @param[in]  k          hits wanted (>= 1).
 * @param[in]  allowed    candidate ids, or NULL for all.
 * @param[in]  n_allowed  number of candidate ids.
 * @param[in]  filter     callback keeping ids, or NULL (combined with allowed).
 * @param[in]  payload    passed to filter.
 * @return ECAI_OK; ECAI_EINVAL (NULL, k 0, NaN/Inf in the query); ECAI_EBACKEND; ECAI_ENOMEM.
 * Thread-safety: concurrent searches allowed (read lock); filter may be called on the
 * calling thread only.
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_search(size_t *out_n, int64_t *out_ids, float *out_scores, ecai_index *idx,
                                       const float *query, size_t k, const int64_t *allowed, size_t n_allowed,
                                       ecai_index_filter_fn filter, void *payload);

/**
 * @brief Searches nq queries at once (no filter). Row i of the outputs holds query i's
 * hits; unused slots have id -1 and score -INFINITY.
 * @param[out] out_ids    caller buffer of nq * k ids.
 * @param[out] out_scores caller buffer of nq * k scores (may be NULL).
 * @param[in]  idx        the index.
 * @param[in]  queries    nq * dim floats.
 * @param[in]  nq         number of queries.
 * @param[in]  k          hits per query.
 * @return as ecai_index_search().
 * Thread-safety: concurrent searches allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_search_batch(int64_t *out_ids, float *out_scores, ecai_index *idx,
                                             const float *queries, size_t nq, size_t k);

/**
 * @brief Records the identity of the embedder whose vectors the index holds (see
 * ecai_embedder_identity()); saved with the index.
 * @return ECAI_OK; ECAI_EINVAL (NULL, or emb's dim differs from the index's); ECAI_ENOMEM.
 * Thread-safety: exclusive.
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_bind_embedder(ecai_index *idx, const ecai_embedder *emb);

/**
 * @brief Checks that emb is the embedder the index was built with.
 * @return ECAI_OK; ECAI_EINVAL with a message naming both identities when they differ
 * (or the index has none recorded).
 * Thread-safety: safe concurrently with searches.
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_check_embedder(const ecai_index *idx, const ecai_embedder *emb);

/**
 * @brief Writes the index (FAISS data, id map, embedder identity) to one file
 * atomically, with a format version and a checksum.
 * @return ECAI_OK; ECAI_EIO; ECAI_EBACKEND; ECAI_ENOMEM; ECAI_EINVAL.
 * Thread-safety: takes the read lock (searches may continue).
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_save(ecai_index *idx, const char *path);

/**
 * @brief Opens an index written by ecai_index_save() (or by an earlier version). A Flat
 * file is mapped (see the file comment; it must then be replaced by rename, never
 * rewritten in place, while open); other types are read into FAISS. The file is verified
 * (checksum) before it is used, so a damaged file never reaches FAISS; the check is done
 * once per file per process (an unchanged file, same inode, size, mtime and ctime, is not
 * hashed again).
 * @param[out] out  receives the index; NULL on failure.
 * @return ECAI_OK; ECAI_EIO (missing); ECAI_ECORRUPT (truncated, damaged, other
 * version); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_index_free().
 * @since 0.1
 */
ECAI_API ecai_status ecai_index_open(ecai_index **out, ecai_ctx *ctx, const char *path);

/* ------------------------------------------------------------------------- */
/* Store: catalog + embedder + index together                                 */
/* ------------------------------------------------------------------------- */

/** Catalog, embedder and index kept in step and saved to one folder (opaque). */
typedef struct ecai_store ecai_store;

/** Progress callback of ecai_store_build(): return non-zero to cancel. */
typedef int (*ecai_progress_fn)(size_t done, size_t total, void *payload);

/**
 * @brief Creates an empty store: a catalog, an embedder of the configured kind and,
 * at the first build, an index of the configured type (`index.type`).
 * @param[out] out receives the store; NULL on failure.
 * @param[in]  ctx the context; must outlive the store.
 * @return ECAI_OK; the errors of ecai_embedder_new(); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_store_free().
 * Thread-safety: searches may run concurrently; build, save and catalog changes need
 * exclusive access.
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_new(ecai_store **out, ecai_ctx *ctx);

/**
 * @brief Frees a store. Accepts NULL.
 * Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API void ecai_store_free(ecai_store *st);

/**
 * @brief The store's catalog (borrowed): load or change products through it, then call
 * ecai_store_build().
 * @return the catalog, or NULL for a NULL store.
 * Ownership: borrowed, valid until the store is freed. Thread-safety: as the catalog.
 * @since 0.1
 */
ECAI_API ecai_catalog *ecai_store_catalog(ecai_store *st);

/**
 * @brief The store's embedder (borrowed), e.g. to embed a query yourself.
 * Ownership: borrowed. Thread-safety: as the embedder.
 * @since 0.1
 */
ECAI_API ecai_embedder *ecai_store_embedder(ecai_store *st);

/**
 * @brief The store's index (borrowed), NULL before the first build.
 * Ownership: borrowed. Thread-safety: as the index.
 * @since 0.1
 */
ECAI_API ecai_index *ecai_store_index(ecai_store *st);

/**
 * @brief Brings the index in step with the catalog. The first build fits the builtin
 * embedder on the catalog; later builds embed only products whose content hash
 * changed (new or edited) and remove deleted ones. Set `refit` to fit again and
 * re-embed everything.
 * @param[out] out_embedded number of products embedded by this call (may be NULL).
 * @param[in]  st      the store.
 * @param[in]  refit   1 to refit the embedder and rebuild the index.
 * @param[in]  progress callback or NULL.
 * @param[in]  payload  passed to progress.
 * @return ECAI_OK; ECAI_ECANCELED (progress returned non-zero; the store keeps the
 * previous index); embedder and index errors.
 * Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_build(size_t *out_embedded, ecai_store *st, int refit, ecai_progress_fn progress,
                                      void *payload);

/**
 * @brief Embeds a query and returns the k best products as JSON:
 * {"hits":[{"id":"SKU","score":0.83,"title":"..."},...]}.
 * @param[out] out     receives the JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  st      a built or opened store.
 * @param[in]  query   UTF-8 query (need not be NUL-terminated).
 * @param[in]  len     its length.
 * @param[in]  k       number of hits (>= 1).
 * @return ECAI_OK; ECAI_ESTATE (never built); ECAI_EPARSE (invalid UTF-8);
 * ECAI_EINVAL; embedder and index errors.
 * Ownership: the caller frees *out. Thread-safety: concurrent searches allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_search(char **out, size_t *out_len, ecai_store *st, const char *query, size_t len,
                                       size_t k);

/**
 * @brief Saves catalog, embedder state and index into folder dir (created if needed):
 * catalog.bin, embedder.bin, index.bin and a MANIFEST written last that records each
 * file's checksum. Every file is written atomically (temp, fsync, rename).
 * @return ECAI_OK; ECAI_ESTATE (never built); ECAI_EIO; ECAI_ENOMEM.
 * Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_save(ecai_store *st, const char *dir);

/**
 * @brief Opens a folder written by ecai_store_save(); nothing is re-embedded.
 * @param[out] out receives the store; NULL on failure.
 * @param[in]  ctx the context (remote embedders take endpoint and key from it).
 * @param[in]  dir the folder.
 * @return ECAI_OK; ECAI_EIO (missing folder or file); ECAI_ECORRUPT (truncated,
 * damaged, other format version, files from different saves); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_store_free().
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_open(ecai_store **out, ecai_ctx *ctx, const char *dir);

/**
 * @brief Changes one product of the store in place, without a rebuild: its price, stock,
 * title, description, category or brand. `json` is an object of the fields to change:
 * {"price": 19.99 | null, "in_stock": true | false | null, "stock": a quantity (> 0 is in
 * stock) | true | false | null, "title": "..." (not empty), "description" / "category" /
 * "brand": "..." | null (null clears)}. Price and stock are two stores: search filters and
 * sorting see them on the next query. A text change updates the product's content hash,
 * re-embeds that one product and replaces its vector (in a memory-mapped Flat index
 * the new vector is kept beside the shared mapping), and ecai_search_query() rescores it from
 * a small in-memory delta over the keyword index (words no product had when the index was
 * built are found too; the title length and title word pairs used in ranking stay the
 * index's until it is rebuilt, ecai_search_save() writes a rebuilt one).
 * Every field is checked before anything changes: on any error nothing is applied.
 * When the store was opened from a folder (ecai_store_open()), the change is also
 * appended to DIR/updates.journal (created on first use; append-only records with
 * checksums, under an exclusive file lock, fsync'ed), and every other process that
 * opened the same store version applies it at its next query (ecai_search_query(),
 * ecai_store_search()) or when it opens the store: an admin job or one PHP-FPM worker
 * updates a price, every worker's next search sees it. A store saved or published anew
 * starts without a journal (its catalog.bin holds the changes); a damaged journal
 * record is skipped with a warning. With `store.updates: "redis"` (and redis.url) the
 * change goes to a Redis list per store version instead of the journal, so processes on
 * every server that shares the Redis see it (a store copied to many servers). A store
 * never opened from a folder changes in this process only.
 * @param[in] store the store.
 * @param[in] sku   the product's SKU (UTF-8).
 * @param[in] json  the fields, a NUL-terminated JSON object.
 * @return ECAI_OK; ECAI_ENOTFOUND (no product with that SKU); ECAI_EPARSE (malformed JSON,
 * invalid UTF-8 in the JSON or the SKU); ECAI_EINVAL (NULL, unknown field, wrong type, a
 * negative price, an empty title, a string longer than catalog.max_field_bytes, an empty
 * object); ECAI_EIO (the journal cannot be created or written, e.g. a read-only folder;
 * Redis does not answer);
 * ECAI_ECORRUPT (the folder's journal is damaged or of another store version); embedder
 * errors (a remote embedder); ECAI_ENOMEM.
 * Ownership: sku and json are copied.
 * Thread-safety: may run concurrently with ecai_search_query() and ecai_store_search() on
 * this store (it waits for running queries: a store lock they share), and with other
 * updates; other changes of the catalog (load, upsert, remove, build) need exclusive
 * access as before.
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_update_json(ecai_store *store, const char *sku, const char *json);

/**
 * @brief Seals (or unseals) the update journal of the folder the store was opened from,
 * for compaction: under the journal's lock it first applies every update other processes
 * committed to this store, then marks the journal sealed. While it is sealed,
 * ecai_store_update_json() on any handle of this store version, in any process, fails with
 * ECAI_ESTATE and changes nothing (reopen the published store and update the new version);
 * queries are unaffected. Compaction (`ecai compact`): seal, save this store (and its
 * search index) into a new folder, which then holds every update and starts without a
 * journal, publish it, and remove the old folder once no process holds it. A compaction
 * that fails calls it again with seal = 0 so updates resume. A journal is created to hold
 * the seal when the store has none yet.
 * @param[in] store the store, opened from a folder with ecai_store_open().
 * @param[in] seal  1 to seal, 0 to unseal.
 * @return ECAI_OK; ECAI_EINVAL (NULL); ECAI_ESTATE (the store was not opened from a folder);
 * ECAI_EUNSUPPORTED (store.updates "redis": each version has its own list, nothing to seal);
 * ECAI_EIO (the journal cannot be created, locked or synced: a read-only folder);
 * ECAI_ECORRUPT (the journal is damaged or of another store version); ECAI_ENOMEM.
 * Thread-safety: as ecai_store_update_json().
 * @since 0.1
 */
ECAI_API ecai_status ecai_store_seal(ecai_store *store, int seal);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_INDEX_H */
