/* Fuzz target: the recommender's orders CSV (plain or gzip), then fit and a few queries. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  if (size > 16384) return 0; /* fit is O(items^2): keep executions fast */
  const char *path = fuzz_tmpfile("orders", data, size);
  ecai_recommend *r = NULL;
  if (ecai_recommend_new(&r, ctx) != ECAI_OK) abort();
  if (ecai_recommend_load_orders(r, path, 0) == ECAI_OK && ecai_recommend_fit(r) == ECAI_OK) {
    char *out = NULL;
    size_t n = 0;
    /* a cart, a customer's own orders, bundles and the trend over whatever the orders hold */
    static const char *reqs[] = {"{\"cart\":[\"MUG1\"],\"k\":5}", "{\"cart\":[\"MUG1\"],\"customer\":\"cust1\"}",
                                 "{\"cart\":[\"MUG1\"],\"strategy\":\"bundle\"}", "{\"strategy\":\"trending\"}",
                                 "{\"strategy\":\"trending\",\"now\":1700000000}"};
    for (size_t q = 0; q < sizeof reqs / sizeof reqs[0]; q++)
      if (ecai_recommend_query(&out, &n, r, reqs[q], strlen(reqs[q])) == ECAI_OK) ecai_free(out);
  }
  ecai_recommend_free(r);
  unlink(path);
  return 0;
}
