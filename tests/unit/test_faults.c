/*
 * Faults under concurrent load: several threads use ecai_llm (one handle each, plus one
 * handle shared by all) against a fake LLM server of the case's own and one shared
 * Redis-backed ecai_cache (also attached to every LLM handle), while the main thread
 * SIGKILLs the fake LLM server and redis-server mid-run and restarts both on the same
 * ports. Phases (the main thread moves them; workers check each call against the phase
 * it started AND ended in, so a call straddling a change is only required to return a
 * clean status):
 *   UP        every LLM call answers "echo: <question>", every cache put/get hits;
 *   DOWN      LLM calls fail with a transport status or, once the circuit breaker is
 *             open, ECAI_ESTATE without a request; cache gets are misses, puts are
 *             dropped with ECAI_OK; every call returns within the configured timeouts;
 *   UP_AGAIN  every thread sees an LLM success again (the breaker half-opens and the
 *             probe closes it) and cache hits again, and after its first success every
 *             further call succeeds.
 * One more thread exercises the callers' fallbacks on the same servers: ecai_support_answer
 * (LLM answer when up; during the outage ECAI_OK with an escalation, reason "llm_error")
 * and ecai_recommend_rerank (model order when up; during the outage ECAI_OK with the
 * plain ranking and "llm": {"used": false}).
 * The main thread waits for conditions with bounded polling (no sleep is an assertion).
 * Name contains "concurrent" so `make tsan` runs it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fakellm_fixture.h"
#include "harness.h"
#include "redis_fixture.h"

#define NT 4
/* configured timeouts (ms) and the bound every single call must respect */
#define LLM_TIMEOUT_MS 1500
#define LLM_CONNECT_MS 300
#define REDIS_TIMEOUT_MS 100
#define BREAKER_COOLDOWN_MS 150
/* LLM: (1 + max_retries) attempts + backoff + the cache round trips; generous slack for
 * sanitizer builds. A hang (no timeout honoured) would take far longer. */
#define CALL_BOUND_MS (2 * LLM_TIMEOUT_MS + 2 * REDIS_TIMEOUT_MS + 3000)

enum { UP = 0, DOWN = 1, UP_AGAIN = 2, STOP = 3, MOVING = 9 };

static atomic_int phase;
static atomic_int failures;
static char fail_msg[512];
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
  int id;
  ecai_llm *own;
  /* counters read by the main thread */
  atomic_int up_ok, down_llm_fail, down_breaker, down_miss, again_ok, again_hit, again_after_ok;
  atomic_int done;
  int llm_recovered, cache_recovered;
} worker;

static ecai_llm *g_shared;
static ecai_cache *g_cache;

#define TFAIL(...)                                                                     \
  do {                                                                                 \
    pthread_mutex_lock(&fail_mu);                                                      \
    if (!atomic_load(&failures)) snprintf(fail_msg, sizeof fail_msg, __VA_ARGS__);     \
    atomic_fetch_add(&failures, 1);                                                    \
    pthread_mutex_unlock(&fail_mu);                                                    \
  } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int clean_llm_failure(ecai_status st) {
  return st == ECAI_EHTTP || st == ECAI_ETIMEOUT || st == ECAI_ESTATE;
}

/* One LLM call; returns its status, checks the answer on success. */
static ecai_status ask(worker *w, ecai_llm *l, const char *q, double *ms) {
  ecai_prompt *p = NULL;
  ecai_llm_reply *r = NULL;
  if (ecai_prompt_new(&p) || ecai_prompt_add(p, ECAI_LLM_USER, q, strlen(q))) {
    TFAIL("t%d: prompt: %s", w->id, ecai_last_error());
    ecai_prompt_free(p);
    return ECAI_ERROR;
  }
  double t0 = now_ms();
  ecai_status st = ecai_llm_chat(&r, l, p);
  *ms = now_ms() - t0;
  if (st == ECAI_OK) {
    char want[160];
    snprintf(want, sizeof want, "echo: %s", q);
    const char *txt = ecai_llm_reply_text(r, NULL);
    if (!txt || strcmp(txt, want) != 0) TFAIL("t%d: answer '%s' for '%s'", w->id, txt ? txt : "(null)", q);
  } else if (r != NULL) {
    TFAIL("t%d: failed call returned a reply", w->id);
  }
  ecai_llm_reply_free(r);
  ecai_prompt_free(p);
  if (*ms > CALL_BOUND_MS) TFAIL("t%d: an LLM call took %.0f ms (status %d)", w->id, *ms, (int)st);
  if (st != ECAI_OK && !clean_llm_failure(st))
    TFAIL("t%d: LLM call failed with an unexpected status %d (%s): %s", w->id, (int)st, ecai_status_str(st),
          ecai_last_error());
  return st;
}

