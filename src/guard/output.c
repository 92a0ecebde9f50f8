/* Guard: output checks — grounding (support score per sentence), negation, policy
 * terms, numbers / prices / durations, SKUs and prices against the catalog, PII,
 * banned phrases, system-prompt leakage, length. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libstemmer.h>

#include "guard/guard_internal.h"

/* Words ignored by the support score (function words and conversational filler).
 * Negators and quantifiers (not, no, only, any, all...) are NOT here: they carry meaning. */
static const char *const STOPWORDS[] = {
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "by", "for", "with",
    "from", "into", "onto", "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this",
    "that", "these", "those", "there", "here", "i", "me", "my", "we", "us", "our", "ours", "you", "your", "yours",
    "he", "she", "they", "them", "their", "his", "her", "will", "would", "shall", "should", "can", "could", "may",
    "might", "must", "do", "does", "did", "have", "has", "had", "which", "who", "whom", "what", "when", "where",
    "how", "why", "also", "just", "very", "too", "such", "some", "about", "up", "out", "over", "than", "while",
    "please", "thank", "thanks", "help", "happy", "glad", "sure", "certainly", "hope", "assist", "let", "know",
    "question", "questions", "feel", "hi", "hello", "dear", "regards", "okay", "ok", "yes", "great", "course",
    "indeed", "however", "therefore", "generally", "usually", "typically", "simply", "e", "g", "ie", "eg", "etc",
    "via", "per", "s", "t", "will", "able", "get", "got", "make", "made", "need", "needs", "want", "like", "note",
    "well", "both", "each", "either", "within", "after", "before", "during", "once", NULL};

static const char *const UNIT_WORDS[] = {"day", "days", "business", "working", "week", "weeks", "month", "months",
                                         "year", "years", "hour", "hours", "minute", "minutes", "percent",
                                         "dollar", "dollars", "usd", "eur", "euro", "euros", "pounds", "gbp", NULL};

/* Restrictive qualifiers: an answer that speaks about what they restrict must keep them. */
static const char *const QUALIFIERS[] = {"only", "single", "solely", "exclusively", "unless", "except", NULL};

static const char *const NEGATORS[] = {"not", "no", "never", "cannot", "cant", "dont", "doesnt", "didnt", "wont",
                                       "isnt", "arent", "wasnt", "werent", "shouldnt", "couldnt", "wouldnt",
                                       "mustnt", "neednt", "hasnt", "havent", "hadnt", "without", "none", "nothing",
                                       "nor", "neither", "non", "unable", NULL};

/* Policy terms: when one occurs in an answer sentence it must occur in the passage
 * that supports the sentence (statuses, payment routes, conditions, quantifiers). */
static const char *const TERMS[] = {
    "pending", "processed", "delivered", "cancelled", "return requested", "exchange requested",
    "items modified", "gift card", "paypal", "credit card", "debit card", "store credit", "bank account",
    "bank transfer", "cash", "original payment method", "full refund", "partial refund", "immediately", "business days", "working days", "receipt", "original packaging",
    "original condition", "free", "fee", "fees", "charge", "human agent", "price difference", "balance",
    "new order", "same product", "different product", "final sale", "no longer needed",
    "ordered by mistake", "twice", "only", "any", "all", "every", "always", "anytime", "unlimited", "guarantee",
    "guaranteed", "warranty", "coupon", "promo code", "loyalty", "points", "express", "standard",
    "international", "overnight", "same day", "next day", "confirmation", "authenticate", "zip code", "email",
    "user id", "order id", "tracking", "store", "phone", "unless", "except", "automatically", "lifetime",
    "worldwide", "weekends", "holidays", "24 7", "new", "existing", "same", "different", "partial", "later",
    "deny", "accept", "approve", "text message", "sms", "phone call", "letter", "fax", "in person", "apple pay",
    "google pay", "cash on delivery", "wire transfer", "cheque", "bitcoin", "crypto", "venmo", "klarna",
    "afterpay", "voucher", NULL};

/* Topic terms: when one occurs in an answer sentence it must occur somewhere in the
 * passage that supports the sentence (not necessarily in the same sentences). */
static const char *const PASSAGE_TERMS[] = {"return", "refund", "exchange", "cancel", "modify",
                                            "replace", "repair", NULL};

enum { U_PLAIN = 0, U_MONEY, U_PCT, U_DAY, U_BDAY, U_HOUR, U_MIN, U_MONTH, U_YEAR };
static const char *const UNIT_NAMES[] = {"", "money", "%", "days", "business days", "hours", "minutes", "months",
                                         "years"};

typedef struct {
  uint64_t h;
  uint8_t neg;    /* a negator outside quotes */
  uint8_t qual;   /* a restrictive qualifier (only, single, unless...) */
  uint8_t unit;   /* a unit word (days, business, percent...) */
  uint16_t clause; /* clause index inside the sentence */
} gtok;

typedef struct {
  double v;
  int unit;
  uint8_t verified; /* a price confirmed by the catalog */
  uint16_t clause;
} gnum;

typedef struct {
  size_t start, end; /* bytes */
  size_t tok0, ntok;
  size_t num0, nnum;
  uint64_t *set; /* sorted unique content hashes (points into doc->sets) */
  size_t nset;
  uint64_t bloom; /* one bit per hash of set (quick rejection) */
  uint64_t tbloom; /* one bit per token hash, negators included */
  bool neg;
  bool question; /* ends with '?': asks, claims nothing */
} gsent;

typedef struct gdoc {
  const char *text;
  gsent *s;
  size_t ns, caps;
  gtok *t;
  size_t nt, capt;
  gnum *num;
  size_t nn, capn;
  uint64_t *sets;
  size_t nsets;
  ecai__csent *cs;   /* contradiction analyses of the sentences, made on first use (or NULL) */
  struct gdoc *home; /* a shallow copy of a cache entry: the entry (keeps cs for later calls) */
} gdoc;

static void doc_free(gdoc *d) {
  ecai__free(d->cs);
  ecai__free(d->s);
  ecai__free(d->t);
  ecai__free(d->num);
  ecai__free(d->sets);
  memset(d, 0, sizeof *d);
}

#define GROW(arr, n, cap)                                                                       \
  do {                                                                                          \
    if ((n) == (cap)) {                                                                         \
      size_t nc__ = (cap) ? (cap) * 2 : 32;                                                     \
      void *np__ = ecai__realloc((arr), nc__ * sizeof *(arr));                                  \
      if (!np__) return ECAI_ENOMEM;                                                            \
      (arr) = np__;                                                                             \
      (cap) = nc__;                                                                             \
    }                                                                                           \
  } while (0)

static uint64_t hw(const char *s, size_t n) { return XXH3_64bits(s, n); }

/* ---- words of a sentence ------------------------------------------------------------ */

typedef struct {
  char w[48];
  size_t len;
  bool num;      /* digits */
  double v;
  bool money;    /* preceded by a currency symbol */
  bool pct;      /* followed by % */
  bool quoted;   /* inside quotes */
  uint16_t clause;
  uint64_t h;    /* XXH3 of w */
  uint8_t cls;   /* WC_* bits */
  int nv;        /* value of a number word, or -1 */
} rword;

/* Word classes, looked up by hash in a small per-guard table. */
enum { WC_STOP = 1, WC_NEG = 2, WC_QUAL = 4, WC_UNIT = 8, WC_NUM = 16, WC_CLAUSE = 32 };
typedef struct {
  uint64_t h;
  uint8_t cls;
  int nv;
} gwc;
#define WC_SLOTS 1024u

static const gwc *wc_get(const ecai_guard *g, uint64_t h) {
  const gwc *t = g->wc;
  for (size_t i = h & (WC_SLOTS - 1);; i = (i + 1) & (WC_SLOTS - 1)) {
    if (!t[i].cls) return NULL;
    if (t[i].h == h) return &t[i];
  }
}

static bool is_wordc(unsigned char c) { return isalnum(c) || c >= 0x80; }

static const char *const ABBREV[] = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "vs", "no", "approx",
                                     "inc", "ltd", "co", NULL};

