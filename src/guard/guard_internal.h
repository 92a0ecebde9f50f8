/* Internal declarations of the guard module (src/guard/). Never installed. */
#ifndef ECAI_GUARD_INTERNAL_H
#define ECAI_GUARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"
#include "ecai/guard.h"

struct sb_stemmer;

/* ---- small vectors ---------------------------------------------------------- */
typedef struct {
  uint64_t *v;
  size_t n, cap;
} ecai__u64vec;
bool ecai__u64vec_push(ecai__u64vec *a, uint64_t x);
void ecai__u64vec_free(ecai__u64vec *a);
/* Sorts and removes duplicates. */
void ecai__u64vec_sort_unique(ecai__u64vec *a);
bool ecai__u64_sorted_has(const uint64_t *v, size_t n, uint64_t x);

/* ---- normalisation for the input checks (norm.c) ----------------------------- */
/* Word tokens of an adversarially normalised text: NFKC + case fold + marks and
 * default-ignorable code points (zero-width) removed, a few Cyrillic/Greek homoglyphs
 * folded to Latin, leetspeak digits inside words mapped to letters, separators inside
 * words removed ("i.g.n.o.r.e"), runs of single letters joined ("i g n o r e").
 * Tokens are NUL-separated in `text`; `tok[i]` points at the i-th. */
typedef struct {
  char *text;     /* ecai__malloc'd storage */
  size_t text_len;
  char **tok;
  size_t n, cap;
} ecai__gtoks;
ecai_status ecai__guard_normalise(ecai__gtoks *out, const char *s, size_t len);
void ecai__gtoks_free(ecai__gtoks *t);

/* ---- input patterns (input.c) ------------------------------------------------ */
/* Pattern language over tokens: elements separated by spaces; an element is
 * alternatives joined by '|' (a trailing '*' is a prefix match); "~N" allows up to N
 * arbitrary tokens before the next element. */
typedef struct {
  const char *category; /* reason code */
  const char *pattern;
} ecai__gpattern;
extern const ecai__gpattern ecai__guard_patterns[];
extern const size_t ecai__guard_npatterns;
typedef struct ecai__gcpat ecai__gcpat; /* compiled pattern (input.c) */
ecai_status ecai__guard_patterns_compile(ecai__gcpat **out, size_t *n);
void ecai__guard_patterns_free(ecai__gcpat *p, size_t n);
/* Does compiled pattern i match the tokens (th: XXH3 of each token)? (benchmarks) */
bool ecai__guard_pattern_hit(const ecai__gcpat *p, size_t i, char *const *tok, const uint64_t *th, size_t n);

/* ---- PII (pii.c) -------------------------------------------------------------- */
typedef enum { G_PII_EMAIL = 0, G_PII_PHONE, G_PII_CARD, G_PII_IBAN, G_PII_ADDRESS, G_PII_ORDER, G_PII_NTYPES } ecai__pii_type;
typedef struct {
  size_t start, end; /* byte range */
  ecai__pii_type type;
} ecai__pii_span;
/* Finds PII spans (sorted, non-overlapping); order ids included (type G_PII_ORDER). */
ecai_status ecai__pii_find(ecai__pii_span **out, size_t *n, const char *s, size_t len);
const char *ecai__pii_type_name(ecai__pii_type t);
bool ecai__luhn_ok(const char *digits, size_t n);
bool ecai__iban_ok(const char *s, size_t n);

/* ---- the guard ------------------------------------------------------------------- */
struct ecai_guard {
  int64_t max_input, max_output, leak_words;
  double support_thr, esc_thr, repeat_sim;
  char *system_prompt;
  uint64_t *leak; /* sorted shingle hashes of the system prompt */
  size_t n_leak;
  char **banned;  /* normalised banned phrases (space-joined tokens) */
  size_t n_banned;
  ecai_guard_catalog_fn cat_fn;
  void *cat_payload;
  struct sb_stemmer *stemmer;
  ecai__u64vec *terms; /* policy terms as stem-hash sequences */
  size_t n_terms;
  ecai__gcpat *pats;
  size_t n_pats;
  void *wc; /* word-class table (output.c) */
  uint64_t *stem_cache; /* ECAI__GUARD_STEM_SLOTS pairs (word hash, stem hash) */
  void *cache; /* analysed sources, ECAI__GUARD_CACHE entries (output.c) */
  uint64_t cache_tick;
  bool cache_on;
};

