/* Cache module: exact cache (keys, TTL with an injected clock, LRU under a byte budget,
 * tags, product facts, stats, persistence, counters, threads), semantic cache
 * (partitions, threshold, verification, eviction) and the Redis backend. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cache/cache_internal.h"
#include "harness.h"
#include "redis_fixture.h"

static ecai_ctx *mkctx(const char *json) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, json, strlen(json)));
  return c;
}

static int64_t fake_now = 1700000000000LL;
static int64_t fake_clock(void *p) {
  (void)p;
  return fake_now;
}

static void key_of(uint8_t *k, const char *s) { CHECK_OK(ecai_cache_key_from_bytes(k, s, strlen(s))); }

static void put_s(ecai_cache *c, const char *key, const char *val, int64_t ttl, const char *meta) {
  uint8_t k[16];
  key_of(k, key);
  CHECK_OK(ecai_cache_put(c, k, val, strlen(val), ttl, meta));
}

/* 1 hit (value must equal want when want != NULL), 0 miss */
static int get_s(ecai_cache *c, const char *key, const char *want) {
  uint8_t k[16];
  key_of(k, key);
  void *v = NULL;
  size_t n = 0;
  ecai_status st = ecai_cache_get(&v, &n, c, k);
  if (st == ECAI_ENOTFOUND) {
    CHECK(v == NULL);
    return 0;
  }
  CHECK_OK(st);
  if (want) {
    CHECK_INT_EQ(n, strlen(want));
    CHECK_STR_EQ((char *)v, want);
  }
  ecai_free(v);
  return 1;
}

static long long stat_of(ecai_cache *c, const char *name) {
  char *js = NULL;
  CHECK_OK(ecai_cache_stats_json(&js, NULL, c));
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", name);
  const char *p = strstr(js, pat);
  CHECK_MSG(p != NULL, "stats lack %s: %s", name, js);
  long long v = strtoll(p + strlen(pat), NULL, 10);
  ecai_free(js);
  return v;
}

/* ---- keys ------------------------------------------------------------------------ */

TEST(cache_key_json_is_canonical) {
  uint8_t a[16], b[16], c[16];
  const char *j1 = "{\"b\":1,\"a\":2}", *j2 = " { \"a\" : 2 ,\n \"b\":1 } ", *j3 = "{\"a\":2,\"b\":3}";
  CHECK_OK(ecai_cache_key_from_json(a, j1, strlen(j1)));
  CHECK_OK(ecai_cache_key_from_json(b, j2, strlen(j2)));
  CHECK_OK(ecai_cache_key_from_json(c, j3, strlen(j3)));
  CHECK(memcmp(a, b, 16) == 0);
  CHECK(memcmp(a, c, 16) != 0);
  /* nested objects are sorted too */
  const char *n1 = "{\"m\":[{\"y\":1,\"x\":2}]}", *n2 = "{\"m\":[{\"x\":2,\"y\":1}]}";
  CHECK_OK(ecai_cache_key_from_json(a, n1, strlen(n1)));
  CHECK_OK(ecai_cache_key_from_json(b, n2, strlen(n2)));
  CHECK(memcmp(a, b, 16) == 0);
  CHECK_STATUS(ecai_cache_key_from_json(a, "{\"a\":", 5), ECAI_EPARSE);
  CHECK_STATUS(ecai_cache_key_from_json(NULL, "{}", 2), ECAI_EINVAL);
  CHECK_OK(ecai_cache_key_from_bytes(a, "abc", 3));
  CHECK_OK(ecai_cache_key_from_bytes(b, "abd", 3));
  CHECK(memcmp(a, b, 16) != 0);
  CHECK(ecai_cache_fact_hash("price=1", 7) != ecai_cache_fact_hash("price=2", 7));
}

/* ---- basic operations ----------------------------------------------------------------- */

