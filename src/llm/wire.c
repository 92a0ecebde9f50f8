/* Wire formats: OpenAI Chat Completions and Anthropic Messages requests, replies, SSE events;
 * JSON-mode shape validation. */
#include <string.h>

#include "llm/llm_internal.h"

static const char JSON_INSTRUCTION[] =
    "Reply with exactly one JSON object and nothing else: no prose, no code fences.";

static const char *role_name(ecai_llm_role r) {
  return r == ECAI_LLM_SYSTEM ? "system" : r == ECAI_LLM_ASSISTANT ? "assistant" : "user";
}

/* Appends s as a JSON string literal. s is valid UTF-8 (checked on entry to the prompt). */
static void put_str(ecai__buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  ecai__buf_append(b, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    ecai__buf_append(b, s + start, i - start);
    char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
    size_t el = 2;
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default:
      e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
      el = 6;
    }
    ecai__buf_append(b, e, el);
    start = i + 1;
  }
  ecai__buf_append(b, s + start, n - start);
  ecai__buf_append(b, "\"", 1);
}

static void put_msg(ecai__buf *b, bool *first, const char *role, const char *text, size_t len) {
  if (!*first) ecai__buf_append(b, ",", 1);
  *first = false;
  ecai__buf_puts(b, "{\"role\":\"");
  ecai__buf_puts(b, role);
  ecai__buf_puts(b, "\",\"content\":");
  put_str(b, text, len);
  ecai__buf_append(b, "}", 1);
}

static void add_msgs(ecai__buf *b, bool *first, ecai__buf *system, ecai__prov prov, const ecai_prompt *p) {
  for (size_t i = 0; p && i < p->n; i++) {
    const ecai__msg *m = &p->msgs[i];
    if (prov == ECAI__PROV_ANTHROPIC && m->role == ECAI_LLM_SYSTEM) {
      if (system->len) ecai__buf_puts(system, "\n\n");
      ecai__buf_append(system, m->text, m->len);
      continue;
    }
    put_msg(b, first, role_name(m->role), m->text, m->len);
  }
}

/* Writes the body directly (no JSON tree): this is on every call's path. Numbers are
 * formatted without the C locale's decimal separator (a host may have set LC_NUMERIC). */
ecai_status ecai__llm_build(char **out, size_t *out_len, ecai__prov prov, const char *model, int64_t max_tokens,
                            double temperature, bool stream, bool json_mode, const ecai_prompt *p,
                            const ecai_prompt *extra) {
  *out = NULL;
  if (out_len) *out_len = 0;
  size_t nmsg = 0;
  for (size_t i = 0; p && i < p->n; i++) nmsg += p->msgs[i].role != ECAI_LLM_SYSTEM;
  for (size_t i = 0; extra && i < extra->n; i++) nmsg += extra->msgs[i].role != ECAI_LLM_SYSTEM;
  if (nmsg == 0) return ecai__err(ECAI_EINVAL, "llm: the prompt has no user or assistant message");
  if (!model) model = "";
  size_t bad;
  if (!ecai__utf8_valid(model, strlen(model), &bad))
    return ecai__err(ECAI_EINVAL, "llm: model name is not valid UTF-8 (byte %zu)", bad);
  ecai__buf b = {0}, system = {0};
  bool first = true;
  ecai__buf_puts(&b, "{\"model\":");
  put_str(&b, model, strlen(model));
  if (temperature < 0) temperature = 0;
  long long milli = (long long)(temperature * 1000.0 + 0.5);
  ecai__buf_printf(&b, ",\"max_tokens\":%lld,\"temperature\":%lld.%03lld", (long long)max_tokens, milli / 1000,
                   milli % 1000);
  ecai__buf_puts(&b, ",\"messages\":[");
  if (json_mode && prov == ECAI__PROV_ANTHROPIC) ecai__buf_puts(&system, JSON_INSTRUCTION);
  if (json_mode && prov == ECAI__PROV_OPENAI) put_msg(&b, &first, "system", JSON_INSTRUCTION, strlen(JSON_INSTRUCTION));
  add_msgs(&b, &first, &system, prov, p);
  add_msgs(&b, &first, &system, prov, extra);
  ecai__buf_append(&b, "]", 1);
  if (prov == ECAI__PROV_ANTHROPIC && system.len) {
    ecai__buf_puts(&b, ",\"system\":");
    put_str(&b, system.data, system.len);
  }
  if (stream) {
    ecai__buf_puts(&b, ",\"stream\":true");
    if (prov == ECAI__PROV_OPENAI) ecai__buf_puts(&b, ",\"stream_options\":{\"include_usage\":true}");
  }
  if (json_mode && prov == ECAI__PROV_OPENAI) ecai__buf_puts(&b, ",\"response_format\":{\"type\":\"json_object\"}");
  ecai__buf_append(&b, "}", 1);
  bool oom = b.oom || system.oom;
  ecai__buf_free(&system);
  if (oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "llm: out of memory building the request");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

static void set_finish(ecai__parsed *r, const char *s) {
  if (!s) return;
  /* normalise Anthropic stop reasons to the OpenAI vocabulary */
  if (!strcmp(s, "end_turn") || !strcmp(s, "stop_sequence")) s = "stop";
  else if (!strcmp(s, "max_tokens")) s = "length";
  snprintf(r->finish, sizeof r->finish, "%s", s);
}

ecai_status ecai__llm_parse(ecai__parsed *r, ecai__prov prov, const char *body, size_t len) {
  json_error_t jerr;
  json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!j)
    return ecai__err(ECAI_EPARSE, "llm: reply is not JSON: %s at line %d column %d (byte %d)", jerr.text,
                     jerr.line, jerr.column, jerr.position);
  ecai_status st = ECAI_OK;
  if (prov == ECAI__PROV_ANTHROPIC) {
    json_t *content = json_object_get(j, "content");
    if (!json_is_array(content)) {
      st = ecai__err(ECAI_EPARSE, "llm: reply has no 'content' array");
      goto done;
    }
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part) {
      json_t *t = json_object_get(part, "text");
      if (json_is_string(t)) ecai__buf_append(&r->text, json_string_value(t), json_string_length(t));
    }
    set_finish(r, json_string_value(json_object_get(j, "stop_reason")));
    json_t *u = json_object_get(j, "usage");
    r->prompt_tokens = json_integer_value(json_object_get(u, "input_tokens"));
    r->completion_tokens = json_integer_value(json_object_get(u, "output_tokens"));
  } else {
    json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
    json_t *msg = json_object_get(c0, "message");
    json_t *content = json_object_get(msg, "content");
    if (!c0 || !json_is_object(msg)) {
      st = ecai__err(ECAI_EPARSE, "llm: reply has no choices[0].message");
      goto done;
    }
    if (json_is_string(content)) ecai__buf_append(&r->text, json_string_value(content), json_string_length(content));
    else {
      st = ecai__err(ECAI_EPARSE, "llm: reply has no choices[0].message.content string");
      goto done;
    }
    set_finish(r, json_string_value(json_object_get(c0, "finish_reason")));
    json_t *u = json_object_get(j, "usage");
    r->prompt_tokens = json_integer_value(json_object_get(u, "prompt_tokens"));
    r->completion_tokens = json_integer_value(json_object_get(u, "completion_tokens"));
  }
  if (!r->text.data) ecai__buf_append(&r->text, "", 0);
  if (r->text.oom) st = ecai__err(ECAI_ENOMEM, "llm: out of memory reading the reply");
