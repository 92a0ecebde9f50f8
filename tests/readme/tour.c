/* The README's API tour as one program: search, support, LLM + cache, semantic cache,
 * guardrails, recommendations, A/B assignment. Every status is checked; everything made is
 * freed. Run from the project root (it reads examples/data/); the LLM step talks to the
 * OpenAI-compatible server at $ECAI_LLM_BASE_URL (tests/fakellm/server.py, or a local
 * llama.cpp / Ollama) and is skipped with a message when none answers.
 *   cc tour.c -Iinclude -Llib -Wl,-rpath,$PWD/lib -lecai -o tour && ./tour */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecai.h>

#define TRY(call)                                                                  \
  do {                                                                             \
    ecai_status st_ = (call);                                                      \
    if (st_ != ECAI_OK) {                                                          \
      fprintf(stderr, "%s: %s\n", #call, ecai_last_error()); /* names what failed */ \
      exit(1);                                                                     \
    }                                                                              \
  } while (0)

/* Catalog -> store (embedder + FAISS index) -> hybrid search; saved once, opened by every worker. */
static void search(ecai_ctx *ctx) {
  ecai_store *store = NULL;
  ecai_search *search = NULL;
  char *hits = NULL;
  TRY(ecai_store_new(&store, ctx));
  TRY(ecai_catalog_load(NULL, NULL, ecai_store_catalog(store), "examples/data/catalog.tsv", ECAI_CATALOG_AUTO,
                        NULL, 0));
  TRY(ecai_store_build(NULL, store, 0, NULL, NULL)); /* later builds embed only what changed */
  TRY(ecai_search_new(&search, store));
  const char *q = "comfy couch for a small flat";
  TRY(ecai_search_query(&hits, NULL, search, q, strlen(q),
                        "{\"k\": 3, \"filters\": {\"category\": \"Furniture\", \"price_max\": 900}}"));
  printf("search: %s\n", hits); /* {"hits":[{"id","score","title","why"}],"facets":{...},...} */
  ecai_free(hits);
  /* live price/stock/text change, no rebuild: the next query sees it (for a store opened from
   * a folder, every process does: DIR/updates.journal) */
  TRY(ecai_store_update_json(store, "SKU-0002", "{\"price\": 699.0, \"in_stock\": false}"));
  ecai_search_free(search);
  ecai_store_free(store);
}

/* Support: answers only from the shop's documents, or escalates with a reason. */
static void support(ecai_ctx *ctx) {
  ecai_kb *kb = NULL;
  ecai_support *bot = NULL;
  char *answer = NULL;
  TRY(ecai_kb_new(&kb, ctx));
  TRY(ecai_kb_add_path(NULL, kb, "examples/data/shop_policy.md")); /* markdown, text, HTML, FAQ JSON */
  TRY(ecai_support_new(&bot, ctx, kb));
  TRY(ecai_support_answer(&answer, NULL, bot, "How much does express delivery cost?", NULL, NULL));
  printf("support: %.160s...\n", answer); /* {"answer":...|null,"escalated":...,"citations":[...],...} */
  ecai_free(answer);
  ecai_support_free(bot);
  ecai_kb_free(kb);
}

/* LLM with an exact cache in front: a repeated question costs nothing. */
static void llm(void) {
  const char *base = getenv("ECAI_LLM_BASE_URL");
  if (!base) {
    puts("llm: skipped (set ECAI_LLM_BASE_URL to an OpenAI-compatible server)");
    return;
  }
  const char *cfg = "{\"llm\": {\"provider\": \"openai\", \"model\": \"local-model\", \"auth\": \"none\"}}";
  ecai_ctx *ctx = NULL; /* the base URL comes from ECAI_LLM_BASE_URL */
  ecai_llm *llm = NULL;
  ecai_cache *cache = NULL;
  ecai_prompt *p = NULL;
  TRY(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  TRY(ecai_llm_new(&llm, ctx));
  TRY(ecai_cache_new(&cache, ctx)); /* "cache": {"backend": "redis"} shares it between servers */
  TRY(ecai_llm_attach_cache(llm, cache));
  TRY(ecai_prompt_new(&p));
  TRY(ecai_prompt_add(p, ECAI_LLM_SYSTEM, "Answer only from the documents.", 31));
  TRY(ecai_prompt_add_template(p, ECAI_LLM_USER, "Docs: {{docs}}\nQuestion: {{q}}",
                               "{\"docs\": \"Returns within 30 days.\", \"q\": \"Can I return it?\"}"));
  for (int i = 0; i < 2; i++) { /* the second call is served by the cache */
    ecai_llm_reply *r = NULL;
    ecai_status st = ecai_llm_chat(&r, llm, p);
    if (st == ECAI_OK) printf("llm: %s\n", ecai_llm_reply_text(r, NULL));
    else printf("llm: %s (%s)\n", ecai_status_str(st), ecai_last_error());
    ecai_llm_reply_free(r);
  }
  /* 20 servers, one daily budget and one breaker: "llm": {"shared": "redis", "budget":
     {"limit": 50, "window_s": 86400}} with "redis": {"url": ...}. */
  ecai_prompt_free(p);
  ecai_llm_free(llm);
  ecai_cache_free(cache);
  ecai_ctx_free(ctx);
}

/* Semantic cache: a paraphrase is served only when verification agrees (numbers, codes,
   negation, rare content words); partitions keep languages, features and scopes apart. */
static void semantic_cache(ecai_ctx *ctx) {
  ecai_semcache *sc = NULL;
  void *ans = NULL;
  size_t ans_len = 0;
  float sim = 0;
  TRY(ecai_semcache_new(&sc, ctx, 0)); /* 0 = builtin question vectors */
  TRY(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_THRESHOLD, 0.9)); /* default 1.0: repeats only */
  const char *q = "How do I reset my account password?", *para = "How can I reset my account password?";
  TRY(ecai_semcache_put_text(sc, "support/en", q, strlen(q), "Use the link.", 13));
  if (ecai_semcache_lookup_text(&ans, &ans_len, &sim, sc, "support/en", para, strlen(para)) == ECAI_OK) {
    printf("semantic cache: hit (%.2f) %.*s\n", sim, (int)ans_len, (const char *)ans);
    ecai_free(ans);
  }
  const char *o1 = "Where is my order 10422?", *o2 = "Where is my order 10423?";
  TRY(ecai_semcache_put_text(sc, "support/en", o1, strlen(o1), "Shipped.", 8));
  ecai_status st = ecai_semcache_lookup_text(&ans, &ans_len, &sim, sc, "support/en", o2, strlen(o2));
  printf("semantic cache: another order number: %s\n", ecai_status_str(st)); /* never a wrong hit */
  if (st == ECAI_OK) ecai_free(ans);
  ecai_semcache_free(sc);
}

/* Guardrails: a verdict is a result, not an error. */
static void guard(ecai_ctx *ctx) {
  ecai_guard *g = NULL;
  ecai_guard_verdict *v = NULL;
  char *js = NULL;
  TRY(ecai_guard_new(&g, ctx));
  const char *ids[] = {"policy"}, *texts[] = {"Returns are accepted within 30 days."};
  const char *answer = "You can return it within 60 days.";
  TRY(ecai_guard_check_output(&v, g, answer, strlen(answer), ids, texts, 1));
  TRY(ecai_guard_verdict_json(&js, NULL, v));
  printf("guard: pass=%d %.120s...\n", ecai_guard_verdict_pass(v), js); /* number_not_in_sources */
  ecai_free(js);
  ecai_guard_verdict_free(v);
  ecai_guard_free(g);
}

/* Recommendations from order history plus the catalog's categories; requests are JSON. */
static void recommend(ecai_ctx *ctx) {
  ecai_catalog *cat = NULL;
  ecai_recommend *rec = NULL;
  char *items = NULL;
  TRY(ecai_catalog_new(&cat, ctx));
  TRY(ecai_catalog_load(NULL, NULL, cat, "examples/data/catalog.tsv", ECAI_CATALOG_AUTO, NULL, 0));
  TRY(ecai_recommend_new(&rec, ctx));
  TRY(ecai_recommend_load_orders(rec, "examples/data/orders.csv", 0));
  for (int64_t id = -1; ecai_catalog_next(&id, cat, id) == ECAI_OK;) { /* titles, prices, categories */
    char *p = NULL, *c;
    TRY(ecai_catalog_get_json(&p, NULL, cat, ecai_catalog_sku(cat, id)));
    if ((c = strstr(p, "\"category\":\"")) != NULL) {
      c += 12;
      c[strcspn(c, "\"")] = 0;
      TRY(ecai_recommend_set_item(rec, ecai_catalog_sku(cat, id), ecai_catalog_title(cat, id), -1));
      TRY(ecai_recommend_set_category(rec, ecai_catalog_sku(cat, id), c));
    }
    ecai_free(p);
  }
  TRY(ecai_recommend_fit(rec)); /* EASE + title embedder + content index */
  const char *req = "{\"cart\":[{\"id\":\"SKU-0118\",\"qty\":1}],\"k\":3,\"strategy\":\"complementary\","
                    "\"exclude_categories\":[\"Kitchen > Coffee & tea\"]}";
  TRY(ecai_recommend_query(&items, NULL, rec, req, strlen(req)));
  printf("recommend: %s\n", items); /* {"items":[{"id","score","reason"},...]} */
  ecai_free(items);
  ecai_recommend_free(rec);
  ecai_catalog_free(cat);
}

/* A/B assignment: XXH3 of salt + unit, identical in C, Python and PHP. */
static void experiment(void) {
  ecai_experiment *e = NULL;
  const char *variant = NULL;
  TRY(ecai_experiment_new(&e, "checkout-v2", "salt-2026"));
  TRY(ecai_experiment_add_variant(e, "control", 0.5));
  TRY(ecai_experiment_add_variant(e, "treatment", 0.5));
  TRY(ecai_experiment_assign(&variant, e, "visitor-42", 10));
  printf("experiment: visitor-42 -> %s\n", variant);
  ecai_experiment_free(e);
}

int main(void) {
  ecai_ctx *ctx = NULL;
  TRY(ecai_ctx_new(&ctx, NULL, 0)); /* embedded defaults: builtin embedder, no network */
  search(ctx);
  support(ctx);
  llm();
  semantic_cache(ctx);
  guard(ctx);
  recommend(ctx);
  experiment();
  ecai_ctx_free(ctx);
  return 0;
}