TEST(cache_put_get_copies_and_misses) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  CHECK_INT_EQ(get_s(c, "q1", NULL), 0);
  put_s(c, "q1", "answer one", 0, NULL);
  uint8_t k[16];
  key_of(k, "q1");
  void *v = NULL;
  size_t n = 0;
  CHECK_OK(ecai_cache_get(&v, &n, c, k));
  memset(v, 'X', n); /* the caller's copy: the cache is unaffected */
  ecai_free(v);
  CHECK_INT_EQ(get_s(c, "q1", "answer one"), 1);
  put_s(c, "q1", "replaced", 0, NULL);
  CHECK_INT_EQ(get_s(c, "q1", "replaced"), 1);
  CHECK_OK(ecai_cache_put(c, k, NULL, 0, 0, NULL)); /* empty values are values */
  CHECK_INT_EQ(get_s(c, "q1", ""), 1);
  CHECK_OK(ecai_cache_delete(c, k));
  CHECK_INT_EQ(get_s(c, "q1", NULL), 0);
  CHECK_STATUS(ecai_cache_get(&v, &n, NULL, k), ECAI_EINVAL);
  CHECK_STATUS(ecai_cache_get(&v, &n, c, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_cache_put(c, k, NULL, 3, 0, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_cache_put(c, k, "x", 1, -2, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_cache_put(c, k, "x", 1, 0, "{\"tags\":"), ECAI_EPARSE);
  CHECK_STATUS(ecai_cache_put(c, k, "x", 1, 0, "{\"tagz\":[]}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_cache_put(c, k, "x", 1, 0, "{\"products\":[{\"sku\":\"A\"}]}"), ECAI_EINVAL);
  ecai_cache_free(c);
  CHECK_STATUS(ecai_cache_new(&c, NULL), ECAI_EINVAL);
  CHECK(c == NULL);
  CHECK_STATUS(ecai_cache_new(&c, ctx), ECAI_OK);
  ecai_cache_free(c);
  ecai_cache_free(NULL);
  ecai_cache *c2 = NULL;
  ecai_ctx *bad = mkctx("{\"cache\":{\"shards\":0}}");
  CHECK_STATUS(ecai_cache_new(&c2, bad), ECAI_EINVAL);
  ecai_ctx_free(bad);
  ecai_ctx_free(ctx);
}

TEST(cache_ttl_and_absolute_expiry_with_injected_clock) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"ttl_s\":60}}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  ecai__cache_set_clock(c, fake_clock, NULL);
  fake_now = 1700000000000LL;
  put_s(c, "short", "s", 1000, NULL);       /* 1 s */
  put_s(c, "default", "d", 0, NULL);        /* cache.ttl_s = 60 s */
  put_s(c, "forever", "f", -1, NULL);
  char meta[128];
  snprintf(meta, sizeof meta, "{\"expires_at_ms\":%lld}", (long long)(fake_now + 500));
  put_s(c, "abs", "a", -1, meta);           /* absolute expiry wins over "never" */
  fake_now += 499;
  CHECK_INT_EQ(get_s(c, "abs", "a"), 1);
  CHECK_INT_EQ(get_s(c, "short", "s"), 1);
  fake_now += 1;
  CHECK_INT_EQ(get_s(c, "abs", NULL), 0);
  fake_now += 499;
  CHECK_INT_EQ(get_s(c, "short", "s"), 1);
  fake_now += 1;
  CHECK_INT_EQ(get_s(c, "short", NULL), 0);
  CHECK_INT_EQ(get_s(c, "default", "d"), 1);
  fake_now += 60000;
  CHECK_INT_EQ(get_s(c, "default", NULL), 0);
  fake_now += 365LL * 86400 * 1000;
  CHECK_INT_EQ(get_s(c, "forever", "f"), 1);
  CHECK_INT_EQ(stat_of(c, "expirations"), 3);
  CHECK_INT_EQ(stat_of(c, "entries"), 1);
  /* an expiry already in the past stores nothing */
  snprintf(meta, sizeof meta, "{\"expires_at_ms\":%lld}", (long long)(fake_now - 1));
  put_s(c, "past", "p", 0, meta);
  CHECK_INT_EQ(get_s(c, "past", NULL), 0);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_lru_eviction_under_byte_budget) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"shards\":1,\"max_bytes\":4096}}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  char big[1001];
  memset(big, 'v', 1000);
  big[1000] = 0;
  put_s(c, "A", big, 0, NULL);
  put_s(c, "B", big, 0, NULL);
  put_s(c, "C", big, 0, NULL);
  CHECK_INT_EQ(stat_of(c, "evictions"), 0);
  CHECK_INT_EQ(get_s(c, "A", NULL), 1); /* A becomes most recently used */
  put_s(c, "D", big, 0, NULL);          /* over budget: the LRU entry (B) goes */
  CHECK_INT_EQ(stat_of(c, "evictions"), 1);
  CHECK_INT_EQ(get_s(c, "B", NULL), 0);
  CHECK_INT_EQ(get_s(c, "A", NULL), 1);
  CHECK_INT_EQ(get_s(c, "C", NULL), 1);
  CHECK_INT_EQ(get_s(c, "D", NULL), 1);
  CHECK(stat_of(c, "bytes") <= 4096);
  /* a value larger than the whole budget is not stored and evicts nothing */
  char *huge = malloc(5000);
  memset(huge, 'h', 4999);
  huge[4999] = 0;
  put_s(c, "H", huge, 0, NULL);
  free(huge);
  CHECK_INT_EQ(get_s(c, "H", NULL), 0);
  CHECK_INT_EQ(stat_of(c, "entries"), 3);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_invalidate_by_tag_and_clear) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  put_s(c, "a", "1", 0, "{\"tags\":[\"faq\",\"en\"]}");
  put_s(c, "b", "2", 0, "{\"tags\":[\"faq\"]}");
  put_s(c, "c", "3", 0, "{\"tags\":[\"en\"]}");
  put_s(c, "d", "4", 0, NULL);
  size_t n = 99;
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "faq"));
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(get_s(c, "a", NULL) + get_s(c, "b", NULL), 0);
  CHECK_INT_EQ(get_s(c, "c", "3") + get_s(c, "d", "4"), 2);
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "nothing"));
  CHECK_INT_EQ(n, 0);
  CHECK_OK(ecai_cache_clear(c));
  CHECK_INT_EQ(stat_of(c, "entries"), 0);
  CHECK_STATUS(ecai_cache_invalidate_tag(&n, c, NULL), ECAI_EINVAL);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

/* Answers quoting the old price of SKU-1 go; answers on other products, or already on
 * the new facts, stay. */
