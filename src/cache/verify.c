/* Hit verification of the semantic cache: two questions may share an answer only if
 * they mention the same numbers and SKU-like codes and agree on negation and on the
 * polarity of opposite verb pairs. Deliberately conservative: a false reject costs one
 * LLM call, a false accept serves a wrong answer. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_internal.h"

#define MAXSIG 64

typedef struct {
  uint64_t nums[MAXSIG]; /* numbers and codes (hashes of their normal form) */
  size_t nnums;
  int neg;               /* any negation word */
  signed char pol[32];   /* per verb pair: +1 positive side only, -1 negative only, 0 */
  unsigned wh;           /* question words asked (bits of WH) */
  int pending_how;
  int overflow;
} sig;

static const char *const NEGATORS[] = {
  "not", "no", "never", "cannot", "cant", "dont", "doesnt", "didnt", "wont", "isnt", "arent", "wasnt",
  "werent", "havent", "hasnt", "hadnt", "couldnt", "shouldnt", "wouldnt", "aint", "nothing", "nobody",
  "none", "nor", "neither", "without", "unable", "nowhere", NULL};

/* Opposite pairs: "positive|variants", "negative|variants". */
static const char *const PAIRS[][2] = {
  {"enable", "disable"}, {"activate|activation", "deactivate|deactivation"}, {"lock", "unlock"},
  {"cancel", "uncancel"}, {"block", "unblock"}, {"freeze|froze|frozen", "unfreeze|unfroze|unfrozen"},
  {"subscribe", "unsubscribe"}, {"link", "unlink"}, {"increase", "decrease"}, {"add", "remove"},
  {"include", "exclude"}, {"deposit", "withdraw|withdrew|withdrawn|withdrawal"}, {"send|sent", "receive"},
  {"accept", "decline|reject"}, {"show", "hide|hid|hidden"}, {"open", "close"}, {"start", "stop"},
  {"upgrade", "downgrade"}, {"import", "export"}, {"allow", "deny|denied|forbid"}, {"before", "after"},
  {"incoming", "outgoing"}, {"more", "less|fewer"}, {"higher", "lower"}, {"max|maximum", "min|minimum"},
};
#define NPAIRS (sizeof PAIRS / sizeof PAIRS[0])

static const char *const SUFFIXES[] = {"", "s", "es", "d", "ed", "ing", "led", "ling", "ped", "ping", "ation",
                                       "ations", "ment", "ments", "al", "ly", NULL};

/* Number words (quantities). "one" is left out: it is mostly a pronoun ("a new one"). */
static const char *const NUMWORDS[] = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                       "eleven", "twelve", "twenty", "thirty", "fifty", "hundred", "thousand",
                                       "million", "twice", "double", "triple", NULL};

/* Question words: "why" and "how" questions need different answers. "how long/soon"
 * and "how much/many" are questions of their own; "what" is neutral (it paraphrases
 * most of the others). */
static const char *const WH[] = {"why", "how", "where", "when", "which", "who", NULL};
enum { WH_HOWLONG = 1u << 8, WH_HOWMUCH = 1u << 9, WH_HOW = 1u << 1 };

static bool is_form(const char *w, size_t n, const char *base, size_t bl) {
  if (n < bl || memcmp(w, base, bl) != 0) return false;
  for (int i = 0; SUFFIXES[i]; i++)
    if (strlen(SUFFIXES[i]) == n - bl && !memcmp(w + bl, SUFFIXES[i], n - bl)) return true;
  return false;
}

/* true when w matches one of the '|'-separated bases (with suffixes). */
static bool matches(const char *w, size_t n, const char *alts) {
  const char *p = alts;
  while (*p) {
    size_t bl = strcspn(p, "|");
    if (is_form(w, n, p, bl)) return true;
    p += bl;
    if (*p == '|') p++;
  }
  return false;
}

static void add_num(sig *s, const char *t, size_t n) {
  if (s->nnums == MAXSIG) {
    s->overflow = 1;
    return;
  }
  s->nums[s->nnums++] = XXH3_64bits(t, n);
}

