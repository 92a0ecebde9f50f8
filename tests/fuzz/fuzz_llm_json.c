/* Fuzz target: JSON mode. The first line is a shape spec ("key:type,..."), the rest the
 * model's answer; a shape that validates must come back as a JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  const char *nl = memchr(s, '\n', size);
  size_t sl = nl ? (size_t)(nl - s) : size;
  char *shape = malloc(sl + 1);
  if (!shape) return 0;
  memcpy(shape, s, sl);
  shape[sl] = 0;
  const char *text = nl ? nl + 1 : s + size;
  size_t tl = (size_t)(s + size - text);
  if (ecai__llm_shape_check_spec(shape) == ECAI_OK) {
    json_t *obj = NULL;
    char why[256];
    why[0] = 0;
    if (ecai__llm_shape_ok(&obj, text, tl, shape, why, sizeof why)) {
      if (!obj || !json_is_object(obj)) abort();
    }
    if (memchr(why, 0, sizeof why) == NULL) abort();
    json_decref(obj);
  }
  free(shape);
  return 0;
}
