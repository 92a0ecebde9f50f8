/* Exact cache: keys, sharded in-process LRU with TTL, tags, product facts, stats,
 * persistence; dispatch to the Redis backend. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache_internal.h"

/* Invalidation index: one link per (entry, tag) and (entry, product), chained in the
 * shard's index buckets by the hash of the tag or SKU, so that invalidation visits
 * only the entries that carry the tag or SKU (plus rare bucket neighbours), not every
 * entry of every shard. */
typedef struct ilink {
  struct ilink *prev, *next; /* bucket chain */
  struct centry *e;
  uint64_t k; /* tag_key() / sku_key() */
} ilink;

typedef struct centry {
  struct centry *hnext, *prev, *next;
  ilink *links; /* meta.ntags + meta.nprods links (NULL when none) */
  uint8_t key[16];
  uint64_t h;
  int64_t expires_ms; /* 0: never */
  int64_t saved_tokens;
  double saved_cost;
  size_t vlen, charge;
  int ref; /* referenced since it last reached the LRU tail (second chance) */
  ecai__cmeta meta; /* tags + products (expires/saved fields unused) */
  unsigned char val[];
} centry;

typedef struct {
  pthread_mutex_t mu;
  centry **buckets;
  size_t nbuckets, count, bytes, budget;
  centry *head, *tail; /* head = most recently used */
  ilink **ibuckets;    /* invalidation index (NULL until the first tagged entry) */
  size_t nibuckets, nlinks;
  uint64_t hits, misses, puts, evictions, expirations, invalidations, tokens_saved;
  double cost_saved;
  char pad[64]; /* keeps the next shard's lock off the cache line of these counters */
} shard;

typedef struct counter {
  struct counter *next;
  char *name;
  double value;
  int64_t window_end_ms; /* 0: none */
} counter;

struct ecai_cache {
  const ecai_ctx *ctx;
  int redis; /* 0 memory, 1 redis */
  size_t nshards;
  shard *shards;
  size_t max_bytes;
  int64_t default_ttl_ms;
  char *persist_path;
  ecai__clock_fn now;
  void *now_p;
  atomic_ullong backend_errors, load_errors;
  atomic_ullong index_visits; /* links examined by invalidations (tests prove they stay local) */
  pthread_mutex_t cmu; /* counters; redis stats */
  counter *counters;
  ecai__redis *r;
  uint64_t r_hits, r_misses, r_puts, r_invalidations, r_tokens_saved;
  double r_cost_saved;
};

int64_t ecai__cache_realtime_ms(void *unused) {
  (void)unused;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ecai__cache_set_clock(ecai_cache *c, ecai__clock_fn fn, void *payload) {
  c->now = fn ? fn : ecai__cache_realtime_ms;
  c->now_p = payload;
}

/* ---- keys ---------------------------------------------------------------- */

static void key_store(uint8_t *out, XXH128_hash_t h) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
  for (int i = 0; i < 8; i++) out[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
}

ecai_status ecai_cache_key_from_bytes(uint8_t *out, const void *data, size_t len) {
  ECAI__CHECK_ARG(out);
  if (!data && len) return ecai__err(ECAI_EINVAL, "ecai_cache_key_from_bytes: data is NULL with len %zu", len);
  key_store(out, XXH3_128bits(data ? data : "", len));
  return ECAI_OK;
}

ecai_status ecai_cache_key_from_json(uint8_t *out, const char *json, size_t len) {
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(json);
  json_error_t e;
  json_t *j = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  if (!j)
    return ecai__err(ECAI_EPARSE, "ecai_cache_key_from_json: %s at line %d column %d (byte %d)", e.text,
                     e.line, e.column, e.position);
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  json_decref(j);
  if (!s) return ecai__err(ECAI_ENOMEM, "ecai_cache_key_from_json: out of memory");
  key_store(out, XXH3_128bits(s, strlen(s)));
  free(s); /* jansson's allocator */
  return ECAI_OK;
}

uint64_t ecai_cache_fact_hash(const void *facts, size_t len) {
  return XXH3_64bits(facts && len ? facts : "", facts ? len : 0);
}

static uint64_t key_lo(const uint8_t *k) {
  uint64_t h = 0;
  for (int i = 8; i < 16; i++) h = (h << 8) | k[i];
  return h;
}

/* ---- annotations ------------------------------------------------------------- */

void ecai__cmeta_free(ecai__cmeta *m) {
  for (uint32_t i = 0; i < m->ntags; i++) ecai__free(m->tags[i]);
  ecai__free(m->tags);
  for (uint32_t i = 0; i < m->nprods; i++) ecai__free(m->prods[i].sku);
  ecai__free(m->prods);
  memset(m, 0, sizeof *m);
}

static int parse_hex64(const char *s, uint64_t *out) {
  size_t n = strlen(s);
  if (n == 0 || n > 16) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = (v << 4) | (uint64_t)d;
  }
  *out = v;
  return 0;
}

