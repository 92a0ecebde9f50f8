/* Question vectors for the semantic cache (why not the catalog embedder: see
 * ecai__cache_embed in cache_internal.h): hashed word
 * unigrams and bigrams plus character 3-5-grams of each word (XXH3, signed feature
 * hashing into 512 dimensions), sublinear term frequency, function words down-weighted,
 * content words Snowball-stemmed (charged == charge) when a tokenizer is given,
 * L2-normalised. Deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_internal.h"

typedef struct {
  uint64_t h;
  float w;
} feat;

static const char *const STOP[] = {
  "a", "an", "the", "i", "me", "my", "mine", "you", "your", "we", "our", "it", "its", "is", "am", "are", "was",
  "were", "be", "been", "do", "does", "did", "to", "of", "for", "in", "on", "at", "by", "with", "and", "or",
  "this", "that", "these", "there", "here", "what", "how", "why", "when", "where", "which", "who", "can",
  "could", "would", "should", "will", "please", "help", "have", "has", "had", "so", "if", "just", "get", "got",
  "from", "as", "about", "any", "some", "need", "want", "know", "im", "ive", "hi", "hello", "thanks", NULL};

static bool stopword(const char *w, size_t n) {
  for (int i = 0; STOP[i]; i++)
    if (strlen(STOP[i]) == n && !memcmp(STOP[i], w, n)) return true;
  return false;
}

static int cmp_feat(const void *a, const void *b) {
  uint64_t x = ((const feat *)a)->h, y = ((const feat *)b)->h;
  return x < y ? -1 : x > y;
}

typedef struct {
  feat *f;
  size_t n, cap;
} fvec;

static void push(fvec *v, uint64_t h, float w) {
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 256;
    feat *nf = realloc(v->f, nc * sizeof *nf); /* scratch memory, never handed out */
    if (!nf) return;
    v->f = nf;
    v->cap = nc;
  }
  v->f[v->n++] = (feat){h, w};
}

#define W_WORD 1.0f
#define W_STOP 0.3f
#define W_BIGRAM 0.8f
#define W_CHAR 0.35f

void ecai__textvec(float *out, const char *s, size_t len, ecai__tokenizer *tk) {
  memset(out, 0, ECAI__TEXTVEC_DIM * sizeof *out);
  fvec v = {0};
  char prev[64], w[64];
  size_t pl = 0, i = 0;
  bool prev_stop = false;
  while (i < len) {
    size_t wl = 0;
    while (i < len) {
      unsigned char c = (unsigned char)s[i];
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        if (wl < sizeof w - 1) w[wl++] = (char)c;
      } else if (c >= 'A' && c <= 'Z') {
        if (wl < sizeof w - 1) w[wl++] = (char)(c - 'A' + 'a');
      } else if (c >= 0x80) {
        if (wl < sizeof w - 1) w[wl++] = (char)c; /* UTF-8 bytes stay in the word */
      } else if (c == '\'' && wl) {
        /* apostrophes vanish: can't == cant */
      } else if (wl) {
        break;
      }
      i++;
    }
    if (!wl) continue;
    bool st = stopword(w, wl);
    if (tk && !st) { /* function words stay unstemmed: they are few and exact */
      size_t sl = 0;
      const char *sw = ecai__stem(tk, w, wl, &sl);
      if (sw && sl && sl < sizeof w) {
        memcpy(w, sw, sl);
        wl = sl;
      }
    }
    push(&v, XXH3_64bits_withSeed(w, wl, 1), st ? W_STOP : W_WORD);
    if (pl) {
      char bg[130];
      memcpy(bg, prev, pl);
      bg[pl] = ' ';
      memcpy(bg + pl + 1, w, wl);
      push(&v, XXH3_64bits_withSeed(bg, pl + 1 + wl, 2), (st && prev_stop) ? W_STOP * W_BIGRAM : W_BIGRAM);
    }
    if (!st) {
      char pw[66];
      pw[0] = '<';
      memcpy(pw + 1, w, wl);
      pw[wl + 1] = '>';
      size_t L = wl + 2;
      for (size_t n = 3; n <= 5; n++)
        for (size_t k = 0; k + n <= L; k++) push(&v, XXH3_64bits_withSeed(pw + k, n, 3), W_CHAR);
    }
    memcpy(prev, w, wl);
    pl = wl;
    prev_stop = st;
  }
  if (v.n == 0 && len) push(&v, XXH3_64bits_withSeed(s, len, 4), 1.0f);
  if (v.n) qsort(v.f, v.n, sizeof *v.f, cmp_feat);
  for (size_t a = 0; a < v.n;) {
    size_t b = a;
    while (b < v.n && v.f[b].h == v.f[a].h) b++;
    float tf = (float)(b - a), val = v.f[a].w * (1.0f + logf(tf));
    uint64_t h = v.f[a].h;
    out[h % ECAI__TEXTVEC_DIM] += (h >> 63) ? -val : val;
    a = b;
  }
  free(v.f);
  double nn = 0;
  for (size_t d = 0; d < ECAI__TEXTVEC_DIM; d++) nn += (double)out[d] * out[d];
  if (nn > 0) {
    float inv = (float)(1.0 / sqrt(nn));
    for (size_t d = 0; d < ECAI__TEXTVEC_DIM; d++) out[d] *= inv;
  }
}
