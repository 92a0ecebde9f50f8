/* LLM cost control shared through Redis (llm.shared = "redis"): two processes (fork) or two
 * handles from two contexts against a real redis-server share the spend budget, the retry
 * budget and the circuit breaker; Redis killed or stalled mid-run falls back to
 * per-process limits (reported in the stats) and a restarted Redis is used again. Each
 * run has its own redis.prefix, so runs never see each other's keys. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fakellm_fixture.h"
#include "harness.h"
#include "redis_fixture.h"

/* 0.6 per call of model "m" with a one-word prompt (1 prompt token). A window of 10^8 s
 * never rolls over during a case. */
static const char BUDGET[] = "\"prices\":{\"m\":{\"input_per_mtok\":600000,\"output_per_mtok\":0}},"
                             "\"budget\":{\"limit\":1.0,\"window_s\":100000000}";

/* A fresh key namespace for one run. */
static const char *new_prefix(void) {
  static char p[64];
  static int n;
  snprintf(p, sizeof p, "llmshared%d-%d:", (int)getpid(), ++n);
  return p;
}

/* A context for the fake LLM server with llm.shared = `shared` on Redis `url` under
 * `prefix`; `extra` goes inside the "llm" object. */
static ecai_ctx *mkctx(const char *shared, const char *url, const char *prefix, const char *extra) {
  const char *u = ecai_test_fakellm_require();
  char js[4096];
  snprintf(js, sizeof js,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"m\",\"timeout_ms\":3000,"
           "\"backoff_ms\":5,\"shared\":\"%s\"%s%s},"
           "\"redis\":{\"url\":\"%s\",\"timeout_ms\":100,\"prefix\":\"%s\"}}",
           u, shared, extra && *extra ? "," : "", extra ? extra : "", url, prefix);
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, js, strlen(js))) ecai_test_fail(__FILE__, __LINE__, "ctx: %s (%s)", ecai_last_error(), js);
  return c;
}

static const char *fixture_url(void) {
  const char *u = ecai_test_redis_url();
  CHECK_MSG(u != NULL, "redis fixture not running");
  return u;
}

static ecai_status chat(ecai_llm *l, const char *model, const char *text, ecai_llm_reply **out) {
  if (ecai_llm_set_str(l, ECAI_LLM_OPT_MODEL, model)) return ECAI_ERROR;
  ecai_prompt *p = NULL;
  if (ecai_prompt_new(&p) || ecai_prompt_add(p, ECAI_LLM_USER, text, strlen(text))) return ECAI_ERROR;
  ecai_llm_reply *r = NULL;
  ecai_status st = ecai_llm_chat(&r, l, p);
  ecai_prompt_free(p);
  if (out) *out = r;
  else ecai_llm_reply_free(r);
  return st;
}

static json_t *stats(ecai_llm *l) {
  char *s = NULL;
  CHECK_OK(ecai_llm_stats_json(&s, NULL, l));
  json_t *j = json_loads(s, 0, NULL);
  ecai_free(s);
  CHECK(j != NULL);
  return j;
}

static const char *shared_str(json_t *st, const char *k) {
  return json_string_value(json_object_get(json_object_get(st, "shared"), k));
}

static long long shared_int(json_t *st, const char *k) {
  return json_integer_value(json_object_get(json_object_get(st, "shared"), k));
}

static double budget_spent(json_t *st) {
  return json_number_value(json_object_get(json_object_get(st, "budget"), "spent"));
}

static const char *breaker_str(json_t *st) {
  return json_string_value(json_object_get(json_object_get(st, "breaker"), "state"));
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {}
}

/* "Another server": runs body in a forked process with its own context and client (same
 * configuration); returns its exit status (0 = everything it checked held). */
typedef int (*child_fn)(ecai_llm *l);
static int in_other_process(const char *shared, const char *url, const char *prefix, const char *extra,
                            child_fn body) {
  fflush(NULL);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    ecai_ctx *c = mkctx(shared, url, prefix, extra);
    ecai_llm *l = NULL;
    int rc = ecai_llm_new(&l, c) ? 98 : body(l);
    ecai_llm_free(l);
    ecai_ctx_free(c);
    _exit(rc);
  }
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0) {}
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Sleeps past the next minute boundary when it is less than 3 s away, so that a case
 * using the retry budget (counted per wall-clock minute) stays inside one minute. */
static void away_from_minute_boundary(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long ms_into = (long)(ts.tv_sec % 60) * 1000 + ts.tv_nsec / 1000000;
  if (ms_into > 57000) sleep_ms(60000 - ms_into + 100);
}