static bool isalnum_a(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool eq(const char *w, size_t n, const char *lit) { return strlen(lit) == n && !memcmp(w, lit, n); }

static void word(sig *s, const char *w, size_t n) {
  if (s->pending_how) {
    s->pending_how = 0;
    if (eq(w, n, "long") || eq(w, n, "soon") || eq(w, n, "quickly") || eq(w, n, "fast")) s->wh |= WH_HOWLONG;
    else if (eq(w, n, "much") || eq(w, n, "many")) s->wh |= WH_HOWMUCH;
    else s->wh |= WH_HOW;
  }
  for (int i = 0; WH[i]; i++)
    if (eq(w, n, WH[i])) {
      if (i == 1) s->pending_how = 1;
      else s->wh |= 1u << i;
    }
  for (int i = 0; NEGATORS[i]; i++)
    if (strlen(NEGATORS[i]) == n && !memcmp(NEGATORS[i], w, n)) s->neg = 1;
  for (int i = 0; NUMWORDS[i]; i++)
    if (strlen(NUMWORDS[i]) == n && !memcmp(NUMWORDS[i], w, n)) add_num(s, w, n);
  for (size_t p = 0; p < NPAIRS; p++) {
    int bit = matches(w, n, PAIRS[p][0]) ? 1 : matches(w, n, PAIRS[p][1]) ? 2 : 0;
    if (!bit) continue;
    signed char cur = s->pol[p];
    signed char nv = bit == 1 ? 1 : -1;
    if (cur == 0) s->pol[p] = nv;
    else if (cur != nv && cur != 2) s->pol[p] = 2; /* both sides mentioned */
  }
}

static void signature(sig *s, const char *t, size_t len) {
  memset(s, 0, sizeof *s);
  size_t i = 0;
  char buf[128];
  while (i < len) {
    unsigned char c = (unsigned char)t[i];
    if (!isalnum_a(c)) {
      i++;
      continue;
    }
    /* a token: alnum runs joined by an apostrophe (’ or '), '-', '_', or by '.'/',' between digits */
    size_t bl = 0;
    int has_digit = 0, has_alpha = 0;
    while (i < len) {
      c = (unsigned char)t[i];
      if (isalnum_a(c)) {
        if (bl < sizeof buf - 1) buf[bl++] = (char)tolower(c);
        if (isdigit(c)) has_digit = 1;
        else has_alpha = 1;
        i++;
      } else if ((c == '\'' || c == '-' || c == '_') && i + 1 < len && isalnum_a((unsigned char)t[i + 1])) {
        if (c != '\'' && bl < sizeof buf - 1) buf[bl++] = '-';
        i++;
      } else if (c == 0xE2 && i + 3 < len && (unsigned char)t[i + 1] == 0x80 && (unsigned char)t[i + 2] == 0x99 &&
                 isalnum_a((unsigned char)t[i + 3])) {
        i += 3; /* ’ */
      } else if ((c == '.' || c == ',') && bl && isdigit((unsigned char)buf[bl - 1]) && i + 1 < len &&
                 isdigit((unsigned char)t[i + 1])) {
        if (c == '.' && bl < sizeof buf - 1) buf[bl++] = '.';
        i++; /* thousands separators vanish: 1,000 == 1000 */
      } else {
        break;
      }
    }
    buf[bl] = 0;
    if (has_digit) {
      /* numbers and codes: normalise leading zeros of pure numbers, drop '-' in codes */
      char norm[128];
      size_t nl = 0;
      for (size_t k = 0; k < bl; k++)
        if (buf[k] != '-') norm[nl++] = buf[k];
      size_t st = 0;
      if (!has_alpha)
        while (st + 1 < nl && norm[st] == '0' && norm[st + 1] != '.') st++;
      add_num(s, norm + st, nl - st);
    } else {
      /* a hyphenated word: look at each part and at the whole */
      char w2[128];
      size_t wl = 0;
      for (size_t k = 0; k <= bl; k++) {
        if (k == bl || buf[k] == '-') {
          if (wl) word(s, w2, wl);
          wl = 0;
        } else {
          w2[wl++] = buf[k];
        }
      }
    }
  }
  if (s->pending_how) s->wh |= WH_HOW;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static size_t uniq(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!k || v[k - 1] != v[i]) v[k++] = v[i];
  return k;
}

bool ecai__semverify(const char *a, size_t alen, const char *b, size_t blen) {
  sig x, y;
  signature(&x, a, alen);
  signature(&y, b, blen);
  if (x.overflow || y.overflow) return false;
  if (x.neg != y.neg || x.wh != y.wh) return false;
  size_t nx = uniq(x.nums, x.nnums), ny = uniq(y.nums, y.nnums);
  if (nx != ny || memcmp(x.nums, y.nums, nx * sizeof *x.nums) != 0) return false;
  for (size_t p = 0; p < NPAIRS; p++) {
    signed char u = x.pol[p], v = y.pol[p];
    if ((u == 1 && v == -1) || (u == -1 && v == 1)) return false;
  }
  return true;
}

ecai_status ecai_semcache_verify(int *out_ok, const char *a, size_t a_len, const char *b, size_t b_len) {
  ECAI__CHECK_ARG(out_ok);
  *out_ok = 0;
  ECAI__CHECK_ARG(a);
  ECAI__CHECK_ARG(b);
  *out_ok = ecai__semverify(a, a_len, b, b_len) ? 1 : 0;
  return ECAI_OK;
}

/* ---- content words and their document frequencies ------------------------------------
 * The second verification rule: two questions must agree on their content words,
 * weighted by how rare each word is among the partition's own cached questions (IDF
 * learned from the cache's entries, never from an outside corpus or word list). A
 * rare word only one side has ("direct debit" vs "card") weighs much; a word most
 * cached questions share weighs little. */

ecai_status ecai__semwords(uint64_t **out, uint32_t *n, ecai__tokenizer *tk, ecai__tokens *toks, const char *s,
                           size_t len) {
  *out = NULL;
  *n = 0;
  ecai_status st = ecai__tokenize(tk, s, len, ECAI__TOKF_STEM | ECAI__TOKF_STOP, toks);
  if (st) return st;
  size_t k = 0;
  for (size_t t = 0; t < toks->n; t++) k += toks->kind[t] == ECAI__TOK_WORD;
  if (!k) return ECAI_OK;
  if (k > 4096) k = 4096; /* a bound for absurd inputs; the rest is ignored */
  uint64_t *w = ecai__malloc(k * sizeof *w);
  if (!w) return ecai__err(ECAI_ENOMEM, "semantic cache: out of memory");
  uint32_t m = 0;
  for (size_t t = 0; t < toks->n && m < k; t++) {
    if (toks->kind[t] != ECAI__TOK_WORD) continue;
    uint64_t h = XXH3_64bits(toks->text + toks->off[t], toks->len[t]) | 1;
    uint32_t j = 0;
    while (j < m && w[j] != h) j++;
    if (j == m) w[m++] = h;
  }
  *out = w;
  *n = m;
  return ECAI_OK;
}

void ecai__df_free(ecai__dfmap *m) {
  ecai__free(m->keys);
  ecai__free(m->cnt);
  memset(m, 0, sizeof *m);
}

static size_t df_slot(const uint64_t *keys, size_t cap, uint64_t w) {
  size_t i = (size_t)(w * 0x9E3779B97F4A7C15ull >> 17) & (cap - 1);
  while (keys[i] && keys[i] != w) i = (i + 1) & (cap - 1);
  return i;
}

/* Rehashes into cap slots, dropping words whose count fell to 0. */
static ecai_status df_rehash(ecai__dfmap *m, size_t cap) {
  uint64_t *k = ecai__calloc(cap, sizeof *k);
  uint32_t *c = ecai__calloc(cap, sizeof *c);
  if (!k || !c) {
    ecai__free(k);
    ecai__free(c);
    return ecai__err(ECAI_ENOMEM, "semantic cache: out of memory");
  }
  size_t used = 0;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i] || !m->cnt[i]) continue;
    size_t j = df_slot(k, cap, m->keys[i]);
    k[j] = m->keys[i];
    c[j] = m->cnt[i];
    used++;
  }
  ecai__free(m->keys);
  ecai__free(m->cnt);
  m->keys = k;
  m->cnt = c;
  m->cap = cap;
  m->used = used;
  m->zeros = 0;
  return ECAI_OK;
}

