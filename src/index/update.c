/* Live updates of a store: ecai_store_update_json(), the journal replay (other processes'
 * updates, index/journal.h) and the lock queries take around their reads. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "index/index_internal.h"
#include "index/store_internal.h"

/* the fields an update may set; strings in the product's order title, desc, cat, brand */
enum { U_TITLE, U_DESC, U_CAT, U_BRAND, U_NSTR };
#define B_PRICE (1u << U_NSTR)
#define B_STOCK (1u << (U_NSTR + 1))
#define B_TEXT ((1u << U_NSTR) - 1)
static const char *const STR_FIELD[U_NSTR] = {"title", "description", "category", "brand"};
#define ALLOWED "price, in_stock, stock, title, description, category, brand"
#define MAX_SKU 4096

typedef struct upd {
  unsigned set;
  double price;
  int in_stock;
  char *str[U_NSTR]; /* new values (NULL clears) for the bits set */
} upd;

static void upd_free(upd *u) {
  for (int i = 0; i < U_NSTR; i++) ecai__free(u->str[i]);
  memset(u, 0, sizeof *u);
}

/* ---- lock --------------------------------------------------------------------------- */

ecai_status ecai__store_live_init(ecai_store *s) {
  pthread_rwlockattr_t a;
  pthread_rwlockattr_init(&a);
  /* an update waits for running queries but not for the ones arriving after it */
  pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  int rc = pthread_rwlock_init(&s->lock, &a);
  pthread_rwlockattr_destroy(&a);
  if (rc) return ecai__err(ECAI_ENOMEM, "store: cannot create a lock");
  s->has_lock = 1;
  s->jn.fd = -1;
  return ECAI_OK;
}

void ecai__store_live_free(ecai_store *s) {
  if (s->has_lock) pthread_rwlock_destroy(&s->lock);
  ecai__journal_close(&s->jn);
  ecai__rlog_close(&s->rl);
  ecai__free(s->changed);
  ecai__free(s->changed_gen);
  ecai__free(s->chpos);
}

uint64_t ecai__store_text_gen(const ecai_store *s) { return s->text_gen; }

size_t ecai__store_changed(const ecai_store *s, const uint32_t **ids, const uint64_t **gens) {
  *ids = s->changed;
  *gens = s->changed_gen;
  return s->nchanged;
}

/* ---- validation ----------------------------------------------------------------------- */

static ecai_status str_field(const ecai_store *s, const char *key, json_t *v, int nullable, char **out) {
  *out = NULL;
  if (json_is_null(v) && nullable) return ECAI_OK;
  if (!json_is_string(v))
    return ecai__err(ECAI_EINVAL, "store_update: \"%s\" must be a string%s", key, nullable ? " or null" : "");
  size_t n = json_string_length(v);
  const char *p = json_string_value(v);
  int64_t max = ecai__cfg_int(s->ctx, "catalog.max_field_bytes", 1048576);
  if (strlen(p) != n) return ecai__err(ECAI_EINVAL, "store_update: \"%s\" contains a NUL character", key);
  if ((int64_t)n > max)
    return ecai__err(ECAI_EINVAL, "store_update: \"%s\" is %zu bytes, more than catalog.max_field_bytes (%lld)", key, n,
                     (long long)max);
  if (!nullable && n == 0) return ecai__err(ECAI_EINVAL, "store_update: \"%s\" must not be empty", key);
  if (!(*out = ecai__strndup(p, n))) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  return ECAI_OK;
}

