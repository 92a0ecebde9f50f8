/* ecai_ctx: configuration from JSON + environment, secrets kept apart, logging. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/internal.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define MAX_SECRETS 16

struct ecai_ctx {
  json_t *cfg; /* merged visible configuration (no secrets) */
  struct { char *path; char *value; } secrets[MAX_SECRETS];
  size_t nsecrets;
  ecai_log_fn log_fn;
  void *log_payload;
  ecai_log_level log_min;
};

/* ---- schema lookup ------------------------------------------------------- */

static const ecai__cfg_key *schema_find(const char *path) {
  for (const ecai__cfg_key *k = ecai__cfg_schema; k->path; k++)
    if (strcmp(k->path, path) == 0) return k;
  return NULL;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 99;
  size_t d[64][64];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
      d[i][j] = c;
    }
  return d[la][lb];
}

static const char *suggest(const char *path) {
  const char *best = NULL;
  size_t bd = 3;
  for (const ecai__cfg_key *k = ecai__cfg_schema; k->path; k++) {
    size_t d = edit_distance(path, k->path);
    if (d < bd) { bd = d; best = k->path; }
  }
  return best;
}

static const char *type_name(ecai__cfg_type t) {
  switch (t) {
  case ECAI__CFG_SECTION: return "an object";
  case ECAI__CFG_STR: return "a string";
  case ECAI__CFG_INT: return "an integer";
  case ECAI__CFG_NUM: return "a number";
  case ECAI__CFG_BOOL: return "true or false";
  case ECAI__CFG_OBJ: return "an object";
  case ECAI__CFG_ARR: return "an array";
  }
  return "?";
}

static bool type_ok(ecai__cfg_type t, const json_t *v) {
  switch (t) {
  case ECAI__CFG_SECTION: case ECAI__CFG_OBJ: return json_is_object(v);
  case ECAI__CFG_STR: return json_is_string(v);
  case ECAI__CFG_INT: return json_is_integer(v);
  case ECAI__CFG_NUM: return json_is_number(v);
  case ECAI__CFG_BOOL: return json_is_boolean(v);
  case ECAI__CFG_ARR: return json_is_array(v);
  }
  return false;
}

static bool choice_ok(const char *choices, const char *v) {
  size_t n = strlen(v);
  for (const char *p = choices; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, v, n) == 0) return true;
    if (!bar) break;
    p = bar + 1;
  }
  return false;
}

/* ---- dotted-path access -------------------------------------------------- */

json_t *ecai__cfg_get(const ecai_ctx *ctx, const char *path) {
  if (!ctx || !path) return NULL;
  json_t *cur = ctx->cfg;
  char part[128];
  const char *p = path;
  while (cur && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n >= sizeof part) return NULL;
    memcpy(part, p, n);
    part[n] = '\0';
    cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
    p = dot ? dot + 1 : p + n;
  }
  return cur;
}

/* Sets a value at a dotted path, creating intermediate objects. Steals v. */
static int cfg_set(json_t *root, const char *path, json_t *v) {
  char buf[256];
  if (strlen(path) >= sizeof buf) { json_decref(v); return -1; }
  strcpy(buf, path);
  json_t *cur = root;
  char *p = buf;
  for (char *dot; (dot = strchr(p, '.')); p = dot + 1) {
    *dot = '\0';
    json_t *next = json_object_get(cur, p);
    if (!json_is_object(next)) {
      next = json_object();
      if (!next || json_object_set_new(cur, p, next)) { json_decref(v); return -1; }
    }
    cur = next;
  }
  return json_object_set_new(cur, p, v);
}

