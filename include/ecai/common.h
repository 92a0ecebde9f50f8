/*
 * libecai — common definitions: export macros, version, status codes, errors,
 * memory, global initialisation, the context handle and logging.
 *
 * Thread-safety (applies to the whole library unless a function says otherwise):
 * libecai has no mutable global state except ecai_global_init() and the allocator
 * set by ecai_global_set_allocator(). A handle may be used by one thread at a time
 * and may move between threads. Different handles may be used concurrently.
 * Exceptions are listed per type. Error messages are thread-local.
 */
#ifndef ECAI_COMMON_H
#define ECAI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  ifdef ECAI_BUILDING
#    define ECAI_API __declspec(dllexport)
#  else
#    define ECAI_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define ECAI_API __attribute__((visibility("default")))
#else
#  define ECAI_API
#endif

#if defined(__GNUC__) && (__GNUC__ > 4 || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5))
#  define ECAI_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#  define ECAI_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#  define ECAI_DEPRECATED(msg)
#endif

#define ECAI_VERSION_MAJOR 0
#define ECAI_VERSION_MINOR 1
#define ECAI_VERSION_PATCH 0
#define ECAI_VERSION_NUMBER (ECAI_VERSION_MAJOR * 10000 + ECAI_VERSION_MINOR * 100 + ECAI_VERSION_PATCH)
#define ECAI_VERSION_STRING "0.1.0"

/**
 * Status codes. Every fallible function returns one. Values are negative, stable,
 * appended only and never reused.
 */
typedef enum ecai_status {
  ECAI_OK = 0,
  ECAI_ERROR = -1,        /**< generic failure; details in ecai_last_error() */
  ECAI_EINVAL = -2,       /**< bad argument, NULL pointer, value out of range */
  ECAI_ENOMEM = -3,       /**< out of memory */
  ECAI_ENOTFOUND = -4,    /**< no such key / product / file */
  ECAI_EBUFS = -5,        /**< caller buffer too small; required size via out-param */
  ECAI_ESTATE = -6,       /**< call not valid in the object's current state */
  ECAI_EUNSUPPORTED = -7, /**< unknown option or feature not built in */
  ECAI_EIO = -8,          /**< file or socket I/O failure */
  ECAI_EHTTP = -9,        /**< transport failure or non-2xx from a remote endpoint */
  ECAI_ETIMEOUT = -10,    /**< a deadline passed */
  ECAI_EPARSE = -11,      /**< malformed JSON / CSV / reply */
  ECAI_EBACKEND = -12,    /**< vector backend (FAISS) failure */
  ECAI_EUSER = -13,       /**< a user callback asked to abort */
  ECAI_ECORRUPT = -14,    /**< a saved file is truncated, damaged or of another version */
  ECAI_EBUDGET = -15,     /**< a spend or retry budget is exhausted */
  ECAI_ECANCELED = -16    /**< the operation was cancelled by the caller */
} ecai_status;

/**
 * @brief Runtime version as ECAI_VERSION_NUMBER (major*10000 + minor*100 + patch).
 * Compare it with the macro to detect a header/library mismatch.
 * @return the version number of the loaded library.
 * Ownership: none. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API unsigned ecai_version_number(void);

/**
 * @brief Runtime version string, e.g. "0.1.0".
 * @return a static string, never NULL.
 * Ownership: static, do not free. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API const char *ecai_version_string(void);

/**
 * @brief Name of a status code, e.g. "ECAI_EINVAL: invalid argument".
 * @param[in] s any value; unknown values give "ECAI_?: unknown status".
 * @return a static string, never NULL.
 * Ownership: static, do not free. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API const char *ecai_status_str(ecai_status s);

/**
 * @brief Detailed message of the last failure on the calling thread (which key,
 * file/line, byte offset, HTTP status...). Meaningful only right after a call
 * returned a non-OK status; a successful call does not clear it.
 * @return a thread-local string, never NULL ("" if no failure yet). Valid until the
 * next libecai call on the same thread.
 * Ownership: borrowed. Thread-safety: thread-local.
 * @since 0.1
 */
