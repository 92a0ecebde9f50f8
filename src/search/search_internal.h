/*
 * Internal: the BM25F keyword index of ecai_search (src/search/).
 *
 * Terms come from THE tokenizer (src/text): NFKC + case fold, units, English stop words,
 * Snowball stems. Each posting stores the finished BM25F term weight
 *   w = (k1 + 1) * tf~ / (k1 + tf~),  tf~ = sum_f wf_f * tf_f / (1 - b + b * len_f / avglen_f)
 * over the fields title, brand, category, description, so a query only adds idf * w.
 * A surface vocabulary (unstemmed words, document frequency, stem term) serves the
 * typo correction of query words the index does not know.
 */
#ifndef ECAI_SEARCH_INTERNAL_H
#define ECAI_SEARCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/ser.h"
#include "core/internal.h"
#include "ecai/catalog.h"
#include "ecai/index.h"

enum { ECAI__NFIELDS = 4 };

typedef struct ecai__bm25 {
  size_t ndocs;            /* catalog id slots covered */
  size_t nterms;
  char *terms;             /* NUL-terminated term strings */
  size_t terms_len;
  uint32_t *term_off;      /* nterms */
  float *idf;              /* nterms */
  uint32_t *post_start;    /* nterms + 1 */
  uint32_t *post_doc;      /* postings */
  float *post_w;
  size_t npost;
  uint16_t *title_len;     /* title tokens per doc */
  uint32_t *tstart, *ttok; /* title term ids of doc d: ttok[tstart[d] .. tstart[d+1]) */
  size_t nttok;
  size_t nsurf;            /* surface vocabulary */
  char *surf;
  size_t surf_len;
  uint32_t *surf_off, *surf_term, *surf_df;
  ecai__smap map, surf_map; /* borrowed keys into terms / surf */
  double k1, b, wf[ECAI__NFIELDS];
  int view;                 /* 1: the arrays and pools point into file or owned (not freed one by one) */
  ecai__map file;           /* the mapped search.bin a view reads */
  char *owned;              /* or the buffer it reads */
} ecai__bm25;

ecai_status ecai__bm25_build(ecai__bm25 **out, const ecai_catalog *cat, double k1, double b,
                             const double wf[ECAI__NFIELDS]);
void ecai__bm25_free(ecai__bm25 *x);
/* Reads the layout of earlier versions (search.bin "ECAISRC"), copying it. */
ecai_status ecai__bm25_read(ecai__bm25 **out, const char *data, size_t len);
/* The mapped layout of search.bin's keyword index: every array 4-byte aligned,
 * pools last, so a reader uses it in place; is_mapped_layout tells it from the older one. write_mapped appends to b, which must hold a multiple of 8
 * bytes (b's data starting 8-byte aligned in the file); view checks data (4-byte aligned)
 * as thoroughly as read does and points into it: data must outlive *out (set (*out)->file
 * or (*out)->owned to hand it over). */
void ecai__bm25_write_mapped(const ecai__bm25 *x, ecai__buf *b);
ecai_status ecai__bm25_view(ecai__bm25 **out, const char *data, size_t len);
int ecai__bm25_is_mapped_layout(const char *data, size_t len);
/* Term id or -1. */
int64_t ecai__bm25_term(const ecai__bm25 *x, const char *t, size_t len);
/* Best surface word within edit distance maxd of w (highest df); its stem term id or -1. */
int64_t ecai__bm25_correct(const ecai__bm25 *x, const char *w, size_t len, int maxd, const char **fixed);

/* The default search.dictionary: SCOWL's most common English words (Debian package scowl). */
#define ECAI__SEARCH_DICT                                                                          \
  "/usr/share/dict/scowl/english-words.10:/usr/share/dict/scowl/english-words.20:"                 \
  "/usr/share/dict/scowl/american-words.10:/usr/share/dict/scowl/american-words.20:"                 \
  "/usr/share/dict/scowl/english-words.35:/usr/share/dict/scowl/american-words.35"