static int number_word(const char *w) {
  static const char *const ONES[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                     "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                     "sixteen", "seventeen", "eighteen", "nineteen", "twenty", NULL};
  static const char *const TENS[] = {"thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", NULL};
  for (int i = 0; ONES[i]; i++)
    if (!strcmp(w, ONES[i])) return i;
  for (int i = 0; TENS[i]; i++)
    if (!strcmp(w, TENS[i])) return 30 + 10 * i;
  if (!strcmp(w, "hundred")) return 100;
  return -1;
}

static int unit_of(const rword *w, size_t n, size_t i, size_t *consumed) {
  *consumed = 0;
  if (i >= n) return U_PLAIN;
  const char *a = w[i].w;
  const char *b = i + 1 < n ? w[i + 1].w : "";
  if ((!strcmp(a, "business") || !strcmp(a, "working")) && (!strcmp(b, "day") || !strcmp(b, "days"))) {
    *consumed = 2;
    return U_BDAY;
  }
  *consumed = 1;
  if (!strcmp(a, "day") || !strcmp(a, "days")) return U_DAY;
  if (!strcmp(a, "week") || !strcmp(a, "weeks")) return U_DAY + 100; /* x7 */
  if (!strcmp(a, "hour") || !strcmp(a, "hours")) return U_HOUR;
  if (!strcmp(a, "minute") || !strcmp(a, "minutes")) return U_MIN;
  if (!strcmp(a, "month") || !strcmp(a, "months")) return U_MONTH;
  if (!strcmp(a, "year") || !strcmp(a, "years")) return U_YEAR;
  if (!strcmp(a, "percent") || !strcmp(a, "per") ) {
    if (!strcmp(a, "per") && strcmp(b, "cent")) { *consumed = 0; return U_PLAIN; }
    *consumed = !strcmp(a, "per") ? 2 : 1;
    return U_PCT;
  }
  if (!strcmp(a, "dollars") || !strcmp(a, "dollar") || !strcmp(a, "usd") || !strcmp(a, "eur") ||
      !strcmp(a, "euros") || !strcmp(a, "euro") || !strcmp(a, "pounds") || !strcmp(a, "gbp"))
    return U_MONEY;
  *consumed = 0;
  return U_PLAIN;
}

static bool is_connector(const char *w) {
  return !strcmp(w, "to") || !strcmp(w, "or") || !strcmp(w, "and") || !strcmp(w, "through");
}

/* Appends the numbers of words w[0..n) to d. */
static ecai_status numbers_of(gdoc *d, rword *w, size_t n) {
  static const char *const ONE_CTX[] = {"only", "just", "exactly", "least", "most", "within", "than", NULL};
  for (size_t i = 0; i < n; i++) {
    double v;
    bool money = w[i].money, pct = w[i].pct;
    size_t last = i;
    if (w[i].num) v = w[i].v;
    else {
      int nw = w[i].nv;
      if (nw < 0) continue;
      v = nw;
      if (nw >= 30 && nw < 100 && i + 1 < n) {
        int u = w[i + 1].nv;
        if (u > 0 && u < 10) v += u, last = i + 1;
      }
      if (nw == 1 || nw == 0) { /* "one" is a number only next to a unit or a limiter */
        size_t c;
        bool ctx = i > 0 && (!strcmp(w[i - 1].w, "only") || !strcmp(w[i - 1].w, "just") ||
                             !strcmp(w[i - 1].w, "exactly") || !strcmp(w[i - 1].w, "least") ||
                             !strcmp(w[i - 1].w, "most") || !strcmp(w[i - 1].w, "within"));
        (void)ONE_CTX;
        if (!ctx && unit_of(w, n, i + 1, &c) == U_PLAIN) continue;
      }
    }
    /* a range "5 to 7 business days", "3-5 days": the unit after the last number */
    size_t j = last + 1;
    size_t group_end = last;
    double vals[4] = {v};
    int nv = 1;
    while (nv < 4 && j + 1 <= n) {
      size_t k = j;
      if (k < n && is_connector(w[k].w)) k++;
      if (k < n && (w[k].num || w[k].nv >= 0) && (k > j || w[k].num)) {
        vals[nv++] = w[k].num ? w[k].v : w[k].nv;
        money = money || w[k].money;
        pct = pct || w[k].pct;
        group_end = k;
        j = k + 1;
      } else break;
    }
    size_t c;
    int unit = unit_of(w, n, group_end + 1, &c);
    double mul = 1;
    if (unit == U_DAY + 100) unit = U_DAY, mul = 7;
    if (money) unit = U_MONEY;
    if (pct) unit = U_PCT;
    for (int k = 0; k < nv; k++) {
      GROW(d->num, d->nn, d->capn);
      d->num[d->nn++] = (gnum){vals[k] * mul, unit, 0, w[i].clause};
    }
    i = group_end;
  }
  return ECAI_OK;
}

typedef struct {
  ecai_guard *g;
  rword *w;
  size_t nw, capw;
} actx;

static ecai_status end_sentence(gdoc *d, actx *a, size_t start, size_t end) {
  if (a->nw == 0) return ECAI_OK;
  GROW(d->s, d->ns, d->caps);
  gsent *s = &d->s[d->ns];
  memset(s, 0, sizeof *s);
  s->start = start;
  s->end = end;
  s->tok0 = d->nt;
  s->num0 = d->nn;
  ecai_status st = numbers_of(d, a->w, a->nw);
  if (st) return st;
  s->nnum = d->nn - s->num0;
  for (size_t i = 0; i < a->nw; i++) {
    rword *w = &a->w[i];
    if (w->num || w->nv >= 0) continue;
    uint64_t raw = w->h;
    if (w->cls & WC_STOP) continue;
    /* "No, ..." opening an answer to a yes/no question answers it: the statement after
     * the comma is what is checked, and it is not negated */
    if (i == 0 && w->len == 2 && !memcmp(w->w, "no", 2) && a->nw > 1 && a->w[1].clause != w->clause) continue;
    bool neg = (w->cls & WC_NEG) && !w->quoted, qual = (w->cls & WC_QUAL) && !w->quoted;
    if (neg) s->neg = true;
    /* stems are memoised in a direct-mapped table keyed by the word's hash */
    uint64_t *sc = a->g->stem_cache;
    size_t slot = (size_t)(raw & (ECAI__GUARD_STEM_SLOTS - 1)) * 2;
    uint64_t h;
    if (sc && sc[slot] == raw && sc[slot + 1]) {
      h = sc[slot + 1];
    } else {
      const sb_symbol *stem = sb_stemmer_stem(a->g->stemmer, (const sb_symbol *)w->w, (int)w->len);
      h = stem ? hw((const char *)stem, (size_t)sb_stemmer_length(a->g->stemmer)) : raw;
      if (sc && h) sc[slot] = raw, sc[slot + 1] = h;
    }
    GROW(d->t, d->nt, d->capt);
    bool unitw = (w->cls & WC_UNIT) != 0;
    d->t[d->nt++] = (gtok){h, neg, qual, unitw, w->clause};
  }
  s->ntok = d->nt - s->tok0;
  {
    size_t e = end;
    while (e > start && isspace((unsigned char)d->text[e - 1])) e--;
    s->question = e > start && d->text[e - 1] == '?';
  }
  d->ns++;
  a->nw = 0;
  return ECAI_OK;
}

static ecai_status analyse(gdoc *d, ecai_guard *g, const char *s, size_t len, actx *a) {
  memset(d, 0, sizeof *d);
  d->text = s;
  a->nw = 0;
  size_t sent_start = 0;
  ecai_status st;
  bool money_next = false, in_quote = false;
  uint16_t clause = 0;
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    /* quotes outside words: open after a non-word character, close otherwise */
    if (c == '"' || c == '\'' || (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                                   (unsigned char)s[i + 2] >= 0x98 && (unsigned char)s[i + 2] <= 0x9D)) {
      /* inside quotes any quote closes; outside, a quote right after a word is an
       * apostrophe ("customers'") and anything else opens */
      if (in_quote) in_quote = false;
      else if (c == 0xE2) in_quote = (unsigned char)s[i + 2] == 0x98 || (unsigned char)s[i + 2] == 0x9C;
      else in_quote = i == 0 || !is_wordc((unsigned char)s[i - 1]);
      i += c == 0xE2 ? 3 : 1;
      continue;
    }
    if (c == ',' || c == ';' || c == ':' || c == '(' || c == ')') {
      if (a->nw && a->w[a->nw - 1].clause == clause) clause++;
    }
    if (c == '[') { /* citation or placeholder: [faq04], [1], [EMAIL_1] */
      size_t e = i + 1;
      while (e < len && e - i < 26 && s[e] != ']' && s[e] != ' ' && s[e] != '[') e++;
      if (e < len && s[e] == ']') {
        i = e + 1;
        continue;
      }
    }
    if (c == '$' || (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x82 && (unsigned char)s[i + 2] == 0xAC) ||
        (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA3)) {
      money_next = true;
      i += c == '$' ? 1 : c == 0xE2 ? 3 : 2;
      continue;
    }
    if (is_wordc(c)) {
      GROW(a->w, a->nw, a->capw);
      rword *w = &a->w[a->nw];
      memset(w, 0, sizeof *w);
      w->quoted = in_quote;
      size_t j = i;
      bool digits = isdigit(c) != 0;
      while (j < len) {
        unsigned char x = (unsigned char)s[j];
        if (is_wordc(x)) {
          if (!isdigit(x)) digits = false;
          if (w->len < sizeof w->w - 1) w->w[w->len++] = (char)tolower(x);
          j++;
        } else if ((x == '\'' ) && j + 1 < len && isalpha((unsigned char)s[j + 1]) && !digits) {
          j++;
        } else if (x == 0xE2 && j + 3 < len && (unsigned char)s[j + 1] == 0x80 && (unsigned char)s[j + 2] == 0x99 &&
                   isalpha((unsigned char)s[j + 3])) {
          j += 3;
        } else if ((x == '.' || x == ',') && digits && j + 1 < len && isdigit((unsigned char)s[j + 1]) &&
                   w->len > 0) {
          if (w->len < sizeof w->w - 1) w->w[w->len++] = (char)x;
          j++;
        } else break;
      }
      w->w[w->len] = 0;
      w->h = hw(w->w, w->len);
      const gwc *wc = wc_get(a->g, w->h);
      w->cls = wc ? wc->cls : 0;
      w->nv = wc && (wc->cls & WC_NUM) ? wc->nv : -1;
      if ((w->cls & WC_CLAUSE) && a->nw && a->w[a->nw - 1].clause == clause) clause++;
      w->clause = clause;
      /* digits glued to a word by '-' or '_' (LMP-3300, A_12) are part of an id */
      bool glued = i >= 2 && (s[i - 1] == '-' || s[i - 1] == '_') && isalnum((unsigned char)s[i - 2]) &&
                   !isdigit((unsigned char)s[i - 2]);
      if (digits && glued) {
        money_next = false;
        i = j;
        continue;
      }
      if (digits) {
        char tmp[48];
        size_t k = 0;
        for (size_t q = 0; q < w->len; q++)
          if (w->w[q] != ',') tmp[k++] = w->w[q];
        tmp[k] = 0;
        w->num = true;
        w->v = strtod(tmp, NULL);
        w->money = money_next;
        if (j < len && s[j] == '%') w->pct = true;
      } else {
        /* a word glued to digits (W123, 5kg): not a number, keep as a token */
      }
      money_next = false;
      a->nw++;
      i = j;
      continue;
    }
    money_next = false;
    bool end = false;
    if (c == '\n') end = true;
    else if ((c == '.' || c == '!' || c == '?') && (i + 1 >= len || isspace((unsigned char)s[i + 1]) ||
                                                    s[i + 1] == '"' || s[i + 1] == ')' || s[i + 1] == '*')) {
      end = true;
      if (c == '.' && a->nw > 0) {
        const char *lw = a->w[a->nw - 1].w;
        for (const char *const *q = ABBREV; *q; q++)
          if (!strcmp(lw, *q)) end = false;
        if (strlen(lw) == 1 && isalpha((unsigned char)lw[0]) && i >= 2 && s[i - 2] == '.') end = false;
      }
    }
    if (end) {
      if ((st = end_sentence(d, a, sent_start, i + 1))) return st;
      sent_start = i + 1;
      in_quote = false;
      clause = 0;
    }
    i++;
  }
  if ((st = end_sentence(d, a, sent_start, len))) return st;
  /* per-sentence sorted unique sets */
  d->sets = ecai__malloc((d->nt + 1) * sizeof *d->sets);
  if (!d->sets) return ECAI_ENOMEM;
  size_t w = 0;
  for (size_t k = 0; k < d->ns; k++) {
    gsent *se = &d->s[k];
    se->set = d->sets + w;
    size_t k2 = 0; /* negators are left out: polarity is checked on its own */
    for (size_t q = 0; q < se->ntok; q++)
      if (!d->t[se->tok0 + q].neg) d->sets[w + k2++] = d->t[se->tok0 + q].h;
    ecai__u64vec tmp = {se->set, k2, se->ntok};
    ecai__u64vec_sort_unique(&tmp);
    se->nset = tmp.n;
    se->bloom = se->tbloom = 0;
    for (size_t q = 0; q < se->nset; q++) se->bloom |= 1ull << (se->set[q] & 63);
    for (size_t q = 0; q < se->ntok; q++) se->tbloom |= 1ull << (d->t[se->tok0 + q].h & 63);
    w += se->ntok;
  }
  (void)g;
  return ECAI_OK;
}

