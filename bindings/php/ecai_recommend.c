/* libecai PHP extension: Ecai\Recommender (ecai_recommend). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_recommend_arginfo.h"

static zend_class_entry *ecai_ce_recommender;

static void free_recommend(void *h) { ecai_recommend_free(h); }
static ecai_status open_recommend(void **h, ecai_ctx *ctx, const char *path) {
  return ecai_recommend_load((ecai_recommend **)h, ctx, path);
}

/* Creates a context from an optional JSON config; throws and returns a non-OK status on failure. */
static ecai_status ctx_for(ecai_ctx **ctx, zend_string *config) {
  ecai_status st = config ? ecai_ctx_new(ctx, ZSTR_VAL(config), ZSTR_LEN(config)) : ecai_ctx_new(ctx, NULL, 0);
  if (st) ecai_php_throw(st);
  return st;
}


ZEND_METHOD(Ecai_Recommender, __construct) {
  zend_string *config = NULL;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(config)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *ctx = NULL;
  if (ctx_for(&ctx, config)) RETURN_THROWS();
  ecai_recommend *h = NULL;
  ecai_status st = ecai_recommend_new(&h, ctx);
  ecai_ctx_free(ctx);
  THROW_IF(st);
  ecai_php_obj_set(p, h, free_recommend);
}

ZEND_METHOD(Ecai_Recommender, fromOrders) {
  zend_string *path, *config = NULL, *before = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(config)
    Z_PARAM_STR_OR_NULL(before)
  ZEND_PARSE_PARAMETERS_END();
  int64_t cutoff = 0;
  ecai_status st;
  if (before && (st = ecai_recommend_parse_date(&cutoff, ZSTR_VAL(before)))) {
    zend_argument_value_error(3, "must be a date YYYY-MM-DD");
    RETURN_THROWS();
  }
  ecai_ctx *ctx = NULL;
  if (ctx_for(&ctx, config)) RETURN_THROWS();
  ecai_recommend *h = NULL;
  st = ecai_recommend_new(&h, ctx);
  if (!st) st = ecai_recommend_load_orders(h, ZSTR_VAL(path), cutoff);
  if (!st) st = ecai_recommend_fit(h);
  ecai_ctx_free(ctx);
  if (st) {
    ecai_php_throw(st);
    ecai_recommend_free(h);
    RETURN_THROWS();
  }
  object_init_ex(return_value, ecai_ce_recommender);
  ecai_php_obj_set(ecai_php_obj_of(Z_OBJ_P(return_value)), h, free_recommend);
}

ZEND_METHOD(Ecai_Recommender, load) {
  zend_string *path, *config = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(config)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *ctx = NULL;
  if (ctx_for(&ctx, config)) RETURN_THROWS();
  /* kept across requests while the file is unchanged (ecai.persistent) */
  ecai_php_cfgsrc src = {config ? ZSTR_VAL(config) : NULL, config ? ZSTR_LEN(config) : 0, NULL};
  ecai_php_kept *k = NULL;
  ecai_status st = ecai_php_kept_open(&k, ECAI_PHP_KEPT_RECOMMEND, ZSTR_VAL(path), ctx, &src, false, open_recommend,
                                      free_recommend);
  ecai_recommend *h = NULL;
  if (!st && !k) st = ecai_recommend_load(&h, ctx, ZSTR_VAL(path));
  ecai_ctx_free(ctx);
  THROW_IF(st);
  object_init_ex(return_value, ecai_ce_recommender);
  if (k) ecai_php_obj_adopt_kept(ecai_php_obj_of(Z_OBJ_P(return_value)), k);
  else ecai_php_obj_set(ecai_php_obj_of(Z_OBJ_P(return_value)), h, free_recommend);
}

/* Recommender::evaluate($path, $trainBefore, $testBefore, $k = 10, $config = null): the offline
 * evaluation of ecai_recommend_evaluate() (hit rate, nDCG, coverage, cold-start slice per method). */
