/* Internal: the store structure, shared by store.c (build, save, open) and update.c
 * (ecai_store_update_json, the journal replay and the query-side lock). */
#ifndef ECAI_STORE_INTERNAL_H
#define ECAI_STORE_INTERNAL_H

#include <pthread.h>

#include "ecai/index.h"
#include "index/journal.h"
#include "index/rlog.h"

struct ecai_store {
  ecai_ctx *ctx;
  ecai_catalog *cat;
  ecai_embedder *emb;
  ecai_index *idx;
  uint64_t *done; /* per catalog id: content hash embedded in the index, 0 = none */
  size_t ndone;
  char catalog_sum[17]; /* catalog.bin checksum of the folder opened / saved; "" = none */
  char *opened_as;      /* the path given to ecai_store_open (maybe a published symlink) */
  char *folder;         /* the folder it resolved to and was read from */
  /* live updates (update.c) */
  pthread_rwlock_t lock; /* queries hold it shared, updates and the journal replay exclusively */
  int has_lock;
  ecai__journal jn;      /* path NULL: no journal (a store not opened from a folder, or store.updates "redis") */
  ecai__rlog rl;         /* store.updates "redis": r != NULL */
  uint32_t *changed;     /* ids whose text changed since open/build, in order of first change */
  uint64_t *changed_gen; /* text generation of each one's last change */
  size_t nchanged, capchanged;
  uint32_t *chpos;       /* per id: position in changed + 1, 0 = unchanged (allocated on demand) */
  size_t nchpos;
  uint64_t text_gen;     /* incremented by every text change (atomic loads outside the lock) */
};

/* update.c: the lock and the journal of a store (open_folder calls attach). */
ecai_status ecai__store_live_init(ecai_store *s);
ecai_status ecai__store_live_attach(ecai_store *s, const char *folder);
void ecai__store_live_free(ecai_store *s);
/* After a save into the folder the store was opened from: forget the text changes (now in
 * the files) and start a journal bound to the new catalog checksum. */
ecai_status ecai__store_live_saved(ecai_store *s, const char *dir);

#endif
