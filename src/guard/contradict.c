/* Guard: contradictions without a negation word. An answer sentence that speaks about
 * the same thing as a source sentence (they share at least two content words) must not
 * take the opposite side of a pair the source takes: "no longer available" against
 * "can still be ordered", "free" against "a fee of $39", "once" against "several
 * times", "select items" against "all items", "unused" against "used". The pairs are a
 * short curated list of shop-policy opposites plus one morphological rule (un-, in-,
 * im-, ir-, il-, non- before a word the other side has: unavailable, non-refundable,
 * insufficient). Words inside quotes are data and not looked at. Measured with a lying
 * and an honest model on tests/data/guard_lies.jsonl (tests/eval/guard_lies.sh). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "guard/guard_internal.h"

#define CW_MAX 96 /* words per sentence looked at */
#define CW_LEN 32
/* Shares of content words the two sentences must have in common (fitted on the tune half
 * of guard_lies.jsonl and the faithful answers of policy_facts.jsonl). */
#define MIN_ANSWER_SHARE 0.6
#define MIN_SOURCE_SHARE 0.3

typedef struct {
  char w[CW_MAX][CW_LEN];
  size_t n;
} cwords;

/* Lower-case ASCII words; a hyphen or an apostrophe inside a word is kept
 * ("non-refundable", "don't"); quoted stretches are skipped. */
static void words_of(cwords *o, const char *s, size_t len) {
  o->n = 0;
  bool quoted = false;
  for (size_t i = 0; i < len && o->n < CW_MAX;) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\'' || c == '"') {
      bool inner = i > 0 && isalnum((unsigned char)s[i - 1]) && i + 1 < len && isalpha((unsigned char)s[i + 1]);
      if (!inner) quoted = !quoted;
      i++;
      continue;
    }
    if (!isalnum(c)) {
      i++;
      continue;
    }
    size_t k = 0;
    while (i < len) {
      c = (unsigned char)s[i];
      bool join = (c == '-' || c == '\'') && k && i + 1 < len && isalpha((unsigned char)s[i + 1]);
      if (!isalnum(c) && !join) break;
      if (k < CW_LEN - 1 && c != '\'') o->w[o->n][k++] = (char)tolower(c);
      i++;
    }
    o->w[o->n][k] = 0;
    if (!quoted && k) o->n++;
  }
}

/* Opposite sides: '|' separates phrases, ' ' the words of a phrase. A longer phrase
 * hides the words it is made of ("no longer available" is not "available"). */
typedef struct {
  const char *name, *a, *b;
} opposite;

static const opposite OPPOSITES[] = {
    {"available / no longer available",
     "available|still available|in stock|can be ordered|can still be ordered|can still order|can still buy|"
     "can be bought|can be purchased|still sold|still offered|offered|still accept|still accepted",
     "unavailable|no longer available|not available|discontinued|out of stock|sold out|no longer offered|"
     "no longer sold|no longer be ordered|not offered|withdrawn|no longer accepted|no longer accept"},
    {"still / no longer", "still", "no longer|any longer|discontinued"},
    {"free / fee", "free|free of charge|no charge|at no cost|at no extra cost|complimentary|no fee|no fees",
     "fee|fees|charge|charged|charges|surcharge|costs|cost|extra|paid|pay"},
    {"once / several times",
     "once|one time|a single|single|at most one",
     "several|multiple|many times|repeatedly|twice|more than once|as often|as many|any number|unlimited|"
     "at any time|any time|anytime|again"},
    {"all / select",
     "all|any|every|whatever|regardless|no matter|always|anything|anyone|everyone|everything|not just",
     "only|select|selected|some|certain|specific|if|otherwise|unless|except"},
    {"automatic / manual", "automatically|automatic|auto", "manually|manual|by hand"},
    {"same / different", "same", "different|another|other"},
    {"enough / insufficient", "enough|sufficient", "insufficient|not enough|too little|too low"},
    {"identical / similar", "identical|exact|exactly", "similar|comparable|like"},
    {"before / after", "before|earlier|prior", "after|later"},
    {"minimum / maximum", "minimum|at least|min", "maximum|at most|max|up to"},
    {"full / partial", "full|fully|entire|whole", "partial|partially|part"},
    {"required / optional", "required|must|mandatory|needs to|has to|have to", "optional|may choose|can choose"},
};
#define NOPP (sizeof OPPOSITES / sizeof OPPOSITES[0])

