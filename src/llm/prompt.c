/* Prompts: messages and templates whose slots become escaped <data> sections. */
#include <string.h>

#include "llm/llm_internal.h"

ecai_status ecai_prompt_new(ecai_prompt **out) {
  ECAI__CHECK_ARG(out);
  *out = ecai__calloc(1, sizeof **out);
  if (!*out) return ecai__err(ECAI_ENOMEM, "ecai_prompt_new: out of memory");
  return ECAI_OK;
}

void ecai_prompt_free(ecai_prompt *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) ecai__free(p->msgs[i].text);
  ecai__free(p->msgs);
  ecai__free(p);
}

ecai_status ecai__prompt_push(ecai_prompt *p, ecai_llm_role role, const char *text, size_t len) {
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 4;
    ecai__msg *m = ecai__realloc(p->msgs, nc * sizeof *m);
    if (!m) return ecai__err(ECAI_ENOMEM, "prompt: out of memory");
    p->msgs = m;
    p->cap = nc;
  }
  char *t = ecai__strndup(text, len);
  if (!t) return ecai__err(ECAI_ENOMEM, "prompt: out of memory");
  p->msgs[p->n++] = (ecai__msg){role, t, len};
  return ECAI_OK;
}

static ecai_status check_role(ecai_llm_role role) {
  if (role != ECAI_LLM_SYSTEM && role != ECAI_LLM_USER && role != ECAI_LLM_ASSISTANT)
    return ecai__err(ECAI_EINVAL, "prompt: unknown role %d", (int)role);
  return ECAI_OK;
}

ecai_status ecai_prompt_add(ecai_prompt *p, ecai_llm_role role, const char *text, size_t len) {
  ECAI__CHECK_ARG(p);
  if (!text && len) return ecai__err(ECAI_EINVAL, "ecai_prompt_add: argument 'text' is NULL");
  ecai_status st = check_role(role);
  if (st) return st;
  size_t bad;
  if (len && !ecai__utf8_valid(text, len, &bad))
    return ecai__err(ECAI_EINVAL, "ecai_prompt_add: text is not valid UTF-8 (byte %zu)", bad);
  return ecai__prompt_push(p, role, text ? text : "", len);
}

/* Appends s escaped for a data section: & < > become entities. */
static void append_escaped(ecai__buf *b, const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    const char *rep = NULL;
    if (s[i] == '&') rep = "&amp;";
    else if (s[i] == '<') rep = "&lt;";
    else if (s[i] == '>') rep = "&gt;";
    if (rep) {
      ecai__buf_append(b, s + start, i - start);
      ecai__buf_puts(b, rep);
      start = i + 1;
    }
  }
  ecai__buf_append(b, s + start, n - start);
}

ecai_status ecai_prompt_add_template(ecai_prompt *p, ecai_llm_role role, const char *tmpl, const char *slots_json) {
  ECAI__CHECK_ARG(p);
  ECAI__CHECK_ARG(tmpl);
  ecai_status st = check_role(role);
  if (st) return st;
  size_t bad, tl = strlen(tmpl);
  if (!ecai__utf8_valid(tmpl, tl, &bad))
    return ecai__err(ECAI_EINVAL, "prompt template: not valid UTF-8 (byte %zu)", bad);
  json_t *slots = NULL;
  if (slots_json) {
    st = ecai__json_parse(&slots, slots_json, strlen(slots_json), "prompt slots");
    if (st) return st;
    if (!json_is_object(slots)) {
      json_decref(slots);
      return ecai__err(ECAI_EINVAL, "prompt slots: expected a JSON object");
    }
  }
  ecai__buf b = {0};
  const char *s = tmpl;
  while (*s) {
    if (s[0] == '{' && s[1] == '{' && s[2] == '{' && s[3] == '{') {
      ecai__buf_puts(&b, "{{");
      s += 4;
      continue;
    }
    if (s[0] == '{' && s[1] == '{') {
      const char *e = strstr(s + 2, "}}");
      if (!e) {
        st = ecai__err(ECAI_EINVAL, "prompt template: unclosed '{{' at byte %zu", (size_t)(s - tmpl));
        goto done;
      }
      char name[128];
      size_t nl = (size_t)(e - (s + 2));
      if (nl == 0 || nl >= sizeof name) {
        st = ecai__err(ECAI_EINVAL, "prompt template: bad slot name at byte %zu", (size_t)(s - tmpl));
        goto done;
      }
      memcpy(name, s + 2, nl);
      name[nl] = '\0';
      for (size_t i = 0; i < nl; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
          st = ecai__err(ECAI_EINVAL, "prompt template: bad slot name '%s'", name);
          goto done;
        }
      }
      json_t *v = slots ? json_object_get(slots, name) : NULL;
      if (!v || !(json_is_string(v) || json_is_number(v))) {
        st = ecai__err(ECAI_EINVAL, "prompt template: no string value for slot '%s'", name);
        goto done;
      }
      ecai__buf_printf(&b, "<data name=\"%s\">", name);
      if (json_is_string(v)) {
        const char *vs = json_string_value(v);
        append_escaped(&b, vs, json_string_length(v));
      } else if (json_is_integer(v)) {
        ecai__buf_printf(&b, "%lld", (long long)json_integer_value(v));
      } else {
        ecai__buf_printf(&b, "%.17g", json_number_value(v));
      }
      ecai__buf_puts(&b, "</data>");
      s = e + 2;
      continue;
    }
    ecai__buf_append(&b, s, 1);
    s++;
  }
  if (b.oom) {
    st = ecai__err(ECAI_ENOMEM, "prompt template: out of memory");
    goto done;
  }
  st = ecai__prompt_push(p, role, b.data ? b.data : "", b.len);
done:
  ecai__buf_free(&b);
  json_decref(slots);
  return st;
}

static const char *role_name(ecai_llm_role r) {
  return r == ECAI_LLM_SYSTEM ? "system" : r == ECAI_LLM_ASSISTANT ? "assistant" : "user";
}

ecai_status ecai_prompt_json(char **out, size_t *out_len, const ecai_prompt *p) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(p);
  json_t *a = json_array();
  if (!a) return ecai__err(ECAI_ENOMEM, "ecai_prompt_json: out of memory");
  for (size_t i = 0; i < p->n; i++) {
    json_t *m = json_pack("{s:s,s:s%}", "role", role_name(p->msgs[i].role), "content", p->msgs[i].text,
                          p->msgs[i].len);
    if (!m || json_array_append_new(a, m)) {
      json_decref(a);
      return ecai__err(ECAI_ENOMEM, "ecai_prompt_json: out of memory");
    }
  }
  ecai_status st = ecai__json_dump(out, out_len, a);
  json_decref(a);
  return st;
}