/* ---- configuration -------------------------------------------------------------- */

TEST(llm_shared_config_and_stats_without_redis) {
  /* redis needs redis.url; an unknown mode is refused; "none" reports itself */
  const char *u = ecai_test_fakellm_require();
  char js[512];
  snprintf(js, sizeof js, "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"shared\":\"redis\"}}", u);
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, js, strlen(js)));
  ecai_llm *l = NULL;
  CHECK_STATUS(ecai_llm_new(&l, c), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "llm.shared \"redis\" needs redis.url");
  CHECK(l == NULL);
  ecai_ctx_free(c);
  snprintf(js, sizeof js, "{\"llm\":{\"shared\":\"memcached\"}}");
  CHECK_STATUS(ecai_ctx_new(&c, js, strlen(js)), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "llm.shared");
  c = mkctx("none", "redis://127.0.0.1:1", new_prefix(), NULL);
  CHECK_OK(ecai_llm_new(&l, c));
  json_t *st = stats(l);
  CHECK_STR_EQ(shared_str(st, "backend"), "none");
  CHECK_STR_EQ(shared_str(st, "state"), "off");
  json_decref(st);
  ecai_llm_free(l);
  ecai_ctx_free(c);
  /* a server that is not there: creation works (no connection yet), calls work, the stats
   * say fallback */
  c = mkctx("redis", "redis://127.0.0.1:1", new_prefix(), BUDGET);
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_OK(chat(l, "m", "x", NULL));
  st = stats(l);
  CHECK_STR_EQ(shared_str(st, "backend"), "redis");
  CHECK_STR_EQ(shared_str(st, "state"), "fallback");
  CHECK(shared_int(st, "errors") >= 1);
  CHECK_NEAR(budget_spent(st), 0.6, 1e-9); /* the per-process spend */
  json_decref(st);
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

static char logbuf[8192];
static void on_log(ecai_log_level lv, const char *msg, void *payload) {
  strncat(logbuf, msg, sizeof logbuf - strlen(logbuf) - 2);
  strcat(logbuf, "\n");
}

TEST(llm_shared_redis_password_never_in_logs_errors_or_stats) {
  static const char PW[] = "rpw-llm-PLANTED-9d4e";
  const char *u = ecai_test_fakellm_require();
  const char *ru = fixture_url(); /* a server without AUTH: AUTH is refused */
  char js[1024];
  const char *urls[2] = {ru, "redis://127.0.0.1:1"};
  logbuf[0] = 0;
  for (int i = 0; i < 2; i++) {
    snprintf(js, sizeof js,
             "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"m\",\"shared\":\"redis\","
             "\"budget\":{\"limit\":5}},\"redis\":{\"url\":\"%s\",\"password\":\"%s\",\"timeout_ms\":100}}",
             u, urls[i], PW);
    ecai_ctx *c = NULL;
    CHECK_OK(ecai_ctx_new(&c, js, strlen(js)));
    CHECK_OK(ecai_ctx_set_log(c, ECAI_LOG_DEBUG, on_log, NULL));
    ecai_llm *l = NULL;
    CHECK_OK(ecai_llm_new(&l, c));
    CHECK_OK(chat(l, "m", "x", NULL));
    char *st = NULL;
    CHECK_OK(ecai_llm_stats_json(&st, NULL, l));
    CHECK_CONTAINS(st, "\"state\":\"fallback\"");
    CHECK(strstr(st, "9d4e") == NULL);
    ecai_free(st);
    ecai_llm_free(l);
    ecai_ctx_free(c);
  }
  /* a malformed URL carrying the password: the error must not quote it */
  snprintf(js, sizeof js, "{\"llm\":{\"shared\":\"redis\"},\"redis\":{\"url\":\"redis://:%s@127.0.0.1:nope\"}}", PW);
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, js, strlen(js)));
  ecai_llm *l = NULL;
  CHECK_STATUS(ecai_llm_new(&l, c), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "redis.url: bad port");
  CHECK(strstr(ecai_last_error(), "9d4e") == NULL);
  ecai_ctx_free(c);
  CHECK_CONTAINS(logbuf, "per-process spend budget");
  CHECK_MSG(strstr(logbuf, "9d4e") == NULL, "the Redis password leaked into the log:\n%s", logbuf);
}

/* ---- two processes ---------------------------------------------------------------- */

static int spend_once(ecai_llm *l) { return chat(l, "m", "x", NULL) == ECAI_OK ? 0 : 1; }

