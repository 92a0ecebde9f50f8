/* Fuzz target: the recommender's model file (ecai_recommend_load). */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  const char *path = fuzz_tmpfile("model", data, size);
  ecai_recommend *r = NULL;
  if (ecai_recommend_load(&r, ctx, path) == ECAI_OK) {
    char *out = NULL;
    size_t n = 0;
    const char *req = "{\"cart\":[\"MUG1\"],\"k\":5}";
    if (ecai_recommend_query(&out, &n, r, req, strlen(req)) == ECAI_OK) ecai_free(out);
    if (ecai_recommend_stats(&out, &n, r) == ECAI_OK) ecai_free(out);
    ecai_recommend_free(r);
  } else if (r) {
    abort();
  }
  unlink(path);
  return 0;
}
