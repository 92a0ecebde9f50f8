/* The Redis update log of a store (protocol: rlog.h). */
#include "index/rlog.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/redis.h"
#include "catalog/ser.h"

static int64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

ecai_status ecai__rlog_init(ecai__rlog *l, ecai_ctx *ctx, const char *catalog_sum) {
  memset(l, 0, sizeof *l);
  l->ctx = ctx;
  ecai_status st = ecai__redis_new(&l->r, ctx, "ecai_store_open", "store.updates \"redis\"");
  if (st) return st;
  size_t n = strlen(ecai__redis_prefix(l->r)) + strlen(catalog_sum) + 32;
  if (!(l->key = ecai__malloc(n))) {
    ecai__rlog_close(l);
    return ecai__err(ECAI_ENOMEM, "store: out of memory");
  }
  snprintf(l->key, n, "%sstore1:%s:updates", ecai__redis_prefix(l->r), catalog_sum);
  return ECAI_OK;
}

void ecai__rlog_close(ecai__rlog *l) {
  if (!l) return;
  ecai__redis_free(l->r);
  ecai__free(l->key);
  l->r = NULL;
  l->key = NULL;
}

/* A reply of the wanted type, or NULL (freed) after a warning and a 1 s pause. */
static redisReply *settle(ecai__rlog *l, redisReply *rep, int type) {
  if (rep && rep->type == type) return rep;
  ecai__log(l->ctx, ECAI_LOG_WARN, "store: Redis update log %s: %s; serving without new updates for 1 s", l->key,
            !rep ? "unreachable or timed out" : rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
  if (rep) freeReplyObject(rep);
  __atomic_store_n(&l->retry_at_ms, mono_ms() + 1000, __ATOMIC_RELAXED);
  return NULL;
}

static int resting(const ecai__rlog *l) { return mono_ms() < __atomic_load_n(&l->retry_at_ms, __ATOMIC_RELAXED); }

/* LLEN, or -1. */
static long long length(ecai__rlog *l) {
  redisReply *rep = settle(l, ecai__redis_command(l->r, "LLEN %s", l->key), REDIS_REPLY_INTEGER);
  long long n = rep ? rep->integer : -1;
  if (rep) freeReplyObject(rep);
  return n;
}

int ecai__rlog_pending(ecai__rlog *l) {
  if (!l->r || resting(l)) return 0;
  long long n = length(l);
  return n >= 0 && (uint64_t)n != l->applied;
}

/* Applies elements [l->applied, upto) in order (upto < 0: to the end). 0, or -1 when Redis
 * did not answer. */
static int apply_range(ecai__rlog *l, long long upto, ecai__journal_apply_fn fn, void *arg) {
  if (upto >= 0 && (uint64_t)upto <= l->applied) return 0;
  redisReply *rep = settle(l, ecai__redis_command(l->r, "LRANGE %s %lld %lld", l->key, (long long)l->applied,
                                                  upto < 0 ? -1LL : upto - 1),
                           REDIS_REPLY_ARRAY);
  if (!rep) return -1;
  for (size_t i = 0; i < rep->elements; i++) {
    const redisReply *e = rep->element[i];
    ecai__rd r = {e->type == REDIS_REPLY_STRING ? e->str : "", e->type == REDIS_REPLY_STRING ? e->len : 0, 0, 0};
    uint32_t jl = ecai__get_u32(&r), dim = ecai__get_u32(&r);
    const char *js = ecai__get_bytes(&r, jl);
    const void *vb = dim <= 65536 ? ecai__get_bytes(&r, (size_t)dim * 4) : NULL;
    float *vec = NULL;
    if (!r.bad && js && jl && (dim == 0 || vb) && r.pos == r.len) {
      if (dim && (vec = ecai__malloc((size_t)dim * sizeof *vec)) != NULL) memcpy(vec, vb, (size_t)dim * 4);
      if ((dim && !vec) || fn(arg, js, jl, vec, dim))
        ecai__log(l->ctx, ECAI_LOG_WARN, "store: Redis update log %s: element %llu cannot be applied: %s", l->key,
                  (unsigned long long)l->applied, vec || !dim ? ecai_last_error() : "out of memory");
      ecai__free(vec);
    } else {
      ecai__log(l->ctx, ECAI_LOG_WARN, "store: Redis update log %s: element %llu is damaged; skipped", l->key,
                (unsigned long long)l->applied);
    }
    l->applied++;
  }
  freeReplyObject(rep);
  return 0;
}

void ecai__rlog_apply(ecai__rlog *l, ecai__journal_apply_fn fn, void *arg) {
  if (l->r && !resting(l)) apply_range(l, -1, fn, arg);
}

ecai_status ecai__rlog_append(ecai__rlog *l, const char *json, size_t json_len, const float *vec, uint32_t dim,
                              ecai__journal_apply_fn fn, void *arg) {
  if (apply_range(l, -1, fn, arg)) /* others' updates first; also when resting: an update asks */
    return ecai__err(ECAI_EIO, "store_update: the Redis update log %s did not answer; nothing changed", l->key);
  ecai__buf b = {0};
  ecai__put_u32(&b, (uint32_t)json_len);
  ecai__put_u32(&b, dim);
  ecai__buf_append(&b, json, json_len);
  if (dim) ecai__buf_append(&b, vec, (size_t)dim * 4);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "store: out of memory");
  }
  redisReply *rep = settle(l, ecai__redis_command(l->r, "RPUSH %s %b", l->key, b.data, b.len), REDIS_REPLY_INTEGER);
  ecai__buf_free(&b);
  if (!rep) return ecai__err(ECAI_EIO, "store_update: the Redis update log %s did not answer; nothing changed", l->key);
  long long n = rep->integer;
  freeReplyObject(rep);
  /* pushed between our LRANGE and RPUSH: apply those first, in order (if Redis stops
   * answering now, the next query catches up; ours is committed) */
  if (n >= 1 && apply_range(l, n - 1, fn, arg) == 0) l->applied = (uint64_t)n;
  return ECAI_OK;
}
