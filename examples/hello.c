/* The smallest libecai program: used by the install test (pkg-config, out of tree). */
#include <stdio.h>
#include <string.h>

#include <ecai.h>

int main(void) {
  const char *cfg = "{\"llm\":{\"provider\":\"none\"}}";
  ecai_ctx *ctx = NULL;
  if (ecai_ctx_new(&ctx, cfg, strlen(cfg)) != ECAI_OK) {
    fprintf(stderr, "hello: %s\n", ecai_last_error());
    return 1;
  }
  printf("hello from libecai %s\n", ecai_version_string());
  ecai_ctx_free(ctx);
  return ecai_version_number() == ECAI_VERSION_NUMBER ? 0 : 1;
}
