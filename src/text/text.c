/* The one tokenizer: normalisation (utf8proc), tokens, units, stop words, stemming. */
#include "text/text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

struct ecai__tokenizer {
  struct sb_stemmer *stem;
  char *norm;
  size_t norm_cap;
};

static const char *const STOP[] = {
    "a", "about", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "do",
    "does", "for", "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
    "me", "my", "of", "on", "or", "our", "so", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "to", "too", "was", "we", "were", "what",
    "when", "where", "which", "who", "why", "will", "with", "you", "your", NULL};

int ecai__is_stopword(const char *w, size_t len) {
  if (len == 0 || len > 5) return 0;
  for (const char *const *p = STOP; *p; p++)
    if ((*p)[0] == w[0] && strlen(*p) == len && memcmp(*p, w, len) == 0) return 1;
  return 0;
}

/* Unit aliases: {alias, its length, canonical, only_after_number}. The length is stored so a
 * lookup compares lengths first instead of measuring each alias (this runs for every word). */
#define U(a, c, after) {a, sizeof(a) - 1, c, after}
static const struct { const char *a; size_t alen; const char *c; int after_num; } UNITS[] = {
    U("in", "in", 1), U("inch", "in", 0), U("inches", "in", 0), U("ft", "ft", 0),
    U("feet", "ft", 0), U("foot", "ft", 0), U("gal", "gal", 0), U("gallon", "gal", 0),
    U("gallons", "gal", 0), U("lb", "lb", 0), U("lbs", "lb", 0), U("pound", "lb", 0),
    U("pounds", "lb", 0), U("oz", "oz", 0), U("ounce", "oz", 0), U("ounces", "oz", 0),
    U("v", "v", 1), U("volt", "v", 0), U("volts", "v", 0), U("w", "w", 1),
    U("watt", "w", 0), U("watts", "w", 0), U("amp", "amp", 0), U("amps", "amp", 0),
    U("a", "amp", 1), U("mm", "mm", 0), U("cm", "cm", 0), U("m", "m", 1),
    U("yd", "yd", 0), U("yard", "yd", 0), U("yards", "yd", 0), U("sq", "sq", 0),
    U("qt", "qt", 0), U("quart", "qt", 0), U("cu", "cu", 0), U("btu", "btu", 0),
    U("pc", "pc", 1), U("pk", "pk", 1), U("pack", "pk", 1), U("ga", "gauge", 1),
    U("gauge", "gauge", 0), U("hp", "hp", 0), U("k", "k", 1),
    {NULL, 0, NULL, 0}};
#undef U

uint64_t ecai__text_fingerprint(void) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  unsigned v = ECAI__TEXT_VERSION;
  XXH3_64bits_update(&st, &v, sizeof v);
  const char *u = utf8proc_version();
  XXH3_64bits_update(&st, u, strlen(u) + 1);
  for (const char *const *p = STOP; *p; p++) XXH3_64bits_update(&st, *p, strlen(*p) + 1);
  for (size_t i = 0; UNITS[i].a; i++) {
    XXH3_64bits_update(&st, UNITS[i].a, UNITS[i].alen + 1);
    XXH3_64bits_update(&st, UNITS[i].c, strlen(UNITS[i].c) + 1);
    XXH3_64bits_update(&st, &UNITS[i].after_num, sizeof UNITS[i].after_num);
  }
  return XXH3_64bits_digest(&st);
}

static const char *unit_of(const char *w, size_t len, int after_num) {
  if (len > 7) return NULL;
  for (size_t i = 0; UNITS[i].a; i++)
    if (UNITS[i].alen == len && memcmp(UNITS[i].a, w, len) == 0 && (!UNITS[i].after_num || after_num))
      return UNITS[i].c;
  return NULL;
}

ecai_status ecai__tokenizer_new(ecai__tokenizer **out) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ecai__tokenizer *t = ecai__calloc(1, sizeof *t);
  if (!t) return ecai__err(ECAI_ENOMEM, "tokenizer: out of memory");
  t->stem = sb_stemmer_new("english", NULL);
  if (!t->stem) {
    ecai__free(t);
    return ecai__err(ECAI_ENOMEM, "tokenizer: cannot create the Snowball English stemmer");
  }
  *out = t;
  return ECAI_OK;
}

void ecai__tokenizer_free(ecai__tokenizer *t) {
  if (!t) return;
  if (t->stem) sb_stemmer_delete(t->stem);
  ecai__free(t->norm);
  ecai__free(t);
}