TEST(llm_shared_budget_spent_by_one_process_refuses_and_downgrades_the_other) {
  const char *url = fixture_url();
  const char *modes[2] = {"redis", "none"}; /* "none" is the control: budgets per process */
  for (int m = 0; m < 2; m++) {
    ecai_test_fakellm_reset();
    const char *prefix = new_prefix();
    CHECK_INT_EQ(in_other_process(modes[m], url, prefix, BUDGET, spend_once), 0); /* spends 0.6 */
    ecai_ctx *c = mkctx(modes[m], url, prefix, BUDGET);
    ecai_llm *l = NULL;
    CHECK_OK(ecai_llm_new(&l, c));
    CHECK_OK(chat(l, "m", "y", NULL)); /* 0.6 spent before it: still below 1.0 */
    long sent = ecai_test_fakellm_stat("requests./v1/chat/completions");
    ecai_status st = chat(l, "m", "z", NULL); /* this process alone: 0.6; both: 1.2 */
    json_t *s = stats(l);
    if (m == 0) {
      CHECK_STATUS(st, ECAI_EBUDGET);
      CHECK_CONTAINS(ecai_last_error(), "shared by every process");
      CHECK_INT_EQ(ecai_test_fakellm_stat("requests./v1/chat/completions"), sent); /* never sent */
      CHECK_NEAR(budget_spent(s), 1.2, 1e-9);
      CHECK_STR_EQ(shared_str(s, "state"), "ok");
      CHECK_INT_EQ(shared_int(s, "errors"), 0);
    } else {
      CHECK_OK(st);
      CHECK_NEAR(budget_spent(s), 1.2, 1e-9); /* its own two calls */
    }
    json_decref(s);
    ecai_llm_free(l);
    ecai_ctx_free(c);
    /* near = 0.5 with a downgrade chain: a fresh process is downgraded at once when shared */
    char extra[512];
    snprintf(extra, sizeof extra,
             "\"prices\":{\"m\":{\"input_per_mtok\":600000,\"output_per_mtok\":0}},"
             "\"budget\":{\"limit\":1.0,\"window_s\":100000000,\"near\":0.5},\"downgrade\":[\"escalate\"]");
    c = mkctx(modes[m], url, prefix, extra);
    CHECK_OK(ecai_llm_new(&l, c));
    ecai_llm_reply *r = NULL;
    CHECK_OK(chat(l, "m", "w", &r));
    CHECK_STR_EQ(ecai_llm_reply_downgrade(r), m == 0 ? "escalate" : "none");
    ecai_llm_reply_free(r);
    ecai_llm_free(l);
    ecai_ctx_free(c);
  }
}

static int two_failures(ecai_llm *l) {
  int bad = 0;
  for (int i = 0; i < 2; i++) bad += chat(l, "fault-500", "boom", NULL) != ECAI_EHTTP;
  return bad;
}

TEST(llm_shared_breaker_opened_by_one_process_fails_fast_in_the_other) {
  const char *url = fixture_url();
  const char *extra = "\"max_retries\":0,\"breaker_threshold\":2,\"breaker_cooldown_ms\":400";
  const char *modes[2] = {"redis", "none"};
  for (int m = 0; m < 2; m++) {
    ecai_test_fakellm_reset();
    const char *prefix = new_prefix();
    CHECK_INT_EQ(in_other_process(modes[m], url, prefix, extra, two_failures), 0);
    ecai_ctx *c = mkctx(modes[m], url, prefix, extra);
    ecai_llm *l = NULL, *l2 = NULL;
    CHECK_OK(ecai_llm_new(&l, c));
    CHECK_OK(ecai_llm_new(&l2, c));
    long sent = ecai_test_fakellm_stat("requests./v1/chat/completions");
    ecai_status st = chat(l, "m", "hello", NULL);
    if (m == 1) { /* control: this process has seen no failure */
      CHECK_OK(st);
    } else {
      CHECK_STATUS(st, ECAI_ESTATE);
      CHECK_CONTAINS(ecai_last_error(), "circuit breaker open after 2 consecutive failures");
      CHECK_INT_EQ(ecai_test_fakellm_stat("requests./v1/chat/completions"), sent); /* failed fast */
      json_t *s = stats(l2);
      CHECK_STR_EQ(breaker_str(s), "open");
      json_decref(s);
      /* after the cool-down one probe goes through; its success closes the breaker for everyone */
      sleep_ms(450);
      CHECK_OK(chat(l, "m", "probe", NULL));
      s = stats(l2);
      CHECK_STR_EQ(breaker_str(s), "closed");
      json_decref(s);
      CHECK_OK(chat(l2, "m", "after", NULL));
    }
    ecai_llm_free(l);
    ecai_llm_free(l2);
    ecai_ctx_free(c);
  }
}

