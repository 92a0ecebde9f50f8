/*
 * libecai — LLM client: prompts with delimited data sections, OpenAI-compatible and
 * Anthropic providers, streaming, JSON mode, retries, circuit breaker, cost and budget
 * with a downgrade chain, concurrent batches.
 *
 * Thread-safety of ecai_llm (an exception to the library default): the handle is
 * internally locked. Calls from several threads are allowed and are serialised on the
 * handle's one keep-alive connection; ecai_llm_cancel() and ecai_llm_stats_json() may
 * be called from any thread at any time. For parallel requests use
 * ecai_llm_chat_batch() (curl_multi, bounded in-flight count) or one handle per thread.
 * ecai_prompt and ecai_llm_reply follow the library default (one thread at a time).
 *
 * URLs: the request goes to base_url + "/chat/completions" (openai) or base_url +
 * "/messages" (anthropic). A base_url without a path ("http://host:port") gets "/v1"
 * first; a query string in base_url is kept at the end (Azure: "...?api-version=...").
 * The key goes in "Authorization: Bearer" (openai; llm.auth_header names another header,
 * e.g. "api-key") or "x-api-key" (anthropic).
 *
 * Several processes (20 web servers, PHP-FPM workers): with "llm.shared": "redis" (and
 * redis.url) the spend budget, the retry budget and the circuit breaker are kept in Redis
 * and shared by every client whose context has the same redis.url and redis.prefix, through
 * atomic Lua scripts: one spend counter per budget window (windows aligned on the Unix
 * epoch, so window_s 86400 is one UTC day for every server), one retry count per minute
 * and one breaker (consecutive failures, open for breaker_cooldown_ms, one half-open probe
 * at a time) per endpoint (base_url). The limits hold for the sum over all processes;
 * requests already in flight when the limit is reached may still pass it. When Redis does
 * not answer within redis.timeout_ms (down, stalled, refusing) no call fails and none
 * waits longer than that: the client falls back to its own per-process limits (each
 * process may then spend the whole limit), leaves Redis alone for 1 s, then tries again;
 * spend made meanwhile is added to the shared window once Redis answers. The stats report
 * it under "shared". The default "none" keeps every limit per handle.
 */
#ifndef ECAI_LLM_H
#define ECAI_LLM_H

#include "ecai/cache.h"
#include "ecai/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A chat client bound to one provider endpoint. */
typedef struct ecai_llm ecai_llm;
/** An ordered list of chat messages. */
typedef struct ecai_prompt ecai_prompt;
/** One reply: text, finish reason, usage, cost, attempts, downgrade step. */
typedef struct ecai_llm_reply ecai_llm_reply;

/** Message roles. */
typedef enum ecai_llm_role {
  ECAI_LLM_SYSTEM = 1,
  ECAI_LLM_USER = 2,
  ECAI_LLM_ASSISTANT = 3
} ecai_llm_role;

/** Options (value ranges encode the type: 1..99 strings, 100..199 ints, 200..299 doubles).
 * Defaults come from the context's "llm" section (keys of the same names). */
