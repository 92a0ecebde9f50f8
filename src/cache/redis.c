/* Redis: the connection shared by the modules that keep state there (see
 * cache/redis.h) and the exact cache's backend on it. Every failure drops the
 * connection and returns -1; the next call reconnects.
 * Cache keys: <prefix>v1:<32 hex>; tag sets <prefix>v1:tag:<tag>; product sets
 * <prefix>v1:sku:<sku> with members "<32 hex>:<16 hex fact hash>"; counters
 * <prefix>v1:ctr:<name>. Values: 16-byte header (saved_tokens i64, saved_cost f64)
 * then the bytes. (The LLM client's keys live under <prefix>llm1:, outside what
 * ecai_cache_clear removes.) */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cache/cache_internal.h"

struct ecai__redis {
  pthread_mutex_t mu;
  redisContext *rc;
  char *host, *password, *prefix;
  int port, db, timeout_ms;
};

/* The URL as error messages may show it: a password in it becomes "***". */
static void url_for_msg(char *dst, size_t cap, const char *url) {
  const char *p = strncmp(url, "redis://", 8) ? url : url + 8;
  const char *at = strrchr(p, '@');
  if (!at) {
    snprintf(dst, cap, "%s", url);
    return;
  }
  const char *colon = memchr(p, ':', (size_t)(at - p));
  const char *pw = colon ? colon + 1 : p;
  snprintf(dst, cap, "%.*s***%s", (int)(pw - url), url, at);
}

static ecai_status parse_url(ecai__redis *r, const char *url) {
  char shown[512];
  url_for_msg(shown, sizeof shown, url);
  const char *p = url;
  if (!strncmp(p, "redis://", 8)) p += 8;
  else return ecai__err(ECAI_EINVAL, "redis.url must start with redis:// (got \"%s\")", shown);
  const char *at = strrchr(p, '@');
  if (at) { /* [user]:password@ */
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *pw = colon ? colon + 1 : p;
    if (!r->password && at > pw && !(r->password = ecai__strndup(pw, (size_t)(at - pw)))) return ECAI_ENOMEM;
    p = at + 1;
  }
  const char *end = p + strcspn(p, "/");
  const char *colon = memchr(p, ':', (size_t)(end - p));
  r->port = 6379;
  if (colon) {
    char *e = NULL;
    long port = strtol(colon + 1, &e, 10);
    if (e != end || port <= 0 || port > 65535) return ecai__err(ECAI_EINVAL, "redis.url: bad port in \"%s\"", shown);
    r->port = (int)port;
  }
  size_t hl = (size_t)((colon ? colon : end) - p);
  if (!hl) return ecai__err(ECAI_EINVAL, "redis.url: no host in \"%s\"", shown);
  if (!(r->host = ecai__strndup(p, hl))) return ECAI_ENOMEM;
  if (*end == '/' && end[1]) r->db = atoi(end + 1);
  return ECAI_OK;
}

ecai_status ecai__redis_new(ecai__redis **out, const ecai_ctx *ctx, const char *who, const char *feature) {
  *out = NULL;
  const char *url = ecai__cfg_str(ctx, "redis.url", NULL);
  if (!url) return ecai__err(ECAI_EINVAL, "%s: %s needs redis.url (or ECAI_REDIS_URL)", who, feature);
  int64_t timeout_ms = ecai__cfg_int(ctx, "redis.timeout_ms", 50);
  if (timeout_ms <= 0 || timeout_ms > 3600000) return ecai__err(ECAI_EINVAL, "%s: redis.timeout_ms must be 1..3600000", who);
  const char *password = ecai__ctx_secret(ctx, "redis.password"), *prefix = ecai__cfg_str(ctx, "redis.prefix", "ecai:");
  ecai__redis *r = ecai__calloc(1, sizeof *r);
  if (!r) return ecai__err(ECAI_ENOMEM, "%s: out of memory", who);
  pthread_mutex_init(&r->mu, NULL);
  r->timeout_ms = (int)timeout_ms;
  ecai_status st = ECAI_OK;
  if ((password && !(r->password = ecai__strdup(password))) || !(r->prefix = ecai__strdup(prefix ? prefix : "")))
    st = ECAI_ENOMEM;
  if (!st) st = parse_url(r, url);
  if (st) {
    if (st == ECAI_ENOMEM) ecai__err(st, "%s: out of memory", who);
    else ecai__err_prefix(st, "%s", who);
    ecai__redis_free(r);
    return st;
  }
  *out = r;
  return ECAI_OK;
}

