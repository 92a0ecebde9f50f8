/* libecai PHP extension: shared declarations. */
#ifndef PHP_ECAI_H
#define PHP_ECAI_H

#include <php.h>

#include <ecai.h>

extern zend_module_entry ecai_module_entry;
#define phpext_ecai_ptr &ecai_module_entry
#define PHP_ECAI_VERSION ECAI_VERSION_STRING

/* Ecai\EcaiException (extends RuntimeException); code = ecai_status. */
extern zend_class_entry *ecai_ce_exception;

/* Throws Ecai\EcaiException for a non-OK status with ecai_last_error() as message. */
void ecai_php_throw(ecai_status st);

/* Decodes an owned JSON string from libecai into return_value (objects as arrays) and
 * frees it with ecai_free; throws Ecai\EcaiException (ECAI_EPARSE) if it is not JSON.
 * Returns 0, or -1 after throwing. */
int ecai_php_return_json(zval *return_value, char *js, size_t n);

/* In a method: throws Ecai\EcaiException and returns when a libecai call failed. */
#define THROW_IF(st)                                                                   \
  do {                                                                                 \
    ecai_status st__ = (st);                                                           \
    if (st__ != ECAI_OK) {                                                             \
      ecai_php_throw(st__);                                                            \
      RETURN_THROWS();                                                                 \
    }                                                                                  \
  } while (0)

/* The ecai_ctx of an Ecai\Context object; NULL (with a TypeError or Error thrown) when
 * obj is not an initialised Ecai\Context. `arg` is the argument number for the message. */
ecai_ctx *ecai_php_ctx_of(zend_object *obj, uint32_t arg);

/* The ecai_cache of an Ecai\Cache object; NULL (with an error thrown) otherwise. */
ecai_cache *ecai_php_cache_of(zend_object *obj, uint32_t arg);

/* The ecai_llm of an Ecai\Llm object; NULL (with an error thrown) otherwise. */
ecai_llm *ecai_php_llm_of(zend_object *obj, uint32_t arg);

/* Registers a final, non-serialisable, non-clonable class with no dynamic properties. */
zend_class_entry *ecai_php_register_final_class(zend_class_entry *ce, zend_object_handlers *h,
                                                size_t offset, zend_object_free_obj_t free_obj);

/* Per-module registration, called from MINIT (one line each in ecai.c). */
int ecai_php_core_minit(INIT_FUNC_ARGS);
/* catalog/index/search: */
int ecai_php_catalog_minit(INIT_FUNC_ARGS);
int ecai_php_search_minit(INIT_FUNC_ARGS);
/* The ecai_store of an Ecai\\Store object; NULL (with an error thrown) otherwise. */
ecai_store *ecai_php_store_of(zend_object *obj, uint32_t arg);

/* llm: */
int ecai_php_llm_minit(INIT_FUNC_ARGS);

/* cache: */
int ecai_php_cache_minit(INIT_FUNC_ARGS);

/* experiment/pricing: */
int ecai_php_experiment_minit(INIT_FUNC_ARGS);

/* recommend/support: */
int ecai_php_recommend_minit(INIT_FUNC_ARGS);
int ecai_php_guard_minit(INIT_FUNC_ARGS);
int ecai_php_support_minit(INIT_FUNC_ARGS);


#endif
