/* Guard: adversarial text normalisation for the input checks, small vectors. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "guard/guard_internal.h"

/* ---- u64 vectors --------------------------------------------------------------- */

bool ecai__u64vec_push(ecai__u64vec *a, uint64_t x) {
  if (a->n == a->cap) {
    size_t nc = a->cap ? a->cap * 2 : 16;
    uint64_t *nv = ecai__realloc(a->v, nc * sizeof *nv);
    if (!nv) return false;
    a->v = nv;
    a->cap = nc;
  }
  a->v[a->n++] = x;
  return true;
}

void ecai__u64vec_free(ecai__u64vec *a) {
  ecai__free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

void ecai__u64vec_sort_unique(ecai__u64vec *a) {
  if (a->n < 2) return;
  qsort(a->v, a->n, sizeof *a->v, cmp_u64);
  size_t w = 1;
  for (size_t i = 1; i < a->n; i++)
    if (a->v[i] != a->v[w - 1]) a->v[w++] = a->v[i];
  a->n = w;
}

bool ecai__u64_sorted_has(const uint64_t *v, size_t n, uint64_t x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < x) lo = mid + 1;
    else if (v[mid] > x) hi = mid;
    else return true;
  }
  return false;
}

/* ---- normalisation ------------------------------------------------------------------ */

void ecai__gtoks_free(ecai__gtoks *t) {
  ecai__free(t->text);
  ecai__free(t->tok);
  memset(t, 0, sizeof *t);
}

static int32_t homoglyph(int32_t c) {
  switch (c) {
  case 0x0430: case 0x03B1: return 'a';
  case 0x0435: case 0x03B5: return 'e';
  case 0x043E: case 0x03BF: return 'o';
  case 0x0440: case 0x03C1: return 'p';
  case 0x0441: return 'c';
  case 0x0443: return 'y';
  case 0x0445: return 'x';
  case 0x0456: case 0x03B9: return 'i';
  case 0x0455: return 's';
  case 0x0458: return 'j';
  case 0x0501: return 'd';
  case 0x03BA: return 'k';
  case 0x03BD: return 'v';
  case 0x03C4: return 't';
  case 0x03C5: return 'u';
  default: return c;
  }
}

/* Marks in the intermediate string. */
#define M_JOIN '\x01'  /* a separator inside a word: removed when it separates single letters */
#define M_APOS '\x02'  /* apostrophe: always removed ("don't" -> "dont") */

static int leet(char c) {
  switch (c) {
  case '0': return 'o';
  case '1': return 'i';
  case '3': return 'e';
  case '4': return 'a';
  case '5': return 's';
  case '7': return 't';
  case '@': return 'a';
  case '$': return 's';
  case '!': return 'i';
  case '|': return 'l';
  default: return 0;
  }
}

static bool is_alpha_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || c >= 0x80; }

static bool push_tok(ecai__gtoks *t, char *p) {
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 64;
    char **nt = ecai__realloc(t->tok, nc * sizeof *nt);
    if (!nt) return false;
    t->tok = nt;
    t->cap = nc;
  }
  t->tok[t->n++] = p;
  return true;
}