static size_t n_window_terms(void) {
  size_t n = 0;
  while (TERMS[n]) n++;
  return n;
}

static const char *term_name(size_t i) {
  size_t nw = n_window_terms();
  return i < nw ? TERMS[i] : PASSAGE_TERMS[i - nw];
}

/* ---- analysed-source cache --------------------------------------------------------------- */

/* Sources repeat across calls (the same knowledge-base chunks are retrieved for many
 * questions): their analysis is kept in a small per-guard LRU keyed by XXH3-128 of the text. */
typedef struct {
  XXH128_hash_t key;
  uint64_t tick; /* last call that used it */
  gdoc doc;
  bool used;
} gcache_ent;

void ecai__guard_cache_free(ecai_guard *g) {
  gcache_ent *c = g->cache;
  for (size_t i = 0; c && i < ECAI__GUARD_CACHE; i++)
    if (c[i].used) doc_free(&c[i].doc);
  ecai__free(c);
  g->cache = NULL;
}

/* Fills *d with the analysis of text: a shallow copy of a cache entry (*owned = false) or a
 * fresh analysis the caller frees (*owned = true) when it cannot be cached. */
static ecai_status cached_analyse(gdoc *d, bool *owned, ecai_guard *g, const char *text, actx *a) {
  size_t len = strlen(text);
  XXH128_hash_t key = XXH3_128bits(text, len);
  gcache_ent *c = g->cache;
  if (!c && g->cache_on) c = g->cache = ecai__calloc(ECAI__GUARD_CACHE, sizeof *c);
  if (c) {
    for (size_t i = 0; i < ECAI__GUARD_CACHE; i++)
      if (c[i].used && XXH128_isEqual(c[i].key, key)) {
        c[i].tick = g->cache_tick;
        *d = c[i].doc;
        d->home = &c[i].doc;
        *owned = false;
        return ECAI_OK;
      }
  }
  ecai_status st = analyse(d, g, text, len, a);
  if (st) {
    doc_free(d);
    return st;
  }
  d->text = NULL;
  *owned = true;
  if (!c) return ECAI_OK;
  /* evict the least recently used entry not used by this call */
  size_t victim = ECAI__GUARD_CACHE;
  for (size_t i = 0; i < ECAI__GUARD_CACHE; i++) {
    if (!c[i].used) {
      victim = i;
      break;
    }
    if (c[i].tick != g->cache_tick && (victim == ECAI__GUARD_CACHE || c[i].tick < c[victim].tick)) victim = i;
  }
  if (victim == ECAI__GUARD_CACHE) return ECAI_OK; /* all entries serve this call */
  if (c[victim].used) doc_free(&c[victim].doc);
  c[victim].key = key;
  c[victim].tick = g->cache_tick;
  c[victim].doc = *d;
  d->home = &c[victim].doc;
  c[victim].used = true;
  *owned = false;
  return ECAI_OK;
}

/* ---- guard set-up pieces ----------------------------------------------------------------- */

static void wc_add(gwc *t, const char *w, uint8_t cls, int nv) {
  uint64_t h = hw(w, strlen(w));
  size_t i = h & (WC_SLOTS - 1);
  while (t[i].cls && t[i].h != h) i = (i + 1) & (WC_SLOTS - 1);
  t[i].h = h;
  t[i].cls |= cls;
  if (cls & WC_NUM) t[i].nv = nv;
}

