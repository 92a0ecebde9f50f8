/*
 * Internal: the update journal of a store folder (DIR/updates.journal), through which
 * ecai_store_update_json() changes made by one process reach every process that opened
 * the same store version. Append-only, little-endian:
 *
 *   header (64 bytes)
 *     0  magic "ECAIJNL\0"
 *     8  u32 version (1)          12 u32 header size (64)
 *    16  u64 bind: the catalog.bin checksum of the store version it belongs to
 *    24  u64 XXH3-64 of bytes 0..23
 *    32  u64 generation: records committed    (changed in place, atomically)
 *    40  u64 end: file offset after the last committed record (ditto)
 *    48  u64 sealed: 1 while no record may be appended (ecai_store_seal; changed in place)
 *    56  8 bytes reserved (0)
 *   records from offset 64, each 8-byte aligned:
 *     0  u32 magic 0x4345524a ("JREC")   4 u32 json_len   8 u32 dim (0: no vector)
 *    12  u32 0                            16 u64 sequence number (1, 2, ...)
 *    24  u64 XXH3-64 of bytes 0..23, the JSON and the dim float32 values
 *    32  json_len bytes of JSON {"sku":..,"set":{..}}, dim float32, zero padding to 8
 *
 * Writers hold an exclusive flock() on the file, append after `end` (bytes past `end`
 * left by a writer that died are overwritten), fdatasync, then store `end` and
 * `generation` in the shared mapping of the header and fdatasync again: `end` is the
 * commit point. Readers map the header read-only and compare `end` with what they have
 * applied (one atomic load per query); records are immutable once committed. A record
 * that fails its checks is skipped with a warning together with everything up to `end`.
 * The file is created complete (header written to a temporary file, then link()ed into
 * place), so it never exists without a header. A newly saved or published folder has
 * no journal; ecai_store_save() removes the one of a folder it writes over.
 */
#ifndef ECAI_JOURNAL_H
#define ECAI_JOURNAL_H

#include <stdint.h>

#include "core/internal.h"

#define ECAI__JOURNAL_NAME "updates.journal"
#define ECAI__JOURNAL_MAX_JSON (64u << 20)

typedef struct ecai__journal {
  ecai_ctx *ctx;
  char *path;
  uint64_t bind;       /* catalog checksum the journal must carry */
  int fd;              /* -1 while the file does not exist (or is unusable) */
  int writable;        /* fd is O_RDWR and hdr is mapped writable */
  int bad;             /* header damaged or of another store version: ignored */
  unsigned char *hdr;  /* mapping of the 64-byte header */
  uint64_t applied;    /* offset up to which records were applied */
  uint64_t records;    /* records applied */
} ecai__journal;

/* Called for each committed record in order; returns non-zero to report a record that
 * cannot be applied (logged, skipped). vec is NULL when dim is 0. */
typedef int (*ecai__journal_apply_fn)(void *arg, const char *json, size_t json_len, const float *vec, uint32_t dim);

/* Prepares the journal of folder DIR bound to catalog checksum BIND (16 hex digits).
 * Never fails for a missing or damaged file (it is looked for again / ignored with a
 * warning); ECAI_ENOMEM only. */
ecai_status ecai__journal_init(ecai__journal *j, ecai_ctx *ctx, const char *dir, const char *bind);
void ecai__journal_close(ecai__journal *j);
/* 1 when records (or the file itself) may have appeared since the last apply. */
int ecai__journal_pending(ecai__journal *j);
/* Applies committed records past j->applied. Damaged records are logged and skipped. */
void ecai__journal_apply(ecai__journal *j, ecai__journal_apply_fn fn, void *arg);
/* Appends one record under the file lock: first applies the records other processes
 * committed (fn), then writes, syncs and commits. ECAI_EIO (cannot create, lock or
 * write: the folder is read-only, the disk is full), ECAI_ECORRUPT (the journal is
 * damaged or belongs to another store version), ECAI_ENOMEM. Nothing is committed on
 * failure. */
ecai_status ecai__journal_append(ecai__journal *j, const char *json, size_t json_len, const float *vec, uint32_t dim,
                                 ecai__journal_apply_fn fn, void *arg);

/* Under the file lock (creating the file when missing): applies what others committed (fn),
 * then sets (on) or clears the sealed flag; while it is set, appends fail with
 * ECAI_ESTATE. Errors as ecai__journal_append(). */
ecai_status ecai__journal_seal(ecai__journal *j, int on, ecai__journal_apply_fn fn, void *arg);

#endif
