/* Core: version, status codes, errors, context configuration, secrets, logging, memory. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"
#include "harness.h"

static ecai_status ctx_from(ecai_ctx **c, const char *json) { return ecai_ctx_new(c, json, strlen(json)); }

TEST(version_macro_matches_runtime) {
  CHECK_INT_EQ(ecai_version_number(), ECAI_VERSION_NUMBER);
  CHECK_STR_EQ(ecai_version_string(), ECAI_VERSION_STRING);
  CHECK_INT_EQ(ecai_version_number() / 10000, ECAI_VERSION_MAJOR);
}

TEST(status_str_names_every_code) {
  for (int s = 0; s >= ECAI_ECANCELED; s--) {
    const char *n = ecai_status_str((ecai_status)s);
    CHECK(n != NULL);
    CHECK_MSG(strncmp(n, "ECAI_", 5) == 0 && strstr(n, "?") == NULL, "code %d has no name: %s", s, n);
  }
  CHECK_CONTAINS(ecai_status_str((ecai_status)-999), "unknown");
  CHECK_CONTAINS(ecai_status_str(ECAI_ECORRUPT), "ECAI_ECORRUPT");
}

/* A second thread: records what it sees before and after its own failure. */
typedef struct {
  char before[256], after[256];
  ecai_status st;
} err_seen;

static void *fail_in_other_thread(void *p) {
  err_seen *e = p;
  snprintf(e->before, sizeof e->before, "%s", ecai_last_error());
  ecai_ctx *c = NULL;
  e->st = ecai_ctx_new(&c, "{\"nope\":1}", 10);
  snprintf(e->after, sizeof e->after, "%s", ecai_last_error());
  ecai_ctx_free(c);
  return NULL;
}

TEST(last_error_is_thread_local_and_survives_success) {
  ecai_ctx *c = NULL;
  CHECK_STATUS(ecai_ctx_new(NULL, "{}", 2), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "'out' is NULL");
  CHECK_OK(ctx_from(&c, "{}"));
  CHECK_CONTAINS(ecai_last_error(), "'out' is NULL"); /* a success does not clear it */
  ecai_ctx_free(c);
  /* another thread starts with no error, gets its own, and leaves this thread's alone */
  err_seen e;
  memset(&e, 0, sizeof e);
  pthread_t t;
  CHECK_INT_EQ(pthread_create(&t, NULL, fail_in_other_thread, &e), 0);
  pthread_join(t, NULL);
  CHECK_STR_EQ(e.before, "");
  CHECK_INT_EQ(e.st, ECAI_EINVAL);
  CHECK_CONTAINS(e.after, "nope");
  CHECK(strstr(e.after, "'out' is NULL") == NULL);
  CHECK_CONTAINS(ecai_last_error(), "'out' is NULL");
  CHECK(strstr(ecai_last_error(), "nope") == NULL);
}

TEST(ctx_defaults_without_config) {
  ecai_ctx *c = NULL;
  const char *s;
  double d;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  CHECK_OK(ecai_ctx_get_str(&s, c, "llm.provider"));
  CHECK_STR_EQ(s, "none");
  CHECK_OK(ecai_ctx_get_str(&s, c, "embedder.kind"));
  CHECK_STR_EQ(s, "builtin");
  CHECK_OK(ecai_ctx_get_number(&d, c, "llm.timeout_ms"));
  CHECK_NEAR(d, 30000, 0);
  CHECK_STATUS(ecai_ctx_get_str(&s, c, "llm.nothing"), ECAI_ENOTFOUND);
  CHECK(s == NULL);
  ecai_ctx_free(c);
}

TEST(ctx_reads_values_from_document) {
  ecai_ctx *c = NULL;
  const char *s;
  double d;
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"model\":\"m-1\",\"temperature\":0.5},"
                        "\"index\":{\"type\":\"HNSW32\"}}"));
  CHECK_OK(ecai_ctx_get_str(&s, c, "llm.model"));
  CHECK_STR_EQ(s, "m-1");
  CHECK_OK(ecai_ctx_get_str(&s, c, "index.type"));
  CHECK_STR_EQ(s, "HNSW32");
  CHECK_OK(ecai_ctx_get_number(&d, c, "llm.temperature"));
  CHECK_NEAR(d, 0.5, 1e-12);
  CHECK_OK(ecai_ctx_get_number(&d, c, "llm.max_retries")); /* default kept beside set keys */
  CHECK_NEAR(d, 2, 0);
  ecai_ctx_free(c);
}

