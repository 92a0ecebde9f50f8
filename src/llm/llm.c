/*
 * ecai_llm: the chat client. Every call (single, streaming, JSON mode, batch) runs through
 * one engine built on a per-handle curl_multi: a pool of reused easy handles, the multi's
 * connection cache (keep-alive), per-attempt timeouts, retries with exponential backoff +
 * full jitter honouring Retry-After (capped), a retry budget per minute, a circuit breaker,
 * cancellation (generation counter + curl_multi_wakeup), bounded reply size, cost and a
 * spend budget with a downgrade chain. With llm.shared = "redis" the spend budget, the retry
 * budget and the breaker are shared by every process (shared.c); the per-process state below
 * is always kept too and decides whenever Redis does not answer.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ecai/cache.h"
#include "llm/llm_internal.h"

#define LAT_RING 1024

enum { STEP_NONE, STEP_CACHE, STEP_CHEAPER, STEP_RETRIEVAL, STEP_ESCALATE, NSTEPS };
static const char *const STEP_NAMES[NSTEPS] = {"none", "cache", "cheaper_model", "retrieval_only", "escalate"};

struct ecai_llm {
  ecai_ctx *ctx;
  pthread_mutex_t mu;  /* serialises calls and option changes */
  pthread_mutex_t smu; /* counters, budget, breaker (stats readable during a call) */
  atomic_uint cancel_gen;
  ecai__prov prov;
  char *base_url, *api_key, *model, *anthropic_version, *auth_header, *ca_file;
  char **headers; /* "Name: value" from config then setters */
  size_t nheaders, ncfg_headers;
  int64_t timeout_ms, connect_timeout_ms, max_tokens, max_reply, backoff_ms, backoff_max_ms, retry_budget,
      breaker_threshold, breaker_cooldown_ms, batch_conc, max_retries;
  int verify_tls;
  double temperature, budget_limit, budget_window_s, budget_near;
  json_t *prices; /* owned reference */
  char **downgrade;
  size_t ndowngrade;
  CURLM *multi;
  CURL **pool;
  size_t npool;
  ecai__llm_shared *shared; /* NULL unless llm.shared = "redis" */
  char ep[17];               /* endpoint id of base_url (shared breaker and retry keys) */
  /* breaker */
  int64_t consecutive_fail;
  double open_until;
  int probing;
  /* budget */
  double window_start, spent;
  /* retry budget (per minute) */
  double rb_start;
  int64_t rb_used;
  /* stats */
  int64_t n_requests, n_attempts, n_retries, n_errors, n_tokens_in, n_tokens_out, n_cached, n_breaker_rejects;
  int64_t steps[NSTEPS];
  double cost_total;
  double lat[LAT_RING];
  size_t nlat;
  /* JSON mode */
  char *last_raw;
  size_t last_raw_len;
  ecai_llm_cache_get_fn cache_get;
  ecai_llm_cache_put_fn cache_put;
  void *cache_payload;
  ecai_cache *xcache; /* attached exact cache: consulted before every non-streaming call */
  double cost_saved; /* cost of the replies served by xcache */
  uint64_t rng;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double rnd01(ecai_llm *llm) { /* xorshift64*, jitter only */
  uint64_t x = llm->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  llm->rng = x;
  return (double)((x * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* Replaces occurrences of the API key (and the context's secrets) with "***". */
static void redact(const ecai_llm *llm, char *s) {
  ecai__redact(llm->ctx, s);
  const char *k = llm->api_key;
  size_t kl = k ? strlen(k) : 0;
  if (kl < 4) return;
  char *p;
  while ((p = strstr(s, k)) != NULL) {
    memcpy(p, "***", 3);
    memmove(p + 3, p + kl, strlen(p + kl) + 1);
  }
}

/* Logs through the context with the API key (config or setter) redacted. */
static void llm_log(const ecai_llm *llm, ecai_log_level lv, const char *fmt, ...) ECAI__PRINTF(3, 4);
static void llm_log(const ecai_llm *llm, ecai_log_level lv, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  redact(llm, buf);
  ecai__log(llm->ctx, lv, "%s", buf);
}

/* ---- lifecycle & options --------------------------------------------------------- */

static ecai_status set_string(char **dst, const char *v) {
  char *c = NULL;
  if (v && !(c = ecai__strdup(v))) return ecai__err(ECAI_ENOMEM, "llm: out of memory");
  ecai__free(*dst);
  *dst = c;
  return ECAI_OK;
}

static ecai_status add_header(ecai_llm *llm, const char *name, const char *value) {
  char **h = ecai__realloc(llm->headers, (llm->nheaders + 1) * sizeof *h);
  if (!h) return ecai__err(ECAI_ENOMEM, "llm: out of memory");
  llm->headers = h;
  size_t n = strlen(name) + (value ? strlen(value) + 2 : 0) + 1;
  char *s = ecai__malloc(n);
  if (!s) return ecai__err(ECAI_ENOMEM, "llm: out of memory");
  if (value) snprintf(s, n, "%s: %s", name, value);
  else snprintf(s, n, "%s", name);
  if (strchr(s, '\r') || strchr(s, '\n') || !strchr(s, ':')) {
    ecai__free(s);
    return ecai__err(ECAI_EINVAL, "llm: header must be one 'Name: value' line");
  }
  h[llm->nheaders++] = s;
  return ECAI_OK;
}

static ecai_status parse_prov(ecai__prov *out, const char *s) {
  if (!strcmp(s, "openai")) *out = ECAI__PROV_OPENAI;
  else if (!strcmp(s, "anthropic")) *out = ECAI__PROV_ANTHROPIC;
  else if (!strcmp(s, "none")) *out = ECAI__PROV_NONE;
  else return ecai__err(ECAI_EINVAL, "llm: unknown provider '%s' (openai, anthropic, none)", s);
  return ECAI_OK;
}

void ecai_llm_free(ecai_llm *llm) {
  if (!llm) return;
  for (size_t i = 0; i < llm->npool; i++) {
    if (llm->pool[i]) curl_easy_cleanup(llm->pool[i]);
  }
  ecai__free(llm->pool);
  if (llm->multi) curl_multi_cleanup(llm->multi);
  if (llm->api_key) {
    volatile char *v = llm->api_key;
    while (*v) *v++ = 0;
  }
  ecai__free(llm->api_key);
  ecai__free(llm->base_url);
  ecai__free(llm->model);
  ecai__free(llm->anthropic_version);
  ecai__free(llm->auth_header);
  ecai__free(llm->ca_file);
  for (size_t i = 0; i < llm->nheaders; i++) ecai__free(llm->headers[i]);
  ecai__free(llm->headers);
  for (size_t i = 0; i < llm->ndowngrade; i++) ecai__free(llm->downgrade[i]);
  ecai__free(llm->downgrade);
  ecai__free(llm->last_raw);
  json_decref(llm->prices);
  ecai__llm_shared_free(llm->shared);
  pthread_mutex_destroy(&llm->mu);
  pthread_mutex_destroy(&llm->smu);
  ecai__free(llm);
}

static ecai_status load_config(ecai_llm *llm) {
  ecai_ctx *ctx = llm->ctx;
  ecai_status st = parse_prov(&llm->prov, ecai__cfg_str(ctx, "llm.provider", "none"));
  if (st) return st;
  const char *dflt_url = llm->prov == ECAI__PROV_ANTHROPIC ? "https://api.anthropic.com/v1" : "https://api.openai.com/v1";
  if ((st = set_string(&llm->base_url, ecai__cfg_str(ctx, "llm.base_url", dflt_url)))) return st;
  if ((st = set_string(&llm->model, ecai__cfg_str(ctx, "llm.model", NULL)))) return st;
  if ((st = set_string(&llm->api_key, ecai__ctx_api_key(ctx, "llm")))) return st;
  if ((st = set_string(&llm->auth_header, ecai__cfg_str(ctx, "llm.auth_header", NULL)))) return st;
  if (llm->auth_header && (!llm->auth_header[0] || strpbrk(llm->auth_header, ": \r\n")))
    return ecai__err(ECAI_EINVAL, "config: 'llm.auth_header' must be a header name such as \"api-key\"");
  if ((st = set_string(&llm->anthropic_version, ecai__cfg_str(ctx, "llm.anthropic_version", "2023-06-01")))) return st;
  llm->timeout_ms = ecai__cfg_int(ctx, "llm.timeout_ms", 30000);
  llm->connect_timeout_ms = ecai__cfg_int(ctx, "llm.connect_timeout_ms", 5000);
  llm->max_tokens = ecai__cfg_int(ctx, "llm.max_tokens", 512);
  llm->temperature = ecai__cfg_double(ctx, "llm.temperature", 0.0);
  llm->max_retries = ecai__cfg_int(ctx, "llm.max_retries", 2);
  llm->max_reply = ecai__cfg_int(ctx, "llm.max_reply_bytes", 8 << 20);
  llm->backoff_ms = ecai__cfg_int(ctx, "llm.backoff_ms", 200);
  llm->backoff_max_ms = ecai__cfg_int(ctx, "llm.backoff_max_ms", 10000);
  llm->retry_budget = ecai__cfg_int(ctx, "llm.retry_budget", 60);
  llm->breaker_threshold = ecai__cfg_int(ctx, "llm.breaker_threshold", 5);
  llm->breaker_cooldown_ms = ecai__cfg_int(ctx, "llm.breaker_cooldown_ms", 30000);
  llm->batch_conc = ecai__cfg_int(ctx, "llm.batch_concurrency", 8);
  llm->verify_tls = ecai__cfg_bool(ctx, "llm.verify_tls", true);
  if ((st = set_string(&llm->ca_file, ecai__cfg_str(ctx, "llm.ca_file", NULL)))) return st;
  if (llm->ca_file && access(llm->ca_file, R_OK) != 0)
    return ecai__err(ECAI_EINVAL, "config: 'llm.ca_file' %.300s is not a readable file", llm->ca_file);
  struct { const char *k; int64_t v; } ints[] = {
      {"llm.timeout_ms", llm->timeout_ms}, {"llm.connect_timeout_ms", llm->connect_timeout_ms},
      {"llm.max_tokens", llm->max_tokens}, {"llm.max_retries", llm->max_retries},
      {"llm.max_reply_bytes", llm->max_reply}, {"llm.backoff_ms", llm->backoff_ms},
      {"llm.backoff_max_ms", llm->backoff_max_ms}, {"llm.retry_budget", llm->retry_budget},
      {"llm.breaker_threshold", llm->breaker_threshold}, {"llm.breaker_cooldown_ms", llm->breaker_cooldown_ms}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if (ints[i].v < 0) return ecai__err(ECAI_EINVAL, "config: '%s' must be >= 0", ints[i].k);
  if (llm->batch_conc < 1) return ecai__err(ECAI_EINVAL, "config: 'llm.batch_concurrency' must be >= 1");
  if (llm->timeout_ms < 1 || llm->connect_timeout_ms < 1)
    return ecai__err(ECAI_EINVAL, "config: 'llm.timeout_ms' and 'llm.connect_timeout_ms' must be >= 1 (no unbounded waits)");
  if (llm->max_reply < 1) return ecai__err(ECAI_EINVAL, "config: 'llm.max_reply_bytes' must be >= 1");
  if (strncmp(llm->base_url, "http://", 7) && strncmp(llm->base_url, "https://", 8))
    return ecai__err(ECAI_EINVAL, "config: 'llm.base_url' must start with http:// or https://");
  json_t *h = ecai__cfg_get(ctx, "llm.headers");
  const char *hk;
  json_t *hv;
  json_object_foreach(h, hk, hv) {
    if (!json_is_string(hv)) return ecai__err(ECAI_EINVAL, "config: 'llm.headers.%s' must be a string", hk);
    if ((st = add_header(llm, hk, json_string_value(hv)))) return st;
  }
  llm->ncfg_headers = llm->nheaders;
  json_t *prices = ecai__cfg_get(ctx, "llm.prices");
  const char *pk;
  json_t *pv;
  json_object_foreach(prices, pk, pv) {
    json_t *in = json_object_get(pv, "input_per_mtok"), *outp = json_object_get(pv, "output_per_mtok");
    if (!json_is_object(pv) || !json_is_number(in) || !json_is_number(outp) || json_number_value(in) < 0 ||
        json_number_value(outp) < 0)
      return ecai__err(ECAI_EINVAL,
                       "config: 'llm.prices.%s' must be {\"input_per_mtok\": x, \"output_per_mtok\": y} (>= 0)", pk);
  }
  llm->prices = json_incref(prices);
  json_t *b = ecai__cfg_get(ctx, "llm.budget");
  llm->budget_window_s = 3600;
  llm->budget_near = 1.0;
  if (b) {
    const char *bk;
    json_t *bv;
    json_object_foreach(b, bk, bv) {
      if (strcmp(bk, "limit") && strcmp(bk, "window_s") && strcmp(bk, "near"))
        return ecai__err(ECAI_EINVAL, "config: unknown key 'llm.budget.%s' (limit, window_s, near)", bk);
      if (!json_is_number(bv) || json_number_value(bv) < 0)
        return ecai__err(ECAI_EINVAL, "config: 'llm.budget.%s' must be a number >= 0", bk);
    }
    if (json_object_get(b, "limit")) llm->budget_limit = json_number_value(json_object_get(b, "limit"));
    if (json_object_get(b, "window_s")) llm->budget_window_s = json_number_value(json_object_get(b, "window_s"));
    if (json_object_get(b, "near")) llm->budget_near = json_number_value(json_object_get(b, "near"));
    if (llm->budget_near <= 0 || llm->budget_near > 1)
      return ecai__err(ECAI_EINVAL, "config: 'llm.budget.near' must be in (0, 1]");
  }
  json_t *d = ecai__cfg_get(ctx, "llm.downgrade");
  size_t di;
  json_t *dv;
  json_array_foreach(d, di, dv) {
    const char *s = json_string_value(dv);
    if (!s || !(!strcmp(s, "cache") || !strcmp(s, "retrieval_only") || !strcmp(s, "escalate") ||
                (!strncmp(s, "cheaper_model:", 14) && s[14])))
      return ecai__err(ECAI_EINVAL,
                       "config: 'llm.downgrade[%zu]' must be \"cache\", \"cheaper_model:<name>\", "
                       "\"retrieval_only\" or \"escalate\"",
                       di);
    char **nd = ecai__realloc(llm->downgrade, (llm->ndowngrade + 1) * sizeof *nd);
    if (!nd) return ecai__err(ECAI_ENOMEM, "llm: out of memory");
    llm->downgrade = nd;
    if (!(nd[llm->ndowngrade] = ecai__strdup(s))) return ecai__err(ECAI_ENOMEM, "llm: out of memory");
    llm->ndowngrade++;
  }
  return ECAI_OK;
}

ecai_status ecai_llm_new(ecai_llm **out, ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ecai_status st = ecai__curl_once();
  if (st) return st;
  ecai_llm *llm = ecai__calloc(1, sizeof *llm);
  if (!llm) return ecai__err(ECAI_ENOMEM, "ecai_llm_new: out of memory");
  pthread_mutex_init(&llm->mu, NULL);
  pthread_mutex_init(&llm->smu, NULL);
  atomic_init(&llm->cancel_gen, 0);
  llm->ctx = ctx;
  llm->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)llm ^ (uint64_t)now_ms();
  if (!llm->rng) llm->rng = 1;
  st = load_config(llm);
  if (!st) st = ecai__llm_shared_new(&llm->shared, ctx);
  if (!st) {
    llm->multi = curl_multi_init();
    if (!llm->multi) st = ecai__err(ECAI_ERROR, "ecai_llm_new: curl_multi_init failed");
  }
  if (st) {
    ecai_llm_free(llm);
    return st;
  }
  curl_multi_setopt(llm->multi, CURLMOPT_MAXCONNECTS, 64L);
  ecai__llm_shared_endpoint(llm->ep, llm->base_url);
  if (!llm->verify_tls)
    llm_log(llm, ECAI_LOG_WARN,
            "llm: TLS certificate verification is OFF (llm.verify_tls=false): %.300s is not authenticated",
            llm->base_url);
  *out = llm;
  return ECAI_OK;
}

ecai_status ecai_llm_set_str(ecai_llm *llm, ecai_llm_opt opt, const char *v) {
  ECAI__CHECK_ARG(llm);
  if ((int)opt >= 100 && (int)opt < 300)
    return ecai__err(ECAI_EINVAL, "ecai_llm_set_str: option %d is not a string option", (int)opt);
  ecai_status st = ECAI_OK;
  pthread_mutex_lock(&llm->mu);
  switch (opt) {
  case ECAI_LLM_OPT_BASE_URL:
    if (!v || (strncmp(v, "http://", 7) && strncmp(v, "https://", 8)))
      st = ecai__err(ECAI_EINVAL, "llm: base_url must start with http:// or https://");
    else if (!(st = set_string(&llm->base_url, v))) {
      pthread_mutex_lock(&llm->smu);
      ecai__llm_shared_endpoint(llm->ep, llm->base_url);
      pthread_mutex_unlock(&llm->smu);
    }
    break;
  case ECAI_LLM_OPT_API_KEY: st = set_string(&llm->api_key, v); break;
  case ECAI_LLM_OPT_MODEL: st = set_string(&llm->model, v); break;
  case ECAI_LLM_OPT_PROVIDER:
    if (!v) st = ecai__err(ECAI_EINVAL, "llm: provider is NULL");
    else st = parse_prov(&llm->prov, v);
    break;
  case ECAI_LLM_OPT_HEADER:
    if (!v) {
      for (size_t i = llm->ncfg_headers; i < llm->nheaders; i++) ecai__free(llm->headers[i]);
      llm->nheaders = llm->ncfg_headers;
    } else {
      st = add_header(llm, v, NULL);
    }
    break;
  default: st = ecai__err(ECAI_EUNSUPPORTED, "ecai_llm_set_str: unknown option %d", (int)opt);
  }
  pthread_mutex_unlock(&llm->mu);
  return st;
}

ecai_status ecai_llm_set_int(ecai_llm *llm, ecai_llm_opt opt, int64_t v) {
  ECAI__CHECK_ARG(llm);
  if ((int)opt < 100 || (int)opt >= 200) {
    if ((int)opt >= 1 && (int)opt < 300)
      return ecai__err(ECAI_EINVAL, "ecai_llm_set_int: option %d is not an integer option", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "ecai_llm_set_int: unknown option %d", (int)opt);
  }
  if (v < 0) return ecai__err(ECAI_EINVAL, "ecai_llm_set_int: option %d must be >= 0", (int)opt);
  int64_t *dst = NULL;
  switch (opt) {
  case ECAI_LLM_OPT_TIMEOUT_MS:
  case ECAI_LLM_OPT_CONNECT_TIMEOUT_MS:
  case ECAI_LLM_OPT_MAX_REPLY_BYTES:
    if (v < 1) return ecai__err(ECAI_EINVAL, "ecai_llm_set_int: option %d must be >= 1", (int)opt);
    dst = opt == ECAI_LLM_OPT_TIMEOUT_MS ? &llm->timeout_ms
          : opt == ECAI_LLM_OPT_CONNECT_TIMEOUT_MS ? &llm->connect_timeout_ms : &llm->max_reply;
    break;
  case ECAI_LLM_OPT_MAX_RETRIES: dst = &llm->max_retries; break;
  case ECAI_LLM_OPT_MAX_TOKENS: dst = &llm->max_tokens; break;
  case ECAI_LLM_OPT_BACKOFF_MS: dst = &llm->backoff_ms; break;
  case ECAI_LLM_OPT_BACKOFF_MAX_MS: dst = &llm->backoff_max_ms; break;
  case ECAI_LLM_OPT_RETRY_BUDGET: dst = &llm->retry_budget; break;
  case ECAI_LLM_OPT_BREAKER_THRESHOLD: dst = &llm->breaker_threshold; break;
  case ECAI_LLM_OPT_BREAKER_COOLDOWN_MS: dst = &llm->breaker_cooldown_ms; break;
  case ECAI_LLM_OPT_BATCH_CONCURRENCY:
    if (v < 1 || v > 1024) return ecai__err(ECAI_EINVAL, "ecai_llm_set_int: batch concurrency must be 1..1024");
    dst = &llm->batch_conc;
    break;
  case ECAI_LLM_OPT_VERIFY_TLS:
    if (v > 1) return ecai__err(ECAI_EINVAL, "ecai_llm_set_int: verify_tls is 0 or 1");
    pthread_mutex_lock(&llm->mu);
    llm->verify_tls = (int)v;
    pthread_mutex_unlock(&llm->mu);
    if (!v)
      llm_log(llm, ECAI_LOG_WARN,
              "llm: TLS certificate verification turned OFF (ECAI_LLM_OPT_VERIFY_TLS=0): the server is not authenticated");
    return ECAI_OK;
  default: return ecai__err(ECAI_EUNSUPPORTED, "ecai_llm_set_int: unknown option %d", (int)opt);
  }
  pthread_mutex_lock(&llm->mu);
  *dst = v;
  pthread_mutex_unlock(&llm->mu);
  return ECAI_OK;
}

ecai_status ecai_llm_set_double(ecai_llm *llm, ecai_llm_opt opt, double v) {
  ECAI__CHECK_ARG(llm);
  if ((int)opt < 200 || (int)opt >= 300) {
    if ((int)opt >= 1 && (int)opt < 200)
      return ecai__err(ECAI_EINVAL, "ecai_llm_set_double: option %d is not a double option", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "ecai_llm_set_double: unknown option %d", (int)opt);
  }
  if (!isfinite(v) || v < 0) return ecai__err(ECAI_EINVAL, "ecai_llm_set_double: value must be finite and >= 0");
  ecai_status st = ECAI_OK;
  pthread_mutex_lock(&llm->mu);
  pthread_mutex_lock(&llm->smu);
  switch (opt) {
  case ECAI_LLM_OPT_TEMPERATURE:
    if (v > 2) st = ecai__err(ECAI_EINVAL, "ecai_llm_set_double: temperature must be 0..2");
    else llm->temperature = v;
    break;
  case ECAI_LLM_OPT_BUDGET_LIMIT: llm->budget_limit = v; break;
  case ECAI_LLM_OPT_BUDGET_WINDOW_S:
    if (v <= 0) st = ecai__err(ECAI_EINVAL, "ecai_llm_set_double: window must be > 0");
    else llm->budget_window_s = v;
    break;
  case ECAI_LLM_OPT_BUDGET_NEAR:
    if (v <= 0 || v > 1) st = ecai__err(ECAI_EINVAL, "ecai_llm_set_double: near must be in (0, 1]");
    else llm->budget_near = v;
    break;
  default: st = ecai__err(ECAI_EUNSUPPORTED, "ecai_llm_set_double: unknown option %d", (int)opt);
  }
  pthread_mutex_unlock(&llm->smu);
  pthread_mutex_unlock(&llm->mu);
  return st;
}

ecai_status ecai_llm_attach_cache(ecai_llm *llm, ecai_cache *cache) {
  ECAI__CHECK_ARG(llm);
  pthread_mutex_lock(&llm->mu);
  llm->xcache = cache;
  pthread_mutex_unlock(&llm->mu);
  return ECAI_OK;
}

ecai_status ecai_llm_set_cache(ecai_llm *llm, ecai_llm_cache_get_fn get, ecai_llm_cache_put_fn put, void *payload) {
  ECAI__CHECK_ARG(llm);
  pthread_mutex_lock(&llm->mu);
  llm->cache_get = get;
  llm->cache_put = get ? put : NULL;
  llm->cache_payload = payload;
  pthread_mutex_unlock(&llm->mu);
  return ECAI_OK;
}

ecai_status ecai_llm_cancel(ecai_llm *llm) {
  ECAI__CHECK_ARG(llm);
  atomic_fetch_add(&llm->cancel_gen, 1u);
  if (llm->multi) curl_multi_wakeup(llm->multi);
  return ECAI_OK;
}

/* ---- replies ------------------------------------------------------------------------ */

void ecai_llm_reply_free(ecai_llm_reply *r) {
  if (!r) return;
  ecai__free(r->text);
  ecai__free(r->model);
  ecai__free(r->json);
  ecai__free(r);
}

const char *ecai_llm_reply_text(const ecai_llm_reply *r, size_t *len) {
  if (len) *len = r ? r->text_len : 0;
  return r ? r->text : NULL;
}

const char *ecai_llm_reply_downgrade(const ecai_llm_reply *r) { return r ? r->step : NULL; }

ecai_status ecai_llm_reply_json(char **out, size_t *out_len, const ecai_llm_reply *r) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(r);
  json_t *j = json_pack("{s:s%,s:s,s:s?,s:s,s:{s:I,s:I},s:f,s:b,s:i,s:i,s:f,s:s,s:b}", "text", r->text, r->text_len,
                        "finish_reason", r->finish, "model", r->model, "provider", r->provider, "usage",
                        "prompt_tokens", (json_int_t)r->prompt_tokens, "completion_tokens",
                        (json_int_t)r->completion_tokens, "cost", r->cost, "priced", r->priced, "attempts",
                        r->attempts, "retries", r->retries, "latency_ms", r->latency_ms, "downgrade", r->step,
                        "cached", r->cached);
  if (!j) return ecai__err(ECAI_ENOMEM, "ecai_llm_reply_json: out of memory");
  if (r->json) {
    json_t *o = json_loads(r->json, 0, NULL);
    if (o) json_object_set_new(j, "json", o);
  }
  ecai_status st = ecai__json_dump(out, out_len, j);
  json_decref(j);
  return st;
}

/* ---- the engine ------------------------------------------------------------------------ */

typedef struct job job;

typedef struct {
  job *jb;
  ecai__buf body; /* reply body (non-stream or error) */
  ecai__buf line; /* SSE line assembly */
  ecai__parsed parsed;
  long status;
  double retry_after_ms; /* < 0: none */
  size_t received;
  int too_big, user_abort, canceled, oom;
  ecai_status stream_st;
  char stream_msg[256];
  size_t delivered;
  struct curl_slist *hdrs;
  char errbuf[CURL_ERROR_SIZE];
} xfer;

struct job {
  ecai_llm *llm;
  const ecai_prompt *p, *extra;
  bool stream, json_mode;
  ecai_llm_stream_fn fn;
  void *payload;
  const char *model;
  int step;
  char *req;
  size_t req_len;
  int attempts, retries, running, done;
  bool probe; /* the running attempt is the breaker's half-open probe */
  double t0, not_before;
  unsigned gen;
  CURL *easy;
  xfer x;
  ecai_status st;
  char msg[1200];
  ecai__parsed result;
  bool have_result;
  ecai_llm_reply *reply;
};

static void job_fail(job *jb, ecai_status st, const char *fmt, ...) ECAI__PRINTF(3, 4);
static void job_fail(job *jb, ecai_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(jb->msg, sizeof jb->msg, fmt, ap);
  va_end(ap);
  redact(jb->llm, jb->msg);
  jb->st = st;
  jb->done = 1;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  if (len > 5 && !strncmp(buf, "HTTP/", 5)) {
    const char *sp = memchr(buf, ' ', len);
    x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    x->retry_after_ms = -1;
  } else if (len > 12 && !strncasecmp(buf, "retry-after:", 12)) {
    char tmp[64];
    size_t k = len - 12 < sizeof tmp - 1 ? len - 12 : sizeof tmp - 1;
    memcpy(tmp, buf + 12, k);
    tmp[k] = '\0';
    char *end;
    double s = strtod(tmp, &end);
    if (end != tmp && s >= 0 && isfinite(s)) x->retry_after_ms = s * 1000.0;
  } else if (len > 15 && !strncasecmp(buf, "content-length:", 15)) {
    unsigned long long cl = strtoull(buf + 15, NULL, 10);
    if (x->status >= 200 && x->status < 300 && cl > (unsigned long long)x->jb->llm->max_reply) {
      x->too_big = 1;
      return 0;
    }
  }
  return len;
}

/* Feeds SSE bytes; returns false to abort the transfer. */
static bool sse_feed(xfer *x, const char *p, size_t n) {
  job *jb = x->jb;
  if (!ecai__buf_append(&x->line, p, n)) {
    x->stream_st = ECAI_ENOMEM;
    snprintf(x->stream_msg, sizeof x->stream_msg, "llm: out of memory reading the stream");
    return false;
  }
  size_t start = 0;
  for (;;) {
    char *nl = memchr(x->line.data + start, '\n', x->line.len - start);
    if (!nl) break;
    size_t ll = (size_t)(nl - (x->line.data + start));
    const char *ln = x->line.data + start;
    size_t l2 = ll;
    if (l2 && ln[l2 - 1] == '\r') l2--;
    if (l2 >= 5 && !memcmp(ln, "data:", 5)) {
      const char *d = ln + 5;
      size_t dl = l2 - 5;
      if (dl && *d == ' ') d++, dl--;
      const char *delta;
      size_t dlen, doff;
      ecai_status st = ecai__llm_sse_event(&x->parsed, jb->llm->prov, d, dl, &delta, &dlen, &doff);
      if (st) {
        x->stream_st = st;
        snprintf(x->stream_msg, sizeof x->stream_msg, "%s", ecai_last_error());
        return false;
      }
      if (delta && jb->fn) {
        x->delivered += dlen;
        if (jb->fn(x->parsed.text.data + doff, dlen, jb->payload)) {
          x->user_abort = 1;
          return false;
        }
      }
    }
    start += ll + 1;
  }
  if (start) {
    memmove(x->line.data, x->line.data + start, x->line.len - start);
    x->line.len -= start;
    x->line.data[x->line.len] = '\0';
  }
  return true;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  x->received += len;
  if (x->received > (size_t)x->jb->llm->max_reply) {
    x->too_big = 1;
    return 0;
  }
  if (x->jb->stream && x->status >= 200 && x->status < 300) return sse_feed(x, buf, len) ? len : 0;
  if (!ecai__buf_append(&x->body, buf, len)) {
    x->oom = 1;
    return 0;
  }
  return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  xfer *x = ud;
  if (atomic_load(&x->jb->llm->cancel_gen) != x->jb->gen) {
    x->canceled = 1;
    return 1;
  }
  return 0;
}

static void xfer_reset(xfer *x) {
  ecai__buf_free(&x->body);
  ecai__buf_free(&x->line);
  ecai__buf_free(&x->parsed.text);
  curl_slist_free_all(x->hdrs);
  job *jb = x->jb;
  memset(x, 0, sizeof *x);
  x->jb = jb;
  x->retry_after_ms = -1;
}

static const char *endpoint_path(ecai__prov p) { return p == ECAI__PROV_ANTHROPIC ? "/messages" : "/chat/completions"; }

/* base_url + "/v1" (only when base_url has no path) + the endpoint, before any query string
 * (Azure style: ".../openai/deployments/NAME?api-version=..."). */
static void make_url(const ecai_llm *llm, char *url, size_t cap) {
  const char *b = llm->base_url ? llm->base_url : "";
  const char *q = strchr(b, '?');
  size_t bl = q ? (size_t)(q - b) : strlen(b);
  while (bl && b[bl - 1] == '/') bl--;
  const char *scheme = strstr(b, "://");
  const char *path = scheme ? memchr(scheme + 3, '/', bl - (size_t)(scheme + 3 - b)) : NULL;
  snprintf(url, cap, "%.*s%s%s%s", (int)bl, b, path ? "" : "/v1", endpoint_path(llm->prov), q ? q : "");
}

/* Starts one attempt of jb on a pooled easy handle. */
static ecai_status attempt_start(ecai_llm *llm, job *jb, CURL *easy) {
  xfer *x = &jb->x;
  xfer_reset(x);
  char url[1024], hb[512];
  make_url(llm, url, sizeof url);
  struct curl_slist *h = NULL, *t;
#define ADDH(s)                                 \
  do {                                          \
    if (!(t = curl_slist_append(h, (s)))) goto oom; \
    h = t;                                      \
  } while (0)
  ADDH("Content-Type: application/json");
  ADDH("Expect:");
  if (jb->stream) ADDH("Accept: text/event-stream");
  if (llm->prov == ECAI__PROV_ANTHROPIC) {
    snprintf(hb, sizeof hb, "anthropic-version: %s", llm->anthropic_version ? llm->anthropic_version : "2023-06-01");
    ADDH(hb);
    if (llm->api_key) {
      size_t n = strlen(llm->api_key) + 12;
      char *kh = ecai__malloc(n);
      if (!kh) goto oom;
      snprintf(kh, n, "x-api-key: %s", llm->api_key);
      t = curl_slist_append(h, kh);
      memset(kh, 0, n);
      ecai__free(kh);
      if (!t) goto oom;
      h = t;
    }
  } else if (llm->api_key) {
    size_t n = strlen(llm->api_key) + 24 + (llm->auth_header ? strlen(llm->auth_header) : 0);
    char *kh = ecai__malloc(n);
    if (!kh) goto oom;
    if (llm->auth_header) snprintf(kh, n, "%s: %s", llm->auth_header, llm->api_key);
    else snprintf(kh, n, "Authorization: Bearer %s", llm->api_key);
    t = curl_slist_append(h, kh);
    memset(kh, 0, n);
    ecai__free(kh);
    if (!t) goto oom;
    h = t;
  }
  for (size_t i = 0; i < llm->nheaders; i++) ADDH(llm->headers[i]);
#undef ADDH
  x->hdrs = h;
  curl_easy_setopt(easy, CURLOPT_URL, url);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, jb->req);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)jb->req_len);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)llm->timeout_ms);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)llm->connect_timeout_ms);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, llm->verify_tls ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, llm->verify_tls ? 2L : 0L);
  if (llm->ca_file) curl_easy_setopt(easy, CURLOPT_CAINFO, llm->ca_file); /* else the system store */
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, x);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, jb);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "libecai/" ECAI_VERSION_STRING);
  if (curl_multi_add_handle(llm->multi, easy) != CURLM_OK) {
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    return ecai__err(ECAI_ERROR, "llm: curl_multi_add_handle failed");
  }
  jb->easy = easy;
  jb->running = 1;
  jb->attempts++;
  llm_log(llm, ECAI_LOG_DEBUG, "llm: POST %s model=%s attempt %d (%zu bytes)", url, jb->model ? jb->model : "",
          jb->attempts, jb->req_len);
  pthread_mutex_lock(&llm->smu);
  llm->n_attempts++;
  pthread_mutex_unlock(&llm->smu);
  return ECAI_OK;
