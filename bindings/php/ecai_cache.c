/* libecai PHP extension, cache module: Ecai\Cache and Ecai\SemanticCache. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_cache_arginfo.h"

static zend_class_entry *ce_cache, *ce_semcache;

static void free_cache(void *h) { ecai_cache_free(h); }
static void free_semcache(void *h) { ecai_semcache_free(h); }

ecai_cache *ecai_php_cache_of(zend_object *obj, uint32_t arg) { return ecai_php_handle_of(obj, ce_cache, arg); }


/* A 16-byte string is a key; anything else is hashed. */
static void to_key(uint8_t *k, zend_string *s) {
  if (ZSTR_LEN(s) == ECAI_CACHE_KEY_SIZE) memcpy(k, ZSTR_VAL(s), ECAI_CACHE_KEY_SIZE);
  else ecai_cache_key_from_bytes(k, ZSTR_VAL(s), ZSTR_LEN(s));
}

/* ---- Ecai\Cache ---------------------------------------------------------------- */

ZEND_METHOD(Ecai_Cache, __construct) {
  zval *zctx;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT(zctx)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *ctx = ecai_php_ctx_of(Z_OBJ_P(zctx), 1);
  if (!ctx) RETURN_THROWS();
  ecai_cache *h = NULL;
  THROW_IF(ecai_cache_new(&h, ctx));
  ecai_php_obj_set(p, h, free_cache);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, zctx);
}

ZEND_METHOD(Ecai_Cache, key) {
  zend_string *d;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(d)
  ZEND_PARSE_PARAMETERS_END();
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  THROW_IF(ecai_cache_key_from_bytes(k, ZSTR_VAL(d), ZSTR_LEN(d)));
  RETURN_STRINGL((char *)k, sizeof k);
}

ZEND_METHOD(Ecai_Cache, keyJson) {
  zend_string *d;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(d)
  ZEND_PARSE_PARAMETERS_END();
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  THROW_IF(ecai_cache_key_from_json(k, ZSTR_VAL(d), ZSTR_LEN(d)));
  RETURN_STRINGL((char *)k, sizeof k);
}

ZEND_METHOD(Ecai_Cache, factHash) {
  zend_string *d;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(d)
  ZEND_PARSE_PARAMETERS_END();
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)ecai_cache_fact_hash(ZSTR_VAL(d), ZSTR_LEN(d)));
  RETURN_STRINGL(hex, 16);
}

ZEND_METHOD(Ecai_Cache, put) {
  zend_string *key, *val;
  zend_long ttl = 0;
  zval *meta = NULL;
  ZEND_PARSE_PARAMETERS_START(2, 4)
    Z_PARAM_STR(key)
    Z_PARAM_STR(val)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(ttl)
    Z_PARAM_ARRAY_OR_NULL(meta)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  to_key(k, key);
  smart_str js = {0};
  if (meta && zend_hash_num_elements(Z_ARRVAL_P(meta)) > 0) {
    if (php_json_encode(&js, meta, 0) == FAILURE) {
      smart_str_free(&js);
      zend_argument_value_error(4, "cannot be encoded as JSON");
      RETURN_THROWS();
    }
    smart_str_0(&js);
  }
  ecai_status st = ecai_cache_put(h, k, ZSTR_VAL(val), ZSTR_LEN(val), (int64_t)ttl, js.s ? ZSTR_VAL(js.s) : NULL);
  smart_str_free(&js);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Cache, get) {
  zend_string *key;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(key)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  to_key(k, key);
  void *v = NULL;
  size_t n = 0;
  ecai_status st = ecai_cache_get(&v, &n, h, k);
  if (st == ECAI_ENOTFOUND) RETURN_NULL();
  THROW_IF(st);
  RETVAL_STRINGL((char *)v, n);
  ecai_free(v);
}

ZEND_METHOD(Ecai_Cache, delete) {
  zend_string *key;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(key)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  to_key(k, key);
  THROW_IF(ecai_cache_delete(h, k));
}

