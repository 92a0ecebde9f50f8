/* ecai_recommend: the model (products, orders, co-occurrence, EASE, content). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recommend/reco.h"

/* LAPACK (Fortran ABI; the trailing size_t is the hidden length of the string argument). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);

/* ---- string map ----------------------------------------------------------- */

static uint64_t shash(const char *s, size_t len) { return XXH3_64bits(s, len); }

static const char *key_at(const void *base, size_t stride, uint32_t idx) {
  return *(char *const *)((const char *)base + (size_t)idx * stride);
}

static int64_t smap_find(const reco_smap *m, const void *base, size_t stride, const char *s, size_t len) {
  if (!m->cap) return -1;
  size_t mask = m->cap - 1, i = (size_t)shash(s, len) & mask;
  for (;;) {
    uint32_t v = m->slots[i];
    if (!v) return -1;
    const char *k = key_at(base, stride, v - 1);
    if (strncmp(k, s, len) == 0 && k[len] == '\0') return (int64_t)(v - 1);
    i = (i + 1) & mask;
  }
}

static ecai_status smap_insert(reco_smap *m, const void *base, size_t stride, uint32_t idx) {
  if ((m->n + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    uint32_t *ns = ecai__calloc(ncap, sizeof *ns);
    if (!ns) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (map)");
    for (size_t j = 0; j < m->cap; j++) {
      uint32_t v = m->slots[j];
      if (!v) continue;
      const char *k = key_at(base, stride, v - 1);
      size_t i = (size_t)shash(k, strlen(k)) & (ncap - 1);
      while (ns[i]) i = (i + 1) & (ncap - 1);
      ns[i] = v;
    }
    ecai__free(m->slots);
    m->slots = ns;
    m->cap = ncap;
  }
  const char *k = key_at(base, stride, idx);
  size_t i = (size_t)shash(k, strlen(k)) & (m->cap - 1);
  while (m->slots[i]) i = (i + 1) & (m->cap - 1);
  m->slots[i] = idx + 1;
  m->n++;
  return ECAI_OK;
}

/* ---- neighbour map ---------------------------------------------------------- */

static float *nbr_slot(reco_nbr *b, uint32_t key) {
  if ((b->len + 1) * 2 > b->cap) {
    uint32_t ncap = b->cap ? b->cap * 2 : 8;
    uint32_t *nk = ecai__calloc(ncap, sizeof *nk);
    float *nv = ecai__malloc((size_t)ncap * sizeof *nv);
    if (!nk || !nv) {
      ecai__free(nk);
      ecai__free(nv);
      return NULL;
    }
    for (uint32_t j = 0; j < b->cap; j++) {
      if (!b->keys[j]) continue;
      uint32_t i = (b->keys[j] * 2654435761u) & (ncap - 1);
      while (nk[i]) i = (i + 1) & (ncap - 1);
      nk[i] = b->keys[j];
      nv[i] = b->vals[j];
    }
    ecai__free(b->keys);
    ecai__free(b->vals);
    b->keys = nk;
    b->vals = nv;
    b->cap = ncap;
  }
  uint32_t i = (key * 2654435761u) & (b->cap - 1);
  while (b->keys[i] && b->keys[i] != key) i = (i + 1) & (b->cap - 1);
  if (!b->keys[i]) {
    b->keys[i] = key;
    b->vals[i] = 0;
    b->len++;
  }
  return &b->vals[i];
}

float ecai__reco_cooc(const ecai_recommend *r, uint32_t a, uint32_t b) {
  const reco_nbr *n = &r->nbr[a];
  if (!n->cap) return 0;
  uint32_t key = b + 1, i = (key * 2654435761u) & (n->cap - 1);
  while (n->keys[i]) {
    if (n->keys[i] == key) return n->vals[i];
    i = (i + 1) & (n->cap - 1);
  }
  return 0;
}

/* ---- handle ------------------------------------------------------------------- */

static double cfg_num(const ecai_ctx *ctx, const char *path, double d) {
  return ctx ? ecai__cfg_double(ctx, path, d) : d;
}

/* The built-in embedder of product titles: kind "builtin" whatever the context's
   embedder kind (a remote call per title would not do), with the context's builtin
   settings (dim, n-grams, weights, IDF power) when its kind is builtin, else the
   defaults. */
static ecai_status text_embedder_new(ecai_recommend *r, const ecai_ctx *ctx) {
  static const char *keys[] = {"dim", "ngram_min", "ngram_max", "word_bigrams", "bigram_weight", "char_weight",
                               "idf_power"};
  ecai__buf b = {0};
  ecai__buf_puts(&b, "{\"log_level\":\"off\",\"embedder\":{\"kind\":\"builtin\"");
  /* a remote kind's settings (e.g. its dimension) do not describe the builtin one */
  bool builtin = ctx && !strcmp(ecai__cfg_str(ctx, "embedder.kind", "builtin"), "builtin");
  for (size_t i = 0; builtin && i < sizeof keys / sizeof keys[0]; i++) {
    char path[64];
    double v;
    snprintf(path, sizeof path, "embedder.%s", keys[i]);
    if (!strcmp(keys[i], "word_bigrams")) {
      ecai__buf_printf(&b, ",\"word_bigrams\":%s", ecai__cfg_bool(ctx, path, false) ? "true" : "false");
    } else if (ecai_ctx_get_number(&v, ctx, path) == ECAI_OK) {
      if (!strcmp(keys[i], "dim") && v == 0) continue; /* 0 = the kind's default */
      ecai__buf_printf(&b, ",\"%s\":%.17g", keys[i], v);
    }
  }
  ecai__buf_puts(&b, "}}");
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  }
  ecai_status st = ecai_ctx_new(&r->ectx, b.data, b.len);
  ecai__buf_free(&b);
  if (!st) st = ecai_embedder_new(&r->emb, r->ectx);
  return st;
}