void ecai__tokens_free(ecai__tokens *k) {
  if (!k) return;
  ecai__free(k->text);
  ecai__free(k->off);
  ecai__free(k->len);
  ecai__free(k->kind);
  memset(k, 0, sizeof *k);
}

/* Normalises into *buf (grown as needed). */
static ecai_status normalize_into(const char *s, size_t len, char **buf, size_t *cap, size_t *out_len) {
  size_t bad = 0;
  if (!ecai__utf8_valid(s, len, &bad))
    return ecai__err(ECAI_EPARSE, "text: invalid UTF-8 at byte %zu", bad);
  int ascii = 1;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] >= 0x80 || s[i] == 0) { ascii = 0; break; }
  if (ascii) {
    if (*cap < len + 1) {
      char *nb = ecai__realloc(*buf, len + 1);
      if (!nb) return ecai__err(ECAI_ENOMEM, "text: out of memory");
      *buf = nb;
      *cap = len + 1;
    }
    for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char)s[i];
      (*buf)[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    (*buf)[len] = 0;
    *out_len = len;
    return ECAI_OK;
  }
  utf8proc_uint8_t *dst = NULL;
  utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst,
                                    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                        UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  if (n < 0) {
    free(dst);
    return ecai__err(n == UTF8PROC_ERROR_NOMEM ? ECAI_ENOMEM : ECAI_EPARSE, "text: normalisation failed: %s",
                     utf8proc_errmsg(n));
  }
  if (*cap < (size_t)n + 1) {
    char *nb = ecai__realloc(*buf, (size_t)n + 1);
    if (!nb) {
      free(dst);
      return ecai__err(ECAI_ENOMEM, "text: out of memory");
    }
    *buf = nb;
    *cap = (size_t)n + 1;
  }
  memcpy(*buf, dst, (size_t)n);
  (*buf)[n] = 0;
  free(dst);
  *out_len = (size_t)n;
  return ECAI_OK;
}

ecai_status ecai__text_normalize(const char *s, size_t len, char **out, size_t *out_len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (!s && len) return ecai__err(ECAI_EINVAL, "text: NULL text with length %zu", len);
  size_t cap = 0, n = 0;
  char *buf = NULL;
  ecai_status st = normalize_into(s ? s : "", len, &buf, &cap, &n);
  if (st) {
    ecai__free(buf);
    return st;
  }
  if (!buf) {
    buf = ecai__strdup("");
    if (!buf) return ecai__err(ECAI_ENOMEM, "text: out of memory");
  }
  *out = buf;
  if (out_len) *out_len = n;
  return ECAI_OK;
}

static int push(ecai__tokens *k, const char *s, size_t len, uint8_t kind) {
  if (k->n == k->cap) {
    size_t nc = k->cap ? k->cap * 2 : 32;
    uint32_t *o = ecai__realloc(k->off, nc * sizeof *o);
    if (!o) return -1;
    k->off = o;
    uint32_t *l = ecai__realloc(k->len, nc * sizeof *l);
    if (!l) return -1;
    k->len = l;
    uint8_t *kd = ecai__realloc(k->kind, nc);
    if (!kd) return -1;
    k->kind = kd;
    k->cap = nc;
  }
  if (k->text_len + len + 1 > k->text_cap) {
    size_t nc = k->text_cap ? k->text_cap * 2 : 256;
    while (nc < k->text_len + len + 1) nc *= 2;
    char *t = ecai__realloc(k->text, nc);
    if (!t) return -1;
    k->text = t;
    k->text_cap = nc;
  }
  memcpy(k->text + k->text_len, s, len);
  k->text[k->text_len + len] = 0;
  k->off[k->n] = (uint32_t)k->text_len;
  k->len[k->n] = (uint32_t)len;
  k->kind[k->n] = kind;
  k->n++;
  k->text_len += len + 1;
  return 0;
}

const char *ecai__stem(ecai__tokenizer *t, const char *w, size_t len, size_t *out_len) {
  const sb_symbol *r = sb_stemmer_stem(t->stem, (const sb_symbol *)w, (int)len);
  if (!r) return NULL;
  *out_len = (size_t)sb_stemmer_length(t->stem);
  return (const char *)r;
}

/* Character classes of the normalised text. */
enum { C_OTHER = 0, C_DIGIT = 1, C_ALPHA = 2 };
static int cls_at(const unsigned char *s, size_t n, size_t i, size_t *adv) {
  unsigned char c = s[i];
  if (c < 0x80) {
    *adv = 1;
    if (c >= '0' && c <= '9') return C_DIGIT;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return C_ALPHA;
    return C_OTHER;
  }
  utf8proc_int32_t cp = 0;
  utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
  if (k <= 0) {
    *adv = 1;
    return C_OTHER;
  }
  *adv = (size_t)k;
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_ND: return C_DIGIT;
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
  case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_NL:
  case UTF8PROC_CATEGORY_NO:
    return C_ALPHA;
  default: return C_OTHER;
  }
}