struct ecai_guard_verdict {
  int kind; /* 0 input, 1 output */
  int pass, escalate;
  double score;
  char reason[40];
  char esc_reason[40];
  json_t *checks;    /* array */
  json_t *sentences; /* array or NULL */
};

/* guard.c */
/* Replaces the bytes of invalid UTF-8 sequences in s by '?' (in place). */
void ecai__utf8_fix(char *s);
ecai_status ecai__verdict_new(ecai_guard_verdict **out, int kind);
/* action: "block", "escalate", "info". Failing blocks clear pass and (for output) escalate. */
ecai_status ecai__verdict_add(ecai_guard_verdict *v, const char *name, bool pass, double score,
                              const char *reason, const char *action, const char *detail);

/* ASCII character classes (the guard reads bytes; the process locale must not change what
 * it sees, and these inline where <ctype.h>'s go through a table per call). */
static inline bool ecai__g_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool ecai__g_alpha(char c) { return (unsigned char)((c | 0x20) - 'a') < 26; }
static inline bool ecai__g_alnum(char c) { return ecai__g_alpha(c) || ecai__g_digit(c); }
static inline char ecai__g_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c; }

/* output.c */
#define ECAI__GUARD_CACHE 32
#define ECAI__GUARD_STEM_SLOTS 4096u
void ecai__guard_cache_free(ecai_guard *g);
ecai_status ecai__guard_terms_init(ecai_guard *g);
/* contradict.c: a sentence analysed once for the contradiction check (its lower-case words,
 * which are content words, how many distinct ones, and which side of each curated pair it
 * takes); ecai__csent_analyse fills it (about 4.3 KB: allocate it, do not copy it around).
 * ecai__guard_contradiction is non-zero when answer sentence a contradicts source sentence
 * s without a negation word (opposite sides of a curated pair, or un-/in-/non- antonyms:
 * -1) while both speak about the same thing; out gets the reason.
 * ecai__guard_same_side(kind, a, s) tells whether another source sentence s about the same
 * thing takes the answer's side of that pair (then the passage holds both and the answer
 * is not contradicted). */
#define ECAI__CSENT_WORDS 96
#define ECAI__CSENT_WORDLEN 32
#define ECAI__CSENT_PAIRS 13
typedef struct ecai__csent {
  char w[ECAI__CSENT_WORDS][ECAI__CSENT_WORDLEN];
  bool content[ECAI__CSENT_WORDS];
  bool first[ECAI__CSENT_WORDS]; /* a content word not sharing its stem with an earlier word */
  uint8_t stem_len[ECAI__CSENT_WORDS]; /* the word without trailing s / d (kept >= 4 letters) */
  uint64_t stem_hash[ECAI__CSENT_WORDS];
  uint64_t bloom; /* one bit per distinct content stem: no common bit, nothing shared */
  size_t n, n_content;
  uint8_t sides[ECAI__CSENT_PAIRS]; /* bit 1: side a of the pair, bit 2: side b */
} ecai__csent;
void ecai__csent_analyse(ecai__csent *o, const char *text, size_t len);
int ecai__guard_contradiction(char *out, size_t cap, const ecai__csent *a, const ecai__csent *s);
bool ecai__guard_same_side(int kind, const ecai__csent *a, const ecai__csent *s);
ecai_status ecai__guard_output(ecai_guard_verdict *v, ecai_guard *g, const char *answer, size_t len,
                               const char *const *ids, const char *const *texts, size_t n);
/* Tokens (lowercase ASCII words) of s for leak shingles and banned phrases: appends
 * XXH3 hashes of each word to out. */
ecai_status ecai__guard_word_hashes(ecai__u64vec *out, const char *s, size_t len);

/* input.c */
ecai_status ecai__guard_input(ecai_guard_verdict *v, ecai_guard *g, const char *text, size_t len,
                              const char *history, size_t history_len);

#endif
