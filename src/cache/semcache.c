/* Semantic cache: per-partition FAISS inner-product indexes over L2-normalised
 * vectors, one global LRU, verified hits. Removed entries leave a dead slot in their
 * partition's index; a partition is rebuilt from its live vectors when dead slots
 * outnumber live ones (amortised O(dim) per eviction). Each partition also counts the
 * content words of its questions (document frequencies for the IDF-weighted word
 * rule of verification). Persistence: ecai_semcache_save / _load below. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>

#include "cache/cache_internal.h"

#define SEM_K 8

typedef struct part part;

typedef struct sentry {
  struct sentry *prev, *next;
  part *part;
  int64_t slot;
  char *query;
  size_t qlen;
  void *val;
  size_t vlen;
  uint64_t *words; /* content words (ecai__semwords) */
  uint32_t nwords;
  float vec[];
} sentry;

struct part {
  char *name;
  uint64_t hash; /* of name: a cheap first comparison */
  FaissIndex *idx;
  sentry **slots;
  size_t nslots, cap, live;
  ecai__dfmap df; /* content-word document frequencies over the live entries */
};

struct ecai_semcache {
  pthread_mutex_t mu;
  pthread_mutex_t tmu; /* the tokenizer (stemmer) and its scratch tokens; never held with mu waiting on it */
  ecai__tokenizer *tk;
  ecai__tokens toks;
  const ecai_ctx *ctx;
  size_t dim;
  int text;
  double threshold;
  int verify;
  double word_mismatch; /* verification: max IDF-weighted share of unshared content words (1 = off) */
  char *persist_path;
  uint64_t load_errors;
  size_t max_entries;
  char *index_desc;
  part **parts;
  size_t nparts, capparts;
  sentry *head, *tail;
  size_t count;
  uint64_t lookups, hits, misses, verify_rejects, evictions, puts;
};

static void semcache_destroy(ecai_semcache *sc);

static ecai_status faiss_fail(const char *what) {
  const char *m = faiss_get_last_error();
  return ecai__err(ECAI_EBACKEND, "%s: FAISS: %s", what, m ? m : "unknown error");
}

ecai_status ecai_semcache_new(ecai_semcache **out, const ecai_ctx *ctx, size_t dim) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  if (dim > 65536) return ecai__err(ECAI_EINVAL, "ecai_semcache_new: dim %zu is too large", dim);
  double th = ecai__cfg_double(ctx, "cache.semantic_threshold", ECAI__SEM_THRESHOLD);
  int64_t max = ecai__cfg_int(ctx, "cache.semantic_max_entries", 100000);
  if (!(th >= -1.0 && th <= 1.0)) return ecai__err(ECAI_EINVAL, "ecai_semcache_new: cache.semantic_threshold must be in [-1, 1]");
  if (max < 1) return ecai__err(ECAI_EINVAL, "ecai_semcache_new: cache.semantic_max_entries must be >= 1");
  double wm = ecai__cfg_double(ctx, "cache.verify_word_mismatch", ECAI__SEM_WORD_MISMATCH);
  if (!(wm >= 0.0 && wm <= 1.0)) return ecai__err(ECAI_EINVAL, "ecai_semcache_new: cache.verify_word_mismatch must be in [0, 1]");
  ecai_semcache *sc = ecai__calloc(1, sizeof *sc);
  if (!sc) return ecai__err(ECAI_ENOMEM, "ecai_semcache_new: out of memory");
  sc->index_desc = ecai__strdup(ecai__cfg_str(ctx, "cache.semantic_index", "Flat"));
  if (!sc->index_desc) {
    ecai__free(sc);
    return ecai__err(ECAI_ENOMEM, "ecai_semcache_new: out of memory");
  }
  pthread_mutex_init(&sc->mu, NULL);
  pthread_mutex_init(&sc->tmu, NULL);
  sc->word_mismatch = wm;
  if (ecai__tokenizer_new(&sc->tk) != ECAI_OK) {
    semcache_destroy(sc);
    return ecai__err(ECAI_ENOMEM, "ecai_semcache_new: out of memory");
  }
  sc->ctx = ctx;
  sc->text = dim == 0;
  sc->dim = dim ? dim : ECAI__TEXTVEC_DIM;
  sc->threshold = th;
  sc->max_entries = (size_t)max;
  sc->verify = ecai__cfg_bool(ctx, "cache.verify", true) ? 1 : 0;
  /* validate the factory string now rather than on the first put */
  FaissIndex *probe = NULL;
  if (faiss_index_factory(&probe, (int)sc->dim, sc->index_desc, METRIC_INNER_PRODUCT) != 0) {
    ecai_status st = faiss_fail("ecai_semcache_new: cache.semantic_index");
    semcache_destroy(sc);
    return st == ECAI_EBACKEND ? ecai__err_prefix(ECAI_EINVAL, "bad index description") : st;
  }
  faiss_Index_free(probe);
  const char *pp = ecai__cfg_str(ctx, "cache.semantic_persist_path", NULL);
  if (pp && *pp) {
    if (!(sc->persist_path = ecai__strdup(pp))) {
      semcache_destroy(sc);
      return ecai__err(ECAI_ENOMEM, "ecai_semcache_new: out of memory");
    }
    size_t n = 0;
    ecai_status st = ecai_semcache_load(&n, sc, pp);
    if (st == ECAI_OK) {
      ecai__log(ctx, ECAI_LOG_INFO, "semantic cache: loaded %zu entries from %s", n, pp);
    } else if (st == ECAI_ENOMEM) {
      semcache_destroy(sc);
      return ecai__err(ECAI_ENOMEM, "ecai_semcache_new: out of memory");
    } else if (st != ECAI_ENOTFOUND) {
      sc->load_errors++;
      ecai__log(ctx, ECAI_LOG_WARN, "semantic cache: ignoring persisted cache: %s", ecai_last_error());
    }
  }
  *out = sc;
  return ECAI_OK;
}