ecai_status ecai__cmeta_parse(ecai__cmeta *m, const char *json) {
  memset(m, 0, sizeof *m);
  if (!json) return ECAI_OK;
  json_t *j = NULL;
  ecai_status st = ecai__json_parse(&j, json, strlen(json), "ecai_cache_put: meta");
  if (st) return st;
  const char *bad = NULL;
  if (!json_is_object(j)) { bad = "meta must be an object"; goto fail; }
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) {
    if (!strcmp(k, "tags")) {
      if (!json_is_array(v)) { bad = "\"tags\" must be an array of strings"; goto fail; }
      size_t n = json_array_size(v);
      m->tags = ecai__calloc(n ? n : 1, sizeof *m->tags);
      if (!m->tags) { st = ECAI_ENOMEM; goto fail; }
      for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(v, i);
        if (!json_is_string(t)) { bad = "\"tags\" must be an array of strings"; goto fail; }
        if (!(m->tags[m->ntags] = ecai__strdup(json_string_value(t)))) { st = ECAI_ENOMEM; goto fail; }
        m->ntags++;
      }
    } else if (!strcmp(k, "expires_at_ms")) {
      if (!json_is_integer(v) || json_integer_value(v) <= 0) { bad = "\"expires_at_ms\" must be a positive integer"; goto fail; }
      m->expires_at_ms = json_integer_value(v);
    } else if (!strcmp(k, "saved_tokens")) {
      if (!json_is_integer(v) || json_integer_value(v) < 0) { bad = "\"saved_tokens\" must be an integer >= 0"; goto fail; }
      m->saved_tokens = json_integer_value(v);
    } else if (!strcmp(k, "saved_cost")) {
      if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0) { bad = "\"saved_cost\" must be a number >= 0"; goto fail; }
      m->saved_cost = json_number_value(v);
    } else if (!strcmp(k, "products")) {
      if (!json_is_array(v)) { bad = "\"products\" must be an array"; goto fail; }
      size_t n = json_array_size(v);
      m->prods = ecai__calloc(n ? n : 1, sizeof *m->prods);
      if (!m->prods) { st = ECAI_ENOMEM; goto fail; }
      for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(v, i), *sku = json_object_get(p, "sku");
        json_t *fh = json_object_get(p, "fact_hash"), *facts = json_object_get(p, "facts");
        if (!json_is_string(sku) || !json_string_length(sku) || (!fh == !facts)) {
          bad = "each product needs \"sku\" and one of \"fact_hash\" or \"facts\"";
          goto fail;
        }
        uint64_t h;
        if (fh) {
          if (!json_is_string(fh) || parse_hex64(json_string_value(fh), &h)) {
            bad = "\"fact_hash\" must be a string of 1-16 hex digits";
            goto fail;
          }
        } else {
          if (!json_is_string(facts)) { bad = "\"facts\" must be a string"; goto fail; }
          h = ecai_cache_fact_hash(json_string_value(facts), json_string_length(facts));
        }
        if (!(m->prods[m->nprods].sku = ecai__strdup(json_string_value(sku)))) { st = ECAI_ENOMEM; goto fail; }
        m->prods[m->nprods++].hash = h;
      }
    } else {
      ecai__err(ECAI_EINVAL, "ecai_cache_put: unknown meta member \"%s\"", k);
      json_decref(j);
      ecai__cmeta_free(m);
      return ECAI_EINVAL;
    }
  }
  json_decref(j);
  return ECAI_OK;
fail:
  json_decref(j);
  ecai__cmeta_free(m);
  if (bad) return ecai__err(ECAI_EINVAL, "ecai_cache_put: %s", bad);
  return ecai__err(st ? st : ECAI_ENOMEM, "ecai_cache_put: out of memory");
}

/* ---- shards ---------------------------------------------------------------- */

static shard *shard_of(ecai_cache *c, const uint8_t *key) {
  return &c->shards[(size_t)(key[0] | (key[1] << 8)) % c->nshards];
}

