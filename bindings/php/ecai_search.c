/* libecai PHP extension: Ecai\Search (hybrid product search over an Ecai\Store). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_search_arginfo.h"

static zend_class_entry *ce_search, *ce_store;

static void free_search(void *h) { ecai_search_free(h); }

/* Encodes an options array as JSON (NULL for none); returns -1 after throwing. The array is
 * taken as the caller's zval, never re-wrapped from its HashTable: a literal array is
 * immutable and, under opcache, shared by every worker; the encoder takes a reference to it,
 * which a re-wrapped zval (ZVAL_ARR marks it refcounted) would count in shared memory. */
static int opts_json(zval *opts, smart_str *js) {
  if (!opts) return 0;
  if (php_json_encode(js, opts, PHP_JSON_FORCE_OBJECT) == FAILURE) {
    smart_str_free(js);
    zend_argument_value_error(2, "must be JSON-encodable");
    return -1;
  }
  smart_str_0(js);
  return 0;
}

ZEND_METHOD(Ecai_Search, __construct) {
  zval *store;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT_OF_CLASS(store, ce_store)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_store *s = ecai_php_store_of(Z_OBJ_P(store), 1);
  if (!s) RETURN_THROWS();
  ecai_search *h = NULL;
  THROW_IF(ecai_search_new(&h, s));
  ecai_php_obj_set(p, h, free_search);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, store); /* the Store (and its Context) outlive the search */
}

ZEND_METHOD(Ecai_Search, open) {
  zval *store;
  zend_string *dir;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_OBJECT_OF_CLASS(store, ce_store)
    Z_PARAM_PATH_STR(dir)
  ZEND_PARSE_PARAMETERS_END();
  ecai_store *s = ecai_php_store_of(Z_OBJ_P(store), 1);
  if (!s) RETURN_THROWS();
  /* a store kept across requests keeps its searches too (the search of the store's own
   * version when dir is the store's folder) */
  ecai_php_obj *so = ecai_php_obj_of(Z_OBJ_P(store));
  zval *as = &so->keep[ECAI_PHP_KEEP_ATTACHED];
  ecai_php_kept *k = NULL;
  ecai_status st = so->kept ? ecai_php_kept_search(&k, so->kept, Z_TYPE_P(as) == IS_STRING ? Z_STRVAL_P(as) : NULL,
                                                   ZSTR_VAL(dir))
                            : ECAI_OK;
  if (st) {
    if (!EG(exception)) ecai_php_throw(st);
    RETURN_THROWS();
  }
  ecai_search *h = NULL;
  if (!k) THROW_IF(ecai_search_open(&h, s, ZSTR_VAL(dir)));
  object_init_ex(return_value, ce_search);
  ecai_php_obj *p = ecai_php_obj_of(Z_OBJ_P(return_value));
  if (k) ecai_php_obj_adopt_kept(p, k);
  else ecai_php_obj_set(p, h, free_search);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, store);
}

ZEND_METHOD(Ecai_Search, save) {
  zend_string *dir;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(dir)
  ZEND_PARSE_PARAMETERS_END();
  ecai_search *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  THROW_IF(ecai_search_save(h, ZSTR_VAL(dir)));
}

ZEND_METHOD(Ecai_Search, query) {
  zend_string *q;
  zval *opts = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(q)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_OR_NULL(opts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_search *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  smart_str js = {0};
  if (opts_json(opts, &js)) RETURN_THROWS();
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_search_query(&out, &n, h, ZSTR_VAL(q), ZSTR_LEN(q), js.s ? ZSTR_VAL(js.s) : NULL);
  smart_str_free(&js);
  THROW_IF(st);
  if (ecai_php_return_json(return_value, out, n)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Search, evaluate) {
  zend_string *queries, *labels;
  zval *opts = NULL;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_PATH_STR(queries)
    Z_PARAM_PATH_STR(labels)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_OR_NULL(opts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_search *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  smart_str js = {0};
  if (opts_json(opts, &js)) RETURN_THROWS();
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_search_eval(&out, &n, h, ZSTR_VAL(queries), ZSTR_VAL(labels), js.s ? ZSTR_VAL(js.s) : NULL);
  smart_str_free(&js);
  THROW_IF(st);
  if (ecai_php_return_json(return_value, out, n)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Search, learn) {
  zend_string *queries, *labels, *dir = NULL;
  zval *opts = NULL;
  ZEND_PARSE_PARAMETERS_START(2, 4)
    Z_PARAM_PATH_STR(queries)
    Z_PARAM_PATH_STR(labels)
    Z_PARAM_OPTIONAL
    Z_PARAM_PATH_STR_OR_NULL(dir)
    Z_PARAM_ARRAY_OR_NULL(opts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_search *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  smart_str js = {0};
  if (opts_json(opts, &js)) RETURN_THROWS();
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_search_learn(&out, &n, h, dir ? ZSTR_VAL(dir) : NULL, ZSTR_VAL(queries), ZSTR_VAL(labels),
                                     js.s ? ZSTR_VAL(js.s) : NULL);
  smart_str_free(&js);
  THROW_IF(st);
  if (ecai_php_return_json(return_value, out, n)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Search, setRules) {
  zval *rules;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ZVAL(rules)
  ZEND_PARSE_PARAMETERS_END();
  ecai_search *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  if (Z_TYPE_P(rules) != IS_NULL && Z_TYPE_P(rules) != IS_STRING && Z_TYPE_P(rules) != IS_ARRAY) {
    zend_argument_type_error(1, "must be of type array|string|null, %s given", zend_zval_type_name(rules));
    RETURN_THROWS();
  }
  if (Z_TYPE_P(rules) == IS_NULL) {
    THROW_IF(ecai_search_set_rules_json(h, NULL, 0));
    return;
  }
  if (Z_TYPE_P(rules) == IS_STRING) {
    THROW_IF(ecai_search_set_rules_json(h, Z_STRVAL_P(rules), Z_STRLEN_P(rules)));
    return;
  }
  smart_str js = {0};
  if (php_json_encode(&js, rules, 0) == FAILURE) {
    smart_str_free(&js);
    zend_argument_value_error(1, "must be JSON-encodable");
    RETURN_THROWS();
  }
  smart_str_0(&js);
  ecai_status st = ecai_search_set_rules_json(h, js.s ? ZSTR_VAL(js.s) : "[]", js.s ? ZSTR_LEN(js.s) : 2);
  smart_str_free(&js);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Search, setPopularity) {
  zend_string *path = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR_OR_NULL(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_search *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  size_t n = 0;
  THROW_IF(ecai_search_set_popularity_csv(h, path ? ZSTR_VAL(path) : NULL, &n));
  RETURN_LONG((zend_long)n);
}

int ecai_php_search_minit(INIT_FUNC_ARGS) {
  ce_store = zend_hash_str_find_ptr(CG(class_table), "ecai\\store", sizeof("ecai\\store") - 1);
  if (!ce_store) return FAILURE;
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Search", class_Ecai_Search_methods);
  ce_search = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
