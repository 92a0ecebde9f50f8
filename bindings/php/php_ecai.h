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

/* Registers a final, non-serialisable, non-clonable class with no dynamic properties. */
zend_class_entry *ecai_php_register_final_class(zend_class_entry *ce, zend_object_handlers *h,
                                                size_t offset, zend_object_free_obj_t free_obj);

/* Per-module registration, called from MINIT (one line each in ecai.c). */
int ecai_php_core_minit(INIT_FUNC_ARGS);
/* catalog/index/search: */
int ecai_php_catalog_minit(INIT_FUNC_ARGS);

/* llm: */

/* cache: */

/* experiment/pricing: */

/* recommend/support: */


#endif