static void lru_unlink(shard *s, centry *e) {
  if (e->prev) e->prev->next = e->next;
  else s->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else s->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push_front(shard *s, centry *e) {
  e->prev = NULL;
  e->next = s->head;
  if (s->head) s->head->prev = e;
  s->head = e;
  if (!s->tail) s->tail = e;
}

static centry **find_slot(shard *s, const uint8_t *key, uint64_t h) {
  centry **pp = &s->buckets[h & (s->nbuckets - 1)];
  while (*pp && ((*pp)->h != h || memcmp((*pp)->key, key, 16) != 0)) pp = &(*pp)->hnext;
  return pp;
}

static uint64_t tag_key(const char *t) { return XXH3_64bits_withSeed(t, strlen(t), 0x7461); }
static uint64_t sku_key(const char *t) { return XXH3_64bits_withSeed(t, strlen(t), 0x736b); }

static void index_unlink(shard *s, centry *e) {
  uint32_t n = e->meta.ntags + e->meta.nprods;
  for (uint32_t i = 0; e->links && i < n; i++) {
    ilink *l = &e->links[i];
    if (l->prev) l->prev->next = l->next;
    else s->ibuckets[l->k & (s->nibuckets - 1)] = l->next;
    if (l->next) l->next->prev = l->prev;
    s->nlinks--;
  }
}

static void index_push(ilink **b, size_t nb, ilink *l) {
  ilink **head = &b[l->k & (nb - 1)];
  l->prev = NULL;
  l->next = *head;
  if (*head) (*head)->prev = l;
  *head = l;
}

/* Doubles the index buckets (keeps the longer chains when out of memory). */
static void index_grow(shard *s) {
  size_t nb = s->nibuckets * 2;
  ilink **b = ecai__calloc(nb, sizeof *b);
  if (!b) return;
  for (size_t i = 0; i < s->nibuckets; i++) {
    ilink *l = s->ibuckets[i];
    while (l) {
      ilink *nx = l->next;
      index_push(b, nb, l);
      l = nx;
    }
  }
  ecai__free(s->ibuckets);
  s->ibuckets = b;
  s->nibuckets = nb;
}

static void entry_free(centry *e) {
  ecai__cmeta_free(&e->meta);
  ecai__free(e->links);
  ecai__free(e);
}

/* Unlinks e from the table and LRU, frees it. */
static void shard_remove(shard *s, centry *e) {
  centry **pp = find_slot(s, e->key, e->h);
  if (*pp == e) *pp = e->hnext;
  index_unlink(s, e);
  lru_unlink(s, e);
  s->count--;
  s->bytes -= e->charge;
  entry_free(e);
}

static void shard_grow(shard *s) {
  size_t nb = s->nbuckets * 2;
  centry **b = ecai__calloc(nb, sizeof *b);
  if (!b) return; /* keep the longer chains */
  for (size_t i = 0; i < s->nbuckets; i++) {
    centry *e = s->buckets[i];
    while (e) {
      centry *nx = e->hnext;
      e->hnext = b[e->h & (nb - 1)];
      b[e->h & (nb - 1)] = e;
      e = nx;
    }
  }
  ecai__free(s->buckets);
  s->buckets = b;
  s->nbuckets = nb;
}

static void shard_clear(shard *s) {
  centry *e = s->head;
  while (e) {
    centry *nx = e->next;
    entry_free(e);
    e = nx;
  }
  memset(s->buckets, 0, s->nbuckets * sizeof *s->buckets);
  if (s->ibuckets) memset(s->ibuckets, 0, s->nibuckets * sizeof *s->ibuckets);
  s->nlinks = 0;
  s->head = s->tail = NULL;
  s->count = s->bytes = 0;
}

static size_t meta_charge(const ecai__cmeta *m) {
  size_t n = 0;
  for (uint32_t i = 0; i < m->ntags; i++) n += strlen(m->tags[i]) + 1 + sizeof(char *) + sizeof(ilink);
  for (uint32_t i = 0; i < m->nprods; i++) n += strlen(m->prods[i].sku) + 1 + sizeof(ecai__cprod) + sizeof(ilink);
  return n;
}

/* Inserts into the shard (locked by the caller); takes ownership of meta's arrays. */
static ecai_status shard_insert(ecai_cache *c, shard *s, const uint8_t *key, const void *v, size_t n,
                                int64_t expires_ms, ecai__cmeta *meta) {
  uint64_t h = key_lo(key);
  centry **pp = find_slot(s, key, h);
  if (*pp) shard_remove(s, *pp);
  size_t charge = sizeof(centry) + n + 1 + meta_charge(meta);
  s->puts++;
  if (charge > s->budget) { /* would evict everything: not stored */
    ecai__cmeta_free(meta);
    return ECAI_OK;
  }
  uint32_t nl = meta->ntags + meta->nprods;
  centry *e = ecai__malloc(sizeof(centry) + n + 1);
  ilink *links = nl ? ecai__calloc(nl, sizeof *links) : NULL;
  if (nl && !s->ibuckets && (s->ibuckets = ecai__calloc(64, sizeof *s->ibuckets)) != NULL) s->nibuckets = 64;
  if (!e || (nl && (!links || !s->ibuckets))) {
    ecai__free(e);
    ecai__free(links);
    ecai__cmeta_free(meta);
    return ecai__err(ECAI_ENOMEM, "ecai_cache_put: out of memory (%zu bytes)", n);
  }
  memset(e, 0, sizeof *e);
  e->links = links;
  memcpy(e->key, key, 16);
  e->h = h;
  e->expires_ms = expires_ms;
  e->saved_tokens = meta->saved_tokens;
  e->saved_cost = meta->saved_cost;
  e->vlen = n;
  e->charge = charge;
  if (n) memcpy(e->val, v, n);
  e->val[n] = 0;
  e->meta = *meta;
  memset(meta, 0, sizeof *meta);
  int64_t now = c->now(c->now_p);
  while (s->bytes + charge > s->budget && s->tail) {
    centry *victim = s->tail;
    bool expired = victim->expires_ms && victim->expires_ms <= now;
    if (victim->ref && !expired) { /* used since it was last moved: second chance */
      victim->ref = 0;
      lru_unlink(s, victim);
      lru_push_front(s, victim);
      continue;
    }
    if (expired) s->expirations++;
    else s->evictions++;
    shard_remove(s, victim);
  }
  pp = find_slot(s, key, h);
  e->hnext = NULL;
  *pp = e;
  lru_push_front(s, e);
  s->count++;
  s->bytes += charge;
  if (s->count > s->nbuckets) shard_grow(s);
  for (uint32_t i = 0; i < nl; i++) {
    ilink *l = &e->links[i];
    l->e = e;
    l->k = i < e->meta.ntags ? tag_key(e->meta.tags[i]) : sku_key(e->meta.prods[i - e->meta.ntags].sku);
    index_push(s->ibuckets, s->nibuckets, l);
    s->nlinks++;
  }
  if (s->nlinks > s->nibuckets) index_grow(s);
  return ECAI_OK;
}

/* ---- lifecycle ---------------------------------------------------------------- */

static void cache_destroy(ecai_cache *c) {
  if (!c) return;
  if (c->shards) {
    for (size_t i = 0; i < c->nshards; i++) {
      if (c->shards[i].buckets) {
        shard_clear(&c->shards[i]);
        ecai__free(c->shards[i].buckets);
      }
      ecai__free(c->shards[i].ibuckets);
      pthread_mutex_destroy(&c->shards[i].mu);
    }
    ecai__free(c->shards);
  }
  counter *k = c->counters;
  while (k) {
    counter *nx = k->next;
    ecai__free(k->name);
    ecai__free(k);
    k = nx;
  }
  pthread_mutex_destroy(&c->cmu);
  ecai__redis_free(c->r);
  ecai__free(c->persist_path);
  ecai__free(c);
}

ecai_status ecai_cache_new(ecai_cache **out, const ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  int64_t max_bytes = ecai__cfg_int(ctx, "cache.max_bytes", 64 << 20);
  int64_t ttl_s = ecai__cfg_int(ctx, "cache.ttl_s", 86400);
  int64_t nshards = ecai__cfg_int(ctx, "cache.shards", 16);
  const char *backend = ecai__cfg_str(ctx, "cache.backend", "memory");
  if (max_bytes < 1024) return ecai__err(ECAI_EINVAL, "ecai_cache_new: cache.max_bytes must be >= 1024 (got %lld)", (long long)max_bytes);
  if (ttl_s < 0) return ecai__err(ECAI_EINVAL, "ecai_cache_new: cache.ttl_s must be >= 0 (0 = no expiry)");
  if (nshards < 1 || nshards > 1024) return ecai__err(ECAI_EINVAL, "ecai_cache_new: cache.shards must be in 1..1024 (got %lld)", (long long)nshards);
  ecai_cache *c = ecai__calloc(1, sizeof *c);
  if (!c) return ecai__err(ECAI_ENOMEM, "ecai_cache_new: out of memory");
  pthread_mutex_init(&c->cmu, NULL);
  c->ctx = ctx;
  c->now = ecai__cache_realtime_ms;
  c->max_bytes = (size_t)max_bytes;
  c->default_ttl_ms = ttl_s * 1000;
  ecai_status st = ECAI_OK;
  if (!strcmp(backend, "redis")) {
    c->redis = 1;
    st = ecai__redis_new(&c->r, ctx, "ecai_cache_new", "cache.backend \"redis\"");
    if (st) goto fail;
    *out = c;
    return ECAI_OK;
  }
  c->nshards = (size_t)nshards;
  c->shards = ecai__calloc(c->nshards, sizeof *c->shards);
  if (!c->shards) goto oom;
  for (size_t i = 0; i < c->nshards; i++) {
    shard *s = &c->shards[i];
    pthread_mutex_init(&s->mu, NULL);
    s->nbuckets = 64;
    s->budget = c->max_bytes / c->nshards;
    if (!(s->buckets = ecai__calloc(s->nbuckets, sizeof *s->buckets))) goto oom;
  }
  const char *pp = ecai__cfg_str(ctx, "cache.persist_path", NULL);
  if (pp && *pp) {
    if (!(c->persist_path = ecai__strdup(pp))) goto oom;
    size_t n = 0;
    st = ecai_cache_load(&n, c, pp);
    if (st == ECAI_OK) {
      ecai__log(ctx, ECAI_LOG_INFO, "cache: loaded %zu entries from %s", n, pp);
    } else if (st == ECAI_ENOTFOUND) {
      /* first start */
    } else if (st == ECAI_ENOMEM) {
      goto oom;
    } else {
      atomic_fetch_add(&c->load_errors, 1);
      ecai__log(ctx, ECAI_LOG_WARN, "cache: ignoring persisted cache: %s", ecai_last_error());
    }
    st = ECAI_OK;
  }
  *out = c;
  return ECAI_OK;
oom:
  st = ecai__err(ECAI_ENOMEM, "ecai_cache_new: out of memory");
fail:
  cache_destroy(c);
  return st;
}

void ecai_cache_free(ecai_cache *c) {
  if (!c) return;
  if (c->persist_path && !c->redis) {
    if (ecai_cache_save(c, c->persist_path) != ECAI_OK)
      ecai__log(c->ctx, ECAI_LOG_WARN, "cache: could not persist: %s", ecai_last_error());
  }
  cache_destroy(c);
}

/* ---- operations ------------------------------------------------------------- */

static void backend_error(ecai_cache *c, const char *op) {
  atomic_fetch_add(&c->backend_errors, 1);
  ecai__log(c->ctx, ECAI_LOG_WARN, "cache: redis %s failed; treated as a miss", op);
}

ecai_status ecai_cache_put(ecai_cache *c, const uint8_t *key, const void *value, size_t value_len, int64_t ttl_ms,
                           const char *meta_json) {
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(key);
  if (!value && value_len) return ecai__err(ECAI_EINVAL, "ecai_cache_put: value is NULL with value_len %zu", value_len);
  if (ttl_ms < -1) return ecai__err(ECAI_EINVAL, "ecai_cache_put: ttl_ms must be >= -1 (got %lld)", (long long)ttl_ms);
  ecai__cmeta m;
  ecai_status st = ecai__cmeta_parse(&m, meta_json);
  if (st) return st;
  if (ttl_ms == 0) ttl_ms = c->default_ttl_ms ? c->default_ttl_ms : -1;
  int64_t now = c->now(c->now_p);
  int64_t expires = ttl_ms > 0 ? now + ttl_ms : 0;
  if (m.expires_at_ms && (!expires || m.expires_at_ms < expires)) expires = m.expires_at_ms;
  if (expires && expires <= now) { /* already expired: nothing to store */
    ecai__cmeta_free(&m);
    if (!c->redis) {
      shard *s = shard_of(c, key);
      pthread_mutex_lock(&s->mu);
      centry **pp = find_slot(s, key, key_lo(key));
      if (*pp) shard_remove(s, *pp);
      pthread_mutex_unlock(&s->mu);
    } else if (ecai__redis_del(c->r, key) < 0) {
      backend_error(c, "DEL");
    }
    return ECAI_OK;
  }
  if (c->redis) {
    int rc = ecai__redis_put(c->r, key, value, value_len, expires ? expires - now : 0, &m);
    ecai__cmeta_free(&m);
    if (rc < 0) backend_error(c, "SET");
    else {
      pthread_mutex_lock(&c->cmu);
      c->r_puts++;
      pthread_mutex_unlock(&c->cmu);
    }
    return ECAI_OK;
  }
  shard *s = shard_of(c, key);
  pthread_mutex_lock(&s->mu);
  st = shard_insert(c, s, key, value, value_len, expires, &m);
  pthread_mutex_unlock(&s->mu);
  return st;
}

ecai_status ecai_cache_get(void **out, size_t *out_len, ecai_cache *c, const uint8_t *key) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(key);
  if (c->redis) {
    int64_t tok = 0;
    double cost = 0;
    size_t n = 0;
    int rc = ecai__redis_get(c->r, key, out, &n, &tok, &cost);
    if (rc < 0) {
      backend_error(c, "GET");
      rc = 0;
    }
    pthread_mutex_lock(&c->cmu);
    if (rc > 0) {
      c->r_hits++;
      c->r_tokens_saved += (uint64_t)tok;
      c->r_cost_saved += cost;
    } else {
      c->r_misses++;
    }
    pthread_mutex_unlock(&c->cmu);
    if (rc == 0) return ecai__err(ECAI_ENOTFOUND, "ecai_cache_get: miss");
    if (out_len) *out_len = n;
    return ECAI_OK;
  }
  shard *s = shard_of(c, key);
  uint64_t h = key_lo(key);
  pthread_mutex_lock(&s->mu);
  centry **pp = find_slot(s, key, h), *e = *pp;
  if (e && e->expires_ms && e->expires_ms <= c->now(c->now_p)) {
    s->expirations++;
    shard_remove(s, e);
    e = NULL;
  }
  if (!e) {
    s->misses++;
    pthread_mutex_unlock(&s->mu);
    return ecai__err(ECAI_ENOTFOUND, "ecai_cache_get: miss");
  }
  void *copy = ecai__malloc(e->vlen + 1);
  if (!copy) {
    pthread_mutex_unlock(&s->mu);
    return ecai__err(ECAI_ENOMEM, "ecai_cache_get: out of memory (%zu bytes)", e->vlen);
  }
  memcpy(copy, e->val, e->vlen + 1);
  e->ref = 1; /* CLOCK-style LRU: the list is reordered lazily at eviction time */
  s->hits++;
  s->tokens_saved += (uint64_t)e->saved_tokens;
  s->cost_saved += e->saved_cost;
  if (out_len) *out_len = e->vlen;
  pthread_mutex_unlock(&s->mu);
  *out = copy;
  return ECAI_OK;
}