ecai_status ecai__guard_terms_init(ecai_guard *g) {
  g->stemmer = sb_stemmer_new("english", NULL);
  if (!g->stemmer) return ecai__err(ECAI_ENOMEM, "guard: cannot create the English stemmer");
  gwc *t = ecai__calloc(WC_SLOTS, sizeof *t);
  if (!t) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  g->stem_cache = ecai__calloc(ECAI__GUARD_STEM_SLOTS * 2, sizeof(uint64_t));
  if (!g->stem_cache) {
    ecai__free(t);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  g->wc = t;
  for (const char *const *q = STOPWORDS; *q; q++) wc_add(t, *q, WC_STOP, 0);
  for (const char *const *q = NEGATORS; *q; q++) wc_add(t, *q, WC_NEG, 0);
  for (const char *const *q = QUALIFIERS; *q; q++) wc_add(t, *q, WC_QUAL, 0);
  for (const char *const *q = UNIT_WORDS; *q; q++) wc_add(t, *q, WC_UNIT, 0);
  static const char *const CLAUSE_WORDS[] = {"while", "whereas", "but", "otherwise", NULL};
  for (const char *const *q = CLAUSE_WORDS; *q; q++) wc_add(t, *q, WC_CLAUSE, 0);
  static const char *const NUMW[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                     "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                     "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
                                     "sixty", "seventy", "eighty", "ninety", "hundred", NULL};
  for (const char *const *q = NUMW; *q; q++) wc_add(t, *q, WC_NUM, number_word(*q));
  size_t nt = 0, np = 0;
  while (TERMS[nt]) nt++;
  while (PASSAGE_TERMS[np]) np++;
  nt += np;
  g->terms = ecai__calloc(nt, sizeof *g->terms);
  if (!g->terms) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  g->n_terms = nt;
  for (size_t i = 0; i < nt; i++) {
    const char *p = term_name(i);
    while (*p) {
      while (*p == ' ') p++;
      const char *e = p;
      while (*e && *e != ' ') e++;
      if (e > p) {
        uint64_t h;
        if (isdigit((unsigned char)*p)) h = hw(p, (size_t)(e - p));
        else {
          const sb_symbol *st = sb_stemmer_stem(g->stemmer, (const sb_symbol *)p, (int)(e - p));
          h = st ? hw((const char *)st, (size_t)sb_stemmer_length(g->stemmer)) : hw(p, (size_t)(e - p));
        }
        if (!ecai__u64vec_push(&g->terms[i], h)) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
      }
      p = e;
    }
  }
  return ECAI_OK;
}

ecai_status ecai__guard_word_hashes(ecai__u64vec *out, const char *s, size_t len) {
  char w[64];
  for (size_t i = 0; i < len;) {
    if (!is_wordc((unsigned char)s[i])) {
      i++;
      continue;
    }
    size_t n = 0;
    while (i < len && (is_wordc((unsigned char)s[i]) || s[i] == '\'')) {
      if (s[i] != '\'' && n < sizeof w) w[n++] = (char)tolower((unsigned char)s[i]);
      i++;
    }
    if (!ecai__u64vec_push(out, hw(w, n))) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  return ECAI_OK;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool seq_has(const gtok *t, size_t n, const ecai__u64vec *term) {
  if (!term->n || term->n > n) return false;
  for (size_t i = 0; i + term->n <= n; i++) {
    size_t k = 0;
    while (k < term->n && t[i + k].h == term->v[k]) k++;
    if (k == term->n) return true;
  }
  return false;
}

typedef struct {
  size_t src, sent; /* window = sentences sent, sent+1 of source src */
  size_t nwin;
  double cov;
  size_t best_single; /* index of the better single sentence */
} gbest;

static bool in_sent(const gsent *s, uint64_t h) {
  return (s->bloom & (1ull << (h & 63))) && ecai__u64_sorted_has(s->set, s->nset, h);
}

static double coverage(const gsent *a, const gsent *s1, const gsent *s2) {
  if (!a->nset) return 1;
  size_t hit = 0;
  for (size_t i = 0; i < a->nset; i++)
    if (in_sent(s1, a->set[i]) || (s2 && in_sent(s2, a->set[i]))) hit++;
  return (double)hit / (double)a->nset;
}

/* Bit k set when the k-th content word of a (a->nset <= 64) is in s. */
static uint64_t hit_mask(const gsent *a, const gsent *s) {
  uint64_t m = 0;
  if (!s) return 0;
  for (size_t i = 0; i < a->nset; i++)
    if (in_sent(s, a->set[i])) m |= 1ull << i;
  return m;
}

static void best_window(gbest *b, const gsent *a, const gdoc *src, size_t nsrc) {
  memset(b, 0, sizeof *b);
  b->cov = -1;
  if (a->nset > 0 && a->nset <= 64) { /* one membership pass per source sentence */
    double m = (double)a->nset;
    for (size_t s = 0; s < nsrc; s++) {
      uint64_t next = src[s].ns ? hit_mask(a, &src[s].s[0]) : 0;
      for (size_t j = 0; j < src[s].ns; j++) {
        uint64_t cur = next;
        bool has2 = j + 1 < src[s].ns;
        next = has2 ? hit_mask(a, &src[s].s[j + 1]) : 0;
        double c1 = __builtin_popcountll(cur) / m;
        double cw = has2 ? __builtin_popcountll(cur | next) / m : c1;
        if (cw > b->cov + 1e-9 || (fabs(cw - b->cov) < 1e-9 && c1 >= cw - 1e-9 && b->nwin == 2)) {
          b->cov = cw;
          b->src = s;
          b->sent = j;
          b->nwin = (has2 && cw > c1 + 1e-9) ? 2 : 1;
          double c2 = has2 ? __builtin_popcountll(next) / m : -1;
          b->best_single = c2 > c1 ? j + 1 : j;
        }
      }
    }
    if (b->cov < 0) b->cov = 0;
    return;
  }
  for (size_t s = 0; s < nsrc; s++)
    for (size_t j = 0; j < src[s].ns; j++) {
      const gsent *s1 = &src[s].s[j];
      const gsent *s2 = j + 1 < src[s].ns ? &src[s].s[j + 1] : NULL;
      double c1 = coverage(a, s1, NULL);
      double cw = s2 ? coverage(a, s1, s2) : c1;
      /* prefer the single sentence when the window adds nothing */
      if (cw > b->cov + 1e-9 || (fabs(cw - b->cov) < 1e-9 && c1 >= cw - 1e-9 && b->nwin == 2)) {
        b->cov = cw;
        b->src = s;
        b->sent = j;
        b->nwin = (s2 && cw > c1 + 1e-9) ? 2 : 1;
        double c2 = s2 ? coverage(a, s2, NULL) : -1;
        b->best_single = c2 > c1 ? j + 1 : j;
      }
    }
  if (b->cov < 0) b->cov = 0;
}

static bool num_eq(const gnum *a, const gnum *b) {
  if (fabs(a->v - b->v) > 0.005) return false;
  return a->unit == U_PLAIN || a->unit == b->unit;
}

static bool num_in(const gnum *x, const gdoc *d, size_t s0, size_t s1) {
  for (size_t k = s0; k < s1 && k < d->ns; k++)
    for (size_t q = 0; q < d->s[k].nnum; q++)
      if (num_eq(x, &d->num[d->s[k].num0 + q])) return true;
  return false;
}

static void fmt_num(char *buf, size_t cap, const gnum *x) {
  if (x->unit == U_MONEY) snprintf(buf, cap, "$%g", x->v);
  else if (x->unit == U_PCT) snprintf(buf, cap, "%g%%", x->v);
  else if (x->unit == U_PLAIN) snprintf(buf, cap, "%g", x->v);
  else snprintf(buf, cap, "%g %s", x->v, UNIT_NAMES[x->unit]);
}

static void snippet(char *buf, size_t cap, const char *s, size_t a, size_t b) {
  while (a < b && isspace((unsigned char)s[a])) a++;
  while (b > a && isspace((unsigned char)s[b - 1])) b--;
  size_t n = b - a;
  if (n > cap - 4) {
    n = cap - 4;
    while (n > 0 && ((unsigned char)s[a + n] & 0xC0) == 0x80) n--; /* UTF-8 boundary */
    snprintf(buf, cap, "%.*s...", (int)n, s + a);
  } else {
    snprintf(buf, cap, "%.*s", (int)n, s + a);
  }
  for (char *p = buf; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  ecai__utf8_fix(buf);
}

/* Case-insensitive search of needle (whitespace runs match any whitespace run). */
static bool contains_ci(const char *hay, const char *needle) {
  if (strcasestr(hay, needle)) return true; /* the common case, fast */
  bool ws = false;
  for (const char *p = needle; *p && !ws; p++) ws = isspace((unsigned char)*p) != 0;
  if (!ws) return false;
  int c0 = tolower((unsigned char)needle[0]);
  for (const char *h = hay; *h; h++) {
    if (tolower((unsigned char)*h) != c0) continue;
    const char *a = h, *b = needle;
    while (*a && *b) {
      if (isspace((unsigned char)*b)) {
        if (!isspace((unsigned char)*a)) break;
        while (isspace((unsigned char)*a)) a++;
        while (isspace((unsigned char)*b)) b++;
        continue;
      }
      if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) break;
      a++, b++;
    }
    if (!*b) return true;
  }
  return false;
}

static bool is_quote_before(const char *t, const char *p) {
  if (p == t) return false;
  unsigned char c = (unsigned char)p[-1];
  if (c == '\'' || c == '"') return true;
  return p - t >= 3 && (unsigned char)p[-3] == 0xE2 && (unsigned char)p[-2] == 0x80 && c >= 0x98 && c <= 0x9D;
}

static bool is_quote_at(const char *p) {
  unsigned char c = (unsigned char)p[0];
  if (c == '\'' || c == '"') return true;
  return c == 0xE2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] >= 0x98 && (unsigned char)p[2] <= 0x9D;
}

/* A quoted single word must be quoted in a source too ('returned' vs 'return requested'). */
static bool quoted_in(const char *hay, const char *w) {
  size_t n = strlen(w);
  for (const char *h = strcasestr(hay, w); h; h = strcasestr(h + 1, w))
    if (is_quote_before(hay, h) && is_quote_at(h + n)) return true;
  return false;
}

/* The first quoted phrase ('...', "...", curly quotes) of s[a..b) found in no source. */
static bool quoted_missing(char *out, size_t cap, const char *s, size_t a, size_t b, const char *const *texts,
                           size_t n) {
  for (size_t i = a; i < b; i++) {
    size_t open = 0, close_len = 1;
    char close = 0;
    if (s[i] == '"') open = 1, close = '"';
    else if (s[i] == '\'' && (i == 0 || !isalnum((unsigned char)s[i - 1]))) open = 1, close = '\'';
    else if (i + 2 < b && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0x9C || (unsigned char)s[i + 2] == 0x98))
      open = 3, close = (char)((unsigned char)s[i + 2] + 1), close_len = 3;
    if (!open) continue;
    size_t st = i + open, e = st;
    while (e < b && e - st < 80) {
      if (close_len == 1 && s[e] == close && (close != '\'' || e + 1 >= b || !isalpha((unsigned char)s[e + 1]))) break;
      if (close_len == 3 && e + 2 < b && (unsigned char)s[e] == 0xE2 && (unsigned char)s[e + 1] == 0x80 &&
          s[e + 2] == close)
        break;
      e++;
    }
    if (e >= b || e - st < 2 || e - st >= cap) continue;
    memcpy(out, s + st, e - st);
    out[e - st] = 0;
    bool found = false, single = strchr(out, ' ') == NULL;
    for (size_t k = 0; k < n && !found; k++) found = single ? quoted_in(texts[k], out) : contains_ci(texts[k], out);
    if (!found) return true;
    i = e + close_len - 1;
  }
  return false;
}

/* SKU-like tokens: LETTERS[-_]?DIGITS(...) with >= 2 digits, or a digit run of >= 5 after
 * "sku", "item", "product", "model", "id". */
static bool next_sku(const char *s, size_t len, size_t *pos, size_t *a, size_t *b) {
  for (size_t i = *pos; i < len; i++) {
    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '#' || s[i - 1] == '-' || s[i - 1] == '$'))
      continue;
    size_t j = i, L = 0, D = 0;
    while (j < len && isupper((unsigned char)s[j]) && L < 6) j++, L++;
    if (L >= 1 && j < len && (s[j] == '-' || s[j] == '_')) j++;
    while (j < len && isdigit((unsigned char)s[j])) j++, D++;
    while (j + 1 < len && (s[j] == '-' || s[j] == '_') && isalnum((unsigned char)s[j + 1])) {
      j++;
      while (j < len && isalnum((unsigned char)s[j])) {
        if (isdigit((unsigned char)s[j])) D++;
        j++;
      }
    }
    bool ok = false;
    if (L >= 1 && D >= 2 && (j >= len || !isalnum((unsigned char)s[j]))) ok = true;
    if (L == 0 && D >= 5 && (j >= len || !isalnum((unsigned char)s[j])) && (j >= len || s[j] != '.' ||
                                                                           j + 1 >= len || !isdigit((unsigned char)s[j + 1]))) {
      /* a bare digit run: only after an id keyword */
      size_t p = i;
      while (p > 0 && (s[p - 1] == ' ' || s[p - 1] == ':' || s[p - 1] == '#')) p--;
      size_t e = p;
      while (p > 0 && isalpha((unsigned char)s[p - 1])) p--;
      char w[16];
      size_t n = e - p < 15 ? e - p : 15;
      for (size_t q = 0; q < n; q++) w[q] = (char)tolower((unsigned char)s[p + q]);
      w[n] = 0;
      if (!strcmp(w, "sku") || !strcmp(w, "item") || !strcmp(w, "product") || !strcmp(w, "model") || !strcmp(w, "id"))
        ok = true;
    }
    if (ok) {
      *a = i;
      *b = j;
      *pos = j;
      return true;
    }
    if (j > i) i = j - 1;
  }
  *pos = len;
  return false;
}