static void product_invalidation_case(ecai_cache *c) {
  const char *old_f = "price=19.99;stock=4;title=Kettle", *new_f = "price=17.49;stock=4;title=Kettle";
  char meta[512];
  snprintf(meta, sizeof meta, "{\"products\":[{\"sku\":\"SKU-1\",\"facts\":\"%s\"}]}", old_f);
  put_s(c, "price of kettle", "19.99", 0, meta);
  snprintf(meta, sizeof meta,
           "{\"products\":[{\"sku\":\"SKU-2\",\"fact_hash\":\"%016llx\"},{\"sku\":\"SKU-1\",\"fact_hash\":\"%016llx\"}]}",
           (unsigned long long)ecai_cache_fact_hash("price=5", 7),
           (unsigned long long)ecai_cache_fact_hash(old_f, strlen(old_f)));
  put_s(c, "compare kettle and mug", "cmp", 0, meta);
  put_s(c, "price of mug", "5", 0, "{\"products\":[{\"sku\":\"SKU-2\",\"facts\":\"price=5\"}]}");
  snprintf(meta, sizeof meta, "{\"products\":[{\"sku\":\"SKU-1\",\"facts\":\"%s\"}]}", new_f);
  put_s(c, "kettle new price", "17.49", 0, meta);
  put_s(c, "shipping policy", "3 days", 0, NULL);
  size_t n = 0;
  CHECK_OK(ecai_cache_invalidate_product(&n, c, "SKU-1", ecai_cache_fact_hash(new_f, strlen(new_f))));
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(get_s(c, "price of kettle", NULL), 0);
  CHECK_INT_EQ(get_s(c, "compare kettle and mug", NULL), 0);
  CHECK_INT_EQ(get_s(c, "price of mug", "5"), 1);
  CHECK_INT_EQ(get_s(c, "kettle new price", "17.49"), 1);
  CHECK_INT_EQ(get_s(c, "shipping policy", "3 days"), 1);
  /* same facts again: nothing to drop */
  CHECK_OK(ecai_cache_invalidate_product(&n, c, "SKU-1", ecai_cache_fact_hash(new_f, strlen(new_f))));
  CHECK_INT_EQ(n, 0);
  CHECK_INT_EQ(get_s(c, "kettle new price", "17.49"), 1);
}