typedef enum ecai_llm_opt {
  ECAI_LLM_OPT_BASE_URL = 1,            /**< e.g. "https://api.openai.com/v1" */
  ECAI_LLM_OPT_API_KEY = 2,             /**< overrides llm.api_key; never logged */
  ECAI_LLM_OPT_MODEL = 3,
  ECAI_LLM_OPT_PROVIDER = 4,            /**< "openai", "anthropic" or "none" */
  ECAI_LLM_OPT_HEADER = 5,              /**< appends "Name: value"; NULL clears added headers */
  ECAI_LLM_OPT_TIMEOUT_MS = 100,        /**< whole attempt, default llm.timeout_ms */
  ECAI_LLM_OPT_MAX_RETRIES = 101,       /**< retries after the first attempt */
  ECAI_LLM_OPT_CONNECT_TIMEOUT_MS = 102,
  ECAI_LLM_OPT_MAX_TOKENS = 103,
  ECAI_LLM_OPT_MAX_REPLY_BYTES = 104,   /**< bigger replies fail with ECAI_EHTTP (default 8 MiB) */
  ECAI_LLM_OPT_BACKOFF_MS = 105,        /**< first retry delay before jitter (default 200) */
  ECAI_LLM_OPT_BACKOFF_MAX_MS = 106,    /**< cap of one delay, Retry-After included (default 10000) */
  ECAI_LLM_OPT_RETRY_BUDGET = 107,      /**< retries allowed per minute (default 60; 0 = none) */
  ECAI_LLM_OPT_BREAKER_THRESHOLD = 108, /**< consecutive failed attempts that open it (default 5; 0 = off) */
  ECAI_LLM_OPT_BREAKER_COOLDOWN_MS = 109, /**< open time before a half-open probe (default 30000) */
  ECAI_LLM_OPT_BATCH_CONCURRENCY = 110, /**< requests in flight in a batch (default 8) */
  ECAI_LLM_OPT_VERIFY_TLS = 111,        /**< 1 (default) verifies peer and host (llm.ca_file: a private CA); 0 is logged as a warning */
  ECAI_LLM_OPT_TEMPERATURE = 200,
  ECAI_LLM_OPT_BUDGET_LIMIT = 201,      /**< spend limit per window, in price units; 0 = none */
  ECAI_LLM_OPT_BUDGET_WINDOW_S = 202,   /**< window length in seconds */
  ECAI_LLM_OPT_BUDGET_NEAR = 203        /**< fraction of the limit where the downgrade chain starts */
} ecai_llm_opt;

/**
 * Streaming callback: receives each text delta as it arrives (not NUL-terminated).
 * Return 0 to continue, non-zero to abort the call with ECAI_EUSER.
 */
typedef int (*ecai_llm_stream_fn)(const char *delta, size_t len, void *payload);

/**
 * Cache hook used by the "cache" downgrade step and filled after each model reply.
 * `get` receives the canonical request key (JSON of model + messages) and returns 1 with
 * *text and *text_len set (memory owned by the hook, valid until its next call) on a hit,
 * 0 on a miss. `put` (may be NULL) receives the key and the reply text.
 */
typedef int (*ecai_llm_cache_get_fn)(const char *key, size_t key_len, const char **text, size_t *text_len,
                                     void *payload);
typedef void (*ecai_llm_cache_put_fn)(const char *key, size_t key_len, const char *text, size_t text_len,
                                      void *payload);

/* ---- prompts --------------------------------------------------------------- */

/**
 * @brief Creates an empty prompt.
 * @param[out] out receives the prompt; NULL on failure.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_prompt_free().
 * Thread-safety: library default.
 * @since 0.1
 */
ECAI_API ecai_status ecai_prompt_new(ecai_prompt **out);

/**
 * @brief Frees a prompt. Accepts NULL.
 * Thread-safety: library default.
 * @since 0.1
 */
ECAI_API void ecai_prompt_free(ecai_prompt *p);

/**
 * @brief Appends a message whose text is trusted instructions (copied verbatim).
 * Never pass customer input or documents here: use ecai_prompt_add_template().
 * @param[in] p    the prompt.
 * @param[in] role ECAI_LLM_SYSTEM, ECAI_LLM_USER or ECAI_LLM_ASSISTANT.
 * @param[in] text UTF-8 text of len bytes.
 * @return ECAI_OK; ECAI_EINVAL (NULL, bad role, invalid UTF-8); ECAI_ENOMEM.
 * Ownership: text is copied. Thread-safety: library default.
 * @since 0.1
 */
ECAI_API ecai_status ecai_prompt_add(ecai_prompt *p, ecai_llm_role role, const char *text, size_t len);

