/*
 * Cost control shared by every process (llm.shared = "redis"): the spend budget, the
 * retry budget and the circuit breaker live in Redis, changed only by atomic Lua scripts,
 * so 20 servers with the same redis.url and redis.prefix share one budget window and one
 * breaker. Keys (all with an expiry, under <prefix>llm1:, which ecai_cache_clear leaves
 * alone):
 *   spend:<window ms>:<n>   spend of the n-th window since the Unix epoch (INCRBYFLOAT)
 *   <ep>:retry:<minute>     retries started in that minute, per endpoint (INCR)
 *   <ep>:fail               consecutive failed attempts, per endpoint
 *   <ep>:open               present (PX = cool-down) while the breaker is open
 *   <ep>:probe              the one half-open probe in flight (SET NX PX)
 * <ep> is 16 hex digits of XXH3-64 of the base URL: clients of different endpoints keep
 * their own breaker but share the money.
 *
 * Redis unreachable, timing out or answering an error: every function returns false and
 * the client uses its per-process state; Redis is then left alone for RECONNECT_MS (a
 * stalled server costs one timeout per pause, not one per request). Spend made meanwhile
 * is added to the shared window once Redis answers again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/redis.h"
#include "llm/llm_internal.h"

#define RECONNECT_MS 1000.0

struct ecai__llm_shared {
  ecai_ctx *ctx;
  ecai__redis *r;
  pthread_mutex_t mu;
  bool down;        /* per-process limits in force */
  double retry_at;  /* monotonic ms: when a down connection may be tried again */
  int64_t errors;   /* failed Redis commands */
  int64_t fallbacks; /* times the shared state was lost */
  double pending;   /* spend not yet added to the shared window */
};

static const char SPEND_LUA[] =
    "local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1]) "
    "if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return v";

static const char RETRY_LUA[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "if n > tonumber(ARGV[1]) then return 0 end return 1";

/* {verdict, failures, open ms}: 0 closed, 1 open, 2 half-open probe granted, 3 half-open
 * with another process probing. */
static const char ALLOW_LUA[] =
    "local f = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "local t = tonumber(ARGV[1]) "
    "if t == 0 or f < t then return {0, f, 0} end "
    "local ttl = redis.call('PTTL', KEYS[2]) "
    "if ttl > 0 then return {1, f, ttl} end "
    "if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return {2, f, 0} end "
    "return {3, f, 0}";

static const char RECORD_LUA[] =
    "if ARGV[1] == '1' then "
    "  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end "
    "  return 0 end "
    "local f = redis.call('INCR', KEYS[1]) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[4]) "
    "local t = tonumber(ARGV[2]) "
    "if t > 0 and f >= t then "
    "  if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end "
    "  redis.call('DEL', KEYS[3]) end "
    "return f";

/* {spent, failures, open ms} for the stats. */
static const char VIEW_LUA[] =
    "return {redis.call('GET', KEYS[1]) or '0', tonumber(redis.call('GET', KEYS[2]) or '0'), "
    "redis.call('PTTL', KEYS[3])}";

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ecai_status ecai__llm_shared_new(ecai__llm_shared **out, ecai_ctx *ctx) {
  *out = NULL;
  const char *mode = ecai__cfg_str(ctx, "llm.shared", "none");
  if (!strcmp(mode, "none")) return ECAI_OK;
  if (strcmp(mode, "redis")) return ecai__err(ECAI_EINVAL, "config: 'llm.shared' must be \"none\" or \"redis\"");
  ecai__llm_shared *s = ecai__calloc(1, sizeof *s);
  if (!s) return ecai__err(ECAI_ENOMEM, "ecai_llm_new: out of memory");
  ecai_status st = ecai__redis_new(&s->r, ctx, "ecai_llm_new", "llm.shared \"redis\"");
  if (st) {
    ecai__free(s);
    return st;
  }
  pthread_mutex_init(&s->mu, NULL);
  s->ctx = ctx;
  *out = s;
  return ECAI_OK;
}

void ecai__llm_shared_free(ecai__llm_shared *s) {
  if (!s) return;
  ecai__redis_free(s->r);
  pthread_mutex_destroy(&s->mu);
  ecai__free(s);
}

void ecai__llm_shared_endpoint(char out[17], const char *base_url) {
  const char *u = base_url ? base_url : "";
  snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(u, strlen(u)));
}

/* May Redis be asked now? While down, one caller per pause gets to try. */
static bool usable(ecai__llm_shared *s) {
  if (!s) return false;
  pthread_mutex_lock(&s->mu);
  double now = mono_ms();
  bool ok = !s->down || now >= s->retry_at;
  if (s->down && ok) s->retry_at = now + RECONNECT_MS;
  pthread_mutex_unlock(&s->mu);
  return ok;
}

/* Books the outcome of one command: a reply of the wanted type (-1: any but an error)
 * keeps or restores the shared state; anything else starts a pause with per-process
 * limits. Returns rep when usable, else frees it and returns NULL. */