TEST(cache_product_change_drops_only_answers_that_quoted_it) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  product_invalidation_case(c);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_invalidation_visits_only_the_tagged_entries) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"shards\":4}}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  char key[32], meta[160];
  for (int i = 0; i < 3000; i++) { /* unrelated entries: other tags and products */
    snprintf(key, sizeof key, "other-%d", i);
    snprintf(meta, sizeof meta, "{\"tags\":[\"faq-%d\"],\"products\":[{\"sku\":\"OTHER-%d\",\"facts\":\"p=1\"}]}", i % 50, i);
    put_s(c, key, "x", -1, meta);
  }
  for (int i = 0; i < 12; i++) {
    snprintf(key, sizeof key, "kettle-%d", i);
    snprintf(meta, sizeof meta, "{\"tags\":[\"promo\",\"promo\"],\"products\":[{\"sku\":\"KETTLE\",\"facts\":\"p=%d\"}]}", i % 2);
    put_s(c, key, "y", -1, meta);
  }
  unsigned long long v0 = ecai__cache_index_visits(c);
  size_t n = 0;
  /* the SKU's entries that quoted p=0 go; the six that quoted the current p=1 stay */
  CHECK_OK(ecai_cache_invalidate_product(&n, c, "KETTLE", ecai_cache_fact_hash("p=1", 3)));
  CHECK_INT_EQ(n, 6);
  unsigned long long v1 = ecai__cache_index_visits(c);
  CHECK_MSG(v1 - v0 < 200, "product invalidation visited %llu index links for 12 entries among 3012", v1 - v0);
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "promo")); /* a tag listed twice removes the entry once */
  CHECK_INT_EQ(n, 6);
  CHECK_MSG(ecai__cache_index_visits(c) - v1 < 200, "tag invalidation visited %llu links",
            ecai__cache_index_visits(c) - v1);
  CHECK_INT_EQ(stat_of(c, "entries"), 3000);
  for (int i = 0; i < 3000; i += 7) {
    snprintf(key, sizeof key, "other-%d", i);
    CHECK_INT_EQ(get_s(c, key, "x"), 1);
  }
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "faq-7")); /* 60 of the unrelated ones */
  CHECK_INT_EQ(n, 60);
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "nobody"));
  CHECK_INT_EQ(n, 0);
  CHECK_INT_EQ(stat_of(c, "entries"), 2940);
  /* replacing, evicting and clearing keep the index consistent */
  put_s(c, "other-1", "z", -1, "{\"tags\":[\"new\"]}");
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "faq-1"));
  CHECK_INT_EQ(n, 59);
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "new"));
  CHECK_INT_EQ(n, 1);
  CHECK_OK(ecai_cache_clear(c));
  put_s(c, "again", "a", -1, "{\"tags\":[\"faq-3\"]}");
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "faq-3"));
  CHECK_INT_EQ(n, 1);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_stats_report_savings) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  put_s(c, "q", "a", 0, "{\"saved_tokens\":1200,\"saved_cost\":0.25}");
  CHECK_INT_EQ(get_s(c, "q", "a"), 1);
  CHECK_INT_EQ(get_s(c, "q", "a"), 1);
  CHECK_INT_EQ(get_s(c, "nope", NULL), 0);
  char *js = NULL;
  CHECK_OK(ecai_cache_stats_json(&js, NULL, c));
  CHECK_CONTAINS(js, "\"hits\":2");
  CHECK_CONTAINS(js, "\"misses\":1");
  CHECK_CONTAINS(js, "\"tokens_saved\":2400");
  CHECK_CONTAINS(js, "\"cost_saved\":0.500000");
  CHECK_CONTAINS(js, "\"backend\":\"memory\"");
  ecai_free(js);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_counter_in_process_window) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  ecai__cache_set_clock(c, fake_clock, NULL);
  double t = 0;
  CHECK_OK(ecai_cache_counter_add(&t, c, "spend", 1.5, 60));
  CHECK_OK(ecai_cache_counter_add(&t, c, "spend", 2.25, 60));
  CHECK_NEAR(t, 3.75, 1e-9);
  fake_now += 60000;
  CHECK_OK(ecai_cache_counter_add(&t, c, "spend", 1, 60));
  CHECK_NEAR(t, 1, 1e-9);
  CHECK_STATUS(ecai_cache_counter_add(&t, c, "", 1, 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_cache_counter_add(&t, c, "x", NAN, 0), ECAI_EINVAL);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

/* ---- persistence --------------------------------------------------------------------- */

TEST(cache_persist_round_trip_and_corruption) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  put_s(c, "k1", "value one", -1, "{\"tags\":[\"t\"],\"products\":[{\"sku\":\"S\",\"facts\":\"p=1\"}]}");
  put_s(c, "k2", "value two", 3600000, NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/cache.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_cache_save(c, path));
  ecai_cache_free(c);
  CHECK_OK(ecai_cache_new(&c, ctx));
  size_t n = 0;
  CHECK_OK(ecai_cache_load(&n, c, path));
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(get_s(c, "k1", "value one") + get_s(c, "k2", "value two"), 2);
  size_t m = 0; /* tags and products survive */
  CHECK_OK(ecai_cache_invalidate_product(&m, c, "S", ecai_cache_fact_hash("p=2", 3)));
  CHECK_INT_EQ(m, 1);
  ecai_cache_free(c);
  /* flip one byte: checksum mismatch */
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  fseek(f, 40, SEEK_SET);
  int ch = fgetc(f);
  fseek(f, 40, SEEK_SET);
  fputc(ch ^ 0x5a, f);
  fclose(f);
  CHECK_OK(ecai_cache_new(&c, ctx));
  CHECK_STATUS(ecai_cache_load(&n, c, path), ECAI_ECORRUPT);
  CHECK_INT_EQ(n, 0);
  CHECK_INT_EQ(stat_of(c, "entries"), 0);
  /* truncated */
  CHECK_OK(truncate(path, 20));
  CHECK_STATUS(ecai_cache_load(&n, c, path), ECAI_ECORRUPT);
  char missing[600];
  snprintf(missing, sizeof missing, "%s/none.bin", ecai_test_tmpdir());
  CHECK_STATUS(ecai_cache_load(&n, c, missing), ECAI_ENOTFOUND);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

static int warn_count;
static void count_warn(ecai_log_level lvl, const char *msg, void *p) {
  (void)p;
  if (lvl == ECAI_LOG_WARN && strstr(msg, "ignoring persisted cache")) warn_count++;
}

TEST(cache_persist_path_keeps_warm_entries_and_ignores_corrupt_file) {
  char cfg[700], path[512];
  snprintf(path, sizeof path, "%s/warm.bin", ecai_test_tmpdir());
  snprintf(cfg, sizeof cfg, "{\"cache\":{\"persist_path\":\"%s\"}}", path);
  ecai_ctx *ctx = mkctx(cfg);
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx)); /* no file yet: fine */
  put_s(c, "warm", "still here", 0, NULL);
  ecai_cache_free(c); /* saves */
  CHECK_OK(ecai_cache_new(&c, ctx));
  CHECK_INT_EQ(get_s(c, "warm", "still here"), 1);
  CHECK_INT_EQ(stat_of(c, "load_errors"), 0);
  ecai_cache_free(c);
  FILE *f = fopen(path, "wb");
  fputs("ECAICACHgarbage", f);
  fclose(f);
  CHECK_OK(ecai_ctx_set_log(ctx, ECAI_LOG_WARN, count_warn, NULL));
  warn_count = 0;
  CHECK_OK(ecai_cache_new(&c, ctx)); /* corrupt: ignored, warned, counted */
  CHECK_INT_EQ(warn_count, 1);
  CHECK_INT_EQ(stat_of(c, "load_errors"), 1);
  CHECK_INT_EQ(get_s(c, "warm", NULL), 0);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

/* ---- threads ------------------------------------------------------------------------------ */

typedef struct {
  ecai_cache *c;
  int id, errors;
} thr_arg;