TEST(ctx_unknown_key_names_path_and_suggests) {
  ecai_ctx *c = (ecai_ctx *)1;
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{\"modle\":\"x\"}}"), ECAI_EINVAL);
  CHECK(c == NULL);
  CHECK_CONTAINS(ecai_last_error(), "'llm.modle'");
  CHECK_CONTAINS(ecai_last_error(), "did you mean 'llm.model'");
  CHECK_STATUS(ctx_from(&c, "{\"zzzzzzzz\":1}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "unknown key 'zzzzzzzz'");
}

TEST(ctx_wrong_type_and_bad_choice) {
  ecai_ctx *c;
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{\"timeout_ms\":\"fast\"}}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "'llm.timeout_ms' must be an integer");
  CHECK_STATUS(ctx_from(&c, "{\"llm\":[]}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "'llm' must be an object");
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{\"provider\":\"skynet\"}}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "none|openai|anthropic");
  CHECK_STATUS(ctx_from(&c, "[1,2]"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "must be a JSON object");
}

TEST(ctx_malformed_json_gives_position) {
  ecai_ctx *c;
  CHECK_STATUS(ctx_from(&c, "{\"llm\": {\"model\": \"x\",\n }"), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 2");
  CHECK_CONTAINS(ecai_last_error(), "byte");
  CHECK_STATUS(ctx_from(&c, "{\"llm\":{},\"llm\":{}}"), ECAI_EPARSE); /* duplicate key */
  CHECK_STATUS(ecai_ctx_new(&c, "{\"a\":\"\xff\"}", 8), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "invalid UTF-8 at byte 6");
  CHECK_STATUS(ecai_ctx_new(&c, NULL, 5), ECAI_EINVAL);
}

TEST(ctx_len_is_respected_not_nul) {
  ecai_ctx *c = NULL;
  const char *s;
  const char doc[] = "{\"llm\":{\"model\":\"abc\"}}GARBAGE";
  CHECK_OK(ecai_ctx_new(&c, doc, strlen(doc) - 7));
  CHECK_OK(ecai_ctx_get_str(&s, c, "llm.model"));
  CHECK_STR_EQ(s, "abc");
  ecai_ctx_free(c);
}

TEST(ctx_secret_from_env_is_never_shown) {
  ecai_ctx *c = NULL;
  const char *s;
  char *js = NULL;
  size_t n = 0;
  setenv("ECAI_TEST_KEY_VAR", "sk-planted-secret-123", 1);
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"provider\":\"openai\",\"api_key_env\":\"ECAI_TEST_KEY_VAR\"}}"));
  CHECK_STR_EQ(ecai__ctx_secret(c, "llm.api_key"), "sk-planted-secret-123");
  CHECK_STATUS(ecai_ctx_get_str(&s, c, "llm.api_key"), ECAI_EINVAL);
  CHECK_OK(ecai_ctx_config_json(&js, &n, c));
  CHECK(js != NULL && strlen(js) == n);
  CHECK(strstr(js, "sk-planted") == NULL);
  CHECK_CONTAINS(js, "\"api_key_set\":true");
  CHECK_CONTAINS(js, "\"api_key\":\"***\"");
  CHECK_CONTAINS(js, "\"embedder\":{");
  ecai_free(js);
  ecai_ctx_free(c);
  unsetenv("ECAI_TEST_KEY_VAR");
}

TEST(ctx_env_override_beats_document) {
  ecai_ctx *c = NULL;
  setenv("ECAI_LLM_API_KEY", "from-the-environment", 1);
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"api_key\":\"from-the-document\"}}"));
  CHECK_STR_EQ(ecai__ctx_secret(c, "llm.api_key"), "from-the-environment");
  ecai_ctx_free(c);
  unsetenv("ECAI_LLM_API_KEY");
  c = NULL;
  CHECK_OK(ctx_from(&c, "{}"));
  CHECK(ecai__ctx_secret(c, "llm.api_key") == NULL);
  ecai_ctx_free(c);
}

typedef struct {
  int calls;
  char last[256];
  ecai_log_level level;
} log_sink;

static void sink(ecai_log_level level, const char *msg, void *payload) {
  log_sink *s = payload;
  s->calls++;
  s->level = level;
  snprintf(s->last, sizeof s->last, "%s", msg);
}

TEST(log_levels_and_redaction) {
  ecai_ctx *c = NULL;
  log_sink s = {0};
  CHECK_OK(ctx_from(&c, "{\"llm\":{\"api_key\":\"sk-abcdef123456\"}}"));
  CHECK_OK(ecai_ctx_set_log(c, ECAI_LOG_INFO, sink, &s));
  ecai__log(c, ECAI_LOG_DEBUG, "hidden %d", 1);
  CHECK_INT_EQ(s.calls, 0);
  ecai__log(c, ECAI_LOG_WARN, "calling with key sk-abcdef123456 twice sk-abcdef123456!");
  CHECK_INT_EQ(s.calls, 1);
  CHECK_INT_EQ(s.level, ECAI_LOG_WARN);
  CHECK_STR_EQ(s.last, "calling with key *** twice ***!");
  CHECK_STATUS(ecai_ctx_set_log(c, (ecai_log_level)7, sink, &s), ECAI_EINVAL);
  CHECK_OK(ecai_ctx_set_log(c, ECAI_LOG_OFF, sink, &s));
  ecai__log(c, ECAI_LOG_ERROR, "silenced");
  CHECK_INT_EQ(s.calls, 1);
  ecai_ctx_free(c);
}

TEST(null_arguments_are_einval_not_crashes) {
  const char *s;
  double d;
  char *js;
  CHECK_STATUS(ecai_ctx_new_from_file(NULL, "x"), ECAI_EINVAL);
  ecai_ctx *c = NULL;
  CHECK_STATUS(ecai_ctx_new_from_file(&c, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_ctx_get_str(&s, NULL, "a"), ECAI_EINVAL);
  CHECK_STATUS(ecai_ctx_get_str(NULL, NULL, "a"), ECAI_EINVAL);
  CHECK_STATUS(ecai_ctx_get_number(&d, NULL, "a"), ECAI_EINVAL);
  CHECK_STATUS(ecai_ctx_config_json(&js, NULL, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_ctx_set_log(NULL, ECAI_LOG_INFO, NULL, NULL), ECAI_EINVAL);
  ecai_ctx_free(NULL);
  ecai_free(NULL);
}

TEST(ctx_from_file_names_the_file) {
  ecai_ctx *c = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/cfg.json", ecai_test_tmpdir());
  CHECK_STATUS(ecai_ctx_new_from_file(&c, path), ECAI_EIO);
  CHECK_CONTAINS(ecai_last_error(), "cfg.json");
  FILE *f = fopen(path, "w");
  fputs("{\"log_level\": \"debug\", \"llm\": {\"model\": 5}}", f);
  fclose(f);
  CHECK_STATUS(ecai_ctx_new_from_file(&c, path), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "cfg.json: config: key 'llm.model' must be a string");
  f = fopen(path, "w");
  fputs("{\"log_level\": \"debug\"}", f);
  fclose(f);
  CHECK_OK(ecai_ctx_new_from_file(&c, path));
  ecai_ctx_free(c);
}

TEST(ctx_new_survives_every_allocation_failure) {
  /* Fail the Nth allocation for N = 0, 1, 2, ... until creation succeeds: every
   * failure must be a clean ECAI_ENOMEM with nothing leaked. */
  int n;
  for (n = 0; n < 1000; n++) {
    ecai_ctx *c = NULL;
    long before = ecai__alloc_live();
    ecai__test_fail_alloc_after(n);
    ecai_status st = ctx_from(&c, "{\"llm\":{\"api_key\":\"sk-1234567\",\"model\":\"m\"}}");
    ecai__test_fail_alloc_after(-1);
    if (st == ECAI_OK) {
      ecai_ctx_free(c);
      break;
    }
    CHECK_INT_EQ(st, ECAI_ENOMEM);
    CHECK(c == NULL);
    CHECK_INT_EQ(ecai__alloc_live(), before);
  }
  CHECK(n > 0 && n < 1000);
}

TEST(allocator_hooks_route_and_refuse_when_busy) {
  ecai_ctx *c = NULL;
  CHECK_OK(ctx_from(&c, "{}"));
  CHECK_STATUS(ecai_global_set_allocator(malloc, realloc, free), ECAI_ESTATE);
  ecai_ctx_free(c);
  CHECK_STATUS(ecai_global_set_allocator(malloc, NULL, free), ECAI_EINVAL);
  CHECK_OK(ecai_global_set_allocator(malloc, realloc, free));
  CHECK_OK(ecai_global_set_allocator(NULL, NULL, NULL));
  CHECK_OK(ecai_global_init());
  CHECK_STATUS(ecai_global_set_allocator(NULL, NULL, NULL), ECAI_ESTATE);
  CHECK_OK(ecai_global_init());
  ecai_global_cleanup();
  CHECK_STATUS(ecai_global_set_allocator(NULL, NULL, NULL), ECAI_ESTATE); /* still one ref */
  ecai_global_cleanup();
  ecai_global_cleanup(); /* extra calls are ignored */
  CHECK_OK(ecai_global_set_allocator(NULL, NULL, NULL));
}

static long counted_mallocs;
static void *count_malloc(size_t n) { counted_mallocs++; return malloc(n); }

TEST(allocator_hooks_are_used) {
  ecai_ctx *c = NULL;
  counted_mallocs = 0;
  CHECK_OK(ecai_global_set_allocator(count_malloc, realloc, free));
  CHECK_OK(ctx_from(&c, "{}"));
  CHECK(counted_mallocs > 0);
  ecai_ctx_free(c);
  CHECK_OK(ecai_global_set_allocator(NULL, NULL, NULL));
}

TEST(buffer_appends_and_hands_over) {
  ecai__buf b = {0};
  CHECK(ecai__buf_puts(&b, "abc"));
  CHECK(ecai__buf_printf(&b, "-%d-", 42));
  for (int i = 0; i < 1000; i++) CHECK(ecai__buf_append(&b, "x", 1));
  size_t n = 0;
  char *s = ecai__buf_take(&b, &n);
  CHECK_INT_EQ(n, 1007);
  CHECK(strncmp(s, "abc-42-xx", 9) == 0);
  CHECK(b.data == NULL);
  ecai_free(s);
}

TEST(utf8_validation_reports_offset) {
  size_t off = 0;
  CHECK(ecai__utf8_valid("plain", 5, &off));
  CHECK(ecai__utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9b\x8b", 14, &off));
  CHECK(!ecai__utf8_valid("ab\xc3", 3, &off)); /* truncated */
  CHECK_INT_EQ(off, 2);
  CHECK(!ecai__utf8_valid("\xc0\xaf", 2, &off)); /* overlong */
  CHECK_INT_EQ(off, 0);
  CHECK(!ecai__utf8_valid("x\xed\xa0\x80", 4, &off)); /* surrogate */
  CHECK_INT_EQ(off, 1);
  CHECK(!ecai__utf8_valid("\xf4\x90\x80\x80", 4, &off)); /* > U+10FFFF */
  CHECK(!ecai__utf8_valid("ok\x80", 3, &off));
  CHECK_INT_EQ(off, 2);
}

TEST(smap_owned_put_get_set_delete_and_growth) {
  ecai__smap m = {0};
  char key[32];
  for (size_t i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "sku-%zu", i);
    size_t v = i * 3;
    bool found = true;
    CHECK(ecai__smap_put(&m, key, strlen(key), &v, &found));
    CHECK(!found);
  }
  CHECK_INT_EQ(m.n, 5000);
  size_t v = 0;
  bool found = false;
  CHECK(ecai__smap_put(&m, "sku-42", 6, &v, &found)); /* insert-if-absent keeps the old value */
  CHECK(found);
  CHECK_INT_EQ(v, 126);
  CHECK(ecai__smap_set(&m, "sku-42", 6, 7)); /* set replaces */
  CHECK(ecai__smap_get(&m, "sku-42", 6, &v));
  CHECK_INT_EQ(v, 7);
  for (size_t i = 0; i < 5000; i += 2) {
    snprintf(key, sizeof key, "sku-%zu", i);
    CHECK(ecai__smap_del(&m, key, strlen(key)));
  }
  CHECK(!ecai__smap_del(&m, "sku-0", 5));
  CHECK_INT_EQ(m.n, 2500);
  for (size_t i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "sku-%zu", i);
    bool hit = ecai__smap_get(&m, key, strlen(key), &v);
    CHECK_INT_EQ(hit, i % 2 == 1);
    if (hit && i != 42) CHECK_INT_EQ(v, i * 3);
  }
  /* deleted slots are reused: re-adding does not grow without bound */
  size_t cap = m.cap;
  for (int round = 0; round < 20; round++) {
    CHECK(ecai__smap_set(&m, "churn", 5, (size_t)round));
    CHECK(ecai__smap_del(&m, "churn", 5));
  }
  CHECK_INT_EQ(m.cap, cap);
  CHECK(ecai__smap_get(&m, "x\0y", 3, NULL) == false); /* binary keys compare by length */
  CHECK(ecai__smap_set(&m, "x\0y", 3, 1));
  CHECK(!ecai__smap_get(&m, "x", 1, NULL));
  ecai__smap_free(&m);
}

TEST(smap_borrowed_reserve_then_inserts_cannot_fail) {
  ecai__smap m;
  ecai__smap_init_borrowed(&m);
  static char keys[100][8];
  CHECK(ecai__smap_reserve(&m, 100));
  ecai__test_fail_alloc_after(0); /* any allocation now would fail */
  for (int i = 0; i < 100; i++) {
    snprintf(keys[i], sizeof keys[i], "k%d", i);
    CHECK(ecai__smap_set(&m, keys[i], strlen(keys[i]), (size_t)i));
  }
  ecai__test_fail_alloc_after(-1);
  size_t v;
  CHECK(ecai__smap_get(&m, "k99", 3, &v));
  CHECK_INT_EQ(v, 99);
  CHECK(m.keys != NULL);
  ecai__smap_free(&m);
  CHECK(m.borrowed); /* free keeps the mode, the map can be reused */
}
