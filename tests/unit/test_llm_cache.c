/* The LLM client with an attached exact cache (in-process and Redis): identical requests
 * are answered without a model call, the savings show in both stats, parameters are part
 * of the key, and streaming bypasses the cache (JSON mode too, by the same rule). */
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "fakellm_fixture.h"
#include "harness.h"
#include "redis_fixture.h"

static ecai_ctx *ctx_with(const char *cache_section) {
  char js[1024];
  snprintf(js, sizeof js,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"m\",\"timeout_ms\":3000,"
           "\"prices\":{\"m\":{\"input_per_mtok\":1000,\"output_per_mtok\":2000}}}%s%s}",
           ecai_test_fakellm_require(), cache_section ? "," : "", cache_section ? cache_section : "");
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, js, strlen(js))) ecai_test_fail(__FILE__, __LINE__, "ctx: %s", ecai_last_error());
  return c;
}

static long chat_calls(void) { return ecai_test_fakellm_stat("requests./v1/chat/completions"); }

static ecai_llm_reply *ask(ecai_llm *l, const char *q) {
  ecai_prompt *p = NULL;
  ecai_llm_reply *r = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, q, strlen(q)));
  ecai_status st = ecai_llm_chat(&r, l, p);
  ecai_prompt_free(p);
  CHECK_MSG(st == ECAI_OK, "chat: %s", ecai_last_error());
  return r;
}

static double json_num(const char *js, const char *k) {
  json_t *j = json_loads(js, 0, NULL);
  double v = json_number_value(json_object_get(j, k));
  json_decref(j);
  return v;
}

static int reply_cached(const ecai_llm_reply *r) {
  char *s = NULL;
  CHECK_OK(ecai_llm_reply_json(&s, NULL, r));
  json_t *j = json_loads(s, 0, NULL);
  int c = json_is_true(json_object_get(j, "cached"));
  json_decref(j);
  ecai_free(s);
  return c;
}

TEST(llm_attached_cache_answers_repeats_without_a_call) {
  ecai_test_fakellm_reset();
  ecai_ctx *c = ctx_with(NULL);
  ecai_llm *l = NULL;
  ecai_cache *cache = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_OK(ecai_cache_new(&cache, c));
  CHECK_OK(ecai_llm_attach_cache(l, cache));

  ecai_llm_reply *r1 = ask(l, "what is the return window");
  CHECK(!reply_cached(r1));
  long calls = chat_calls();
  CHECK_INT_EQ(calls, 1);
  ecai_llm_reply *r2 = ask(l, "what is the return window");
  CHECK(reply_cached(r2));
  CHECK_STR_EQ(ecai_llm_reply_text(r2, NULL), ecai_llm_reply_text(r1, NULL));
  CHECK_INT_EQ(chat_calls(), 1); /* no second model call */
  ecai_llm_reply *r3 = ask(l, "a different question");
  CHECK(!reply_cached(r3));
  CHECK_INT_EQ(chat_calls(), 2);

  /* a different temperature is a different request */
  CHECK_OK(ecai_llm_set_double(l, ECAI_LLM_OPT_TEMPERATURE, 0.7));
  ecai_llm_reply *r4 = ask(l, "what is the return window");
  CHECK(!reply_cached(r4));
  CHECK_INT_EQ(chat_calls(), 3);

  char *cs = NULL, *ls = NULL;
  CHECK_OK(ecai_cache_stats_json(&cs, NULL, cache));
  CHECK_OK(ecai_llm_stats_json(&ls, NULL, l));
  char *r1j = NULL;
  CHECK_OK(ecai_llm_reply_json(&r1j, NULL, r1));
  double cost1 = json_num(r1j, "cost");
  CHECK(cost1 > 0);
  CHECK_NEAR(json_num(cs, "cost_saved"), cost1, 1e-9);
  CHECK(json_num(cs, "tokens_saved") > 0);
  CHECK_NEAR(json_num(ls, "cost_saved"), cost1, 1e-9);
  CHECK_NEAR(json_num(ls, "cached"), 1, 0);
  ecai_free(r1j);
  ecai_free(cs);
  ecai_free(ls);

  /* detached: calls go to the model again */
  CHECK_OK(ecai_llm_attach_cache(l, NULL));
  CHECK_OK(ecai_llm_set_double(l, ECAI_LLM_OPT_TEMPERATURE, 0.0));
  ecai_llm_reply *r5 = ask(l, "what is the return window");
  CHECK(!reply_cached(r5));
  CHECK_INT_EQ(chat_calls(), 4);

  ecai_llm_reply_free(r1);
  ecai_llm_reply_free(r2);
  ecai_llm_reply_free(r3);
  ecai_llm_reply_free(r4);
  ecai_llm_reply_free(r5);
  ecai_cache_free(cache);
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

static int count_chunks(const char *t, size_t n, void *payload) {
  (void)t; (void)n;
  (*(int *)payload)++;
  return 0;
}

TEST(llm_attached_cache_is_bypassed_by_streaming) {
  ecai_test_fakellm_reset();
  ecai_ctx *c = ctx_with(NULL);
  ecai_llm *l = NULL;
  ecai_cache *cache = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_OK(ecai_cache_new(&cache, c));
  CHECK_OK(ecai_llm_attach_cache(l, cache));
  ecai_llm_reply_free(ask(l, "stream me"));
  ecai_prompt *p = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, "stream me", 9));
  ecai_llm_reply *r = NULL;
  int chunks = 0;
  CHECK_OK(ecai_llm_chat_stream(&r, l, p, count_chunks, &chunks));
  CHECK(chunks > 0);
  CHECK(!reply_cached(r));
  CHECK_INT_EQ(chat_calls(), 2);
  ecai_llm_reply_free(r);
  ecai_prompt_free(p);
  ecai_cache_free(cache);
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

TEST(llm_two_clients_share_one_redis_cache) {
  /* Two "web servers" (two clients, two cache handles) on one Redis: the second is
   * answered from the first one's reply. */
  const char *url = ecai_test_redis_url();
  CHECK_MSG(url != NULL, "redis fixture not running");
  ecai_test_fakellm_reset();
  char section[512];
  snprintf(section, sizeof section,
           "\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"%s\",\"timeout_ms\":500,\"prefix\":\"llmtest%d:\"}",
           url, (int)getpid());
  ecai_ctx *c = ctx_with(section);
  ecai_llm *a = NULL, *b = NULL;
  ecai_cache *ca = NULL, *cb = NULL;
  CHECK_OK(ecai_llm_new(&a, c));
  CHECK_OK(ecai_llm_new(&b, c));
  CHECK_OK(ecai_cache_new(&ca, c));
  CHECK_OK(ecai_cache_new(&cb, c));
  CHECK_OK(ecai_llm_attach_cache(a, ca));
  CHECK_OK(ecai_llm_attach_cache(b, cb));
  ecai_llm_reply *ra = ask(a, "do you ship to Norway");
  ecai_llm_reply *rb = ask(b, "do you ship to Norway");
  CHECK(!reply_cached(ra));
  CHECK(reply_cached(rb));
  CHECK_STR_EQ(ecai_llm_reply_text(rb, NULL), ecai_llm_reply_text(ra, NULL));
  CHECK_INT_EQ(chat_calls(), 1);
  ecai_llm_reply_free(ra);
  ecai_llm_reply_free(rb);
  ecai_cache_free(ca);
  ecai_cache_free(cb);
  ecai_llm_free(a);
  ecai_llm_free(b);
  ecai_ctx_free(c);
}