/* put + get of a key of this thread; returns 1 on a hit with the right value, 0 on a miss. */
static int cache_round(worker *w, int i, double *ms) {
  char k[64], v[64];
  uint8_t key[16];
  snprintf(k, sizeof k, "fault-key-%d-%d", w->id, i);
  snprintf(v, sizeof v, "value-%d-%d", w->id, i);
  ecai_cache_key_from_bytes(key, k, strlen(k));
  double t0 = now_ms();
  ecai_status st = ecai_cache_put(g_cache, key, v, strlen(v), 60000, NULL);
  if (st != ECAI_OK) TFAIL("t%d: cache put returned %d: %s", w->id, (int)st, ecai_last_error());
  void *out = NULL;
  size_t n = 0;
  st = ecai_cache_get(&out, &n, g_cache, key);
  *ms = now_ms() - t0;
  int hit = 0;
  if (st == ECAI_OK) {
    if (n != strlen(v) || memcmp(out, v, n) != 0) TFAIL("t%d: cache value of %s is wrong", w->id, k);
    hit = 1;
  } else if (st != ECAI_ENOTFOUND) {
    TFAIL("t%d: cache get returned %d (want OK or ENOTFOUND): %s", w->id, (int)st, ecai_last_error());
  }
  ecai_free(out);
  if (*ms > 4 * REDIS_TIMEOUT_MS + 3000) TFAIL("t%d: a cache round took %.0f ms", w->id, *ms);
  return hit;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  char q[128];
  for (int i = 0; atomic_load(&phase) != STOP && !atomic_load(&failures); i++) {
    int ph0 = atomic_load(&phase);
    /* unique questions: every UP call is a cache miss and goes to the server */
    snprintf(q, sizeof q, "thread %d question %d", w->id, i);
    ecai_llm *l = (i % 3 == 2) ? g_shared : w->own;
    double ms;
    ecai_status st = ask(w, l, q, &ms);
    int ph1 = atomic_load(&phase);
    if (ph0 == ph1) {
      if (ph0 == UP) {
        if (st != ECAI_OK) TFAIL("t%d: LLM call failed while the server was up: %s", w->id, ecai_last_error());
        else atomic_fetch_add(&w->up_ok, 1);
      } else if (ph0 == DOWN) {
        if (st == ECAI_OK) TFAIL("t%d: LLM call succeeded while the server was dead", w->id);
        else atomic_fetch_add(&w->down_llm_fail, 1);
        if (st == ECAI_ESTATE && l == w->own) atomic_fetch_add(&w->down_breaker, 1);
      } else if (ph0 == UP_AGAIN) {
        if (st == ECAI_OK) {
          if (l == w->own) w->llm_recovered = 1;
          atomic_fetch_add(&w->again_ok, 1);
        } else if (w->llm_recovered && l == w->own) {
          TFAIL("t%d: LLM call failed after this thread had recovered: %s", w->id, ecai_last_error());
        }
        if (w->llm_recovered && st == ECAI_OK) atomic_fetch_add(&w->again_after_ok, 1);
      }
    }
    ph0 = atomic_load(&phase);
    int hit = cache_round(w, i, &ms);
    ph1 = atomic_load(&phase);
    if (ph0 == ph1) {
      if (ph0 == UP && !hit) TFAIL("t%d: cache miss while redis was up", w->id);
      if (ph0 == DOWN) {
        if (hit) TFAIL("t%d: cache hit while redis was dead", w->id);
        else atomic_fetch_add(&w->down_miss, 1);
      }
      if (ph0 == UP_AGAIN) {
        if (hit) {
          w->cache_recovered = 1;
          atomic_fetch_add(&w->again_hit, 1);
        } else if (w->cache_recovered) {
          TFAIL("t%d: cache miss after redis had recovered", w->id);
        }
      }
    }
  }
  atomic_store(&w->done, 1);
  return NULL;
}

/* ---- the fallback worker: support answers and LLM reranking ---------------------------- */
typedef struct {
  ecai_ctx *ctx;
  ecai_kb *kb;
  ecai_support *sup;
  ecai_recommend *reco;
  ecai_llm *rl;
  atomic_int up_ok, down_fallback, again_ok;
  int recovered;
} fallback;