/* Does phrase p (words separated by ' ', length pl) start at word i of ws? */
static bool phrase_at(const cwords *ws, size_t i, const char *p, size_t pl) {
  size_t k = i;
  for (const char *q = p, *e = p + pl; q < e; k++) {
    const char *sp = memchr(q, ' ', (size_t)(e - q));
    size_t wl = sp ? (size_t)(sp - q) : (size_t)(e - q);
    if (k >= ws->n || strlen(ws->w[k]) != wl || memcmp(ws->w[k], q, wl) != 0) return false;
    q += wl + (sp ? 1 : 0);
  }
  return true;
}

static size_t phrase_words(const char *p, size_t pl) {
  size_t n = 1;
  for (size_t i = 0; i < pl; i++) n += p[i] == ' ';
  return n;
}

/* Which sides of o the words take: bit 1 = side a, bit 2 = side b. At each position the
 * longest phrase of either side wins and hides the words it covers. */
static unsigned sides(const cwords *ws, const opposite *o) {
  unsigned r = 0;
  for (size_t i = 0; i < ws->n;) {
    size_t best = 0;
    unsigned bside = 0;
    for (int s = 0; s < 2; s++) {
      const char *list = s ? o->b : o->a;
      for (const char *p = list; *p;) {
        size_t pl = strcspn(p, "|");
        size_t nw = phrase_words(p, pl);
        if (nw > best && phrase_at(ws, i, p, pl)) best = nw, bside = s ? 2u : 1u;
        p += pl + (p[pl] == '|');
      }
    }
    r |= bside;
    i += best ? best : 1;
  }
  return r;
}

static const char *const FUNCTION_WORDS[] = {
    "the", "and", "for", "are", "was", "were", "been", "being", "has", "have", "had", "can", "could", "will",
    "would", "shall", "should", "may", "might", "must", "you", "your", "our", "their", "they", "them", "its",
    "this", "that", "these", "those", "with", "from", "into", "onto", "than", "then", "there", "here", "yes",
    "also", "which", "who", "what", "when", "where", "how", "why", "not", "does", "did", "but", "about", "per",
    "each", "via", "too", "just", "all", "any", "only", "some", "more", "most", "less", "one", "two", "other",
    NULL};

static bool same_stem(const char *a, const char *b);

/* Is w one of the words of the opposite lists? */
static bool in_opposites(const char *w) {
  size_t wl = strlen(w);
  for (size_t k = 0; k < NOPP; k++)
    for (int s = 0; s < 2; s++)
      for (const char *p = s ? OPPOSITES[k].b : OPPOSITES[k].a; *p;) {
        size_t n = strcspn(p, "| ");
        if (n == wl && !memcmp(p, w, n)) return true;
        p += n + (p[n] != 0);
      }
  return false;
}

/* Content words: what a sentence is about (the opposite words are what it says of it). */
static bool is_content(const char *w) {
  if (strlen(w) < 3 || isdigit((unsigned char)w[0]) || in_opposites(w)) return false;
  for (int i = 0; FUNCTION_WORDS[i]; i++)
    if (!strcmp(FUNCTION_WORDS[i], w)) return false;
  return true;
}

static size_t n_content(const cwords *x) {
  size_t n = 0;
  for (size_t i = 0; i < x->n; i++) {
    if (!is_content(x->w[i])) continue;
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++) dup = same_stem(x->w[j], x->w[i]);
    n += !dup;
  }
  return n;
}

