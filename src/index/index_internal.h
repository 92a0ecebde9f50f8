/* Internal: the index structure (for the store and benchmarks). */
#ifndef ECAI_INDEX_INTERNAL_H
#define ECAI_INDEX_INTERNAL_H

#include <pthread.h>

#include <faiss/c_api/Index_c.h>

#include "ecai/index.h"
#include "catalog/ser.h"
#include "core/internal.h"

typedef struct ecai__imap {
  int64_t *key, *val;
  size_t cap, used, live;
} ecai__imap;

struct ecai_index {
  ecai_ctx *ctx;
  size_t dim;
  char *factory;
  FaissIndex *fi;     /* the FAISS index; NULL while the vectors are used in place: */
  const float *vec;   /* Flat vectors in the mapped file (npos * dim, row = position) */
  ecai__map file;     /* the read-only mapping of the index file vec points into */
  size_t nmap;        /* rows in the mapping (positions 0..nmap-1); while mapped, positions */
  float *xvec;        /* nmap.. are rows added since, kept here ((npos - nmap) * dim floats) */
  size_t xcap;        /* rows xvec has room for */
  int64_t *pos_id; /* FAISS position -> id, -1 when deleted */
  size_t npos, cap_pos, ndeleted;
  ecai__imap map;  /* id -> position */
  char *emb_id;
  int ef_search, nprobe;
  pthread_rwlock_t lock;
};

const char *ecai__index_factory(const ecai_index *x);
size_t ecai__index_positions(const ecai_index *x);
const char *ecai__index_embedder_id(const ecai_index *x);
/* Reads the payload of an index file of the FAISS layout (ECAIIDX). */
ecai_status ecai__index_read(ecai_index **out, ecai_ctx *ctx, const char *data, size_t len);
/* Reads the payload of an index file of the mapped Flat layout (ECAIIDF) held in memory
 * (data is the payload: file offset 32); the vectors are copied into a FAISS index. */
ecai_status ecai__index_read_flat(ecai_index **out, ecai_ctx *ctx, const char *data, size_t len);
/* Opens an index file of either layout (index.mmap decides whether a Flat file is mapped
 * or read); *sum (may be NULL) receives the container checksum. */
ecai_status ecai__index_open_file(ecai_index **out, ecai_ctx *ctx, const char *path, uint64_t *sum);
/* Saves as ecai_index_save and returns the container checksum. */
ecai_status ecai__index_save(ecai_index *x, const char *path, uint64_t *sum);
/* 1 when the index's vectors are used in place from a mapped file. */
int ecai__index_is_mapped(const ecai_index *x);
/* Exact top-k by inner product of nq queries over n rows of d floats (flat.c): D/L hold
 * k scores / row numbers per query, best first (ties: lower row first), -inf / -1 after
 * the last row. The contract of faiss_Index_search on an IndexFlatIP. Returns 0, or -1 when
 * out of memory. */
int ecai__flat_search(const float *vecs, size_t n, size_t d, const float *qs, size_t nq, size_t k, float *D,
                      int64_t *L);
/* The catalog.bin checksum (16 hex digits) of the folder the store was opened from or last
 * saved to; "" for a store never saved. Files saved beside the store (search.bin) carry it,
 * so a file of another version (a store published in between) is refused. */
const char *ecai__store_catalog_sum(const ecai_store *s);
/* DIR, or the folder the store was read from when DIR is the very path it was opened as
 * (a published symlink may point elsewhere by now). */
const char *ecai__store_folder(const ecai_store *s, const char *dir);

/* Live updates (update.c). A query calls read_begin before it reads the catalog or the
 * index and read_end after: read_begin takes the store's lock shared and returns when no
 * journal record is pending and current(arg) (called under that lock; NULL: always true)
 * says the caller's state is up to date; otherwise it applies the records other processes
 * committed and calls refresh(arg) under the exclusive lock (a search engine brings its
 * keyword delta up to date there), then takes the lock shared. An error from refresh is
 * returned with no lock held. */
ecai_status ecai__store_read_begin(ecai_store *s, int (*current)(void *arg), ecai_status (*refresh)(void *arg),
                                   void *arg);
void ecai__store_read_end(ecai_store *s);
/* The text generation (atomic), and the ids whose text changed with the generation of
 * their last change (valid under the lock). */
uint64_t ecai__store_text_gen(const ecai_store *s);
size_t ecai__store_changed(const ecai_store *s, const uint32_t **ids, const uint64_t **gens);

#endif