static fallback g_fb;

static const char *jstr(json_t *j, const char *k) { return json_string_value(json_object_get(j, k)); }

/* 1: both answered by the model, 0: both fell back cleanly, -1: mixed (straddling a change) */
static int fallback_round(void) {
  char *out = NULL;
  int llm_answer = -1, llm_rerank = -1;
  ecai_status st = ecai_support_answer(&out, NULL, g_fb.sup, "How many days do I have to return an item?", NULL, NULL);
  if (st != ECAI_OK) {
    TFAIL("support: ecai_support_answer returned %d: %s", (int)st, ecai_last_error());
    return -1;
  }
  json_t *j = json_loads(out, 0, NULL);
  ecai_free(out);
  if (json_is_false(json_object_get(j, "escalated")) && jstr(j, "mode") && !strcmp(jstr(j, "mode"), "llm"))
    llm_answer = 1;
  else if (json_is_true(json_object_get(j, "escalated")) && jstr(j, "reason") && !strcmp(jstr(j, "reason"), "llm_error"))
    llm_answer = 0;
  else
    TFAIL("support: unexpected result (escalated %d, reason %s)", json_is_true(json_object_get(j, "escalated")),
          jstr(j, "reason") ? jstr(j, "reason") : "-");
  json_decref(j);
  const char *req = "{\"cart\":[\"mug\"],\"k\":3}";
  st = ecai_recommend_rerank(&out, NULL, g_fb.reco, g_fb.rl, req, strlen(req));
  if (st != ECAI_OK) {
    TFAIL("rerank returned %d: %s", (int)st, ecai_last_error());
    return -1;
  }
  j = json_loads(out, 0, NULL);
  ecai_free(out);
  json_t *items = json_object_get(j, "items");
  json_t *used = json_object_get(json_object_get(j, "llm"), "used");
  if (json_array_size(items) < 2) TFAIL("rerank: %zu items", json_array_size(items));
  const char *first = json_string_value(json_object_get(json_array_get(items, 0), "id"));
  if (json_is_true(used)) {
    llm_rerank = 1;
    if (!first || strcmp(first, "spoon") != 0) TFAIL("rerank: the model's order was not followed (%s)", first);
  } else if (json_is_false(used)) {
    llm_rerank = 0;
    if (!first || strcmp(first, "coffee") != 0) TFAIL("rerank fallback: plain order expected, got %s", first);
  }
  json_decref(j);
  return llm_answer == llm_rerank ? llm_answer : -1;
}

static void *fallback_main(void *arg) {
  (void)arg;
  while (atomic_load(&phase) != STOP && !atomic_load(&failures)) {
    int ph0 = atomic_load(&phase);
    int r = fallback_round();
    if (ph0 != atomic_load(&phase)) continue;
    if (ph0 == UP) {
      if (r != 1) TFAIL("fallback worker: the model did not answer while the server was up");
      else atomic_fetch_add(&g_fb.up_ok, 1);
    } else if (ph0 == DOWN) {
      if (r != 0) TFAIL("fallback worker: no clean fallback while the server was dead (%d)", r);
      else atomic_fetch_add(&g_fb.down_fallback, 1);
    } else if (ph0 == UP_AGAIN) {
      if (r == 1) {
        g_fb.recovered = 1;
        atomic_fetch_add(&g_fb.again_ok, 1);
      } else if (g_fb.recovered) {
        TFAIL("fallback worker: fell back again after recovering");
      }
    }
  }
  return NULL;
}

