/* libecai PHP extension: Ecai\KnowledgeBase (ecai_kb) and Ecai\Support (ecai_support). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_support_arginfo.h"

static zend_class_entry *ecai_ce_kb, *ecai_ce_support;

static void free_kb(void *h) { ecai_kb_free(h); }
static ecai_status open_kb(void **h, ecai_ctx *ctx, const char *path) { return ecai_kb_open((ecai_kb **)h, ctx, path); }
static void free_support(void *h) { ecai_support_free(h); }

ZEND_METHOD(Ecai_KnowledgeBase, __construct) {
  zval *ctx;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT(ctx)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_kb *h = NULL;
  THROW_IF(ecai_kb_new(&h, c));
  ecai_php_obj_set(p, h, free_kb);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, ctx);
}

ZEND_METHOD(Ecai_KnowledgeBase, addText) {
  zend_string *source, *text;
  zend_long format = 0;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_STR(source)
    Z_PARAM_STR(text)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(format)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept KB changes: this request's copy */
  if (format < 0 || format > 4) {
    zend_argument_value_error(3, "must be 0..4");
    RETURN_THROWS();
  }
  size_t changed = 0;
  THROW_IF(ecai_kb_add_text(&changed, kb, ZSTR_VAL(source), ZSTR_VAL(text), ZSTR_LEN(text), (ecai_kb_format)format));
  RETURN_LONG((zend_long)changed);
}

ZEND_METHOD(Ecai_KnowledgeBase, addPath) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept KB changes: this request's copy */
  size_t changed = 0;
  THROW_IF(ecai_kb_add_path(&changed, kb, ZSTR_VAL(path)));
  RETURN_LONG((zend_long)changed);
}

ZEND_METHOD(Ecai_KnowledgeBase, remove) {
  zend_string *source;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(source)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept KB changes: this request's copy */
  THROW_IF(ecai_kb_remove(kb, ZSTR_VAL(source)));
}

ZEND_METHOD(Ecai_KnowledgeBase, stats) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  size_t d = 0, c = 0;
  THROW_IF(ecai_kb_stats(&d, &c, kb));
  array_init(return_value);
  add_assoc_long(return_value, "documents", (zend_long)d);
  add_assoc_long(return_value, "chunks", (zend_long)c);
}

ZEND_METHOD(Ecai_KnowledgeBase, search) {
  zend_string *query;
  zend_long k = 4;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(query)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(k)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  if (k < 1 || k > 100) {
    zend_argument_value_error(2, "must be in 1..100");
    RETURN_THROWS();
  }
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_kb_search_json(&js, &n, kb, ZSTR_VAL(query), (size_t)k));
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_KnowledgeBase, addExample) {
  zend_string *source, *q;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(source)
    Z_PARAM_STR(q)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  if (memchr(ZSTR_VAL(q), 0, ZSTR_LEN(q)) || memchr(ZSTR_VAL(source), 0, ZSTR_LEN(source))) {
    zend_argument_value_error(memchr(ZSTR_VAL(q), 0, ZSTR_LEN(q)) ? 2 : 1, "must not contain NUL bytes");
    RETURN_THROWS();
  }
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept KB changes: this request's copy */
  THROW_IF(ecai_kb_add_example(kb, ZSTR_VAL(source), ZSTR_VAL(q)));
}

ZEND_METHOD(Ecai_KnowledgeBase, addExamplesTsv) {
  zend_string *tsv;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(tsv)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  ecai_php_kept_unshare(ECAI_PHP_THIS()); /* a kept KB changes: this request's copy */
  size_t added = 0;
  THROW_IF(ecai_kb_add_examples_tsv(&added, kb, ZSTR_VAL(tsv), ZSTR_LEN(tsv)));
  RETURN_LONG((zend_long)added);
}

ZEND_METHOD(Ecai_KnowledgeBase, save) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kb *kb = ecai_php_this(ZEND_THIS);
  if (!kb) RETURN_THROWS();
  THROW_IF(ecai_kb_save(kb, ZSTR_VAL(path)));
}