/* Hashes of the (up to) two content tokens after t[k] that are neither negators nor
 * qualifiers: the words a negation or a qualifier applies to. Returns how many. */
static int next_content2(const gtok *t, size_t n, size_t k, uint64_t h[2]) {
  int m = 0;
  for (size_t q = k + 1; q < n && m < 2; q++)
    if (!t[q].neg && !t[q].qual) h[m++] = t[q].h;
  return m;
}

/* The scope of negator t[k]: the (up to) m content words after it, up to the next
 * negator or the end of its clause (qualifiers skipped). */
static int next_content_n(const gtok *t, size_t n, size_t k, uint64_t *h, int m) {
  int c = 0;
  for (size_t q = k + 1; q < n && c < m; q++) {
    if (t[q].neg || t[q].clause != t[k].clause) break;
    if (!t[q].qual) h[c++] = t[q].h;
  }
  return c;
}

/* Does t2 hold a negator whose scope (3 content words after it) shares a word with the
 * scope of negator t1[k1]? ("not been shipped" ~ "has not shipped yet") */
static bool neg_scope_in(const gtok *t1, size_t n1, size_t k1, const gtok *t2, size_t n2) {
  uint64_t a[3], b[3];
  int na = next_content_n(t1, n1, k1, a, 3);
  for (size_t r = 0; r < n2; r++) {
    if (!t2[r].neg) continue;
    int nb = next_content_n(t2, n2, r, b, 3);
    for (int x = 0; x < na; x++)
      for (int y = 0; y < nb; y++)
        if (a[x] == b[y]) return true;
  }
  return false;
}

static bool sent_has(const gdoc *d, const gsent *se, uint64_t h) {
  for (size_t q = 0; q < se->ntok; q++)
    if (d->t[se->tok0 + q].h == h) return true;
  return false;
}

/* Context words of clause c of sentence se (unit words left out); a "thin" clause (at
 * most one context word, e.g. "otherwise in 5 to 7 business days") borrows the words of
 * the clause before it. */
static size_t clause_ctx(uint64_t *out, size_t cap, const gtok *t, size_t n, uint16_t c) {
  size_t k = 0;
  for (size_t q = 0; q < n && k < cap; q++)
    if (t[q].clause == c && !t[q].unit && !t[q].neg) out[k++] = t[q].h;
  if (k <= 1 && c > 0)
    for (size_t q = 0; q < n && k < cap; q++)
      if (t[q].clause == c - 1 && !t[q].unit && !t[q].neg) out[k++] = t[q].h;
  return k;
}