ecai_status ecai_recommend_new(ecai_recommend **out, const ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ecai_recommend *r = ecai__calloc(1, sizeof *r);
  if (!r) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  r->max_items = (size_t)cfg_num(ctx, "recommend.max_items", 4000);
  r->cold_orders = (size_t)cfg_num(ctx, "recommend.cold_orders", 5);
  r->lambda = cfg_num(ctx, "recommend.ease_lambda", 50);
  r->mmr = cfg_num(ctx, "recommend.mmr_lambda", 0.9);
  r->w_ease = cfg_num(ctx, "recommend.w_ease", 1.0);
  r->w_cooc = cfg_num(ctx, "recommend.w_cooc", 0.1);
  r->w_content = cfg_num(ctx, "recommend.w_content", 1.0);
  r->w_hist = cfg_num(ctx, "recommend.w_history", 0.0);
  r->w_rebuy = cfg_num(ctx, "recommend.w_rebuy", 0.35);
  r->half_life = cfg_num(ctx, "recommend.half_life_days", 30);
  r->price_ratio = cfg_num(ctx, "recommend.price_ratio", 3);
  r->cand_m = (size_t)cfg_num(ctx, "recommend.content_candidates", 200);
  r->cold_cart_boost = cfg_num(ctx, "recommend.cold_cart_boost", 3);
  r->w_category = cfg_num(ctx, "recommend.w_category", 1.0);
  r->w_recent = cfg_num(ctx, "recommend.w_recent", 0.0);
  r->w_nbr = cfg_num(ctx, "recommend.w_neighbours", 0.05);
  const char *fac = ctx ? ecai__cfg_str(ctx, "recommend.content_index", "exact") : "exact";
  if (!fac || strlen(fac) >= sizeof r->cindex_factory || !fac[0]) {
    ecai__free(r);
    return ecai__err(ECAI_EINVAL, "recommend: content_index must be \"exact\" or a FAISS factory string (e.g. \"HNSW32\")");
  }
  strcpy(r->cindex_factory, fac);
  r->cidx_exact = !strcmp(fac, "exact");
  if (r->max_items < 1 || r->max_items > 20000 || !(r->lambda > 0) || r->mmr < 0 || r->mmr > 1 ||
      r->w_ease < 0 || r->w_cooc < 0 || r->w_rebuy < 0 || !(r->w_recent >= 0 && r->w_recent <= 1000) || !(r->w_nbr >= 0 && r->w_nbr <= 1000) || r->w_content < 0 || r->w_hist < 0 || !(r->half_life > 0) ||
      r->price_ratio < 0 || r->cand_m < 1 || r->cand_m > 100000 ||
      !(r->cold_cart_boost >= 0 && r->cold_cart_boost <= 1000) || !(r->w_category >= 0 && r->w_category <= 1000)) {
    ecai__free(r);
    return ecai__err(ECAI_EINVAL, "recommend: a \"recommend\" setting is out of range");
  }
  ecai_status est = text_embedder_new(r, ctx);
  if (est) {
    ecai_recommend_free(r);
    return est;
  }
  r->cdim = ecai_embedder_dim(r->emb);
  r->content_kind = RECO_CONTENT_TEXT;
  r->ease_stale = true;
  *out = r;
  return ECAI_OK;
}

static void ease_clear(ecai_recommend *r) {
  ecai__free(r->ease_items);
  ecai__free(r->ease_pos);
  ecai__free(r->ease_b);
  r->ease_items = NULL;
  r->ease_pos = NULL;
  r->ease_b = NULL;
  r->ease_n = r->ease_pos_n = 0;
  r->ease_stale = true;
}

void ecai_recommend_free(ecai_recommend *r) {
  if (!r) return;
  ecai__reco_unmap(r);
  for (size_t i = 0; i < r->n_items; i++) {
    ecai__free(r->items[i].id);
    ecai__free(r->items[i].title);
    ecai__free(r->items[i].category);
    ecai__free(r->nbr[i].keys);
    ecai__free(r->nbr[i].vals);
    ecai__free(r->iord[i].o);
  }
  for (size_t i = 0; i < r->n_orders; i++) {
    ecai__free(r->orders[i].id);
    ecai__free(r->orders[i].customer);
    ecai__free(r->orders[i].items);
  }
  for (size_t i = 0; i < r->n_custs; i++) {
    ecai__free(r->custs[i].id);
    ecai__free(r->custs[i].orders);
  }
  ecai__free(r->custs);
  ecai__free(r->cmap.slots);
  ecai__free(r->recent);
  ecai__free(r->trend);
  ecai__free(r->hot);
  ecai__free(r->ocust);
  ecai__free(r->items);
  ecai__free(r->nbr);
  ecai__free(r->iord);
  ecai__free(r->orders);
  ecai__free(r->imap.slots);
  ecai__free(r->omap.slots);
  ecai__free(r->cvec);
  ecai__free(r->chas);
  ecai__reco_cindex_free(r);
  ease_clear(r);
  ecai_embedder_free(r->emb);
  ecai_ctx_free(r->ectx);
  ecai__free(r);
}