oom:
  curl_slist_free_all(h);
  return ecai__err(ECAI_ENOMEM, "llm: out of memory building headers");
}

/* Breaker: may an attempt start now? Sets *probe when it is the half-open probe. */
static bool breaker_allows(ecai_llm *llm, double now, bool *probe) {
  *probe = false;
  if (!llm->breaker_threshold || llm->consecutive_fail < llm->breaker_threshold) return true;
  if (now < llm->open_until) return false;
  if (llm->probing) return false;
  llm->probing = 1;
  *probe = true;
  return true;
}

static const char *breaker_state(const ecai_llm *llm, double now) {
  if (!llm->breaker_threshold || llm->consecutive_fail < llm->breaker_threshold) return "closed";
  return now < llm->open_until ? "open" : "half_open";
}

/* Breaker gate of one attempt: the shared breaker when Redis answers, else this handle's. */
static bool breaker_gate(ecai_llm *llm, double now, bool *probe, int64_t *fails, double *wait) {
  bool allowed;
  if (!ecai__llm_shared_breaker_allows(llm->shared, llm->ep, llm->breaker_threshold, llm->timeout_ms + 1000, &allowed,
                                       probe, fails, wait)) {
    pthread_mutex_lock(&llm->smu);
    allowed = breaker_allows(llm, now, probe);
    *wait = llm->open_until - now;
    *fails = llm->consecutive_fail;
    pthread_mutex_unlock(&llm->smu);
  }
  if (!allowed) {
    pthread_mutex_lock(&llm->smu);
    llm->n_breaker_rejects++;
    pthread_mutex_unlock(&llm->smu);
  }
  return allowed;
}