static void *worker(void *p) {
  thr_arg *a = p;
  char key[32], val[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "t%d-%d", a->id, i % 500);
    snprintf(val, sizeof val, "v%d-%d", a->id, i % 500);
    uint8_t k[16];
    ecai_cache_key_from_bytes(k, key, strlen(key));
    if (i < 500) {
      if (ecai_cache_put(a->c, k, val, strlen(val), 0, NULL)) a->errors++;
    } else {
      void *v = NULL;
      size_t n;
      if (ecai_cache_get(&v, &n, a->c, k) != ECAI_OK || strcmp(v, val) != 0) a->errors++;
      ecai_free(v);
    }
  }
  return NULL;
}

TEST(cache_concurrent_threads_see_their_values) {
  ecai_ctx *ctx = mkctx("{}");
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  pthread_t t[4];
  thr_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (thr_arg){c, i, 0};
    pthread_create(&t[i], NULL, worker, &a[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK_INT_EQ(a[i].errors, 0);
  }
  CHECK_INT_EQ(stat_of(c, "hits"), 4 * 4500);
  CHECK_INT_EQ(stat_of(c, "entries"), 2000);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_allocation_failures_are_reported_not_crashes) {
  ecai_ctx *ctx = mkctx("{}");
  int failed = 0, ok = 0;
  for (long fail = 0; fail < 200 && !ok; fail++) {
    ecai_cache *c = NULL;
    ecai__test_fail_alloc_after(fail);
    ecai_status st = ecai_cache_new(&c, ctx);
    uint8_t k[16];
    key_of(k, "x");
    if (st == ECAI_OK) st = ecai_cache_put(c, k, "v", 1, 0, "{\"tags\":[\"a\"],\"products\":[{\"sku\":\"s\",\"facts\":\"f\"}]}");
    void *v = NULL;
    size_t n = 0;
    if (st == ECAI_OK) st = ecai_cache_get(&v, &n, c, k);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "fail-after %ld gave %d", fail, (int)st);
    if (st == ECAI_OK) {
      ok = 1; /* enough allocations: the value put is the value got */
      CHECK(n == 1 && v && !memcmp(v, "v", 1));
    } else failed++;
    ecai_free(v);
    ecai_cache_free(c);
  }
  CHECK(failed > 0); /* the first allocations did fail */
  CHECK(ok);         /* and a success was reached within the budget */
  ecai_ctx_free(ctx);
}

/* ---- verification --------------------------------------------------------------------------- */

static int verified(const char *a, const char *b) {
  int ok = -1;
  CHECK_OK(ecai_semcache_verify(&ok, a, strlen(a), b, strlen(b)));
  return ok;
}

TEST(semcache_verification_rules) {
  CHECK_INT_EQ(verified("How do I reset my password?", "how can i reset the password"), 1);
  CHECK_INT_EQ(verified("How do I enable notifications?", "How do I disable notifications?"), 0);
  CHECK_INT_EQ(verified("Can I pay by card?", "Can't I pay by card?"), 0);
  CHECK_INT_EQ(verified("Can I pay by card?", "Can’t I pay by card?"), 0); /* typographic apostrophe */
  CHECK_INT_EQ(verified("My card was activated", "My card was deactivated"), 0);
  CHECK_INT_EQ(verified("How do I lock my card", "how do i unlock my card"), 0);
  CHECK_INT_EQ(verified("cancel order 12345", "uncancel order 12345"), 0);
  CHECK_INT_EQ(verified("Where is order #12345?", "where is order 12346"), 0);
  CHECK_INT_EQ(verified("Where is order #12345?", "where is my order 12345"), 1);
  CHECK_INT_EQ(verified("Why was my card declined?", "How was my card declined?"), 0); /* why vs how */
  CHECK_INT_EQ(verified("How long does a refund take?", "How does a refund work?"), 0);
  CHECK_INT_EQ(verified("Is SKU AB-1234 in stock?", "is sku ab1234 in stock"), 1);
  CHECK_INT_EQ(verified("Is SKU AB-1234 in stock?", "Is SKU AB-1235 in stock?"), 0);
  CHECK_INT_EQ(verified("I want 2 mugs", "I want two mugs"), 0); /* digits vs words: conservative */
  CHECK_INT_EQ(verified("I want three mugs", "I want four mugs"), 0);
  CHECK_INT_EQ(verified("transfer 1,000 euros", "transfer 1000 euros"), 1);
  CHECK_INT_EQ(verified("I never got my refund", "I got my refund"), 0);
  CHECK_INT_EQ(verified("the app doesn't work", "the app does not work"), 1);
  CHECK_INT_EQ(verified("price 9.99", "price 9.90"), 0);
}

/* ---- semantic cache with vectors ---------------------------------------------------------------- */

static void unit(float *v, size_t dim, int axis, float tilt, int axis2) {
  memset(v, 0, dim * sizeof *v);
  v[axis] = 1;
  if (axis2 >= 0) v[axis2] = tilt;
}

