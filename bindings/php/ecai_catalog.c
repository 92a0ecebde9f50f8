/* libecai PHP extension: Ecai\Catalog, Ecai\Embedder, Ecai\Index, Ecai\Store. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_interfaces.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_catalog_arginfo.h"

static zend_class_entry *ce_context, *ce_catalog, *ce_embedder, *ce_index, *ce_store;

static void free_catalog(void *h) { ecai_catalog_free(h); }
static void free_embedder(void *h) { ecai_embedder_free(h); }
static void free_index(void *h) { ecai_index_free(h); }
static void free_store(void *h) { ecai_store_free(h); }
static ecai_status open_store(void **h, ecai_ctx *ctx, const char *dir) { return ecai_store_open((ecai_store **)h, ctx, dir); }

/* A new object takes its handle and keeps its Context alive. */
static void adopt(ecai_php_obj *p, void *h, void (*free_h)(void *), zval *ctx) {
  ecai_php_obj_set(p, h, free_h);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, ctx);
}

static ecai_catalog_format parse_format(zend_string *f, int *bad) {
  *bad = 0;
  if (!f) return ECAI_CATALOG_AUTO;
  if (zend_string_equals_literal(f, "csv")) return ECAI_CATALOG_CSV;
  if (zend_string_equals_literal(f, "tsv")) return ECAI_CATALOG_TSV;
  if (zend_string_equals_literal(f, "jsonl")) return ECAI_CATALOG_JSONL;
  if (zend_string_equals_literal(f, "auto")) return ECAI_CATALOG_AUTO;
  *bad = 1;
  return ECAI_CATALOG_AUTO;
}

/* Loads into cat; returns [loaded, skipped]. */
static void do_load(INTERNAL_FUNCTION_PARAMETERS, ecai_catalog *cat) {
  zend_string *path, *format = NULL, *columns = NULL;
  bool lenient = false;
  ZEND_PARSE_PARAMETERS_START(1, 4)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(format)
    Z_PARAM_STR_OR_NULL(columns)
    Z_PARAM_BOOL(lenient)
  ZEND_PARSE_PARAMETERS_END();
  int bad;
  ecai_catalog_format fmt = parse_format(format, &bad);
  if (bad) {
    zend_argument_value_error(2, "must be \"csv\", \"tsv\", \"jsonl\" or null");
    RETURN_THROWS();
  }
  size_t loaded = 0, skipped = 0;
  THROW_IF(ecai_catalog_load(&loaded, &skipped, cat, ZSTR_VAL(path), fmt, columns ? ZSTR_VAL(columns) : NULL,
                             lenient ? ECAI_CATALOG_LENIENT : 0));
  array_init(return_value);
  add_next_index_long(return_value, (zend_long)loaded);
  add_next_index_long(return_value, (zend_long)skipped);
}

static void do_add(INTERNAL_FUNCTION_PARAMETERS, ecai_catalog *cat) {
  zval *product;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ZVAL(product)
  ZEND_PARSE_PARAMETERS_END();
  int64_t id = -1;
  if (Z_TYPE_P(product) == IS_STRING) {
    THROW_IF(ecai_catalog_upsert_json(&id, cat, Z_STRVAL_P(product), Z_STRLEN_P(product)));
  } else if (Z_TYPE_P(product) == IS_ARRAY) {
    smart_str buf = {0};
    if (php_json_encode(&buf, product, PHP_JSON_UNESCAPED_UNICODE | PHP_JSON_PRESERVE_ZERO_FRACTION) == FAILURE) {
      smart_str_free(&buf);
      zend_argument_value_error(1, "cannot be encoded as JSON");
      RETURN_THROWS();
    }
    smart_str_0(&buf);
    ecai_status st = ecai_catalog_upsert_json(&id, cat, ZSTR_VAL(buf.s), ZSTR_LEN(buf.s));
    smart_str_free(&buf);
    THROW_IF(st);
  } else {
    zend_argument_type_error(1, "must be of type array|string, %s given", zend_zval_type_name(product));
    RETURN_THROWS();
  }
  RETURN_LONG((zend_long)id);
}