ZEND_METHOD(Ecai_Recommender, evaluate) {
  zend_string *path, *train, *test, *config = NULL;
  zend_long k = 10;
  ZEND_PARSE_PARAMETERS_START(3, 5)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_STR(train)
    Z_PARAM_STR(test)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(k)
    Z_PARAM_STR_OR_NULL(config)
  ZEND_PARSE_PARAMETERS_END();
  int64_t a = 0, b = 0;
  if (ecai_recommend_parse_date(&a, ZSTR_VAL(train))) {
    zend_argument_value_error(2, "must be a date YYYY-MM-DD");
    RETURN_THROWS();
  }
  if (ecai_recommend_parse_date(&b, ZSTR_VAL(test))) {
    zend_argument_value_error(3, "must be a date YYYY-MM-DD");
    RETURN_THROWS();
  }
  ecai_ctx *ctx = NULL;
  if (ctx_for(&ctx, config)) RETURN_THROWS();
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_recommend_evaluate(&out, &n, ctx, ZSTR_VAL(path), a, b, (size_t)(k > 0 ? k : 0));
  ecai_ctx_free(ctx);
  THROW_IF(st);
  if (ecai_php_return_json(return_value, out, n)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, addOrder) {
  zend_string *oid, *customer = NULL;
  HashTable *products;
  zend_long ts = 0;
  ZEND_PARSE_PARAMETERS_START(2, 4)
    Z_PARAM_STR(oid)
    Z_PARAM_ARRAY_HT(products)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(customer)
    Z_PARAM_LONG(ts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept model changes: this request's copy */
  uint32_t n = zend_hash_num_elements(products);
  if (n == 0) {
    zend_argument_value_error(2, "must not be empty");
    RETURN_THROWS();
  }
  const char **ids = ecalloc(n, sizeof *ids);
  zval *z;
  uint32_t i = 0;
  ZEND_HASH_FOREACH_VAL(products, z) {
    if (Z_TYPE_P(z) != IS_STRING) {
      efree(ids);
      zend_argument_type_error(2, "must contain only strings");
      RETURN_THROWS();
    }
    ids[i++] = Z_STRVAL_P(z);
  } ZEND_HASH_FOREACH_END();
  ecai_status st = ecai_recommend_add_order(h, ZSTR_VAL(oid), customer ? ZSTR_VAL(customer) : NULL, (int64_t)ts,
                                            ids, NULL, NULL, n);
  efree(ids);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Recommender, setItem) {
  zend_string *id, *title = NULL;
  double price = -1.0;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_STR(id)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(title)
    Z_PARAM_DOUBLE(price)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept model changes: this request's copy */
  ecai_status st = ecai_recommend_set_item(h, ZSTR_VAL(id), title ? ZSTR_VAL(title) : NULL, price);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Recommender, setCategory) {
  zend_string *id, *category = NULL;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(id)
    Z_PARAM_STR_OR_NULL(category)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept model changes: this request's copy */
  ecai_status st = ecai_recommend_set_category(h, ZSTR_VAL(id), category ? ZSTR_VAL(category) : NULL);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Recommender, fit) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept model changes: this request's copy */
  ecai_status st = ecai_recommend_fit(h);
  THROW_IF(st);
}

ZEND_METHOD(Ecai_Recommender, setContent) {
  HashTable *vectors;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ARRAY_HT(vectors)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept model changes: this request's copy */
  uint32_t n = zend_hash_num_elements(vectors);
  if (n == 0) {
    zend_argument_value_error(1, "must not be empty");
    RETURN_THROWS();
  }
  size_t dim = 0;
  zval *row;
  ZEND_HASH_FOREACH_VAL(vectors, row) {
    if (Z_TYPE_P(row) != IS_ARRAY || zend_hash_num_elements(Z_ARRVAL_P(row)) == 0 ||
        (dim && zend_hash_num_elements(Z_ARRVAL_P(row)) != dim)) {
      zend_argument_value_error(1, "must map ids to non-empty float arrays of one dimension");
      RETURN_THROWS();
    }
    dim = zend_hash_num_elements(Z_ARRVAL_P(row));
  } ZEND_HASH_FOREACH_END();
  const char **ids = ecalloc(n, sizeof *ids);
  float *mat = ecalloc((size_t)n * dim, sizeof *mat);
  zend_string **keys = ecalloc(n, sizeof *keys);
  uint32_t i = 0;
  zend_string *key;
  zend_ulong num;
  ZEND_HASH_FOREACH_KEY_VAL(vectors, num, key, row) {
    keys[i] = key ? zend_string_copy(key) : zend_long_to_str((zend_long)num);
    ids[i] = ZSTR_VAL(keys[i]);
    size_t d = 0;
    zval *x;
    ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(row), x) { mat[(size_t)i * dim + d++] = (float)zval_get_double(x); }
    ZEND_HASH_FOREACH_END();
    i++;
  } ZEND_HASH_FOREACH_END();
  ecai_status st = ecai_recommend_set_content(h, ids, mat, n, dim);
  for (uint32_t k = 0; k < n; k++) zend_string_release(keys[k]);
  efree(keys);
  efree(ids);
  efree(mat);
  THROW_IF(st);
}