TEST(semcache_partition_threshold_and_verification) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"semantic_threshold\":0.9}}");
  ecai_semcache *sc = NULL;
  const size_t D = 16;
  CHECK_OK(ecai_semcache_new(&sc, ctx, D));
  float v[16], q[16];
  unit(v, D, 0, 0, -1);
  const char *q1 = "How do I enable two-factor login?";
  CHECK_OK(ecai_semcache_put(sc, "support:en:v1", v, D, q1, strlen(q1), "ANSWER-1", 8));
  void *out = NULL;
  size_t n = 0;
  float score = 0;
  unit(q, D, 0, 0.3f, 1); /* cos = 1/sqrt(1.09) = 0.958 */
  /* (no extra content word: with one entry, every word is rare to the word rule) */
  const char *q2 = "how can I enable two-factor login";
  CHECK_OK(ecai_semcache_lookup(&out, &n, &score, sc, "support:en:v1", q, D, q2, strlen(q2)));
  CHECK_STR_EQ((char *)out, "ANSWER-1");
  CHECK_NEAR(score, 0.958, 0.001);
  ecai_free(out);
  /* another partition never matches */
  CHECK_STATUS(ecai_semcache_lookup(&out, &n, &score, sc, "support:de:v1", q, D, q2, strlen(q2)), ECAI_ENOTFOUND);
  CHECK(out == NULL);
  /* below the threshold */
  unit(q, D, 0, 0.6f, 1); /* cos = 0.857 */
  CHECK_STATUS(ecai_semcache_lookup(&out, &n, &score, sc, "support:en:v1", q, D, q2, strlen(q2)), ECAI_ENOTFOUND);
  /* similar vector but the opposite question: rejected by verification, counted */
  unit(q, D, 0, 0.1f, 1);
  const char *q3 = "How do I disable two-factor login?";
  CHECK_STATUS(ecai_semcache_lookup(&out, &n, &score, sc, "support:en:v1", q, D, q3, strlen(q3)), ECAI_ENOTFOUND);
  char *js = NULL;
  CHECK_OK(ecai_semcache_stats_json(&js, NULL, sc));
  CHECK_CONTAINS(js, "\"verify_rejects\":1");
  CHECK_CONTAINS(js, "\"hits\":1");
  ecai_free(js);
  /* with verification off the same lookup is served (what verification prevents) */
  CHECK_OK(ecai_semcache_set_int(sc, ECAI_SEMCACHE_OPT_VERIFY, 0));
  CHECK_OK(ecai_semcache_lookup(&out, &n, &score, sc, "support:en:v1", q, D, q3, strlen(q3)));
  ecai_free(out);
  /* options */
  CHECK_STATUS(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_THRESHOLD, 1.5), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_VERIFY, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_set_int(sc, ECAI_SEMCACHE_OPT_THRESHOLD, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_set_int(sc, (ecai_semcache_opt)150, 1), ECAI_EUNSUPPORTED);
  /* bad vectors */
  q[3] = NAN;
  CHECK_STATUS(ecai_semcache_put(sc, "p", q, D, "x", 1, "v", 1), ECAI_EINVAL);
  q[3] = INFINITY;
  CHECK_STATUS(ecai_semcache_lookup(&out, &n, &score, sc, "p", q, D, "x", 1), ECAI_EINVAL);
  memset(q, 0, sizeof q);
  CHECK_STATUS(ecai_semcache_put(sc, "p", q, D, "x", 1, "v", 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_put(sc, "p", v, D - 1, "x", 1, "v", 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_put(sc, "p", v, D, "\xff\xfe", 2, "v", 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_put_text(sc, "p", "hello", 5, "v", 1), ECAI_ESTATE);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

TEST(semcache_bounded_lru_eviction_and_compaction) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"semantic_max_entries\":50,\"semantic_threshold\":0.99}}");
  ecai_semcache *sc = NULL;
  const size_t D = 64;
  CHECK_OK(ecai_semcache_new(&sc, ctx, D));
  float v[64];
  char val[16];
  /* 3000 distinct directions (axis pairs) through a 50-entry cache: thousands of
   * evictions and several partition rebuilds */
  for (int i = 0; i < 3000; i++) {
    unit(v, D, i % 64, 0.5f + (float)(i / 64) * 0.01f, (i + 7) % 64);
    snprintf(val, sizeof val, "%d", i);
    CHECK_OK(ecai_semcache_put(sc, i % 2 ? "odd" : "even", v, D, "q", 1, val, strlen(val)));
  }
  char *js = NULL;
  CHECK_OK(ecai_semcache_stats_json(&js, NULL, sc));
  CHECK_CONTAINS(js, "\"entries\":50");
  CHECK_CONTAINS(js, "\"evictions\":2950");
  ecai_free(js);
  /* the newest entry is served, an evicted one is not */
  void *out = NULL;
  size_t n;
  float s;
  unit(v, D, 2999 % 64, 0.5f + (float)(2999 / 64) * 0.01f, (2999 + 7) % 64);
  CHECK_OK(ecai_semcache_lookup(&out, &n, &s, sc, "odd", v, D, "q", 1));
  CHECK_STR_EQ((char *)out, "2999");
  ecai_free(out);
  unit(v, D, 1 % 64, 0.5f, (1 + 7) % 64);
  CHECK_STATUS(ecai_semcache_lookup(&out, &n, &s, sc, "odd", v, D, "q", 1), ECAI_ENOTFOUND);
  /* one partition per customer: evicted scopes do not accumulate */
  for (int i = 0; i < 500; i++) {
    char part[32];
    snprintf(part, sizeof part, "customer-%d", i);
    unit(v, D, i % 64, 0.5f, (i + 3) % 64);
    CHECK_OK(ecai_semcache_put(sc, part, v, D, "q", 1, "x", 1));
  }
  CHECK_OK(ecai_semcache_stats_json(&js, NULL, sc));
  CHECK_CONTAINS(js, "\"partitions\":50,");
  ecai_free(js);
  unit(v, D, 499 % 64, 0.5f, (499 + 3) % 64);
  CHECK_OK(ecai_semcache_lookup(&out, &n, &s, sc, "customer-499", v, D, "q", 1));
  ecai_free(out);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

TEST(semcache_text_paraphrases_hit_and_numbers_do_not) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"semantic_threshold\":0.6}}");
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  const char *a = "Where is my order 4411? It has not arrived yet.";
  CHECK_OK(ecai_semcache_put_text(sc, "orders", a, strlen(a), "tracking-4411", 13));
  void *out = NULL;
  size_t n;
  float s;
  const char *b = "where is my order 4411, it has not arrived yet";
  CHECK_OK(ecai_semcache_lookup_text(&out, &n, &s, sc, "orders", b, strlen(b)));
  CHECK_STR_EQ((char *)out, "tracking-4411");
  ecai_free(out);
  const char *c = "Where is my order 4412? It has not arrived yet.";
  CHECK_STATUS(ecai_semcache_lookup_text(&out, &n, &s, sc, "orders", c, strlen(c)), ECAI_ENOTFOUND);
  const char *d = "How do I return a blender?";
  CHECK_STATUS(ecai_semcache_lookup_text(&out, &n, &s, sc, "orders", d, strlen(d)), ECAI_ENOTFOUND);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

TEST(semcache_allocation_failures_are_reported_not_crashes) {
  ecai_ctx *ctx = mkctx("{}");
  int failed = 0, ok = 0;
  for (long fail = 0; fail < 200 && !ok; fail++) {
    ecai_semcache *sc = NULL;
    ecai__test_fail_alloc_after(fail);
    ecai_status st = ecai_semcache_new(&sc, ctx, 0);
    if (st == ECAI_OK) st = ecai_semcache_put_text(sc, "p", "where is my parcel", 18, "v", 1);
    void *v = NULL;
    size_t n = 0;
    float s = 0;
    if (st == ECAI_OK) st = ecai_semcache_lookup_text(&v, &n, &s, sc, "p", "where is my parcel", 18);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "fail-after %ld gave %d (%s)", fail, (int)st, ecai_last_error());
    if (st == ECAI_OK) {
      ok = 1; /* enough allocations: the same question finds its value */
      CHECK(n == 1 && v && !memcmp(v, "v", 1) && s > 0.99f);
    } else failed++;
    ecai_free(v);
    ecai_semcache_free(sc);
  }
  CHECK(failed > 0); /* the first allocations did fail */
  CHECK(ok);         /* and a success was reached within the budget */
  ecai_ctx_free(ctx);
}