ecai_status ecai_cache_delete(ecai_cache *c, const uint8_t *key) {
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(key);
  if (c->redis) {
    if (ecai__redis_del(c->r, key) < 0) backend_error(c, "DEL");
    return ECAI_OK;
  }
  shard *s = shard_of(c, key);
  pthread_mutex_lock(&s->mu);
  centry **pp = find_slot(s, key, key_lo(key));
  if (*pp) {
    shard_remove(s, *pp);
    s->invalidations++;
  }
  pthread_mutex_unlock(&s->mu);
  return ECAI_OK;
}

typedef bool (*entry_pred)(const centry *e, const void *arg);

/* Removes the entries of every shard whose index links carry key k and satisfy pred
 * (pred re-checks the string: different tags may share a key or a bucket). Only the
 * links of one bucket per shard are visited. */
static size_t remove_indexed(ecai_cache *c, uint64_t k, entry_pred pred, const void *arg) {
  size_t n = 0;
  unsigned long long visits = 0;
  for (size_t i = 0; i < c->nshards; i++) {
    shard *s = &c->shards[i];
    pthread_mutex_lock(&s->mu);
    if (s->nibuckets) {
      ilink *l = s->ibuckets[k & (s->nibuckets - 1)];
      while (l) {
        visits++;
        if (l->k == k && pred(l->e, arg)) {
          /* removing the entry unlinks all its links, possibly l->next: start over */
          shard_remove(s, l->e);
          s->invalidations++;
          n++;
          l = s->ibuckets[k & (s->nibuckets - 1)];
          continue;
        }
        l = l->next;
      }
    }
    pthread_mutex_unlock(&s->mu);
  }
  atomic_fetch_add(&c->index_visits, visits);
  return n;
}