static void breaker_record(ecai_llm *llm, bool ok, double now) {
  pthread_mutex_lock(&llm->smu);
  llm->probing = 0;
  if (ok) llm->consecutive_fail = 0;
  else {
    llm->consecutive_fail++;
    if (llm->breaker_threshold && llm->consecutive_fail >= llm->breaker_threshold)
      llm->open_until = now + (double)llm->breaker_cooldown_ms;
  }
  pthread_mutex_unlock(&llm->smu);
  ecai__llm_shared_breaker_record(llm->shared, llm->ep, ok, llm->breaker_threshold, llm->breaker_cooldown_ms);
}

/* Ends a half-open probe without a verdict (cancelled, aborted by the caller). */
static void breaker_release(ecai_llm *llm, job *jb) {
  pthread_mutex_lock(&llm->smu);
  llm->probing = 0;
  pthread_mutex_unlock(&llm->smu);
  if (jb->probe) ecai__llm_shared_breaker_release(llm->shared, llm->ep);
}

/* The shared budget decides when Redis answers; this handle's count is kept either way. */
static bool retry_budget_take(ecai_llm *llm, double now) {
  bool ok, granted;
  bool shared = ecai__llm_shared_retry_take(llm->shared, llm->ep, llm->retry_budget, &granted);
  pthread_mutex_lock(&llm->smu);
  if (now - llm->rb_start >= 60000.0) {
    llm->rb_start = now;
    llm->rb_used = 0;
  }
  ok = shared ? granted : llm->rb_used < llm->retry_budget;
  if (ok) llm->rb_used++;
  pthread_mutex_unlock(&llm->smu);
  return ok;
}