static int use_the_retry(ecai_llm *l) {
  ecai_llm_reply *r = NULL;
  int bad = chat(l, "fault-flaky:1", "a", &r) != ECAI_OK;
  bad += !r;
  ecai_llm_reply_free(r);
  return bad;
}

TEST(llm_shared_retry_budget_is_one_budget_for_all_processes) {
  const char *url = fixture_url();
  const char *extra = "\"retry_budget\":1,\"max_retries\":2,\"breaker_threshold\":0";
  const char *modes[2] = {"redis", "none"};
  for (int m = 0; m < 2; m++) {
    away_from_minute_boundary();
    ecai_test_fakellm_reset();
    const char *prefix = new_prefix();
    CHECK_INT_EQ(in_other_process(modes[m], url, prefix, extra, use_the_retry), 0); /* the one retry */
    ecai_ctx *c = mkctx(modes[m], url, prefix, extra);
    ecai_llm *l = NULL;
    CHECK_OK(ecai_llm_new(&l, c));
    ecai_status st = chat(l, "fault-flaky:1:503", "b", NULL);
    if (m == 0) {
      CHECK_STATUS(st, ECAI_EHTTP);
      CHECK_CONTAINS(ecai_last_error(), "retry budget of 1 per minute shared by every process exhausted");
    } else {
      CHECK_OK(st); /* its own budget is untouched */
    }
    ecai_llm_free(l);
    ecai_ctx_free(c);
  }
}

/* ---- Redis faults ------------------------------------------------------------------- */

TEST(llm_shared_redis_killed_falls_back_then_shares_again) {
  int port = 0;
  pid_t rpid = 0;
  CHECK_MSG(ecai_test_redis_spawn(&port, &rpid) == 0, "could not start redis-server");
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  ecai_test_fakellm_reset();
  const char *prefix = new_prefix();
  ecai_ctx *ca = mkctx("redis", url, prefix, BUDGET), *cb = mkctx("redis", url, prefix, BUDGET);
  ecai_llm *a = NULL, *b = NULL;
  CHECK_OK(ecai_llm_new(&a, ca));
  CHECK_OK(ecai_llm_new(&b, cb));
  CHECK_OK(chat(a, "m", "x", NULL)); /* shared: 0.6 */
  json_t *s = stats(b);
  CHECK_NEAR(budget_spent(s), 0.6, 1e-9);
  CHECK_STR_EQ(shared_str(s, "state"), "ok");
  json_decref(s);

  ecai_test_redis_kill(rpid);
  /* per-process limits: b has spent nothing itself */
  CHECK_OK(chat(b, "m", "x", NULL));
  s = stats(b);
  CHECK_STR_EQ(shared_str(s, "state"), "fallback");
  CHECK(shared_int(s, "errors") >= 1);
  CHECK_INT_EQ(shared_int(s, "fallbacks"), 1);
  CHECK_NEAR(budget_spent(s), 0.6, 1e-9); /* its own spend */
  json_decref(s);
  CHECK_OK(chat(b, "m", "x", NULL));                /* 1.2 of its own after this one */
  CHECK_STATUS(chat(b, "m", "x", NULL), ECAI_EBUDGET); /* the per-process limit holds */
  CHECK(strstr(ecai_last_error(), "shared") == NULL);

  rpid = 0;
  CHECK_MSG(ecai_test_redis_spawn(&port, &rpid) == 0, "could not restart redis-server on port %d", port);
  sleep_ms(1100); /* the reconnect pause */
  /* b's spend made meanwhile (1.2) reaches the new (empty) server; a, whose own spend is
   * only 0.6 and whose connection went stale, sees it */
  CHECK_STATUS(chat(b, "m", "x", NULL), ECAI_EBUDGET);
  CHECK_CONTAINS(ecai_last_error(), "shared by every process");
  s = stats(b);
  CHECK_STR_EQ(shared_str(s, "state"), "ok");
  CHECK_NEAR(budget_spent(s), 1.2, 1e-9);
  json_decref(s);
  CHECK_STATUS(chat(a, "m", "x", NULL), ECAI_EBUDGET);
  CHECK_CONTAINS(ecai_last_error(), "shared by every process");
  s = stats(a);
  CHECK_STR_EQ(shared_str(s, "state"), "ok");
  CHECK_INT_EQ(shared_int(s, "fallbacks"), 0); /* the stale connection was reopened at once */
  json_decref(s);
  ecai_llm_free(a);
  ecai_llm_free(b);
  ecai_ctx_free(ca);
  ecai_ctx_free(cb);
  ecai_test_redis_kill(rpid);
}