const char *ecai__cfg_str(const ecai_ctx *ctx, const char *path, const char *dflt) {
  json_t *v = ecai__cfg_get(ctx, path);
  return json_is_string(v) ? json_string_value(v) : dflt;
}
int64_t ecai__cfg_int(const ecai_ctx *ctx, const char *path, int64_t dflt) {
  json_t *v = ecai__cfg_get(ctx, path);
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}
double ecai__cfg_double(const ecai_ctx *ctx, const char *path, double dflt) {
  json_t *v = ecai__cfg_get(ctx, path);
  return json_is_number(v) ? json_number_value(v) : dflt;
}
bool ecai__cfg_bool(const ecai_ctx *ctx, const char *path, bool dflt) {
  json_t *v = ecai__cfg_get(ctx, path);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

const char *ecai__ctx_secret(const ecai_ctx *ctx, const char *path) {
  if (!ctx || !path) return NULL;
  for (size_t i = 0; i < ctx->nsecrets; i++)
    if (strcmp(ctx->secrets[i].path, path) == 0) return ctx->secrets[i].value;
  return NULL;
}

/* SECTION.auth "none" or SECTION.api_key "none": the endpoint takes no key. */
static bool keyless(const ecai_ctx *ctx, const char *section) {
  char auth[64], key[64];
  snprintf(auth, sizeof auth, "%s.auth", section);
  snprintf(key, sizeof key, "%s.api_key", section);
  const char *k = ecai__ctx_secret(ctx, key);
  return strcmp(ecai__cfg_str(ctx, auth, "key"), "none") == 0 || (k && strcmp(k, "none") == 0);
}

const char *ecai__ctx_api_key(const ecai_ctx *ctx, const char *section) {
  char key[64];
  snprintf(key, sizeof key, "%s.api_key", section);
  return keyless(ctx, section) ? NULL : ecai__ctx_secret(ctx, key);
}

/* Whether SECTION talks to a remote endpoint at all (llm.provider, embedder.kind). */
static bool in_use(const ecai_ctx *ctx, const char *section) {
  if (!strcmp(section, "llm")) return strcmp(ecai__cfg_str(ctx, "llm.provider", "none"), "none") != 0;
  if (!strcmp(section, "embedder")) return strcmp(ecai__cfg_str(ctx, "embedder.kind", "builtin"), "builtin") != 0;
  return true;
}

/* A SECTION.api_key_env naming a variable that is unset or empty would send requests without
 * a key: an error when the section is in use, unless it says its endpoint takes none. Names
 * the variable only, never a value. */
static ecai_status check_key_envs(const ecai_ctx *ctx) {
  for (const ecai__cfg_key *k = ecai__cfg_schema; k->path; k++) {
    if (!(k->flags & ECAI__CFG_ENV_OF)) continue;
    const char *name = ecai__cfg_str(ctx, k->path, NULL), *ev = name ? getenv(name) : NULL;
    if (!name || (ev && *ev) || ecai__ctx_secret(ctx, k->choices)) continue;
    char section[64];
    snprintf(section, sizeof section, "%.*s", (int)(strchr(k->path, '.') - k->path), k->path);
    if (keyless(ctx, section) || !in_use(ctx, section)) continue;
    return ecai__err(ECAI_EINVAL,
                     "config: '%s' names the environment variable %.100s, which is not set or empty (set it, or "
                     "say \"%s\": {\"auth\": \"none\"} for an endpoint that takes no key)",
                     k->path, name, section);
  }
  return ECAI_OK;
}

static ecai_status secret_set(ecai_ctx *ctx, const char *path, const char *value) {
  for (size_t i = 0; i < ctx->nsecrets; i++)
    if (strcmp(ctx->secrets[i].path, path) == 0) {
      char *v = ecai__strdup(value);
      if (!v) return ecai__err(ECAI_ENOMEM, "config: out of memory");
      ecai__free(ctx->secrets[i].value);
      ctx->secrets[i].value = v;
      return ECAI_OK;
    }
  if (ctx->nsecrets == MAX_SECRETS) return ecai__err(ECAI_EINVAL, "config: too many secrets");
  char *p = ecai__strdup(path), *v = ecai__strdup(value);
  if (!p || !v) {
    ecai__free(p);
    ecai__free(v);
    return ecai__err(ECAI_ENOMEM, "config: out of memory");
  }
  ctx->secrets[ctx->nsecrets].path = p;
  ctx->secrets[ctx->nsecrets].value = v;
  ctx->nsecrets++;
  return ECAI_OK;
}

/* ---- building ------------------------------------------------------------ */

static ecai_status apply_defaults(ecai_ctx *ctx) {
  for (const ecai__cfg_key *k = ecai__cfg_schema; k->path; k++) {
    json_t *v = NULL;
    if (k->type == ECAI__CFG_SECTION) v = json_object();
    else if (k->dflt) v = json_loads(k->dflt, JSON_DECODE_ANY, NULL);
    else continue;
    if (!v || cfg_set(ctx->cfg, k->path, v) != 0)
      return ecai__err(ECAI_ENOMEM, "config: out of memory");
  }
  return ECAI_OK;
}

static ecai_status apply_doc(ecai_ctx *ctx, json_t *obj, const char *prefix) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    char path[256];
    int n = snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
    if (n < 0 || (size_t)n >= sizeof path)
      return ecai__err(ECAI_EINVAL, "config: key path too long: '%s.%.40s...'", prefix, key);
    const ecai__cfg_key *k = schema_find(path);
    if (!k) {
      const char *s = suggest(path);
      if (s) return ecai__err(ECAI_EINVAL, "config: unknown key '%s' (did you mean '%s'?)", path, s);
      return ecai__err(ECAI_EINVAL, "config: unknown key '%s'", path);
    }
    if (!type_ok(k->type, v))
      return ecai__err(ECAI_EINVAL, "config: key '%s' must be %s", path, type_name(k->type));
    if (k->type == ECAI__CFG_SECTION) {
      ecai_status st = apply_doc(ctx, v, path);
      if (st) return st;
      continue;
    }
    if (k->type == ECAI__CFG_STR && k->choices && !(k->flags & ECAI__CFG_ENV_OF) &&
        !choice_ok(k->choices, json_string_value(v)))
      return ecai__err(ECAI_EINVAL, "config: key '%s' must be one of %s (got \"%.60s\")", path,
                       k->choices, json_string_value(v));
    if (k->flags & ECAI__CFG_SECRET) {
      ecai_status st = secret_set(ctx, path, json_string_value(v));
      if (st) return st;
      continue;
    }
    if (k->flags & ECAI__CFG_ENV_OF) {
      const char *ev = getenv(json_string_value(v));
      if (ev && *ev) {
        ecai_status st = secret_set(ctx, k->choices, ev);
        if (st) return st;
      }
    }
    if (cfg_set(ctx->cfg, path, json_deep_copy(v)) != 0)
      return ecai__err(ECAI_ENOMEM, "config: out of memory");
  }
  return ECAI_OK;
}

