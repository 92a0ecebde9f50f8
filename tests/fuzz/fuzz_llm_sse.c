/* Fuzz target: a server-sent-events stream (OpenAI or Anthropic streaming). The first
 * byte picks the wire format; the rest is split into lines the way the client does and
 * every "data:" payload goes through ecai__llm_sse_event. The concatenated deltas must
 * equal the accumulated text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  ecai__prov prov = (data[0] & 1) ? ECAI__PROV_ANTHROPIC : ECAI__PROV_OPENAI;
  const char *p = (const char *)data + 1, *end = (const char *)data + size;
  ecai__parsed r;
  memset(&r, 0, sizeof r);
  ecai__buf deltas;
  memset(&deltas, 0, sizeof deltas);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    size_t n = (size_t)(le - p);
    if (n && p[n - 1] == '\r') n--;
    if (n >= 5 && memcmp(p, "data:", 5) == 0) {
      const char *d = p + 5;
      size_t dl = n - 5;
      if (dl && *d == ' ') d++, dl--;
      const char *delta = NULL;
      size_t dlen = 0, doff = 0;
      ecai_status st = ecai__llm_sse_event(&r, prov, d, dl, &delta, &dlen, &doff);
      if (st != ECAI_OK) break;
      if (dlen) {
        if (!delta || doff + dlen > r.text.len) abort();
        ecai__buf_append(&deltas, delta, dlen);
      }
    }
    p = nl ? nl + 1 : end;
  }
  if (deltas.len && (deltas.len > r.text.len || memcmp(deltas.data, r.text.data, deltas.len) != 0)) abort();
  if (memchr(r.err, 0, sizeof r.err) == NULL || memchr(r.finish, 0, sizeof r.finish) == NULL) abort();
  ecai__buf_free(&deltas);
  ecai__buf_free(&r.text);
  return 0;
}