ECAI_API const char *ecai_last_error(void);

/**
 * @brief Frees memory the library handed to the caller (every `char **out` /
 * `void **out` result). Accepts NULL.
 * @param[in] p memory returned by libecai, or NULL.
 * Ownership: takes ownership of p. Thread-safety: safe from any thread.
 * @since 0.1
 */
ECAI_API void ecai_free(void *p);

/** Allocation functions for ecai_global_set_allocator(); same contracts as the C library's. */
typedef void *(*ecai_malloc_fn)(size_t size);
typedef void *(*ecai_realloc_fn)(void *p, size_t size);
typedef void (*ecai_free_fn)(void *p);

/**
 * @brief Routes the library's own allocations (handles, results returned to the
 * caller) through the given functions. Third-party libraries (curl, jansson, FAISS)
 * keep their own allocators. Must be called before ecai_global_init() and before any
 * handle exists; pass three NULLs to restore the C library's functions.
 * @param[in] m,r,f all three set, or all three NULL.
 * @return ECAI_OK; ECAI_EINVAL if only some are NULL; ECAI_ESTATE if the library is
 * initialised or a context is alive.
 * Ownership: none. Thread-safety: not thread-safe; call once at start-up.
 * @since 0.1
 */
ECAI_API ecai_status ecai_global_set_allocator(ecai_malloc_fn m, ecai_realloc_fn r, ecai_free_fn f);

/**
 * @brief Initialises process-wide dependencies (libcurl). Reference counted: each
 * successful call needs one ecai_global_cleanup(). Optional: handles that need it
 * initialise lazily, but a multi-threaded program should call it once at start-up.
 * @return ECAI_OK; ECAI_ERROR if libcurl cannot be initialised.
 * Thread-safety: safe from any thread (internally locked).
 * @since 0.1
 */
ECAI_API ecai_status ecai_global_init(void);

/**
 * @brief Drops one reference taken by ecai_global_init(); the last one releases
 * libcurl's global state. Extra calls are ignored.
 * Thread-safety: safe from any thread (internally locked).
 * @since 0.1
 */
ECAI_API void ecai_global_cleanup(void);

/* ------------------------------------------------------------------------- */
/* Context                                                                    */
/* ------------------------------------------------------------------------- */

/** The library context: configuration, logging. Every other handle is created from one. */
typedef struct ecai_ctx ecai_ctx;

/** Log levels, most verbose first. */
typedef enum ecai_log_level {
  ECAI_LOG_DEBUG = 10,
  ECAI_LOG_INFO = 20,
  ECAI_LOG_WARN = 30,
  ECAI_LOG_ERROR = 40,
  ECAI_LOG_OFF = 100
} ecai_log_level;

/**
 * Log callback. `msg` is NUL-terminated, valid only during the call, and has
 * configured secrets (API keys) replaced by "***". Called on the thread that logs.
 */
typedef void (*ecai_log_fn)(ecai_log_level level, const char *msg, void *payload);

/**
 * @brief Creates a context from a JSON configuration document.
 *
 * The document is an object whose top-level keys are sections ("log_level",
 * "llm", "embedder", "index", "search", "cache", "redis", "support", "guard",
 * "recommend", "pricing", "experiment"); see README "Configuration" for each key.
 * Unknown keys and wrongly typed values are errors naming the key path. Secrets are
 * never stored in the file: a key such as `"api_key_env": "OPENAI_API_KEY"` names an
 * environment variable read here; when that variable is unset or empty and the section is
 * in use (llm.provider not "none", embedder.kind not "builtin") the call fails with
 * ECAI_EINVAL naming it, unless the section says `"auth": "none"` (a keyless local server).
 * The environment variables `ECAI_LLM_API_KEY`, `ECAI_EMBEDDER_API_KEY`, `ECAI_REDIS_URL`,
 * `ECAI_LLM_BASE_URL` and `ECAI_EMBEDDER_BASE_URL` override the configuration.
 *
 * @param[out] out  receives the context; set to NULL on failure.
 * @param[in]  json configuration text (UTF-8), or NULL for the embedded defaults.
 * @param[in]  len  length of json in bytes (json need not be NUL-terminated).
 * @return ECAI_OK; ECAI_EINVAL (NULL out, unknown key, wrong type — the message names
 * the key path); ECAI_EPARSE (malformed JSON — the message gives line, column and
 * byte offset); ECAI_ENOMEM.
 * Ownership: the caller owns *out and frees it with ecai_ctx_free(). json is copied.
 * Thread-safety: see the file comment; a context is read-only after creation except
 * for ecai_ctx_set_log().
 * @since 0.1
 */