ecai_status ecai_recommend_set_int(ecai_recommend *r, ecai_recommend_opt opt, int64_t v) {
  ECAI__CHECK_ARG(r);
  switch (opt) {
  case ECAI_RECOMMEND_OPT_MAX_ITEMS:
    if (v < 1 || v > 20000) return ecai__err(ECAI_EINVAL, "recommend: max_items must be 1..20000 (got %lld)", (long long)v);
    r->max_items = (size_t)v;
    r->ease_stale = true;
    return ECAI_OK;
  case ECAI_RECOMMEND_OPT_COLD_ORDERS:
    if (v < 0 || v > 1000000) return ecai__err(ECAI_EINVAL, "recommend: cold_orders out of range");
    r->cold_orders = (size_t)v;
    return ECAI_OK;
  default:
    if ((int)opt >= 200 && (int)opt < 300) return ecai__err(ECAI_EINVAL, "recommend: option %d is a double", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "recommend: unknown option %d", (int)opt);
  }
}

ecai_status ecai_recommend_set_double(ecai_recommend *r, ecai_recommend_opt opt, double v) {
  ECAI__CHECK_ARG(r);
  if ((int)opt >= 100 && (int)opt < 200) return ecai__err(ECAI_EINVAL, "recommend: option %d is an integer", (int)opt);
  if ((int)opt < 200 || (int)opt > 208) return ecai__err(ECAI_EUNSUPPORTED, "recommend: unknown option %d", (int)opt);
  if (!isfinite(v) || v < 0) return ecai__err(ECAI_EINVAL, "recommend: option %d must be finite and >= 0", (int)opt);
  switch (opt) {
  case ECAI_RECOMMEND_OPT_EASE_LAMBDA:
    if (v <= 0) return ecai__err(ECAI_EINVAL, "recommend: ease_lambda must be > 0");
    r->lambda = v;
    r->ease_stale = true;
    break;
  case ECAI_RECOMMEND_OPT_MMR_LAMBDA:
    if (v > 1) return ecai__err(ECAI_EINVAL, "recommend: mmr_lambda must be in [0,1]");
    r->mmr = v;
    break;
  case ECAI_RECOMMEND_OPT_W_EASE: r->w_ease = v; break;
  case ECAI_RECOMMEND_OPT_W_COOC: r->w_cooc = v; break;
  case ECAI_RECOMMEND_OPT_W_CONTENT: r->w_content = v; break;
  case ECAI_RECOMMEND_OPT_W_HISTORY: r->w_hist = v; break;
  case ECAI_RECOMMEND_OPT_HALF_LIFE_DAYS:
    if (v <= 0) return ecai__err(ECAI_EINVAL, "recommend: half_life_days must be > 0");
    r->half_life = v;
    break;
  case ECAI_RECOMMEND_OPT_PRICE_RATIO: r->price_ratio = v; break;
  case ECAI_RECOMMEND_OPT_W_REBUY: r->w_rebuy = v; break;
  default: return ecai__err(ECAI_EUNSUPPORTED, "recommend: unknown option %d", (int)opt);
  }
  return ECAI_OK;
}

ecai_status ecai_recommend_set_stock_fn(ecai_recommend *r, ecai_recommend_stock_fn fn, void *payload) {
  ECAI__CHECK_ARG(r);
  r->stock_fn = fn;
  r->stock_payload = payload;
  return ECAI_OK;
}

/* ---- items ---------------------------------------------------------------------- */

int64_t ecai__reco_item_find(const ecai_recommend *r, const char *id, size_t len) {
  return smap_find(&r->imap, r->items, sizeof(reco_item), id, len);
}

const float *ecai__reco_vec(const ecai_recommend *r, uint32_t item) {
  return (r->chas && r->chas[item]) ? r->cvec + (size_t)item * r->cdim : NULL;
}

double ecai__reco_price(const ecai_recommend *r, uint32_t item) {
  const reco_item *it = &r->items[item];
  return it->price_n ? it->price_sum / it->price_n : -1;
}

static void content_refresh(ecai_recommend *r, uint32_t item) {
  if (!r->chas) return;
  if (item < r->cidx_n) r->cidx_stale = true; /* exact scan until the next build */
  float *v = r->cvec + (size_t)item * r->cdim;
  if (r->content_kind == RECO_CONTENT_TEXT) {
    const char *t = r->items[item].title;
    r->chas[item] = 0;
    if (t && t[0] && ecai_embedder_embed(v, r->cdim, r->emb, t, strlen(t)) == ECAI_OK) {
      for (size_t d = 0; d < r->cdim && !r->chas[item]; d++) r->chas[item] = v[d] != 0; /* no feature: no vector */
    }
  } else if (r->content_kind == RECO_CONTENT_FN && r->vec_fn) {
    r->chas[item] = r->vec_fn(v, r->cdim, r->items[item].id, r->vec_payload) == 1;
    if (r->chas[item]) {
      double s = 0;
      for (size_t d = 0; d < r->cdim; d++) s += (double)v[d] * v[d];
      if (s > 0 && isfinite(s)) {
        float inv = (float)(1.0 / sqrt(s));
        for (size_t d = 0; d < r->cdim; d++) v[d] *= inv;
      } else {
        r->chas[item] = 0;
      }
    }
  }
}

