/* libecai PHP extension: Ecai\Guard (guardrails: input / output checks, PII redaction). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_guard_arginfo.h"

static zend_class_entry *ecai_ce_guard;

static void free_guard(void *h) { ecai_guard_free(h); }

static void return_verdict(zval *return_value, ecai_guard_verdict *v) {
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_guard_verdict_json(&js, &n, v);
  ecai_guard_verdict_free(v);
  if (st) {
    ecai_php_throw(st);
    return;
  }
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Guard, __construct) {
  zend_object *ctx_obj = NULL;
  zend_string *cfg = NULL;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_OBJ_OR_STR_OR_NULL(ctx_obj, cfg)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_guard *h = NULL;
  ecai_ctx *own = NULL;
  const ecai_ctx *ctx = NULL;
  ecai_status st = ECAI_OK;
  if (ctx_obj) {
    if (!(ctx = ecai_php_ctx_of(ctx_obj, 1))) RETURN_THROWS();
  } else if (cfg) {
    st = ecai_ctx_new(&own, ZSTR_VAL(cfg), ZSTR_LEN(cfg));
    ctx = own;
  }
  if (!st) st = ecai_guard_new(&h, ctx);
  ecai_ctx_free(own);
  THROW_IF(st);
  ecai_php_obj_set(p, h, free_guard);
}

static int opt_by_name(const char *name, int *type) {
  static const struct { const char *name; int opt, type; } OPTS[] = {
      {"system_prompt", ECAI_GUARD_OPT_SYSTEM_PROMPT, 's'},
      {"banned_phrases", ECAI_GUARD_OPT_BANNED_PHRASES, 's'},
      {"max_input_chars", ECAI_GUARD_OPT_MAX_INPUT_CHARS, 'i'},
      {"max_output_chars", ECAI_GUARD_OPT_MAX_OUTPUT_CHARS, 'i'},
      {"leak_min_words", ECAI_GUARD_OPT_LEAK_MIN_WORDS, 'i'},
      {"support_threshold", ECAI_GUARD_OPT_SUPPORT_THRESHOLD, 'd'},
      {"escalation_threshold", ECAI_GUARD_OPT_ESCALATION_THRESHOLD, 'd'},
      {"repeat_similarity", ECAI_GUARD_OPT_REPEAT_SIMILARITY, 'd'},
  };
  for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
    if (!strcmp(name, OPTS[i].name)) {
      *type = OPTS[i].type;
      return OPTS[i].opt;
    }
  return -1;
}

ZEND_METHOD(Ecai_Guard, set) {
  zend_string *name;
  zval *value;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(name)
    Z_PARAM_ZVAL(value)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  int type = 0, opt = opt_by_name(ZSTR_VAL(name), &type);
  if (opt < 0) {
    zend_throw_exception_ex(ecai_ce_exception, ECAI_EUNSUPPORTED, "unknown guard option '%s'", ZSTR_VAL(name));
    RETURN_THROWS();
  }
  ecai_status st;
  if (type == 's') {
    if (Z_TYPE_P(value) == IS_ARRAY) { /* banned phrases as a list */
      smart_str s = {0};
      zval *e;
      ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(value), e) {
        if (Z_TYPE_P(e) != IS_STRING) {
          smart_str_free(&s);
          zend_argument_value_error(2, "must contain only strings");
          RETURN_THROWS();
        }
        smart_str_append(&s, Z_STR_P(e));
        smart_str_appendc(&s, '\n');
      } ZEND_HASH_FOREACH_END();
      smart_str_0(&s);
      st = ecai_guard_set_str(h, (ecai_guard_opt)opt, s.s ? ZSTR_VAL(s.s) : "");
      smart_str_free(&s);
    } else if (Z_TYPE_P(value) == IS_STRING) {
      st = ecai_guard_set_str(h, (ecai_guard_opt)opt, Z_STRVAL_P(value));
    } else if (Z_TYPE_P(value) == IS_NULL) {
      st = ecai_guard_set_str(h, (ecai_guard_opt)opt, NULL);
    } else {
      zend_argument_type_error(2, "must be a string or an array of strings for '%s'", ZSTR_VAL(name));
      RETURN_THROWS();
    }
  } else if (type == 'i') {
    if (Z_TYPE_P(value) != IS_LONG) {
      zend_argument_type_error(2, "must be an int for '%s'", ZSTR_VAL(name));
      RETURN_THROWS();
    }
    st = ecai_guard_set_int(h, (ecai_guard_opt)opt, (int64_t)Z_LVAL_P(value));
  } else {
    if (Z_TYPE_P(value) != IS_LONG && Z_TYPE_P(value) != IS_DOUBLE) {
      zend_argument_type_error(2, "must be a float for '%s'", ZSTR_VAL(name));
      RETURN_THROWS();
    }
    st = ecai_guard_set_double(h, (ecai_guard_opt)opt, zval_get_double(value));
  }
  THROW_IF(st);
  RETURN_OBJ_COPY(Z_OBJ_P(ZEND_THIS));
}

/* The price list given to setCatalog() (kept in the object's ATTACHED slot). */
static int php_catalog(const char *sku, double *price, void *payload) {
  zval *prices = &((ecai_php_obj *)payload)->keep[ECAI_PHP_KEEP_ATTACHED];
  if (Z_TYPE_P(prices) != IS_ARRAY) return 0;
  zval *v = zend_symtable_str_find(Z_ARRVAL_P(prices), sku, strlen(sku));
  if (!v) return 0;
  *price = (Z_TYPE_P(v) == IS_LONG || Z_TYPE_P(v) == IS_DOUBLE) ? zval_get_double(v) : -1;
  return 1;
}