static int emit_word(ecai__tokenizer *t, ecai__tokens *k, const char *w, size_t len, unsigned flags,
                     int after_num) {
  const char *u = unit_of(w, len, after_num);
  if (u) return push(k, u, strlen(u), ECAI__TOK_UNIT);
  if ((flags & ECAI__TOKF_STOP) && ecai__is_stopword(w, len)) return 0;
  if ((flags & ECAI__TOKF_STEM) && len >= 3) {
    int letters = 1;
    for (size_t i = 0; i < len; i++)
      if ((unsigned char)w[i] >= '0' && (unsigned char)w[i] <= '9') { letters = 0; break; }
    if (letters) {
      size_t sl = 0;
      const char *st = ecai__stem(t, w, len, &sl);
      if (!st) return -1;
      return push(k, st, sl, ECAI__TOK_WORD);
    }
  }
  return push(k, w, len, ECAI__TOK_WORD);
}

ecai_status ecai__tokenize(ecai__tokenizer *t, const char *s, size_t len, unsigned flags,
                           ecai__tokens *k) {
  ECAI__CHECK_ARG(t);
  ECAI__CHECK_ARG(k);
  if (!s && len) return ecai__err(ECAI_EINVAL, "tokenize: NULL text with length %zu", len);
  k->n = 0;
  k->text_len = 0;
  size_t n = 0;
  ecai_status st = normalize_into(s ? s : "", len, &t->norm, &t->norm_cap, &n);
  if (st) return st;
  const unsigned char *u = (const unsigned char *)t->norm;
  char numbuf[128];
  size_t i = 0, adv = 0;
  while (i < n) {
    int c = cls_at(u, n, i, &adv);
    if (c == C_OTHER) {
      i += adv;
      continue;
    }
    if (c == C_DIGIT && adv == 1) {
      /* number: digits, with '.', '/' (and thousands ',') between digits */
      size_t nb = 0;
      while (i < n) {
        if (u[i] >= '0' && u[i] <= '9') {
          if (nb < sizeof numbuf - 1) numbuf[nb++] = (char)u[i];
          i++;
        } else if ((u[i] == '.' || u[i] == '/' || u[i] == ',') && i + 1 < n && u[i + 1] >= '0' &&
                   u[i + 1] <= '9') {
          if (u[i] != ',' && nb < sizeof numbuf - 1) numbuf[nb++] = (char)u[i];
          i++;
        } else
          break;
      }
      if (push(k, numbuf, nb, ECAI__TOK_NUM)) goto oom;
      if (i < n && (u[i] == '"' || (u[i] == '\'' && !(i + 1 < n && isalpha(u[i + 1]))))) {
        if (push(k, u[i] == '"' ? "in" : "ft", 2, ECAI__TOK_UNIT)) goto oom;
        i++;
        continue;
      }
      /* letters glued to the number ("60in", "12v"): the following run, next loop */
      if (i < n) {
        size_t a2;
        if (cls_at(u, n, i, &a2) == C_ALPHA) {
          size_t b = i;
          while (i < n) {
            int c2 = cls_at(u, n, i, &a2);
            if (c2 == C_OTHER) break;
            i += a2;
          }
          if (emit_word(t, k, (const char *)u + b, i - b, flags, 1)) goto oom;
        } else {
          /* a following word separated by spaces is checked as a unit too */
          size_t j = i;
          while (j < n && u[j] == ' ') j++;
          if (j > i && j < n && cls_at(u, n, j, &a2) == C_ALPHA) {
            size_t b = j;
            while (j < n) {
              int c2 = cls_at(u, n, j, &a2);
              if (c2 == C_OTHER) break;
              j += a2;
            }
            if (unit_of((const char *)u + b, j - b, 1)) {
              if (emit_word(t, k, (const char *)u + b, j - b, flags, 1)) goto oom;
              i = j;
            }
          }
        }
      }
      continue;
    }
    size_t b = i;
    while (i < n) {
      int c2 = cls_at(u, n, i, &adv);
      if (c2 == C_OTHER) break;
      i += adv;
    }
    if (emit_word(t, k, (const char *)u + b, i - b, flags, 0)) goto oom;
  }
  return ECAI_OK;
oom:
  return ecai__err(ECAI_ENOMEM, "tokenize: out of memory");
}
