/* Fuzz target: the pricing history CSV (generic layout and the Online Retail layout),
 * then one batch run over what loaded. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  if (size > 32768) return 0;
  const char *path = fuzz_tmpfile("history", data, size);
  ecai_pricing *p = NULL;
  if (ecai_pricing_new(&p, ctx) != ECAI_OK) abort();
  if (ecai_pricing_load_file(p, path) == ECAI_OK) {
    char *out = NULL;
    size_t n = 0;
    if (ecai_pricing_run(&out, &n, p, NULL, NULL) == ECAI_OK) ecai_free(out);
  } else if (ecai_pricing_count(p) != 0) {
    abort(); /* all-or-nothing */
  }
  ecai_pricing_free(p);
  unlink(path);
  return 0;
}
