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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guard_internal.h"

#define CW_MAX ECAI__CSENT_WORDS
#define CW_LEN ECAI__CSENT_WORDLEN
/* Shares of content words the two sentences must have in common (fitted on the tune half
 * of guard_lies.jsonl and the faithful answers of policy_facts.jsonl). */
#define MIN_ANSWER_SHARE 0.6
#define MIN_SOURCE_SHARE 0.3

typedef ecai__csent cwords;

/* Lower-case ASCII words; a hyphen or an apostrophe inside a word is kept
 * ("non-refundable", "don't"); quoted stretches are skipped. */
static void words_of(cwords *o, const char *s, size_t len) {
  o->n = 0;
  bool quoted = false;
  for (size_t i = 0; i < len && o->n < CW_MAX;) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\'' || c == '"') {
      bool inner = i > 0 && ecai__g_alnum(s[i - 1]) && i + 1 < len && ecai__g_alpha(s[i + 1]);
      if (!inner) quoted = !quoted;
      i++;
      continue;
    }
    if (!ecai__g_alnum((char)c)) {
      i++;
      continue;
    }
    size_t k = 0;
    while (i < len) {
      c = (unsigned char)s[i];
      bool join = (c == '-' || c == '\'') && k && i + 1 < len && ecai__g_alpha(s[i + 1]);
      if (!ecai__g_alnum((char)c) && !join) break;
      if (k < CW_LEN - 1 && c != '\'') o->w[o->n][k++] = ecai__g_lower((char)c);
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
_Static_assert(NOPP == ECAI__CSENT_PAIRS, "ECAI__CSENT_PAIRS must be the number of OPPOSITES");

static const char *const FUNCTION_WORDS[] = {
    "the", "and", "for", "are", "was", "were", "been", "being", "has", "have", "had", "can", "could", "will",
    "would", "shall", "should", "may", "might", "must", "you", "your", "our", "their", "they", "them", "its",
    "this", "that", "these", "those", "with", "from", "into", "onto", "than", "then", "there", "here", "yes",
    "also", "which", "who", "what", "when", "where", "how", "why", "not", "does", "did", "but", "about", "per",
    "each", "via", "too", "just", "all", "any", "only", "some", "more", "most", "less", "one", "two", "other",
    NULL};

/* Built once on first use: the words that are never content (function words and every word
 * of the opposite lists) and the phrases of the opposite lists split into words, sorted by
 * their first word; every such word is found by hash in lex. */
#define PHRASE_WORDS 6
typedef struct {
  const char *w[PHRASE_WORDS];
  uint8_t nw, pair, side; /* side: 1 = a, 2 = b */
} phrase;
typedef struct {
  const char *first;
  uint16_t idx; /* into phrases: list order (pair, side a before b, phrase) breaks ties */
} phrase_first;
/* A word of the lists, found by hash (open addressing): never content, and/or the first
 * word of the phrases T.first[lo .. hi). */
typedef struct {
  const char *w;
  uint16_t lo, hi;
  bool not_content;
} lexeme;
#define LEX_SLOTS 1024 /* filled to 3/4 at most */
static struct {
  lexeme lex[LEX_SLOTS];
  size_t nlex;
  phrase phrases[256];
  phrase_first first[256];
  size_t n_phrases;
  char words[4096];
  size_t used;
} T;
static pthread_once_t T_once = PTHREAD_ONCE_INIT;

static size_t lex_slot(const char *w) { /* FNV-1a */
  uint32_t h = 2166136261u;
  for (; *w; w++) h = (h ^ (unsigned char)*w) * 16777619u;
  return h & (LEX_SLOTS - 1);
}

/* The entry of w: the one holding it, or the empty slot where it would go. */
static lexeme *lex_find(const char *w) {
  size_t i = lex_slot(w);
  while (T.lex[i].w && strcmp(T.lex[i].w, w)) i = (i + 1) & (LEX_SLOTS - 1);
  return &T.lex[i];
}

static int cmp_first(const void *a, const void *b) {
  const phrase_first *x = a, *y = b;
  int c = strcmp(x->first, y->first);
  return c ? c : (int)x->idx - (int)y->idx;
}

/* Marks w (kept while the process lives) as never content; a full table takes no more. */
static void mark_not_content(const char *w) {
  lexeme *e = lex_find(w);
  if (!e->w) {
    if (T.nlex >= LEX_SLOTS / 4 * 3) return;
    e->w = w;
    T.nlex++;
  }
  e->not_content = true;
}

/* A copy of the n bytes of w in T.words (NUL-terminated); NULL when full. */
static const char *keep_word(const char *w, size_t n) {
  if (T.used + n + 1 > sizeof T.words) return NULL;
  char *c = T.words + T.used;
  memcpy(c, w, n);
  c[n] = 0;
  T.used += n + 1;
  return c;
}

/* Splits phrase p (pl bytes, words separated by ' ') of pair k, side s into T. */
static void add_phrase(const char *p, size_t pl, size_t k, int s) {
  if (T.n_phrases == sizeof T.phrases / sizeof *T.phrases) return;
  phrase *ph = &T.phrases[T.n_phrases];
  memset(ph, 0, sizeof *ph);
  for (const char *q = p, *e = p + pl; q < e && ph->nw < PHRASE_WORDS;) {
    const char *sp = memchr(q, ' ', (size_t)(e - q));
    size_t wl = sp ? (size_t)(sp - q) : (size_t)(e - q);
    const char *w = keep_word(q, wl);
    if (!w) return;
    ph->w[ph->nw++] = w;
    mark_not_content(w);
    q += wl + (sp ? 1 : 0);
  }
  ph->pair = (uint8_t)k;
  ph->side = (uint8_t)(s ? 2 : 1);
  T.first[T.n_phrases] = (phrase_first){ph->w[0], (uint16_t)T.n_phrases};
  T.n_phrases++;
}

static void tables_init(void) {
  for (int i = 0; FUNCTION_WORDS[i]; i++) mark_not_content(FUNCTION_WORDS[i]);
  for (size_t k = 0; k < NOPP; k++)
    for (int s = 0; s < 2; s++)
      for (const char *p = s ? OPPOSITES[k].b : OPPOSITES[k].a; *p;) {
        size_t pl = strcspn(p, "|");
        add_phrase(p, pl, k, s);
        p += pl + (p[pl] == '|');
      }
  qsort(T.first, T.n_phrases, sizeof *T.first, cmp_first);
  for (size_t i = 0; i < T.n_phrases; i++) {
    lexeme *e = lex_find(T.first[i].first);
    if (!e->w || e->hi <= e->lo) e->w = T.first[i].first, e->lo = (uint16_t)i; /* runs of one first word */
    e->hi = (uint16_t)(i + 1);
  }
}

/* The phrases starting with word w: T.first[*lo .. *hi). */
static void phrases_from(const char *w, size_t *lo, size_t *hi) {
  const lexeme *e = lex_find(w);
  *lo = e->w ? e->lo : 0;
  *hi = e->w ? e->hi : 0;
}

static bool phrase_at(const cwords *ws, size_t i, const phrase *ph) {
  if (i + ph->nw > ws->n) return false;
  for (size_t t = 0; t < ph->nw; t++)
    if (strcmp(ws->w[i + t], ph->w[t])) return false;
  return true;
}

/* Which sides of each pair the words take: bit 1 = side a, bit 2 = side b. For each pair,
 * at each position the longest phrase of either side wins and hides the words it covers
 * ("no longer available" is not "available"). */
static void all_sides(cwords *o) {
  size_t lo[CW_MAX], hi[CW_MAX];
  for (size_t i = 0; i < o->n; i++) phrases_from(o->w[i], &lo[i], &hi[i]);
  for (size_t k = 0; k < NOPP; k++) {
    unsigned r = 0;
    for (size_t i = 0; i < o->n;) {
      size_t best = 0;
      unsigned bside = 0;
      for (size_t j = lo[i]; j < hi[i]; j++) {
        const phrase *ph = &T.phrases[T.first[j].idx];
        if (ph->pair == k && ph->nw > best && phrase_at(o, i, ph)) best = ph->nw, bside = ph->side;
      }
      r |= bside;
      i += best ? best : 1;
    }
    o->sides[k] = (uint8_t)r;
  }
}

/* Content words: what a sentence is about (the opposite words are what it says of it). */
static bool is_content(const char *w) {
  if (strlen(w) < 3 || isdigit((unsigned char)w[0])) return false;
  const lexeme *e = lex_find(w);
  return !(e->w && e->not_content);
}

/* Word i of x and word j of y are the same word up to a plural / verb ending (item ~
 * items, renew ~ renews), from their precomputed stems. */
static bool same_stem_at(const cwords *x, size_t i, const cwords *y, size_t j) {
  return x->stem_hash[i] == y->stem_hash[j] && x->stem_len[i] == y->stem_len[j] &&
         !memcmp(x->w[i], y->w[j], x->stem_len[i]);
}

static bool has_word_at(const cwords *ws, const cwords *x, size_t i) {
  for (size_t j = 0; j < ws->n; j++)
    if (same_stem_at(ws, j, x, i)) return true;
  return false;
}

/* Stems, and which content words are the first of their stem in the sentence (the
 * distinct content words: what n_content counts). */
static void stems_of(cwords *x) {
  x->n_content = 0;
  x->bloom = 0;
  for (size_t i = 0; i < x->n; i++) {
    size_t l = strlen(x->w[i]);
    while (l > 4 && (x->w[i][l - 1] == 's' || x->w[i][l - 1] == 'd')) l--;
    x->stem_len[i] = (uint8_t)l;
    x->stem_hash[i] = XXH3_64bits(x->w[i], l);
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++) dup = same_stem_at(x, j, x, i);
    x->first[i] = x->content[i] && !dup;
    x->n_content += x->first[i];
    if (x->first[i]) x->bloom |= 1ull << (x->stem_hash[i] & 63);
  }
}

