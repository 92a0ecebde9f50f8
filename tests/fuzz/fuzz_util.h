/* Shared helpers for the fuzz targets (header only; not a target itself). */
#ifndef ECAI_FUZZ_UTIL_H
#define ECAI_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes data to a per-process temporary file named after tag; returns its path
 * (static buffer). Aborts when the file cannot be written: that is the harness, not
 * the library under test. */
static inline const char *fuzz_tmpfile(const char *tag, const uint8_t *data, size_t size) {
  static char path[256];
  const char *dir = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/ecai_fuzz_%ld_%s", dir && *dir ? dir : "/tmp", (long)getpid(), tag);
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
  return path;
}

/* A copy of a container file (catalog/ser.h: 32-byte header, magic first) with its length
 * and XXH3 checksum made right (ecai__blob_reseal), so the structure checks behind the
 * checksum are fuzzed too; NULL when data is not a container with that magic. The caller
 * frees it. Include "catalog/ser.h" before this header to use it. */
#ifdef ECAI_SER_H
static inline uint8_t *fuzz_resealed(const uint8_t *data, size_t size, const char magic[8]) {
  if (size < 32 || memcmp(data, magic, 8)) return NULL;
  uint8_t *d = malloc(size);
  if (!d) abort();
  memcpy(d, data, size);
  ecai__blob_reseal(d, size);
  return d;
}
#endif

/* A NUL-terminated copy of data (the library's C-string entry points). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  if (size) memcpy(s, data, size);
  s[size] = 0;
  return s;
}

#endif