/* PHP array of numbers -> float buffer of exactly dim (emalloc'ed). */
static float *floats_of(zval *arr, size_t dim, uint32_t argn) {
  HashTable *ht = Z_ARRVAL_P(arr);
  if (zend_hash_num_elements(ht) != dim) {
    zend_argument_value_error(argn, "must hold %zu floats (got %u)", dim, zend_hash_num_elements(ht));
    return NULL;
  }
  float *v = emalloc((dim ? dim : 1) * sizeof *v);
  size_t i = 0;
  zval *z;
  ZEND_HASH_FOREACH_VAL(ht, z) {
    v[i++] = (float)zval_get_double(z);
  } ZEND_HASH_FOREACH_END();
  return v;
}

static void floats_to_array(zval *rv, const float *v, size_t n) {
  array_init_size(rv, (uint32_t)n);
  for (size_t i = 0; i < n; i++) add_next_index_double(rv, (double)v[i]);
}

/* ---- Ecai\Catalog ------------------------------------------------------------------------ */

ZEND_METHOD(Ecai_Catalog, __construct) {
  zval *ctx;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_catalog *h = NULL;
  THROW_IF(ecai_catalog_new(&h, c));
  adopt(p, h, free_catalog, ctx);
}

ZEND_METHOD(Ecai_Catalog, open) {
  zval *ctx;
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_catalog *h = NULL;
  THROW_IF(ecai_catalog_open(&h, c, ZSTR_VAL(path)));
  object_init_ex(return_value, ce_catalog);
  adopt(ecai_php_obj_of(Z_OBJ_P(return_value)), h, free_catalog, ctx);
}

ZEND_METHOD(Ecai_Catalog, load) {
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  do_load(INTERNAL_FUNCTION_PARAM_PASSTHRU, cat);
}

ZEND_METHOD(Ecai_Catalog, add) {
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  do_add(INTERNAL_FUNCTION_PARAM_PASSTHRU, cat);
}

ZEND_METHOD(Ecai_Catalog, get) {
  zend_string *sku;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(sku)
  ZEND_PARSE_PARAMETERS_END();
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_catalog_get_json(&js, &n, cat, ZSTR_VAL(sku)));
  if (ecai_php_return_json(return_value, js, n)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Catalog, remove) {
  zend_string *sku;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(sku)
  ZEND_PARSE_PARAMETERS_END();
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  THROW_IF(ecai_catalog_remove(cat, ZSTR_VAL(sku)));
}

ZEND_METHOD(Ecai_Catalog, count) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  RETURN_LONG((zend_long)ecai_catalog_count(cat));
}

ZEND_METHOD(Ecai_Catalog, idOf) {
  zend_string *sku;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(sku)
  ZEND_PARSE_PARAMETERS_END();
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  int64_t id;
  THROW_IF(ecai_catalog_id(&id, cat, ZSTR_VAL(sku)));
  RETURN_LONG((zend_long)id);
}

ZEND_METHOD(Ecai_Catalog, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  THROW_IF(ecai_catalog_save(cat, ZSTR_VAL(path)));
}

ZEND_METHOD(Ecai_Catalog, loadReport) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_catalog *cat = ecai_php_this(ZEND_THIS);
  if (!cat) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_catalog_load_report_json(&js, &n, cat));
  if (ecai_php_return_json(return_value, js, n)) RETURN_THROWS();
}

/* ---- Ecai\Embedder ------------------------------------------------------------------------- */

ZEND_METHOD(Ecai_Embedder, __construct) {
  zval *ctx;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_embedder *h = NULL;
  THROW_IF(ecai_embedder_new(&h, c));
  adopt(p, h, free_embedder, ctx);
}

ZEND_METHOD(Ecai_Embedder, dim) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_embedder *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  RETURN_LONG((zend_long)ecai_embedder_dim(e));
}

ZEND_METHOD(Ecai_Embedder, attachCache) {
  zend_object *cobj = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJ_OR_NULL(cobj)
  ZEND_PARSE_PARAMETERS_END();
  ecai_embedder *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  ecai_cache *c = NULL;
  if (cobj && !(c = ecai_php_cache_of(cobj, 1))) RETURN_THROWS();
  THROW_IF(ecai_embedder_attach_cache(e, c));
  zval z;
  if (cobj) ZVAL_OBJ(&z, cobj);
  ecai_php_obj_keep(ECAI_PHP_THIS(), ECAI_PHP_KEEP_ATTACHED, cobj ? &z : NULL);
}