static ecai_status apply_env(ecai_ctx *ctx) {
  for (const ecai__cfg_env *e = ecai__cfg_env_overrides; e->env; e++) {
    const char *v = getenv(e->env);
    if (!v || !*v) continue;
    const ecai__cfg_key *k = schema_find(e->path);
    if (k && (k->flags & ECAI__CFG_SECRET)) {
      ecai_status st = secret_set(ctx, e->path, v);
      if (st) return st;
    } else {
      json_t *s = json_string(v);
      if (!s || cfg_set(ctx->cfg, e->path, s) != 0)
        return ecai__err(ECAI_ENOMEM, "config: out of memory");
    }
  }
  return ECAI_OK;
}

static ecai_log_level level_from_name(const char *s) {
  if (!strcmp(s, "debug")) return ECAI_LOG_DEBUG;
  if (!strcmp(s, "info")) return ECAI_LOG_INFO;
  if (!strcmp(s, "error")) return ECAI_LOG_ERROR;
  if (!strcmp(s, "off")) return ECAI_LOG_OFF;
  return ECAI_LOG_WARN;
}

ecai_status ecai_ctx_new(ecai_ctx **out, const char *json, size_t len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (!json && len) return ecai__err(ECAI_EINVAL, "ecai_ctx_new: json is NULL but len is %zu", len);
  ecai_ctx *ctx = ecai__calloc(1, sizeof *ctx);
  if (!ctx) return ecai__err(ECAI_ENOMEM, "ecai_ctx_new: out of memory");
  ecai__ctx_count_add(1);
  ctx->log_min = ECAI_LOG_WARN;
  ecai_status st = ECAI_OK;
  json_t *doc = NULL;
  ctx->cfg = json_object();
  if (!ctx->cfg) { st = ecai__err(ECAI_ENOMEM, "ecai_ctx_new: out of memory"); goto fail; }
  if ((st = apply_defaults(ctx))) goto fail;
  if (json && len) {
    size_t bad;
    if (!ecai__utf8_valid(json, len, &bad)) {
      st = ecai__err(ECAI_EPARSE, "config: invalid UTF-8 at byte %zu", bad);
      goto fail;
    }
    if ((st = ecai__json_parse(&doc, json, len, "config"))) goto fail;
    if (!json_is_object(doc)) {
      st = ecai__err(ECAI_EINVAL, "config: the document must be a JSON object");
      goto fail;
    }
    if ((st = apply_doc(ctx, doc, ""))) goto fail;
  }
  if ((st = apply_env(ctx))) goto fail;
  if ((st = check_key_envs(ctx))) goto fail;
  ctx->log_min = level_from_name(ecai__cfg_str(ctx, "log_level", "warn"));
  json_decref(doc);
  *out = ctx;
  return ECAI_OK;
fail:
  json_decref(doc);
  ecai_ctx_free(ctx);
  return st;
}