static redisReply *settle(ecai__llm_shared *s, redisReply *rep, int type) {
  bool ok = rep && (type < 0 ? rep->type != REDIS_REPLY_ERROR : rep->type == type);
  char why[160] = "";
  if (!ok) snprintf(why, sizeof why, "%s", !rep ? "unreachable or timed out" : rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
  pthread_mutex_lock(&s->mu);
  bool was_down = s->down;
  if (ok) s->down = false;
  else {
    s->errors++;
    if (!was_down) s->fallbacks++;
    s->down = true;
    s->retry_at = mono_ms() + RECONNECT_MS;
  }
  pthread_mutex_unlock(&s->mu);
  if (ok && was_down)
    ecai__log(s->ctx, ECAI_LOG_WARN, "llm: Redis answers again: spend budget, retry budget and breaker shared again");
  else if (!ok && !was_down)
    ecai__log(s->ctx, ECAI_LOG_WARN,
              "llm: Redis %.100s: per-process spend budget, retry budget and breaker until it answers again", why);
  if (!ok && rep) freeReplyObject(rep);
  return ok ? rep : NULL;
}

static void key_of(char *dst, size_t cap, ecai__llm_shared *s, const char *ep, const char *name) {
  snprintf(dst, cap, "%sllm1:%s%s%s", ecai__redis_prefix(s->r), ep ? ep : "", ep ? ":" : "", name);
}

static void spend_key(char *dst, size_t cap, ecai__llm_shared *s, double window_s, int64_t *window_ms) {
  int64_t w = (int64_t)(window_s * 1000.0 + 0.5);
  if (w < 1) w = 1;
  char name[96];
  snprintf(name, sizeof name, "spend:%lld:%lld", (long long)w, (long long)(wall_ms() / w));
  key_of(dst, cap, s, NULL, name);
  *window_ms = w;
}

static double reply_number(const redisReply *rep) {
  if (rep->type == REDIS_REPLY_STRING) return strtod(rep->str, NULL);
  if (rep->type == REDIS_REPLY_INTEGER) return (double)rep->integer;
  return 0;
}

/* Adds delta (plus the pending spend) to the current window; *total gets the sum. */
static bool add_spend(ecai__llm_shared *s, double window_s, double delta, double *total) {
  if (!usable(s)) return false;
  char k[512], d[64], ttl[32];
  int64_t w;
  spend_key(k, sizeof k, s, window_s, &w);
  pthread_mutex_lock(&s->mu);
  double pending = s->pending;
  s->pending = 0;
  pthread_mutex_unlock(&s->mu);
  snprintf(d, sizeof d, "%.17g", delta + pending);
  snprintf(ttl, sizeof ttl, "%lld", (long long)(w + 60000));
  redisReply *rep = settle(s, ecai__redis_command(s->r, "EVAL %s 1 %s %s %s", SPEND_LUA, k, d, ttl), REDIS_REPLY_STRING);
  if (!rep) {
    pthread_mutex_lock(&s->mu);
    s->pending += pending;
    pthread_mutex_unlock(&s->mu);
    return false;
  }
  if (total) *total = reply_number(rep);
  freeReplyObject(rep);
  return true;
}

bool ecai__llm_shared_spend(ecai__llm_shared *s, double window_s, double cost) {
  if (!s || !(cost > 0)) return false;
  if (add_spend(s, window_s, cost, NULL)) return true;
  pthread_mutex_lock(&s->mu);
  s->pending += cost;
  pthread_mutex_unlock(&s->mu);
  return false;
}

bool ecai__llm_shared_spent(ecai__llm_shared *s, double window_s, double *spent) {
  if (!s) return false;
  pthread_mutex_lock(&s->mu);
  bool flush = s->pending > 0;
  pthread_mutex_unlock(&s->mu);
  if (flush) return add_spend(s, window_s, 0, spent);
  if (!usable(s)) return false;
  char k[512];
  int64_t w;
  spend_key(k, sizeof k, s, window_s, &w);
  redisReply *rep = settle(s, ecai__redis_command(s->r, "GET %s", k), -1);
  if (!rep) return false;
  *spent = reply_number(rep);
  freeReplyObject(rep);
  return true;
}

bool ecai__llm_shared_retry_take(ecai__llm_shared *s, const char *ep, int64_t per_minute, bool *granted) {
  if (!s || per_minute <= 0 || !usable(s)) return false;
  char k[512], name[64], lim[32];
  snprintf(name, sizeof name, "retry:%lld", (long long)(wall_ms() / 60000));
  key_of(k, sizeof k, s, ep, name);
  snprintf(lim, sizeof lim, "%lld", (long long)per_minute);
  redisReply *rep = settle(s, ecai__redis_command(s->r, "EVAL %s 1 %s %s 120000", RETRY_LUA, k, lim), REDIS_REPLY_INTEGER);
  if (!rep) return false;
  *granted = rep->integer == 1;
  freeReplyObject(rep);
  return true;
}

static void breaker_keys(char k[3][512], ecai__llm_shared *s, const char *ep) {
  key_of(k[0], 512, s, ep, "fail");
  key_of(k[1], 512, s, ep, "open");
  key_of(k[2], 512, s, ep, "probe");
}

static bool int_array(const redisReply *rep, size_t n) {
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n) return false;
  for (size_t i = 0; i < n; i++)
    if (rep->element[i]->type != REDIS_REPLY_INTEGER) return false;
  return true;
}