ZEND_METHOD(Ecai_Guard, setCatalog) {
  HashTable *prices = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ARRAY_HT_OR_NULL(prices)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_php_obj *p = ECAI_PHP_THIS();
  ecai_guard_set_catalog(h, NULL, NULL);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_ATTACHED, NULL);
  if (prices) {
    zval copy;
    ZVAL_ARR(&copy, zend_array_dup(prices));
    ecai_php_obj_keep(p, ECAI_PHP_KEEP_ATTACHED, &copy);
    zval_ptr_dtor(&copy);
    ecai_guard_set_catalog(h, php_catalog, p);
  }
  RETURN_OBJ_COPY(Z_OBJ_P(ZEND_THIS));
}

ZEND_METHOD(Ecai_Guard, checkInput) {
  zend_string *text;
  zval *history = NULL; /* as a zval: see opts_json in ecai_search.c */
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(text)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_OR_NULL(history)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  smart_str hj = {0};
  if (history) {
    if (php_json_encode(&hj, history, PHP_JSON_UNESCAPED_UNICODE) == FAILURE) {
      smart_str_free(&hj);
      zend_argument_value_error(2, "cannot be encoded as JSON");
      RETURN_THROWS();
    }
    smart_str_0(&hj);
  }
  ecai_guard_verdict *v = NULL;
  ecai_status st = ecai_guard_check_input(&v, h, ZSTR_VAL(text), ZSTR_LEN(text), hj.s ? ZSTR_VAL(hj.s) : NULL,
                                          hj.s ? ZSTR_LEN(hj.s) : 0);
  smart_str_free(&hj);
  THROW_IF(st);
  return_verdict(return_value, v);
}

ZEND_METHOD(Ecai_Guard, checkOutput) {
  zend_string *answer;
  HashTable *sources;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(answer)
    Z_PARAM_ARRAY_HT(sources)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  uint32_t n = zend_hash_num_elements(sources), i = 0;
  const char **ids = ecalloc(n ? n : 1, sizeof *ids), **texts = ecalloc(n ? n : 1, sizeof *texts);
  zend_string **keep = ecalloc(n ? n : 1, sizeof *keep);
  zend_string *key;
  zend_ulong idx;
  zval *val;
  bool bad = false;
  ZEND_HASH_FOREACH_KEY_VAL(sources, idx, key, val) {
    if (Z_TYPE_P(val) != IS_STRING) {
      bad = true;
      break;
    }
    keep[i] = key ? zend_string_copy(key) : zend_long_to_str((zend_long)idx);
    ids[i] = ZSTR_VAL(keep[i]);
    texts[i] = Z_STRVAL_P(val);
    i++;
  } ZEND_HASH_FOREACH_END();
  ecai_guard_verdict *v = NULL;
  ecai_status st = ECAI_OK;
  if (!bad) st = ecai_guard_check_output(&v, h, ZSTR_VAL(answer), ZSTR_LEN(answer), ids, texts, n);
  for (uint32_t k = 0; k < i; k++) zend_string_release(keep[k]);
  efree(keep);
  efree(ids);
  efree(texts);
  if (bad) {
    zend_argument_value_error(2, "must be an array of id => text strings");
    RETURN_THROWS();
  }
  THROW_IF(st);
  return_verdict(return_value, v);
}

ZEND_METHOD(Ecai_Guard, confidence) {
  double r, gr, m = -1;
  bool m_null = true;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_DOUBLE(r)
    Z_PARAM_DOUBLE(gr)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE_OR_NULL(m, m_null)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  double c = 0;
  int esc = 0;
  ecai_status st = ecai_guard_confidence(&c, &esc, h, r, gr, m_null ? -1 : m);
  THROW_IF(st);
  array_init(return_value);
  add_assoc_double(return_value, "confidence", c);
  add_assoc_bool(return_value, "escalate", esc);
}

ZEND_METHOD(Ecai_Guard, redact) {
  zend_string *text, *mapping = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(text)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(mapping)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard_pii *m = NULL;
  char *red = NULL, *mj = NULL;
  size_t rn = 0, mn = 0;
  ecai_status st = mapping ? ecai_guard_pii_from_json(&m, ZSTR_VAL(mapping), ZSTR_LEN(mapping)) : ecai_guard_pii_new(&m);
  if (!st) st = ecai_guard_redact(&red, &rn, m, ZSTR_VAL(text), ZSTR_LEN(text));
  if (!st) st = ecai_guard_pii_json(&mj, &mn, m);
  ecai_guard_pii_free(m);
  if (st) {
    ecai_free(red);
    ecai_php_throw(st);
    RETURN_THROWS();
  }
  array_init(return_value);
  add_assoc_stringl(return_value, "text", red, rn);
  add_assoc_stringl(return_value, "mapping", mj, mn);
  ecai_free(red);
  ecai_free(mj);
}

ZEND_METHOD(Ecai_Guard, restore) {
  zend_string *text, *mapping;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(text)
    Z_PARAM_STR(mapping)
  ZEND_PARSE_PARAMETERS_END();
  ecai_guard_pii *m = NULL;
  char *out = NULL;
  size_t n = 0;
  ecai_status st = ecai_guard_pii_from_json(&m, ZSTR_VAL(mapping), ZSTR_LEN(mapping));
  if (!st) st = ecai_guard_restore(&out, &n, m, ZSTR_VAL(text), ZSTR_LEN(text));
  ecai_guard_pii_free(m);
  THROW_IF(st);
  RETVAL_STRINGL(out, n);
  ecai_free(out);
}

int ecai_php_guard_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Guard", class_Ecai_Guard_methods);
  ecai_ce_guard = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