/* ---- Redis backend ----------------------------------------------------------------------------- */

static ecai_ctx *kept[8];

static ecai_cache *redis_cache(const char *url, const char *prefix, int timeout_ms) {
  char cfg[512];
  snprintf(cfg, sizeof cfg,
           "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"%s\",\"prefix\":\"%s\",\"timeout_ms\":%d}}", url,
           prefix, timeout_ms);
  ecai_ctx *ctx = mkctx(cfg);
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  /* the context must outlive the cache: kept until free_kept() */
  for (int i = 0; i < 8; i++)
    if (!kept[i]) {
      kept[i] = ctx;
      break;
    }
  return c;
}

static void free_kept(void) {
  for (int i = 0; i < 8; i++) {
    ecai_ctx_free(kept[i]);
    kept[i] = NULL;
  }
}

static const char *need_redis(void) {
  const char *u = ecai_test_redis_url();
  CHECK_MSG(u != NULL, "the redis fixture did not start (is redis-server installed?)");
  return u;
}

static redisReply *raw(const char *url, const char *fmt, const char *arg) {
  int port = atoi(strrchr(url, ':') + 1);
  redisContext *rc = redisConnect("127.0.0.1", port);
  CHECK(rc && !rc->err);
  redisReply *r = redisCommand(rc, fmt, arg);
  redisFree(rc);
  return r;
}