bool ecai__llm_shared_breaker_allows(ecai__llm_shared *s, const char *ep, int64_t threshold, int64_t probe_ttl_ms,
                                     bool *allowed, bool *probe, int64_t *fails, double *open_ms) {
  if (!s || threshold <= 0 || !usable(s)) return false;
  char k[3][512], t[32], ttl[32];
  breaker_keys(k, s, ep);
  snprintf(t, sizeof t, "%lld", (long long)threshold);
  snprintf(ttl, sizeof ttl, "%lld", (long long)(probe_ttl_ms > 0 ? probe_ttl_ms : 1));
  redisReply *rep = settle(
      s, ecai__redis_command(s->r, "EVAL %s 3 %s %s %s %s %s", ALLOW_LUA, k[0], k[1], k[2], t, ttl), REDIS_REPLY_ARRAY);
  if (!rep) return false;
  if (!int_array(rep, 3)) {
    freeReplyObject(rep);
    return false;
  }
  long long v = rep->element[0]->integer;
  *allowed = v == 0 || v == 2;
  *probe = v == 2;
  *fails = rep->element[1]->integer;
  *open_ms = (double)rep->element[2]->integer;
  freeReplyObject(rep);
  return true;
}

void ecai__llm_shared_breaker_record(ecai__llm_shared *s, const char *ep, bool ok, int64_t threshold,
                                     int64_t cooldown_ms) {
  if (!s || threshold <= 0 || !usable(s)) return;
  char k[3][512], t[32], cd[32], keep[32];
  breaker_keys(k, s, ep);
  snprintf(t, sizeof t, "%lld", (long long)threshold);
  snprintf(cd, sizeof cd, "%lld", (long long)cooldown_ms);
  snprintf(keep, sizeof keep, "%lld", (long long)(cooldown_ms + 86400000));
  redisReply *rep = settle(s,
                           ecai__redis_command(s->r, "EVAL %s 3 %s %s %s %s %s %s %s", RECORD_LUA, k[0], k[1], k[2],
                                               ok ? "1" : "0", t, cd, keep),
                           REDIS_REPLY_INTEGER);
  if (rep) freeReplyObject(rep);
}

void ecai__llm_shared_breaker_release(ecai__llm_shared *s, const char *ep) {
  if (!s || !usable(s)) return;
  char k[512];
  key_of(k, sizeof k, s, ep, "probe");
  redisReply *rep = settle(s, ecai__redis_command(s->r, "DEL %s", k), REDIS_REPLY_INTEGER);
  if (rep) freeReplyObject(rep);
}

bool ecai__llm_shared_view(ecai__llm_shared *s, const char *ep, double window_s, double *spent, int64_t *fails,
                           double *open_ms) {
  if (!s) return false;
  pthread_mutex_lock(&s->mu);
  bool flush = s->pending > 0;
  pthread_mutex_unlock(&s->mu);
  if (flush ? !add_spend(s, window_s, 0, NULL) : !usable(s)) return false;
  char sk[512], k[3][512];
  int64_t w;
  spend_key(sk, sizeof sk, s, window_s, &w);
  breaker_keys(k, s, ep);
  redisReply *rep =
      settle(s, ecai__redis_command(s->r, "EVAL %s 3 %s %s %s", VIEW_LUA, sk, k[0], k[1]), REDIS_REPLY_ARRAY);
  if (!rep) return false;
  bool ok = rep->elements == 3 && rep->element[0]->type == REDIS_REPLY_STRING &&
            rep->element[1]->type == REDIS_REPLY_INTEGER && rep->element[2]->type == REDIS_REPLY_INTEGER;
  if (ok) {
    *spent = reply_number(rep->element[0]);
    *fails = rep->element[1]->integer;
    *open_ms = (double)rep->element[2]->integer;
  }
  freeReplyObject(rep);
  return ok;
}

json_t *ecai__llm_shared_stats(ecai__llm_shared *s) {
  if (!s) return json_pack("{s:s,s:s,s:I,s:I}", "backend", "none", "state", "off", "errors", (json_int_t)0,
                           "fallbacks", (json_int_t)0);
  pthread_mutex_lock(&s->mu);
  json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:f}", "backend", "redis", "state", s->down ? "fallback" : "ok", "errors",
                        (json_int_t)s->errors, "fallbacks", (json_int_t)s->fallbacks, "unsynced_spend", s->pending);
  pthread_mutex_unlock(&s->mu);
  return j;
}