static ecai_status grow_items(ecai_recommend *r, size_t need) {
  if (need <= r->cap_items) return ECAI_OK;
  size_t ncap = r->cap_items ? r->cap_items * 2 : 64;
  while (ncap < need) ncap *= 2;
  reco_item *ni = ecai__realloc(r->items, ncap * sizeof *ni);
  if (!ni) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (items)");
  r->items = ni;
  reco_nbr *nn = ecai__realloc(r->nbr, ncap * sizeof *nn);
  if (!nn) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (items)");
  r->nbr = nn;
  reco_plist *np = ecai__realloc(r->iord, ncap * sizeof *np);
  if (!np) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (items)");
  r->iord = np;
  float *nv = ecai__realloc(r->cvec, ncap * r->cdim * sizeof *nv);
  if (!nv) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (content)");
  r->cvec = nv;
  uint8_t *nh = ecai__realloc(r->chas, ncap);
  if (!nh) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (content)");
  r->chas = nh;
  r->cap_items = ncap;
  return ECAI_OK;
}

ecai_status ecai__reco_item_get(ecai_recommend *r, const char *id, size_t len, uint32_t *out) {
  int64_t f = ecai__reco_item_find(r, id, len);
  if (f >= 0) {
    *out = (uint32_t)f;
    return ECAI_OK;
  }
  if (r->n_items >= UINT32_MAX - 1) return ecai__err(ECAI_ENOMEM, "recommend: too many items");
  ecai_status st = grow_items(r, r->n_items + 1);
  if (st) return st;
  char *d = ecai__strndup(id, len);
  if (!d) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  uint32_t idx = (uint32_t)r->n_items;
  memset(&r->items[idx], 0, sizeof r->items[idx]);
  memset(&r->nbr[idx], 0, sizeof r->nbr[idx]);
  memset(&r->iord[idx], 0, sizeof r->iord[idx]);
  r->items[idx].id = d;
  r->chas[idx] = 0;
  r->n_items++;
  st = smap_insert(&r->imap, r->items, sizeof(reco_item), idx);
  if (st) {
    r->n_items--;
    ecai__free(d);
    return st;
  }
  if (r->content_kind == RECO_CONTENT_FN) content_refresh(r, idx);
  *out = idx;
  return ECAI_OK;
}

ecai_status ecai__reco_set_title(ecai_recommend *r, uint32_t item, const char *title) {
  size_t n = strlen(title);
  while (n && (title[n - 1] == ' ' || title[n - 1] == '\t')) n--;
  if (!n) return ECAI_OK;
  if (r->items[item].title && strlen(r->items[item].title) == n && !memcmp(r->items[item].title, title, n))
    return ECAI_OK;
  char *t = ecai__strndup(title, n);
  if (!t) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  ecai__free(r->items[item].title);
  r->items[item].title = t;
  if (r->content_kind == RECO_CONTENT_TEXT) content_refresh(r, item);
  return ECAI_OK;
}

ecai_status ecai_recommend_set_item(ecai_recommend *r, const char *product_id, const char *title, double price) {
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(product_id);
  if (!product_id[0]) return ecai__err(ECAI_EINVAL, "recommend: empty product id");
  if (!isfinite(price)) return ecai__err(ECAI_EINVAL, "recommend: price must be finite");
  uint32_t it;
  ecai_status st = ecai__reco_own(r);
  if (!st) st = ecai__reco_item_get(r, product_id, strlen(product_id), &it);
  if (st) return st;
  if (title) {
    st = ecai__reco_set_title(r, it, title);
    if (st) return st;
  }
  if (price >= 0) {
    r->items[it].price_sum = price;
    r->items[it].price_n = 1;
  }
  return ECAI_OK;
}

ecai_status ecai__reco_set_category(ecai_recommend *r, uint32_t item, const char *category, size_t len) {
  while (len && (*category == ' ' || *category == '\t')) category++, len--;
  while (len && (category[len - 1] == ' ' || category[len - 1] == '\t')) len--;
  char *c = NULL;
  if (len && !(c = ecai__strndup(category, len))) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  ecai__free(r->items[item].category);
  r->items[item].category = c;
  return ECAI_OK;
}

ecai_status ecai_recommend_set_category(ecai_recommend *r, const char *product_id, const char *category) {
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(product_id);
  if (!product_id[0]) return ecai__err(ECAI_EINVAL, "recommend: empty product id");
  if (category && !ecai__utf8_valid(category, strlen(category), NULL))
    return ecai__err(ECAI_EINVAL, "recommend: category of '%s' is not valid UTF-8", product_id);
  uint32_t it;
  ecai_status st = ecai__reco_own(r);
  if (!st) st = ecai__reco_item_get(r, product_id, strlen(product_id), &it);
  if (st) return st;
  return ecai__reco_set_category(r, it, category ? category : "", category ? strlen(category) : 0);
}

/* ---- orders --------------------------------------------------------------------- */

const reco_cust *ecai__reco_customer(const ecai_recommend *r, const char *customer) {
  int64_t f = customer ? smap_find(&r->cmap, r->custs, sizeof(reco_cust), customer, strlen(customer)) : -1;
  return f >= 0 ? &r->custs[f] : NULL;
}