/* A general word list (src/search/dict.c): words it knows are never typo-corrected. */
typedef struct ecai__dict {
  uint64_t *h; /* sorted XXH3-64 of the normalised words */
  size_t n;
  void *shared; /* the process's cached list h belongs to (read-only), or NULL: h is d's */
} ecai__dict;
/* Loads the word lists at paths (':'-separated; words separated by white space, any
 * case). An empty string gives an empty list; an unreadable file logs a warning and is
 * skipped. ecai__dict_has() takes a normalised word and also finds plurals ("beaches").
 * The process keeps the last lists it loaded and shares them while their files are
 * unchanged (thread-safe). Errors: ECAI_EPARSE (invalid UTF-8), ECAI_EINVAL (> 64 MiB),
 * ECAI_ENOMEM. */
ecai_status ecai__dict_load(ecai__dict *d, const ecai_ctx *ctx, const char *path);
bool ecai__dict_has(const ecai__dict *d, const char *w, size_t len);
void ecai__dict_free(ecai__dict *d);
/* Bounded Levenshtein distance (returns > maxd when farther). */
int ecai__edit_distance(const char *a, size_t al, const char *b, size_t bl, int maxd);

/* The keyword delta of live text updates (src/search/delta.c): products whose text changed
 * (ecai_store_update_json) are rescored from a small side index instead of the postings.
 * delta_begin brings *dl up to date with the store (under the store's exclusive lock, after
 * applying other processes' journal records; *bm becomes an extended view of the engine's
 * index while changed texts hold words it lacks, freed by ecai__bm25_free as the engine's
 * index is, then ecai__delta_free) and takes the store's lock shared for the query;
 * delta_end releases it. delta_rescore runs after the postings were accumulated:
 * it replaces acc/mask of every changed product by its current text's scores for the
 * query terms (term0: the first term id, stride bytes apart) and keeps touched (reallocated
 * with ecai__realloc) listing exactly the products with a non-zero mask. */
typedef struct ecai__delta ecai__delta;
ecai_status ecai__delta_begin(ecai__delta **dl, ecai__bm25 **bm, ecai_store *store);
void ecai__delta_end(ecai_store *store);
ecai_status ecai__delta_rescore(const ecai__delta *dl, const ecai__bm25 *bm, const int64_t *term0, size_t stride,
                                size_t nq, float *acc, uint32_t *mask, uint32_t **touched, size_t *nt);
void ecai__delta_free(ecai__delta *dl);
/* For a save: a keyword index built afresh from the store's catalog (same k1, b, field
 * weights) when products' texts changed since the store was opened or built, else NULL
 * (save bm as it is). Takes the store's lock shared. */
ecai_status ecai__delta_fresh(ecai__bm25 **fresh, ecai__bm25 *const *bm, ecai_store *store);
/* Search as you type (src/search/prefix.c): the last query word as a prefix of index
 * words. The sorted vocabularies are built on the first expansion (thread-safe). */
enum { ECAI__PREFIX_MAX = 48 }; /* completions kept per prefix, most postings first */
typedef struct ecai__prefix ecai__prefix;
ecai_status ecai__prefix_new(ecai__prefix **out);
void ecai__prefix_free(ecai__prefix *p);
/* Term ids of the index words starting with w[0..len) (normalised, as the tokenizer gives
 * it), at most cap, the ones with most postings first, into out[0..*n). len 0 gives none.
 * Errors: ECAI_ENOMEM (building the sorted vocabularies). */
ecai_status ecai__prefix_expand(ecai__prefix *p, const ecai__bm25 *bm, const char *w, size_t len, uint32_t *out,
                                size_t cap, size_t *n);
/* Adds the prefix's score to the keyword accumulators: per product, the idf of the most
 * frequent completion exp[0] times the best weight of any completion exp[0..n) it holds
 * (a product is not counted twice for "ether" and "ethernet"); sets bit `slot` in mask
 * and appends newly touched products to touched[*nt...] (room for every posting). */
ecai_status ecai__prefix_accumulate(const ecai__bm25 *bm, const uint32_t *exp, size_t n, unsigned slot, float *acc,
                                    uint32_t *mask, uint32_t *touched, size_t *nt);

/* Result order (src/search/sort.c): "sort" option values. */
enum { ECAI__SORT_RELEVANCE = 0, ECAI__SORT_PRICE_ASC, ECAI__SORT_PRICE_DESC, ECAI__SORT_POPULARITY, ECAI__SORT_NEWEST };
/* Kind of a "sort" name, or -1. */
int ecai__sort_parse(const char *s);
const char *ecai__sort_name(int kind);
/* order[0..n) = positions of ids[0..n) (ranked by relevance) in the order of the key:
 * price (unknown prices last), popularity pop[id] (descending; 0 past npop), newest
 * (highest catalog id first); ties keep the relevance order. Errors: ECAI_ENOMEM. */