static void fallback_setup(int lport) {
  char cfg[1024];
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"http://127.0.0.1:%d\",\"model\":\"m\","
           "\"timeout_ms\":%d,\"connect_timeout_ms\":%d,\"max_retries\":0,"
           "\"breaker_threshold\":2,\"breaker_cooldown_ms\":%d}}",
           lport, LLM_TIMEOUT_MS, LLM_CONNECT_MS, BREAKER_COOLDOWN_MS);
  CHECK_OK(ecai_ctx_new(&g_fb.ctx, cfg, strlen(cfg)));
  CHECK_OK(ecai_kb_new(&g_fb.kb, g_fb.ctx));
  const char *md = "# Shop policy\n\n## Returns\n\nYou can return most items within 30 days of delivery for a full "
                   "refund.\n\n## Shipping\n\nStandard delivery takes 3 to 5 business days.\n";
  CHECK_OK(ecai_kb_add_text(NULL, g_fb.kb, "policy.md", md, strlen(md), ECAI_KB_MARKDOWN));
  CHECK_OK(ecai_support_new(&g_fb.sup, g_fb.ctx, g_fb.kb));
  CHECK_OK(ecai_llm_set_str(ecai_support_llm(g_fb.sup), ECAI_LLM_OPT_HEADER,
                            "X-Fake-Answer: You can return most items within 30 days of delivery for a full refund."));
  CHECK_OK(ecai_recommend_new(&g_fb.reco, NULL));
  static const char *orders[][3] = {{"mug", "coffee", "spoon"}, {"mug", "coffee", NULL}, {"mug", "coffee", "spoon"},
                                    {"mug", "coffee", NULL}, {"mug", "spoon", NULL}};
  char oid[16];
  for (int i = 0; i < 5; i++) {
    snprintf(oid, sizeof oid, "o%d", i);
    CHECK_OK(ecai_recommend_add_order(g_fb.reco, oid, "c1", 1700000000 + i * 3600, orders[i], NULL, NULL,
                                      orders[i][2] ? 3 : 2));
  }
  CHECK_OK(ecai_recommend_fit(g_fb.reco));
  CHECK_OK(ecai_llm_new(&g_fb.rl, g_fb.ctx));
  CHECK_OK(ecai_llm_set_str(g_fb.rl, ECAI_LLM_OPT_HEADER, "X-Fake-Answer: {\"ids\": [\"spoon\", \"coffee\"]}"));
}

static void fallback_free(void) {
  ecai_llm_free(g_fb.rl);
  ecai_recommend_free(g_fb.reco);
  ecai_support_free(g_fb.sup);
  ecai_kb_free(g_fb.kb);
  ecai_ctx_free(g_fb.ctx);
  memset(&g_fb, 0, sizeof g_fb);
}