/* Files order `oi` under its customer. */
static ecai_status customer_add_order(ecai_recommend *r, const char *customer, uint32_t oi) {
  int64_t f = smap_find(&r->cmap, r->custs, sizeof(reco_cust), customer, strlen(customer));
  if (f < 0) {
    if (r->n_custs == r->cap_custs) {
      size_t ncap = r->cap_custs ? r->cap_custs * 2 : 64;
      reco_cust *nc = ecai__realloc(r->custs, ncap * sizeof *nc);
      if (!nc) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (customers)");
      r->custs = nc;
      r->cap_custs = ncap;
    }
    reco_cust *c = &r->custs[r->n_custs];
    memset(c, 0, sizeof *c);
    if (!(c->id = ecai__strdup(customer))) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (customers)");
    r->n_custs++;
    ecai_status st = smap_insert(&r->cmap, r->custs, sizeof(reco_cust), (uint32_t)(r->n_custs - 1));
    if (st) {
      ecai__free(c->id);
      r->n_custs--;
      return st;
    }
    f = (int64_t)(r->n_custs - 1);
  }
  reco_cust *c = &r->custs[f];
  if (c->n == c->cap) {
    uint32_t ncap = c->cap ? c->cap * 2 : 4;
    uint32_t *no = ecai__realloc(c->orders, ncap * sizeof *no);
    if (!no) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (customers)");
    c->orders = no;
    c->cap = ncap;
  }
  c->orders[c->n++] = oi;
  return ECAI_OK;
}

static ecai_status order_get(ecai_recommend *r, const char *id, const char *customer, int64_t ts, uint32_t *out) {
  int64_t f = smap_find(&r->omap, r->orders, sizeof(reco_order), id, strlen(id));
  if (f >= 0) {
    *out = (uint32_t)f;
    return ECAI_OK;
  }
  if (r->n_orders == r->cap_orders) {
    size_t ncap = r->cap_orders ? r->cap_orders * 2 : 64;
    reco_order *no = ecai__realloc(r->orders, ncap * sizeof *no);
    if (!no) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (orders)");
    r->orders = no;
    r->cap_orders = ncap;
  }
  reco_order *o = &r->orders[r->n_orders];
  memset(o, 0, sizeof *o);
  o->id = ecai__strdup(id);
  o->customer = (customer && customer[0]) ? ecai__strdup(customer) : NULL;
  if (!o->id || (customer && customer[0] && !o->customer)) {
    ecai__free(o->id);
    ecai__free(o->customer);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  }
  o->ts = ts;
  r->n_orders++;
  ecai_status st = o->customer ? customer_add_order(r, o->customer, (uint32_t)(r->n_orders - 1)) : ECAI_OK;
  if (!st && (st = smap_insert(&r->omap, r->orders, sizeof(reco_order), (uint32_t)(r->n_orders - 1))) &&
      o->customer) /* drop the order just filed under its customer */
    ((reco_cust *)ecai__reco_customer(r, o->customer))->n--;
  if (st) {
    r->n_orders--;
    ecai__free(o->id);
    ecai__free(o->customer);
    return st;
  }
  *out = (uint32_t)(r->n_orders - 1);
  return ECAI_OK;
}

/* Adds item `it` to order `oi` (no-op when present): pair counts update immediately. */
static ecai_status order_add_item(ecai_recommend *r, uint32_t oi, uint32_t it) {
  reco_order *o = &r->orders[oi];
  for (uint32_t j = 0; j < o->n; j++)
    if (o->items[j] == it) return ECAI_OK;
  if (o->n == o->cap) {
    uint32_t ncap = o->cap ? o->cap * 2 : 8;
    uint32_t *ni = ecai__realloc(o->items, ncap * sizeof *ni);
    if (!ni) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (order lines)");
    o->items = ni;
    o->cap = ncap;
  }
  reco_plist *pl = &r->iord[it];
  if (pl->n == pl->cap) {
    uint32_t ncap = pl->cap ? pl->cap * 2 : 4;
    uint32_t *no = ecai__realloc(pl->o, ncap * sizeof *no);
    if (!no) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (order lines)");
    pl->o = no;
    pl->cap = ncap;
  }
  for (uint32_t j = 0; j < o->n; j++) {
    uint32_t other = o->items[j];
    float *a = nbr_slot(&r->nbr[it], other + 1);
    if (!a) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (pairs)");
    float *b = nbr_slot(&r->nbr[other], it + 1);
    if (!b) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (pairs)");
    if (*a == 0) r->n_pairs++;
    *a += 1;
    *b += 1;
  }
  pl->o[pl->n++] = oi;
  o->items[o->n++] = it;
  r->items[it].orders++;
  if (o->ts > r->items[it].last_ts) r->items[it].last_ts = o->ts;
  r->ease_stale = true;
  return ECAI_OK;
}

ecai_status ecai__reco_add_line(ecai_recommend *r, const char *order_id, const char *customer, int64_t ts,
                                const char *product, const char *title, double price) {
  uint32_t oi = 0, it = 0;
  ecai_status st = order_get(r, order_id, customer, ts, &oi);
  if (st) return st;
  st = ecai__reco_item_get(r, product, strlen(product), &it);
  if (st) return st;
  if (title && (!r->items[it].title)) {
    st = ecai__reco_set_title(r, it, title);
    if (st) return st;
  }
  if (price > 0) {
    r->items[it].price_sum += price;
    r->items[it].price_n++;
  }
  return order_add_item(r, oi, it);
}

