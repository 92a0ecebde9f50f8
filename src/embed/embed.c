/* ecai_embedder: the interface and the builtin hashed-feature embedder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "embed/embed_internal.h"

static const char EMB_MAGIC[8] = {'E', 'C', 'A', 'I', 'E', 'M', 'B', 0};

/* The saved weights are little-endian floats: used in place from a mapped file on such hosts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IDF_IN_PLACE 1
#else
#define IDF_IN_PLACE 0
#endif
enum { SEED_WORD = 0x5701, SEED_BI = 0xB161, SEED_CHAR = 0xC4A5 };

static ecai_status emb_alloc(ecai_embedder **out, ecai_ctx *ctx) {
  ecai_embedder *e = ecai__calloc(1, sizeof *e);
  if (!e) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  e->ctx = ctx;
  pthread_mutex_init(&e->mu, NULL);
  *out = e;
  return ECAI_OK;
}

static void builtin_params(ecai_embedder *e) {
  ecai_ctx *ctx = e->ctx;
  e->ngram_min = (int)ecai__cfg_int(ctx, "embedder.ngram_min", 3);
  e->ngram_max = (int)ecai__cfg_int(ctx, "embedder.ngram_max", 5);
  e->bigrams = ecai__cfg_bool(ctx, "embedder.word_bigrams", false);
  e->w_word = 1.0;
  e->w_bigram = ecai__cfg_double(ctx, "embedder.bigram_weight", 0.25);
  e->w_char = ecai__cfg_double(ctx, "embedder.char_weight", 0.35);
  e->idf_power = ecai__cfg_double(ctx, "embedder.idf_power", 0.5);
}

ecai_status ecai_embedder_new(ecai_embedder **out, ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  const char *kind = ecai__cfg_str(ctx, "embedder.kind", "builtin");
  ecai_embedder *e = NULL;
  ecai_status st = emb_alloc(&e, ctx);
  if (st) return st;
  int64_t dim = ecai__cfg_int(ctx, "embedder.dim", 0);
  if (strcmp(kind, "builtin") == 0) {
    e->kind = ECAI__EMB_BUILTIN;
    if (dim == 0) dim = 384;
    builtin_params(e);
    if (dim < 8 || dim > 65536 || e->ngram_min < 1 || e->ngram_max < e->ngram_min || e->ngram_max > 16 ||
        e->w_bigram < 0 || e->w_char < 0 || !(e->idf_power >= 0 && e->idf_power <= 4)) {
      ecai_embedder_free(e);
      return ecai__err(ECAI_EINVAL,
                       "embedder: bad builtin settings (dim 8..65536, 1 <= ngram_min <= ngram_max <= 16, "
                       "weights >= 0, idf_power 0..4)");
    }
    e->dim = (size_t)dim;
    e->model = ecai__strdup("hash-v1");
    if (!e->model) {
      ecai_embedder_free(e);
      return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
    }
  } else if (strcmp(kind, "openai") == 0) {
    e->kind = ECAI__EMB_OPENAI;
    e->dim = dim > 0 ? (size_t)dim : 0;
    st = ecai__remote_init(e);
    if (st) {
      ecai_embedder_free(e);
      return st;
    }
  } else {
    ecai_embedder_free(e);
    return ecai__err(ECAI_EINVAL, "embedder: unknown kind '%s' (builtin|openai)", kind);
  }
  *out = e;
  return ECAI_OK;
}

void ecai_embedder_free(ecai_embedder *e) {
  if (!e) return;
  for (int i = 0; i < e->npool; i++) ecai__tokenizer_free(e->pool[i]);
  if (e->remote) ecai__remote_free(e);
  ecai__free(e->idf);
  ecai__blob_unmap(&e->map);
  ecai__free(e->model);
  pthread_mutex_destroy(&e->mu);
  ecai__free(e);
}

size_t ecai_embedder_dim(const ecai_embedder *e) { return e ? e->dim : 0; }

static ecai_status tk_get(ecai_embedder *e, ecai__tokenizer **t) {
  pthread_mutex_lock(&e->mu);
  if (e->npool > 0) {
    *t = e->pool[--e->npool];
    pthread_mutex_unlock(&e->mu);
    return ECAI_OK;
  }
  pthread_mutex_unlock(&e->mu);
  return ecai__tokenizer_new(t);
}

static void tk_put(ecai_embedder *e, ecai__tokenizer *t) {
  pthread_mutex_lock(&e->mu);
  if (e->npool < ECAI__POOL) {
    e->pool[e->npool++] = t;
    t = NULL;
  }
  pthread_mutex_unlock(&e->mu);
  ecai__tokenizer_free(t);
}

/* Feature sink: either a dense vector (embed) or a list of hashes (fit). */
typedef struct sink {
  float *vec;
  size_t dim;
  const unsigned char *idf; /* ECAI__IDF_BUCKETS floats, maybe unaligned */
  uint64_t *hs;
  size_t nh, caph;
  int oom;
} sink;

