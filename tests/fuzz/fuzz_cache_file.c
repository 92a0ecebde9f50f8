/* Fuzz target: the exact cache's snapshot file (ecai_cache_load). A load either
 * succeeds or fails with a status, never crashes; a loaded cache saves again. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  const char *path = fuzz_tmpfile("cache", data, size);
  ecai_cache *c = NULL;
  if (ecai_cache_new(&c, ctx) != ECAI_OK) abort();
  size_t n = 0;
  if (ecai_cache_load(&n, c, path) == ECAI_OK) {
    char *js = NULL;
    if (ecai_cache_stats_json(&js, NULL, c) != ECAI_OK) abort();
    ecai_free(js);
  }
  ecai_cache_free(c);
  unlink(path);
  return 0;
}