/**
 * @brief Appends a message rendered from a template with named slots.
 * Each `{{name}}` in the template is replaced by a data section
 * `<data name="name">value</data>` where the value has `&`, `<` and `>` escaped as
 * `&amp;`, `&lt;`, `&gt;`, so untrusted text can never close its section or pose as
 * instructions. `{{{{` is a literal `{{`.
 * @param[in] p          the prompt.
 * @param[in] role       message role.
 * @param[in] tmpl       NUL-terminated template (trusted).
 * @param[in] slots_json JSON object mapping slot names to strings or numbers (untrusted values).
 * @return ECAI_OK; ECAI_EINVAL (slot without a value, malformed template, invalid UTF-8);
 * ECAI_EPARSE (slots_json is not JSON); ECAI_ENOMEM.
 * Ownership: inputs are copied. Thread-safety: library default.
 * @since 0.1
 */
ECAI_API ecai_status ecai_prompt_add_template(ecai_prompt *p, ecai_llm_role role, const char *tmpl,
                                              const char *slots_json);

/**
 * @brief The prompt as a JSON array of {"role","content"} objects.
 * @param[out] out     receives the text; free with ecai_free().
 * @param[out] out_len receives its length (may be NULL).
 * @param[in]  p       the prompt.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: library default.
 * @since 0.1
 */
ECAI_API ecai_status ecai_prompt_json(char **out, size_t *out_len, const ecai_prompt *p);

/* ---- client ---------------------------------------------------------------- */

/**
 * @brief Creates a client from the context's "llm" section (provider, base_url, model,
 * api_key / api_key_env, timeouts, retries, headers, prices, budget, downgrade).
 * @param[out] out receives the client; NULL on failure.
 * @param[in]  ctx the context; must outlive the client.
 * No connection is made here: with llm.shared = "redis", Redis is first asked by a call.
 * @return ECAI_OK; ECAI_EINVAL (bad configuration value, message names the key;
 * llm.shared "redis" without redis.url); ECAI_ERROR (libcurl init); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_llm_free().
 * Thread-safety: see the file comment.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_new(ecai_llm **out, ecai_ctx *ctx);

/**
 * @brief Frees a client and its connections. Accepts NULL. No call may be running.
 * Thread-safety: not concurrently with other uses of the handle.
 * @since 0.1
 */
ECAI_API void ecai_llm_free(ecai_llm *llm);

