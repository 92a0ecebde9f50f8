/*
 * Cache demo (offline): an exact cache in front of an expensive call, an answer that
 * quoted a price dropped when that price changes, and a semantic cache that serves a
 * paraphrase but refuses a question that differs by a negation or an order number.
 */
#include <stdio.h>
#include <string.h>

#include <ecai.h>

static int fail(const char *what, ecai_status st) {
  fprintf(stderr, "cache_demo: %s: %s (%s)\n", what, ecai_last_error(), ecai_status_str(st));
  return 1;
}

static const char *show(ecai_status st, const void *v) { return st == ECAI_OK ? (const char *)v : "(miss)"; }

int main(void) {
  ecai_ctx *ctx = NULL;
  ecai_cache *cache = NULL;
  ecai_semcache *sem = NULL;
  ecai_status st = ecai_ctx_new(&ctx, NULL, 0);
  if (st) return fail("context", st);
  if ((st = ecai_cache_new(&cache, ctx))) return fail("cache", st);

  /* 1. exact cache: the request is canonical JSON, so key order does not matter */
  const char *req = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"price of the kettle?\"}]}";
  const char *same = "{\"messages\":[{\"content\":\"price of the kettle?\",\"role\":\"user\"}], \"model\":\"m\"}";
  uint8_t k1[ECAI_CACHE_KEY_SIZE], k2[ECAI_CACHE_KEY_SIZE];
  if ((st = ecai_cache_key_from_json(k1, req, strlen(req))) || (st = ecai_cache_key_from_json(k2, same, strlen(same))))
    return fail("key", st);
  const char *answer = "The kettle (SKU K-1) costs 19.99 EUR.";
  st = ecai_cache_put(cache, k1, answer, strlen(answer), 0,
                      "{\"products\":[{\"sku\":\"K-1\",\"facts\":\"price=19.99\"}],\"saved_tokens\":420,\"saved_cost\":0.002}");
  if (st) return fail("put", st);
  void *v = NULL;
  st = ecai_cache_get(&v, NULL, cache, k2);
  printf("exact hit for the reordered request: %s\n", show(st, v));
  ecai_free(v);

  /* 2. the price changes: the answer that quoted it goes */
  size_t dropped = 0;
  ecai_cache_invalidate_product(&dropped, cache, "K-1", ecai_cache_fact_hash("price=17.49", 11));
  v = NULL;
  st = ecai_cache_get(&v, NULL, cache, k1);
  printf("after the price change: %zu entry dropped, lookup: %s\n", dropped, show(st, v));
  ecai_free(v);
  char *stats = NULL;
  if (ecai_cache_stats_json(&stats, NULL, cache) == ECAI_OK) printf("exact cache stats: %s\n", stats);
  ecai_free(stats);

  /* 3. semantic cache with the builtin text vectors, partitioned by feature+language */
  if ((st = ecai_semcache_new(&sem, ctx, 0))) return fail("semantic cache", st);
  ecai_semcache_set_double(sem, ECAI_SEMCACHE_OPT_THRESHOLD, 0.7);
  const char *q = "How do I enable two-factor authentication?";
  const char *a = "Settings > Security > Two-factor: switch it on.";
  if ((st = ecai_semcache_put_text(sem, "support:en", q, strlen(q), a, strlen(a)))) return fail("put_text", st);
  const char *tries[] = {"how can i enable two-factor authentication", "How do I disable two-factor authentication?"};
  for (int i = 0; i < 2; i++) {
    float score = 0;
    v = NULL;
    st = ecai_semcache_lookup_text(&v, NULL, &score, sem, "support:en", tries[i], strlen(tries[i]));
    printf("semantic lookup \"%s\": %s\n", tries[i], show(st, v));
    ecai_free(v);
    if (st != ECAI_OK && st != ECAI_ENOTFOUND) return fail("lookup", st);
  }
  if (ecai_semcache_stats_json(&stats, NULL, sem) == ECAI_OK) printf("semantic cache stats: %s\n", stats);
  ecai_free(stats);
  ecai_semcache_free(sem);
  ecai_cache_free(cache);
  ecai_ctx_free(ctx);
  return 0;
}
