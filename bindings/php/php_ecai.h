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

/* The object behind every Ecai\ class that wraps one libecai handle: the handle, the
 * function that frees it when the object dies, and up to two PHP values it keeps alive
 * (the Context or Store it was made from, an attached Cache, …). */
typedef struct ecai_php_obj {
  void *h;                /* NULL until the constructor succeeded */
  void (*free_h)(void *); /* frees h */
  zval keep[2];           /* ECAI_PHP_KEEP_OWNER, ECAI_PHP_KEEP_ATTACHED (or UNDEF) */
  struct ecai_php_kept *kept; /* h belongs to this kept entry (free_h NULL), or NULL */
  zend_object std;
} ecai_php_obj;
enum { ECAI_PHP_KEEP_OWNER = 0, ECAI_PHP_KEEP_ATTACHED = 1 };

static inline ecai_php_obj *ecai_php_obj_of(zend_object *o) {
  return (ecai_php_obj *)((char *)o - XtOffsetOf(ecai_php_obj, std));
}
#define ECAI_PHP_THIS() ecai_php_obj_of(Z_OBJ_P(ZEND_THIS))

/* Registers a final, non-serialisable, non-clonable class whose objects are ecai_php_obj. */
zend_class_entry *ecai_php_register_handle_class(zend_class_entry *ce);

/* Gives an object its handle and the function that frees it. */
static inline void ecai_php_obj_set(ecai_php_obj *p, void *h, void (*free_h)(void *)) {
  p->h = h;
  p->free_h = free_h;
}

/* Keeps v alive in slot i (replacing what was there); v NULL clears the slot. */
void ecai_php_obj_keep(ecai_php_obj *p, int i, zval *v);

/* In a constructor: the object of $this, or NULL with an Error thrown when it is
 * already constructed. */
ecai_php_obj *ecai_php_fresh(zval *self);

/* The handle of $this; NULL with an Error thrown when the constructor did not run. */
void *ecai_php_this(zval *self);

/* The handle of obj if it is a constructed instance of ce; NULL with a TypeError (wrong
 * class, `arg` numbers the argument) or Error (not constructed) thrown otherwise. */
void *ecai_php_handle_of(zend_object *obj, zend_class_entry *ce, uint32_t arg);

/* Ecai\Context objects keep what they were made from, so that a persistent store can make
 * its own context with the same configuration: slot ECAI_PHP_KEEP_OWNER holds the JSON
 * text given to the constructor, slot ECAI_PHP_KEEP_ATTACHED the path given to fromFile()
 * (both UNDEF for the defaults). */
typedef struct ecai_php_cfgsrc {
  const char *json; /* JSON text, or NULL */
  size_t len;
  const char *file; /* config file, or NULL */
} ecai_php_cfgsrc;
ecai_php_cfgsrc ecai_php_ctx_source(zend_object *ctx);

/* The ecai_ctx of an Ecai\Context object; NULL (with a TypeError or Error thrown) when
 * obj is not an initialised Ecai\Context. `arg` is the argument number for the message. */
ecai_ctx *ecai_php_ctx_of(zend_object *obj, uint32_t arg);

/* The ecai_cache of an Ecai\Cache object; NULL (with an error thrown) otherwise. */
ecai_cache *ecai_php_cache_of(zend_object *obj, uint32_t arg);

/* The ecai_llm of an Ecai\Llm object; NULL (with an error thrown) otherwise. */
ecai_llm *ecai_php_llm_of(zend_object *obj, uint32_t arg);

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

/* ---- persistent handles (ecai_persist.c) ------------------------------------------------
 * Store::open, Search::open, Recommender::load and KnowledgeBase::open keep what they open
 * in the worker process across requests (like PDO persistent connections), keyed by the
 * path as given, the effective configuration and the identity (realpath, st_dev, st_ino,
 * size, mtime_ns) of the folder's MANIFEST or of the file: a new version published there
 * (symlink swapped, or rewritten in place) is opened afresh at the next open(). php.ini:
 * ecai.persistent (On) and ecai.max_persistent (8 kept stores, KBs and recommenders per
 * process; the least recently used one not in use is closed first). Not in ZTS builds:
 * there every open() opens afresh. */
typedef struct ecai_php_kept ecai_php_kept;
typedef enum { ECAI_PHP_KEPT_STORE, ECAI_PHP_KEPT_SEARCH, ECAI_PHP_KEPT_RECOMMEND, ECAI_PHP_KEPT_KB } ecai_php_kept_kind;

/* Opens real (the resolved path) with the kept entry's own context ctx. */
typedef ecai_status (*ecai_php_open_fn)(void **h, ecai_ctx *ctx, const char *real);

/* The kept handle of kind for path, opened with open() on a miss. cfg is the request's
 * context (its effective configuration is part of the key); src makes the entry's own
 * context; own_ctx: the handle keeps using the context (stores, KBs) rather than copying
 * its settings. *out NULL with ECAI_OK when persistence does not apply (off, ZTS, a path
 * that does not resolve, a configuration that cannot be remade): open as before then.
 * On success the caller owns one use of *out (ecai_php_obj_adopt_kept). */
ecai_status ecai_php_kept_open(ecai_php_kept **out, ecai_php_kept_kind kind, const char *path, const ecai_ctx *cfg,
                               const ecai_php_cfgsrc *src, bool own_ctx, ecai_php_open_fn open,
                               void (*free_h)(void *));

/* The kept search of dir over the kept store `store`, which was opened as opened_as (the
 * path given to Store::open, or NULL): for that folder, the search of the store's version.
 * *out NULL with ECAI_OK: open as before. */
ecai_status ecai_php_kept_search(ecai_php_kept **out, ecai_php_kept *store, const char *opened_as, const char *dir);

/* The handle of an entry. */
void *ecai_php_kept_handle(const ecai_php_kept *k);

/* Gives object p the kept handle k (p takes over the caller's use of k). */
void ecai_php_obj_adopt_kept(ecai_php_obj *p, ecai_php_kept *k);

/* Drops one use of k (the object that held it died). */
void ecai_php_kept_release(ecai_php_kept *k);

/* Before a method changes the handle of p: a kept handle leaves the table, so later
 * open() calls open a fresh copy (this request keeps the changed one). */
void ecai_php_kept_unshare(ecai_php_obj *p);

/* A kept Ecai\Store object keeps the path it was opened as in slot ECAI_PHP_KEEP_ATTACHED. */

/* MINIT/MSHUTDOWN of the table and the php.ini entries; Ecai\Store::persistentStats(). */
int ecai_php_persist_minit(INIT_FUNC_ARGS);
void ecai_php_persist_mshutdown(SHUTDOWN_FUNC_ARGS);
void ecai_php_persist_stats(zval *return_value);

#endif
