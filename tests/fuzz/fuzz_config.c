/* Fuzz target: the context's JSON configuration parser and validator. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ecai_ctx *ctx = NULL;
  if (ecai_ctx_new(&ctx, (const char *)data, size) == ECAI_OK) {
    char *js = NULL;
    if (ecai_ctx_config_json(&js, NULL, ctx) == ECAI_OK) ecai_free(js);
    const char *s;
    double d;
    (void)ecai_ctx_get_str(&s, ctx, "llm.model");
    (void)ecai_ctx_get_number(&d, ctx, "llm.timeout_ms");
    ecai_ctx_free(ctx);
  } else if (ctx != NULL) {
    abort(); /* *out must be NULL on failure */
  }
  return 0;
}
