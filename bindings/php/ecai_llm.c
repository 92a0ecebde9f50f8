/* libecai PHP extension: Ecai\Llm (chat, streaming, JSON mode, batch, stats, cancel). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_interfaces.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_llm_arginfo.h"

static zend_class_entry *ecai_ce_llm;

static void free_llm(void *h) { ecai_llm_free(h); }

static int role_of(zend_string *r) {
  if (zend_string_equals_literal(r, "system")) return ECAI_LLM_SYSTEM;
  if (zend_string_equals_literal(r, "user")) return ECAI_LLM_USER;
  if (zend_string_equals_literal(r, "assistant")) return ECAI_LLM_ASSISTANT;
  return 0;
}

/* Builds a prompt from a string (user message) or a list of messages:
 * ["role" => "user", "content" => "..."] or ["role" => "user", "template" => "...", "slots" => [...]].
 * Returns NULL with an exception thrown on failure. */
static ecai_prompt *build_prompt(zval *msg, zend_string *system) {
  ecai_prompt *p = NULL;
  ecai_status st = ecai_prompt_new(&p);
  if (st) goto fail;
  if (system && (st = ecai_prompt_add(p, ECAI_LLM_SYSTEM, ZSTR_VAL(system), ZSTR_LEN(system)))) goto fail;
  if (Z_TYPE_P(msg) == IS_STRING) {
    if ((st = ecai_prompt_add(p, ECAI_LLM_USER, Z_STRVAL_P(msg), Z_STRLEN_P(msg)))) goto fail;
    return p;
  }
  if (Z_TYPE_P(msg) != IS_ARRAY) {
    zend_argument_type_error(1, "must be of type string|array");
    ecai_prompt_free(p);
    return NULL;
  }
  zval *m;
  ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(msg), m) {
    zval *role, *content, *tmpl;
    if (Z_TYPE_P(m) != IS_ARRAY || !(role = zend_hash_str_find(Z_ARRVAL_P(m), "role", 4)) ||
        Z_TYPE_P(role) != IS_STRING || !role_of(Z_STR_P(role))) {
      zend_argument_value_error(1, "must hold messages with a \"role\" of system, user or assistant");
      ecai_prompt_free(p);
      return NULL;
    }
    int r = role_of(Z_STR_P(role));
    if ((tmpl = zend_hash_str_find(Z_ARRVAL_P(m), "template", 8)) && Z_TYPE_P(tmpl) == IS_STRING) {
      zval *slots = zend_hash_str_find(Z_ARRVAL_P(m), "slots", 5);
      smart_str buf = {0};
      if (slots) {
        if (php_json_encode(&buf, slots, PHP_JSON_UNESCAPED_UNICODE | PHP_JSON_FORCE_OBJECT) == FAILURE) {
          smart_str_free(&buf);
          zend_argument_value_error(1, "has slots that cannot be encoded as JSON");
          ecai_prompt_free(p);
          return NULL;
        }
      } else {
        smart_str_appends(&buf, "{}");
      }
      smart_str_0(&buf);
      st = ecai_prompt_add_template(p, (ecai_llm_role)r, Z_STRVAL_P(tmpl), ZSTR_VAL(buf.s));
      smart_str_free(&buf);
      if (st) goto fail;
    } else if ((content = zend_hash_str_find(Z_ARRVAL_P(m), "content", 7)) && Z_TYPE_P(content) == IS_STRING) {
      if ((st = ecai_prompt_add(p, (ecai_llm_role)r, Z_STRVAL_P(content), Z_STRLEN_P(content)))) goto fail;
    } else {
      zend_argument_value_error(1, "must hold messages with a string \"content\" or \"template\"");
      ecai_prompt_free(p);
      return NULL;
    }
  } ZEND_HASH_FOREACH_END();
  return p;
fail:
  ecai_php_throw(st);
  ecai_prompt_free(p);
  return NULL;
}

/* Decodes the reply JSON into return_value and frees the reply. */
static void return_reply(zval *return_value, ecai_llm_reply *r) {
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_llm_reply_json(&js, &n, r);
  ecai_llm_reply_free(r);
  if (st) {
    ecai_php_throw(st);
    return;
  }
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Llm, __construct) {
  zval *ctx;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJECT(ctx)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *c = ecai_php_ctx_of(Z_OBJ_P(ctx), 1);
  if (!c) RETURN_THROWS();
  ecai_llm *h = NULL;
  THROW_IF(ecai_llm_new(&h, c));
  ecai_php_obj_set(p, h, free_llm);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, ctx);
}

