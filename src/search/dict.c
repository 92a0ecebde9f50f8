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
 * 12k words; a false "known" needs a 64-bit collision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

ecai_status ecai__dict_load(ecai__dict *d, const ecai_ctx *ctx, const char *paths) {
  memset(d, 0, sizeof *d);
  if (!paths || !*paths) return ECAI_OK;
  ecai__tokenizer *tk = NULL;
  ecai_status st = ecai__tokenizer_new(&tk);
  for (const char *p = paths; !st && *p;) {
    size_t l = strcspn(p, ":");
    char path[4096];
    if (l >= sizeof path) st = ecai__err(ECAI_EINVAL, "search: search.dictionary: a path is too long");
    else if (l) {
      memcpy(path, p, l);
      path[l] = 0;
      st = load_file(d, tk, ctx, path);
    }
    p += l + (p[l] == ':');
  }
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
  ecai__free(d->h);
  memset(d, 0, sizeof *d);
}