ecai_status ecai__guard_normalise(ecai__gtoks *out, const char *s, size_t len) {
  memset(out, 0, sizeof *out);
  /* 1. valid UTF-8 copy (invalid bytes become spaces) */
  char *clean = ecai__malloc(len + 1);
  if (!clean) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  memcpy(clean, s, len);
  clean[len] = 0;
  size_t off = 0, bad;
  while (off < len && !ecai__utf8_valid(clean + off, len - off, &bad)) {
    clean[off + bad] = ' ';
    off += bad + 1;
  }
  for (size_t i = 0; i < len; i++)
    if (clean[i] == 0) clean[i] = ' ';
  /* 2. NFKC, case fold, strip marks and default ignorables (zero-width characters) */
  utf8proc_uint8_t *mapped = NULL;
  utf8proc_ssize_t mlen = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)len, &mapped,
                                       UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                           UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPMARK);
  ecai__free(clean);
  if (mlen < 0) return ecai__err(ECAI_ENOMEM, "guard: normalisation failed: %s", utf8proc_errmsg(mlen));
  /* 3. intermediate string: letters/digits, leet symbols, join marks, spaces */
  char *m = ecai__malloc((size_t)mlen * 2 + 2);
  if (!m) {
    free(mapped);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  size_t mi = 0;
  utf8proc_ssize_t p = 0;
  while (p < mlen) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(mapped + p, mlen - p, &c);
    if (k <= 0) { p++; continue; }
    c = homoglyph(c);
    if (c < 0x80) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) m[mi++] = (char)c;
      else if (c >= 'A' && c <= 'Z') m[mi++] = (char)(c + 32);
      else if (c == '@' || c == '$' || c == '!' || c == '|') m[mi++] = (char)c;
      else if (c == '.' || c == '-' || c == '_' || c == '*' || c == '`' || c == '~' || c == '+') m[mi++] = M_JOIN;
      else if (c == '\'') m[mi++] = M_APOS;
      else m[mi++] = ' ';
    } else if (c == 0x2019 || c == 0x2018) {
      m[mi++] = M_APOS;
    } else {
      utf8proc_category_t cat = utf8proc_category(c);
      if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO) {
        memcpy(m + mi, mapped + p, (size_t)k);
        mi += (size_t)k;
      } else {
        m[mi++] = ' ';
      }
    }
    p += k;
  }
  free(mapped);
  m[mi] = 0;
  /* 4. tokens: each whitespace-separated chunk is cleaned; output into t->text */
  out->text = ecai__malloc(mi * 2 + 2);
  if (!out->text) {
    ecai__free(m);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  size_t w = 0;
  size_t i = 0;
  ecai_status st = ECAI_OK;
  while (i < mi && st == ECAI_OK) {
    while (i < mi && m[i] == ' ') i++;
    size_t b = i;
    while (i < mi && m[i] != ' ') i++;
    if (b == i) break;
    bool has_alpha = false;
    size_t nseg = 1, maxseg = 0, cur = 0;
    for (size_t j = b; j < i; j++) {
      unsigned char c = (unsigned char)m[j];
      if (is_alpha_byte(c)) has_alpha = true;
      if (c == M_JOIN) {
        if (cur) nseg++;
        if (cur > maxseg) maxseg = cur;
        cur = 0;
      } else if (c != M_APOS) {
        cur++;
      }
    }
    if (cur > maxseg) maxseg = cur;
    /* join marks removed when they separate single characters ("i.g.n.o.r.e"),
     * otherwise they split words ("previous-instructions") */
    bool join = maxseg <= 1 && nseg >= 3;
    size_t start = w;
    for (size_t j = b; j <= i; j++) {
      char c = j < i ? m[j] : ' ';
      if (c == M_APOS) continue;
      if (c == M_JOIN && join) continue;
      if (c == M_JOIN || c == ' ') {
        if (w > start) {
          out->text[w++] = 0;
          if (!push_tok(out, out->text + start)) st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
        }
        start = w;
        continue;
      }
      if (has_alpha) {
        int l = leet(c);
        if (l) c = (char)l;
      } else if (c == '@' || c == '$' || c == '!' || c == '|') {
        continue;
      }
      out->text[w++] = c;
    }
  }
  ecai__free(m);
  if (st) {
    ecai__gtoks_free(out);
    return st;
  }
  /* the pointers into text stay valid: text is not reallocated. Join runs of >= 3 single
   * letters ("i g n o r e") in place. */
  size_t nt = 0;
  for (size_t a = 0; a < out->n;) {
    size_t e = a;
    while (e < out->n && strlen(out->tok[e]) == 1 && out->tok[e][0] >= 'a' && out->tok[e][0] <= 'z') e++;
    if (e - a >= 3) {
      char *dst = out->tok[a];
      for (size_t q = a; q < e; q++) dst[q - a] = out->tok[q][0];
      dst[e - a] = 0; /* fits: the tokens were 2 bytes apart */
      out->tok[nt++] = dst;
      a = e;
    } else {
      out->tok[nt++] = out->tok[a];
      a++;
    }
  }
  out->n = nt;
  out->text_len = w;
  return ECAI_OK;
}