ZEND_METHOD(Ecai_Cache, invalidateTag) {
  zend_string *tag;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(tag)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n = 0;
  THROW_IF(ecai_cache_invalidate_tag(&n, h, ZSTR_VAL(tag)));
  RETURN_LONG((zend_long)n);
}

ZEND_METHOD(Ecai_Cache, invalidateProduct) {
  zend_string *sku, *facts;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(sku)
    Z_PARAM_STR(facts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n = 0;
  THROW_IF(ecai_cache_invalidate_product(&n, h, ZSTR_VAL(sku), ecai_cache_fact_hash(ZSTR_VAL(facts), ZSTR_LEN(facts))));
  RETURN_LONG((zend_long)n);
}

ZEND_METHOD(Ecai_Cache, clear) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_cache_clear(h));
}

ZEND_METHOD(Ecai_Cache, stats) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_cache_stats_json(&js, &n, h));
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Cache, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_cache_save(h, ZSTR_VAL(path)));
}

ZEND_METHOD(Ecai_Cache, load) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n = 0;
  THROW_IF(ecai_cache_load(&n, h, ZSTR_VAL(path)));
  RETURN_LONG((zend_long)n);
}

ZEND_METHOD(Ecai_Cache, counterAdd) {
  zend_string *name;
  double delta;
  zend_long window = 0;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_STR(name)
    Z_PARAM_DOUBLE(delta)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(window)
  ZEND_PARSE_PARAMETERS_END();
  ecai_cache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  double t = 0;
  THROW_IF(ecai_cache_counter_add(&t, h, ZSTR_VAL(name), delta, (int64_t)window));
  RETURN_DOUBLE(t);
}

/* ---- Ecai\SemanticCache -------------------------------------------------------------- */

ZEND_METHOD(Ecai_SemanticCache, __construct) {
  zval *zctx;
  zend_long dim = 0;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_OBJECT(zctx)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(dim)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  if (dim < 0) {
    zend_argument_value_error(2, "must be >= 0");
    RETURN_THROWS();
  }
  ecai_ctx *ctx = ecai_php_ctx_of(Z_OBJ_P(zctx), 1);
  if (!ctx) RETURN_THROWS();
  ecai_semcache *h = NULL;
  THROW_IF(ecai_semcache_new(&h, ctx, (size_t)dim));
  ecai_php_obj_set(p, h, free_semcache);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, zctx);
}

ZEND_METHOD(Ecai_SemanticCache, setThreshold) {
  double t;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_DOUBLE(t)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_semcache_set_double(h, ECAI_SEMCACHE_OPT_THRESHOLD, t));
}

ZEND_METHOD(Ecai_SemanticCache, setVerify) {
  bool v;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_BOOL(v)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_semcache_set_int(h, ECAI_SEMCACHE_OPT_VERIFY, v ? 1 : 0));
}

ZEND_METHOD(Ecai_SemanticCache, setMaxEntries) {
  zend_long m;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_LONG(m)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_semcache_set_int(h, ECAI_SEMCACHE_OPT_MAX_ENTRIES, (int64_t)m));
}

/* Converts a PHP array of numbers into floats (emalloc'd); NULL after throwing. */
static float *to_vec(zval *arr, size_t *n, uint32_t argn) {
  HashTable *ht = Z_ARRVAL_P(arr);
  *n = zend_hash_num_elements(ht);
  float *v = safe_emalloc(*n ? *n : 1, sizeof(float), 0);
  size_t i = 0;
  zval *z;
  ZEND_HASH_FOREACH_VAL(ht, z) {
    if (Z_TYPE_P(z) == IS_LONG) v[i++] = (float)Z_LVAL_P(z);
    else if (Z_TYPE_P(z) == IS_DOUBLE) v[i++] = (float)Z_DVAL_P(z);
    else {
      efree(v);
      zend_argument_type_error(argn, "must be an array of numbers");
      return NULL;
    }
  } ZEND_HASH_FOREACH_END();
  return v;
}