/* Is number x (in clause x->clause of answer sentence as) stated in the window, in a
 * clause about as close to the answer's clause as the closest one? ("standard shipping
 * takes 1-2 days" fails when 1-2 belongs to the express clause). */
static bool num_ok_clause(const gnum *x, const gdoc *ans, const gsent *as, const gdoc *d, size_t s0, size_t s1) {
  uint64_t ctx[64], cc[64];
  /* a sentence without word tokens (only numbers) has t == NULL: no pointer arithmetic on it */
  size_t nc = ans->t ? clause_ctx(ctx, 64, &ans->t[as->tok0], as->ntok, x->clause) : 0;
  size_t best = 0, best_num = 0;
  bool any = false;
  for (size_t k = s0; k < s1 && k < d->ns; k++) {
    const gsent *ws = &d->s[k];
    uint16_t maxc = 0;
    for (size_t q = 0; q < ws->ntok; q++)
      if (d->t[ws->tok0 + q].clause > maxc) maxc = d->t[ws->tok0 + q].clause;
    for (size_t q = 0; q < ws->nnum; q++)
      if (d->num[ws->num0 + q].clause > maxc) maxc = d->num[ws->num0 + q].clause;
    for (uint16_t c = 0; c <= maxc; c++) {
      bool has = false;
      for (size_t q = 0; q < ws->nnum && !has; q++)
        has = d->num[ws->num0 + q].clause == c && num_eq(x, &d->num[ws->num0 + q]);
      size_t n2 = d->t ? clause_ctx(cc, 64, &d->t[ws->tok0], ws->ntok, c) : 0;
      size_t ov = 0;
      for (size_t i = 0; i < nc; i++)
        for (size_t q = 0; q < n2; q++)
          if (cc[q] == ctx[i]) {
            ov++;
            break;
          }
      if (ov > best) best = ov;
      if (has) {
        any = true;
        if (ov > best_num) best_num = ov;
      }
    }
  }
  if (!any) return false;
  return best_num >= best; /* the number belongs to (one of) the closest clause(s) */
}

/* Whole-word, case-insensitive search. */
static bool has_word_ci(const char *hay, const char *w, size_t n) {
  char word[48];
  if (n >= sizeof word) return false;
  memcpy(word, w, n);
  word[n] = 0;
  for (const char *h = strcasestr(hay, word); h; h = strcasestr(h + 1, word))
    if ((h == hay || !isalnum((unsigned char)h[-1])) && !isalnum((unsigned char)h[n])) return true;
  return false;
}

/* Capitalised words inside a sentence (names: "Apple Pay", "Klarna") that no source
 * contains; the first word, words after sentence punctuation or a greeting are skipped. */
static bool name_missing(char *out, size_t cap, const char *s, size_t a, size_t b, const char *const *texts,
                         size_t n) {
  static const char *const GREET[] = {"hi", "hello", "dear", "hey", "thanks", "thank", "you", NULL};
  char prev[16] = "";
  bool first = true;
  for (size_t i = a; i < b;) {
    if (!isalpha((unsigned char)s[i])) {
      if (strchr(".!?:*\n\"(-#[", s[i]) && s[i]) first = true;
      i++;
      continue;
    }
    size_t j = i;
    while (j < b && (isalnum((unsigned char)s[j]) || s[j] == '\'')) j++;
    size_t wl = j - i;
    bool cap_word = isupper((unsigned char)s[i]) && wl >= 2 && wl < 40;
    bool greeting = false;
    for (const char *const *g = GREET; cap_word && !first && *g && !greeting; g++) greeting = !strcmp(prev, *g);
    if (cap_word && !first && !greeting) {
      bool found = false;
      for (size_t k = 0; k < n && !found; k++) found = has_word_ci(texts[k], s + i, wl);
      if (!found && cap > wl) {
        memcpy(out, s + i, wl);
        out[wl] = 0;
        return true;
      }
    }
    size_t pl = wl < sizeof prev - 1 ? wl : sizeof prev - 1;
    for (size_t q = 0; q < pl; q++) prev[q] = (char)tolower((unsigned char)s[i + q]);
    prev[pl] = 0;
    first = false;
    i = j;
  }
  return false;
}

/* ALL-CAPS words (EST, PST, VAT...) of s[a..b) that no source contains. */
static bool acronym_missing(char *out, size_t cap, const char *s, size_t a, size_t b, const char *const *texts,
                            size_t n) {
  static const char *const OK[] = {"I", "OK", "FAQ", "AM", "PM", "A", NULL};
  for (size_t i = a; i < b; i++) {
    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '_')) continue;
    size_t j = i;
    while (j < b && isupper((unsigned char)s[j])) j++;
    if (j - i < 2 || j - i > 6 || (j < b && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_'))) {
      if (j > i) i = j;
      continue;
    }
    char w[8];
    memcpy(w, s + i, j - i);
    w[j - i] = 0;
    bool ok = false;
    for (const char *const *q = OK; *q && !ok; q++) ok = !strcmp(w, *q);
    for (size_t k = 0; k < n && !ok; k++) {
      for (const char *h = strstr(texts[k], w); h && !ok; h = strstr(h + 1, w))
        ok = (h == texts[k] || !isalnum((unsigned char)h[-1])) && !isalnum((unsigned char)h[j - i]);
    }
    if (!ok && cap > j - i) {
      memcpy(out, w, j - i + 1);
      return true;
    }
    i = j;
  }
  return false;
}

/* The contradiction analyses of the sentences of source d (d has sentences), made on first
 * use: kept with d, and with the cache entry d is a copy of, so a cached source is analysed
 * once, not at every check; NULL when out of memory. */
static const ecai__csent *contra_source(gdoc *d, const char *text) {
  if (!d->cs && d->home && d->home->cs) d->cs = d->home->cs;
  if (d->cs) return d->cs;
  if (!(d->cs = ecai__malloc(d->ns * sizeof *d->cs))) return NULL;
  for (size_t q = 0; q < d->ns; q++) ecai__csent_analyse(&d->cs[q], text + d->s[q].start, d->s[q].end - d->s[q].start);
  if (d->home) d->home->cs = d->cs;
  return d->cs;
}

/* Does answer sentence a contradict a sentence of the passage (cd, ns sentences) that no
 * other sentence about the same thing answers for (taking the answer's side)? why gets
 * the reason. */
static bool contradicted(char *why, size_t cap, const ecai__csent *a, const ecai__csent *cd, size_t ns) {
  for (size_t q = 0; q < ns; q++) {
    int kind = ecai__guard_contradiction(why, cap, a, &cd[q]);
    bool agreed = false;
    for (size_t r = 0; kind && !agreed && r < ns; r++) agreed = r != q && ecai__guard_same_side(kind, a, &cd[r]);
    if (kind && !agreed) return true;
  }
  return false;
}

/* What the per-sentence checks found: the first failure of each kind (empty: none). */
typedef struct {
  char ground[256], neg[256], cond[256], contra[320], term[256], num[256], sku[256];
  const char *sku_reason;
  double min_support;
} gfails;

/* Catalog: each SKU of the answer must exist (the catalog callback, or the sources without
 * one) and a price in its sentence must be the catalog's (verified prices are marked). */
