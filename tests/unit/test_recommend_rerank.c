/* LLM rerank of recommendations against the fake LLM: the model orders candidates, ids
 * outside the candidates are dropped and counted, failures fall back to the plain order. */
#include <stdlib.h>

#include <jansson.h>

#include "fakellm_fixture.h"
#include "harness.h"

static ecai_recommend *mug_model(void) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  static const char *orders[][3] = {{"mug", "coffee", "spoon"}, {"mug", "coffee", NULL}, {"mug", "spoon", NULL},
                                    {"mug", "coffee", "filter"}, {"sofa", "cushion", NULL}};
  char oid[16];
  for (int i = 0; i < 5; i++) {
    snprintf(oid, sizeof oid, "o%d", i);
    CHECK_OK(ecai_recommend_add_order(r, oid, "c1", 1700000000 + i * 3600, orders[i], NULL, NULL,
                                      orders[i][2] ? 3 : 2));
  }
  CHECK_OK(ecai_recommend_set_item(r, "mug", "White ceramic mug", 8.0));
  CHECK_OK(ecai_recommend_fit(r));
  return r;
}

static ecai_llm *llm_with(ecai_ctx **ctx, const char *fault, const char *answer) {
  json_t *headers = json_object();
  if (fault) json_object_set_new(headers, "X-Fake-Fault", json_string(fault));
  if (answer) json_object_set_new(headers, "X-Fake-Answer", json_string(answer));
  json_t *cfg = json_pack("{s:{s:s,s:s,s:s,s:i,s:i,s:i,s:o}}", "llm", "provider", "openai", "base_url",
                          ecai_test_fakellm_require(), "model", "m", "timeout_ms", 2000, "max_retries", 0,
                          "backoff_ms", 5, "headers", headers);
  char *js = json_dumps(cfg, JSON_COMPACT);
  json_decref(cfg);
  ecai_llm *l = NULL;
  CHECK_OK(ecai_ctx_new(ctx, js, strlen(js)));
  free(js);
  CHECK_OK(ecai_llm_new(&l, *ctx));
  return l;
}

static json_t *run(ecai_recommend *r, ecai_llm *l) {
  const char *req = "{\"cart\":[{\"id\":\"mug\",\"qty\":1}],\"k\":3}";
  char *out = NULL;
  CHECK_OK(ecai_recommend_rerank(&out, NULL, r, l, req, strlen(req)));
  json_t *j = json_loads(out, 0, NULL);
  ecai_free(out);
  CHECK(j != NULL);
  return j;
}

static const char *item_id(json_t *j, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), i), "id"));
}

TEST(recommend_rerank_follows_the_model_within_candidates_only) {
  ecai_ctx *ctx = NULL;
  ecai_recommend *r = mug_model();
  ecai_llm *l = llm_with(&ctx, "adversarial", "{\"ids\": [\"filter\", \"EVIL-1\", \"spoon\", \"EVIL-2\"]}");
  json_t *j = run(r, l);
  CHECK_STR_EQ(item_id(j, 0), "filter");
  CHECK_STR_EQ(item_id(j, 1), "spoon");
  CHECK_STR_EQ(item_id(j, 2), "coffee"); /* left out by the model: follows in its own order */
  json_t *info = json_object_get(j, "llm");
  CHECK(json_is_true(json_object_get(info, "used")));
  CHECK_INT_EQ(json_integer_value(json_object_get(info, "dropped")), 2); /* EVIL-1, EVIL-2 are no candidates */
  CHECK_INT_EQ(json_integer_value(json_object_get(info, "ordered_by_model")), 2);
  char *last = ecai_test_fakellm_http("/last", 0);
  CHECK_CONTAINS(last, "coffee: ");           /* candidates went to the model as data */
  CHECK_CONTAINS(last, "Cart: <data name=\\\"cart\\\">mug</data>"); /* the cart as data */
  free(last);
  json_decref(j);
  ecai_llm_free(l);
  ecai_ctx_free(ctx);
  ecai_recommend_free(r);
}

TEST(recommend_rerank_falls_back_on_llm_failure) {
  ecai_ctx *ctx = NULL;
  ecai_recommend *r = mug_model();
  const char *req = "{\"cart\":[{\"id\":\"mug\",\"qty\":1}],\"k\":3}";
  char *plain = NULL;
  CHECK_OK(ecai_recommend_query(&plain, NULL, r, req, strlen(req)));
  json_t *pj = json_loads(plain, 0, NULL);
  ecai_free(plain);
  const char *faults[] = {"500", "badjson", "adversarial"}; /* adversarial without an answer is no JSON */
  for (int f = 0; f < 3; f++) {
    ecai_llm *l = llm_with(&ctx, faults[f], NULL);
    json_t *j = run(r, l);
    json_t *info = json_object_get(j, "llm");
    CHECK_MSG(json_is_false(json_object_get(info, "used")), "fault %s: the model was used", faults[f]);
    CHECK(json_string_length(json_object_get(info, "error")) > 0);
    for (size_t i = 0; i < 3; i++) CHECK_STR_EQ(item_id(j, i), item_id(pj, i));
    json_decref(j);
    ecai_llm_free(l);
    ecai_ctx_free(ctx);
  }
  json_decref(pj);
  ecai_recommend_free(r);
}

TEST(recommend_rerank_rejects_bad_arguments) {
  ecai_recommend *r = mug_model();
  char *out = NULL;
  CHECK_STATUS(ecai_recommend_rerank(&out, NULL, r, NULL, "{}", 2), ECAI_EINVAL);
  CHECK(out == NULL);
  CHECK_STATUS(ecai_recommend_rerank(NULL, NULL, r, NULL, "{}", 2), ECAI_EINVAL);
  ecai_recommend_free(r);
}