ecai_status ecai_ctx_new_from_file(ecai_ctx **out, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(path);
  ecai__buf b;
  ecai_status rs = ecai__read_file(&b, path, (size_t)64 << 20, ECAI_EIO, "config file");
  if (rs) return rs;
  ecai_status st = ecai_ctx_new(out, b.data ? b.data : "", b.len);
  ecai__buf_free(&b);
  if (st) ecai__err_prefix(st, "%s", path);
  return st;
}

void ecai_ctx_free(ecai_ctx *ctx) {
  if (!ctx) return;
  json_decref(ctx->cfg);
  for (size_t i = 0; i < ctx->nsecrets; i++) {
    /* wipe secrets before releasing them */
    volatile char *v = ctx->secrets[i].value;
    while (v && *v) *v++ = 0;
    ecai__free(ctx->secrets[i].path);
    ecai__free(ctx->secrets[i].value);
  }
  ecai__free(ctx);
  ecai__ctx_count_add(-1);
}

ecai_status ecai_ctx_set_log(ecai_ctx *ctx, ecai_log_level min_level, ecai_log_fn fn, void *payload) {
  ECAI__CHECK_ARG(ctx);
  switch (min_level) {
  case ECAI_LOG_DEBUG: case ECAI_LOG_INFO: case ECAI_LOG_WARN: case ECAI_LOG_ERROR: case ECAI_LOG_OFF:
    break;
  default:
    return ecai__err(ECAI_EINVAL, "ecai_ctx_set_log: unknown level %d", (int)min_level);
  }
  ctx->log_fn = fn;
  ctx->log_payload = payload;
  ctx->log_min = min_level;
  return ECAI_OK;
}

/* "scheme://user:password@host..." -> *out = the same with "***" for the password;
 * returns 1 (masked), 0 (no password in s) or -1 (out of memory). Passwords inside URLs (redis.url) are
 * not declared secrets, so the dump must mask them itself. */
static int masked_url(json_t **out, const char *s) {
  *out = NULL;
  const char *sch = strstr(s, "://");
  if (!sch) return 0;
  const char *ui = sch + 3, *end = ui + strcspn(ui, "/?#");
  const char *at = NULL;
  for (const char *q = ui; q < end; q++)
    if (*q == '@') at = q;
  if (!at) return 0;
  const char *colon = memchr(ui, ':', (size_t)(at - ui));
  const char *pw = colon ? colon + 1 : ui; /* "redis://secret@host" is a password too */
  if (pw == at) return 0;
  *out = json_sprintf("%.*s***%s", (int)(pw - s), s, at);
  return *out ? 1 : -1;
}

