/* Internal: embedder structure shared by the builtin and remote kinds. */
#ifndef ECAI_EMBED_INTERNAL_H
#define ECAI_EMBED_INTERNAL_H

#include <pthread.h>

#include "ecai/embed.h"
#include "catalog/ser.h"
#include "core/internal.h"
#include "text/text.h"

enum { ECAI__EMB_BUILTIN = 1, ECAI__EMB_OPENAI = 2 };
#define ECAI__IDF_BITS 20
#define ECAI__IDF_BUCKETS (1u << ECAI__IDF_BITS)
#define ECAI__POOL 16

struct ecai_embedder {
  ecai_ctx *ctx;
  int kind;
  size_t dim;
  char *model;
  /* builtin */
  int ngram_min, ngram_max, bigrams;
  double w_word, w_bigram, w_char;
  double idf_power;    /* IDF weights are raised to this power (0 = no IDF) */
  float *idf;          /* ECAI__IDF_BUCKETS weights fitted or read here (owned), or NULL */
  const unsigned char *idf_in; /* the weights in use: idf, or in the mapped file (unaligned
                                * little-endian floats, read with memcpy); NULL before fit (all 1) */
  ecai__map map;               /* embedder.bin when its weights are used in place */
  uint64_t state_hash; /* hash of the fitted state */
  pthread_mutex_t mu;
  ecai__tokenizer *pool[ECAI__POOL];
  int npool;
  /* remote */
  void *remote;             /* struct ecai__remote *, see remote.c */
  struct ecai_cache *cache; /* attached exact cache (remote kinds), borrowed */
};

/* Restores a saved embedder (ecai_embedder_save's payload) / from its mapped file
 * (ecai__blob_map; takes *m in every case: the fitted weights are used in place on
 * little-endian hosts, one shared copy in the page cache, and the mapping kept until
 * ecai_embedder_free). */
ecai_status ecai__embedder_read(ecai_embedder **out, ecai_ctx *ctx, const char *data, size_t len);
ecai_status ecai__embedder_map(ecai_embedder **out, ecai_ctx *ctx, ecai__map *m);

ecai_status ecai__remote_init(ecai_embedder *e);
void ecai__remote_free(ecai_embedder *e);
/* Sends one text to learn the dimension (when embedder.dim is not set). */
ecai_status ecai__remote_probe_dim(ecai_embedder *e, const char *text, size_t len);
/* Parses an embeddings reply body into out rows [first, first + n) (out NULL: only
 * learns/checks the dimension); ECAI_EPARSE on any malformed or mismatched reply. */
ecai_status ecai__remote_parse_reply(ecai_embedder *e, const char *body, size_t len, float *out, size_t n,
                                     size_t first);
ecai_status ecai__remote_embed(ecai_embedder *e, float *out, const char *const *texts, const size_t *lens,
                               size_t n);

#endif
