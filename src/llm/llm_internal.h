/* Internal: LLM client shared declarations (prompt, wire formats, client). */
#ifndef ECAI_LLM_INTERNAL_H
#define ECAI_LLM_INTERNAL_H

#include "core/internal.h"
#include "ecai/llm.h"

typedef enum { ECAI__PROV_NONE = 0, ECAI__PROV_OPENAI = 1, ECAI__PROV_ANTHROPIC = 2 } ecai__prov;

typedef struct {
  ecai_llm_role role;
  char *text;
  size_t len;
} ecai__msg;

struct ecai_prompt {
  ecai__msg *msgs;
  size_t n, cap;
};

struct ecai_llm_reply {
  char *text;
  size_t text_len;
  char finish[32];
  char *model;
  const char *provider;
  int64_t prompt_tokens, completion_tokens;
  double cost, latency_ms;
  int attempts, retries, cached, priced;
  const char *step; /* static string */
  char *json;       /* validated object (JSON mode) or NULL */
};

/* Parsed reply of one HTTP exchange (before it becomes an ecai_llm_reply). */
typedef struct {
  ecai__buf text;
  char finish[32];
  int64_t prompt_tokens, completion_tokens;
  bool done;         /* stream: saw [DONE] / message_stop */
  char err[256];     /* stream: an error event's message */
} ecai__parsed;

/* Appends one message (role, copied text). */
ecai_status ecai__prompt_push(ecai_prompt *p, ecai_llm_role role, const char *text, size_t len);

/* Builds the request body for provider/model. json_mode adds the JSON instruction and, for
 * OpenAI, response_format. extra = optional messages appended after p (repair turn). */
ecai_status ecai__llm_build(char **out, size_t *out_len, ecai__prov prov, const char *model, int64_t max_tokens,
                            double temperature, bool stream, bool json_mode, const ecai_prompt *p,
                            const ecai_prompt *extra);
/* Parses a non-streaming 2xx body into r. ECAI_EPARSE names what is missing. */
ecai_status ecai__llm_parse(ecai__parsed *r, ecai__prov prov, const char *body, size_t len);
/* Processes one SSE "data:" payload (without the prefix). Text deltas are appended to r->text
 * and, when delta_out is not NULL, returned through *delta_out and *delta_len (borrowed). */
ecai_status ecai__llm_sse_event(ecai__parsed *r, ecai__prov prov, const char *data, size_t len,
                                const char **delta_out, size_t *delta_len, size_t *delta_off);
/* Extracts the error message of an error body ({"error":{"message":..}}), or "" . */
void ecai__llm_error_message(char *dst, size_t cap, const char *body, size_t len);

/* JSON mode: validates text against "key:type,..." ; on success *obj is the parsed object
 * (jansson, caller decrefs). On failure writes the reason into why. */
bool ecai__llm_shape_ok(json_t **obj, const char *text, size_t len, const char *shape, char *why, size_t cap);
ecai_status ecai__llm_shape_check_spec(const char *shape);

/* ---- cost control shared through Redis (src/llm/shared.c) ------------------------------- */
typedef struct ecai__llm_shared ecai__llm_shared;
/* From llm.shared: *out stays NULL for "none"; "redis" needs redis.url. ECAI_EINVAL; ECAI_ENOMEM. */
ecai_status ecai__llm_shared_new(ecai__llm_shared **out, ecai_ctx *ctx);
void ecai__llm_shared_free(ecai__llm_shared *s);
/* The endpoint id of a base URL (16 hex digits): breaker and retry keys are per endpoint. */
void ecai__llm_shared_endpoint(char out[17], const char *base_url);
/* Each returns true when Redis answered (results in the out parameters) and false when the
 * caller must use its per-process state: s is NULL, the feature is off (threshold or
 * budget 0), or Redis is unreachable, timed out or in its reconnect pause. Thread-safe. */
bool ecai__llm_shared_spent(ecai__llm_shared *s, double window_s, double *spent);
/* Adds cost to the current window (kept and added later when Redis is down). */
bool ecai__llm_shared_spend(ecai__llm_shared *s, double window_s, double cost);
bool ecai__llm_shared_retry_take(ecai__llm_shared *s, const char *ep, int64_t per_minute, bool *granted);
bool ecai__llm_shared_breaker_allows(ecai__llm_shared *s, const char *ep, int64_t threshold, int64_t probe_ttl_ms,
                                     bool *allowed, bool *probe, int64_t *fails, double *open_ms);
void ecai__llm_shared_breaker_record(ecai__llm_shared *s, const char *ep, bool ok, int64_t threshold,
                                     int64_t cooldown_ms);
/* Ends a half-open probe without a verdict (cancelled, aborted). */
void ecai__llm_shared_breaker_release(ecai__llm_shared *s, const char *ep);
/* Spend of the current window, failures and open time for the stats. */
bool ecai__llm_shared_view(ecai__llm_shared *s, const char *ep, double window_s, double *spent, int64_t *fails,
                           double *open_ms);
/* {"backend": "redis"|"none", "state": "ok"|"fallback"|"off", "errors", "fallbacks"[, "unsynced_spend"]}. */
json_t *ecai__llm_shared_stats(ecai__llm_shared *s);

#endif