static void hit_result(zval *rv, ecai_status st, void *v, size_t n, float score) {
  if (st == ECAI_ENOTFOUND) {
    ZVAL_NULL(rv);
    return;
  }
  if (st != ECAI_OK) {
    ecai_php_throw(st);
    return;
  }
  array_init_size(rv, 2);
  add_next_index_stringl(rv, (char *)v, n);
  add_next_index_double(rv, (double)score);
  ecai_free(v);
}

ZEND_METHOD(Ecai_SemanticCache, put) {
  zend_string *part, *q, *val;
  zval *arr;
  ZEND_PARSE_PARAMETERS_START(4, 4)
    Z_PARAM_STR(part)
    Z_PARAM_ARRAY(arr)
    Z_PARAM_STR(q)
    Z_PARAM_STR(val)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n;
  float *v = to_vec(arr, &n, 2);
  if (!v) RETURN_THROWS();
  ecai_status st = ecai_semcache_put(h, ZSTR_VAL(part), v, n, ZSTR_VAL(q), ZSTR_LEN(q), ZSTR_VAL(val), ZSTR_LEN(val));
  efree(v);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_SemanticCache, lookup) {
  zend_string *part, *q;
  zval *arr;
  ZEND_PARSE_PARAMETERS_START(3, 3)
    Z_PARAM_STR(part)
    Z_PARAM_ARRAY(arr)
    Z_PARAM_STR(q)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n;
  float *v = to_vec(arr, &n, 2);
  if (!v) RETURN_THROWS();
  void *out = NULL;
  size_t on = 0;
  float score = 0;
  ecai_status st = ecai_semcache_lookup(&out, &on, &score, h, ZSTR_VAL(part), v, n, ZSTR_VAL(q), ZSTR_LEN(q));
  efree(v);
  hit_result(return_value, st, out, on, score);
}

ZEND_METHOD(Ecai_SemanticCache, putText) {
  zend_string *part, *q, *val;
  ZEND_PARSE_PARAMETERS_START(3, 3)
    Z_PARAM_STR(part)
    Z_PARAM_STR(q)
    Z_PARAM_STR(val)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_semcache_put_text(h, ZSTR_VAL(part), ZSTR_VAL(q), ZSTR_LEN(q), ZSTR_VAL(val), ZSTR_LEN(val)));
}

ZEND_METHOD(Ecai_SemanticCache, lookupText) {
  zend_string *part, *q;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(part)
    Z_PARAM_STR(q)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  void *out = NULL;
  size_t on = 0;
  float score = 0;
  ecai_status st = ecai_semcache_lookup_text(&out, &on, &score, h, ZSTR_VAL(part), ZSTR_VAL(q), ZSTR_LEN(q));
  hit_result(return_value, st, out, on, score);
}

ZEND_METHOD(Ecai_SemanticCache, stats) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_semcache_stats_json(&js, &n, h));
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_SemanticCache, verify) {
  zend_string *a, *b;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(a)
    Z_PARAM_STR(b)
  ZEND_PARSE_PARAMETERS_END();
  int ok = 0;
  THROW_IF(ecai_semcache_verify(&ok, ZSTR_VAL(a), ZSTR_LEN(a), ZSTR_VAL(b), ZSTR_LEN(b)));
  RETURN_BOOL(ok);
}

ZEND_METHOD(Ecai_SemanticCache, setWordMismatch) {
  double m;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_DOUBLE(m)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_semcache_set_double(h, ECAI_SEMCACHE_OPT_WORD_MISMATCH, m));
}

ZEND_METHOD(Ecai_SemanticCache, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_semcache_save(h, ZSTR_VAL(path)));
}

ZEND_METHOD(Ecai_SemanticCache, load) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_semcache *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n = 0;
  THROW_IF(ecai_semcache_load(&n, h, ZSTR_VAL(path)));
  RETURN_LONG((zend_long)n);
}

int ecai_php_cache_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Cache", class_Ecai_Cache_methods);
  ce_cache = ecai_php_register_handle_class(&ce);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "SemanticCache", class_Ecai_SemanticCache_methods);
  ce_semcache = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