ZEND_METHOD(Ecai_KnowledgeBase, open) {
  zend_string *path;
  zval *ctx;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_OBJECT(ctx)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 2);
  if (!c) RETURN_THROWS();
  /* kept across requests while the file is unchanged (ecai.persistent), with its own context */
  ecai_php_cfgsrc src = ecai_php_ctx_source(Z_OBJ_P(ctx));
  ecai_php_kept *k = NULL;
  THROW_IF(ecai_php_kept_open(&k, ECAI_PHP_KEPT_KB, ZSTR_VAL(path), c, &src, true, open_kb, free_kb));
  ecai_kb *h = NULL;
  if (!k) THROW_IF(ecai_kb_open(&h, c, ZSTR_VAL(path)));
  object_init_ex(return_value, ecai_ce_kb);
  ecai_php_obj *p = ecai_php_obj_of(Z_OBJ_P(return_value));
  if (k) {
    ecai_php_obj_adopt_kept(p, k);
    return;
  }
  ecai_php_obj_set(p, h, free_kb);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, ctx);
}

ZEND_METHOD(Ecai_Support, __construct) {
  zval *ctx, *kbz;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_OBJECT(ctx)
    Z_PARAM_OBJECT_OF_CLASS(kbz, ecai_ce_kb)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_kb *kb = ecai_php_this(kbz);
  if (!kb) RETURN_THROWS();
  ecai_support *h = NULL;
  THROW_IF(ecai_support_new(&h, c, kb));
  ecai_php_obj_set(p, h, free_support);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, ctx);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_ATTACHED, kbz); /* the knowledge base outlives the assistant */
}

ZEND_METHOD(Ecai_Support, answer) {
  zend_string *q, *conv = NULL, *cx = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_STR(q)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(conv)
    Z_PARAM_STR_OR_NULL(cx)
  ZEND_PARSE_PARAMETERS_END();
  ecai_support *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  if (memchr(ZSTR_VAL(q), 0, ZSTR_LEN(q))) {
    zend_argument_value_error(1, "must not contain NUL bytes");
    RETURN_THROWS();
  }
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_support_answer(&js, &n, h, ZSTR_VAL(q), conv ? ZSTR_VAL(conv) : NULL, cx ? ZSTR_VAL(cx) : NULL));
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Support, resolve) {
  zval *result;
  zend_string *source = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_ZVAL(result)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(source)
  ZEND_PARSE_PARAMETERS_END();
  ecai_support *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  smart_str js = {0};
  if (Z_TYPE_P(result) == IS_ARRAY) {
    if (php_json_encode(&js, result, 0) == FAILURE) {
      smart_str_free(&js);
      zend_argument_value_error(1, "cannot be encoded as JSON");
      RETURN_THROWS();
    }
    smart_str_0(&js);
  } else if (Z_TYPE_P(result) != IS_STRING) {
    zend_argument_type_error(1, "must be of type array|string, %s given", zend_zval_type_name(result));
    RETURN_THROWS();
  }
  const char *text = js.s ? ZSTR_VAL(js.s) : Z_STRVAL_P(result);
  zval *kbz = &ECAI_PHP_THIS()->keep[ECAI_PHP_KEEP_ATTACHED];
  if (Z_TYPE_P(kbz) == IS_OBJECT) ecai_php_kept_unshare(ecai_php_obj_of(Z_OBJ_P(kbz))); /* its KB changes */
  ecai_status st = ecai_support_resolve(h, text, source ? ZSTR_VAL(source) : NULL);
  smart_str_free(&js);
  THROW_IF(st);
}

int ecai_php_support_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "KnowledgeBase", class_Ecai_KnowledgeBase_methods);
  ecai_ce_kb = ecai_php_register_handle_class(&ce);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Support", class_Ecai_Support_methods);
  ecai_ce_support = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
