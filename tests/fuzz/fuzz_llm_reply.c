/* Fuzz target: non-streaming LLM reply bodies (OpenAI chat completions and Anthropic
 * messages) and error bodies. The first byte picks the wire format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  ecai__prov prov = (data[0] & 1) ? ECAI__PROV_ANTHROPIC : ECAI__PROV_OPENAI;
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  ecai__parsed r;
  memset(&r, 0, sizeof r);
  ecai_status st = ecai__llm_parse(&r, prov, body, len);
  if (st == ECAI_OK) {
    if (r.text.len && !r.text.data) abort();
    if (memchr(r.finish, 0, sizeof r.finish) == NULL) abort(); /* finish stays terminated */
  }
  ecai__buf_free(&r.text);
  char msg[256];
  ecai__llm_error_message(msg, sizeof msg, body, len);
  if (memchr(msg, 0, sizeof msg) == NULL) abort();
  return 0;
}
