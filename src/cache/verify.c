/* Hit verification of the semantic cache: two questions may share an answer only if
 * they mention the same numbers and SKU-like codes and agree on negation and on the
 * polarity of opposite verb pairs. Deliberately conservative: a false reject costs one
 * LLM call, a false accept serves a wrong answer. */
#include <ctype.h>
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