static void entry_free(sentry *e) {
  ecai__free(e->words);
  ecai__free(e->query);
  ecai__free(e->val);
  ecai__free(e);
}

void ecai_semcache_free(ecai_semcache *sc) {
  if (!sc) return;
  if (sc->persist_path && ecai_semcache_save(sc, sc->persist_path) != ECAI_OK)
    ecai__log(sc->ctx, ECAI_LOG_WARN, "semantic cache: could not persist: %s", ecai_last_error());
  semcache_destroy(sc);
}

static void semcache_destroy(ecai_semcache *sc) {
  sentry *e = sc->head;
  while (e) {
    sentry *nx = e->next;
    entry_free(e);
    e = nx;
  }
  for (size_t i = 0; i < sc->nparts; i++) {
    if (sc->parts[i]->idx) faiss_Index_free(sc->parts[i]->idx);
    ecai__df_free(&sc->parts[i]->df);
    ecai__free(sc->parts[i]->slots);
    ecai__free(sc->parts[i]->name);
    ecai__free(sc->parts[i]);
  }
  ecai__free(sc->parts);
  ecai__free(sc->index_desc);
  ecai__free(sc->persist_path);
  ecai__tokens_free(&sc->toks);
  ecai__tokenizer_free(sc->tk);
  pthread_mutex_destroy(&sc->tmu);
  pthread_mutex_destroy(&sc->mu);
  ecai__free(sc);
}

ecai_status ecai_semcache_set_int(ecai_semcache *sc, ecai_semcache_opt opt, int64_t v) {
  ECAI__CHECK_ARG(sc);
  if (opt == ECAI_SEMCACHE_OPT_THRESHOLD || opt == ECAI_SEMCACHE_OPT_WORD_MISMATCH)
    return ecai__err(ECAI_EINVAL, "ecai_semcache_set_int: option %d is a double", (int)opt);
  if (opt == ECAI_SEMCACHE_OPT_MAX_ENTRIES) {
    if (v < 1) return ecai__err(ECAI_EINVAL, "ecai_semcache_set_int: max_entries must be >= 1");
    pthread_mutex_lock(&sc->mu);
    sc->max_entries = (size_t)v;
    pthread_mutex_unlock(&sc->mu);
    return ECAI_OK; /* excess entries are evicted by the next put */
  }
  if (opt == ECAI_SEMCACHE_OPT_VERIFY) {
    if (v != 0 && v != 1) return ecai__err(ECAI_EINVAL, "ecai_semcache_set_int: verify must be 0 or 1");
    pthread_mutex_lock(&sc->mu);
    sc->verify = (int)v;
    pthread_mutex_unlock(&sc->mu);
    return ECAI_OK;
  }
  return ecai__err(ECAI_EUNSUPPORTED, "ecai_semcache_set_int: unknown option %d", (int)opt);
}

