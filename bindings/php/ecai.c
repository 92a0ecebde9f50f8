/* libecai PHP extension: module entry, exception, helpers, core functions and Ecai\Context. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <php.h>
#include <ext/json/php_json.h>
#include <ext/spl/spl_exceptions.h>
#include <ext/standard/info.h>
#include <zend_exceptions.h>
#include <zend_interfaces.h>

#include "php_ecai.h"
#include "ecai_arginfo.h"

zend_class_entry *ecai_ce_exception;

void ecai_php_throw(ecai_status st) {
  const char *msg = ecai_last_error();
  zend_throw_exception(ecai_ce_exception, (msg && *msg) ? msg : ecai_status_str(st), (zend_long)st);
}

/* ---- the object of every handle class ---------------------------------------- */

static zend_object_handlers handle_handlers;

static zend_object *handle_create(zend_class_entry *ce) {
  ecai_php_obj *p = zend_object_alloc(sizeof(ecai_php_obj), ce);
  zend_object_std_init(&p->std, ce);
  object_properties_init(&p->std, ce);
  p->std.handlers = &handle_handlers;
  p->h = NULL;
  p->free_h = NULL;
  p->kept = NULL;
  ZVAL_UNDEF(&p->keep[0]);
  ZVAL_UNDEF(&p->keep[1]);
  return &p->std;
}

static void handle_free(zend_object *o) {
  ecai_php_obj *p = ecai_php_obj_of(o);
  if (p->h && p->free_h) p->free_h(p->h);
  p->h = NULL;
  if (p->kept) ecai_php_kept_release(p->kept);
  p->kept = NULL;
  /* the handle goes first: it may still use what the slots keep alive */
  zval_ptr_dtor(&p->keep[ECAI_PHP_KEEP_ATTACHED]);
  zval_ptr_dtor(&p->keep[ECAI_PHP_KEEP_OWNER]);
  zend_object_std_dtor(o);
}

zend_class_entry *ecai_php_register_handle_class(zend_class_entry *ce) {
  if (!handle_handlers.offset) {
    memcpy(&handle_handlers, zend_get_std_object_handlers(), sizeof handle_handlers);
    handle_handlers.offset = XtOffsetOf(ecai_php_obj, std);
    handle_handlers.free_obj = handle_free;
    handle_handlers.clone_obj = NULL;
  }
  zend_class_entry *reg = zend_register_internal_class_ex(ce, NULL);
  reg->ce_flags |= ZEND_ACC_FINAL | ZEND_ACC_NO_DYNAMIC_PROPERTIES | ZEND_ACC_NOT_SERIALIZABLE;
  reg->create_object = handle_create;
  return reg;
}

void ecai_php_obj_keep(ecai_php_obj *p, int i, zval *v) {
  zval old;
  ZVAL_COPY_VALUE(&old, &p->keep[i]);
  if (v) ZVAL_COPY(&p->keep[i], v);
  else ZVAL_UNDEF(&p->keep[i]);
  zval_ptr_dtor(&old);
}

ecai_php_obj *ecai_php_fresh(zval *self) {
  ecai_php_obj *p = ecai_php_obj_of(Z_OBJ_P(self));
  if (!p->h) return p;
  zend_throw_error(NULL, "%s is already constructed", ZSTR_VAL(Z_OBJCE_P(self)->name));
  return NULL;
}

void *ecai_php_this(zval *self) {
  ecai_php_obj *p = ecai_php_obj_of(Z_OBJ_P(self));
  if (!p->h) zend_throw_error(NULL, "%s is not initialised", ZSTR_VAL(Z_OBJCE_P(self)->name));
  return p->h;
}

void *ecai_php_handle_of(zend_object *obj, zend_class_entry *ce, uint32_t arg) {
  if (!obj || obj->ce != ce) {
    zend_argument_type_error(arg, "must be of type %s, %s given", ZSTR_VAL(ce->name),
                             obj ? ZSTR_VAL(obj->ce->name) : "null");
    return NULL;
  }
  ecai_php_obj *p = ecai_php_obj_of(obj);
  if (!p->h) zend_throw_error(NULL, "%s is not initialised", ZSTR_VAL(ce->name));
  return p->h;
}

/* ---- functions ------------------------------------------------------------ */

ZEND_FUNCTION(Ecai_version) {
  ZEND_PARSE_PARAMETERS_NONE();
  RETURN_STRING(ecai_version_string());
}

ZEND_FUNCTION(Ecai_version_number) {
  ZEND_PARSE_PARAMETERS_NONE();
  RETURN_LONG((zend_long)ecai_version_number());
}

ZEND_FUNCTION(Ecai_status_str) {
  zend_long st;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_LONG(st)
  ZEND_PARSE_PARAMETERS_END();
  RETURN_STRING(ecai_status_str((ecai_status)st));
}

/* ---- Ecai\Context --------------------------------------------------------- */

static zend_class_entry *ecai_ce_context;

static void free_ctx(void *h) { ecai_ctx_free(h); }

int ecai_php_return_json(zval *return_value, char *js, size_t n) {
  int rc = php_json_decode_ex(return_value, js, n, PHP_JSON_OBJECT_AS_ARRAY, 512);
  ecai_free(js);
  if (rc == FAILURE) {
    zend_throw_exception(ecai_ce_exception, "invalid JSON from libecai", ECAI_EPARSE);
    return -1;
  }
  return 0;
}

ecai_ctx *ecai_php_ctx_of(zend_object *obj, uint32_t arg) { return ecai_php_handle_of(obj, ecai_ce_context, arg); }