unsigned long long ecai__cache_index_visits(ecai_cache *c) { return atomic_load(&c->index_visits); }

static bool has_tag(const centry *e, const void *arg) {
  for (uint32_t i = 0; i < e->meta.ntags; i++)
    if (!strcmp(e->meta.tags[i], (const char *)arg)) return true;
  return false;
}

typedef struct {
  const char *sku;
  uint64_t hash;
} prod_arg;

static bool stale_product(const centry *e, const void *arg) {
  const prod_arg *p = arg;
  for (uint32_t i = 0; i < e->meta.nprods; i++)
    if (e->meta.prods[i].hash != p->hash && !strcmp(e->meta.prods[i].sku, p->sku)) return true;
  return false;
}

static void add_invalidations(ecai_cache *c, size_t n) {
  pthread_mutex_lock(&c->cmu);
  c->r_invalidations += n;
  pthread_mutex_unlock(&c->cmu);
}

ecai_status ecai_cache_invalidate_tag(size_t *out_n, ecai_cache *c, const char *tag) {
  if (out_n) *out_n = 0;
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(tag);
  size_t n = 0;
  if (c->redis) {
    if (ecai__redis_invalidate_tag(c->r, tag, &n) < 0) backend_error(c, "tag invalidation");
    add_invalidations(c, n);
  } else {
    n = remove_indexed(c, tag_key(tag), has_tag, tag);
  }
  if (out_n) *out_n = n;
  return ECAI_OK;
}