static void do_query(zval *return_value, ecai_recommend *h, const char *req, size_t len, const char *member) {
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_recommend_query(&out, &n, h, req, len);
  if (st) {
    ecai_php_throw(st);
    return;
  }
  zval reply;
  ecai_php_return_json(&reply, out, n);
  if (EG(exception)) return;
  if (member) {
    zval *items = zend_hash_str_find(Z_ARRVAL(reply), member, strlen(member));
    if (items) ZVAL_COPY(return_value, items);
    else array_init(return_value);
    zval_ptr_dtor(&reply);
  } else {
    ZVAL_COPY_VALUE(return_value, &reply);
  }
}

/* Encodes the request array, runs it and returns the reply's `member` list; frees req. */
static void run_request(zval *return_value, ecai_recommend *h, zval *req, const char *member) {
  smart_str buf = {0};
  php_json_encode(&buf, req, 0);
  zval_ptr_dtor(req);
  smart_str_0(&buf);
  do_query(return_value, h, buf.s ? ZSTR_VAL(buf.s) : "{}", buf.s ? ZSTR_LEN(buf.s) : 2, member);
  smart_str_free(&buf);
}

ZEND_METHOD(Ecai_Recommender, recommend) {
  zval *cart, *history = NULL;
  zend_long k = 10;
  zend_string *strategy = NULL, *customer = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 5)
    Z_PARAM_ARRAY(cart)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY(history)
    Z_PARAM_LONG(k)
    Z_PARAM_STR(strategy)
    Z_PARAM_STR_OR_NULL(customer)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  zval req;
  array_init(&req);
  Z_TRY_ADDREF_P(cart);
  add_assoc_zval(&req, "cart", cart);
  if (history) {
    Z_TRY_ADDREF_P(history);
    add_assoc_zval(&req, "history", history);
  }
  add_assoc_long(&req, "k", k);
  add_assoc_string(&req, "strategy", strategy ? ZSTR_VAL(strategy) : "mixed");
  if (customer) add_assoc_str(&req, "customer", zend_string_copy(customer));
  run_request(return_value, h, &req, "items");
  if (EG(exception)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, bundles) {
  zval *cart;
  zend_long k = 3;
  zend_string *customer = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_ARRAY(cart)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(k)
    Z_PARAM_STR_OR_NULL(customer)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  zval req;
  array_init(&req);
  Z_TRY_ADDREF_P(cart);
  add_assoc_zval(&req, "cart", cart);
  add_assoc_long(&req, "k", k);
  add_assoc_string(&req, "strategy", "bundle");
  if (customer) add_assoc_str(&req, "customer", zend_string_copy(customer));
  run_request(return_value, h, &req, "bundles");
  if (EG(exception)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, trending) {
  zend_long k = 10, now = -1;
  ZEND_PARSE_PARAMETERS_START(0, 2)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(k)
    Z_PARAM_LONG(now)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  zval req;
  array_init(&req);
  add_assoc_long(&req, "k", k);
  add_assoc_string(&req, "strategy", "trending");
  if (now >= 0) add_assoc_long(&req, "now", now);
  run_request(return_value, h, &req, "items");
  if (EG(exception)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, query) {
  zend_string *req;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(req)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  do_query(return_value, h, ZSTR_VAL(req), ZSTR_LEN(req), NULL);
  if (EG(exception)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, rerank) {
  zend_object *lobj;
  zend_string *req;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_OBJ(lobj)
    Z_PARAM_STR(req)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_llm *llm = ecai_php_llm_of(lobj, 1);
  if (!llm) RETURN_THROWS();
  char *out = NULL;
  size_t n = 0;
  THROW_IF(ecai_recommend_rerank(&out, &n, h, llm, ZSTR_VAL(req), ZSTR_LEN(req)));
  if (ecai_php_return_json(return_value, out, n)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, stats) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_recommend_stats(&out, &n, h);
  THROW_IF(st);
  ecai_php_return_json(return_value, out, n);
  if (EG(exception)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Recommender, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_recommend *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_status st = ecai_recommend_save(h, ZSTR_VAL(path));
  THROW_IF(st);
}

int ecai_php_recommend_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Recommender", class_Ecai_Recommender_methods);
  ecai_ce_recommender = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