static const struct { const char *name; int opt; char type; } LLM_OPTS[] = {
  {"base_url", ECAI_LLM_OPT_BASE_URL, 's'}, {"api_key", ECAI_LLM_OPT_API_KEY, 's'},
  {"model", ECAI_LLM_OPT_MODEL, 's'}, {"provider", ECAI_LLM_OPT_PROVIDER, 's'},
  {"header", ECAI_LLM_OPT_HEADER, 's'}, {"timeout_ms", ECAI_LLM_OPT_TIMEOUT_MS, 'i'},
  {"max_retries", ECAI_LLM_OPT_MAX_RETRIES, 'i'}, {"connect_timeout_ms", ECAI_LLM_OPT_CONNECT_TIMEOUT_MS, 'i'},
  {"max_tokens", ECAI_LLM_OPT_MAX_TOKENS, 'i'}, {"max_reply_bytes", ECAI_LLM_OPT_MAX_REPLY_BYTES, 'i'},
  {"backoff_ms", ECAI_LLM_OPT_BACKOFF_MS, 'i'}, {"backoff_max_ms", ECAI_LLM_OPT_BACKOFF_MAX_MS, 'i'},
  {"retry_budget", ECAI_LLM_OPT_RETRY_BUDGET, 'i'}, {"breaker_threshold", ECAI_LLM_OPT_BREAKER_THRESHOLD, 'i'},
  {"breaker_cooldown_ms", ECAI_LLM_OPT_BREAKER_COOLDOWN_MS, 'i'},
  {"batch_concurrency", ECAI_LLM_OPT_BATCH_CONCURRENCY, 'i'}, {"verify_tls", ECAI_LLM_OPT_VERIFY_TLS, 'i'},
  {"temperature", ECAI_LLM_OPT_TEMPERATURE, 'd'}, {"budget_limit", ECAI_LLM_OPT_BUDGET_LIMIT, 'd'},
  {"budget_window_s", ECAI_LLM_OPT_BUDGET_WINDOW_S, 'd'}, {"budget_near", ECAI_LLM_OPT_BUDGET_NEAR, 'd'},
};

ZEND_METHOD(Ecai_Llm, set) {
  zend_string *name;
  zval *value;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(name)
    Z_PARAM_ZVAL(value)
  ZEND_PARSE_PARAMETERS_END();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  for (size_t i = 0; i < sizeof LLM_OPTS / sizeof LLM_OPTS[0]; i++) {
    if (strcmp(LLM_OPTS[i].name, ZSTR_VAL(name))) continue;
    ecai_status st;
    if (LLM_OPTS[i].type == 's') {
      if (Z_TYPE_P(value) == IS_NULL) st = ecai_llm_set_str(h, (ecai_llm_opt)LLM_OPTS[i].opt, NULL);
      else if (Z_TYPE_P(value) == IS_STRING) st = ecai_llm_set_str(h, (ecai_llm_opt)LLM_OPTS[i].opt, Z_STRVAL_P(value));
      else {
        zend_argument_type_error(2, "must be of type ?string for option \"%s\"", LLM_OPTS[i].name);
        RETURN_THROWS();
      }
    } else if (LLM_OPTS[i].type == 'i') {
      if (Z_TYPE_P(value) != IS_LONG && Z_TYPE_P(value) != IS_TRUE && Z_TYPE_P(value) != IS_FALSE) {
        zend_argument_type_error(2, "must be of type int for option \"%s\"", LLM_OPTS[i].name);
        RETURN_THROWS();
      }
      st = ecai_llm_set_int(h, (ecai_llm_opt)LLM_OPTS[i].opt, (int64_t)zval_get_long(value));
    } else {
      if (Z_TYPE_P(value) != IS_LONG && Z_TYPE_P(value) != IS_DOUBLE) {
        zend_argument_type_error(2, "must be of type float for option \"%s\"", LLM_OPTS[i].name);
        RETURN_THROWS();
      }
      st = ecai_llm_set_double(h, (ecai_llm_opt)LLM_OPTS[i].opt, zval_get_double(value));
    }
    THROW_IF(st);
    RETURN_OBJ_COPY(Z_OBJ_P(ZEND_THIS));
  }
  zend_throw_exception_ex(ecai_ce_exception, ECAI_EUNSUPPORTED, "unknown Ecai\\Llm option \"%s\"", ZSTR_VAL(name));
  RETURN_THROWS();
}

ZEND_METHOD(Ecai_Llm, chat) {
  zval *msg;
  zend_string *system = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_ZVAL(msg)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(system)
  ZEND_PARSE_PARAMETERS_END();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_prompt *p = build_prompt(msg, system);
  if (!p) RETURN_THROWS();
  ecai_llm_reply *r = NULL;
  ecai_status st = ecai_llm_chat(&r, h, p);
  ecai_prompt_free(p);
  THROW_IF(st);
  return_reply(return_value, r);
}

typedef struct {
  zend_fcall_info *fci;
  zend_fcall_info_cache *fcc;
} stream_ctx;

