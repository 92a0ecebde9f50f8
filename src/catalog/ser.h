/*
 * Internal: hashing (xxHash, private to libecai) and the on-disk container shared by the
 * catalog, embedder and index files.
 *
 * Container layout (little-endian):
 *   0  magic[8]       e.g. "ECAICAT\0"
 *   8  u32 version    format version of the payload (ECAI__FORMAT_VERSION)
 *  12  u32 reserved   0
 *  16  u64 length     payload bytes
 *  24  u64 checksum   XXH3-64 of bytes 0..23 followed by the payload
 *  32  payload
 * Writes are atomic: "<path>.tmp.XXXXXX", fsync, rename, fsync of the directory.
 * Any mismatch on read is ECAI_ECORRUPT, never a crash.
 *
 * Checksums are verified once per file per process: a file whose checksum matched is
 * remembered by (device, inode, size, mtime, ctime, checksum) and not hashed again while
 * those stay the same. Every write changes a file's ctime, and a file is remembered only
 * once its ctime and mtime are ecai__verify_settle_s (3) seconds old, so a change made in
 * the same timestamp tick as the check cannot hide behind it. Replaced files (rename, as
 * every save and publish does) have another inode and are always hashed.
 */
#ifndef ECAI_SER_H
#define ECAI_SER_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"

#define ECAI__FORMAT_VERSION 1u

/* *sum (may be NULL) receives the container checksum (for a manifest). */
ecai_status ecai__blob_write(const char *path, const char magic[8], const void *data, size_t len,
                             uint64_t *sum);
/* As ecai__blob_write with the payload in two parts: head (head_len bytes, of which the
 * first 32 are overwritten with the container header) followed by body. */
ecai_status ecai__blob_write2(const char *path, const char magic[8], char *head, size_t head_len, const void *body,
                              size_t body_len, uint64_t *sum);
/* Reads and verifies; *data is ecai__malloc'ed (caller frees). */
ecai_status ecai__blob_read(const char *path, const char magic[8], char **data, size_t *len,
                            uint64_t *sum);
/* The first 8 bytes (the magic) of the file at path: ECAI_EIO when it cannot be read,
 * ECAI_ECORRUPT when shorter. */
ecai_status ecai__blob_peek(const char *path, char magic[8]);

/* A container file mapped read-only and shared (PROT_READ, MAP_SHARED): base points at the
 * header, the payload starts at base + 32. Processes mapping one file share its pages. */
typedef struct ecai__map {
  const char *base;
  size_t len;
} ecai__map;
/* Maps and verifies as ecai__blob_read does (header, length, checksum once per file per
 * process); no copy. The file must be replaced by rename, never rewritten in place, while
 * it is mapped (a truncated mapping faults on access). ECAI_EIO (missing, cannot map);
 * ECAI_ECORRUPT. */
ecai_status ecai__blob_map(const char *path, const char magic[8], ecai__map *m, uint64_t *sum);
void ecai__blob_unmap(ecai__map *m); /* accepts an empty map */

/* Test and fuzz hook: makes the length and checksum of the container in data[0..len) right
 * for its bytes (magic and version left as they are), as a saver would, so that only the
 * checks behind the checksum stand between a damaged payload and its reader. */
void ecai__blob_reseal(void *data, size_t len);

/* Test hooks: seconds a file's ctime must be old before its check is remembered, and the
 * number of checksums computed so far in this process. */
extern int ecai__verify_settle_s;
extern unsigned long ecai__verify_hashes;

/* Serialisation helpers over ecai__buf (writer) and a bounds-checked reader. */
void ecai__put_u32(ecai__buf *b, uint32_t v);
void ecai__put_u64(ecai__buf *b, uint64_t v);
void ecai__put_f64(ecai__buf *b, double v);
void ecai__put_str(ecai__buf *b, const char *s); /* NULL allowed */

typedef struct ecai__rd {
  const char *p;
  size_t len, pos;
  int bad; /* sticky: read past the end or malformed */
} ecai__rd;
uint32_t ecai__get_u32(ecai__rd *r);
uint64_t ecai__get_u64(ecai__rd *r);
double ecai__get_f64(ecai__rd *r);
/* Returns an ecai__malloc'ed copy or NULL (for a NULL string, or on error: check r->bad). */
char *ecai__get_str(ecai__rd *r);
const void *ecai__get_bytes(ecai__rd *r, size_t n);


#endif