static double price_of(const ecai_llm *llm, const char *model, int64_t pt, int64_t ct, int *priced) {
  json_t *p = model ? json_object_get(llm->prices, model) : NULL;
  *priced = p != NULL;
  if (!p) return 0.0;
  return (double)pt * json_number_value(json_object_get(p, "input_per_mtok")) / 1e6 +
         (double)ct * json_number_value(json_object_get(p, "output_per_mtok")) / 1e6;
}

/* Finishes one attempt: classifies the outcome, schedules a retry or completes the job. */
static void attempt_done(ecai_llm *llm, job *jb, CURLcode rc) {
  xfer *x = &jb->x;
  double now = now_ms();
  jb->running = 0;
  curl_multi_remove_handle(llm->multi, jb->easy);
  jb->easy = NULL;
  char url[1024];
  make_url(llm, url, sizeof url);
  ecai_status st = ECAI_OK;
  bool retryable = false;
  char why[1024] = "";
  if (x->canceled || atomic_load(&llm->cancel_gen) != jb->gen) {
    job_fail(jb, ECAI_ECANCELED, "llm: call cancelled after %d attempt(s)", jb->attempts);
    breaker_release(llm, jb); /* no verdict on the server */
    llm_log(llm, ECAI_LOG_INFO, "llm: call to %s cancelled", url);
    return;
  }
  if (x->user_abort) {
    job_fail(jb, ECAI_EUSER, "llm: the stream callback asked to stop");
    breaker_release(llm, jb);
    return;
  }
  if (x->oom) {
    job_fail(jb, ECAI_ENOMEM, "llm: out of memory reading the reply");
    breaker_record(llm, true, now);
    return;
  }
  if (x->too_big) {
    job_fail(jb, ECAI_EHTTP, "llm: reply from %.400s is larger than max_reply_bytes (%lld)", url,
             (long long)llm->max_reply);
    breaker_record(llm, true, now);
    return;
  }
  if (x->stream_st) {
    st = x->stream_st;
    snprintf(why, sizeof why, "%s", x->stream_msg);
  } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
    st = ECAI_EHTTP; /* not retried: another attempt meets the same certificate */
    snprintf(why, sizeof why,
             "llm: TLS certificate verification failed for %.400s: %.300s (trust its CA with llm.ca_file; "
             "llm.verify_tls=false turns verification off)",
             url, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    st = ECAI_ETIMEOUT;
    retryable = true;
    snprintf(why, sizeof why, "llm: timeout after %lld ms waiting for %.400s", (long long)llm->timeout_ms, url);
  } else if (rc != CURLE_OK) {
    st = ECAI_EHTTP;
    retryable = true;
    snprintf(why, sizeof why, "llm: transport error from %.400s: %.300s", url, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
  } else if (x->status < 200 || x->status >= 300) {
    char em[200];
    ecai__llm_error_message(em, sizeof em, x->body.data, x->body.len);
    st = ECAI_EHTTP;
    retryable = x->status == 429 || x->status == 408 || x->status >= 500;
    snprintf(why, sizeof why, "llm: HTTP %ld from %.400s%s%.200s", x->status, url, em[0] ? ": " : "", em);
  } else if (jb->stream) {
    if (x->line.len) sse_feed(x, "\n", 1);
    if (!x->parsed.done && !x->parsed.finish[0]) {
      st = ECAI_EPARSE;
      snprintf(why, sizeof why, "llm: the stream from %.400s ended before its final event", url);
    }
  } else {
    memset(&x->parsed, 0, sizeof x->parsed);
    st = ecai__llm_parse(&x->parsed, llm->prov, x->body.data ? x->body.data : "", x->body.len);
    if (st) snprintf(why, sizeof why, "%.500s (from %.400s)", ecai_last_error(), url);
  }
  breaker_record(llm, st == ECAI_OK || !retryable, now);
  if (st == ECAI_OK) {
    jb->result = x->parsed;
    memset(&x->parsed, 0, sizeof x->parsed);
    jb->have_result = true;
    jb->done = 1;
    jb->st = ECAI_OK;
    return;
  }
  if (retryable && jb->retries < llm->max_retries && !(jb->stream && x->delivered)) {
    if (retry_budget_take(llm, now)) {
      double d = (double)llm->backoff_ms * pow(2.0, jb->retries);
      d = d * (0.5 + 0.5 * rnd01(llm)); /* jitter */
      if (x->retry_after_ms >= 0 && x->retry_after_ms > d) d = x->retry_after_ms;
      if (d > (double)llm->backoff_max_ms) d = (double)llm->backoff_max_ms;
      jb->retries++;
      pthread_mutex_lock(&llm->smu);
      llm->n_retries++;
      pthread_mutex_unlock(&llm->smu);
      jb->not_before = now + d;
      llm_log(llm, ECAI_LOG_INFO, "%s; retry %d of %lld in %.0f ms", why, jb->retries, (long long)llm->max_retries, d);
      return;
    }
    job_fail(jb, st, "%s (retry budget of %lld per minute%s exhausted, %d attempt(s))", why,
             (long long)llm->retry_budget, llm->shared ? " shared by every process" : "", jb->attempts);
    return;
  }
  job_fail(jb, st, "%s (%d attempt(s))", why, jb->attempts);
  llm_log(llm, ECAI_LOG_WARN, "%s", jb->msg);
}

static char *cache_key(const ecai_llm *llm, const job *jb, size_t *len) {
  char *pj = NULL;
  size_t pl = 0;
  if (ecai_prompt_json(&pj, &pl, jb->p)) return NULL;
  ecai__buf b = {0};
  ecai__buf_printf(&b, "{\"model\":\"%s\",\"json\":%s,\"temperature\":%.6g,\"max_tokens\":%lld,\"messages\":",
                   llm->model ? llm->model : "", jb->json_mode ? "true" : "false", llm->temperature,
                   (long long)llm->max_tokens);
  ecai__buf_append(&b, pj, pl);
  ecai__buf_puts(&b, "}");
  ecai__free(pj);
  if (b.oom) {
    ecai__buf_free(&b);
    return NULL;
  }
  return ecai__buf_take(&b, len);
}

static ecai_status make_reply(ecai_llm *llm, job *jb, const char *text, size_t len, const char *finish, int cached) {
  ecai_llm_reply *r = ecai__calloc(1, sizeof *r);
  if (!r) return ECAI_ENOMEM;
  r->text = ecai__strndup(text ? text : "", len);
  r->model = jb->model ? ecai__strdup(jb->model) : NULL;
  if (!r->text || (jb->model && !r->model)) {
    ecai_llm_reply_free(r);
    return ECAI_ENOMEM;
  }
  r->text_len = len;
  snprintf(r->finish, sizeof r->finish, "%s", finish ? finish : "");
  r->provider = llm->prov == ECAI__PROV_ANTHROPIC ? "anthropic" : "openai";
  r->step = STEP_NAMES[jb->step];
  r->cached = cached;
  r->attempts = jb->attempts;
  r->retries = jb->retries;
  jb->reply = r;
  return ECAI_OK;
}

/* Serves a job from the attached exact cache. Returns true when the job is settled. The
 * stored value is {"text":…, "cost":…, "tokens":…}: a hit adds that cost to cost_saved. */
static bool serve_from_cache(ecai_llm *llm, job *jb) {
  size_t kl;
  char *key = cache_key(llm, jb, &kl);
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  void *v = NULL;
  size_t vl = 0;
  bool hit = key && ecai_cache_key_from_json(k, key, kl) == ECAI_OK &&
             ecai_cache_get(&v, &vl, llm->xcache, k) == ECAI_OK;
  ecai__free(key);
  if (!hit) return false;
  json_t *j = json_loadb(v, vl, 0, NULL);
  ecai_free(v);
  json_t *text = json_object_get(j, "text");
  bool ok = json_is_string(text);
  if (ok) {
    if (make_reply(llm, jb, json_string_value(text), json_string_length(text), "stop", 1)) {
      job_fail(jb, ECAI_ENOMEM, "llm: out of memory");
    } else {
      jb->st = ECAI_OK;
      pthread_mutex_lock(&llm->smu);
      llm->cost_saved += json_number_value(json_object_get(j, "cost"));
      pthread_mutex_unlock(&llm->smu);
    }
    jb->done = 1;
  }
  json_decref(j);
  return ok;
}

static void store_in_cache(ecai_llm *llm, job *jb, const ecai_llm_reply *r) {
  size_t kl;
  char *key = cache_key(llm, jb, &kl);
  uint8_t k[ECAI_CACHE_KEY_SIZE];
  json_t *v = json_pack("{s:s%,s:f,s:I}", "text", r->text, r->text_len, "cost", r->cost, "tokens",
                        (json_int_t)(r->prompt_tokens + r->completion_tokens));
  char *vs = v ? json_dumps(v, JSON_COMPACT) : NULL;
  char meta[96];
  snprintf(meta, sizeof meta, "{\"saved_tokens\":%lld,\"saved_cost\":%.9g}",
           (long long)(r->prompt_tokens + r->completion_tokens), r->cost);
  if (key && vs && ecai_cache_key_from_json(k, key, kl) == ECAI_OK)
    (void)ecai_cache_put(llm->xcache, k, vs, strlen(vs), 0, meta); /* a failed put is only a lost hit */
  free(vs); /* jansson's allocator */
  json_decref(v);
  ecai__free(key);
}

/* Budget and downgrade chain, before the first attempt. Returns true when the job is settled
 * without a request (reply or error), false to go on with the request (jb->model may change). */
static bool plan(ecai_llm *llm, job *jb, double now) {
  jb->model = llm->model;
  jb->step = STEP_NONE;
  if (llm->xcache && !jb->stream && !jb->json_mode && serve_from_cache(llm, jb)) return true;
  if (llm->budget_limit <= 0) return false;
  pthread_mutex_lock(&llm->smu);
  if (now - llm->window_start >= llm->budget_window_s * 1000.0 || llm->window_start == 0) {
    llm->window_start = now;
    llm->spent = 0;
  }
  double spent = llm->spent;
  pthread_mutex_unlock(&llm->smu);
  double shared_spent;
  bool shared = ecai__llm_shared_spent(llm->shared, llm->budget_window_s, &shared_spent);
  if (shared) spent = shared_spent;
  bool over = spent >= llm->budget_limit;
  if (spent < llm->budget_near * llm->budget_limit && !over) return false;
  for (size_t i = 0; i < llm->ndowngrade; i++) {
    const char *s = llm->downgrade[i];
    if (!strcmp(s, "cache")) {
      if (!llm->cache_get) continue;
      size_t kl;
      char *key = cache_key(llm, jb, &kl);
      if (!key) {
        job_fail(jb, ECAI_ENOMEM, "llm: out of memory");
        return true;
      }
      const char *t = NULL;
      size_t tl = 0;
      int hit = llm->cache_get(key, kl, &t, &tl, llm->cache_payload);
      ecai__free(key);
      if (hit && t) {
        jb->step = STEP_CACHE;
        if (make_reply(llm, jb, t, tl, "stop", 1)) job_fail(jb, ECAI_ENOMEM, "llm: out of memory");
        else jb->st = ECAI_OK;
        jb->done = 1;
        return true;
      }
    } else if (!strncmp(s, "cheaper_model:", 14)) {
      jb->model = s + 14;
      jb->step = STEP_CHEAPER;
      return false;
    } else {
      jb->step = !strcmp(s, "retrieval_only") ? STEP_RETRIEVAL : STEP_ESCALATE;
      if (make_reply(llm, jb, "", 0, "downgrade", 0)) job_fail(jb, ECAI_ENOMEM, "llm: out of memory");
      else jb->st = ECAI_OK;
      jb->done = 1;
      return true;
    }
  }
  if (!over) return false;
  job_fail(jb, ECAI_EBUDGET,
           "llm: spend budget exhausted (%.6f of %.6f in a %.0f s window%s) and no downgrade step applies", spent,
           llm->budget_limit, llm->budget_window_s, shared ? " shared by every process" : "");
  return true;
}

static CURL *pool_get(ecai_llm *llm, size_t i) {
  if (i >= llm->npool) {
    CURL **np = ecai__realloc(llm->pool, (i + 1) * sizeof *np);
    if (!np) return NULL;
    for (size_t k = llm->npool; k <= i; k++) np[k] = NULL;
    llm->pool = np;
    llm->npool = i + 1;
  }
  if (!llm->pool[i]) llm->pool[i] = curl_easy_init();
  return llm->pool[i];
}

/* Completes a job that got a parsed result: cost, budget, stats, reply. */
static void job_finish_ok(ecai_llm *llm, job *jb, double now) {
  ecai__parsed *res = &jb->result;
  if (make_reply(llm, jb, res->text.data, res->text.len, res->finish[0] ? res->finish : "stop", 0)) {
    job_fail(jb, ECAI_ENOMEM, "llm: out of memory");
    return;
  }
  ecai_llm_reply *r = jb->reply;
  r->prompt_tokens = res->prompt_tokens;
  r->completion_tokens = res->completion_tokens;
  r->cost = price_of(llm, jb->model, res->prompt_tokens, res->completion_tokens, &r->priced);
  r->latency_ms = now - jb->t0;
  pthread_mutex_lock(&llm->smu);
  llm->spent += r->cost;
  llm->cost_total += r->cost;
  llm->n_tokens_in += r->prompt_tokens;
  llm->n_tokens_out += r->completion_tokens;
  pthread_mutex_unlock(&llm->smu);
  ecai__llm_shared_spend(llm->shared, llm->budget_window_s, r->cost);
  if (llm->xcache && !jb->stream && !jb->json_mode) store_in_cache(llm, jb, r);
  if (llm->cache_put && !jb->json_mode) {
    size_t kl;
    char *key = cache_key(llm, jb, &kl);
    if (key) llm->cache_put(key, kl, r->text, r->text_len, llm->cache_payload);
    ecai__free(key);
  }
}

/* Runs jobs to completion with at most `conc` in flight. Caller holds llm->mu. */
static void run_jobs(ecai_llm *llm, job *jobs, size_t n, size_t conc) {
  unsigned gen = atomic_load(&llm->cancel_gen);
  double t0 = now_ms();
  size_t left = n, running = 0;
  bool *slot_busy = NULL;
  size_t *slot_of = NULL;
  if (conc > 64) curl_multi_setopt(llm->multi, CURLMOPT_MAXCONNECTS, (long)conc);
  slot_busy = ecai__calloc(conc, sizeof *slot_busy);
  slot_of = ecai__calloc(n ? n : 1, sizeof *slot_of);
  for (size_t i = 0; i < n; i++) {
    jobs[i].gen = gen;
    jobs[i].t0 = t0;
    jobs[i].x.jb = &jobs[i];
    jobs[i].x.retry_after_ms = -1;
    pthread_mutex_lock(&llm->smu);
    llm->n_requests++;
    pthread_mutex_unlock(&llm->smu);
    if (!slot_busy || !slot_of) {
      job_fail(&jobs[i], ECAI_ENOMEM, "llm: out of memory");
      continue;
    }
    if (llm->prov == ECAI__PROV_NONE) {
      job_fail(&jobs[i], ECAI_EUNSUPPORTED,
               "llm: provider is 'none' (offline); set llm.provider to openai or anthropic to use a model");
      continue;
    }
    if (plan(llm, &jobs[i], t0)) continue;
    if (!jobs[i].model || !jobs[i].model[0]) {
      job_fail(&jobs[i], ECAI_EINVAL, "llm: no model configured (llm.model)");
      continue;
    }
    ecai_status st = ecai__llm_build(&jobs[i].req, &jobs[i].req_len, llm->prov, jobs[i].model, llm->max_tokens,
                                     llm->temperature, jobs[i].stream, jobs[i].json_mode, jobs[i].p, jobs[i].extra);
    if (st) job_fail(&jobs[i], st, "%s", ecai_last_error());
  }
  for (size_t i = 0; i < n; i++)
    if (jobs[i].done) left--;
  while (left > 0) {
    double now = now_ms();
    bool cancelled = atomic_load(&llm->cancel_gen) != gen;
    double next_wait = 50;
    for (size_t i = 0; i < n && running < conc; i++) {
      job *jb = &jobs[i];
      if (jb->done || jb->running) continue;
      if (cancelled) {
        job_fail(jb, ECAI_ECANCELED, "llm: call cancelled after %d attempt(s)", jb->attempts);
        left--;
        continue;
      }
      if (jb->not_before > now) {
        if (jb->not_before - now < next_wait) next_wait = jb->not_before - now;
        continue;
      }
      bool probe;
      int64_t cf;
      double wait;
      bool allowed = breaker_gate(llm, now, &probe, &cf, &wait);
      jb->probe = probe;
      if (!allowed) {
        if (jb->attempts)
          job_fail(jb, ECAI_ESTATE,
                   "llm: circuit breaker opened after %lld consecutive failures; giving up after %d attempt(s)",
                   (long long)cf, jb->attempts);
        else
          job_fail(jb, ECAI_ESTATE,
                   "llm: circuit breaker open after %lld consecutive failures; failing fast (probe in %.0f ms)",
                   (long long)cf, wait > 0 ? wait : 0);
        left--;
        continue;
      }
      size_t s = 0;
      while (s < conc && slot_busy[s]) s++;
      CURL *easy = pool_get(llm, s);
      ecai_status st = easy ? attempt_start(llm, jb, easy) : ecai__err(ECAI_ENOMEM, "llm: curl_easy_init failed");
      if (st) {
        if (probe) breaker_record(llm, true, now);
        job_fail(jb, st, "%s", ecai_last_error());
        left--;
        continue;
      }
      slot_busy[s] = true;
      slot_of[i] = s;
      running++;
    }
    if (left == 0) break;
    int still = 0;
    curl_multi_perform(llm->multi, &still);
    CURLMsg *m;
    int q;
    while ((m = curl_multi_info_read(llm->multi, &q)) != NULL) {
      if (m->msg != CURLMSG_DONE) continue;
      job *jb = NULL;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&jb);
      if (!jb) continue;
      CURLcode rc = m->data.result;
      size_t idx = (size_t)(jb - jobs);
      attempt_done(llm, jb, rc);
      slot_busy[slot_of[idx]] = false;
      running--;
      if (jb->done) {
        left--;
        if (jb->st == ECAI_OK && jb->have_result) job_finish_ok(llm, jb, now_ms());
      }
    }
    if (left == 0) break;
    now = now_ms();
    next_wait = 50;
    for (size_t i = 0; i < n; i++)
      if (!jobs[i].done && !jobs[i].running && jobs[i].not_before - now < next_wait)
        next_wait = jobs[i].not_before - now;
    if (cancelled && running) {
      /* abort transfers in flight: the progress callback may not run soon enough */
      for (size_t i = 0; i < n; i++) {
        job *jb = &jobs[i];
        if (!jb->running) continue;
        jb->x.canceled = 1;
        attempt_done(llm, jb, CURLE_ABORTED_BY_CALLBACK);
        slot_busy[slot_of[i]] = false;
        running--;
        left--;
      }
      continue;
    }
    if (!cancelled) {
      int ms = (int)ceil(next_wait);
      if (ms > 0) curl_multi_poll(llm->multi, NULL, 0, ms, NULL);
    }
  }
  for (size_t i = 0; i < n; i++) {
    job *jb = &jobs[i];
    xfer_reset(&jb->x);
    ecai__free(jb->req);
    jb->req = NULL;
    ecai__buf_free(&jb->result.text);
    pthread_mutex_lock(&llm->smu);
    if (jb->st == ECAI_OK && jb->reply) {
      if (jb->reply->latency_ms == 0) jb->reply->latency_ms = now_ms() - jb->t0;
      llm->lat[llm->nlat++ % LAT_RING] = jb->reply->latency_ms;
      llm->steps[jb->step]++;
      if (jb->reply->cached) llm->n_cached++;
    } else if (jb->st != ECAI_OK) {
      llm->n_errors++;
    }
    pthread_mutex_unlock(&llm->smu);
  }
  ecai__free(slot_busy);
  ecai__free(slot_of);
}