const char *ecai__redis_prefix(const ecai__redis *r) { return r->prefix; }

void ecai__redis_free(ecai__redis *r) {
  if (!r) return;
  if (r->rc) redisFree(r->rc);
  pthread_mutex_destroy(&r->mu);
  ecai__free(r->host);
  ecai__free(r->password);
  ecai__free(r->prefix);
  ecai__free(r);
}

static void drop(ecai__redis *r) {
  if (r->rc) redisFree(r->rc);
  r->rc = NULL;
}

/* Connects when needed (locked by the caller). 0 ok, -1 failure. */
static int ensure(ecai__redis *r) {
  if (r->rc) return 0;
  struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
  redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
  if (!c) return -1;
  if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
    redisFree(c);
    return -1;
  }
  r->rc = c;
  if (r->password) {
    redisReply *rep = redisCommand(c, "AUTH %s", r->password);
    int bad = !rep || rep->type == REDIS_REPLY_ERROR;
    if (rep) freeReplyObject(rep);
    if (bad) { drop(r); return -1; }
  }
  if (r->db) {
    redisReply *rep = redisCommand(c, "SELECT %d", r->db);
    int bad = !rep || rep->type == REDIS_REPLY_ERROR;
    if (rep) freeReplyObject(rep);
    if (bad) { drop(r); return -1; }
  }
  return 0;
}

/* Runs a command (locked by the caller); on transport failure drops the connection.
 * A kept connection that the server had closed (a restart, an idle timeout) is
 * reopened and the command sent once more; a timeout is never repeated. Caller frees
 * the reply. */
static redisReply *vcmd(ecai__redis *r, const char *fmt, va_list ap) {
  for (int round = 0; round < 2; round++) {
    bool kept = r->rc != NULL;
    if (ensure(r) < 0) return NULL;
    va_list aq;
    va_copy(aq, ap);
    redisReply *rep = redisvCommand(r->rc, fmt, aq);
    va_end(aq);
    if (rep) return rep;
    int err = r->rc->err, en = errno;
    drop(r);
    if (!kept || !(err == REDIS_ERR_EOF || (err == REDIS_ERR_IO && (en == ECONNRESET || en == EPIPE)))) break;
  }
  return NULL;
}

static redisReply *cmd(ecai__redis *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply *rep = vcmd(r, fmt, ap);
  va_end(ap);
  return rep;
}

redisReply *ecai__redis_command(ecai__redis *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&r->mu);
  redisReply *rep = vcmd(r, fmt, ap);
  pthread_mutex_unlock(&r->mu);
  va_end(ap);
  return rep;
}

static void hex(char *out, const uint8_t *key, size_t n) {
  static const char H[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = H[key[i] >> 4];
    out[2 * i + 1] = H[key[i] & 15];
  }
  out[2 * n] = 0;
}

/* <prefix>v1:<hex key> into a caller buffer (allocated). */
static char *rkey(ecai__redis *r, const char *kind, const char *name) {
  size_t n = strlen(r->prefix) + strlen(kind) + strlen(name) + 8;
  char *s = ecai__malloc(n);
  if (s) snprintf(s, n, "%sv1:%s%s", r->prefix, kind, name);
  return s;
}