/* Content words the two sentences share. */
static size_t shared(const cwords *x, const cwords *y) {
  size_t n = 0;
  for (size_t i = 0; i < x->n; i++)
    if (x->first[i] && has_word_at(y, x, i)) n++;
  return n;
}

/* A word of x whose negative-prefix form is in y but which y lacks itself (used against
 * unused, refundable against non-refundable). Writes both into out. */
static bool prefix_opposite(char *out, size_t cap, const cwords *x, const cwords *y) {
  static const char *const PFX[] = {"un", "in", "im", "ir", "il", "non", "non-", NULL};
  struct {
    uint8_t j, pl;
  } neg[CW_MAX * 7]; /* y's words that start with a negative prefix, in order */
  size_t nneg = 0;
  for (size_t j = 0; j < y->n; j++)
    for (int p = 0; PFX[p] && strchr("uin", y->w[j][0]); p++) {
      size_t pl = strlen(PFX[p]);
      if (!strncmp(y->w[j], PFX[p], pl) && strlen(y->w[j] + pl) >= 4) neg[nneg].j = (uint8_t)j, neg[nneg++].pl = (uint8_t)pl;
    }
  for (size_t i = 0; nneg && i < x->n; i++) {
    const char *w = x->w[i];
    if (strlen(w) < 4 || !x->content[i] || has_word_at(y, x, i)) continue;
    for (size_t k = 0; k < nneg; k++) {
      const char *yw = y->w[neg[k].j];
      if (!strcmp(yw + neg[k].pl, w) && !has_word_at(x, y, neg[k].j)) {
        snprintf(out, cap, "'%s' against '%s'", w, yw);
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
  if (!(a->bloom & s->bloom)) return false; /* no content stem in common */
  size_t sh = shared(a, s);
  return sh >= 2 && (double)sh >= MIN_ANSWER_SHARE * (double)a->n_content &&
         (double)sh >= MIN_SOURCE_SHARE * (double)s->n_content;
}

void ecai__csent_analyse(ecai__csent *o, const char *text, size_t len) {
  pthread_once(&T_once, tables_init);
  words_of(o, text, len);
  for (size_t i = 0; i < o->n; i++) o->content[i] = is_content(o->w[i]);
  stems_of(o);
  all_sides(o);
}

int ecai__guard_contradiction(char *out, size_t cap, const ecai__csent *a, const ecai__csent *s) {
  if (!related(a, s)) return 0;
  for (size_t k = 0; k < NOPP; k++) {
    unsigned x = a->sides[k], y = s->sides[k];
    if ((x == 1 && y == 2) || (x == 2 && y == 1)) {
      snprintf(out, cap, "%s: the answer takes the side the source does not", OPPOSITES[k].name);
      return 1 + 2 * (int)k + (x == 2);
    }
  }
  char pair[96];
  if (prefix_opposite(pair, sizeof pair, a, s) || prefix_opposite(pair, sizeof pair, s, a)) {
    snprintf(out, cap, "antonym %s", pair);
    return -1;
  }
  return 0;
}

bool ecai__guard_same_side(int kind, const ecai__csent *a, const ecai__csent *s) {
  if (kind <= 0) return false;
  size_t k = (size_t)(kind - 1) / 2;
  unsigned x = (kind - 1) % 2 ? 2u : 1u;
  if (k >= NOPP) return false;
  return related(a, s) && (s->sides[k] & x);
}