done:
  json_decref(j);
  return st;
}

ecai_status ecai__llm_sse_event(ecai__parsed *r, ecai__prov prov, const char *data, size_t len,
                                const char **delta_out, size_t *delta_len, size_t *delta_off) {
  if (delta_out) *delta_out = NULL;
  if (delta_len) *delta_len = 0;
  if (len == 6 && !memcmp(data, "[DONE]", 6)) {
    r->done = true;
    return ECAI_OK;
  }
  json_error_t jerr;
  json_t *j = json_loadb(data, len, 0, &jerr);
  if (!j) return ecai__err(ECAI_EPARSE, "llm: stream event is not JSON: %s", jerr.text);
  ecai_status st = ECAI_OK;
  json_t *err = json_object_get(j, "error");
  const char *delta = NULL;
  size_t dlen = 0;
  if (err) {
    const char *m = json_string_value(json_object_get(err, "message"));
    snprintf(r->err, sizeof r->err, "%s", m ? m : "error event");
    st = ecai__err(ECAI_EHTTP, "llm: the stream reported an error: %s", r->err);
    goto done;
  }
  if (prov == ECAI__PROV_ANTHROPIC) {
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) type = "";
    if (!strcmp(type, "message_start")) {
      json_t *u = json_object_get(json_object_get(j, "message"), "usage");
      r->prompt_tokens = json_integer_value(json_object_get(u, "input_tokens"));
    } else if (!strcmp(type, "content_block_delta")) {
      json_t *t = json_object_get(json_object_get(j, "delta"), "text");
      if (json_is_string(t)) {
        delta = json_string_value(t);
        dlen = json_string_length(t);
      }
    } else if (!strcmp(type, "message_delta")) {
      set_finish(r, json_string_value(json_object_get(json_object_get(j, "delta"), "stop_reason")));
      json_t *u = json_object_get(j, "usage");
      if (json_is_integer(json_object_get(u, "output_tokens")))
        r->completion_tokens = json_integer_value(json_object_get(u, "output_tokens"));
    } else if (!strcmp(type, "message_stop")) {
      r->done = true;
    }
  } else {
    json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
    if (c0) {
      json_t *t = json_object_get(json_object_get(c0, "delta"), "content");
      if (json_is_string(t)) {
        delta = json_string_value(t);
        dlen = json_string_length(t);
      }
      set_finish(r, json_string_value(json_object_get(c0, "finish_reason")));
    }
    json_t *u = json_object_get(j, "usage");
    if (json_is_object(u)) {
      r->prompt_tokens = json_integer_value(json_object_get(u, "prompt_tokens"));
      r->completion_tokens = json_integer_value(json_object_get(u, "completion_tokens"));
    }
  }
  if (delta && dlen) {
    size_t off = r->text.len;
    if (!ecai__buf_append(&r->text, delta, dlen)) {
      st = ecai__err(ECAI_ENOMEM, "llm: out of memory reading the stream");
      goto done;
    }
    /* hand back a pointer into r->text (stable until the next append) */
    if (delta_out) *delta_out = r->text.data + off;
    if (delta_len) *delta_len = dlen;
    if (delta_off) *delta_off = off;
  }