ECAI_API ecai_status ecai_ctx_new(ecai_ctx **out, const char *json, size_t len);

/**
 * @brief Creates a context from a JSON configuration file (see ecai_ctx_new()).
 * @param[out] out  receives the context; NULL on failure.
 * @param[in]  path file path.
 * @return ECAI_OK; ECAI_EIO (cannot read, message names the file); the errors of
 * ecai_ctx_new() with the file name in the message.
 * Ownership: the caller frees *out with ecai_ctx_free().
 * Thread-safety: see ecai_ctx_new().
 * @since 0.1
 */
ECAI_API ecai_status ecai_ctx_new_from_file(ecai_ctx **out, const char *path);

/**
 * @brief Frees a context. Accepts NULL. Handles created from the context must be
 * freed first.
 * Thread-safety: not concurrently with any other use of the context.
 * @since 0.1
 */
ECAI_API void ecai_ctx_free(ecai_ctx *ctx);

/**
 * @brief Installs a log callback; messages below `min_level` are not formatted.
 * The library never writes to stderr itself.
 * @param[in] ctx       the context.
 * @param[in] min_level lowest level passed to fn (ECAI_LOG_OFF silences).
 * @param[in] fn        the callback, or NULL to remove it.
 * @param[in] payload   passed to fn unchanged.
 * @return ECAI_OK; ECAI_EINVAL (NULL ctx or unknown level).
 * Thread-safety: call before the context is shared between threads.
 * @since 0.1
 */
ECAI_API ecai_status ecai_ctx_set_log(ecai_ctx *ctx, ecai_log_level min_level, ecai_log_fn fn,
                                      void *payload);

/**
 * @brief The effective configuration (defaults merged with the document and the
 * environment) as compact JSON, with every secret replaced by "***" and a
 * `"<name>_set": true|false` key telling whether it was found.
 * @param[out] out     receives a NUL-terminated string; free with ecai_free().
 * @param[out] out_len receives its length in bytes (may be NULL).
 * @param[in]  ctx     the context.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Thread-safety: safe concurrently with other read-only uses of ctx.
 * @since 0.1
 */
ECAI_API ecai_status ecai_ctx_config_json(char **out, size_t *out_len, const ecai_ctx *ctx);

/**
 * @brief Reads one string setting by dotted path (e.g. "llm.model").
 * Secrets cannot be read back.
 * @param[out] out  receives a borrowed string valid until the context is freed.
 * @param[in]  ctx  the context.
 * @param[in]  path dotted key path.
 * @return ECAI_OK; ECAI_ENOTFOUND (no such key, or not a string); ECAI_EINVAL (NULL
 * argument, or the key is a secret).
 * Ownership: borrowed. Thread-safety: safe concurrently with other reads.
 * @since 0.1
 */
ECAI_API ecai_status ecai_ctx_get_str(const char **out, const ecai_ctx *ctx, const char *path);

/**
 * @brief Reads one numeric setting by dotted path (e.g. "llm.timeout_ms").
 * @param[out] out  receives the value (integers are converted).
 * @param[in]  ctx  the context.
 * @param[in]  path dotted key path.
 * @return ECAI_OK; ECAI_ENOTFOUND (no such key, or not a number); ECAI_EINVAL.
 * Thread-safety: safe concurrently with other reads.
 * @since 0.1
 */
ECAI_API ecai_status ecai_ctx_get_number(double *out, const ecai_ctx *ctx, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_COMMON_H */