/* Bounded polling: waits until cond(ws) holds for every worker or a failure is recorded. */
static int wait_all(worker *ws, int (*cond)(worker *), int limit_ms) {
  double end = now_ms() + limit_ms;
  for (;;) {
    int all = 1;
    for (int i = 0; i < NT; i++) all &= cond(&ws[i]);
    all &= cond(NULL); /* the fallback worker */
    if (all) return 1;
    if (atomic_load(&failures) || now_ms() > end) return 0;
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
}

/* each condition with w == NULL tests the fallback worker */
static int c_up(worker *w) { return w ? atomic_load(&w->up_ok) >= 3 : atomic_load(&g_fb.up_ok) >= 1; }
static int c_down(worker *w) {
  if (!w) return atomic_load(&g_fb.down_fallback) >= 2;
  return atomic_load(&w->down_llm_fail) >= 3 && atomic_load(&w->down_breaker) >= 1 && atomic_load(&w->down_miss) >= 2;
}
static int c_again(worker *w) {
  if (!w) return atomic_load(&g_fb.again_ok) >= 2;
  return atomic_load(&w->again_after_ok) >= 3 && atomic_load(&w->again_hit) >= 3;
}

static long long json_int_at(const char *js, const char *a, const char *b) {
  json_t *j = json_loads(js, 0, NULL);
  json_t *o = json_object_get(j, a);
  if (b) o = json_object_get(o, b);
  long long v = json_is_integer(o) ? (long long)json_integer_value(o) : -1;
  json_decref(j);
  return v;
}

TEST(faults_concurrent_llm_and_redis_killed_and_restarted) {
  int lport = 0, lpid = 0, rport = 0;
  pid_t rpid = 0;
  CHECK_MSG(ecai_test_fakellm_spawn(&lport, &lpid) == 0, "cannot start the fake LLM server");
  CHECK_MSG(ecai_test_redis_spawn(&rport, &rpid) == 0, "cannot start redis-server");
  char cfg[1024];
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"http://127.0.0.1:%d\",\"model\":\"m\","
           "\"timeout_ms\":%d,\"connect_timeout_ms\":%d,\"max_retries\":1,\"backoff_ms\":5,\"backoff_max_ms\":20,"
           "\"breaker_threshold\":3,\"breaker_cooldown_ms\":%d},"
           "\"cache\":{\"backend\":\"redis\"},"
           "\"redis\":{\"url\":\"redis://127.0.0.1:%d\",\"timeout_ms\":%d,\"prefix\":\"faults:\"}}",
           lport, LLM_TIMEOUT_MS, LLM_CONNECT_MS, BREAKER_COOLDOWN_MS, rport, REDIS_TIMEOUT_MS);
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  CHECK_OK(ecai_cache_new(&g_cache, ctx));
  CHECK_OK(ecai_llm_new(&g_shared, ctx));
  CHECK_OK(ecai_llm_attach_cache(g_shared, g_cache));
  static worker ws[NT];
  memset(ws, 0, sizeof ws);
  for (int i = 0; i < NT; i++) {
    ws[i].id = i;
    CHECK_OK(ecai_llm_new(&ws[i].own, ctx));
    CHECK_OK(ecai_llm_attach_cache(ws[i].own, g_cache));
  }
  atomic_store(&phase, UP);
  atomic_store(&failures, 0);
  fallback_setup(lport);
  pthread_t th[NT + 1];
  for (int i = 0; i < NT; i++) CHECK(pthread_create(&th[i], NULL, worker_main, &ws[i]) == 0);
  CHECK(pthread_create(&th[NT], NULL, fallback_main, NULL) == 0);

  int ok = wait_all(ws, c_up, 15000);
  const char *stage = "up";
  if (ok) { /* kill both servers mid-run */
    atomic_store(&phase, MOVING);
    ecai_test_fakellm_kill(lpid);
    ecai_test_redis_kill(rpid);
    lpid = 0;
    rpid = 0;
    atomic_store(&phase, DOWN);
    stage = "down";
    ok = wait_all(ws, c_down, 15000);
  }
  if (ok) { /* restart both on the same ports */
    atomic_store(&phase, MOVING);
    int lp = lport, rp = rport;
    ok = ecai_test_fakellm_spawn(&lp, &lpid) == 0 && ecai_test_redis_spawn(&rp, &rpid) == 0;
    stage = ok ? "up again" : "restart";
    atomic_store(&phase, UP_AGAIN);
    if (ok) ok = wait_all(ws, c_again, 15000);
  }
  atomic_store(&phase, STOP);
  for (int i = 0; i <= NT; i++) pthread_join(th[i], NULL);
  char detail[768] = "";
  size_t dl = 0;
  for (int i = 0; i < NT; i++)
    dl += (size_t)snprintf(detail + dl, sizeof detail - dl,
                           " [t%d up_ok=%d down_fail=%d breaker=%d down_miss=%d again_ok=%d again_hit=%d]", i,
                           atomic_load(&ws[i].up_ok), atomic_load(&ws[i].down_llm_fail),
                           atomic_load(&ws[i].down_breaker), atomic_load(&ws[i].down_miss),
                           atomic_load(&ws[i].again_ok), atomic_load(&ws[i].again_hit));
  snprintf(detail + dl, sizeof detail - dl, " [fallback up_ok=%d down=%d again_ok=%d]", atomic_load(&g_fb.up_ok),
           atomic_load(&g_fb.down_fallback), atomic_load(&g_fb.again_ok));
  CHECK_MSG(atomic_load(&failures) == 0, "%d failure(s); first: %s", atomic_load(&failures), fail_msg);
  CHECK_MSG(ok, "stage '%s' did not complete within its deadline:%s", stage, detail);
  /* after the recovery the breakers are closed again and the outage left its traces */
  for (int i = 0; i < NT; i++) {
    char *js = NULL;
    CHECK_OK(ecai_llm_stats_json(&js, NULL, ws[i].own));
    json_t *j = json_loads(js, 0, NULL);
    const char *state = json_string_value(json_object_get(json_object_get(j, "breaker"), "state"));
    CHECK_MSG(state && strcmp(state, "closed") == 0, "t%d: breaker not closed after recovery: %s", i, js);
    json_decref(j);
    CHECK_MSG(json_int_at(js, "breaker", "rejected") >= 1, "t%d: breaker never rejected: %s", i, js);
    ecai_free(js);
  }
  char *cs = NULL;
  CHECK_OK(ecai_cache_stats_json(&cs, NULL, g_cache));
  CHECK_MSG(json_int_at(cs, "backend_errors", NULL) >= NT * 2, "cache stats: %s", cs);
  ecai_free(cs);
  fallback_free();
  for (int i = 0; i < NT; i++) ecai_llm_free(ws[i].own);
  ecai_llm_free(g_shared);
  ecai_cache_free(g_cache);
  g_shared = NULL;
  g_cache = NULL;
  ecai_ctx_free(ctx);
  ecai_test_fakellm_kill(lpid);
  ecai_test_redis_kill(rpid);
}
