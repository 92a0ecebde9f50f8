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
/* Reads and verifies; *data is ecai__malloc'ed (caller frees). */
ecai_status ecai__blob_read(const char *path, const char magic[8], char **data, size_t *len,
                            uint64_t *sum);

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
