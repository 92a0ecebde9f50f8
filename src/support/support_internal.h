/* Internal declarations of the support module (src/support/). Never installed. */
#ifndef ECAI_SUPPORT_INTERNAL_H
#define ECAI_SUPPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
  uint32_t *terms, *tfs; /* sorted unique term ids and their counts */
  size_t nterms;
  uint32_t len;   /* tokens */
  float *vec;
  bool live, faq;
} ecai__kb_chunk;

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
  double total_len;
  ecai__smap vocab;
  char **terms;
  uint32_t *df;
  size_t nterms, capterms;
  int chunk_words, overlap;
  ecai__smap filler; /* stems of conversational words */
  ecai__tokens filler_toks;
};

typedef struct {
  size_t chunk;
  double score, bm25, cosine, coverage;
} ecai__kb_hit;

/* Retrieves up to k hits (sorted best first) into hits[]; *strength = coverage of the
 * best hit (0 when none). */
ecai_status ecai__kb_retrieve(ecai_kb *kb, const char *q, size_t len, size_t k, ecai__kb_hit *hits,
                              size_t *n_hits, double *strength);

/* The extractive answer for a question from one chunk (owned, ecai__free). */
ecai_status ecai__kb_extract(ecai_kb *kb, const char *q, size_t qlen, size_t chunk, char **out);

#endif