/* Checks every field of the object o before anything is applied; *u owns its strings. */
static ecai_status parse_fields(const ecai_store *s, json_t *o, upd *u) {
  memset(u, 0, sizeof *u);
  if (!json_is_object(o)) return ecai__err(ECAI_EINVAL, "store_update: the fields must be a JSON object");
  if (json_object_size(o) == 0) return ecai__err(ECAI_EINVAL, "store_update: no field to change (allowed: " ALLOWED ")");
  const char *key;
  json_t *v;
  ecai_status st = ECAI_OK;
  json_object_foreach(o, key, v) {
    int f = -1;
    for (int i = 0; i < U_NSTR; i++)
      if (!strcmp(key, STR_FIELD[i])) f = i;
    if (f >= 0) {
      st = str_field(s, key, v, f != U_TITLE, &u->str[f]);
      u->set |= 1u << f;
    } else if (!strcmp(key, "price")) {
      if (json_is_null(v)) u->price = NAN;
      else if (!json_is_number(v))
        st = ecai__err(ECAI_EINVAL, "store_update: \"price\" must be a number or null");
      else if (!isfinite(u->price = json_number_value(v)) || u->price < 0)
        st = ecai__err(ECAI_EINVAL, "store_update: \"price\" must be finite and >= 0 (got %g)", u->price);
      u->set |= B_PRICE;
    } else if (!strcmp(key, "in_stock") || !strcmp(key, "stock")) {
      if (u->set & B_STOCK) st = ecai__err(ECAI_EINVAL, "store_update: give \"in_stock\" or \"stock\", not both");
      else if (json_is_boolean(v)) u->in_stock = json_is_true(v);
      else if (json_is_null(v)) u->in_stock = -1;
      else if (!strcmp(key, "stock") && json_is_integer(v) && json_integer_value(v) >= 0)
        u->in_stock = json_integer_value(v) > 0;
      else
        st = ecai__err(ECAI_EINVAL, "store_update: \"%s\" must be %s or null", key,
                       !strcmp(key, "stock") ? "a boolean, a quantity >= 0" : "a boolean");
      u->set |= B_STOCK;
    } else {
      st = ecai__err(ECAI_EINVAL, "store_update: unknown field \"%.100s\" (allowed: " ALLOWED ")", key);
    }
    if (st) break;
  }
  if (st) upd_free(u);
  return st;
}

static ecai_status find_sku(int64_t *id, const ecai_store *s, const char *sku) {
  size_t n = strnlen(sku, MAX_SKU + 1), bad = 0;
  if (n == 0 || n > MAX_SKU) return ecai__err(ECAI_EINVAL, "store_update: the SKU must be 1..%d bytes", MAX_SKU);
  if (!ecai__utf8_valid(sku, n, &bad)) return ecai__err(ECAI_EPARSE, "store_update: the SKU is not valid UTF-8 (byte %zu)", bad);
  if (ecai_catalog_id(id, s->cat, sku) != ECAI_OK)
    return ecai__err(ECAI_ENOTFOUND, "store_update: no product with SKU '%.200s'", sku);
  return ECAI_OK;
}

/* The product as it is after u (strings borrowed), its embeddable text into b. */
static void text_after(const ecai__product *p, const upd *u, ecai__buf *b) {
  ecai__product q = *p;
  char **f[U_NSTR] = {&q.title, &q.desc, &q.cat, &q.brand};
  for (int i = 0; i < U_NSTR; i++)
    if (u->set & (1u << i)) *f[i] = u->str[i];
  ecai__product_text(&q, b);
}

/* Embeds the product's text after u into vec (index dim floats); *hash its text hash. */
static ecai_status embed_after(ecai_store *s, const ecai__product *p, const upd *u, float *vec, uint64_t *hash) {
  ecai__buf b = {0};
  text_after(p, u, &b);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "store: out of memory");
  }
  *hash = XXH3_64bits(b.data, b.len);
  ecai_status st = vec ? ecai_embedder_embed(vec, ecai_index_dim(s->idx), s->emb, b.data, b.len) : ECAI_OK;
  ecai__buf_free(&b);
  if (st) ecai__err_prefix(st, "store_update: product '%s'", p->sku);
  return st;
}

/* ---- apply (under the exclusive lock) -------------------------------------------------- */

static int mark_changed(ecai_store *s, int64_t id) {
  size_t slots = ecai__catalog_slots(s->cat);
  if (s->nchpos < slots) {
    uint32_t *np = ecai__realloc(s->chpos, slots * sizeof *np);
    if (!np) return -1;
    memset(np + s->nchpos, 0, (slots - s->nchpos) * sizeof *np);
    s->chpos = np;
    s->nchpos = slots;
  }
  uint64_t gen = s->text_gen + 1;
  if (!s->chpos[id]) {
    if (s->nchanged == s->capchanged) {
      size_t nc = s->capchanged ? 2 * s->capchanged : 64;
      uint32_t *ni = ecai__realloc(s->changed, nc * sizeof *ni);
      if (ni) s->changed = ni;
      uint64_t *ng = ni ? ecai__realloc(s->changed_gen, nc * sizeof *ng) : NULL;
      if (!ng) return -1;
      s->changed_gen = ng;
      s->capchanged = nc;
    }
    s->changed[s->nchanged] = (uint32_t)id;
    s->chpos[id] = (uint32_t)++s->nchanged;
  }
  s->changed_gen[s->chpos[id] - 1] = gen;
  s->text_gen = gen;
  return 0;
}

/* Applies u to product id (moves u's strings). vec: its new vector made from the text
 * whose hash is vhash, or NULL to embed here. Price and stock are two stores. */