ecai_status ecai_recommend_add_order(ecai_recommend *r, const char *order_id, const char *customer_id, int64_t ts,
                                     const char *const *product_ids, const double *quantities,
                                     const double *prices, size_t n) {
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(order_id);
  ECAI__CHECK_ARG(product_ids);
  if (!order_id[0]) return ecai__err(ECAI_EINVAL, "recommend: empty order id");
  if (n == 0) return ecai__err(ECAI_EINVAL, "recommend: an order needs at least one line");
  for (size_t i = 0; i < n; i++) {
    if (!product_ids[i] || !product_ids[i][0])
      return ecai__err(ECAI_EINVAL, "recommend: line %zu has no product id", i);
    if (quantities && !(quantities[i] > 0))
      return ecai__err(ECAI_EINVAL, "recommend: line %zu: quantity must be > 0", i);
    if (prices && !(prices[i] > 0 && isfinite(prices[i])))
      return ecai__err(ECAI_EINVAL, "recommend: line %zu: price must be > 0", i);
  }
  ecai_status ost = ecai__reco_own(r);
  if (ost) return ost;
  for (size_t i = 0; i < n; i++) {
    ecai_status st = ecai__reco_add_line(r, order_id, customer_id, ts, product_ids[i], NULL, prices ? prices[i] : -1);
    if (st) return st;
  }
  return ECAI_OK;
}

/* ---- EASE ------------------------------------------------------------------------ */

static int cmp_by_orders(const void *a, const void *b, void *ctx) {
  const reco_item *it = ctx;
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  if (it[x].orders != it[y].orders) return it[x].orders > it[y].orders ? -1 : 1;
  return x < y ? -1 : (x > y);
}

ecai_status ecai_recommend_fit(ecai_recommend *r) {
  ECAI__CHECK_ARG(r);
  ecai_status ost = ecai__reco_own(r);
  if (ost) return ost;
  size_t cand = 0;
  for (size_t i = 0; i < r->n_items; i++) cand += r->items[i].orders > 0;
  if (!cand) return ecai__err(ECAI_ESTATE, "recommend: no orders to fit EASE on");
  size_t n = cand < r->max_items ? cand : r->max_items;
  uint32_t *all = ecai__malloc(cand * sizeof *all);
  int32_t *pos = ecai__malloc((r->n_items ? r->n_items : 1) * sizeof *pos);
  double *g = ecai__malloc(n * n * sizeof *g);
  float *b = ecai__malloc(n * n * sizeof *b);
  if (!all || !pos || !g || !b) {
    ecai__free(all);
    ecai__free(pos);
    ecai__free(g);
    ecai__free(b);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory fitting EASE on %zu items", n);
  }
  size_t c = 0;
  for (size_t i = 0; i < r->n_items; i++)
    if (r->items[i].orders > 0) all[c++] = (uint32_t)i;
  qsort_r(all, cand, sizeof *all, cmp_by_orders, r->items);
  for (size_t i = 0; i < r->n_items; i++) pos[i] = -1;
  for (size_t a = 0; a < n; a++) pos[all[a]] = (int32_t)a;
  memset(g, 0, n * n * sizeof *g);
  for (size_t a = 0; a < n; a++) {
    uint32_t ia = all[a];
    const reco_nbr *nb = &r->nbr[ia];
    for (uint32_t s = 0; s < nb->cap; s++) {
      if (!nb->keys[s]) continue;
      int32_t p = pos[nb->keys[s] - 1];
      if (p >= 0) g[(size_t)p * n + a] = nb->vals[s];
    }
    g[a * n + a] = r->items[ia].orders + r->lambda;
  }
  int ni = (int)n, info = 0;
  dpotrf_("U", &ni, g, &ni, &info, 1);
  if (info == 0) dpotri_("U", &ni, g, &ni, &info, 1);
  if (info != 0) {
    ecai__free(all);
    ecai__free(pos);
    ecai__free(g);
    ecai__free(b);
    return ecai__err(ECAI_ERROR, "recommend: EASE factorisation failed (LAPACK info %d)", info);
  }
  /* column-major upper triangle holds P: P(i,j) for i <= j at g[j*n + i] */
  for (size_t j = 0; j < n; j++) {
    double pjj = g[j * n + j];
    for (size_t i = 0; i < n; i++) {
      double pij = i <= j ? g[j * n + i] : g[i * n + j];
      b[i * n + j] = i == j ? 0.0f : (float)(-pij / pjj);
    }
  }
  ecai__free(g);
  ease_clear(r);
  r->ease_items = ecai__realloc(all, n * sizeof *all);
  if (!r->ease_items) r->ease_items = all;
  r->ease_pos = pos;
  r->ease_pos_n = r->n_items;
  r->ease_b = b;
  r->ease_n = n;
  r->ease_fit_lambda = r->lambda;
  r->ease_stale = false;
  ecai_status st = ecai__reco_text_fit(r);
  if (!st) st = ecai__reco_trend_update(r);
  return st ? st : ecai__reco_cindex_build(r);
}

/* ---- sales trend ------------------------------------------------------------------ */

