/* Fuzz target: the semantic cache's snapshot file (ecai_semcache_load), for a text
 * cache (dim 0 -> 512) and a 4-dimensional one. A load either succeeds or fails with a
 * status, never crashes; a loaded cache answers lookups and saves again. Each input is
 * tried as given and once more with its trailing checksum recomputed, so that mutations
 * reach the entry parser instead of stopping at the checksum. */
#include <stdint.h>
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <ecai.h>

#include "fuzz_util.h"

static void one(ecai_ctx *ctx, const uint8_t *data, size_t size) {
  const char *path = fuzz_tmpfile("semcache", data, size);
  static const size_t dims[2] = {0, 4};
  for (int d = 0; d < 2; d++) {
    ecai_semcache *sc = NULL;
    if (ecai_semcache_new(&sc, ctx, dims[d]) != ECAI_OK) abort();
    size_t n = 0;
    ecai_status st = ecai_semcache_load(&n, sc, path);
    if (st == ECAI_OK) {
      char *js = NULL;
      if (ecai_semcache_stats_json(&js, NULL, sc) != ECAI_OK) abort();
      ecai_free(js);
      void *v = NULL;
      float s;
      static const float q[4] = {1, 0, 0, 0};
      st = dims[d] ? ecai_semcache_lookup(&v, NULL, &s, sc, "p", q, 4, "q", 1)
                   : ecai_semcache_lookup_text(&v, NULL, &s, sc, "orders:en", "where is my order", 17);
      if (st != ECAI_OK && st != ECAI_ENOTFOUND) abort();
      ecai_free(v);
      char out[300];
      snprintf(out, sizeof out, "%s.out", path);
      if (ecai_semcache_save(sc, out) != ECAI_OK) abort();
      unlink(out);
    } else if (n != 0) {
      abort(); /* a failed load loads nothing */
    }
    ecai_semcache_free(sc);
  }
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  one(ctx, data, size);
  if (size >= 16) {
    uint8_t *copy = malloc(size);
    if (!copy) abort();
    memcpy(copy, data, size);
    uint64_t sum = XXH3_64bits(copy, size - 8);
    memcpy(copy + size - 8, &sum, 8);
    one(ctx, copy, size);
    free(copy);
  }
  return 0;
}