static void apply(ecai_store *s, int64_t id, upd *u, const float *vec, uint64_t vhash) {
  ecai__product *p = (ecai__product *)ecai__catalog_product(s->cat, id); /* the catalog's own, mutable */
  if (u->set & B_PRICE) p->price = u->price;
  if (u->set & B_STOCK) p->in_stock = u->in_stock;
  if (!(u->set & B_TEXT)) return;
  char **f[U_NSTR] = {&p->title, &p->desc, &p->cat, &p->brand};
  for (int i = 0; i < U_NSTR; i++)
    if (u->set & (1u << i)) {
      ecai__catalog_drop_str(s->cat, *f[i]); /* a mapped catalog's string stays in the file */
      *f[i] = u->str[i];
      u->str[i] = NULL;
    }
  ecai__buf b = {0};
  ecai__product_text(p, &b);
  if (!b.oom) p->hash = XXH3_64bits(b.data, b.len);
  ecai__buf_free(&b);
  if (mark_changed(s, id))
    ecai__log(s->ctx, ECAI_LOG_ERROR, "store: out of memory: the keyword index misses the new text of '%s'", p->sku);
  if (!s->idx) return; /* never built: the next build embeds it */
  size_t dim = ecai_index_dim(s->idx);
  float *own = NULL;
  if (!vec) {
    upd none = {0};
    own = ecai__malloc(dim * sizeof *own);
    if (!own || embed_after(s, p, &none, own, &vhash)) {
      ecai__log(s->ctx, ECAI_LOG_WARN, "store: '%s' keeps its old vector until the next build: %s", p->sku,
                own ? ecai_last_error() : "out of memory");
      ecai__free(own);
      return;
    }
    vec = own;
  }
  if (ecai_index_add(s->idx, &id, vec, 1) != ECAI_OK)
    ecai__log(s->ctx, ECAI_LOG_WARN, "store: '%s' keeps its old vector until the next build: %s", p->sku,
              ecai_last_error());
  else if ((size_t)id < s->ndone)
    s->done[id] = vhash ? vhash : 1; /* != p->hash when the text moved on meanwhile: the next build re-embeds */
  ecai__free(own);
}

/* A journal record {"sku":..,"set":{..}}: validated again, applied. 0, or -1 (error set). */
static int replay(void *arg, const char *json, size_t len, const float *vec, uint32_t dim) {
  ecai_store *s = arg;
  json_t *o = NULL;
  if (ecai__json_parse(&o, json, len, "journal record")) return -1;
  const char *sku = json_string_value(json_object_get(o, "sku"));
  int64_t id = -1;
  upd u;
  ecai_status st = !sku ? ecai__err(ECAI_EPARSE, "no \"sku\"") : find_sku(&id, s, sku);
  if (!st) st = parse_fields(s, json_object_get(o, "set"), &u);
  json_decref(o);
  if (st) return -1;
  uint64_t vhash = 0;
  if (vec && (!s->idx || dim != ecai_index_dim(s->idx))) vec = NULL;
  if (vec) embed_after(s, ecai__catalog_product(s->cat, id), &u, NULL, &vhash);
  apply(s, id, &u, vec, vhash);
  upd_free(&u);
  return 0;
}

/* The shared log of the store's updates: the folder's journal, or Redis (store.updates). */
static int log_pending(ecai_store *s) {
  return s->rl.r ? ecai__rlog_pending(&s->rl) : s->jn.path && ecai__journal_pending(&s->jn);
}
static void log_apply(ecai_store *s) {
  if (s->rl.r) ecai__rlog_apply(&s->rl, replay, s);
  else if (s->jn.path) ecai__journal_apply(&s->jn, replay, s);
}

ecai_status ecai__store_live_attach(ecai_store *s, const char *folder) {
  const char *kind = ecai__cfg_str(s->ctx, "store.updates", "journal");
  ecai_status st = !strcmp(kind, "redis") ? ecai__rlog_init(&s->rl, s->ctx, s->catalog_sum)
                                          : ecai__journal_init(&s->jn, s->ctx, folder, s->catalog_sum);
  if (!st) log_apply(s);
  return st;
}

ecai_status ecai__store_live_saved(ecai_store *s, const char *dir) {
  char *real = realpath(dir, NULL);
  ecai_status st = ECAI_OK;
  if (real && s->folder && !strcmp(real, s->folder)) { /* saved over its own folder: a new log */
    int redis = s->rl.r != NULL;
    ecai__journal_close(&s->jn);
    ecai__rlog_close(&s->rl);
    st = redis ? ecai__rlog_init(&s->rl, s->ctx, s->catalog_sum)
               : ecai__journal_init(&s->jn, s->ctx, s->folder, s->catalog_sum);
  }
  free(real);
  return st;
}