/* Same word up to a plural / verb ending (item ~ items, renew ~ renews). */
static bool same_stem(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  while (la > 4 && (a[la - 1] == 's' || a[la - 1] == 'd')) la--;
  while (lb > 4 && (b[lb - 1] == 's' || b[lb - 1] == 'd')) lb--;
  return la == lb && !memcmp(a, b, la);
}

static bool has_word(const cwords *ws, const char *w) {
  for (size_t i = 0; i < ws->n; i++)
    if (same_stem(ws->w[i], w)) return true;
  return false;
}

/* Content words the two sentences share. */
static size_t shared(const cwords *x, const cwords *y) {
  size_t n = 0;
  for (size_t i = 0; i < x->n; i++) {
    if (!is_content(x->w[i])) continue;
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++) dup = same_stem(x->w[j], x->w[i]);
    if (!dup && has_word(y, x->w[i])) n++;
  }
  return n;
}

/* A word of x whose negative-prefix form is in y but which y lacks itself (used against
 * unused, refundable against non-refundable). Writes both into out. */
static bool prefix_opposite(char *out, size_t cap, const cwords *x, const cwords *y) {
  static const char *const PFX[] = {"un", "in", "im", "ir", "il", "non", "non-", NULL};
  for (size_t i = 0; i < x->n; i++) {
    const char *w = x->w[i];
    if (strlen(w) < 4 || !is_content(w) || has_word(y, w)) continue;
    for (size_t j = 0; j < y->n; j++)
      for (int p = 0; PFX[p]; p++) {
        size_t pl = strlen(PFX[p]);
        if (!strncmp(y->w[j], PFX[p], pl) && !strcmp(y->w[j] + pl, w) && !has_word(x, y->w[j])) {
          snprintf(out, cap, "'%s' against '%s'", w, y->w[j]);
          return true;
        }
      }
  }
  return false;
}

/* Do the two sentences speak about the same thing? Most of what the answer sentence is
 * about is in the source sentence, and a fair part of what the source sentence is about
 * is in the answer. */
static bool related(const cwords *a, const cwords *s) {
  size_t sh = shared(a, s);
  return sh >= 2 && (double)sh >= MIN_ANSWER_SHARE * (double)n_content(a) &&
         (double)sh >= MIN_SOURCE_SHARE * (double)n_content(s);
}

int ecai__guard_contradiction(char *out, size_t cap, const char *ans, size_t alen, const char *src, size_t slen) {
  cwords a, s;
  words_of(&a, ans, alen);
  words_of(&s, src, slen);
  if (!related(&a, &s)) return 0;
  for (size_t k = 0; k < NOPP; k++) {
    unsigned x = sides(&a, &OPPOSITES[k]), y = sides(&s, &OPPOSITES[k]);
    if ((x == 1 && y == 2) || (x == 2 && y == 1)) {
      snprintf(out, cap, "%s: the answer takes the side the source does not", OPPOSITES[k].name);
      return 1 + 2 * (int)k + (x == 2);
    }
  }
  char pair[96];
  if (prefix_opposite(pair, sizeof pair, &a, &s) || prefix_opposite(pair, sizeof pair, &s, &a)) {
    snprintf(out, cap, "antonym %s", pair);
    return -1;
  }
  return 0;
}

bool ecai__guard_same_side(int kind, const char *ans, size_t alen, const char *src, size_t slen) {
  if (kind <= 0) return false;
  size_t k = (size_t)(kind - 1) / 2;
  unsigned x = (kind - 1) % 2 ? 2u : 1u;
  if (k >= NOPP) return false;
  cwords a, s;
  words_of(&a, ans, alen);
  words_of(&s, src, slen);
  return related(&a, &s) && (sides(&s, &OPPOSITES[k]) & x);
}