static ecai_status one_call(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p, const ecai_prompt *extra,
                            bool stream, bool json_mode, ecai_llm_stream_fn fn, void *payload, int *attempts,
                            int *retries) {
  job jb;
  memset(&jb, 0, sizeof jb);
  jb.llm = llm;
  jb.p = p;
  jb.extra = extra;
  jb.stream = stream;
  jb.json_mode = json_mode;
  jb.fn = fn;
  jb.payload = payload;
  run_jobs(llm, &jb, 1, 1);
  if (attempts) *attempts += jb.attempts;
  if (retries) *retries += jb.retries;
  if (jb.st) {
    ecai_llm_reply_free(jb.reply);
    return ecai__err(jb.st, "%s", jb.msg);
  }
  *out = jb.reply;
  return ECAI_OK;
}

ecai_status ecai_llm_chat(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(llm);
  ECAI__CHECK_ARG(p);
  pthread_mutex_lock(&llm->mu);
  ecai_status st = one_call(out, llm, p, NULL, false, false, NULL, NULL, NULL, NULL);
  pthread_mutex_unlock(&llm->mu);
  return st;
}

ecai_status ecai_llm_chat_stream(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p, ecai_llm_stream_fn fn,
                                 void *payload) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(llm);
  ECAI__CHECK_ARG(p);
  ECAI__CHECK_ARG(fn);
  pthread_mutex_lock(&llm->mu);
  ecai_status st = one_call(out, llm, p, NULL, true, false, fn, payload, NULL, NULL);
  pthread_mutex_unlock(&llm->mu);
  return st;
}