ecai_status ecai__store_read_begin(ecai_store *s, int (*current)(void *arg), ecai_status (*refresh)(void *arg),
                                   void *arg) {
  pthread_rwlock_rdlock(&s->lock);
  int pending = log_pending(s);
  if (!pending && (!current || current(arg))) return ECAI_OK;
  pthread_rwlock_unlock(&s->lock);
  pthread_rwlock_wrlock(&s->lock);
  log_apply(s);
  ecai_status st = refresh ? refresh(arg) : ECAI_OK;
  pthread_rwlock_unlock(&s->lock);
  if (!st) pthread_rwlock_rdlock(&s->lock);
  return st;
}

void ecai__store_read_end(ecai_store *s) { pthread_rwlock_unlock(&s->lock); }

/* ---- the public call ------------------------------------------------------------------ */

ecai_status ecai_store_update_json(ecai_store *s, const char *sku, const char *json) {
  ECAI__CHECK_ARG(s);
  ECAI__CHECK_ARG(sku);
  ECAI__CHECK_ARG(json);
  int64_t id = -1;
  json_t *o = NULL;
  upd u;
  memset(&u, 0, sizeof u);
  ecai_status st = find_sku(&id, s, sku);
  if (!st && (st = ecai__json_parse(&o, json, strlen(json), "store_update fields")) != ECAI_OK &&
      (strstr(json, "NaN") || strstr(json, "Infinity")))
    ecai__err_prefix(st, "store_update: numbers must be finite (NaN and Infinity are not JSON)");
  if (!st) st = parse_fields(s, o, &u);
  if (st) {
    json_decref(o);
    return st;
  }
  /* embed outside the lock (a remote embedder is a network call); checked again below */
  size_t dim = s->idx && (u.set & B_TEXT) ? ecai_index_dim(s->idx) : 0;
  float *vec = dim ? ecai__malloc(dim * sizeof *vec) : NULL;
  uint64_t vhash = 0, base = 0;
  char *rec = NULL;
  if (dim && !vec) st = ecai__err(ECAI_ENOMEM, "store: out of memory");
  if (!st && dim) {
    pthread_rwlock_rdlock(&s->lock);
    const ecai__product *p = ecai__catalog_product(s->cat, id);
    base = p->hash;
    st = embed_after(s, p, &u, vec, &vhash);
    pthread_rwlock_unlock(&s->lock);
  }
  if (!st) {
    json_t *r = json_pack("{s:s, s:O}", "sku", sku, "set", o);
    rec = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    if (!rec) st = ecai__err(ECAI_ENOMEM, "store: out of memory");
  }
  json_decref(o);
  if (st) goto out;
  pthread_rwlock_wrlock(&s->lock);
  log_apply(s); /* in order: others' updates first */
  const ecai__product *p = ecai__catalog_product(s->cat, id);
  if (!p) st = ecai__err(ECAI_ENOTFOUND, "store_update: no product with SKU '%.200s'", sku);
  else if (dim && p->hash != base) st = embed_after(s, p, &u, vec, &vhash); /* changed meanwhile */
  if (!st && s->rl.r) st = ecai__rlog_append(&s->rl, rec, strlen(rec), vec, (uint32_t)dim, replay, s);
  else if (!st && s->jn.path) st = ecai__journal_append(&s->jn, rec, strlen(rec), vec, (uint32_t)dim, replay, s);
  if (!st) apply(s, id, &u, vec, vhash);
  pthread_rwlock_unlock(&s->lock);
out:
  free(rec);
  ecai__free(vec);
  upd_free(&u);
  return st;
}

ecai_status ecai_store_seal(ecai_store *s, int seal) {
  ECAI__CHECK_ARG(s);
  if (s->rl.r)
    return ecai__err(ECAI_EUNSUPPORTED, "store_seal: updates go to Redis (store.updates \"redis\"): a new version "
                                        "starts its own list, there is no journal to seal");
  if (!s->jn.path) return ecai__err(ECAI_ESTATE, "store_seal: the store was not opened from a folder");
  pthread_rwlock_wrlock(&s->lock);
  ecai_status st = ecai__journal_seal(&s->jn, seal, replay, s);
  pthread_rwlock_unlock(&s->lock);
  return st;
}