ecai_status ecai_cache_invalidate_product(size_t *out_n, ecai_cache *c, const char *sku, uint64_t new_fact_hash) {
  if (out_n) *out_n = 0;
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(sku);
  size_t n = 0;
  if (c->redis) {
    if (ecai__redis_invalidate_product(c->r, sku, new_fact_hash, &n) < 0) backend_error(c, "product invalidation");
    add_invalidations(c, n);
  } else {
    prod_arg a = {sku, new_fact_hash};
    n = remove_indexed(c, sku_key(sku), stale_product, &a);
  }
  if (out_n) *out_n = n;
  return ECAI_OK;
}

ecai_status ecai_cache_clear(ecai_cache *c) {
  ECAI__CHECK_ARG(c);
  if (c->redis) {
    if (ecai__redis_clear(c->r) < 0) backend_error(c, "clear");
    return ECAI_OK;
  }
  for (size_t i = 0; i < c->nshards; i++) {
    pthread_mutex_lock(&c->shards[i].mu);
    shard_clear(&c->shards[i]);
    pthread_mutex_unlock(&c->shards[i].mu);
  }
  return ECAI_OK;
}

ecai_status ecai_cache_stats_json(char **out, size_t *out_len, ecai_cache *c) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(c);
  uint64_t hits = 0, misses = 0, puts = 0, ev = 0, ex = 0, inv = 0, tok = 0, entries = 0, bytes = 0;
  double cost = 0;
  for (size_t i = 0; i < c->nshards; i++) {
    shard *s = &c->shards[i];
    pthread_mutex_lock(&s->mu);
    hits += s->hits; misses += s->misses; puts += s->puts; ev += s->evictions; ex += s->expirations;
    inv += s->invalidations; tok += s->tokens_saved; cost += s->cost_saved;
    entries += s->count; bytes += s->bytes;
    pthread_mutex_unlock(&s->mu);
  }
  pthread_mutex_lock(&c->cmu);
  hits += c->r_hits; misses += c->r_misses; puts += c->r_puts; inv += c->r_invalidations;
  tok += c->r_tokens_saved; cost += c->r_cost_saved;
  pthread_mutex_unlock(&c->cmu);
  ecai__buf b = {0};
  ecai__buf_printf(&b,
                   "{\"backend\":\"%s\",\"hits\":%llu,\"misses\":%llu,\"puts\":%llu,\"evictions\":%llu,"
                   "\"expirations\":%llu,\"invalidations\":%llu,\"entries\":%llu,\"bytes\":%llu,"
                   "\"max_bytes\":%zu,\"tokens_saved\":%llu,\"cost_saved\":%.6f,\"backend_errors\":%llu,"
                   "\"load_errors\":%llu,\"hit_rate\":%.6f}",
                   c->redis ? "redis" : "memory", (unsigned long long)hits, (unsigned long long)misses,
                   (unsigned long long)puts, (unsigned long long)ev, (unsigned long long)ex,
                   (unsigned long long)inv, (unsigned long long)entries, (unsigned long long)bytes,
                   c->redis ? (size_t)0 : c->max_bytes, (unsigned long long)tok, cost,
                   (unsigned long long)atomic_load(&c->backend_errors),
                   (unsigned long long)atomic_load(&c->load_errors),
                   hits + misses ? (double)hits / (double)(hits + misses) : 0.0);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "ecai_cache_stats_json: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

