/* Guard: the handle, options, verdicts, confidence. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libstemmer.h>

#include "guard/guard_internal.h"

/* ---- verdicts ------------------------------------------------------------------------ */

ecai_status ecai__verdict_new(ecai_guard_verdict **out, int kind) {
  ecai_guard_verdict *v = ecai__calloc(1, sizeof *v);
  if (!v) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  v->kind = kind;
  v->pass = 1;
  v->checks = json_array();
  if (!v->checks) {
    ecai__free(v);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  *out = v;
  return ECAI_OK;
}

void ecai__utf8_fix(char *s) {
  size_t len = strlen(s), off = 0, bad;
  while (off < len && !ecai__utf8_valid(s + off, len - off, &bad)) {
    s[off + bad] = '?';
    off += bad + 1;
  }
}

ecai_status ecai__verdict_add(ecai_guard_verdict *v, const char *name, bool pass, double score,
                              const char *reason, const char *action, const char *detail) {
  char dbuf[512];
  snprintf(dbuf, sizeof dbuf, "%s", detail ? detail : "");
  ecai__utf8_fix(dbuf); /* details quote the checked text, which may be invalid UTF-8 */
  json_t *o = json_pack("{s:s,s:b,s:f,s:s?,s:s,s:s}", "name", name, "pass", pass,
                        "score", round(score * 1000) / 1000, "reason", reason, "action", action,
                        "detail", dbuf);
  if (!o || json_array_append_new(v->checks, o)) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  if (pass) return ECAI_OK;
  bool block = !strcmp(action, "block");
  bool esc = !strcmp(action, "escalate") || block; /* a failed guard always hands over */
  if (block) v->pass = 0;
  if ((block || esc) && !v->reason[0]) snprintf(v->reason, sizeof v->reason, "%s", reason ? reason : name);
  if (esc) {
    v->escalate = 1;
    if (!v->esc_reason[0]) snprintf(v->esc_reason, sizeof v->esc_reason, "%s", reason ? reason : name);
  }
  if (v->kind == 0 && (block || esc) && score > v->score) v->score = score;
  return ECAI_OK;
}

int ecai_guard_verdict_pass(const ecai_guard_verdict *v) { return v ? v->pass : 0; }
int ecai_guard_verdict_escalate(const ecai_guard_verdict *v) { return v ? v->escalate : 0; }
const char *ecai_guard_verdict_reason(const ecai_guard_verdict *v) { return v ? v->reason : ""; }
double ecai_guard_verdict_score(const ecai_guard_verdict *v) { return v ? v->score : 0; }

void ecai_guard_verdict_free(ecai_guard_verdict *v) {
  if (!v) return;
  json_decref(v->checks);
  json_decref(v->sentences);
  ecai__free(v);
}

ecai_status ecai_guard_verdict_json(char **out, size_t *out_len, const ecai_guard_verdict *v) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(v);
  json_t *o = json_pack("{s:s,s:b,s:b,s:s?,s:s?,s:f,s:O}", "kind", v->kind ? "output" : "input", "pass", v->pass,
                        "escalate", v->escalate, "escalation_reason", v->esc_reason[0] ? v->esc_reason : NULL,
                        "reason", v->reason[0] ? v->reason : NULL, "score", round(v->score * 1000) / 1000,
                        "checks", v->checks);
  if (!o) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  if (v->sentences && json_object_set(o, "sentences", v->sentences)) {
    json_decref(o);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  ecai_status st = ecai__json_dump(out, out_len, o);
  json_decref(o);
  return st;
}

/* ---- the handle -------------------------------------------------------------------------- */

static void free_banned(ecai_guard *g) {
  for (size_t i = 0; i < g->n_banned; i++) ecai__free(g->banned[i]);
  ecai__free(g->banned);
  g->banned = NULL;
  g->n_banned = 0;
}

void ecai_guard_free(ecai_guard *g) {
  if (!g) return;
  ecai__free(g->system_prompt);
  ecai__free(g->leak);
  free_banned(g);
  if (g->stemmer) sb_stemmer_delete(g->stemmer);
  for (size_t i = 0; g->terms && i < g->n_terms; i++) ecai__u64vec_free(&g->terms[i]);
  ecai__free(g->terms);
  ecai__free(g->wc);
  ecai__free(g->stem_cache);
  ecai__guard_cache_free(g);
  ecai__guard_patterns_free(g->pats, g->n_pats);
  ecai__free(g);
}

/* Adds one banned phrase, normalised like the checked text. */
static ecai_status add_banned(ecai_guard *g, const char *s, size_t len) {
  ecai__gtoks t;
  ecai_status st = ecai__guard_normalise(&t, s, len);
  if (st) return st;
  if (!t.n) {
    ecai__gtoks_free(&t);
    return ECAI_OK;
  }
  ecai__buf b = {0};
  for (size_t i = 0; i < t.n; i++) {
    if (i) ecai__buf_puts(&b, " ");
    ecai__buf_puts(&b, t.tok[i]);
  }
  ecai__gtoks_free(&t);
  if (b.oom || b.len > 250) {
    bool oom = b.oom;
    ecai__buf_free(&b);
    return oom ? ecai__err(ECAI_ENOMEM, "guard: out of memory")
               : ecai__err(ECAI_EINVAL, "guard: a banned phrase is longer than 250 bytes");
  }
  char **nb = ecai__realloc(g->banned, (g->n_banned + 1) * sizeof *nb);
  if (!nb) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  g->banned = nb;
  g->banned[g->n_banned++] = ecai__buf_take(&b, NULL);
  return ECAI_OK;
}

static ecai_status set_banned(ecai_guard *g, const char *v) {
  free_banned(g);
  if (!v) return ECAI_OK;
  const char *p = v;
  while (*p) {
    const char *e = strchr(p, '\n');
    if (!e) e = p + strlen(p);
    ecai_status st = add_banned(g, p, (size_t)(e - p));
    if (st) return st;
    p = *e ? e + 1 : e;
  }
  return ECAI_OK;
}

static ecai_status set_prompt(ecai_guard *g, const char *v) {
  ecai__free(g->system_prompt);
  ecai__free(g->leak);
  g->system_prompt = NULL;
  g->leak = NULL;
  g->n_leak = 0;
  if (!v || !*v) return ECAI_OK;
  if (!(g->system_prompt = ecai__strdup(v))) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  ecai__u64vec w = {0}, sh = {0};
  ecai_status st = ecai__guard_word_hashes(&w, v, strlen(v));
  size_t k = (size_t)g->leak_words;
  for (size_t i = 0; st == ECAI_OK && i + k <= w.n; i++)
    if (!ecai__u64vec_push(&sh, XXH3_64bits(&w.v[i], k * sizeof(uint64_t))))
      st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
  ecai__u64vec_free(&w);
  if (st) {
    ecai__u64vec_free(&sh);
    return st;
  }
  ecai__u64vec_sort_unique(&sh);
  if (!sh.n) { /* a prompt shorter than the run length: hash it whole */
    ecai__u64vec_free(&sh);
    return ECAI_OK;
  }
  g->leak = sh.v;
  g->n_leak = sh.n;
  return ECAI_OK;
}

ecai_status ecai_guard_new(ecai_guard **out, const ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ecai_guard *g = ecai__calloc(1, sizeof *g);
  if (!g) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  g->max_input = ctx ? ecai__cfg_int(ctx, "guard.max_input_chars", 4000) : 4000;
  g->max_output = ctx ? ecai__cfg_int(ctx, "guard.max_output_chars", 4000) : 4000;
  g->leak_words = ctx ? ecai__cfg_int(ctx, "guard.leak_min_words", 8) : 8;
  g->support_thr = ctx ? ecai__cfg_double(ctx, "guard.support_threshold", 0.5) : 0.5;
  g->esc_thr = ctx ? ecai__cfg_double(ctx, "guard.escalation_threshold", 0.5) : 0.5;
  g->repeat_sim = ctx ? ecai__cfg_double(ctx, "guard.repeat_similarity", 0.7) : 0.7;
  g->cache_on = ctx ? ecai__cfg_bool(ctx, "guard.source_cache", true) : true;
  ecai_status st = ECAI_OK;
  if (g->max_input < 1 || g->max_output < 1 || g->leak_words < 2 || g->leak_words > 64)
    st = ecai__err(ECAI_EINVAL, "guard: guard.max_input_chars/max_output_chars must be >= 1 and "
                                "guard.leak_min_words in 2..64");
  else if (!(g->support_thr >= 0 && g->support_thr <= 1) || !(g->esc_thr >= 0 && g->esc_thr <= 1) ||
           !(g->repeat_sim > 0 && g->repeat_sim <= 1))
    st = ecai__err(ECAI_EINVAL, "guard: guard.support_threshold, escalation_threshold and repeat_similarity "
                                "must lie in [0,1]");
  if (!st) st = ecai__guard_terms_init(g);
  if (!st) st = ecai__guard_patterns_compile(&g->pats, &g->n_pats);
  if (!st && ctx) {
    json_t *arr = ecai__cfg_get(ctx, "guard.banned_phrases");
    if (arr && !json_is_null(arr)) {
      if (!json_is_array(arr)) st = ecai__err(ECAI_EINVAL, "guard: guard.banned_phrases must be an array of strings");
      size_t i;
      json_t *e;
      json_array_foreach(arr, i, e) {
        if (st) break;
        if (!json_is_string(e))
          st = ecai__err(ECAI_EINVAL, "guard: guard.banned_phrases[%zu] must be a string", i);
        else st = add_banned(g, json_string_value(e), json_string_length(e));
      }
    }
  }
  if (st) {
    ecai_guard_free(g);
    return st;
  }
  *out = g;
  return ECAI_OK;
}

ecai_status ecai_guard_set_str(ecai_guard *g, ecai_guard_opt opt, const char *v) {
  ECAI__CHECK_ARG(g);
  if (v && !ecai__utf8_valid(v, strlen(v), NULL)) return ecai__err(ECAI_EINVAL, "guard: option %d: invalid UTF-8", (int)opt);
  switch (opt) {
  case ECAI_GUARD_OPT_SYSTEM_PROMPT: return set_prompt(g, v);
  case ECAI_GUARD_OPT_BANNED_PHRASES: return set_banned(g, v);
  default:
    if ((int)opt >= 100 && (int)opt < 300)
      return ecai__err(ECAI_EINVAL, "guard: option %d is not a string option", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "guard: unknown option %d", (int)opt);
  }
}

ecai_status ecai_guard_set_int(ecai_guard *g, ecai_guard_opt opt, int64_t v) {
  ECAI__CHECK_ARG(g);
  switch (opt) {
  case ECAI_GUARD_OPT_MAX_INPUT_CHARS:
  case ECAI_GUARD_OPT_MAX_OUTPUT_CHARS:
    if (v < 1) return ecai__err(ECAI_EINVAL, "guard: option %d must be >= 1 (got %lld)", (int)opt, (long long)v);
    if (opt == ECAI_GUARD_OPT_MAX_INPUT_CHARS) g->max_input = v;
    else g->max_output = v;
    return ECAI_OK;
  case ECAI_GUARD_OPT_LEAK_MIN_WORDS: {
    if (v < 2 || v > 64) return ecai__err(ECAI_EINVAL, "guard: leak_min_words must be in 2..64 (got %lld)", (long long)v);
    g->leak_words = v;
    char *p = g->system_prompt;
    g->system_prompt = NULL;
    ecai_status st = set_prompt(g, p); /* re-shingle */
    ecai__free(p);
    return st;
  }
  default:
    if (((int)opt >= 1 && (int)opt < 100) || ((int)opt >= 200 && (int)opt < 300))
      return ecai__err(ECAI_EINVAL, "guard: option %d is not an integer option", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "guard: unknown option %d", (int)opt);
  }
}

ecai_status ecai_guard_set_double(ecai_guard *g, ecai_guard_opt opt, double v) {
  ECAI__CHECK_ARG(g);
  switch (opt) {
  case ECAI_GUARD_OPT_SUPPORT_THRESHOLD:
  case ECAI_GUARD_OPT_ESCALATION_THRESHOLD:
  case ECAI_GUARD_OPT_REPEAT_SIMILARITY:
    if (!(v >= 0 && v <= 1)) return ecai__err(ECAI_EINVAL, "guard: option %d must lie in [0,1] (got %g)", (int)opt, v);
    if (opt == ECAI_GUARD_OPT_SUPPORT_THRESHOLD) g->support_thr = v;
    else if (opt == ECAI_GUARD_OPT_ESCALATION_THRESHOLD) g->esc_thr = v;
    else g->repeat_sim = v;
    return ECAI_OK;
  default:
    if ((int)opt >= 1 && (int)opt < 200)
      return ecai__err(ECAI_EINVAL, "guard: option %d is not a double option", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "guard: unknown option %d", (int)opt);
  }
}

ecai_status ecai_guard_set_catalog(ecai_guard *g, ecai_guard_catalog_fn fn, void *payload) {
  ECAI__CHECK_ARG(g);
  g->cat_fn = fn;
  g->cat_payload = fn ? payload : NULL;
  return ECAI_OK;
}

ecai_status ecai_guard_check_input(ecai_guard_verdict **out, ecai_guard *g, const char *text, size_t len,
                                   const char *history, size_t history_len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(g);
  ECAI__CHECK_ARG(text);
  ecai_guard_verdict *v = NULL;
  ecai_status st = ecai__verdict_new(&v, 0);
  if (st) return st;
  if ((st = ecai__guard_input(v, g, text, len, history, history_len))) {
    ecai_guard_verdict_free(v);
    return st;
  }
  *out = v;
  return ECAI_OK;
}

ecai_status ecai_guard_check_output(ecai_guard_verdict **out, ecai_guard *g, const char *answer, size_t len,
                                    const char *const *source_ids, const char *const *source_texts, size_t n) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(g);
  ECAI__CHECK_ARG(answer);
  if (n && !source_texts) return ecai__err(ECAI_EINVAL, "guard: source_texts is NULL with %zu sources", n);
  for (size_t i = 0; i < n; i++)
    if (!source_texts[i]) return ecai__err(ECAI_EINVAL, "guard: source_texts[%zu] is NULL", i);
  ecai_guard_verdict *v = NULL;
  ecai_status st = ecai__verdict_new(&v, 1);
  if (st) return st;
  if ((st = ecai__guard_output(v, g, answer, len, source_ids, source_texts, n))) {
    ecai_guard_verdict_free(v);
    return st;
  }
  *out = v;
  return ECAI_OK;
}

ecai_status ecai_guard_confidence(double *out_conf, int *out_escalate, const ecai_guard *g, double retrieval,
                                  double grounding, double model) {
  ECAI__CHECK_ARG(out_conf);
  *out_conf = 0;
  if (out_escalate) *out_escalate = 1;
  ECAI__CHECK_ARG(g);
  if (!(retrieval >= 0 && retrieval <= 1) || !(grounding >= 0 && grounding <= 1) || isnan(model) ||
      (model > 1))
    return ecai__err(ECAI_EINVAL, "guard: confidence inputs must lie in [0,1] (model: negative = absent)");
  const double wr = 0.3, wg = 0.5, wm = 0.2;
  double sw = wr + wg, acc = wr * log(fmax(0.001, retrieval)) + wg * log(fmax(0.001, grounding));
  if (model >= 0) {
    sw += wm;
    acc += wm * log(fmax(0.001, model));
  }
  double c = exp(acc / sw);
  if (c > 1) c = 1;
  *out_conf = c;
  if (out_escalate) *out_escalate = c < g->esc_thr;
  return ECAI_OK;
}