ecai_status ecai__sort_order(int kind, const ecai_catalog *cat, const float *pop, size_t npop, const int64_t *ids,
                             size_t n, size_t *order);

/* Highlight of a title (src/search/highlight.c): {"title": marked-up and HTML-escaped,
 * "spans":[{"start":byte,"len":bytes},..]} for the words whose tokens satisfy match(arg,
 * term id); NULL when out of memory. */
struct ecai__tokenizer;
struct ecai__tokens;
json_t *ecai__highlight(const ecai__bm25 *bm, struct ecai__tokenizer *tk, struct ecai__tokens *toks, const char *title,
                        int (*match)(const void *, uint32_t), const void *arg);

/* Merchandising rules and synonyms (src/search/rules.c; format in ecai/search.h). */
typedef struct ecai__rules ecai__rules;
enum { ECAI__RULE_PIN = 1, ECAI__RULE_BOOST = 2, ECAI__RULE_BURY = 3 };
enum { ECAI__SYN_MAX = 16 }; /* index terms one query word may also find */
/* Parses and validates a whole document against the catalog (product ids) and the index
 * (synonym words the catalog lacks find nothing). Errors: ECAI_EPARSE (not JSON),
 * ECAI_EINVAL (bad shape, unknown products named, an id twice in one rule, two pins at one
 * position, a duplicate rule, a synonym of several words), ECAI_ENOMEM. */
ecai_status ecai__rules_parse(ecai__rules **out, const char *json, size_t len, const ecai_catalog *cat,
                              const ecai__bm25 *bm);
void ecai__rules_free(ecai__rules *R);
const json_t *ecai__rules_doc(const ecai__rules *R);
/* Index terms the query term term[0..len) also finds (one step, at most ECAI__SYN_MAX). */
size_t ecai__rules_synonyms(const ecai__rules *R, const char *term, size_t len, const uint32_t **out);
/* Pins over all rules: the room ecai__rules_apply may add to a list. */
size_t ecai__rules_max_pins(const ecai__rules *R);
/* Applies the rules matching query q to the ranked ids[0..*n) in place (room for
 * *n + max_pins): hidden products leave; with relevance order, boosted ones move first,
 * buried ones last (stable) and pinned ones go to their positions when ok(id, arg) (the
 * filters) accepts them. tags[i] = ECAI__RULE_* or 0. Errors: ECAI_ENOMEM. */
ecai_status ecai__rules_apply(const ecai__rules *R, const char *q, size_t len, int relevance, int64_t *ids,
                              uint8_t *tags, size_t *n, int (*ok)(int64_t, const void *), const void *arg);
/* DIR/rules.json: written atomically (compact JSON; none removes it) / read and validated
 * when present (*out NULL when absent; errors as ecai__rules_parse, prefixed with the path). */
ecai_status ecai__rules_save(const ecai__rules *R, const char *dir);
ecai_status ecai__rules_load(ecai__rules **out, const char *dir, const ecai_catalog *cat, const ecai__bm25 *bm);
/* The query term of a token as the index stores it: words of 3+ letters stemmed. NULL: out of memory. */
const char *ecai__search_term(struct ecai__tokenizer *tk, const char *w, size_t wl, int kind, size_t *tl);

/* Popularity from orders (src/search/popularity.c): counts per catalog id (n = catalog
 * slots), *matched = products with a count. Orders CSV (recommender layout) or "sku,count".
 * Errors: ECAI_EIO, ECAI_EPARSE (line named), ECAI_ENOMEM. */
ecai_status ecai__popularity_load(float **out, size_t *nout, size_t *matched, const ecai_catalog *cat,
                                  const char *path);
/* DIR/popularity.bin (ECAIPOP container; pop NULL removes it) / read back when present
 * (*out NULL when absent; ECAI_ECORRUPT when damaged or for another catalog size). */
ecai_status ecai__popularity_save(const float *pop, size_t n, const char *dir);
ecai_status ecai__popularity_open(float **out, size_t *nout, size_t slots, const char *dir);

#endif