/**
 * @brief Sets a string option (1..99). Takes effect on the next call.
 * @return ECAI_OK; ECAI_EINVAL (wrong type or bad value); ECAI_EUNSUPPORTED (unknown option).
 * Ownership: v is copied. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_set_str(ecai_llm *llm, ecai_llm_opt opt, const char *v);

/**
 * @brief Sets an integer option (100..199). Takes effect on the next call.
 * @return ECAI_OK; ECAI_EINVAL (wrong type or negative); ECAI_EUNSUPPORTED (unknown option).
 * Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_set_int(ecai_llm *llm, ecai_llm_opt opt, int64_t v);

/**
 * @brief Sets a floating-point option (200..299). Takes effect on the next call.
 * @return ECAI_OK; ECAI_EINVAL (wrong type or out of range); ECAI_EUNSUPPORTED (unknown option).
 * Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_set_double(ecai_llm *llm, ecai_llm_opt opt, double v);

/**
 * @brief Installs the cache hook (see ecai_llm_cache_get_fn); NULL get removes it.
 * @return ECAI_OK; ECAI_EINVAL (NULL llm).
 * Ownership: payload is borrowed and must outlive the client.
 * Thread-safety: internally locked; the hooks are called with the handle locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_set_cache(ecai_llm *llm, ecai_llm_cache_get_fn get, ecai_llm_cache_put_fn put,
                                        void *payload);

/**
 * @brief Attaches an exact cache (ecai_cache, in-process or Redis): every non-streaming,
 * non-JSON-mode call first looks up the canonical request (model, temperature,
 * max_tokens, messages → XXH3-128) and is answered from the cache on a hit, with no
 * request, no cost and `cached: true` in the reply; every model reply is stored with its
 * cost and tokens, so the cache's stats (tokens_saved, cost_saved) and this client's
 * stats (cached, cost_saved) show what the cache avoided. NULL detaches.
 * @param[in] llm   the client.
 * @param[in] cache the cache, or NULL; borrowed: it must outlive the client (or be
 *                  detached first).
 * @return ECAI_OK; ECAI_EINVAL (NULL llm).
 * Ownership: borrowed. Thread-safety: internally locked; ecai_cache is thread-safe, so
 * one cache may serve several clients.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_attach_cache(ecai_llm *llm, ecai_cache *cache);

/**
 * @brief Sends one chat request (with retries, breaker, budget and downgrade chain).
 *
 * Retried (at most max_retries times; delay = backoff_ms * 2^k with full jitter, at least
 * the server's Retry-After in seconds, each delay capped by backoff_max_ms; at most
 * retry_budget retries per minute per handle, or per endpoint for all processes with
 * llm.shared = "redis"): transport errors, timeouts, HTTP 408, 429
 * and 5xx. Not retried: other HTTP statuses, unparsable replies, replies larger than
 * max_reply_bytes. Circuit breaker: breaker_threshold consecutive failed attempts open it;
 * calls then fail fast with ECAI_ESTATE until breaker_cooldown_ms have passed, when one
 * probe is let through (success closes it, failure re-opens it).
 * Budget: when the spend in the current window reaches budget "near" x limit, the
 * downgrade chain is walked in order ("cache" needs ecai_llm_set_cache() and a hit;
 * "cheaper_model:<m>" sends the request to model m; "retrieval_only" and "escalate" return
 * an OK reply with empty text and finish_reason "downgrade" so the caller answers without
 * the model); with no step taken and the limit reached, ECAI_EBUDGET.
 * @param[out] out receives the reply; NULL on failure.
 * @param[in]  llm the client.
 * @param[in]  p   the prompt (at least one non-system message).
 * @return ECAI_OK (check ecai_llm_reply_downgrade() when a budget is set);
 * ECAI_EUNSUPPORTED (provider "none"); ECAI_EHTTP (transport failure or HTTP status,
 * named in the message; reply too big); ECAI_ETIMEOUT; ECAI_EPARSE (malformed reply);
 * ECAI_ESTATE (circuit breaker open); ECAI_EBUDGET (budget spent, no downgrade step
 * left); ECAI_ECANCELED; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_llm_reply_free().
 * Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_chat(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p);

/**
 * @brief Like ecai_llm_chat() but streams the text through fn as it arrives (SSE).
 * Retries happen only before the first delta was delivered.
 * @param[out] out     receives the complete reply; NULL on failure.
 * @param[in]  llm     the client.
 * @param[in]  p       the prompt.
 * @param[in]  fn      delta callback (required).
 * @param[in]  payload passed to fn.
 * @return as ecai_llm_chat(); ECAI_EUSER when fn returned non-zero.
 * Ownership: the caller frees *out. Thread-safety: internally locked; fn runs on the calling thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_chat_stream(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p,
                                          ecai_llm_stream_fn fn, void *payload);

/**
 * @brief JSON mode: asks for one JSON object and validates it against `shape`, a list
 * "key:type,key:type" of required keys (types: string, number, integer, boolean, array,
 * object, any). An invalid reply gets one repair request; if that fails too the call
 * returns ECAI_EPARSE and the raw text is available from ecai_llm_last_raw().
 * @param[out] out   receives the reply; its text is the validated JSON object (compact).
 * @param[in]  llm   the client.
 * @param[in]  p     the prompt.
 * @param[in]  shape the expected shape, or NULL/"" for "any JSON object".
 * @return as ecai_llm_chat(); ECAI_EPARSE (still invalid after the repair); ECAI_EINVAL (bad shape).
 * Ownership: the caller frees *out. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_chat_json(ecai_llm_reply **out, ecai_llm *llm, const ecai_prompt *p,
                                        const char *shape);

/**
 * @brief Sends n requests concurrently over curl_multi (at most
 * ECAI_LLM_OPT_BATCH_CONCURRENCY in flight), each with retries and the budget rules.
 * @param[out] out      array of n reply pointers filled by the call (NULL where failed).
 * @param[out] statuses array of n statuses (may be NULL).
 * @param[in]  llm      the client.
 * @param[in]  prompts  n prompts.
 * @param[in]  n        number of prompts (0 is allowed).
 * @return ECAI_OK when every request succeeded; otherwise the first failing status
 * (see statuses[] for each); ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees each out[i] with ecai_llm_reply_free().
 * Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_chat_batch(ecai_llm_reply **out, ecai_status *statuses, ecai_llm *llm,
                                         const ecai_prompt *const *prompts, size_t n);

/**
 * @brief Cancels the calls running on this handle (they return ECAI_ECANCELED within
 * a few milliseconds). Calls started afterwards are not affected.
 * @return ECAI_OK; ECAI_EINVAL.
 * Thread-safety: safe from any thread, including a signal-free watchdog thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_cancel(ecai_llm *llm);

/**
 * @brief Counters as JSON: requests, attempts, retries, errors, tokens, cost, latency
 * percentiles (p50/p95/p99 in ms), budget (limit, spent, window), breaker state,
 * downgrade steps taken, and "shared": {"backend": "redis"|"none", "state": "ok" (budget
 * spent and breaker are the values shared by every process) | "fallback" (Redis did not
 * answer: this handle's own values and limits) | "off", "errors" (failed Redis commands),
 * "fallbacks" (times the shared state was lost), "unsynced_spend" (redis only: spend
 * not yet added to the shared window)}. With llm.shared = "redis" it asks Redis once
 * (at most redis.timeout_ms). Never contains the API key.
 * @param[out] out     receives the text; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  llm     the client.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_stats_json(char **out, size_t *out_len, ecai_llm *llm);

/**
 * @brief The raw text of the last reply that failed JSON validation (ecai_llm_chat_json).
 * @param[out] out     receives a copy; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  llm     the client.
 * @return ECAI_OK; ECAI_ENOTFOUND (none); ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: internally locked.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_last_raw(char **out, size_t *out_len, ecai_llm *llm);

/* ---- replies --------------------------------------------------------------- */

