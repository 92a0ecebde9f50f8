/* Fuzz target: remote embedder (OpenAI-compatible /v1/embeddings) reply bodies.
 * The first byte picks the case: bits 0-1 the number of inputs (1..4), bit 2 an unknown
 * dimension (probing: out is NULL, the reply teaches it) instead of dimension 8. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed/embed_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t n = 1 + (data[0] & 3);
  int probe = (data[0] >> 2) & 1;
  struct ecai_embedder e;
  memset(&e, 0, sizeof e);
  e.kind = ECAI__EMB_OPENAI;
  e.dim = probe ? 0 : 8;
  float out[4 * 8];
  for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) out[i] = NAN;
  ecai_status st = ecai__remote_parse_reply(&e, (const char *)data + 1, size - 1, probe ? NULL : out, n, 0);
  if (probe) {
    if (e.dim > 65536) abort(); /* a learned dimension stays bounded */
    return 0;
  }
  if (e.dim != 8) abort(); /* a known dimension never changes */
  if (st == ECAI_OK) {
    for (size_t r = 0; r < n; r++) { /* every row written, finite, unit length or zero */
      double s = 0;
      for (size_t k = 0; k < 8; k++) {
        float v = out[r * 8 + k];
        if (!isfinite(v)) abort();
        s += (double)v * v;
      }
      if (s != 0 && fabs(s - 1.0) > 1e-3) abort();
    }
  }
  return 0;
}