ecai_status ecai_semcache_set_double(ecai_semcache *sc, ecai_semcache_opt opt, double v) {
  ECAI__CHECK_ARG(sc);
  if (opt == ECAI_SEMCACHE_OPT_MAX_ENTRIES || opt == ECAI_SEMCACHE_OPT_VERIFY)
    return ecai__err(ECAI_EINVAL, "ecai_semcache_set_double: option %d is an int", (int)opt);
  if (opt == ECAI_SEMCACHE_OPT_WORD_MISMATCH) {
    if (!(v >= 0.0 && v <= 1.0)) return ecai__err(ECAI_EINVAL, "ecai_semcache_set_double: word mismatch must be in [0, 1]");
    pthread_mutex_lock(&sc->mu);
    sc->word_mismatch = v;
    pthread_mutex_unlock(&sc->mu);
    return ECAI_OK;
  }
  if (opt != ECAI_SEMCACHE_OPT_THRESHOLD) return ecai__err(ECAI_EUNSUPPORTED, "ecai_semcache_set_double: unknown option %d", (int)opt);
  if (!(v >= -1.0 && v <= 1.0)) return ecai__err(ECAI_EINVAL, "ecai_semcache_set_double: threshold must be in [-1, 1]");
  pthread_mutex_lock(&sc->mu);
  sc->threshold = v;
  pthread_mutex_unlock(&sc->mu);
  return ECAI_OK;
}

/* Copies vec normalised into out; EINVAL for NaN/Inf or zero. */
static ecai_status normalise(float *out, const float *vec, size_t dim, const char *fn) {
  double nn = 0;
  for (size_t i = 0; i < dim; i++) {
    if (!isfinite(vec[i])) return ecai__err(ECAI_EINVAL, "%s: vector component %zu is not finite", fn, i);
    nn += (double)vec[i] * vec[i];
  }
  if (!(nn > 0) || !isfinite(nn)) return ecai__err(ECAI_EINVAL, "%s: zero or overflowing vector", fn);
  double inv = 1.0 / sqrt(nn);
  for (size_t i = 0; i < dim; i++) out[i] = (float)(vec[i] * inv);
  return ECAI_OK;
}

static ecai_status check_common(ecai_semcache *sc, const char *partition, size_t dim, const char *query,
                                size_t qlen, const char *fn) {
  ECAI__CHECK_ARG(sc);
  ECAI__CHECK_ARG(partition);
  if (!query && qlen) return ecai__err(ECAI_EINVAL, "%s: query is NULL with length %zu", fn, qlen);
  if (dim != sc->dim) return ecai__err(ECAI_EINVAL, "%s: vector has %zu dimensions, the cache %zu", fn, dim, sc->dim);
  size_t bad;
  if (query && !ecai__utf8_valid(query, qlen, &bad)) return ecai__err(ECAI_EINVAL, "%s: query is not UTF-8 (byte %zu)", fn, bad);
  return ECAI_OK;
}

static part *find_part(ecai_semcache *sc, const char *name) {
  uint64_t h = XXH3_64bits(name, strlen(name));
  for (size_t i = 0; i < sc->nparts; i++)
    if (sc->parts[i]->hash == h && !strcmp(sc->parts[i]->name, name)) return sc->parts[i];
  return NULL;
}

/* An empty partition is dropped, so short-lived scopes (one per customer) do not
 * accumulate. */
static void drop_part(ecai_semcache *sc, part *p) {
  for (size_t i = 0; i < sc->nparts; i++)
    if (sc->parts[i] == p) {
      sc->parts[i] = sc->parts[--sc->nparts];
      break;
    }
  if (p->idx) faiss_Index_free(p->idx);
  ecai__df_free(&p->df);
  ecai__free(p->slots);
  ecai__free(p->name);
  ecai__free(p);
}