/**
 * @brief The reply text (NUL-terminated; "" for a retrieval_only/escalate downgrade).
 * @param[in]  r   the reply.
 * @param[out] len receives the length in bytes (may be NULL).
 * @return borrowed text, or NULL when r is NULL.
 * Ownership: borrowed, valid until ecai_llm_reply_free(). Thread-safety: library default.
 * @since 0.1
 */
ECAI_API const char *ecai_llm_reply_text(const ecai_llm_reply *r, size_t *len);

/**
 * @brief The downgrade step taken for this reply: "none", "cache", "cheaper_model",
 * "retrieval_only" or "escalate".
 * @return a borrowed string, or NULL when r is NULL.
 * Ownership: borrowed. Thread-safety: library default.
 * @since 0.1
 */
ECAI_API const char *ecai_llm_reply_downgrade(const ecai_llm_reply *r);

/**
 * @brief The whole reply as JSON: text, finish_reason, model, provider, usage
 * {prompt_tokens, completion_tokens}, cost, priced (the model has a price), attempts,
 * retries, latency_ms, downgrade, cached (and "json", the parsed object, in JSON mode).
 * @param[out] out     receives the text; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  r       the reply.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: library default.
 * @since 0.1
 */
ECAI_API ecai_status ecai_llm_reply_json(char **out, size_t *out_len, const ecai_llm_reply *r);

/**
 * @brief Frees a reply. Accepts NULL.
 * Thread-safety: library default.
 * @since 0.1
 */
ECAI_API void ecai_llm_reply_free(ecai_llm_reply *r);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_LLM_H */