static ecai_status check_skus(gfails *f, ecai_guard *g, gdoc *ans, const char *answer, size_t len,
                              const char *const *texts, size_t n) {
  size_t pos = 0, sa, sb;
  while (!f->sku_reason && next_sku(answer, len, &pos, &sa, &sb)) {
    char sku[64];
    snprintf(sku, sizeof sku, "%.*s", (int)(sb - sa < 63 ? sb - sa : 63), answer + sa);
    size_t si = 0; /* the sentence holding it */
    while (si < ans->ns && ans->s[si].end <= sa) si++;
    if (!g->cat_fn) {
      bool found = false;
      for (size_t k = 0; k < n && !found; k++) found = strstr(texts[k], sku) != NULL;
      if (!found) {
        f->sku_reason = "unknown_sku";
        snprintf(f->sku, sizeof f->sku, "%s is not in the sources (no catalog lookup installed)", sku);
      }
      continue;
    }
    double price = -1;
    int r = g->cat_fn(sku, &price, g->cat_payload);
    if (r != 0 && r != 1) return ecai__err(ECAI_EUSER, "guard: catalog callback returned %d for '%s'", r, sku);
    if (r == 0) {
      f->sku_reason = "unknown_sku";
      snprintf(f->sku, sizeof f->sku, "%s is not in the catalog", sku);
    } else if (price >= 0 && si < ans->ns) {
      gsent *se = &ans->s[si];
      for (size_t q = 0; q < se->nnum; q++) {
        gnum *x = &ans->num[se->num0 + q];
        if (x->unit != U_MONEY) continue;
        if (fabs(x->v - price) <= 0.005) x->verified = 1;
        else if (!f->sku_reason) {
          f->sku_reason = "price_mismatch";
          snprintf(f->sku, sizeof f->sku, "%s costs %.2f in the catalog, the answer says %.2f", sku, price, x->v);
        }
      }
    }
  }
  return ECAI_OK;
}

/* Negation, locally: a negator of answer sentence as must negate the same word in the
 * supporting window of d ("not shipped" ~ "not been shipped"); a negated statement of the
 * best matching sentence must not be restated without negation. */
static void check_negation(gfails *f, const gdoc *ans, const gsent *as, const gdoc *d, const gbest *b, size_t i,
                           const char *snip) {
  const gtok *at = &ans->t[as->tok0];
  for (size_t k = 0; as->neg && k < as->ntok && !f->neg[0]; k++) {
    if (!at[k].neg) continue;
    bool ok = false;
    uint64_t h[3];
    if (next_content_n(at, as->ntok, k, h, 3) == 0) { /* nothing after it: the sentence level */
      for (size_t q = 0; q < b->nwin && !ok; q++) ok = d->s[b->sent + q].neg;
    }
    for (size_t q = 0; q < b->nwin && !ok; q++) {
      const gsent *ws = &d->s[b->sent + q];
      ok = ws->neg && neg_scope_in(at, as->ntok, k, &d->t[ws->tok0], ws->ntok);
    }
    if (!ok) snprintf(f->neg, sizeof f->neg, "sentence %zu adds a negation: \"%s\"", i + 1, snip);
  }
  for (size_t q = 0; !f->neg[0] && q < b->nwin; q++) {
    const gsent *bs = &d->s[b->sent + q];
    if (!bs->neg || (b->sent + q != b->best_single && coverage(as, bs, NULL) < 0.4)) continue;
    const gtok *st2 = &d->t[bs->tok0];
    size_t n_restated = 0, n_ans = 0;
    for (size_t r = 0; r < as->ntok; r++) n_ans += at[r].neg;
    for (size_t r = 0; r < bs->ntok && !f->neg[0]; r++) {
      uint64_t hs[3];
      int ns2 = st2[r].neg ? next_content_n(st2, bs->ntok, r, hs, 3) : 0;
      bool restated = false;
      for (int x = 0; x < ns2; x++) restated = restated || ecai__u64_sorted_has(as->set, as->nset, hs[x]);
      n_restated += restated;
      /* each restated negated statement needs a negation of its own in the answer */
      if (restated && (!neg_scope_in(st2, bs->ntok, r, at, as->ntok) || n_ans < n_restated))
        snprintf(f->neg, sizeof f->neg, "sentence %zu drops a negation: \"%s\"", i + 1, snip);
    }
  }
}

/* Restrictive qualifiers (only, single, unless...) of the best matching sentence are kept
 * when their word is restated. */
static void check_conditions(gfails *f, const gdoc *ans, const gsent *as, const gdoc *d, const gbest *b, size_t i,
                             const char *snip) {
  const gsent *bs = &d->s[b->best_single];
  for (size_t r = 0; r < bs->ntok && !f->cond[0]; r++) {
    uint64_t hs[2];
    const gtok *qt = &d->t[bs->tok0 + r];
    if (!qt->qual || next_content2(&d->t[bs->tok0], bs->ntok, r, hs) < 1) continue;
    if (ecai__u64_sorted_has(as->set, as->nset, hs[0]) && !sent_has(ans, as, qt->h))
      snprintf(f->cond, sizeof f->cond, "sentence %zu drops a condition of the source: \"%s\"", i + 1, snip);
  }
}

/* Policy terms of the answer sentence must be in the best matching sentence or a window
 * sentence covering >= 40 % (topic terms: anywhere in the passage). */
static void check_terms(gfails *f, const ecai_guard *g, const gdoc *ans, const gsent *as, const gdoc *d,
                        const gbest *b, size_t i, const char *snip) {
  for (size_t t = 0; t < g->n_terms && !f->term[0]; t++) {
    if (!g->terms[t].n || !(as->tbloom & (1ull << (g->terms[t].v[0] & 63))) ||
        !seq_has(&ans->t[as->tok0], as->ntok, &g->terms[t]))
      continue;
    bool found = false;
    if (t >= n_window_terms()) found = seq_has(d->t, d->nt, &g->terms[t]);
    for (size_t q = 0; q < b->nwin && !found && t < n_window_terms(); q++) {
      const gsent *ws = &d->s[b->sent + q];
      if (b->sent + q != b->best_single && coverage(as, ws, NULL) < 0.4) continue;
      found = seq_has(&d->t[ws->tok0], ws->ntok, &g->terms[t]);
    }
    if (!found)
      snprintf(f->term, sizeof f->term, "sentence %zu: \"%s\" is not in the supporting passage: \"%s\"", i + 1,
               term_name(t), snip);
  }
}

/* Numbers: in the supporting window (the whole source set when the sentence has no
 * support at all). */
static void check_numbers(gfails *f, const gdoc *ans, const gsent *as, const gdoc *d, const gbest *b,
                          const gdoc *src, size_t n, size_t i, const char *snip) {
  for (size_t q = 0; q < as->nnum && !f->num[0]; q++) {
    gnum *x = &ans->num[as->num0 + q];
    if (x->verified) continue;
    if (d && num_ok_clause(x, ans, as, d, b->sent, b->sent + b->nwin)) continue;
    bool anywhere = false;
    for (size_t k = 0; k < n && !anywhere; k++) anywhere = num_in(x, &src[k], 0, src[k].ns);
    char nb[48];
    fmt_num(nb, sizeof nb, x);
    snprintf(f->num, sizeof f->num, "sentence %zu: %s is %s: \"%s\"", i + 1, nb,
             anywhere ? "not in the supporting passage" : "not in the sources", snip);
  }
}

/* Every answer sentence against its best supporting window: support, negation, conditions,
 * contradictions, policy terms, quoted terms, numbers; appends {text, support, source} of
 * each sentence to v->sentences. ECAI_ENOMEM only. */
