/*
 * Internal core helpers shared by every module. Never installed.
 * Non-static internal symbols use the ecai__ prefix and are hidden by
 * -fvisibility=hidden (only ECAI_API symbols are exported).
 */
#ifndef ECAI_CORE_INTERNAL_H
#define ECAI_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ecai/common.h"

#if defined(__GNUC__)
#  define ECAI__PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define ECAI__UNUSED __attribute__((unused))
#else
#  define ECAI__PRINTF(a, b)
#  define ECAI__UNUSED
#endif

/* ---- errors (src/core/error.c) ------------------------------------------ */

/* Formats a message into the thread-local error slot and returns `st`.
 * Usage: return ecai__err(ECAI_EINVAL, "index: dim must be > 0 (got %zu)", dim); */
ecai_status ecai__err(ecai_status st, const char *fmt, ...) ECAI__PRINTF(2, 3);
ecai_status ecai__verr(ecai_status st, const char *fmt, va_list ap);
/* Prepends "prefix: " to the current thread-local message (keeps the status). */
ecai_status ecai__err_prefix(ecai_status st, const char *fmt, ...) ECAI__PRINTF(2, 3);
/* Reports a NULL argument: ECAI_EINVAL with "func: argument 'name' is NULL". */
#define ECAI__CHECK_ARG(p)                                                             \
  do {                                                                                  \
    if ((p) == NULL) return ecai__err(ECAI_EINVAL, "%s: argument '%s' is NULL", __func__, #p); \
  } while (0)

/* ---- memory (src/core/alloc.c) ------------------------------------------ */

void *ecai__malloc(size_t n);
void *ecai__calloc(size_t n, size_t size);
void *ecai__realloc(void *p, size_t n);
void ecai__free(void *p);
char *ecai__strdup(const char *s);
char *ecai__strndup(const char *s, size_t n);
/* Test hook: the Nth allocation from now (0 = the next) and every one after it fails,
 * until called again with a negative value. Counts only ecai__ allocations. */
void ecai__test_fail_alloc_after(long n);
/* Number of ecai__ allocations minus frees since start (leak checks in tests). */
long ecai__alloc_live(void);

/* Growable byte buffer (always NUL-terminated when data != NULL). */
typedef struct ecai__buf {
  char *data;
  size_t len, cap;
  bool oom; /* sticky: an append failed */
} ecai__buf;
bool ecai__buf_append(ecai__buf *b, const void *p, size_t n);
bool ecai__buf_puts(ecai__buf *b, const char *s);
bool ecai__buf_printf(ecai__buf *b, const char *fmt, ...) ECAI__PRINTF(2, 3);
/* Hands the contents to the caller (ecai_free) and resets the buffer. */
char *ecai__buf_take(ecai__buf *b, size_t *len);
void ecai__buf_free(ecai__buf *b);

/* ---- files (src/core/file.c) ------------------------------------------------ */

/* Reads the whole file at path into *b (zeroed first; freed on failure). Errors name
 * `what` and the file: `missing` when it does not exist (ECAI_ENOTFOUND or ECAI_EIO, as
 * the caller documents), ECAI_EIO (cannot open or read), ECAI_EINVAL (more than max
 * bytes), ECAI_ENOMEM. */
ecai_status ecai__read_file(ecai__buf *b, const char *path, size_t max, ecai_status missing, const char *what);
/* Writes head followed by body (body_len may be 0) to path atomically: a unique
 * "<path>.tmp.XXXXXX", fsync, rename, fsync of the directory; on failure the temporary
 * file is removed and the old file stays. Mode 0644. ECAI_EIO (message starts with
 * `what`), ECAI_ENOMEM. */
ecai_status ecai__write_atomic(const char *path, const void *head, size_t head_len, const void *body, size_t body_len,
                               const char *what);
/* A serialised buffer to path atomically, then frees it: ECAI_ENOMEM when one of its
 * appends failed (nothing is written), else as ecai__write_atomic(). */
ecai_status ecai__buf_write_atomic(ecai__buf *b, const char *path, const char *what);

/* ---- bounded best-k selection (src/core/topk.c) ---------------------------- */

/* Keeps the best `cap` of a stream of elements of `size` bytes in heap[0..*n) (a binary
 * heap with the worst kept element at heap[0]; *n starts at 0). cmp(a, b) < 0 when a
 * ranks before b, as for qsort; an element that ties with the worst kept one is not
 * taken. O(log cap) per push; qsort the heap afterwards for the ranked list. */
void ecai__topk_push(void *heap, size_t *n, size_t cap, size_t size, int (*cmp)(const void *, const void *),
                     const void *x);

/* ---- string map (src/core/smap.c) ---------------------------------------- */

/* String -> size_t map with open addressing and XXH3. Zero-initialise for a map that
 * owns copies of its keys; ecai__smap_init_borrowed() for one whose keys are owned by
 * the caller and stay valid (and unchanged) while they are in the map. */
typedef struct ecai__smap {
  char **keys; /* NULL = empty slot */
  size_t *lens;
  size_t *vals;
  size_t cap, n, used; /* cap: power of two; used: live + deleted slots */
  bool borrowed;
} ecai__smap;
void ecai__smap_init_borrowed(ecai__smap *m);
void ecai__smap_free(ecai__smap *m);
/* Finds key; returns true and *val (may be NULL) when present. */
bool ecai__smap_get(const ecai__smap *m, const char *key, size_t len, size_t *val);
/* Inserts key -> *val_io if absent. *found tells whether it existed (then *val_io
 * receives the stored value). Returns false on out of memory. */
bool ecai__smap_put(ecai__smap *m, const char *key, size_t len, size_t *val_io, bool *found);
/* Inserts or replaces. Returns false on out of memory (nothing changed). */
bool ecai__smap_set(ecai__smap *m, const char *key, size_t len, size_t val);
/* Removes key; returns whether it was present. */
bool ecai__smap_del(ecai__smap *m, const char *key, size_t len);
/* Makes room for `extra` more keys so that, in a borrowed map, the next `extra`
 * inserts cannot fail. Returns false on out of memory. */
bool ecai__smap_reserve(ecai__smap *m, size_t extra);

/* ---- global state (src/core/global.c) ----------------------------------- */

/* Lazily initialises libcurl once per process (pthread_once); ECAI_OK or ECAI_ERROR. */
ecai_status ecai__curl_once(void);
/* Live context count, used to refuse allocator changes while handles exist. */
void ecai__ctx_count_add(int delta);

/* ---- context & configuration (src/core/ctx.c, src/core/config_schema.c) -- */

/* Returns the merged configuration value at a dotted path, or NULL. Borrowed. */
json_t *ecai__cfg_get(const ecai_ctx *ctx, const char *path);
const char *ecai__cfg_str(const ecai_ctx *ctx, const char *path, const char *dflt);
/* XXH3-64 (with seed) of the context's effective configuration (ecai_ctx_config_json): what
 * saved state was made under, so another configuration does not reuse it. */
ecai_status ecai__cfg_hash(const ecai_ctx *ctx, uint64_t seed, uint64_t *out);
int64_t ecai__cfg_int(const ecai_ctx *ctx, const char *path, int64_t dflt);
double ecai__cfg_double(const ecai_ctx *ctx, const char *path, double dflt);
bool ecai__cfg_bool(const ecai_ctx *ctx, const char *path, bool dflt);
/* The value of a secret (e.g. "llm.api_key"), or NULL when not configured. Borrowed. */
const char *ecai__ctx_secret(const ecai_ctx *ctx, const char *path);
/* The key to send for SECTION ("llm", "embedder"): NULL when none is configured or the section
 * says its endpoint takes none (auth "none", api_key "none"). */
const char *ecai__ctx_api_key(const ecai_ctx *ctx, const char *section);

/* ---- logging (src/core/ctx.c) ------------------------------------------- */

/* Logs through the context's callback; configured secrets are replaced by "***". */
void ecai__log(const ecai_ctx *ctx, ecai_log_level level, const char *fmt, ...) ECAI__PRINTF(3, 4);
/* Replaces every occurrence of the context's secrets in s (in place, shrinking). */
void ecai__redact(const ecai_ctx *ctx, char *s);

/* ---- JSON helpers (src/core/json.c) ------------------------------------- */

/* Serialises compactly into memory owned by the caller (ecai_free). */
ecai_status ecai__json_dump(char **out, size_t *out_len, const json_t *j);
/* Parses with a message naming the line/column/offset: "<what>: ... at line L column C (byte B)". */
ecai_status ecai__json_parse(json_t **out, const char *s, size_t len, const char *what);
/* An options argument: NULL or "" -> *out NULL and ECAI_OK; otherwise parsed into *out (the
 * caller decrefs it, also after an error) and ECAI_EPARSE / ECAI_EINVAL unless an object. */
ecai_status ecai__json_options(json_t **out, const char *s, const char *what);

/* ---- UTF-8 (src/core/utf8.c) -------------------------------------------- */

/* Returns true if s[0..len) is valid UTF-8; otherwise false and *bad_offset = first bad byte. */
bool ecai__utf8_valid(const char *s, size_t len, size_t *bad_offset);

#endif