static inline void emit(sink *s, uint64_t h, double w) {
  if (s->vec) {
    float idf = 1.0f;
    if (s->idf) memcpy(&idf, s->idf + (h >> (64 - ECAI__IDF_BITS)) * sizeof idf, sizeof idf);
    float v = (float)w * idf;
    s->vec[(h & 0xFFFFFFFFu) % s->dim] += (h & (1ull << 40)) ? -v : v;
  } else {
    if (s->nh == s->caph) {
      size_t nc = s->caph ? s->caph * 2 : 512;
      uint64_t *n = ecai__realloc(s->hs, nc * sizeof *n);
      if (!n) {
        s->oom = 1;
        return;
      }
      s->hs = n;
      s->caph = nc;
    }
    s->hs[s->nh++] = h;
  }
}

static ecai_status features(ecai_embedder *e, ecai__tokenizer *t, ecai__tokens *toks, const char *text,
                            size_t len, sink *s) {
  ecai_status st = ecai__tokenize(t, text, len, ECAI__TOKF_STOP, toks);
  if (st) return st;
  uint64_t prev = 0;
  char gram[80];
  for (size_t i = 0; i < toks->n; i++) {
    const char *w = toks->text + toks->off[i];
    size_t wl = toks->len[i];
    const char *stem = w;
    size_t sl = wl;
    if (toks->kind[i] == ECAI__TOK_WORD && wl >= 3) {
      stem = ecai__stem(t, w, wl, &sl);
      if (!stem) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
    }
    uint64_t h = XXH3_64bits_withSeed(stem, sl, SEED_WORD);
    emit(s, h, e->w_word);
    if (e->bigrams && i > 0 && e->w_bigram > 0) {
      uint64_t pair[2] = {prev, h};
      emit(s, XXH3_64bits_withSeed(pair, sizeof pair, SEED_BI), e->w_bigram);
    }
    prev = h;
    if (e->w_char > 0 && toks->kind[i] == ECAI__TOK_WORD && wl + 2 <= sizeof gram) {
      gram[0] = '<';
      memcpy(gram + 1, w, wl);
      gram[wl + 1] = '>';
      size_t gl = wl + 2;
      for (int n = e->ngram_min; n <= e->ngram_max; n++) {
        if ((size_t)n > gl) break;
        if ((size_t)n == gl && n > e->ngram_min) break; /* whole word counted once */
        for (size_t a = 0; a + (size_t)n <= gl; a++)
          emit(s, XXH3_64bits_withSeed(gram + a, (size_t)n, SEED_CHAR + (uint64_t)n), e->w_char);
      }
    }
  }
  if (s->oom) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  return ECAI_OK;
}

static void l2norm(float *v, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; i++) s += (double)v[i] * v[i];
  if (s <= 0) return;
  float inv = (float)(1.0 / sqrt(s));
  for (size_t i = 0; i < d; i++) v[i] *= inv;
}

