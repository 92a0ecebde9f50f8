/*
 * STAND-IN content vectors for products: hashed word unigrams + character 3..5-grams
 * of the product title (XXH3 feature hashing with a sign bit, L2-normalised).
 *
 * This is a placeholder until the library's builtin embedder (src/embed) lands: swap
 * the body of ecai__reco_text_vector() for a call to that embedder (same signature:
 * text in, dim floats out, unit length). Nothing else in the module depends on how
 * the vector is made.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "recommend/reco.h"

static void add_feature(float *out, size_t dim, const char *s, size_t n, uint64_t seed, float w) {
  uint64_t h = XXH3_64bits_withSeed(s, n, seed);
  size_t d = (size_t)(h % dim);
  out[d] += (h >> 63) ? w : -w;
}

void ecai__reco_text_vector(float *out, size_t dim, const char *text) {
  memset(out, 0, dim * sizeof *out);
  char buf[512];
  size_t n = 0;
  buf[n++] = ' ';
  for (const char *p = text; *p && n < sizeof buf - 2; p++) {
    unsigned char c = (unsigned char)*p;
    if (isalnum(c) || c >= 0x80) buf[n++] = (char)tolower(c);
    else if (buf[n - 1] != ' ') buf[n++] = ' ';
  }
  if (buf[n - 1] != ' ') buf[n++] = ' ';
  buf[n] = '\0';
  /* word unigrams */
  size_t i = 1;
  while (i < n) {
    size_t j = i;
    while (j < n && buf[j] != ' ') j++;
    if (j > i) add_feature(out, dim, buf + i, j - i, 1, 1.0f);
    i = j + 1;
  }
  /* char 3..5-grams over the padded text (word boundaries included) */
  for (size_t g = 3; g <= 5; g++)
    for (size_t s = 0; s + g <= n; s++) add_feature(out, dim, buf + s, g, 100 + g, 0.5f);
  double ss = 0;
  for (size_t d = 0; d < dim; d++) ss += (double)out[d] * out[d];
  if (ss > 0) {
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t d = 0; d < dim; d++) out[d] *= inv;
  }
}