ecai_status ecai__df_add(ecai__dfmap *m, const uint64_t *w, uint32_t n, int delta) {
  if (!n) return ECAI_OK;
  if (delta > 0 && (m->used + n) * 4 >= m->cap * 3) {
    size_t live = m->used - m->zeros + n, cap = 64;
    while (cap * 3 <= live * 4 * 2) cap *= 2; /* load <= 3/8 after a rehash */
    ecai_status st = df_rehash(m, cap);
    if (st) return st;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (delta > 0) {
      size_t j = df_slot(m->keys, m->cap, w[i]);
      if (!m->keys[j]) {
        m->keys[j] = w[i];
        m->used++;
      } else if (!m->cnt[j]) {
        m->zeros--;
      }
      m->cnt[j]++;
    } else if (m->cap) {
      size_t j = df_slot(m->keys, m->cap, w[i]);
      if (m->keys[j] && m->cnt[j] && --m->cnt[j] == 0) m->zeros++;
    }
  }
  return ECAI_OK;
}

uint32_t ecai__df_get(const ecai__dfmap *m, uint64_t w) {
  if (!m->cap) return 0;
  size_t j = df_slot(m->keys, m->cap, w);
  return m->keys[j] ? m->cnt[j] : 0;
}

double ecai__word_mismatch(const ecai__dfmap *df, size_t ndocs, const uint64_t *a, uint32_t na, const uint64_t *b,
                           uint32_t nb) {
  double un = 0, sd = 0, lg = log((double)ndocs + 1.0) + 1.0; /* smoothed: idf >= 1 */
  for (uint32_t x = 0; x < na; x++) {
    bool in = false;
    for (uint32_t y = 0; y < nb && !in; y++) in = b[y] == a[x];
    double w = lg - log((double)ecai__df_get(df, a[x]) + 1.0);
    un += w;
    if (!in) sd += w;
  }
  for (uint32_t y = 0; y < nb; y++) {
    bool in = false;
    for (uint32_t x = 0; x < na && !in; x++) in = a[x] == b[y];
    if (in) continue;
    double w = lg - log((double)ecai__df_get(df, b[y]) + 1.0);
    un += w;
    sd += w;
  }
  return un > 0 ? sd / un : 0;
}
