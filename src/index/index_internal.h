/* Internal: the index structure (for the store and benchmarks). */
#ifndef ECAI_INDEX_INTERNAL_H
#define ECAI_INDEX_INTERNAL_H

#include <pthread.h>

#include <faiss/c_api/Index_c.h>

#include "ecai/index.h"
#include "core/internal.h"

typedef struct ecai__imap {
  int64_t *key, *val;
  size_t cap, used, live;
} ecai__imap;

struct ecai_index {
  ecai_ctx *ctx;
  size_t dim;
  char *factory;
  FaissIndex *fi;
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
ecai_status ecai__index_read(ecai_index **out, ecai_ctx *ctx, const char *data, size_t len);
/* The catalog.bin checksum (16 hex digits) of the folder the store was opened from or last
 * saved to; "" for a store never saved. Files saved beside the store (search.bin) carry it,
 * so a file of another version (a store published in between) is refused. */
const char *ecai__store_catalog_sum(const ecai_store *s);
/* DIR, or the folder the store was read from when DIR is the very path it was opened as
 * (a published symlink may point elsewhere by now). */
const char *ecai__store_folder(const ecai_store *s, const char *dir);

#endif