ZEND_METHOD(Ecai_Embedder, fit) {
  zval *cat;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT_OF_CLASS(cat, ce_catalog)
  ZEND_PARSE_PARAMETERS_END();
  ecai_embedder *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  ecai_catalog *c = ecai_php_this(cat);
  if (!c) RETURN_THROWS();
  THROW_IF(ecai_embedder_fit(e, c));
}

ZEND_METHOD(Ecai_Embedder, embed) {
  zend_string *text;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(text)
  ZEND_PARSE_PARAMETERS_END();
  ecai_embedder *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  size_t d = ecai_embedder_dim(e);
  float *v = emalloc((d ? d : 1) * sizeof *v);
  ecai_status st = ecai_embedder_embed(v, d, e, ZSTR_VAL(text), ZSTR_LEN(text));
  if (st) {
    efree(v);
    ecai_php_throw(st);
    RETURN_THROWS();
  }
  floats_to_array(return_value, v, d);
  efree(v);
}

ZEND_METHOD(Ecai_Embedder, identity) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_embedder *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_embedder_identity(&js, &n, e));
  if (ecai_php_return_json(return_value, js, n)) RETURN_THROWS();
}

/* ---- Ecai\Index ------------------------------------------------------------------------------ */

ZEND_METHOD(Ecai_Index, __construct) {
  zval *ctx;
  zend_long dim;
  zend_string *factory = NULL;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
    Z_PARAM_LONG(dim)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(factory)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  if (dim < 1) {
    zend_argument_value_error(2, "must be greater than 0");
    RETURN_THROWS();
  }
  ecai_index *h = NULL;
  THROW_IF(ecai_index_new(&h, c, (size_t)dim, factory ? ZSTR_VAL(factory) : NULL));
  adopt(p, h, free_index, ctx);
}

ZEND_METHOD(Ecai_Index, open) {
  zval *ctx;
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_index *h = NULL;
  THROW_IF(ecai_index_open(&h, c, ZSTR_VAL(path)));
  object_init_ex(return_value, ce_index);
  adopt(ecai_php_obj_of(Z_OBJ_P(return_value)), h, free_index, ctx);
}

ZEND_METHOD(Ecai_Index, add) {
  zval *ids, *vectors;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_ARRAY(ids)
    Z_PARAM_ARRAY(vectors)
  ZEND_PARSE_PARAMETERS_END();
  ecai_index *x = ecai_php_this(ZEND_THIS);
  if (!x) RETURN_THROWS();
  size_t n = zend_hash_num_elements(Z_ARRVAL_P(ids)), d = ecai_index_dim(x);
  if (zend_hash_num_elements(Z_ARRVAL_P(vectors)) != n) {
    zend_argument_value_error(2, "must hold as many vectors as there are ids");
    RETURN_THROWS();
  }
  int64_t *iv = emalloc((n ? n : 1) * sizeof *iv);
  float *fv = emalloc((n ? n : 1) * d * sizeof *fv);
  size_t i = 0;
  zval *z;
  ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(ids), z) { iv[i++] = (int64_t)zval_get_long(z); } ZEND_HASH_FOREACH_END();
  i = 0;
  ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(vectors), z) {
    if (Z_TYPE_P(z) != IS_ARRAY || zend_hash_num_elements(Z_ARRVAL_P(z)) != d) {
      efree(iv);
      efree(fv);
      zend_argument_value_error(2, "must be a list of arrays of %zu floats", d);
      RETURN_THROWS();
    }
    float *v = floats_of(z, d, 2);
    memcpy(fv + i * d, v, d * sizeof *v);
    efree(v);
    i++;
  } ZEND_HASH_FOREACH_END();
  ecai_status st = ecai_index_add(x, iv, fv, n);
  efree(iv);
  efree(fv);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Index, remove) {
  zend_long id;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_LONG(id)
  ZEND_PARSE_PARAMETERS_END();
  ecai_index *x = ecai_php_this(ZEND_THIS);
  if (!x) RETURN_THROWS();
  THROW_IF(ecai_index_remove(x, (int64_t)id));
}

