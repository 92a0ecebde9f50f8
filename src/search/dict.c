/* A list of common words of the shoppers' language (search.dictionary): query words that
 * the catalog lacks but that are everyday words ("beach", "make") are not "corrected"
 * into a catalog word ("bench", "maker"), nor split into two ("fathom" is not "fat hom").
 * The default holds SCOWL levels 10, 20 and 35: level 35 ("sour", "pelt", "relegate",
 * "deceives") was corrected 27 % of the time without it (sour -> hour, pelt -> pet); it
 * also holds a few words that are more often typos in a DIY shop ("dinning", "plumping"),
 * which cost nothing measurable on Home Depot (tests/eval/eval_typo.sh: nDCG@10 unchanged,
 * 1,054 instead of 1,092 queries corrected).
 * Stored as a sorted array of XXH3-64 hashes of the words (the tokenizer's normalisation;
 * not stems: a stem would make typos like "untility" -> "until" look known): ~100 KB for
 * 12k words; a false "known" needs a 64-bit collision.
 * Loading tokenises and sorts ~60k words (tens of ms), so a process keeps the last few
 * lists it loaded, each with the identity (device, inode, size, mtime) of its files: a
 * search opened again (a new store version, a PHP request) shares the loaded list while
 * the files are unchanged. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "search/search_internal.h"
#include "text/text.h"

enum { DICT_MAX_BYTES = 64 << 20 };

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Adds the words of one file. */
static ecai_status load_file(ecai__dict *d, ecai__tokenizer *tk, const ecai_ctx *ctx, const char *path) {
  ecai__buf b;
  ecai_status st = ecai__read_file(&b, path, DICT_MAX_BYTES, ECAI_ENOTFOUND, "search: dictionary");
  if (st == ECAI_ENOTFOUND || st == ECAI_EIO) {
    ecai__log(ctx, ECAI_LOG_WARN, "search: dictionary %s not readable; typo correction may change ordinary words",
              path);
    return ECAI_OK;
  }
  if (st) return st;
  ecai__tokens toks = {0};
  if ((st = ecai__tokenize(tk, b.data ? b.data : "", b.len, 0, &toks)) == ECAI_EPARSE)
    ecai__err_prefix(st, "search: dictionary %s", path);
  ecai__buf_free(&b);
  uint64_t *h = NULL;
  if (!st && toks.n && !(h = ecai__realloc(d->h, (d->n + toks.n) * sizeof *h)))
    st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  if (h) d->h = h;
  for (size_t i = 0; !st && i < toks.n; i++)
    if (toks.kind[i] == ECAI__TOK_WORD) d->h[d->n++] = XXH3_64bits(toks.text + toks.off[i], toks.len[i]);
  ecai__tokens_free(&toks);
  return st;
}

/* The next path of the ':'-separated list at *p into buf (empty entries skipped): 1; 0 at
 * the end; -1 when it does not fit in cap bytes. *p moves past it. */
static int next_path(const char **p, char *buf, size_t cap) {
  while (**p) {
    const char *s = *p;
    size_t l = strcspn(s, ":");
    *p += l + (s[l] == ':');
    if (!l) continue;
    if (l >= cap) return -1;
    memcpy(buf, s, l);
    buf[l] = 0;
    return 1;
  }
  return 0;
}

/* Reads and sorts the word lists at paths into d (private to d). */
static ecai_status load_paths(ecai__dict *d, const ecai_ctx *ctx, const char *paths) {
  ecai__tokenizer *tk = NULL;
  ecai_status st = ecai__tokenizer_new(&tk);
  char path[4096];
  const char *p = paths;
  for (int r; !st && (r = next_path(&p, path, sizeof path)) != 0;)
    st = r < 0 ? ecai__err(ECAI_EINVAL, "search: search.dictionary: a path is too long") : load_file(d, tk, ctx, path);
  ecai__tokenizer_free(tk);
  if (st) {
    ecai__dict_free(d);
    return st;
  }
  qsort(d->h, d->n, sizeof *d->h, cmp_u64);
  size_t u = 0;
  for (size_t i = 0; i < d->n; i++)
    if (!u || d->h[u - 1] != d->h[i]) d->h[u++] = d->h[i];
  d->n = u;
  return ECAI_OK;
}

/* ---- the process's lists, shared by the searches that load the same files --------------- */

enum { DICT_CACHED = 4 };
typedef struct shared_dict {
  char *paths;
  uint64_t ident; /* XXH3 of every file's (dev, ino, size, mtime) */
  uint64_t *h;
  size_t n;
  unsigned refs;
  uint64_t used;
} shared_dict;
static shared_dict *dict_cache[DICT_CACHED];
static uint64_t dict_clock;
static pthread_mutex_t dict_mu = PTHREAD_MUTEX_INITIALIZER;