static ecai_status builtin_embed(ecai_embedder *e, float *out, const char *const *texts, const size_t *lens,
                                 size_t n) {
  ecai__tokenizer *t = NULL;
  ecai_status st = tk_get(e, &t);
  if (st) return st;
  ecai__tokens toks = {0};
  for (size_t i = 0; i < n && st == ECAI_OK; i++) {
    float *v = out + i * e->dim;
    memset(v, 0, e->dim * sizeof *v);
    if (!texts[i]) {
      st = ecai__err(ECAI_EINVAL, "embedder: text %zu is NULL", i);
      break;
    }
    sink s = {v, e->dim, e->idf_in, NULL, 0, 0, 0};
    st = features(e, t, &toks, texts[i], lens ? lens[i] : strlen(texts[i]), &s);
    if (st) {
      if (n > 1) ecai__err_prefix(st, "embedder: text %zu", i);
      break;
    }
    l2norm(v, e->dim);
  }
  ecai__tokens_free(&toks);
  tk_put(e, t);
  return st;
}

ecai_status ecai_embedder_embed_batch(float *out, ecai_embedder *e, const char *const *texts, const size_t *lens,
                                      size_t n) {
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(e);
  if (n == 0) return ECAI_OK;
  ECAI__CHECK_ARG(texts);
  if (e->dim == 0)
    return ecai__err(ECAI_ESTATE, "embedder: dimension unknown: set embedder.dim or call ecai_embedder_fit() first");
  if (e->kind == ECAI__EMB_OPENAI) return ecai__remote_embed(e, out, texts, lens, n);
  return builtin_embed(e, out, texts, lens, n);
}

ecai_status ecai_embedder_attach_cache(ecai_embedder *e, ecai_cache *cache) {
  ECAI__CHECK_ARG(e);
  if (e->kind != ECAI__EMB_OPENAI)
    return ecai__err(ECAI_EUNSUPPORTED,
                     "ecai_embedder_attach_cache: the builtin embedder computes a vector faster than a cache "
                     "can look it up; attach caches to remote embedders");
  e->cache = cache;
  return ECAI_OK;
}

