/* Fuzz target: the recommender's model file (ecai_recommend_load): versions 1-2 as given,
   and the mapped layout (version 3, container "ECAIRCM\0") both as given and with its
   container length and checksum made right, so the structure checks are fuzzed too. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>
#include "catalog/ser.h"

#include "fuzz_util.h"

static void load(ecai_ctx *ctx, const uint8_t *data, size_t size) {
  const char *path = fuzz_tmpfile("model", data, size);
  ecai_recommend *r = NULL;
  if (ecai_recommend_load(&r, ctx, path) == ECAI_OK) {
    char *out = NULL;
    size_t n = 0;
    static const char *reqs[] = {"{\"cart\":[\"MUG1\"],\"k\":5}", "{\"customer\":\"cust1\",\"k\":5}",
                                 "{\"k\":5,\"strategy\":\"trending\"}", "{\"cart\":[\"MUG1\"],\"k\":3,\"strategy\":\"bundle\"}"};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++)
      if (ecai_recommend_query(&out, &n, r, reqs[i], strlen(reqs[i])) == ECAI_OK) ecai_free(out);
    if (ecai_recommend_stats(&out, &n, r) == ECAI_OK) ecai_free(out);
    ecai_recommend_free(r);
  } else if (r) {
    abort();
  }
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  load(ctx, data, size);
  uint8_t *d = fuzz_resealed(data, size, "ECAIRCM\0");
  if (d) load(ctx, d, size);
  free(d);
  return 0;
}
