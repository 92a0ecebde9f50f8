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

/* A NUL-terminated copy of data (the library's C-string entry points). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  if (size) memcpy(s, data, size);
  s[size] = 0;
  return s;
}

#endif