/* ---- counters ----------------------------------------------------------------- */

ecai_status ecai_cache_counter_add(double *out_total, ecai_cache *c, const char *name, double delta,
                                   int64_t window_s) {
  if (out_total) *out_total = 0;
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(name);
  if (!*name) return ecai__err(ECAI_EINVAL, "ecai_cache_counter_add: empty counter name");
  if (!isfinite(delta)) return ecai__err(ECAI_EINVAL, "ecai_cache_counter_add: delta is not finite");
  if (window_s < 0) return ecai__err(ECAI_EINVAL, "ecai_cache_counter_add: window_s must be >= 0");
  if (c->redis) {
    double t = 0;
    if (ecai__redis_counter_add(c->r, name, delta, window_s, &t) < 0) {
      atomic_fetch_add(&c->backend_errors, 1);
      return ecai__err(ECAI_EIO, "ecai_cache_counter_add: redis unavailable");
    }
    if (out_total) *out_total = t;
    return ECAI_OK;
  }
  int64_t now = c->now(c->now_p);
  pthread_mutex_lock(&c->cmu);
  counter *k = c->counters;
  while (k && strcmp(k->name, name)) k = k->next;
  if (!k) {
    k = ecai__calloc(1, sizeof *k);
    if (!k || !(k->name = ecai__strdup(name))) {
      ecai__free(k);
      pthread_mutex_unlock(&c->cmu);
      return ecai__err(ECAI_ENOMEM, "ecai_cache_counter_add: out of memory");
    }
    k->next = c->counters;
    c->counters = k;
  }
  if (k->window_end_ms && k->window_end_ms <= now) {
    k->value = 0;
    k->window_end_ms = 0;
  }
  if (window_s > 0 && !k->window_end_ms) k->window_end_ms = now + window_s * 1000;
  k->value += delta;
  if (out_total) *out_total = k->value;
  pthread_mutex_unlock(&c->cmu);
  return ECAI_OK;
}

/* ---- persistence --------------------------------------------------------------------
 * File: "ECAICACH" magic, u32 version (1), u32 reserved, u64 entry count, entries,
 * u64 XXH64 of every preceding byte. Entry: key[16], i64 expires_ms, i64 saved_tokens,
 * f64 saved_cost, u32 ntags {u32 len, bytes}, u32 nprods {u32 len, bytes, u64 hash},
 * u64 value length, value. Little-endian (host order on the supported platforms). */

#define PERSIST_MAGIC "ECAICACH"
#define PERSIST_VERSION 1u


ecai_status ecai_cache_save(ecai_cache *c, const char *path) {
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(path);
  if (c->redis) return ecai__err(ECAI_EUNSUPPORTED, "ecai_cache_save: the redis backend persists itself");
  ecai__buf b = {0};
  ecai__buf_append(&b, PERSIST_MAGIC, 8);
  ecai__put_u32(&b, PERSIST_VERSION);
  ecai__put_u32(&b, 0);
  size_t count_at = b.len;
  ecai__put_u64(&b, 0);
  uint64_t count = 0;
  int64_t now = c->now(c->now_p);
  for (size_t i = 0; i < c->nshards; i++) {
    shard *s = &c->shards[i];
    pthread_mutex_lock(&s->mu);
    for (centry *e = s->tail; e; e = e->prev) { /* oldest first: reload keeps LRU order */
      if (e->expires_ms && e->expires_ms <= now) continue;
      ecai__buf_append(&b, e->key, 16);
      ecai__put_u64(&b, (uint64_t)e->expires_ms);
      ecai__put_u64(&b, (uint64_t)e->saved_tokens);
      ecai__buf_append(&b, &e->saved_cost, 8);
      ecai__put_u32(&b, e->meta.ntags);
      for (uint32_t t = 0; t < e->meta.ntags; t++) {
        uint32_t l = (uint32_t)strlen(e->meta.tags[t]);
        ecai__put_u32(&b, l);
        ecai__buf_append(&b, e->meta.tags[t], l);
      }
      ecai__put_u32(&b, e->meta.nprods);
      for (uint32_t p = 0; p < e->meta.nprods; p++) {
        uint32_t l = (uint32_t)strlen(e->meta.prods[p].sku);
        ecai__put_u32(&b, l);
        ecai__buf_append(&b, e->meta.prods[p].sku, l);
        ecai__put_u64(&b, e->meta.prods[p].hash);
      }
      ecai__put_u64(&b, e->vlen);
      ecai__buf_append(&b, e->val, e->vlen);
      count++;
    }
    pthread_mutex_unlock(&s->mu);
  }
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "ecai_cache_save: out of memory");
  }
  memcpy(b.data + count_at, &count, 8);
  uint64_t sum = XXH64(b.data, b.len, 0);
  ecai__put_u64(&b, sum);
  return ecai__buf_write_atomic(&b, path, "ecai_cache_save");
}