ZEND_METHOD(Ecai_Index, count) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_index *x = ecai_php_this(ZEND_THIS);
  if (!x) RETURN_THROWS();
  RETURN_LONG((zend_long)ecai_index_count(x));
}

ZEND_METHOD(Ecai_Index, search) {
  zval *vec, *allowed = NULL;
  zend_long k = 10;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_ARRAY(vec)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(k)
    Z_PARAM_ARRAY_OR_NULL(allowed)
  ZEND_PARSE_PARAMETERS_END();
  ecai_index *x = ecai_php_this(ZEND_THIS);
  if (!x) RETURN_THROWS();
  if (k < 1 || k > 100000) {
    zend_argument_value_error(2, "must be between 1 and 100000");
    RETURN_THROWS();
  }
  float *q = floats_of(vec, ecai_index_dim(x), 1);
  if (!q) RETURN_THROWS();
  int64_t *al = NULL;
  size_t na = 0;
  if (allowed) {
    na = zend_hash_num_elements(Z_ARRVAL_P(allowed));
    al = emalloc((na ? na : 1) * sizeof *al);
    size_t i = 0;
    zval *z;
    ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(allowed), z) { al[i++] = (int64_t)zval_get_long(z); } ZEND_HASH_FOREACH_END();
  }
  int64_t *ids = emalloc((size_t)k * sizeof *ids);
  float *sc = emalloc((size_t)k * sizeof *sc);
  size_t n = 0;
  ecai_status st = ecai_index_search(&n, ids, sc, x, q, (size_t)k, allowed ? al : NULL, na, NULL, NULL);
  if (st == ECAI_OK) {
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
      zval hit;
      array_init(&hit);
      add_assoc_long(&hit, "id", (zend_long)ids[i]);
      add_assoc_double(&hit, "score", (double)sc[i]);
      add_next_index_zval(return_value, &hit);
    }
  }
  efree(q);
  if (al) efree(al);
  efree(ids);
  efree(sc);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Index, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_index *x = ecai_php_this(ZEND_THIS);
  if (!x) RETURN_THROWS();
  THROW_IF(ecai_index_save(x, ZSTR_VAL(path)));
}

/* ---- Ecai\Store -------------------------------------------------------------------------------- */

ZEND_METHOD(Ecai_Store, __construct) {
  zval *ctx;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_store *h = NULL;
  THROW_IF(ecai_store_new(&h, c));
  adopt(p, h, free_store, ctx);
}

ZEND_METHOD(Ecai_Store, open) {
  zval *ctx;
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_OBJECT_OF_CLASS(ctx, ce_context)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_php_cfgsrc src = ecai_php_ctx_source(Z_OBJ_P(ctx));
  ecai_php_kept *k = NULL;
  THROW_IF(ecai_php_kept_open(&k, ECAI_PHP_KEPT_STORE, ZSTR_VAL(path), c, &src, true, open_store, free_store));
  if (k) { /* kept across requests, with a context of its own */
    object_init_ex(return_value, ce_store);
    ecai_php_obj *p = ecai_php_obj_of(Z_OBJ_P(return_value));
    ecai_php_obj_adopt_kept(p, k);
    zval as; /* the path it was opened as: Search::open on it gets the store's version */
    ZVAL_STR(&as, path);
    ecai_php_obj_keep(p, ECAI_PHP_KEEP_ATTACHED, &as);
    return;
  }
  ecai_store *h = NULL;
  THROW_IF(ecai_store_open(&h, c, ZSTR_VAL(path)));
  object_init_ex(return_value, ce_store);
  adopt(ecai_php_obj_of(Z_OBJ_P(return_value)), h, free_store, ctx);
}

ZEND_METHOD(Ecai_Store, persistentStats) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_php_persist_stats(return_value);
}

ZEND_METHOD(Ecai_Store, load) {
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS());
  do_load(INTERNAL_FUNCTION_PARAM_PASSTHRU, ecai_store_catalog(s));
}

ZEND_METHOD(Ecai_Store, add) {
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS());
  do_add(INTERNAL_FUNCTION_PARAM_PASSTHRU, ecai_store_catalog(s));
}

ZEND_METHOD(Ecai_Store, remove) {
  zend_string *sku;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(sku)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS());
  THROW_IF(ecai_catalog_remove(ecai_store_catalog(s), ZSTR_VAL(sku)));
}

