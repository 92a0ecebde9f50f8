/* API keys from the environment: an api_key_env naming an unset or empty variable is an error
 * (never an unauthenticated request), unless the section says its endpoint takes no key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakellm_fixture.h"
#include "harness.h"

static ecai_status ctx_from(ecai_ctx **c, const char *fmt, const char *url) {
  char cfg[1024];
  snprintf(cfg, sizeof cfg, fmt, url ? url : "http://127.0.0.1:9");
  return ecai_ctx_new(c, cfg, strlen(cfg));
}

TEST(auth_unset_or_empty_key_variable_is_an_error_naming_it) {
  ecai_ctx *c = NULL;
  unsetenv("ECAI_TEST_NO_SUCH_KEY");
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"api_key_env\":\"ECAI_TEST_NO_SUCH_KEY\"}}", NULL),
               ECAI_EINVAL);
  CHECK(c == NULL);
  CHECK_CONTAINS(ecai_last_error(), "'llm.api_key_env'");
  CHECK_CONTAINS(ecai_last_error(), "ECAI_TEST_NO_SUCH_KEY");
  setenv("ECAI_TEST_EMPTY_KEY", "", 1);
  CHECK_STATUS(ctx_from(&c, "{\"embedder\":{\"kind\":\"openai\",\"api_key_env\":\"ECAI_TEST_EMPTY_KEY\"}}", NULL),
               ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "'embedder.api_key_env'");
  unsetenv("ECAI_TEST_EMPTY_KEY");
  /* keyless endpoints say so */
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"api_key_env\":\"ECAI_TEST_NO_SUCH_KEY\",\"auth\":\"none\"}}", NULL));
  ecai_ctx_free(c);
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"anthropic\",\"api_key_env\":\"ECAI_TEST_NO_SUCH_KEY\",\"api_key\":\"none\"}}", NULL));
  ecai_ctx_free(c);
  /* a section that is not in use needs no key (the demo names one for later) */
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"none\",\"api_key_env\":\"ECAI_TEST_NO_SUCH_KEY\"},"
                        "\"embedder\":{\"api_key_env\":\"ECAI_TEST_NO_SUCH_KEY\"}}", NULL));
  ecai_ctx_free(c);
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{\"auth\":\"maybe\"}}", NULL), ECAI_EINVAL);
}

/* The value never shows in the error, and a set variable is sent as the bearer key. */
TEST(auth_key_from_the_environment_is_sent_and_never_shown) {
  const char *url = ecai_test_fakellm_require();
  setenv("ECAI_TEST_KEY", "sk-test-secret-123", 1);
  ecai_ctx *c = NULL;
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"echo\","
                        "\"api_key_env\":\"ECAI_TEST_KEY\",\"max_retries\":0}}", url));
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  ecai_prompt *p = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, "hi", 2));
  ecai_llm_reply *r = NULL;
  CHECK_OK(ecai_llm_chat(&r, l, p));
  ecai_llm_reply_free(r);
  char *last = ecai_test_fakellm_http("/last", 0);
  CHECK_CONTAINS(last, "\"authorization\": \"set\"");
  free(last);
  ecai_llm_free(l);
  ecai_ctx_free(c);
  /* auth "none": the same request carries no key at all */
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"echo\","
                        "\"api_key_env\":\"ECAI_TEST_KEY\",\"auth\":\"none\",\"max_retries\":0}}", url));
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_OK(ecai_llm_chat(&r, l, p));
  ecai_llm_reply_free(r);
  last = ecai_test_fakellm_http("/last", 0);
  CHECK(last && !strstr(last, "authorization"));
  free(last);
  ecai_llm_free(l);
  ecai_ctx_free(c);
  unsetenv("ECAI_TEST_KEY");
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"api_key_env\":\"ECAI_TEST_KEY\"}}", NULL), ECAI_EINVAL);
  CHECK(!strstr(ecai_last_error(), "sk-test-secret-123"));
  ecai_prompt_free(p);
}