void ecai__reco_trend(const ecai_recommend *r, int64_t now, float *recent, float *trend, float *hot) {
  const int64_t w = (int64_t)RECO_TREND_DAYS * 86400, b = (int64_t)RECO_TREND_BASE_DAYS * 86400;
  size_t n = r->n_items;
  memset(recent, 0, n * sizeof *recent);
  memset(trend, 0, n * sizeof *trend); /* the baseline counts until the end */
  memset(hot, 0, n * sizeof *hot);     /* the decayed recent orders until the end */
  float *pop = ecai__calloc(n ? n : 1, sizeof *pop); /* orders up to now */
  for (size_t i = 0; i < r->n_orders; i++) {
    const reco_order *o = &r->orders[i];
    int64_t age = now - o->ts;
    if (age < 0) continue;
    for (uint32_t q = 0; pop && q < o->n; q++) pop[o->items[q]] += 1;
    if (age >= w + b) continue;
    float *dst = age < w ? recent : trend;
    float dw = age < w ? (float)pow(0.5, (double)age / 86400.0 / RECO_HOT_HALF_LIFE) : 0;
    for (uint32_t q = 0; q < o->n; q++) {
      dst[o->items[q]] += 1;
      hot[o->items[q]] += dw;
    }
  }
  double mh = 0, mp = 0;
  for (size_t j = 0; j < n; j++) {
    if (pop && !(recent[j] > 0) && !(trend[j] > 0)) pop[j] = 0; /* not sold in the two windows: out */
    trend[j] = (float)((recent[j] + RECO_TREND_PRIOR) /
                       (trend[j] * (double)RECO_TREND_DAYS / RECO_TREND_BASE_DAYS + RECO_TREND_PRIOR));
    hot[j] = (float)(hot[j] * sqrt(trend[j] < RECO_HOT_CAP ? trend[j] : RECO_HOT_CAP));
    if (hot[j] > mh) mh = hot[j];
    if (pop && pop[j] > mp) mp = pop[j];
  }
  for (size_t j = 0; j < n; j++) /* without the popularity (out of memory) the recent sales alone */
    hot[j] = (float)((mh > 0 ? hot[j] / mh : 0) + (pop && mp > 0 ? pop[j] / mp : 0));
  ecai__free(pop);
}

/* The customer of each order as an index (neighbours scan orders by the thousand);
   orders added later are looked up by id. */
static ecai_status order_customers(ecai_recommend *r) {
  uint32_t *oc = ecai__malloc((r->n_orders ? r->n_orders : 1) * sizeof *oc);
  if (!oc) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (order customers)");
  for (size_t i = 0; i < r->n_orders; i++) {
    const reco_cust *c = r->orders[i].customer ? ecai__reco_customer(r, r->orders[i].customer) : NULL;
    oc[i] = c ? (uint32_t)(c - r->custs) + 1 : 0;
  }
  ecai__free(r->ocust);
  r->ocust = oc;
  r->ocust_n = r->n_orders;
  return ECAI_OK;
}

ecai_status ecai__reco_trend_update(ecai_recommend *r) {
  int64_t now = 0;
  for (size_t i = 0; i < r->n_orders; i++)
    if (i == 0 || r->orders[i].ts > now) now = r->orders[i].ts;
  size_t n = r->n_items ? r->n_items : 1;
  float *rc = ecai__malloc(n * sizeof *rc), *tr = ecai__malloc(n * sizeof *tr), *ht = ecai__malloc(n * sizeof *ht);
  if (!rc || !tr || !ht) {
    ecai__free(rc);
    ecai__free(tr);
    ecai__free(ht);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory (trend)");
  }
  ecai__reco_trend(r, now, rc, tr, ht);
  ecai__free(r->recent);
  ecai__free(r->trend);
  ecai__free(r->hot);
  r->recent = rc;
  r->trend = tr;
  r->hot = ht;
  r->trend_n = r->n_items;
  r->trend_now = now;
  /* the shop's repeat rate, the prior of each customer's (ecai__reco_repeat_factor) */
  uint8_t *mark = ecai__calloc(n, 1);
  if (!mark) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (repeat rate)");
  double rep = 0, lines = 0;
  for (size_t c = 0; c < r->n_custs; c++) ecai__reco_repeat_counts(r, &r->custs[c], INT64_MAX, mark, &rep, &lines);
  ecai__free(mark);
  r->repeat_prior = lines > 0 ? rep / lines : 0;
  return order_customers(r); /* derived at fit and load like the trend */
}

/* ---- content ---------------------------------------------------------------------- */

static ecai_status content_reset(ecai_recommend *r, int kind, size_t dim) {
  size_t cap = r->cap_items ? r->cap_items : 1;
  float *nv = ecai__malloc(cap * dim * sizeof *nv);
  uint8_t *nh = ecai__calloc(cap, 1);
  if (!nv || !nh) {
    ecai__free(nv);
    ecai__free(nh);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory (content %zu x %zu)", cap, dim);
  }
  ecai__free(r->cvec);
  ecai__free(r->chas);
  ecai__reco_cindex_free(r);
  r->cvec = nv;
  r->chas = nh;
  if (!r->cap_items) {
    /* keep grow_items consistent: capacity 0 means arrays are realloc'ed on first item */
  }
  r->cdim = dim;
  r->content_kind = kind;
  return ECAI_OK;
}