done:
  json_decref(j);
  return st;
}

void ecai__llm_error_message(char *dst, size_t cap, const char *body, size_t len) {
  dst[0] = '\0';
  if (!body || !len) return;
  json_t *j = json_loadb(body, len, 0, NULL);
  const char *m = NULL;
  if (j) {
    json_t *e = json_object_get(j, "error");
    m = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    if (!m) m = json_string_value(json_object_get(j, "message"));
  }
  if (m) snprintf(dst, cap, "%s", m);
  else {
    size_t n = len < cap - 1 ? len : cap - 1;
    if (n > 120) n = 120;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) dst[k++] = (body[i] >= 32 && body[i] < 127) ? body[i] : ' ';
    dst[k] = '\0';
  }
  json_decref(j);
}

/* ---- JSON mode shape ----------------------------------------------------------- */

static bool type_ok(json_t *v, const char *t, size_t tl) {
#define IS(s) (tl == sizeof(s) - 1 && !memcmp(t, s, tl))
  if (IS("any")) return true;
  if (IS("string")) return json_is_string(v);
  if (IS("number")) return json_is_number(v);
  if (IS("integer")) return json_is_integer(v);
  if (IS("boolean") || IS("bool")) return json_is_boolean(v);
  if (IS("array")) return json_is_array(v);
  if (IS("object")) return json_is_object(v);
  if (IS("null")) return json_is_null(v);
  return false;
#undef IS
}

static bool type_known(const char *t, size_t tl) {
  static const char *names[] = {"any", "string", "number", "integer", "boolean", "bool", "array", "object", "null"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == tl && !memcmp(names[i], t, tl)) return true;
  return false;
}

ecai_status ecai__llm_shape_check_spec(const char *shape) {
  if (!shape) return ECAI_OK;
  const char *s = shape;
  while (*s) {
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    const char *colon = memchr(s, ':', n);
    if (n == 0) return ecai__err(ECAI_EINVAL, "llm: JSON shape '%s' has an empty entry", shape);
    if (colon) {
      if (colon == s) return ecai__err(ECAI_EINVAL, "llm: JSON shape '%s' has an empty key", shape);
      if (!type_known(colon + 1, n - (size_t)(colon + 1 - s)))
        return ecai__err(ECAI_EINVAL, "llm: JSON shape '%s' has an unknown type", shape);
    }
    s += n + (comma ? 1 : 0);
  }
  return ECAI_OK;
}

bool ecai__llm_shape_ok(json_t **obj, const char *text, size_t len, const char *shape, char *why, size_t cap) {
  *obj = NULL;
  /* tolerate code fences and prose around one object: take the outermost braces */
  const char *b = memchr(text, '{', len);
  const char *e = NULL;
  for (size_t i = len; i > 0; i--)
    if (text[i - 1] == '}') {
      e = text + i - 1;
      break;
    }
  if (!b || !e || e < b) {
    snprintf(why, cap, "the reply contains no JSON object");
    return false;
  }
  json_error_t jerr;
  json_t *j = json_loadb(b, (size_t)(e - b) + 1, JSON_REJECT_DUPLICATES, &jerr);
  if (!j || !json_is_object(j)) {
    snprintf(why, cap, "the reply is not a valid JSON object (%s)", j ? "not an object" : jerr.text);
    json_decref(j);
    return false;
  }
  const char *s = shape ? shape : "";
  while (*s) {
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    const char *colon = memchr(s, ':', n);
    size_t kl = colon ? (size_t)(colon - s) : n;
    char key[128];
    if (kl >= sizeof key) kl = sizeof key - 1;
    memcpy(key, s, kl);
    key[kl] = '\0';
    json_t *v = json_object_get(j, key);
    if (!v) {
      snprintf(why, cap, "required key '%s' is missing", key);
      json_decref(j);
      return false;
    }
    if (colon && !type_ok(v, colon + 1, n - kl - 1)) {
      snprintf(why, cap, "key '%s' must be of type %.*s", key, (int)(n - kl - 1), colon + 1);
      json_decref(j);
      return false;
    }
    s += n + (comma ? 1 : 0);
  }
  *obj = j;
  return true;
}