static int php_stream_cb(const char *delta, size_t len, void *payload) {
  stream_ctx *s = payload;
  zval arg, ret;
  ZVAL_STRINGL(&arg, delta, len);
  ZVAL_UNDEF(&ret);
  s->fci->retval = &ret;
  s->fci->params = &arg;
  s->fci->param_count = 1;
  int rc = zend_call_function(s->fci, s->fcc);
  zval_ptr_dtor(&arg);
  bool stop = rc != SUCCESS || EG(exception) || (Z_TYPE(ret) == IS_FALSE);
  zval_ptr_dtor(&ret);
  return stop ? 1 : 0;
}

ZEND_METHOD(Ecai_Llm, stream) {
  zval *msg;
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  zend_string *system = NULL;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_ZVAL(msg)
    Z_PARAM_FUNC(fci, fcc)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(system)
  ZEND_PARSE_PARAMETERS_END();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_prompt *p = build_prompt(msg, system);
  if (!p) RETURN_THROWS();
  stream_ctx s = {&fci, &fcc};
  ecai_llm_reply *r = NULL;
  ecai_status st = ecai_llm_chat_stream(&r, h, p, php_stream_cb, &s);
  ecai_prompt_free(p);
  if (EG(exception)) {
    ecai_llm_reply_free(r);
    RETURN_THROWS();
  }
  THROW_IF(st);
  return_reply(return_value, r);
}

ZEND_METHOD(Ecai_Llm, chatJson) {
  zval *msg;
  zend_string *shape = NULL, *system = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_ZVAL(msg)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(shape)
    Z_PARAM_STR_OR_NULL(system)
  ZEND_PARSE_PARAMETERS_END();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_prompt *p = build_prompt(msg, system);
  if (!p) RETURN_THROWS();
  ecai_llm_reply *r = NULL;
  ecai_status st = ecai_llm_chat_json(&r, h, p, shape ? ZSTR_VAL(shape) : NULL);
  ecai_prompt_free(p);
  THROW_IF(st);
  return_reply(return_value, r);
}

ZEND_METHOD(Ecai_Llm, batch) {
  HashTable *msgs;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ARRAY_HT(msgs)
  ZEND_PARSE_PARAMETERS_END();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  uint32_t n = zend_hash_num_elements(msgs);
  ecai_prompt **ps = ecalloc(n ? n : 1, sizeof *ps);
  ecai_llm_reply **rs = ecalloc(n ? n : 1, sizeof *rs);
  ecai_status *sts = ecalloc(n ? n : 1, sizeof *sts);
  uint32_t i = 0;
  zval *m;
  bool failed = false;
  ZEND_HASH_FOREACH_VAL(msgs, m) {
    if (!(ps[i] = build_prompt(m, NULL))) {
      failed = true;
      break;
    }
    i++;
  } ZEND_HASH_FOREACH_END();
  if (!failed) {
    ecai_llm_chat_batch(rs, sts, h, (const ecai_prompt *const *)ps, n);
    array_init_size(return_value, n);
    for (uint32_t k = 0; k < n; k++) {
      zval item;
      if (sts[k] == ECAI_OK) {
        return_reply(&item, rs[k]);
      } else {
        array_init(&item);
        add_assoc_long(&item, "status", (zend_long)sts[k]);
        add_assoc_string(&item, "error", (char *)ecai_status_str(sts[k]));
      }
      add_next_index_zval(return_value, &item);
    }
  }
  for (uint32_t k = 0; k < n; k++) ecai_prompt_free(ps[k]);
  efree(ps);
  efree(rs);
  efree(sts);
  if (failed) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Llm, stats) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_llm_stats_json(&js, &n, h);
  THROW_IF(st);
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Llm, lastRaw) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  char *s = NULL;
  size_t n = 0;
  if (ecai_llm_last_raw(&s, &n, h) != ECAI_OK) RETURN_NULL();
  RETVAL_STRINGL(s, n);
  ecai_free(s);
}

ZEND_METHOD(Ecai_Llm, cancel) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_llm_cancel(h);
}

ecai_llm *ecai_php_llm_of(zend_object *obj, uint32_t arg) { return ecai_php_handle_of(obj, ecai_ce_llm, arg); }

ZEND_METHOD(Ecai_Llm, attachCache) {
  zend_object *cobj = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_OBJ_OR_NULL(cobj)
  ZEND_PARSE_PARAMETERS_END();
  ecai_llm *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  ecai_cache *c = NULL;
  if (cobj && !(c = ecai_php_cache_of(cobj, 1))) RETURN_THROWS();
  ecai_status st = ecai_llm_attach_cache(h, c);
  THROW_IF(st);
  zval z;
  if (cobj) ZVAL_OBJ(&z, cobj);
  ecai_php_obj_keep(ECAI_PHP_THIS(), ECAI_PHP_KEEP_ATTACHED, cobj ? &z : NULL);
}

int ecai_php_llm_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Llm", class_Ecai_Llm_methods);
  ecai_ce_llm = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