ecai_status ecai_embedder_embed(float *out, size_t out_dim, ecai_embedder *e, const char *text, size_t len) {
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(e);
  if (!text && len) return ecai__err(ECAI_EINVAL, "embedder: NULL text with length %zu", len);
  if (e->dim && out_dim != e->dim)
    return ecai__err(ECAI_EINVAL, "embedder: out_dim %zu differs from the embedder's dim %zu", out_dim, e->dim);
  const char *tx = text ? text : "";
  return ecai_embedder_embed_batch(out, e, &tx, &len, 1);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

ecai_status ecai_embedder_fit(ecai_embedder *e, const ecai_catalog *cat) {
  ECAI__CHECK_ARG(e);
  ECAI__CHECK_ARG(cat);
  if (e->kind != ECAI__EMB_BUILTIN) {
    if (e->dim) return ECAI_OK;
    int64_t first = -1;
    ecai_catalog_next(&first, cat, -1);
    const char *t = first >= 0 ? ecai_catalog_title(cat, first) : "dimension probe";
    return ecai__remote_probe_dim(e, t, strlen(t));
  }
  uint32_t *df = ecai__calloc(ECAI__IDF_BUCKETS, sizeof *df);
  float *idf = ecai__malloc(ECAI__IDF_BUCKETS * sizeof *idf);
  ecai__tokenizer *t = NULL;
  ecai_status st = (!df || !idf) ? ecai__err(ECAI_ENOMEM, "embedder: out of memory") : tk_get(e, &t);
  ecai__tokens toks = {0};
  ecai__buf b = {0};
  sink s = {0};
  size_t ndocs = 0;
  for (size_t id = 0; st == ECAI_OK && id < ecai__catalog_slots(cat); id++) {
    const ecai__product *p = ecai__catalog_product(cat, (int64_t)id);
    if (!p) continue;
    b.len = 0;
    ecai__product_text(p, &b);
    if (b.oom) {
      st = ecai__err(ECAI_ENOMEM, "embedder: out of memory");
      break;
    }
    s.nh = 0;
    st = features(e, t, &toks, b.data, b.len, &s);
    if (st) break;
    for (size_t i = 0; i < s.nh; i++) s.hs[i] >>= (64 - ECAI__IDF_BITS);
    qsort(s.hs, s.nh, sizeof *s.hs, cmp_u64);
    for (size_t i = 0; i < s.nh; i++)
      if (i == 0 || s.hs[i] != s.hs[i - 1]) df[s.hs[i]]++;
    ndocs++;
  }
  if (st == ECAI_OK) {
    for (size_t i = 0; i < ECAI__IDF_BUCKETS; i++)
      idf[i] = (float)pow(log((double)(ndocs + 1) / (double)(df[i] + 1)) + 1.0, e->idf_power);
    ecai__free(e->idf);
    e->idf = idf;
    e->idf_in = (const unsigned char *)idf;
    idf = NULL;
    ecai__blob_unmap(&e->map); /* weights read from a file are replaced */
    e->state_hash = XXH3_64bits(e->idf, ECAI__IDF_BUCKETS * sizeof *e->idf);
  }
  ecai__free(s.hs);
  ecai__buf_free(&b);
  ecai__tokens_free(&toks);
  if (t) tk_put(e, t);
  ecai__free(df);
  ecai__free(idf);
  return st;
}

static uint64_t params_hash(const ecai_embedder *e) {
  ecai__buf b = {0};
  ecai__put_u32(&b, (uint32_t)e->kind);
  ecai__put_u64(&b, e->dim);
  ecai__put_str(&b, e->model);
  if (e->kind == ECAI__EMB_BUILTIN) {
    ecai__put_u32(&b, (uint32_t)e->ngram_min);
    ecai__put_u32(&b, (uint32_t)e->ngram_max);
    ecai__put_u32(&b, (uint32_t)e->bigrams);
    ecai__put_f64(&b, e->w_word);
    ecai__put_f64(&b, e->w_bigram);
    ecai__put_f64(&b, e->w_char);
    ecai__put_f64(&b, e->idf_power);
    ecai__put_u64(&b, e->state_hash);
  }
  uint64_t h = b.data ? XXH3_64bits(b.data, b.len) : 0;
  ecai__buf_free(&b);
  return h;
}

ecai_status ecai_embedder_identity(char **out, size_t *out_len, const ecai_embedder *e) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(e);
  ecai__buf b = {0};
  const char *kind = e->kind == ECAI__EMB_BUILTIN ? "builtin" : "openai";
  ecai__buf_printf(&b, "{\"kind\":\"%s\",\"model\":", kind);
  json_t *m = json_string(e->model ? e->model : "");
  char *ms = m ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
  json_decref(m);
  if (!ms) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  }
  ecai__buf_puts(&b, ms);
  free(ms);
  ecai__buf_printf(&b, ",\"dim\":%zu,\"params\":\"%016llx\"}", e->dim, (unsigned long long)params_hash(e));
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

/* ---- persistence -------------------------------------------------------------------- */

ecai_status ecai_embedder_save(const ecai_embedder *e, const char *path) {
  ECAI__CHECK_ARG(e);
  ECAI__CHECK_ARG(path);
  ecai__buf b = {0};
  ecai__put_u32(&b, (uint32_t)e->kind);
  ecai__put_u64(&b, e->dim);
  ecai__put_str(&b, e->model);
  ecai__put_u32(&b, (uint32_t)e->ngram_min);
  ecai__put_u32(&b, (uint32_t)e->ngram_max);
  ecai__put_u32(&b, (uint32_t)e->bigrams);
  ecai__put_f64(&b, e->w_word);
  ecai__put_f64(&b, e->w_bigram);
  ecai__put_f64(&b, e->w_char);
  ecai__put_f64(&b, e->idf_power);
  ecai__put_u32(&b, e->idf_in ? 1 : 0);
  if (e->idf_in) ecai__buf_append(&b, e->idf_in, ECAI__IDF_BUCKETS * sizeof(float));
  ecai_status st = b.oom ? ecai__err(ECAI_ENOMEM, "embedder: out of memory")
                         : ecai__blob_write(path, EMB_MAGIC, b.data, b.len, NULL);
  ecai__buf_free(&b);
  return st;
}

/* A new embedder from a payload; src: the mapping data lies in, whose weights are then used
 * in place (src moved into the embedder; unmapped when not used), or NULL to copy them. */
