/* Fuzz target: the request side of the LLM wire formats. The input is split at the first
 * NUL into a user message (trusted path, ecai_prompt_add) and a template slot value
 * (untrusted path, ecai_prompt_add_template); the request body built for each provider,
 * plain and JSON mode, must be valid JSON that carries the user text unchanged, and the
 * slot value must stay inside its <data> section. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_internal.h"

static void check_body(ecai__prov prov, bool json_mode, const ecai_prompt *p, const char *user, size_t ul) {
  char *body = NULL;
  size_t bl = 0;
  if (ecai__llm_build(&body, &bl, prov, "m", 64, 0.5, false, json_mode, p, NULL) != ECAI_OK) return;
  json_error_t e;
  json_t *j = json_loadb(body, bl, 0, &e);
  if (!j) abort(); /* the library produced invalid JSON */
  json_t *msgs = json_object_get(j, "messages");
  if (!json_is_array(msgs)) abort();
  int found = 0;
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    json_t *c = json_object_get(m, "content");
    if (json_is_string(c) && json_string_length(c) == ul && !memcmp(json_string_value(c), user, ul)) found = 1;
  }
  if (!found) abort(); /* the user text did not survive escaping */
  json_decref(j);
  ecai_free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  const char *z = memchr(s, 0, size);
  size_t ul = z ? (size_t)(z - s) : size;
  ecai_prompt *p = NULL;
  if (ecai_prompt_new(&p) != ECAI_OK) abort();
  if (ecai_prompt_add(p, ECAI_LLM_SYSTEM, "You are terse.", 14) != ECAI_OK) abort();
  if (ul && ecai_prompt_add(p, ECAI_LLM_USER, s, ul) == ECAI_OK) {
    for (int prov = ECAI__PROV_OPENAI; prov <= ECAI__PROV_ANTHROPIC; prov++) {
      check_body((ecai__prov)prov, false, p, s, ul);
      check_body((ecai__prov)prov, true, p, s, ul);
    }
  }
  if (z) {
    json_t *slots = json_object();
    json_t *v = json_stringn_nocheck(z + 1, size - ul - 1);
    json_object_set_new(slots, "q", v);
    char *sj = json_dumps(slots, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(slots);
    ecai_prompt *t = NULL;
    if (sj && ecai_prompt_new(&t) == ECAI_OK) {
      if (ecai_prompt_add_template(t, ECAI_LLM_USER, "Question: {{q}} -- answer briefly.", sj) == ECAI_OK) {
        char *pj = NULL;
        size_t pl = 0;
        if (ecai_prompt_json(&pj, &pl, t) != ECAI_OK) abort();
        json_t *arr = json_loadb(pj, pl, 0, NULL);
        const char *txt = json_string_value(json_object_get(json_array_get(arr, 0), "content"));
        if (!txt) abort();
        /* exactly one data section, closed once, and the trusted tail after it */
        const char *open = strstr(txt, "<data name=\"q\">");
        const char *close = strstr(txt, "</data>");
        if (!open || !close || close < open || strstr(close + 1, "</data>") || strstr(open + 1, "<data ")) abort();
        if (strcmp(close + 7, " -- answer briefly.") != 0) abort();
        json_decref(arr);
        ecai_free(pj);
      }
      ecai_prompt_free(t);
    }
    free(sj);
  }
  ecai_prompt_free(p);
  return 0;
}