ecai_php_cfgsrc ecai_php_ctx_source(zend_object *obj) {
  ecai_php_obj *p = ecai_php_obj_of(obj);
  ecai_php_cfgsrc src = {NULL, 0, NULL};
  zval *json = &p->keep[ECAI_PHP_KEEP_OWNER], *file = &p->keep[ECAI_PHP_KEEP_ATTACHED];
  if (Z_TYPE_P(json) == IS_STRING) {
    src.json = Z_STRVAL_P(json);
    src.len = Z_STRLEN_P(json);
  }
  if (Z_TYPE_P(file) == IS_STRING) src.file = Z_STRVAL_P(file);
  return src;
}

ZEND_METHOD(Ecai_Context, __construct) {
  zend_string *json = NULL;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(json)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *p = ecai_php_fresh(ZEND_THIS);
  if (!p) RETURN_THROWS();
  ecai_ctx *h = NULL;
  THROW_IF(json ? ecai_ctx_new(&h, ZSTR_VAL(json), ZSTR_LEN(json)) : ecai_ctx_new(&h, NULL, 0));
  ecai_php_obj_set(p, h, free_ctx);
  if (json) { /* the source of a persistent store's own context (ecai_php_ctx_source) */
    zval z;
    ZVAL_STR(&z, json);
    ecai_php_obj_keep(p, ECAI_PHP_KEEP_OWNER, &z);
  }
}

ZEND_METHOD(Ecai_Context, fromFile) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *h = NULL;
  ecai_status st = ecai_ctx_new_from_file(&h, ZSTR_VAL(path));
  THROW_IF(st);
  object_init_ex(return_value, ecai_ce_context);
  ecai_php_obj *p = ecai_php_obj_of(Z_OBJ_P(return_value));
  ecai_php_obj_set(p, h, free_ctx);
  zval z; /* the source of a persistent store's own context (ecai_php_ctx_source) */
  ZVAL_STR(&z, path);
  ecai_php_obj_keep(p, ECAI_PHP_KEEP_ATTACHED, &z);
}

ZEND_METHOD(Ecai_Context, config) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_ctx *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_ctx_config_json(&js, &n, h);
  THROW_IF(st);
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Context, get) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_ctx *h = ecai_php_this(ZEND_THIS);
  if (!h) RETURN_THROWS();
  const char *s = NULL;
  ecai_status st = ecai_ctx_get_str(&s, h, ZSTR_VAL(path));
  if (st == ECAI_OK) RETURN_STRING(s);
  if (st == ECAI_ENOTFOUND) {
    double d = 0;
    st = ecai_ctx_get_number(&d, h, ZSTR_VAL(path));
    if (st == ECAI_OK) {
      if (d == (double)(zend_long)d) RETURN_LONG((zend_long)d);
      RETURN_DOUBLE(d);
    }
  }
  ecai_php_throw(st);
  RETURN_THROWS();
}

int ecai_php_core_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "EcaiException", class_Ecai_EcaiException_methods);
  ecai_ce_exception = zend_register_internal_class_ex(&ce, spl_ce_RuntimeException);

  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Context", class_Ecai_Context_methods);
  ecai_ce_context = ecai_php_register_handle_class(&ce);

  REGISTER_NS_LONG_CONSTANT("Ecai", "VERSION_NUMBER", ECAI_VERSION_NUMBER, CONST_CS | CONST_PERSISTENT);
  return SUCCESS;
}

/* ---- module ----------------------------------------------------------------- */

static PHP_MINIT_FUNCTION(ecai) {
  if (ecai_version_number() / 10000 != ECAI_VERSION_MAJOR) {
    php_error_docref(NULL, E_WARNING, "libecai major version %u differs from the extension's %d",
                     ecai_version_number() / 10000, ECAI_VERSION_MAJOR);
    return FAILURE;
  }
  if (ecai_global_init() != ECAI_OK) return FAILURE;
  if (ecai_php_core_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;
  if (ecai_php_persist_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;
  /* modules, one line each: */
  /* catalog/index/search: */
  if (ecai_php_catalog_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;
  if (ecai_php_search_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;

  /* llm: */
  if (ecai_php_llm_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;

  /* cache: */
  if (ecai_php_cache_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;

  /* experiment/pricing: */
  if (ecai_php_experiment_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;

  /* recommend/support: */
  if (ecai_php_recommend_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;
  if (ecai_php_guard_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;
  if (ecai_php_support_minit(INIT_FUNC_ARGS_PASSTHRU) != SUCCESS) return FAILURE;

  return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(ecai) {
  ecai_php_persist_mshutdown(SHUTDOWN_FUNC_ARGS_PASSTHRU);
  ecai_global_cleanup();
  return SUCCESS;
}

static PHP_MINFO_FUNCTION(ecai) {
  php_info_print_table_start();
  php_info_print_table_header(2, "ecai support", "enabled");
  php_info_print_table_row(2, "libecai version", ecai_version_string());
  php_info_print_table_row(2, "extension built against", ECAI_VERSION_STRING);
  php_info_print_table_end();
  DISPLAY_INI_ENTRIES();
}

static const zend_module_dep ecai_deps[] = {
  ZEND_MOD_REQUIRED("json")
  ZEND_MOD_REQUIRED("spl")
  ZEND_MOD_END
};

zend_module_entry ecai_module_entry = {
  STANDARD_MODULE_HEADER_EX, NULL, ecai_deps,
  "ecai",
  ecai_functions,
  PHP_MINIT(ecai),
  PHP_MSHUTDOWN(ecai),
  NULL,
  NULL,
  PHP_MINFO(ecai),
  PHP_ECAI_VERSION,
  STANDARD_MODULE_PROPERTIES
};

#ifdef COMPILE_DL_ECAI
ZEND_GET_MODULE(ecai)
#endif
