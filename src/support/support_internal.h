/* Internal declarations of the support module (src/support/). Never installed. */
#ifndef ECAI_SUPPORT_INTERNAL_H
#define ECAI_SUPPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/ser.h"
#include "core/internal.h"
#include "ecai/embed.h"
#include "ecai/support.h"
#include "text/text.h"

typedef struct {
  char *source; /* citation source */
  char *origin; /* the file/source name it was ingested from (FAQ: the FAQ file) */
  uint64_t hash;
  bool live;
} ecai__kb_doc;

typedef struct {
  size_t doc;
  char *section;  /* heading path ("" for none); FAQ: the question */
  char *text;     /* the passage (FAQ: the answer) */
  uint32_t *terms, *tfs; /* sorted unique term ids and their counts (all indexed text) */
  size_t nterms;
  uint32_t len;   /* tokens */
  uint32_t *hterms, *htfs, *bterms, *btfs; /* the same for the heading / passage fields */
  size_t nhterms, nbterms;
  uint32_t hlen, blen;
  float *vec;
  bool live, faq;
  bool mapped; /* section, text, the term arrays and vec point into the KB's file mapping */
} ecai__kb_chunk;

/* WordNet (wordnet.c). */
enum { ECAI__WN_NPOS = 4 };
typedef struct ecai__wn ecai__wn;
/* Maps the WordNet database in dir; ECAI_ENOTFOUND when it is not there. */
ecai_status ecai__wn_open(ecai__wn **out, const char *dir);
void ecai__wn_free(ecai__wn *wn);
/* Calls fn(lemma, len, arg) for every one-word lemma of the first `senses` synsets of the
 * lower-case word w (each part of speech, base form by WordNet's suffix rules). */
void ecai__wn_synonyms(const ecai__wn *wn, const char *w, size_t wl, int senses,
                       void (*fn)(const char *, size_t, void *), void *arg);

/* A question escalated whatever retrieval finds (the assistant's input guard). */
typedef bool (*ecai__kb_screen)(void *arg, const char *question);

/* A labelled customer question: evidence for its entry (or for escalation). */
typedef struct {
  char *source;          /* entry id / document source, or ECAI_KB_ESCALATE */
  char *text;            /* the question as given (placeholders stripped) */
  size_t group;          /* examples with the same normalised text share a group */
  size_t doc;            /* the entry's document, SIZE_MAX for ESCALATE, ECAI__KB_NODOC while
                            its document is not in the KB (a saved example, document removed) */
  uint64_t nhash;        /* XXH3 of the normalised text (duplicates, groups) */
  uint32_t *terms;       /* sorted unique content-term ids (filler and ids dropped) */
  size_t nterms;
  float *vec;
} ecai__kb_example;

#define ECAI__KB_NODOC (SIZE_MAX - 1)
/* Example evidence (0..1, = similarity 0.75..1) from which a question counts as one
 * already resolved: its entry is trusted (calib.c), or, for an ESCALATE example, the
 * question escalates (support.c). */
#define ECAI__KB_EX_TRUST 0.5

/* Logistic confidence over retrieval features, fitted on the examples (calib.c). */
enum { ECAI__KB_NF = 7 };
typedef struct {
  bool fitted;           /* false: too few labelled examples, the fixed rule applies */
  double w[ECAI__KB_NF]; /* bias first */
  size_t n, npos;        /* labelled questions used, of which retrieved correctly */
} ecai__kb_model;

struct ecai_kb {
  ecai_ctx *ctx;
  ecai_embedder *emb;
  size_t dim;
  ecai__tokenizer *tok;
  ecai__tokens toks;
  ecai__kb_doc *docs;
  size_t ndocs, capdocs, live_docs;
  ecai__smap doc_by_name;
  ecai__kb_chunk *chunks;
  size_t nchunks, capchunks, live_chunks;
  double total_len, total_hlen, total_blen;
  ecai__smap vocab;
  char **terms;
  uint32_t *df;
  size_t nterms, capterms;
  int chunk_words, overlap;
  ecai__smap filler; /* stems of conversational words */
  ecai__tokens filler_toks;
  ecai__smap slang;  /* stemmed chat spellings (owned keys) -> index into slang_rep */
  char **slang_rep;  /* stemmed replacement, "" = filler */
  size_t nslang;
  uint32_t *exdf;    /* per term: examples containing it (capterms long) */
  ecai__kb_example *ex;
  size_t nex, capex, ngroups;
  ecai__smap exkeys; /* owned keys: normalised-text hash -> group; hash + source -> 1 */
  ecai__kb_model model;
  bool model_dirty;       /* documents, chunks or examples changed since the fit */
  bool model_docs_dirty;  /* documents or chunks changed since the fit */
  size_t model_groups;    /* labelled questions (example groups) when it was fitted */
  uint64_t model_screen_id; /* the screen the model was fitted with (0: none) */
  ecai__wn *wn;        /* WordNet, or NULL (support.wordnet "" or not installed) */
  ecai__tokens surf;   /* the query's words unstemmed (WordNet lookups) */
  uint64_t changes;    /* counts every change of documents, chunks or examples */
  double *ex_norm2;    /* the examples' IDF norms (kb.c example_norms) as of ex_norm2_at */
  size_t ex_norm2_n;
  uint64_t ex_norm2_at;
  ecai__map map;       /* the mapped file it was opened from (kbfile.c), or empty */
  size_t nterms_mapped; /* terms[0..nterms_mapped) point into map */
};

