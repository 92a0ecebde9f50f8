/* JSON helpers over jansson with clear error messages. */
#include <string.h>

#include "core/internal.h"

ecai_status ecai__json_dump(char **out, size_t *out_len, const json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!s) return ecai__err(ECAI_ENOMEM, "out of memory serialising JSON");
  size_t n = strlen(s);
  char *d = ecai__strndup(s, n);
  free(s); /* jansson's default allocator */
  if (!d) return ecai__err(ECAI_ENOMEM, "out of memory serialising JSON");
  *out = d;
  if (out_len) *out_len = n;
  return ECAI_OK;
}

ecai_status ecai__json_parse(json_t **out, const char *s, size_t len, const char *what) {
  json_error_t e;
  *out = NULL;
  json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
  if (!j)
    return ecai__err(ECAI_EPARSE, "%s: malformed JSON: %s at line %d column %d (byte %d)", what,
                     e.text, e.line, e.column, e.position);
  *out = j;
  return ECAI_OK;
}

ecai_status ecai__json_options(json_t **out, const char *s, const char *what) {
  *out = NULL;
  if (!s || !*s) return ECAI_OK;
  ecai_status st = ecai__json_parse(out, s, strlen(s), what);
  if (st) return st;
  return json_is_object(*out) ? ECAI_OK : ecai__err(ECAI_EINVAL, "%s must be a JSON object", what);
}
