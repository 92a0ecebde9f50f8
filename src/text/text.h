/*
 * Internal text processing: the ONE tokenizer of libecai (catalog, embedder, index and
 * the keyword search all use it so that index and query agree).
 *
 *   normalise: strict UTF-8 check (ECAI_EPARSE with the byte offset), NFKC + case
 *              folding with utf8proc (ASCII fast path: lower-casing only, same result);
 *   tokenise:  maximal runs of letters/digits; a run starting with digits followed by
 *              letters is split ("60in" -> "60" "in"); numbers keep '.', ',' and '/'
 *              between digits ("1/2", "1.5"); a '"' or '\'' right after a number becomes
 *              the unit "in" / "ft"; unit words are canonicalised (inch/inches/in -> in,
 *              feet/foot -> ft, gallon -> gal, pounds/lbs -> lb, ...);
 *   options:   English stop words removed, Snowball English stemming of words.
 */
#ifndef ECAI_TEXT_H
#define ECAI_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

enum { ECAI__TOK_WORD = 1, ECAI__TOK_NUM = 2, ECAI__TOK_UNIT = 3 };
enum { ECAI__TOKF_STEM = 1, ECAI__TOKF_STOP = 2 };

typedef struct ecai__tokens {
  char *text;               /* token bytes, each token NUL-terminated */
  size_t text_len, text_cap;
  uint32_t *off, *len;      /* token i = text + off[i], length len[i] */
  uint8_t *kind;
  size_t n, cap;
} ecai__tokens;

typedef struct ecai__tokenizer ecai__tokenizer;

/* A tokenizer owns a Snowball stemmer and scratch buffers: one thread at a time. */
ecai_status ecai__tokenizer_new(ecai__tokenizer **out);
void ecai__tokenizer_free(ecai__tokenizer *t);
/* Tokenises s[0..len) into *toks (reset first). Invalid UTF-8: ECAI_EPARSE with the
 * byte offset in the message. */
ecai_status ecai__tokenize(ecai__tokenizer *t, const char *s, size_t len, unsigned flags,
                           ecai__tokens *toks);
/* Stems one lower-case word (kind WORD); returns a pointer valid until the next call. */
const char *ecai__stem(ecai__tokenizer *t, const char *w, size_t len, size_t *out_len);
void ecai__tokens_free(ecai__tokens *toks);
/* NFKC + case fold into a buffer owned by the caller (ecai__free). */
ecai_status ecai__text_normalize(const char *s, size_t len, char **out, size_t *out_len);
/* True for a stop word (lower case). */
int ecai__is_stopword(const char *w, size_t len);

/* The version of what the tokenizer produces. Bump it in the same change as any code
 * change that alters a token (the golden test in tests/unit/test_text.c fails until the
 * version and its recorded hash are updated): saved analyses (the knowledge base's mapped
 * file) are reused only while ecai__text_fingerprint() is unchanged. */
#define ECAI__TEXT_VERSION 1u
/* XXH3 of ECAI__TEXT_VERSION, the utf8proc version and the stop-word and unit tables:
 * what decides the tokens, apart from Snowball's English stemmer (Debian's libstemmer). */
uint64_t ecai__text_fingerprint(void);

#endif