/* The identity of the files at paths; 0 when one of them cannot be stat()ed (then nothing
 * is shared: every load reads again and warns again). */
static uint64_t files_ident(const char *paths) {
  uint64_t h = 0;
  char path[4096];
  struct stat sb;
  const char *p = paths;
  for (int r; (r = next_path(&p, path, sizeof path)) != 0;) {
    if (r < 0 || stat(path, &sb) != 0) return 0;
    int64_t id[4] = {(int64_t)sb.st_dev, (int64_t)sb.st_ino, (int64_t)sb.st_size,
                     (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec};
    h = XXH3_64bits_withSeed(id, sizeof id, h);
  }
  return h | 1;
}

/* A cached list for (paths, ident), referenced for d; 1 when found. */
static int cache_get(ecai__dict *d, const char *paths, uint64_t ident) {
  int found = 0;
  pthread_mutex_lock(&dict_mu);
  for (int i = 0; i < DICT_CACHED && !found; i++) {
    shared_dict *e = dict_cache[i];
    if (e && e->ident == ident && !strcmp(e->paths, paths)) {
      e->refs++;
      e->used = ++dict_clock;
      d->h = e->h;
      d->n = e->n;
      d->shared = e;
      found = 1;
    }
  }
  pthread_mutex_unlock(&dict_mu);
  return found;
}

/* Moves d's list into the cache (in place of the least recently used list nobody holds);
 * d keeps it private when every slot is in use or memory is short. Cached lists live as
 * long as the process and are allocated with the C library's malloc, not the hooks of
 * ecai_global_set_allocator(): they outlive every handle and must not pin the hooks. */
static void cache_put(ecai__dict *d, const char *paths, uint64_t ident) {
  shared_dict *e = calloc(1, sizeof *e);
  if (e) {
    e->paths = strdup(paths);
    e->h = malloc(d->n ? d->n * sizeof *e->h : 1);
  }
  if (!e || !e->paths || !e->h) goto fail;
  memcpy(e->h, d->h, d->n * sizeof *e->h);
  e->ident = ident;
  e->n = d->n;
  e->refs = 1;
  pthread_mutex_lock(&dict_mu);
  int slot = -1;
  for (int i = 0; i < DICT_CACHED; i++) {
    shared_dict *c = dict_cache[i];
    if (!c) {
      slot = i;
      break;
    }
    if (!c->refs && (slot < 0 || c->used < dict_cache[slot]->used)) slot = i;
  }
  shared_dict *old = slot >= 0 ? dict_cache[slot] : NULL;
  if (slot >= 0) {
    e->used = ++dict_clock;
    dict_cache[slot] = e;
  }
  pthread_mutex_unlock(&dict_mu);
  if (slot < 0) goto fail;
  if (old) {
    free(old->h);
    free(old->paths);
    free(old);
  }
  ecai__free(d->h);
  d->h = e->h;
  d->shared = e;
  return;
fail:
  if (e) {
    free(e->h);
    free(e->paths);
    free(e);
  }
}

ecai_status ecai__dict_load(ecai__dict *d, const ecai_ctx *ctx, const char *paths) {
  memset(d, 0, sizeof *d);
  if (!paths || !*paths) return ECAI_OK;
  uint64_t ident = files_ident(paths);
  if (ident && cache_get(d, paths, ident)) return ECAI_OK;
  ecai_status st = load_paths(d, ctx, paths);
  if (!st && ident) cache_put(d, paths, ident);
  return st;
}

static bool has(const ecai__dict *d, const char *w, size_t len) {
  uint64_t h = XXH3_64bits(w, len);
  return bsearch(&h, d->h, d->n, sizeof h, cmp_u64) != NULL;
}

bool ecai__dict_has(const ecai__dict *d, const char *w, size_t len) {
  if (!d->n || !len) return false;
  if (has(d, w, len)) return true;
  /* plurals the lists leave out: "beaches", "chairs" */
  if (len > 3 && w[len - 1] == 's' && has(d, w, len - 1)) return true;
  return len > 4 && w[len - 2] == 'e' && w[len - 1] == 's' && has(d, w, len - 2);
}

void ecai__dict_free(ecai__dict *d) {
  if (d->shared) {
    pthread_mutex_lock(&dict_mu);
    ((shared_dict *)d->shared)->refs--;
    pthread_mutex_unlock(&dict_mu);
  } else {
    ecai__free(d->h);
  }
  memset(d, 0, sizeof *d);
}