static ecai_status embedder_from(ecai_embedder **out, ecai_ctx *ctx, const char *data, size_t len, ecai__map *src) {
  *out = NULL;
  ecai_embedder *e = NULL;
  ecai_status st = emb_alloc(&e, ctx);
  if (st) {
    if (src) ecai__blob_unmap(src);
    return st;
  }
  if (src) { /* freed with e from here on */
    e->map = *src;
    memset(src, 0, sizeof *src);
  }
  ecai__rd r = {data, len, 0, 0};
  uint32_t kind = ecai__get_u32(&r);
  uint64_t dim = ecai__get_u64(&r);
  e->model = ecai__get_str(&r);
  e->ngram_min = (int)ecai__get_u32(&r);
  e->ngram_max = (int)ecai__get_u32(&r);
  e->bigrams = (int)ecai__get_u32(&r);
  e->w_word = ecai__get_f64(&r);
  e->w_bigram = ecai__get_f64(&r);
  e->w_char = ecai__get_f64(&r);
  e->idf_power = ecai__get_f64(&r);
  uint32_t has_idf = ecai__get_u32(&r);
  if (r.bad == 2) goto oom;
  if (r.bad || (kind != ECAI__EMB_BUILTIN && kind != ECAI__EMB_OPENAI) || dim > 65536 || has_idf > 1 ||
      (kind == ECAI__EMB_BUILTIN && (dim < 8 || e->ngram_min < 1 || e->ngram_max < e->ngram_min ||
                                     e->ngram_max > 16 || !(e->w_char >= 0) || !(e->w_bigram >= 0) ||
                                     !(e->w_word >= 0) || !(e->idf_power >= 0 && e->idf_power <= 4))))
    goto corrupt;
  e->kind = (int)kind;
  e->dim = (size_t)dim;
  if (has_idf) {
    const unsigned char *p = ecai__get_bytes(&r, ECAI__IDF_BUCKETS * sizeof(float));
    if (!p) goto corrupt;
    if (e->map.base && IDF_IN_PLACE) {
      e->idf_in = p;
    } else {
      e->idf = ecai__malloc(ECAI__IDF_BUCKETS * sizeof(float));
      if (!e->idf) goto oom;
      memcpy(e->idf, p, ECAI__IDF_BUCKETS * sizeof(float));
      e->idf_in = (const unsigned char *)e->idf;
    }
    for (size_t i = 0; i < ECAI__IDF_BUCKETS; i++) {
      float w;
      memcpy(&w, e->idf_in + i * sizeof w, sizeof w);
      if (!isfinite(w)) goto corrupt;
    }
    e->state_hash = XXH3_64bits(e->idf_in, ECAI__IDF_BUCKETS * sizeof(float));
  }
  if (r.pos != len) goto corrupt;
  if (!e->idf_in) ecai__blob_unmap(&e->map); /* nothing used in place */
  if (e->kind == ECAI__EMB_OPENAI) {
    st = ecai__remote_init(e);
    if (st) {
      ecai_embedder_free(e);
      return st;
    }
  }
  *out = e;
  return ECAI_OK;
corrupt:
  ecai_embedder_free(e);
  return ecai__err(ECAI_ECORRUPT, "embedder: saved embedder is damaged");
oom:
  ecai_embedder_free(e);
  return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
}

ecai_status ecai__embedder_read(ecai_embedder **out, ecai_ctx *ctx, const char *data, size_t len) {
  return embedder_from(out, ctx, data, len, NULL);
}

ecai_status ecai__embedder_map(ecai_embedder **out, ecai_ctx *ctx, ecai__map *m) {
  return embedder_from(out, ctx, m->base + 32, m->len - 32, m);
}

ecai_status ecai_embedder_open(ecai_embedder **out, ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(path);
  ecai__map m;
  ecai_status st = ecai__blob_map(path, EMB_MAGIC, &m, NULL);
  if (st) return st;
  st = ecai__embedder_map(out, ctx, &m);
  if (st == ECAI_ECORRUPT) return ecai__err(ECAI_ECORRUPT, "embedder: %s is damaged", path);
  return st;
}
