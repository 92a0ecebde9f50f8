/*
 * The libecai demo (`make demo`): runs fully offline on the embedded defaults.
 * It grows with every capability; today it shows the library version and a context
 * built from configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecai.h>

static int fail(const char *what, ecai_status st) {
  fprintf(stderr, "demo: %s: %s (%s)\n", what, ecai_last_error(), ecai_status_str(st));
  return 1;
}

int main(void) {
  printf("== libecai %s (header %s)\n", ecai_version_string(), ECAI_VERSION_STRING);
  if (ecai_global_init() != ECAI_OK) return fail("global init", ECAI_ERROR);

  /* A shop's configuration: the LLM is off, so every feature uses its offline path.
   * The key would come from the environment, never from the file. */
  const char *config =
      "{ \"log_level\": \"info\",\n"
      "  \"llm\": { \"provider\": \"none\", \"api_key_env\": \"SHOP_LLM_KEY\" },\n"
      "  \"embedder\": { \"kind\": \"builtin\" },\n"
      "  \"cache\": { \"max_bytes\": 33554432 } }";
  ecai_ctx *ctx = NULL;
  ecai_status st = ecai_ctx_new(&ctx, config, strlen(config));
  if (st) return fail("context", st);
  char *eff = NULL;
  if ((st = ecai_ctx_config_json(&eff, NULL, ctx))) return fail("config", st);
  const char *provider = NULL, *kind = NULL;
  ecai_ctx_get_str(&provider, ctx, "llm.provider");
  ecai_ctx_get_str(&kind, ctx, "embedder.kind");
  printf("== context: llm=%s embedder=%s\n", provider, kind);
  printf("== effective configuration (secrets redacted):\n%s\n", eff);
  ecai_free(eff);

  /* A typo in a key is caught with a suggestion instead of being ignored. */
  ecai_ctx *bad = NULL;
  const char *typo = "{\"llm\": {\"modle\": \"gpt-x\"}}";
  st = ecai_ctx_new(&bad, typo, strlen(typo));
  printf("== a config with a typo: %s -> %s\n", ecai_status_str(st), ecai_last_error());

  ecai_ctx_free(ctx);
  ecai_global_cleanup();
  return 0;
}