typedef struct {
  size_t chunk;
  double score, bm25, cosine, coverage, example;
} ecai__kb_hit;

/* What retrieval saw, for the confidence: of the best hit (coverage, cosine, example
 * evidence of its entry), the margin to the best hit of another entry, the nearest
 * ESCALATE example, and strength = mean of coverage and cosine (the fixed rule). */
typedef struct {
  double strength, coverage, cosine, margin, ex_top, ex_esc;
  size_t nterms; /* content words of the question */
} ecai__kb_feats;

/* Retrieves up to k hits (sorted best first) into hits[]; *strength = coverage of the
 * best hit (0 when none). */
ecai_status ecai__kb_retrieve(ecai_kb *kb, const char *q, size_t len, size_t k, ecai__kb_hit *hits,
                              size_t *n_hits, double *strength);
/* The same with the features; examples of group skip_group are ignored (SIZE_MAX: none). */
ecai_status ecai__kb_retrieve_ex(ecai_kb *kb, const char *q, size_t len, size_t k, ecai__kb_hit *hits, size_t *n_hits,
                                 ecai__kb_feats *f, size_t skip_group);

/* Examples (examples.c). */
void ecai__kb_examples_free(ecai_kb *kb);
/* Adds a saved example without checking its source (ecai_kb_open). terms/vec: its saved
 * analysis (nterms ids below kb->nterms, kb->dim floats, copied), or NULL to analyse it. */
ecai_status ecai__kb_example_restore(ecai_kb *kb, const char *source, const char *question, const uint32_t *terms,
                                     size_t nterms, const float *vec);
/* Tokenises text into sorted unique content-term ids (vocabulary grows; filler, ids and
 * empty words dropped) and embeds it. */
ecai_status ecai__kb_example_analyse(ecai_kb *kb, const char *text, ecai__kb_example *e);
/* Replaces the query's chat spellings ("u", "pls", "acct") in kb->toks (after tokenising). */
ecai_status ecai__kb_slang_init(ecai_kb *kb);
const char *ecai__kb_slang_lookup(const ecai_kb *kb, const char *w, size_t wl);
/* XXH3 of the chat-spelling table (examples.c), and of it with the filler words (kb.c): what
 * an example's analysis depends on besides the tokenizer. */
uint64_t ecai__kb_slang_hash(void);
uint64_t ecai__kb_lists_hash(void);

/* Confidence (calib.c): refits when examples or documents changed (or when asked with
 * another screen); returns the model. screen (may be NULL): true for a question that is
 * escalated whatever retrieval finds (the assistant's input guard): left out of the fit;
 * screen_id names what it decides (a hash of the guard's configuration), so a model saved
 * with the KB serves another process with the same screen. */
const ecai__kb_model *ecai__kb_model_get(ecai_kb *kb, ecai__kb_screen screen, void *arg, uint64_t screen_id);
/* Whether the model serves the screen with this id (0: any) without a refit. */
bool ecai__kb_model_current(const ecai_kb *kb, uint64_t screen_id);
/* Probability that the best hit is a right answer, by the fitted model. */
double ecai__kb_model_prob(const ecai__kb_model *m, const ecai__kb_feats *f);
/* Internal helper: term id lookup / insertion in the vocabulary. */
ecai_status ecai__kb_term_id(ecai_kb *kb, const char *w, size_t wl, uint32_t *id);
bool ecai__kb_is_filler(const ecai_kb *kb, const char *w, size_t wl);
/* Words of text that carry a topic (not stop words, filler, chat spellings or ids). */
size_t ecai__kb_content_words(ecai_kb *kb, const char *text, size_t len);

/* Saving and opening (kbfile.c) build a KB through these. */
typedef struct {
  const char *section, *text;
  bool faq;
} ecai__kb_saved;
/* Adds a saved document whose chunks are analysed now (an ECAIKB1 file, or a mapped file
 * analysed by another tokenizer or embedder). */
ecai_status ecai__kb_restore_doc(ecai_kb *kb, const char *source, const char *origin, uint64_t hash,
                                 const ecai__kb_saved *chunks, size_t n);
/* Makes terms[0..n) (borrowed: they must outlive the KB) the vocabulary of an empty KB,
 * term i having id i. ECAI_ECORRUPT for a duplicate term. */
ecai_status ecai__kb_adopt_vocab(ecai_kb *kb, char *const *terms, size_t n);
/* Adds a saved document with its chunks already analysed (copied by value; their arrays
 * are not copied: mark them `mapped` when they are borrowed). Term ids must be below
 * kb->nterms. ECAI_ECORRUPT when the document is already there. */
ecai_status ecai__kb_adopt_doc(ecai_kb *kb, const char *source, const char *origin, uint64_t hash,
                               const ecai__kb_chunk *chunks, size_t n);

/* The extractive answer for a question from one chunk (owned, ecai__free). */
ecai_status ecai__kb_extract(ecai_kb *kb, const char *q, size_t qlen, size_t chunk, char **out);

#endif