ecai_status ecai_ctx_config_json(char **out, size_t *out_len, const ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  json_t *copy = json_deep_copy(ctx->cfg);
  if (!copy) return ecai__err(ECAI_ENOMEM, "ecai_ctx_config_json: out of memory");
  for (const ecai__cfg_key *k = ecai__cfg_schema; k->path; k++) {
    if (!(k->flags & ECAI__CFG_SECRET)) continue;
    bool set = ecai__ctx_secret(ctx, k->path) != NULL;
    char flag[160];
    snprintf(flag, sizeof flag, "%s_set", k->path);
    if (cfg_set(copy, flag, json_boolean(set)) != 0 ||
        (set && cfg_set(copy, k->path, json_string("***")) != 0)) {
      json_decref(copy);
      return ecai__err(ECAI_ENOMEM, "ecai_ctx_config_json: out of memory");
    }
  }
  const char *sk, *kk;
  json_t *sec, *v;
  json_object_foreach(copy, sk, sec) {
    if (!json_is_object(sec)) continue;
    json_object_foreach(sec, kk, v) {
      json_t *m = NULL;
      int r = json_is_string(v) ? masked_url(&m, json_string_value(v)) : 0;
      if (r < 0 || (r > 0 && json_object_set_new(sec, kk, m) != 0)) {
        json_decref(copy);
        return ecai__err(ECAI_ENOMEM, "ecai_ctx_config_json: out of memory");
      }
    }
  }
  ecai_status st = ecai__json_dump(out, out_len, copy);
  json_decref(copy);
  return st;
}

ecai_status ecai_ctx_get_str(const char **out, const ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(path);
  const ecai__cfg_key *k = schema_find(path);
  if (k && (k->flags & ECAI__CFG_SECRET))
    return ecai__err(ECAI_EINVAL, "ecai_ctx_get_str: '%s' is a secret and cannot be read back", path);
  json_t *v = ecai__cfg_get(ctx, path);
  if (!json_is_string(v)) return ecai__err(ECAI_ENOTFOUND, "ecai_ctx_get_str: no string at '%s'", path);
  *out = json_string_value(v);
  return ECAI_OK;
}

ecai_status ecai_ctx_get_number(double *out, const ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(path);
  json_t *v = ecai__cfg_get(ctx, path);
  if (!json_is_number(v)) return ecai__err(ECAI_ENOTFOUND, "ecai_ctx_get_number: no number at '%s'", path);
  *out = json_number_value(v);
  return ECAI_OK;
}

/* ---- logging ------------------------------------------------------------- */

void ecai__redact(const ecai_ctx *ctx, char *s) {
  if (!ctx || !s) return;
  for (size_t i = 0; i < ctx->nsecrets; i++) {
    const char *sec = ctx->secrets[i].value;
    size_t n = strlen(sec);
    if (n < 4) continue; /* too short to redact without mangling ordinary text */
    char *p;
    while ((p = strstr(s, sec)) != NULL) {
      memcpy(p, "***", 3);
      memmove(p + 3, p + n, strlen(p + n) + 1);
    }
  }
}

void ecai__log(const ecai_ctx *ctx, ecai_log_level level, const char *fmt, ...) {
  if (!ctx || !ctx->log_fn || level < ctx->log_min || ctx->log_min == ECAI_LOG_OFF) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ecai__redact(ctx, msg);
  ctx->log_fn(level, msg, ctx->log_payload);
}

ecai_status ecai__cfg_hash(const ecai_ctx *ctx, uint64_t seed, uint64_t *out) {
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_ctx_config_json(&js, &n, ctx);
  if (st) return st;
  *out = XXH3_64bits_withSeed(js, n, seed);
  ecai_free(js);
  return ECAI_OK;
}