int ecai__redis_get(ecai__redis *r, const uint8_t *key, void **out, size_t *out_len, int64_t *saved_tokens,
                    double *saved_cost) {
  char hk[33];
  hex(hk, key, 16);
  char *k = rkey(r, "", hk);
  if (!k) return -1;
  pthread_mutex_lock(&r->mu);
  redisReply *rep = cmd(r, "GET %s", k);
  ecai__free(k);
  int rc = -1;
  if (rep) {
    if (rep->type == REDIS_REPLY_NIL) rc = 0;
    else if (rep->type == REDIS_REPLY_STRING && rep->len >= 16) {
      size_t n = rep->len - 16;
      char *v = ecai__malloc(n + 1);
      if (v) {
        memcpy(saved_tokens, rep->str, 8);
        memcpy(saved_cost, rep->str + 8, 8);
        memcpy(v, rep->str + 16, n);
        v[n] = 0;
        *out = v;
        *out_len = n;
        rc = 1;
      }
    } else if (rep->type == REDIS_REPLY_STRING) {
      rc = 0; /* not ours */
    }
    freeReplyObject(rep);
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

/* A tag or product set lives as long as its longest-lived member: PEXPIRE NX sets a
 * TTL on a new set, PEXPIRE GT only lengthens it; a member without TTL makes the set
 * persistent. Returns the number of commands appended. */
static size_t set_expiry(ecai__redis *r, const char *set, int64_t ttl_ms) {
  if (ttl_ms <= 0) {
    redisAppendCommand(r->rc, "PERSIST %s", set);
    return 1;
  }
  redisAppendCommand(r->rc, "PEXPIRE %s %lld NX", set, (long long)ttl_ms);
  redisAppendCommand(r->rc, "PEXPIRE %s %lld GT", set, (long long)ttl_ms);
  return 2;
}

int ecai__redis_put(ecai__redis *r, const uint8_t *key, const void *v, size_t n, int64_t ttl_ms,
                    const ecai__cmeta *m) {
  char hk[33];
  hex(hk, key, 16);
  char *k = rkey(r, "", hk);
  char *blob = ecai__malloc(n + 16);
  if (!k || !blob) {
    ecai__free(k);
    ecai__free(blob);
    return -1;
  }
  memcpy(blob, &m->saved_tokens, 8);
  memcpy(blob + 8, &m->saved_cost, 8);
  if (n) memcpy(blob + 16, v, n);
  int rc = 0;
  pthread_mutex_lock(&r->mu);
  if (ensure(r) < 0) {
    rc = -1;
    goto out;
  }
  size_t pending = 1;
  if (ttl_ms > 0) redisAppendCommand(r->rc, "SET %s %b PX %lld", k, blob, n + 16, (long long)ttl_ms);
  else redisAppendCommand(r->rc, "SET %s %b", k, blob, n + 16);
  for (uint32_t i = 0; i < m->ntags; i++) {
    char *tk = rkey(r, "tag:", m->tags[i]);
    if (!tk) continue;
    redisAppendCommand(r->rc, "SADD %s %s", tk, hk);
    pending += 1 + set_expiry(r, tk, ttl_ms);
    ecai__free(tk);
  }
  for (uint32_t i = 0; i < m->nprods; i++) {
    char *pk = rkey(r, "sku:", m->prods[i].sku), member[33 + 1 + 17];
    if (!pk) continue;
    snprintf(member, sizeof member, "%s:%016llx", hk, (unsigned long long)m->prods[i].hash);
    redisAppendCommand(r->rc, "SADD %s %s", pk, member);
    pending += 1 + set_expiry(r, pk, ttl_ms);
    ecai__free(pk);
  }
  for (size_t i = 0; i < pending; i++) {
    redisReply *rep = NULL;
    if (redisGetReply(r->rc, (void **)&rep) != REDIS_OK || !rep) {
      drop(r);
      rc = -1;
      break;
    }
    if (rep->type == REDIS_REPLY_ERROR) rc = -1;
    freeReplyObject(rep);
  }
out:
  pthread_mutex_unlock(&r->mu);
  ecai__free(k);
  ecai__free(blob);
  return rc;
}

int ecai__redis_del(ecai__redis *r, const uint8_t *key) {
  char hk[33];
  hex(hk, key, 16);
  char *k = rkey(r, "", hk);
  if (!k) return -1;
  pthread_mutex_lock(&r->mu);
  redisReply *rep = cmd(r, "DEL %s", k);
  pthread_mutex_unlock(&r->mu);
  ecai__free(k);
  if (!rep) return -1;
  int rc = rep->type == REDIS_REPLY_ERROR ? -1 : 0;
  freeReplyObject(rep);
  return rc;
}

/* Deletes <prefix>v1:<hex> (locked by the caller); 1 when it existed. */
static int del_hex(ecai__redis *r, const char *hk, int *err) {
  char *k = rkey(r, "", hk);
  if (!k) return 0;
  redisReply *rep = cmd(r, "DEL %s", k);
  ecai__free(k);
  if (!rep) {
    *err = 1;
    return 0;
  }
  int n = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : 0;
  freeReplyObject(rep);
  return n;
}

int ecai__redis_invalidate_tag(ecai__redis *r, const char *tag, size_t *n) {
  *n = 0;
  char *tk = rkey(r, "tag:", tag);
  if (!tk) return -1;
  int err = 0;
  pthread_mutex_lock(&r->mu);
  redisReply *rep = cmd(r, "SMEMBERS %s", tk);
  if (!rep || rep->type != REDIS_REPLY_ARRAY) err = 1;
  else {
    for (size_t i = 0; i < rep->elements && !err; i++)
      if (rep->element[i]->type == REDIS_REPLY_STRING) *n += (size_t)del_hex(r, rep->element[i]->str, &err);
    if (!err) {
      redisReply *d = cmd(r, "DEL %s", tk);
      if (!d) err = 1;
      else freeReplyObject(d);
    }
  }
  if (rep) freeReplyObject(rep);
  pthread_mutex_unlock(&r->mu);
  ecai__free(tk);
  return err ? -1 : 0;
}

int ecai__redis_invalidate_product(ecai__redis *r, const char *sku, uint64_t hash, size_t *n) {
  *n = 0;
  char *pk = rkey(r, "sku:", sku);
  if (!pk) return -1;
  int err = 0;
  pthread_mutex_lock(&r->mu);
  redisReply *rep = cmd(r, "SMEMBERS %s", pk);
  if (!rep || rep->type != REDIS_REPLY_ARRAY) err = 1;
  else {
    for (size_t i = 0; i < rep->elements && !err; i++) {
      redisReply *el = rep->element[i];
      if (el->type != REDIS_REPLY_STRING || el->len != 49 || el->str[32] != ':') continue;
      unsigned long long h = strtoull(el->str + 33, NULL, 16);
      if (h == hash) continue;
      char hk[33];
      memcpy(hk, el->str, 32);
      hk[32] = 0;
      *n += (size_t)del_hex(r, hk, &err);
      if (!err) {
        redisReply *d = cmd(r, "SREM %s %s", pk, el->str);
        if (!d) err = 1;
        else freeReplyObject(d);
      }
    }
  }
  if (rep) freeReplyObject(rep);
  pthread_mutex_unlock(&r->mu);
  ecai__free(pk);
  return err ? -1 : 0;
}

int ecai__redis_clear(ecai__redis *r) {
  char *pat = rkey(r, "", "*");
  if (!pat) return -1;
  int err = 0;
  char cursor[32] = "0";
  pthread_mutex_lock(&r->mu);
  do {
    redisReply *rep = cmd(r, "SCAN %s MATCH %s COUNT 1000", cursor, pat);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
      err = 1;
      if (rep) freeReplyObject(rep);
      break;
    }
    snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
    redisReply *keys = rep->element[1];
    for (size_t i = 0; i < keys->elements && !err; i++) {
      redisReply *d = cmd(r, "DEL %b", keys->element[i]->str, keys->element[i]->len);
      if (!d) err = 1;
      else freeReplyObject(d);
    }
    freeReplyObject(rep);
  } while (!err && strcmp(cursor, "0") != 0);
  pthread_mutex_unlock(&r->mu);
  ecai__free(pat);
  return err ? -1 : 0;
}

int ecai__redis_counter_add(ecai__redis *r, const char *name, double delta, int64_t window_s, double *total) {
  char *k = rkey(r, "ctr:", name);
  if (!k) return -1;
  char d[64];
  snprintf(d, sizeof d, "%.17g", delta);
  int rc = -1;
  pthread_mutex_lock(&r->mu);
  redisReply *rep = cmd(r, "INCRBYFLOAT %s %s", k, d);
  if (rep && rep->type == REDIS_REPLY_STRING) {
    *total = strtod(rep->str, NULL);
    rc = 0;
  }
  if (rep) freeReplyObject(rep);
  if (rc == 0 && window_s > 0) {
    redisReply *e = cmd(r, "EXPIRE %s %lld NX", k, (long long)window_s);
    if (!e || e->type == REDIS_REPLY_ERROR) rc = -1;
    if (e) freeReplyObject(e);
  }
  pthread_mutex_unlock(&r->mu);
  ecai__free(k);
  return rc;
}