ecai_status ecai_recommend_set_content(ecai_recommend *r, const char *const *ids, const float *mat, size_t n,
                                       size_t dim) {
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(ids);
  ECAI__CHECK_ARG(mat);
  if (!n || !dim || dim > 65536) return ecai__err(ECAI_EINVAL, "recommend: content needs n >= 1 and 1 <= dim <= 65536");
  for (size_t i = 0; i < n; i++)
    if (!ids[i] || !ids[i][0]) return ecai__err(ECAI_EINVAL, "recommend: content row %zu has no id", i);
  ecai_status ost = ecai__reco_own(r);
  if (ost) return ost;
  for (size_t i = 0; i < n; i++) { /* create unknown items first so capacities are final */
    uint32_t it;
    ecai_status st = ecai__reco_item_get(r, ids[i], strlen(ids[i]), &it);
    if (st) return st;
  }
  ecai_status st = content_reset(r, RECO_CONTENT_MATRIX, dim);
  if (st) return st;
  r->vec_fn = NULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t it = (uint32_t)ecai__reco_item_find(r, ids[i], strlen(ids[i]));
    const float *src = mat + i * dim;
    double s = 0;
    for (size_t d = 0; d < dim; d++) s += (double)src[d] * src[d];
    if (!(s > 0) || !isfinite(s)) continue;
    float *v = r->cvec + (size_t)it * dim;
    for (size_t d = 0; d < dim; d++) v[d] = (float)(src[d] / sqrt(s));
    r->chas[it] = 1;
  }
  return ecai__reco_cindex_build(r);
}

ecai_status ecai_recommend_set_content_fn(ecai_recommend *r, size_t dim, ecai_recommend_vector_fn fn, void *payload) {
  ECAI__CHECK_ARG(r);
  if (fn && (!dim || dim > 65536)) return ecai__err(ECAI_EINVAL, "recommend: content dim must be 1..65536");
  ecai_status st = ecai__reco_own(r);
  if (!st) st = content_reset(r, fn ? RECO_CONTENT_FN : RECO_CONTENT_TEXT, fn ? dim : ecai_embedder_dim(r->emb));
  if (st) return st;
  r->vec_fn = fn;
  r->vec_payload = payload;
  for (size_t i = 0; i < r->n_items; i++) content_refresh(r, (uint32_t)i);
  return ecai__reco_cindex_build(r);
}

bool ecai__reco_text_fitted(const ecai_recommend *r) { return r->content_kind == RECO_CONTENT_TEXT && r->text_fitted; }

ecai_status ecai__reco_text_fit(ecai_recommend *r) {
  if (r->content_kind != RECO_CONTENT_TEXT) return ECAI_OK;
  ecai_catalog *cat = NULL;
  ecai_status st = ecai_catalog_new(&cat, r->ectx);
  size_t titled = 0;
  for (size_t i = 0; !st && i < r->n_items; i++) {
    if (!r->items[i].title) continue;
    json_t *o = json_pack("{s:s, s:s}", "id", r->items[i].id, "title", r->items[i].title);
    char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!js) st = ecai__err(ECAI_ENOMEM, "recommend: out of memory (title embedder)");
    else {
      ecai_status su = ecai_catalog_upsert_json(NULL, cat, js, strlen(js));
      if (su == ECAI_ENOMEM) st = su;
      titled += su == ECAI_OK; /* a title the catalog refuses only leaves the IDF without it */
    }
    free(js); /* jansson's allocator */
  }
  if (!st && titled) st = ecai_embedder_fit(r->emb, cat);
  ecai_catalog_free(cat);
  if (st || !titled) return st;
  r->text_fitted = true;
  for (size_t i = 0; i < r->n_items; i++) content_refresh(r, (uint32_t)i);
  return ECAI_OK;
}

/* ---- stats -------------------------------------------------------------------------- */

ecai_status ecai_recommend_stats(char **out, size_t *out_len, const ecai_recommend *r) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(r);
  ecai__buf b = {0};
  static const char *kinds[] = {"title_text", "matrix", "callback"};
  ecai__buf_printf(&b,
                   "{\"items\":%zu,\"orders\":%zu,\"pairs\":%llu,\"ease_items\":%zu,\"ease_lambda\":%g,"
                   "\"ease_stale\":%d,\"content\":\"%s\",\"content_dim\":%zu,\"title_embedder_fitted\":%d,"
                   "\"content_index\":\"%s\",\"content_index_rows\":%zu,\"content_index_stale\":%d}",
                   r->n_items, r->n_orders, (unsigned long long)r->n_pairs, r->ease_n,
                   r->ease_n ? r->ease_fit_lambda : r->lambda, r->ease_stale ? 1 : 0, kinds[r->content_kind], r->cdim,
                   ecai__reco_text_fitted(r) ? 1 : 0, r->cindex_factory, r->cidx_exact ? r->n_items : r->cidx_n,
                   r->cidx_stale ? 1 : 0);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

/* ---- dates ----------------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

ecai_status ecai_recommend_parse_date(int64_t *out, const char *s) {
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(s);
  *out = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, n = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
      int m2 = 0;
      if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m2) != 2) return ecai__err(ECAI_EINVAL, "recommend: bad time in '%s'", s);
      p += 1 + m2;
      if (*p == ':') {
        int m3 = 0;
        if (sscanf(p + 1, "%2d%n", &se, &m3) != 1) return ecai__err(ECAI_EINVAL, "recommend: bad seconds in '%s'", s);
        p += 1 + m3;
      }
      if (*p == 'Z') p++;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || h < 0 || mi < 0 || se < 0)
      return ecai__err(ECAI_EINVAL, "recommend: '%s' is not a date (YYYY-MM-DD[THH:MM[:SS]])", s);
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return ECAI_OK;
  }
  char *end = NULL;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end) return ecai__err(ECAI_EINVAL, "recommend: '%s' is not a date (YYYY-MM-DD[THH:MM[:SS]])", s);
  *out = (int64_t)v;
  return ECAI_OK;
}
