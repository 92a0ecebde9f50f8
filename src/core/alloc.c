/* Allocation through replaceable hooks, with a fail-Nth test hook, and a byte buffer. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static ecai_malloc_fn g_malloc = malloc;
static ecai_realloc_fn g_realloc = realloc;
static ecai_free_fn g_free = free;

static atomic_long fail_countdown = -1; /* <0: never fail */
static atomic_long live_allocs = 0;

static bool should_fail(void) {
  long c = atomic_load(&fail_countdown);
  if (c < 0) return false;
  if (c == 0) return true;
  atomic_fetch_sub(&fail_countdown, 1);
  return false;
}

void ecai__test_fail_alloc_after(long n) { atomic_store(&fail_countdown, n < 0 ? -1 : n); }
long ecai__alloc_live(void) { return atomic_load(&live_allocs); }

ecai_status ecai_global_set_allocator(ecai_malloc_fn m, ecai_realloc_fn r, ecai_free_fn f) {
  extern int ecai__global_busy(void);
  if (!((m && r && f) || (!m && !r && !f)))
    return ecai__err(ECAI_EINVAL, "ecai_global_set_allocator: give all three functions or none");
  if (ecai__global_busy() || atomic_load(&live_allocs) != 0)
    return ecai__err(ECAI_ESTATE,
                     "ecai_global_set_allocator: the library is initialised or memory it "
                     "allocated is still alive");
  g_malloc = m ? m : malloc;
  g_realloc = r ? r : realloc;
  g_free = f ? f : free;
  return ECAI_OK;
}

void *ecai__malloc(size_t n) {
  if (should_fail()) return NULL;
  void *p = g_malloc(n ? n : 1);
  if (p) atomic_fetch_add(&live_allocs, 1);
  return p;
}

void *ecai__calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t total = n * size;
  void *p = ecai__malloc(total);
  if (p) memset(p, 0, total ? total : 1);
  return p;
}

void *ecai__realloc(void *p, size_t n) {
  if (!p) return ecai__malloc(n);
  if (should_fail()) return NULL;
  return g_realloc(p, n ? n : 1);
}

void ecai__free(void *p) {
  if (!p) return;
  atomic_fetch_sub(&live_allocs, 1);
  g_free(p);
}

void ecai_free(void *p) { ecai__free(p); }

char *ecai__strndup(const char *s, size_t n) {
  if (!s) return NULL;
  char *d = ecai__malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *ecai__strdup(const char *s) { return s ? ecai__strndup(s, strlen(s)) : NULL; }

static bool buf_reserve(ecai__buf *b, size_t extra) {
  if (b->oom) return false;
  if (extra > SIZE_MAX - b->len - 1) { b->oom = true; return false; }
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *d = ecai__realloc(b->data, cap);
  if (!d) { b->oom = true; return false; }
  b->data = d;
  b->cap = cap;
  return true;
}

bool ecai__buf_append(ecai__buf *b, const void *p, size_t n) {
  if (!buf_reserve(b, n)) return false;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return true;
}

bool ecai__buf_puts(ecai__buf *b, const char *s) { return ecai__buf_append(b, s, strlen(s)); }

bool ecai__buf_printf(ecai__buf *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  bool ok = n >= 0 && buf_reserve(b, (size_t)n);
  if (ok) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
  return ok;
}

char *ecai__buf_take(ecai__buf *b, size_t *len) {
  if (b->oom) { ecai__buf_free(b); return NULL; }
  if (!b->data && !buf_reserve(b, 0)) return NULL;
  char *d = b->data;
  if (len) *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return d;
}

void ecai__buf_free(ecai__buf *b) {
  ecai__free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = false;
}