/* Parses (dry == true: validates only) the body; inserts when !dry. */
static ecai_status parse_entries(ecai_cache *c, const unsigned char *data, size_t len, bool dry, size_t *loaded) {
  ecai__rd r = {(const char *)data, len, 24, 0};
  uint64_t count;
  memcpy(&count, data + 16, 8);
  int64_t now = c->now(c->now_p);
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *key = ecai__get_bytes(&r, 16);
    int64_t expires = (int64_t)ecai__get_u64(&r);
    ecai__cmeta m;
    memset(&m, 0, sizeof m);
    m.saved_tokens = (int64_t)ecai__get_u64(&r);
    const void *cp = ecai__get_bytes(&r, 8);
    if (cp) memcpy(&m.saved_cost, cp, 8);
    uint32_t nt = ecai__get_u32(&r);
    if (nt > len) r.bad = 1;
    if (!dry && !r.bad && nt && !(m.tags = ecai__calloc(nt, sizeof *m.tags))) return ECAI_ENOMEM;
    for (uint32_t t = 0; t < nt && !r.bad; t++) {
      uint32_t l = ecai__get_u32(&r);
      const char *s = ecai__get_bytes(&r, l);
      if (!dry && s) {
        if (!(m.tags[m.ntags] = ecai__strndup(s, l))) { ecai__cmeta_free(&m); return ECAI_ENOMEM; }
        m.ntags++;
      }
    }
    uint32_t np = ecai__get_u32(&r);
    if (np > len) r.bad = 1;
    if (!dry && !r.bad && np && !(m.prods = ecai__calloc(np, sizeof *m.prods))) { ecai__cmeta_free(&m); return ECAI_ENOMEM; }
    for (uint32_t p = 0; p < np && !r.bad; p++) {
      uint32_t l = ecai__get_u32(&r);
      const char *s = ecai__get_bytes(&r, l);
      uint64_t h = ecai__get_u64(&r);
      if (!dry && s && !r.bad) {
        if (!(m.prods[m.nprods].sku = ecai__strndup(s, l))) { ecai__cmeta_free(&m); return ECAI_ENOMEM; }
        m.prods[m.nprods++].hash = h;
      }
    }
    uint64_t vlen = ecai__get_u64(&r);
    const void *v = ecai__get_bytes(&r, (size_t)vlen);
    if (r.bad) {
      ecai__cmeta_free(&m);
      return ecai__err(ECAI_ECORRUPT, "entry %llu is truncated", (unsigned long long)i);
    }
    if (!dry) {
      if (expires && expires <= now) {
        ecai__cmeta_free(&m);
        continue;
      }
      shard *s = shard_of(c, key);
      pthread_mutex_lock(&s->mu);
      ecai_status st = shard_insert(c, s, key, v, (size_t)vlen, expires, &m);
      s->puts--; /* a load is not a put */
      pthread_mutex_unlock(&s->mu);
      if (st) return st;
      (*loaded)++;
    }
  }
  if (r.pos != len) return ecai__err(ECAI_ECORRUPT, "%zu trailing bytes", len - r.pos);
  return ECAI_OK;
}

ecai_status ecai_cache_load(size_t *out_n, ecai_cache *c, const char *path) {
  if (out_n) *out_n = 0;
  ECAI__CHECK_ARG(c);
  ECAI__CHECK_ARG(path);
  if (c->redis) return ecai__err(ECAI_EUNSUPPORTED, "ecai_cache_load: the redis backend persists itself");
  ecai__buf b;
  ecai_status st = ecai__read_file(&b, path, SIZE_MAX, ECAI_ENOTFOUND, "ecai_cache_load");
  if (st) return st;
  const unsigned char *d = (const unsigned char *)b.data;
  uint32_t ver = 0;
  if (b.len < 32 || memcmp(d, PERSIST_MAGIC, 8) != 0) {
    st = ecai__err(ECAI_ECORRUPT, "ecai_cache_load: %s is not a libecai cache file (or is truncated)", path);
    goto done;
  }
  memcpy(&ver, d + 8, 4);
  if (ver != PERSIST_VERSION) {
    st = ecai__err(ECAI_ECORRUPT, "ecai_cache_load: %s has format version %u, expected %u", path, ver, PERSIST_VERSION);
    goto done;
  }
  uint64_t sum;
  memcpy(&sum, d + b.len - 8, 8);
  if (XXH64(d, b.len - 8, 0) != sum) {
    st = ecai__err(ECAI_ECORRUPT, "ecai_cache_load: %s fails its checksum (truncated or damaged)", path);
    goto done;
  }
  st = parse_entries(c, d, b.len - 8, true, NULL);
  if (st) {
    ecai__err_prefix(st, "ecai_cache_load: %s", path);
    goto done;
  }
  size_t n = 0;
  st = parse_entries(c, d, b.len - 8, false, &n);
  if (st == ECAI_ENOMEM) ecai__err(st, "ecai_cache_load: out of memory");
  if (out_n) *out_n = n;
done:
  ecai__buf_free(&b);
  return st;
}