static ecai_status check_sentences(gfails *f, ecai_guard_verdict *v, ecai_guard *g, const gdoc *ans,
                                   const char *answer, gdoc *src, const char *const *ids,
                                   const char *const *texts, size_t n) {
  ecai__csent *cans = NULL; /* the contradiction analysis of an answer sentence */
  ecai_status st = ECAI_OK;
  for (size_t i = 0; !st && i < ans->ns; i++) {
    const gsent *as = &ans->s[i];
    gbest b;
    best_window(&b, as, src, n);
    /* short filler and questions back to the customer claim nothing (their numbers are
     * still checked) */
    double support = ((as->nset < 2 || as->question) && n > 0) ? 1.0 : b.cov;
    bool have = n > 0 && b.cov > 0, claims = as->nset >= 2 && !as->question;
    const gdoc *d = have ? &src[b.src] : NULL;
    char snip[120];
    snippet(snip, sizeof snip, answer, as->start, as->end);
    if (support < f->min_support) f->min_support = support;
    if (support < g->support_thr && !f->ground[0])
      snprintf(f->ground, sizeof f->ground, "sentence %zu (support %.2f): \"%s\"", i + 1, support, snip);
    if (claims && d) {
      if (!f->neg[0]) check_negation(f, ans, as, d, &b, i, snip);
      if (!f->cond[0]) check_conditions(f, ans, as, d, &b, i, snip);
      if (d->ns && !f->contra[0]) { /* contradictions without a negation word */
        const ecai__csent *cd = contra_source(&src[b.src], texts[b.src]);
        if (!cd || (!cans && !(cans = ecai__malloc(sizeof *cans)))) {
          st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
          break;
        }
        ecai__csent_analyse(cans, answer + as->start, as->end - as->start);
        char why[160];
        if (contradicted(why, sizeof why, cans, cd, d->ns))
          snprintf(f->contra, sizeof f->contra, "sentence %zu: %s: \"%s\"", i + 1, why, snip);
      }
      check_terms(f, g, ans, as, d, &b, i, snip);
    }
    /* quoted terms ('pending', "no longer needed") must be quoted from a source, and
     * ALL-CAPS words (EST) must be in one */
    char q[80];
    if (!f->term[0] && claims &&
        (quoted_missing(q, sizeof q, answer, as->start, as->end, texts, n) ||
         acronym_missing(q, sizeof q, answer, as->start, as->end, texts, n) ||
         name_missing(q, sizeof q, answer, as->start, as->end, texts, n)))
      snprintf(f->term, sizeof f->term, "sentence %zu: '%s' is not in the sources: \"%s\"", i + 1, q, snip);
    check_numbers(f, ans, as, d, &b, src, n, i, snip);
    char idbuf[24];
    const char *sid = NULL;
    if (have && ids && ids[b.src]) sid = ids[b.src];
    else if (have) snprintf(idbuf, sizeof idbuf, "%zu", b.src), sid = idbuf;
    json_t *o = json_pack("{s:s,s:f,s:s?}", "text", snip, "support", round(support * 1000) / 1000, "source", sid);
    if (!o || json_array_append_new(v->sentences, o)) st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  ecai__free(cans);
  return st;
}

/* The verdict's checks that come from the sentences and the catalog, in order. */
static ecai_status add_sentence_verdicts(ecai_guard_verdict *v, const gfails *f) {
  ecai_status st;
#define ADD(name, buf, score, reason)                                                                  \
  if ((st = ecai__verdict_add(v, name, !(buf)[0], score, (buf)[0] ? reason : NULL, "block", buf))) return st
  ADD("grounding", f->ground, f->min_support, "unsupported_claim");
  ADD("negation", f->neg, f->neg[0] ? 1 : 0, "negation_mismatch");
  ADD("conditions", f->cond, f->cond[0] ? 1 : 0, "condition_dropped");
  ADD("contradiction", f->contra, f->contra[0] ? 1 : 0, "contradiction");
  ADD("policy_terms", f->term, f->term[0] ? 1 : 0, "term_not_in_sources");
#undef ADD
  if ((st = ecai__verdict_add(v, "catalog", !f->sku_reason, f->sku_reason ? 1 : 0, f->sku_reason, "block", f->sku)))
    return st;
  return ecai__verdict_add(v, "numbers", !f->num[0], f->num[0] ? 1 : 0, f->num[0] ? "number_not_in_sources" : NULL,
                           "block", f->num);
}

/* PII in the answer that the sources do not contain (order numbers and addresses aside). */
static ecai_status check_pii(ecai_guard_verdict *v, const char *answer, size_t len, const char *const *texts,
                             size_t n) {
  ecai__pii_span *sp = NULL;
  size_t ns = 0;
  char detail[256] = "";
  if (ecai__pii_find(&sp, &ns, answer, len)) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  for (size_t k = 0; k < ns && !detail[0]; k++) {
    if (sp[k].type == G_PII_ORDER || sp[k].type == G_PII_ADDRESS) continue;
    char val[128];
    snprintf(val, sizeof val, "%.*s", (int)(sp[k].end - sp[k].start < 127 ? sp[k].end - sp[k].start : 127),
             answer + sp[k].start);
    bool in_src = false;
    for (size_t q = 0; q < n && !in_src; q++) in_src = strstr(texts[q], val) != NULL;
    if (!in_src) snprintf(detail, sizeof detail, "a %s that is not in the sources", ecai__pii_type_name(sp[k].type));
  }
  ecai__free(sp);
  return ecai__verdict_add(v, "pii", !detail[0], detail[0] ? 1 : 0, detail[0] ? "pii" : NULL, "block", detail);
}

/* Banned phrases (word sequences, case-insensitive) and system-prompt leakage (a verbatim
 * run of leak_words words). */
static ecai_status check_banned_and_leak(ecai_guard_verdict *v, const ecai_guard *g, const char *answer, size_t len) {
  ecai__u64vec wh = {0};
  char detail[256] = "";
  ecai_status st = (g->n_banned || g->n_leak) ? ecai__guard_word_hashes(&wh, answer, len) : ECAI_OK;
  for (size_t k = 0; !st && k < g->n_banned && !detail[0]; k++) {
    uint64_t ph[32];
    size_t np = 0;
    for (const char *p = g->banned[k]; *p && np < 32;) {
      const char *e = strchr(p, ' ');
      if (!e) e = p + strlen(p);
      ph[np++] = hw(p, (size_t)(e - p));
      p = *e ? e + 1 : e;
    }
    for (size_t i = 0; np && i + np <= wh.n && !detail[0]; i++)
      if (!memcmp(&wh.v[i], ph, np * sizeof *ph)) snprintf(detail, sizeof detail, "contains \"%s\"", g->banned[k]);
  }
  if (!st)
    st = ecai__verdict_add(v, "banned", !detail[0], detail[0] ? 1 : 0, detail[0] ? "banned_topic" : NULL, "block",
                           detail);
  detail[0] = 0;
  double leak_score = 0;
  if (!st && g->n_leak) {
    size_t k = (size_t)g->leak_words, hits = 0, tot = 0;
    for (size_t i = 0; i + k <= wh.n; i++) {
      uint64_t h = XXH3_64bits(&wh.v[i], k * sizeof(uint64_t));
      tot++;
      if (ecai__u64_sorted_has(g->leak, g->n_leak, h)) hits++;
    }
    leak_score = tot ? (double)hits / (double)tot : 0;
    if (hits) snprintf(detail, sizeof detail, "%zu run(s) of %zu words copied from the system prompt", hits, k);
  }
  if (!st)
    st = ecai__verdict_add(v, "prompt_leak", !detail[0], leak_score, detail[0] ? "prompt_leak" : NULL, "block",
                           detail);
  ecai__u64vec_free(&wh);
  return st;
}

ecai_status ecai__guard_output(ecai_guard_verdict *v, ecai_guard *g, const char *answer, size_t len,
                               const char *const *ids, const char *const *texts, size_t n) {
  gdoc ans = {0};
  actx a = {g, NULL, 0, 0};
  gfails f = {.min_support = 1.0};
  char detail[256];

  /* length */
  size_t cps = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)answer[i] & 0xC0) != 0x80) cps++;
  bool too_long = (int64_t)cps > g->max_output;
  snprintf(detail, sizeof detail, "%zu characters (limit %lld)", cps, (long long)g->max_output);
  ecai_status st = ecai__verdict_add(v, "length", !too_long, too_long ? 1.0 : 0.0, too_long ? "too_long" : NULL,
                                     "block", detail);
  if (st) return st;
  if (too_long && len > (size_t)g->max_output * 4) len = (size_t)g->max_output * 4;

  gdoc *src = ecai__calloc(n ? n : 1, sizeof *src);
  bool *owned = ecai__calloc(n ? n : 1, sizeof *owned);
  g->cache_tick++;
  if (!src || !owned || analyse(&ans, g, answer, len, &a)) st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
  for (size_t k = 0; !st && k < n; k++)
    if (cached_analyse(&src[k], &owned[k], g, texts[k], &a)) st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
  if (!st) st = check_skus(&f, g, &ans, answer, len, texts, n);
  if (!st && !(v->sentences = json_array())) st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
  if (!st) st = check_sentences(&f, v, g, &ans, answer, src, ids, texts, n);
  if (!st && ans.ns == 0) {
    f.min_support = 0;
    snprintf(f.ground, sizeof f.ground, "the answer is empty");
  }
  if (!st) st = add_sentence_verdicts(v, &f);
  if (!st) st = check_pii(v, answer, len, texts, n);
  if (!st) st = check_banned_and_leak(v, g, answer, len);
  if (!st) v->score = f.min_support;
  doc_free(&ans);
  for (size_t k = 0; src && owned && k < n; k++)
    if (owned[k]) doc_free(&src[k]);
  ecai__free(owned);
  ecai__free(src);
  ecai__free(a.w);
  return st;
}