ecai_status ecai_llm_chat_json(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p, const char *shape) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(llm);
  ECAI__CHECK_ARG(p);
  ecai_status st = ecai__llm_shape_check_spec(shape);
  if (st) return st;
  pthread_mutex_lock(&llm->mu);
  ecai_prompt repair = {0};
  ecai_llm_reply *r = NULL;
  int attempts = 0, retries = 0;
  char why[256] = "";
  for (int round = 0; round < 2; round++) {
    st = one_call(&r, llm, p, round ? &repair : NULL, false, true, NULL, NULL, &attempts, &retries);
    if (st) break;
    if (r->step != STEP_NAMES[STEP_NONE] && r->step != STEP_NAMES[STEP_CHEAPER] && r->step != STEP_NAMES[STEP_CACHE])
      break; /* retrieval_only / escalate: no text to validate */
    json_t *obj = NULL;
    if (ecai__llm_shape_ok(&obj, r->text, r->text_len, shape, why, sizeof why)) {
      char *js = NULL;
      size_t jl = 0;
      st = ecai__json_dump(&js, &jl, obj);
      json_decref(obj);
      if (st) break;
      ecai__free(r->json);
      r->json = js;
      char *t = ecai__strndup(js, jl);
      if (!t) {
        st = ecai__err(ECAI_ENOMEM, "llm: out of memory");
        break;
      }
      ecai__free(r->text);
      r->text = t;
      r->text_len = jl;
      break;
    }
    /* keep the raw reply for the caller */
    ecai__free(llm->last_raw);
    llm->last_raw = ecai__strndup(r->text, r->text_len);
    llm->last_raw_len = llm->last_raw ? r->text_len : 0;
    if (round == 1) {
      st = ecai__err(ECAI_EPARSE, "llm: JSON reply invalid after one repair: %s (raw reply: ecai_llm_last_raw)", why);
      break;
    }
    char msg[512];
    snprintf(msg, sizeof msg,
             "Your previous reply was not valid: %s. Reply again with only one JSON object%s%s.", why,
             shape && *shape ? " with the keys (key:type) " : "", shape ? shape : "");
    for (size_t i = 0; i < repair.n; i++) ecai__free(repair.msgs[i].text);
    repair.n = 0;
    if ((st = ecai__prompt_push(&repair, ECAI_LLM_ASSISTANT, r->text, r->text_len)) ||
        (st = ecai__prompt_push(&repair, ECAI_LLM_USER, msg, strlen(msg))))
      break;
    ecai_llm_reply_free(r);
    r = NULL;
  }
  for (size_t i = 0; i < repair.n; i++) ecai__free(repair.msgs[i].text);
  ecai__free(repair.msgs);
  if (st) {
    ecai_llm_reply_free(r);
  } else {
    r->attempts = attempts;
    r->retries = retries;
    *out = r;
  }
  pthread_mutex_unlock(&llm->mu);
  return st;
}