ZEND_METHOD(Ecai_Store, count) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  RETURN_LONG((zend_long)ecai_catalog_count(ecai_store_catalog(s)));
}

ZEND_METHOD(Ecai_Store, build) {
  bool refit = false;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_BOOL(refit)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS());
  size_t n = 0;
  THROW_IF(ecai_store_build(&n, s, refit ? 1 : 0, NULL, NULL));
  RETURN_LONG((zend_long)n);
}

ZEND_METHOD(Ecai_Store, search) {
  zend_string *q;
  zend_long k = 10;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(q)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(k)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  if (k < 1 || k > 100000) {
    zend_argument_value_error(2, "must be between 1 and 100000");
    RETURN_THROWS();
  }
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_store_search(&js, &n, s, ZSTR_VAL(q), ZSTR_LEN(q), (size_t)k));
  zval doc;
  if (ecai_php_return_json(&doc, js, n)) RETURN_THROWS();
  zval *hits = zend_hash_str_find(Z_ARRVAL(doc), "hits", 4);
  if (hits) RETVAL_COPY(hits);
  else array_init(return_value);
  zval_ptr_dtor(&doc);
}

ZEND_METHOD(Ecai_Store, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  THROW_IF(ecai_store_save(s, ZSTR_VAL(path)));
}

/* Not unshared: a kept store is changed for every later request of this worker on purpose, as
 * the journal changes it in every other worker (same store version). */
ZEND_METHOD(Ecai_Store, update) {
  zend_string *sku;
  zval *fields;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(sku)
    Z_PARAM_ARRAY(fields)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  if (memchr(ZSTR_VAL(sku), 0, ZSTR_LEN(sku))) {
    zend_argument_value_error(1, "must not contain NUL bytes");
    RETURN_THROWS();
  }
  zend_string *key;
  zval *v;
  ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(fields), key, v) { /* json_encode writes NAN and INF as 0 */
    if (Z_TYPE_P(v) == IS_DOUBLE && !zend_finite(Z_DVAL_P(v))) {
      zend_argument_value_error(2, "field \"%s\" must be a finite number", key ? ZSTR_VAL(key) : "?");
      RETURN_THROWS();
    }
  } ZEND_HASH_FOREACH_END();
  smart_str buf = {0};
  if (php_json_encode(&buf, fields, PHP_JSON_UNESCAPED_UNICODE | PHP_JSON_PRESERVE_ZERO_FRACTION |
                                        PHP_JSON_FORCE_OBJECT) == FAILURE || !buf.s) {
    smart_str_free(&buf);
    zend_argument_value_error(2, "cannot be encoded as JSON (invalid UTF-8?)");
    RETURN_THROWS();
  }
  smart_str_0(&buf);
  ecai_status st = ecai_store_update_json(s, ZSTR_VAL(sku), ZSTR_VAL(buf.s));
  smart_str_free(&buf);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Store, seal) {
  bool on = true;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_BOOL(on)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_this(ZEND_THIS);
  if (!s) RETURN_THROWS();
  THROW_IF(ecai_store_seal(s, on ? 1 : 0));
}

ecai_store *ecai_php_store_of(zend_object *obj, uint32_t arg) { return ecai_php_handle_of(obj, ce_store, arg); }

int ecai_php_catalog_minit(INIT_FUNC_ARGS) {
  ce_context = zend_hash_str_find_ptr(CG(class_table), "ecai\\context", sizeof("ecai\\context") - 1);
  if (!ce_context) return FAILURE;
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Catalog", class_Ecai_Catalog_methods);
  ce_catalog = ecai_php_register_handle_class(&ce);
  zend_class_implements(ce_catalog, 1, zend_ce_countable);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Embedder", class_Ecai_Embedder_methods);
  ce_embedder = ecai_php_register_handle_class(&ce);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Index", class_Ecai_Index_methods);
  ce_index = ecai_php_register_handle_class(&ce);
  zend_class_implements(ce_index, 1, zend_ce_countable);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Store", class_Ecai_Store_methods);
  ce_store = ecai_php_register_handle_class(&ce);
  zend_class_implements(ce_store, 1, zend_ce_countable);
  return SUCCESS;
}