TEST(llm_shared_stalled_redis_costs_one_timeout_per_pause_not_per_request) {
  int port = 0;
  pid_t rpid = 0;
  CHECK_MSG(ecai_test_redis_spawn(&port, &rpid) == 0, "could not start redis-server");
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  ecai_test_fakellm_reset();
  ecai_ctx *c = mkctx("redis", url, new_prefix(),
                      "\"prices\":{\"m\":{\"input_per_mtok\":1,\"output_per_mtok\":1}},"
                      "\"budget\":{\"limit\":100,\"window_s\":3600},\"breaker_threshold\":5");
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_OK(chat(l, "m", "x", NULL));
  kill(rpid, SIGSTOP); /* connections are accepted, commands never answered */
  /* each call would make about four Redis commands (budget, breaker gate, breaker record,
   * spend): 5 calls = ~20 timeouts of 100 ms without the pause */
  for (int i = 0; i < 5; i++) CHECK_OK(chat(l, "m", "x", NULL));
  json_t *s = stats(l);
  CHECK_STR_EQ(shared_str(s, "state"), "fallback");
  long long errors = shared_int(s, "errors");
  CHECK_MSG(errors >= 1 && errors <= 3, "errors = %lld: Redis was asked again during the pause", errors);
  json_decref(s);
  kill(rpid, SIGCONT);
  sleep_ms(1100);
  CHECK_OK(chat(l, "m", "x", NULL));
  s = stats(l);
  CHECK_STR_EQ(shared_str(s, "state"), "ok");
  CHECK(json_number_value(json_object_get(json_object_get(s, "shared"), "unsynced_spend")) == 0);
  json_decref(s);
  ecai_llm_free(l);
  ecai_ctx_free(c);
  ecai_test_redis_kill(rpid);
}

/* ---- threads ------------------------------------------------------------------------ */

typedef struct {
  ecai_llm *l;
  int ok;
} spender;

static atomic_int spenders_left;

static void *spend_loop(void *arg) {
  spender *sp = arg;
  for (int i = 0; i < 25; i++) sp->ok += chat(sp->l, "m", "x", NULL) == ECAI_OK;
  atomic_fetch_sub(&spenders_left, 1);
  return NULL;
}

static void *stats_loop(void *arg) {
  while (atomic_load(&spenders_left) > 0) {
    char *s = NULL;
    if (ecai_llm_stats_json(&s, NULL, arg) == ECAI_OK) ecai_free(s);
  }
  return NULL;
}

TEST(llm_shared_concurrent_handles_lose_no_spend) {
  /* 4 threads on 2 handles of 2 contexts (2 threads per handle) and a stats reader: 100
   * calls of 0.01 each must add up to exactly 1.00 in the shared window */
  const char *url = fixture_url();
  ecai_test_fakellm_reset();
  const char *prefix = new_prefix();
  const char *extra = "\"prices\":{\"m\":{\"input_per_mtok\":10000,\"output_per_mtok\":0}},"
                      "\"budget\":{\"limit\":1000,\"window_s\":100000000}";
  ecai_ctx *c1 = mkctx("redis", url, prefix, extra), *c2 = mkctx("redis", url, prefix, extra);
  ecai_llm *l1 = NULL, *l2 = NULL;
  CHECK_OK(ecai_llm_new(&l1, c1));
  CHECK_OK(ecai_llm_new(&l2, c2));
  spender sp[4] = {{l1, 0}, {l1, 0}, {l2, 0}, {l2, 0}};
  atomic_store(&spenders_left, 4);
  pthread_t th[5];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, spend_loop, &sp[i]) == 0);
  CHECK(pthread_create(&th[4], NULL, stats_loop, l2) == 0);
  for (int i = 0; i < 5; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++) CHECK_INT_EQ(sp[i].ok, 25);
  json_t *s = stats(l1);
  CHECK_STR_EQ(shared_str(s, "state"), "ok");
  CHECK_NEAR(budget_spent(s), 1.0, 1e-9);
  json_decref(s);
  ecai_llm_free(l1);
  ecai_llm_free(l2);
  ecai_ctx_free(c1);
  ecai_ctx_free(c2);
}