ecai_status ecai_llm_chat_batch(ecai_llm_reply **out, ecai_status *statuses, ecai_llm *llm,
                                const ecai_prompt *const *prompts, size_t n) {
  ECAI__CHECK_ARG(llm);
  if (n == 0) return ECAI_OK;
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(prompts);
  for (size_t i = 0; i < n; i++) {
    out[i] = NULL;
    if (statuses) statuses[i] = ECAI_ERROR;
  }
  for (size_t i = 0; i < n; i++)
    if (!prompts[i]) return ecai__err(ECAI_EINVAL, "ecai_llm_chat_batch: prompts[%zu] is NULL", i);
  job *jobs = ecai__calloc(n, sizeof *jobs);
  if (!jobs) return ecai__err(ECAI_ENOMEM, "ecai_llm_chat_batch: out of memory");
  pthread_mutex_lock(&llm->mu);
  for (size_t i = 0; i < n; i++) {
    jobs[i].llm = llm;
    jobs[i].p = prompts[i];
  }
  size_t conc = (size_t)llm->batch_conc;
  run_jobs(llm, jobs, n, conc < n ? conc : n);
  ecai_status first = ECAI_OK;
  const char *first_msg = "";
  size_t first_i = 0;
  for (size_t i = 0; i < n; i++) {
    if (statuses) statuses[i] = jobs[i].st;
    if (jobs[i].st == ECAI_OK) out[i] = jobs[i].reply;
    else if (first == ECAI_OK) {
      first = jobs[i].st;
      first_msg = jobs[i].msg;
      first_i = i;
    }
  }
  ecai_status st = first ? ecai__err(first, "batch item %zu: %s", first_i, first_msg) : ECAI_OK;
  pthread_mutex_unlock(&llm->mu);
  ecai__free(jobs);
  return st;
}