TEST(cache_redis_configuration_errors) {
  ecai_cache *c = NULL;
  const char *bad[] = {"{\"cache\":{\"backend\":\"redis\"}}",
                       "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"http://x:1\"}}",
                       "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://h:99999\"}}",
                       "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://h:1\",\"timeout_ms\":0}}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (getenv("ECAI_REDIS_URL") && i == 0) continue; /* the environment would supply the URL */
    ecai_ctx *ctx = mkctx(bad[i]);
    CHECK_STATUS(ecai_cache_new(&c, ctx), ECAI_EINVAL);
    CHECK(c == NULL);
    ecai_ctx_free(ctx);
  }
  /* nothing listens on a closed port: operations are misses, never errors */
  ecai_ctx *ctx = mkctx("{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://127.0.0.1:1\",\"timeout_ms\":50}}");
  CHECK_OK(ecai_cache_new(&c, ctx));
  put_s(c, "q", "v", 0, NULL);
  CHECK_INT_EQ(get_s(c, "q", NULL), 0);
  size_t n = 5;
  CHECK_OK(ecai_cache_invalidate_tag(&n, c, "t"));
  CHECK_INT_EQ(n, 0);
  CHECK_INT_EQ(stat_of(c, "backend_errors"), 3);
  CHECK_INT_EQ(stat_of(c, "misses"), 1);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

TEST(cache_redis_put_get_ttl_tags_namespaced) {
  const char *url = need_redis();
  ecai_cache *c = redis_cache(url, "t1:", 500);
  put_s(c, "q", "shared answer", 60000, "{\"tags\":[\"faq\"],\"saved_tokens\":10}");
  CHECK_INT_EQ(get_s(c, "q", "shared answer"), 1);
  CHECK_INT_EQ(get_s(c, "other", NULL), 0);
  /* a second handle (another web server) sees it */
  ecai_cache *c2 = redis_cache(url, "t1:", 500);
  CHECK_INT_EQ(get_s(c2, "q", "shared answer"), 1);
  /* key layout: prefix + v1: + hex, with a PX TTL */
  uint8_t k[16];
  key_of(k, "q");
  char name[64] = "t1:v1:";
  for (int i = 0; i < 16; i++) sprintf(name + 6 + 2 * i, "%02x", k[i]);
  redisReply *r = raw(url, "PTTL %s", name);
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= 60000);
  freeReplyObject(r);
  /* the tag set expires with its longest-lived member */
  put_s(c, "q-long", "x", 120000, "{\"tags\":[\"faq\"]}");
  r = raw(url, "PTTL %s", "t1:v1:tag:faq");
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 60000 && r->integer <= 120000);
  freeReplyObject(r);
  /* a different prefix is another namespace */
  ecai_cache *c3 = redis_cache(url, "other:", 500);
  CHECK_INT_EQ(get_s(c3, "q", NULL), 0);
  size_t n = 0;
  CHECK_OK(ecai_cache_invalidate_tag(&n, c2, "faq"));
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(get_s(c, "q", NULL), 0);
  CHECK_INT_EQ(get_s(c, "q-long", NULL), 0);
  CHECK_INT_EQ(stat_of(c, "tokens_saved"), 10);
  CHECK_INT_EQ(stat_of(c, "backend_errors"), 0);
  put_s(c, "gone", "x", 0, NULL);
  CHECK_OK(ecai_cache_clear(c));
  CHECK_INT_EQ(get_s(c, "gone", NULL), 0);
  CHECK_STATUS(ecai_cache_save(c, "/tmp/x"), ECAI_EUNSUPPORTED);
  ecai_cache_free(c);
  ecai_cache_free(c2);
  ecai_cache_free(c3);
  free_kept();
}

TEST(cache_redis_product_invalidation_and_shared_counter) {
  const char *url = need_redis();
  ecai_cache *c = redis_cache(url, "t2:", 500);
  product_invalidation_case(c);
  ecai_cache *c2 = redis_cache(url, "t2:", 500);
  double t = 0;
  CHECK_OK(ecai_cache_counter_add(&t, c, "spend:day", 0.75, 86400));
  CHECK_OK(ecai_cache_counter_add(&t, c2, "spend:day", 0.5, 86400));
  CHECK_NEAR(t, 1.25, 1e-9);
  redisReply *r = raw(url, "TTL %s", "t2:v1:ctr:spend:day");
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 86000 && r->integer <= 86400);
  freeReplyObject(r);
  ecai_cache_free(c);
  ecai_cache_free(c2);
  free_kept();
}

TEST(cache_redis_outage_degrades_to_miss_and_recovers) {
  int port = 0;
  pid_t pid = 0;
  CHECK_MSG(ecai_test_redis_spawn(&port, &pid) == 0, "cannot start redis-server");
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  ecai_cache *c = redis_cache(url, "t3:", 100);
  put_s(c, "q", "v", 0, NULL);
  CHECK_INT_EQ(get_s(c, "q", "v"), 1);
  /* a hung server: the read times out, the get is a miss, not an error */
  kill(pid, SIGSTOP);
  CHECK_INT_EQ(get_s(c, "q", NULL), 0);
  put_s(c, "q2", "v2", 0, NULL); /* dropped, OK */
  CHECK(stat_of(c, "backend_errors") >= 2);
  double t;
  CHECK_STATUS(ecai_cache_counter_add(&t, c, "n", 1, 0), ECAI_EIO);
  kill(pid, SIGCONT);
  CHECK_INT_EQ(get_s(c, "q", "v"), 1); /* reconnected */
  /* a dead server: misses; a restarted one on the same port: works again */
  ecai_test_redis_kill(pid);
  CHECK_INT_EQ(get_s(c, "q", NULL), 0);
  long long errs = stat_of(c, "backend_errors");
  CHECK(errs >= 3);
  pid_t pid2 = 0;
  CHECK_MSG(ecai_test_redis_spawn(&port, &pid2) == 0, "cannot restart redis-server");
  CHECK_INT_EQ(get_s(c, "q", NULL), 0); /* no persistence: the data is gone, the link is back */
  CHECK_INT_EQ(stat_of(c, "backend_errors"), errs);
  put_s(c, "q", "again", 0, NULL);
  CHECK_INT_EQ(get_s(c, "q", "again"), 1);
  ecai_cache_free(c);
  ecai_test_redis_kill(pid2);
  free_kept();
}