static void lru_unlink(ecai_semcache *sc, sentry *e) {
  if (e->prev) e->prev->next = e->next;
  else sc->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else sc->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_front(ecai_semcache *sc, sentry *e) {
  e->prev = NULL;
  e->next = sc->head;
  if (sc->head) sc->head->prev = e;
  sc->head = e;
  if (!sc->tail) sc->tail = e;
}

/* Rebuilds a partition's index from its live entries (slot numbers change). */
static ecai_status compact(ecai_semcache *sc, part *p) {
  if (p->live == 0) {
    if (p->idx) faiss_Index_free(p->idx);
    p->idx = NULL;
    p->nslots = 0;
    return ECAI_OK;
  }
  FaissIndex *idx = NULL;
  if (faiss_index_factory(&idx, (int)sc->dim, sc->index_desc, METRIC_INNER_PRODUCT) != 0)
    return faiss_fail("semcache compaction");
  float *buf = ecai__malloc(p->live * sc->dim * sizeof(float));
  if (!buf) {
    faiss_Index_free(idx);
    return ecai__err(ECAI_ENOMEM, "semcache compaction: out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < p->nslots; i++)
    if (p->slots[i]) memcpy(buf + (k++) * sc->dim, p->slots[i]->vec, sc->dim * sizeof(float));
  int rc = faiss_Index_add(idx, (int64_t)k, buf);
  ecai__free(buf);
  if (rc != 0) { /* keep the old index and numbering */
    ecai_status st = faiss_fail("semcache compaction");
    faiss_Index_free(idx);
    return st;
  }
  k = 0;
  for (size_t i = 0; i < p->nslots; i++) {
    sentry *e = p->slots[i];
    if (!e) continue;
    e->slot = (int64_t)k;
    p->slots[k++] = e;
  }
  if (p->idx) faiss_Index_free(p->idx);
  p->idx = idx;
  p->nslots = k;
  return ECAI_OK;
}

static void remove_entry(ecai_semcache *sc, sentry *e) {
  part *p = e->part;
  p->slots[e->slot] = NULL;
  p->live--;
  (void)ecai__df_add(&p->df, e->words, e->nwords, -1); /* a decrement never allocates */
  lru_unlink(sc, e);
  sc->count--;
  entry_free(e);
  if (p->live == 0) {
    drop_part(sc, p);
    return;
  }
  size_t dead = p->nslots - p->live;
  if (dead > (p->live > 1024 ? p->live : 1024)) {
    if (compact(sc, p) != ECAI_OK) ecai__log(sc->ctx, ECAI_LOG_WARN, "semcache: %s", ecai_last_error());
  }
}

/* Takes ownership of *words (set to NULL) on success. */
static ecai_status put_locked(ecai_semcache *sc, const char *partition, const float *nv, const char *query,
                              size_t qlen, const void *value, size_t vlen, uint64_t **words, uint32_t nwords) {
  while (sc->count >= sc->max_entries && sc->tail) {
    remove_entry(sc, sc->tail);
    sc->evictions++;
  }
  part *p = find_part(sc, partition);
  if (!p) {
    if (sc->nparts == sc->capparts) {
      size_t nc = sc->capparts ? sc->capparts * 2 : 8;
      part **np = ecai__realloc(sc->parts, nc * sizeof *np);
      if (!np) return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
      sc->parts = np;
      sc->capparts = nc;
    }
    p = ecai__calloc(1, sizeof *p);
    if (!p || !(p->name = ecai__strdup(partition))) {
      ecai__free(p);
      return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
    }
    p->hash = XXH3_64bits(partition, strlen(partition));
    sc->parts[sc->nparts++] = p;
  }
  if (!p->idx && faiss_index_factory(&p->idx, (int)sc->dim, sc->index_desc, METRIC_INNER_PRODUCT) != 0)
    return faiss_fail("ecai_semcache_put");
  if (p->nslots == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 64;
    sentry **ns = ecai__realloc(p->slots, nc * sizeof *ns);
    if (!ns) return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
    p->slots = ns;
    p->cap = nc;
  }
  sentry *e = ecai__calloc(1, sizeof *e + sc->dim * sizeof(float));
  if (!e) return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
  e->query = ecai__strndup(query ? query : "", qlen);
  e->val = ecai__malloc(vlen + 1);
  if (!e->query || !e->val) {
    entry_free(e);
    return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
  }
  if (ecai__df_add(&p->df, *words, nwords, +1) != ECAI_OK) {
    entry_free(e);
    return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
  }
  e->qlen = qlen;
  if (vlen) memcpy(e->val, value, vlen);
  ((char *)e->val)[vlen] = 0;
  e->vlen = vlen;
  memcpy(e->vec, nv, sc->dim * sizeof(float));
  if (faiss_Index_add(p->idx, 1, nv) != 0) {
    (void)ecai__df_add(&p->df, *words, nwords, -1);
    entry_free(e);
    return faiss_fail("ecai_semcache_put");
  }
  e->words = *words;
  e->nwords = nwords;
  *words = NULL;
  e->part = p;
  e->slot = (int64_t)p->nslots;
  p->slots[p->nslots++] = e;
  p->live++;
  lru_front(sc, e);
  sc->count++;
  sc->puts++;
  return ECAI_OK;
}

/* Rounding slack of a float cosine: the same words score 1 +- a few ulps, and the
 * default threshold 1.0 must still find them. */
#define SEM_EPS 1e-5f

static ecai_status lookup_locked(void **out, size_t *out_len, float *out_score, ecai_semcache *sc,
                                 const char *partition, const float *nv, const char *query, size_t qlen,
                                 const uint64_t *words, uint32_t nwords) {
  sc->lookups++;
  part *p = find_part(sc, partition);
  if (!p || !p->idx || p->live == 0) {
    sc->misses++;
    return ecai__err(ECAI_ENOTFOUND, "ecai_semcache_lookup: miss");
  }
  int64_t k = p->nslots < SEM_K ? (int64_t)p->nslots : SEM_K;
  float dist[SEM_K];
  int64_t lab[SEM_K];
  if (faiss_Index_search(p->idx, 1, nv, k, dist, lab) != 0) return faiss_fail("ecai_semcache_lookup");
  for (int64_t i = 0; i < k; i++) {
    if (lab[i] < 0 || (size_t)lab[i] >= p->nslots || !(dist[i] >= sc->threshold - SEM_EPS)) continue;
    sentry *e = p->slots[lab[i]];
    if (!e) continue;
    /* a paraphrase (not the same words) of a question with few content words is too
     * ambiguous to share an answer ("pending transaction?": a transfer or a card payment) */
    bool same_words = dist[i] >= 1.0f - SEM_EPS;
    if (sc->verify && ((!same_words && query && qlen && e->qlen && (nwords < ECAI__SEM_MIN_WORDS || e->nwords < ECAI__SEM_MIN_WORDS)) ||
                       !ecai__semverify(query ? query : "", qlen, e->query, e->qlen) ||
                       (sc->word_mismatch < 1.0 &&
                        ecai__word_mismatch(&p->df, p->live, words, nwords, e->words, e->nwords) > sc->word_mismatch))) {
      sc->verify_rejects++;
      continue;
    }
    void *copy = ecai__malloc(e->vlen + 1);
    if (!copy) return ecai__err(ECAI_ENOMEM, "ecai_semcache_lookup: out of memory");
    memcpy(copy, e->val, e->vlen + 1);
    *out = copy;
    if (out_len) *out_len = e->vlen;
    if (out_score) *out_score = dist[i];
    lru_unlink(sc, e);
    lru_front(sc, e);
    sc->hits++;
    return ECAI_OK;
  }
  sc->misses++;
  return ecai__err(ECAI_ENOTFOUND, "ecai_semcache_lookup: miss");
}

static ecai_status query_words(uint64_t **w, uint32_t *n, ecai_semcache *sc, const char *query, size_t qlen) {
  pthread_mutex_lock(&sc->tmu);
  ecai_status st = ecai__semwords(w, n, sc->tk, &sc->toks, query ? query : "", query ? qlen : 0);
  pthread_mutex_unlock(&sc->tmu);
  if (st == ECAI_EPARSE) st = ecai__err(ECAI_EINVAL, "semantic cache: query is not valid UTF-8");
  return st;
}

ecai_status ecai_semcache_put(ecai_semcache *sc, const char *partition, const float *vec, size_t dim,
                              const char *query, size_t query_len, const void *value, size_t value_len) {
  ecai_status st = check_common(sc, partition, dim, query, query_len, "ecai_semcache_put");
  if (st) return st;
  ECAI__CHECK_ARG(vec);
  if (!value && value_len) return ecai__err(ECAI_EINVAL, "ecai_semcache_put: value is NULL with length %zu", value_len);
  float *nv = ecai__malloc(dim * sizeof(float));
  if (!nv) return ecai__err(ECAI_ENOMEM, "ecai_semcache_put: out of memory");
  uint64_t *words = NULL;
  uint32_t nwords = 0;
  st = normalise(nv, vec, dim, "ecai_semcache_put");
  if (!st) st = query_words(&words, &nwords, sc, query, query_len);
  if (!st) {
    pthread_mutex_lock(&sc->mu);
    st = put_locked(sc, partition, nv, query, query_len, value, value_len, &words, nwords);
    pthread_mutex_unlock(&sc->mu);
  }
  ecai__free(words);
  ecai__free(nv);
  return st;
}

ecai_status ecai_semcache_lookup(void **out, size_t *out_len, float *out_score, ecai_semcache *sc,
                                 const char *partition, const float *vec, size_t dim, const char *query,
                                 size_t query_len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  if (out_score) *out_score = 0;
  ecai_status st = check_common(sc, partition, dim, query, query_len, "ecai_semcache_lookup");
  if (st) return st;
  ECAI__CHECK_ARG(vec);
  float *nv = ecai__malloc(dim * sizeof(float));
  if (!nv) return ecai__err(ECAI_ENOMEM, "ecai_semcache_lookup: out of memory");
  uint64_t *words = NULL;
  uint32_t nwords = 0;
  st = normalise(nv, vec, dim, "ecai_semcache_lookup");
  if (!st) st = query_words(&words, &nwords, sc, query, query_len);
  if (!st) {
    pthread_mutex_lock(&sc->mu);
    st = lookup_locked(out, out_len, out_score, sc, partition, nv, query, query_len, words, nwords);
    pthread_mutex_unlock(&sc->mu);
  }
  ecai__free(words);
  ecai__free(nv);
  return st;
}

static ecai_status embed_text(float *v, ecai_semcache *sc, const char *query, size_t qlen, const char *fn) {
  ECAI__CHECK_ARG(sc);
  ECAI__CHECK_ARG(query);
  if (!sc->text) return ecai__err(ECAI_ESTATE, "%s: the cache was created for %zu-dimensional vectors, not text", fn, sc->dim);
  if (!qlen) return ecai__err(ECAI_EINVAL, "%s: empty query", fn);
  pthread_mutex_lock(&sc->tmu);
  ecai__cache_embed(v, query, qlen, sc->tk);
  pthread_mutex_unlock(&sc->tmu);
  return ECAI_OK;
}

ecai_status ecai_semcache_put_text(ecai_semcache *sc, const char *partition, const char *query, size_t query_len,
                                   const void *value, size_t value_len) {
  float v[ECAI__TEXTVEC_DIM];
  ecai_status st = embed_text(v, sc, query, query_len, "ecai_semcache_put_text");
  if (st) return st;
  return ecai_semcache_put(sc, partition, v, ECAI__TEXTVEC_DIM, query, query_len, value, value_len);
}

ecai_status ecai_semcache_lookup_text(void **out, size_t *out_len, float *out_score, ecai_semcache *sc,
                                      const char *partition, const char *query, size_t query_len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  float v[ECAI__TEXTVEC_DIM];
  ecai_status st = embed_text(v, sc, query, query_len, "ecai_semcache_lookup_text");
  if (st) return st;
  return ecai_semcache_lookup(out, out_len, out_score, sc, partition, v, ECAI__TEXTVEC_DIM, query, query_len);
}

ecai_status ecai_semcache_stats_json(char **out, size_t *out_len, ecai_semcache *sc) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(sc);
  ecai__buf b = {0};
  pthread_mutex_lock(&sc->mu);
  ecai__buf_printf(&b,
                   "{\"entries\":%zu,\"partitions\":%zu,\"max_entries\":%zu,\"threshold\":%.6g,\"verify\":%s,"
                   "\"dim\":%zu,\"index\":\"%s\",\"lookups\":%llu,\"hits\":%llu,\"misses\":%llu,"
                   "\"verify_rejects\":%llu,\"evictions\":%llu,\"puts\":%llu,\"word_mismatch\":%.6g,"
                   "\"load_errors\":%llu,\"hit_rate\":%.6f}",
                   sc->count, sc->nparts, sc->max_entries, sc->threshold, sc->verify ? "true" : "false", sc->dim,
                   sc->index_desc, (unsigned long long)sc->lookups, (unsigned long long)sc->hits,
                   (unsigned long long)sc->misses, (unsigned long long)sc->verify_rejects,
                   (unsigned long long)sc->evictions, (unsigned long long)sc->puts, sc->word_mismatch,
                   (unsigned long long)sc->load_errors, sc->lookups ? (double)sc->hits / (double)sc->lookups : 0.0);
  pthread_mutex_unlock(&sc->mu);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "ecai_semcache_stats_json: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

/* ---- persistence ----------------------------------------------------------------------
 * File: "ECAISEMC" magic, u32 version (1), u32 dim, u32 text (1: builtin text vectors),
 * u32 reserved (0), u64 entry count, entries oldest first (a reload keeps the LRU
 * order), u64 XXH3-64 of every preceding byte. Entry: u32 partition length, partition,
 * u64 query length, query, u64 value length, value, u32 word count, u64 content-word
 * hashes (the verification state; document frequencies are rebuilt from them),
 * f32 vector[dim]. Little-endian (host order on the supported platforms). */

#define SEM_MAGIC "ECAISEMC"
#define SEM_VERSION 1u
#define SEM_HDR 32


ecai_status ecai_semcache_save(ecai_semcache *sc, const char *path) {
  ECAI__CHECK_ARG(sc);
  ECAI__CHECK_ARG(path);
  ecai__buf b = {0};
  ecai__buf_append(&b, SEM_MAGIC, 8);
  ecai__put_u32(&b, SEM_VERSION);
  ecai__put_u32(&b, (uint32_t)sc->dim);
  ecai__put_u32(&b, (uint32_t)sc->text);
  ecai__put_u32(&b, 0);
  pthread_mutex_lock(&sc->mu);
  ecai__put_u64(&b, (uint64_t)sc->count);
  for (sentry *e = sc->tail; e; e = e->prev) {
    size_t pl = strlen(e->part->name);
    ecai__put_u32(&b, (uint32_t)pl);
    ecai__buf_append(&b, e->part->name, pl);
    ecai__put_u64(&b, e->qlen);
    ecai__buf_append(&b, e->query, e->qlen);
    ecai__put_u64(&b, e->vlen);
    ecai__buf_append(&b, e->val, e->vlen);
    ecai__put_u32(&b, e->nwords);
    ecai__buf_append(&b, e->words, e->nwords * sizeof *e->words);
    ecai__buf_append(&b, e->vec, sc->dim * sizeof(float));
  }
  pthread_mutex_unlock(&sc->mu);
  if (!b.oom) ecai__put_u64(&b, XXH3_64bits(b.data, b.len));
  return ecai__buf_write_atomic(&b, path, "ecai_semcache_save");
}


/* Walks the entries; validates only (dry) or inserts. */
static ecai_status sem_parse(ecai_semcache *sc, const unsigned char *d, size_t len, bool dry, size_t *loaded) {
  ecai__rd r = {(const char *)d, len, SEM_HDR, 0};
  uint64_t count;
  memcpy(&count, d + 24, 8);
  float *nv = NULL;
  if (!dry && !(nv = ecai__malloc(sc->dim * sizeof(float)))) return ecai__err(ECAI_ENOMEM, "out of memory");
  ecai_status st = ECAI_OK;
  for (uint64_t i = 0; i < count && !st; i++) {
    uint32_t pl = ecai__get_u32(&r);
    const char *pn = ecai__get_bytes(&r, pl);
    uint64_t ql = ecai__get_u64(&r);
    const char *q = ecai__get_bytes(&r, ql);
    uint64_t vl = ecai__get_u64(&r);
    const void *v = ecai__get_bytes(&r, vl);
    uint32_t nw = ecai__get_u32(&r);
    const unsigned char *wp = ecai__get_bytes(&r, (uint64_t)nw * 8);
    const unsigned char *vp = ecai__get_bytes(&r, (uint64_t)sc->dim * sizeof(float));
    if (r.bad) {
      st = ecai__err(ECAI_ECORRUPT, "entry %llu is truncated", (unsigned long long)i);
      break;
    }
    size_t bad;
    if (memchr(pn, 0, pl) || !ecai__utf8_valid(q, (size_t)ql, &bad)) {
      st = ecai__err(ECAI_ECORRUPT, "entry %llu has a malformed partition or query", (unsigned long long)i);
      break;
    }
    if (dry) {
      for (uint32_t k = 0; k < nw; k++) {
        uint64_t w;
        memcpy(&w, wp + 8 * k, 8);
        if (!(w & 1)) st = ecai__err(ECAI_ECORRUPT, "entry %llu has a malformed word hash", (unsigned long long)i);
      }
      float f;
      double nn = 0;
      for (size_t k = 0; k < sc->dim && !st; k++) {
        memcpy(&f, vp + 4 * k, 4);
        if (!isfinite(f)) st = ecai__err(ECAI_ECORRUPT, "entry %llu has a non-finite vector", (unsigned long long)i);
        nn += (double)f * f;
      }
      if (!st && !(nn > 0.5 && nn < 1.5)) st = ecai__err(ECAI_ECORRUPT, "entry %llu has a vector that is not unit length", (unsigned long long)i);
      continue;
    }
    char *pname = ecai__strndup(pn, pl);
    uint64_t *words = nw ? ecai__malloc((size_t)nw * 8) : NULL;
    if (!pname || (nw && !words)) {
      ecai__free(pname);
      ecai__free(words);
      st = ecai__err(ECAI_ENOMEM, "out of memory");
      break;
    }
    if (nw) memcpy(words, wp, (size_t)nw * 8);
    memcpy(nv, vp, sc->dim * sizeof(float));
    st = normalise(nv, nv, sc->dim, "ecai_semcache_load");
    if (!st) {
      pthread_mutex_lock(&sc->mu);
      st = put_locked(sc, pname, nv, q, (size_t)ql, v, (size_t)vl, &words, nw);
      if (!st) sc->puts--; /* a load is not a put */
      pthread_mutex_unlock(&sc->mu);
    }
    ecai__free(words);
    ecai__free(pname);
    if (!st) (*loaded)++;
  }
  ecai__free(nv);
  if (!st && r.pos != len) st = ecai__err(ECAI_ECORRUPT, "%zu trailing bytes", len - r.pos);
  return st;
}

ecai_status ecai_semcache_load(size_t *out_n, ecai_semcache *sc, const char *path) {
  if (out_n) *out_n = 0;
  ECAI__CHECK_ARG(sc);
  ECAI__CHECK_ARG(path);
  ecai__buf b;
  ecai_status st = ecai__read_file(&b, path, SIZE_MAX, ECAI_ENOTFOUND, "ecai_semcache_load");
  if (st) return st;
  const unsigned char *d = (const unsigned char *)b.data;
  uint32_t ver = 0, dim = 0, text = 0;
  if (b.len < SEM_HDR + 8 || memcmp(d, SEM_MAGIC, 8) != 0) {
    st = ecai__err(ECAI_ECORRUPT, "ecai_semcache_load: %s is not a libecai semantic cache file (or is truncated)", path);
    goto done;
  }
  memcpy(&ver, d + 8, 4);
  memcpy(&dim, d + 12, 4);
  memcpy(&text, d + 16, 4);
  if (ver != SEM_VERSION) {
    st = ecai__err(ECAI_ECORRUPT, "ecai_semcache_load: %s has format version %u, expected %u", path, ver, SEM_VERSION);
    goto done;
  }
  uint64_t sum;
  memcpy(&sum, d + b.len - 8, 8);
  if (XXH3_64bits(d, b.len - 8) != sum) {
    st = ecai__err(ECAI_ECORRUPT, "ecai_semcache_load: %s fails its checksum (truncated or damaged)", path);
    goto done;
  }
  if (dim != sc->dim || text != (uint32_t)sc->text) {
    st = ecai__err(ECAI_EINVAL, "ecai_semcache_load: %s holds %u-dimensional %s vectors, the cache %zu-dimensional %s", path,
                   dim, text ? "text" : "caller", sc->dim, sc->text ? "text" : "caller");
    goto done;
  }
  st = sem_parse(sc, d, b.len - 8, true, NULL);
  if (st) {
    ecai__err_prefix(st, "ecai_semcache_load: %s", path);
    goto done;
  }
  size_t n = 0;
  st = sem_parse(sc, d, b.len - 8, false, &n);
  if (st) ecai__err_prefix(st, "ecai_semcache_load: %s", path);
  if (out_n) *out_n = n;
done:
  ecai__buf_free(&b);
  return st;
}