/* ---- stats --------------------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

ecai_status ecai_llm_stats_json(char **out, size_t *out_len, ecai_llm *llm) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(llm);
  double lat[LAT_RING];
  /* the shared view first (a Redis round trip), without holding the stats lock */
  char ep[17];
  pthread_mutex_lock(&llm->smu);
  memcpy(ep, llm->ep, sizeof ep);
  double window_s = llm->budget_window_s;
  pthread_mutex_unlock(&llm->smu);
  double sh_spent = 0, sh_open = 0;
  int64_t sh_fails = 0;
  bool sv = ecai__llm_shared_view(llm->shared, ep, window_s, &sh_spent, &sh_fails, &sh_open);
  json_t *shared = ecai__llm_shared_stats(llm->shared);
  pthread_mutex_lock(&llm->smu);
  size_t nl = llm->nlat < LAT_RING ? llm->nlat : LAT_RING;
  memcpy(lat, llm->lat, nl * sizeof *lat);
  double now = now_ms();
  double spent = (llm->window_start && now - llm->window_start < llm->budget_window_s * 1000.0) ? llm->spent : 0;
  const char *bstate = breaker_state(llm, now);
  int64_t fails = llm->consecutive_fail;
  if (sv) {
    spent = sh_spent;
    fails = sh_fails;
    bstate = !llm->breaker_threshold || fails < llm->breaker_threshold ? "closed" : sh_open > 0 ? "open" : "half_open";
  }
  json_t *j = json_pack(
      "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:{s:f,s:f,s:f,s:f},s:{s:s,s:I}}",
      "provider", llm->prov == ECAI__PROV_ANTHROPIC ? "anthropic" : llm->prov == ECAI__PROV_OPENAI ? "openai" : "none",
      "requests", (json_int_t)llm->n_requests, "attempts", (json_int_t)llm->n_attempts, "retries",
      (json_int_t)llm->n_retries, "errors", (json_int_t)llm->n_errors, "prompt_tokens", (json_int_t)llm->n_tokens_in,
      "completion_tokens", (json_int_t)llm->n_tokens_out, "cached", (json_int_t)llm->n_cached, "cost",
      llm->cost_total, "budget", "limit", llm->budget_limit, "window_s", llm->budget_window_s, "spent", spent,
      "near", llm->budget_near, "breaker", "state", bstate, "consecutive_failures", (json_int_t)fails);
  json_t *steps = json_object();
  for (int i = 0; i < NSTEPS; i++) json_object_set_new(steps, STEP_NAMES[i], json_integer(llm->steps[i]));
  json_t *br = json_object_get(j, "breaker");
  json_object_set_new(br, "rejected", json_integer(llm->n_breaker_rejects));
  json_object_set_new(j, "cost_saved", json_real(llm->cost_saved));
  pthread_mutex_unlock(&llm->smu);
  if (!j || !steps || !shared) {
    json_decref(j);
    json_decref(steps);
    json_decref(shared);
    return ecai__err(ECAI_ENOMEM, "ecai_llm_stats_json: out of memory");
  }
  json_object_set_new(j, "downgrades", steps);
  json_object_set_new(j, "shared", shared);
  qsort(lat, nl, sizeof *lat, cmp_d);
  json_t *L = json_object();
  const double qs[3] = {0.50, 0.95, 0.99};
  const char *names[3] = {"p50", "p95", "p99"};
  for (int i = 0; i < 3; i++) {
    double v = 0;
    if (nl) {
      size_t k = (size_t)ceil(qs[i] * (double)nl);
      if (k < 1) k = 1;
      v = lat[k - 1];
    }
    json_object_set_new(L, names[i], json_real(v));
  }
  json_object_set_new(L, "samples", json_integer((json_int_t)nl));
  json_object_set_new(j, "latency_ms", L);
  ecai_status st = ecai__json_dump(out, out_len, j);
  json_decref(j);
  return st;
}

ecai_status ecai_llm_last_raw(char **out, size_t *out_len, ecai_llm *llm) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(llm);
  pthread_mutex_lock(&llm->mu);
  ecai_status st = ECAI_OK;
  if (!llm->last_raw) st = ecai__err(ECAI_ENOTFOUND, "ecai_llm_last_raw: no invalid JSON reply recorded");
  else if (!(*out = ecai__strndup(llm->last_raw, llm->last_raw_len))) st = ecai__err(ECAI_ENOMEM, "out of memory");
  else if (out_len) *out_len = llm->last_raw_len;
  pthread_mutex_unlock(&llm->mu);
  return st;
}
