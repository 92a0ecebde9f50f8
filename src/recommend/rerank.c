/* LLM rerank of recommendation candidates: the model only orders ids we give it. */
#include <string.h>

#include "core/internal.h"
#include "ecai/llm.h"
#include "ecai/recommend.h"

static const char SYSTEM[] =
    "You order product recommendations for an online shop. The data sections hold the "
    "shopper's cart and the candidate products (id: title). Reply with one JSON object "
    "{\"ids\": [...]} listing candidate ids, best first. Use only ids from the candidates.";

/* The non-LLM ranking cut to k, with an "llm" member saying why the model was not used. */
static ecai_status fallback(char **out, size_t *out_len, json_t *res, size_t k, const char *why) {
  json_t *items = json_object_get(res, "items");
  while (json_array_size(items) > k) json_array_remove(items, json_array_size(items) - 1);
  json_object_set_new(res, "llm", json_pack("{s:b,s:s}", "used", 0, "error", why));
  return ecai__json_dump(out, out_len, res);
}

ecai_status ecai_recommend_rerank(char **out, size_t *out_len, const ecai_recommend *r, ecai_llm *llm,
                                  const char *req, size_t len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(llm);
  ECAI__CHECK_ARG(req);
  json_t *rq = NULL, *res = NULL, *model = NULL;
  char *cands = NULL, *qs = NULL;
  ecai_prompt *p = NULL;
  ecai_llm_reply *reply = NULL;
  ecai_status st = ecai__json_parse(&rq, req, len, "recommend rerank request");
  if (st) return st;
  if (!json_is_object(rq)) {
    json_decref(rq);
    return ecai__err(ECAI_EINVAL, "ecai_recommend_rerank: the request must be a JSON object");
  }
  json_int_t k = json_is_integer(json_object_get(rq, "k")) ? json_integer_value(json_object_get(rq, "k")) : 10;
  if (k < 1) k = 1;
  /* over-fetch candidates for the model to choose from: 3k, capped at 50 (never below k) */
  json_int_t want = k * 3;
  if (want > 50) want = k > 50 ? k : 50;
  json_object_set_new(rq, "k", json_integer(want));
  if ((st = ecai__json_dump(&qs, NULL, rq))) goto done;
  if ((st = ecai_recommend_query(&cands, NULL, r, qs, strlen(qs)))) goto done;
  if ((st = ecai__json_parse(&res, cands, strlen(cands), "recommend candidates"))) goto done;
  json_t *items = json_object_get(res, "items");
  if (json_array_size(items) == 0) {
    st = fallback(out, out_len, res, (size_t)k, "no candidates");
    goto done;
  }
  /* data sections: the cart and "id: title" lines */
  ecai__buf lines = {0}, cart = {0};
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    const char *t = json_string_value(json_object_get(it, "title"));
    ecai__buf_printf(&lines, "%s: %s\n", json_string_value(json_object_get(it, "id")), t ? t : "");
  }
  json_array_foreach(json_object_get(rq, "cart"), i, it) {
    const char *id = json_is_object(it) ? json_string_value(json_object_get(it, "id")) : json_string_value(it);
    if (id) ecai__buf_printf(&cart, "%s%s", cart.len ? ", " : "", id);
  }
  json_t *slots = json_pack("{s:s,s:s}", "cart", cart.data ? cart.data : "", "candidates",
                            lines.data ? lines.data : "");
  char *sj = slots ? json_dumps(slots, JSON_COMPACT) : NULL;
  json_decref(slots);
  ecai__buf_free(&lines);
  ecai__buf_free(&cart);
  if (!sj) {
    st = ecai__err(ECAI_ENOMEM, "ecai_recommend_rerank: out of memory");
    goto done;
  }
  st = ecai_prompt_new(&p);
  if (!st) st = ecai_prompt_add(p, ECAI_LLM_SYSTEM, SYSTEM, strlen(SYSTEM));
  if (!st) st = ecai_prompt_add_template(p, ECAI_LLM_USER, "Cart: {{cart}}\nCandidates:\n{{candidates}}", sj);
  free(sj); /* jansson's allocator */
  if (st) goto done;
  ecai_status lst = ecai_llm_chat_json(&reply, llm, p, "ids:array");
  const char *text = lst == ECAI_OK ? ecai_llm_reply_text(reply, NULL) : NULL;
  model = text ? json_loads(text, 0, NULL) : NULL;
  if (!model) {
    char why[300];
    snprintf(why, sizeof why, "%s", lst ? ecai_last_error() : "the model's reply was not JSON");
    st = fallback(out, out_len, res, (size_t)k, why);
    goto done;
  }
  /* keep the model's order for candidate ids, drop anything else, then the rest */
  json_t *ranked = json_array();
  size_t dropped = 0, n = json_array_size(items);
  char *used = ecai__calloc(n ? n : 1, 1);
  if (!ranked || !used) {
    json_decref(ranked);
    ecai__free(used);
    st = ecai__err(ECAI_ENOMEM, "ecai_recommend_rerank: out of memory");
    goto done;
  }
  json_t *id;
  json_array_foreach(json_object_get(model, "ids"), i, id) {
    size_t j, hit = n;
    for (j = 0; json_is_string(id) && j < n; j++)
      if (!used[j] && !strcmp(json_string_value(id), json_string_value(json_object_get(json_array_get(items, j), "id"))))
        hit = j;
    if (hit == n) {
      dropped++;
      continue;
    }
    used[hit] = 1;
    if (json_array_size(ranked) < (size_t)k) json_array_append(ranked, json_array_get(items, hit));
  }
  size_t by_model = json_array_size(ranked);
  for (size_t j = 0; j < n && json_array_size(ranked) < (size_t)k; j++)
    if (!used[j]) json_array_append(ranked, json_array_get(items, j));
  ecai__free(used);
  json_object_set_new(res, "items", ranked);
  json_object_set_new(res, "llm", json_pack("{s:b,s:I,s:I}", "used", 1, "dropped", (json_int_t)dropped,
                                            "ordered_by_model", (json_int_t)by_model));
  st = ecai__json_dump(out, out_len, res);
done:
  json_decref(rq);
  json_decref(res);
  json_decref(model);
  ecai_free(cands);
  ecai_free(qs);
  ecai_prompt_free(p);
  ecai_llm_reply_free(reply);
  return st;
}
