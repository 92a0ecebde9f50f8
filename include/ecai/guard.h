/*
 * libecai — guardrails (ecai_guard): model-free, in-process checks that run in
 * microseconds.
 *
 *  - Input checks (ecai_guard_check_input): prompt injection / jailbreak patterns on a
 *    normalised text (NFKC, case folding, accents and zero-width characters removed,
 *    light leetspeak, spaced-out letters joined, base64 payloads decoded), requests for
 *    other customers' data, requests for a human, requests needing an action the bot
 *    cannot take (cancel, refund, change an order or address), frustration (angry
 *    wording, a question repeated from the conversation), length, PII present.
 *  - PII redaction with reversible placeholders (ecai_guard_redact / ecai_guard_restore):
 *    e-mails, phone numbers, payment cards (Luhn), IBANs (mod 97), street addresses;
 *    order numbers are kept in the text and tagged in the mapping.
 *  - Output checks (ecai_guard_check_output): every sentence supported by a source
 *    passage, numbers / prices / durations / policy terms and negations as in the
 *    supporting passage, no contradiction without a negation word of a source sentence
 *    about the same thing (opposites such as available / no longer available, still /
 *    no longer, free / fee, once / several times, all / select, automatic / manual, and
 *    un- / in- / non- antonyms: used / unused, refundable / non-refundable; a sentence
 *    opening "No," answers a question and negates nothing), SKUs and prices against a
 *    caller-supplied catalog lookup,
 *    PII not in the sources, banned phrases, system-prompt leakage, length.
 *  - Confidence (ecai_guard_confidence) combining retrieval, grounding and model scores.
 *
 * A verdict is a result, not an error: the check functions return ECAI_OK whenever they
 * could run and describe the outcome in an ecai_guard_verdict, whose JSON form is
 *
 *   {"kind":"input"|"output","pass":bool,"escalate":bool,"escalation_reason":str|null,
 *    "reason":str|null,"score":num,
 *    "checks":[{"name":str,"pass":bool,"score":num,"reason":str|null,"action":str,
 *               "detail":str}...],
 *    "sentences":[{"text":str,"support":num,"source":str|null}...]   (output only)}
 *
 * "pass" is false when a check whose action is "block" failed; "escalate" is true when a
 * check whose action is "escalate" failed, or when an output check failed. Reason codes
 * are stable: injection, other_customer_data, human_requested, action_required,
 * frustration, too_long, pii, unsupported_claim, negation_mismatch, contradiction,
 * condition_dropped, term_not_in_sources,
 * number_not_in_sources, unknown_sku, price_mismatch, banned_topic, prompt_leak.
 */
#ifndef ECAI_GUARD_H
#define ECAI_GUARD_H

#include "ecai/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A configured guard (thresholds, banned phrases, system prompt, catalog lookup). */
typedef struct ecai_guard ecai_guard;
/** The outcome of one check call. */
typedef struct ecai_guard_verdict ecai_guard_verdict;
/** A PII mapping: placeholder -> original value, plus tagged order numbers. */
typedef struct ecai_guard_pii ecai_guard_pii;

/** Options of ecai_guard_set_str/int/double (ranges: 1..99 strings, 100..199 ints,
 * 200..299 doubles). */
typedef enum ecai_guard_opt {
  ECAI_GUARD_OPT_SYSTEM_PROMPT = 1,         /**< the system prompt to protect (leak check) */
  ECAI_GUARD_OPT_BANNED_PHRASES = 2,        /**< newline-separated phrases; replaces the list */
  ECAI_GUARD_OPT_MAX_INPUT_CHARS = 100,     /**< input longer than this (code points) is blocked; default 4000 */
  ECAI_GUARD_OPT_MAX_OUTPUT_CHARS = 101,    /**< answer longer than this fails; default 4000 */
  ECAI_GUARD_OPT_LEAK_MIN_WORDS = 102,      /**< verbatim run (words) of the system prompt that fails; default 8 */
  ECAI_GUARD_OPT_SUPPORT_THRESHOLD = 200,   /**< sentence support below this fails; default 0.5 */
  ECAI_GUARD_OPT_ESCALATION_THRESHOLD = 201, /**< confidence below this escalates; default 0.5 */
  ECAI_GUARD_OPT_REPEAT_SIMILARITY = 202    /**< word overlap with an earlier question counted as a repeat; default 0.7 */
} ecai_guard_opt;

/**
 * Catalog lookup supplied by the caller. Return 1 when `sku` exists (and store its price
 * in *price, or a negative value when unknown), 0 when it does not; any other value
 * aborts the check with ECAI_EUSER. Called on the checking thread during the call only.
 */
typedef int (*ecai_guard_catalog_fn)(const char *sku, double *price, void *payload);

/**
 * @brief Creates a guard, reading the "guard" section of the context (max_input_chars,
 * max_output_chars, support_threshold, escalation_threshold, leak_min_words,
 * repeat_similarity, banned_phrases, source_cache: keep the analysis of up to 32 recent
 * source passages for reuse, default true).
 * @param[out] out receives the guard; NULL on failure.
 * @param[in]  ctx context, or NULL for the built-in defaults. Not retained.
 * @return ECAI_OK; ECAI_EINVAL (NULL out, a configured value out of range); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_guard_free().
 * Thread-safety: a guard is used by one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_new(ecai_guard **out, const ecai_ctx *ctx);

/**
 * @brief Frees a guard. Accepts NULL.
 * Ownership: takes g. Thread-safety: not concurrently with other uses of g.
 * @since 0.1
 */
ECAI_API void ecai_guard_free(ecai_guard *g);

/**
 * @brief Sets a string option (ECAI_GUARD_OPT_SYSTEM_PROMPT, ECAI_GUARD_OPT_BANNED_PHRASES).
 * @param[in] g the guard. @param[in] opt the option. @param[in] v UTF-8 text (NULL or "" clears).
 * @return ECAI_OK; ECAI_EINVAL (NULL g, invalid UTF-8, an int/double option);
 * ECAI_EUNSUPPORTED (unknown option); ECAI_ENOMEM.
 * Ownership: v is copied. Thread-safety: one thread at a time per guard.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_set_str(ecai_guard *g, ecai_guard_opt opt, const char *v);

/**
 * @brief Sets an integer option (100..199).
 * @return ECAI_OK; ECAI_EINVAL (NULL g, value < 1, not an int option); ECAI_EUNSUPPORTED.
 * Ownership: none. Thread-safety: one thread at a time per guard.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_set_int(ecai_guard *g, ecai_guard_opt opt, int64_t v);

/**
 * @brief Sets a double option (200..299); values must lie in [0,1].
 * @return ECAI_OK; ECAI_EINVAL (NULL g, out of range, not a double option); ECAI_EUNSUPPORTED.
 * Ownership: none. Thread-safety: one thread at a time per guard.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_set_double(ecai_guard *g, ecai_guard_opt opt, double v);

/**
 * @brief Installs the catalog lookup used by the SKU / price output check. Without one,
 * a SKU in an answer must appear verbatim in the sources.
 * @param[in] g the guard. @param[in] fn the lookup, or NULL to remove it.
 * @param[in] payload passed to fn unchanged.
 * @return ECAI_OK; ECAI_EINVAL (NULL g).
 * Ownership: payload stays the caller's. Thread-safety: one thread at a time per guard.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_set_catalog(ecai_guard *g, ecai_guard_catalog_fn fn, void *payload);

/**
 * @brief Checks a customer message before it reaches retrieval or an LLM.
 * @param[out] out receives the verdict; NULL on failure.
 * @param[in]  g the guard.
 * @param[in]  text the message (UTF-8; invalid bytes are treated as spaces), len bytes.
 * @param[in]  history earlier messages of the conversation as a JSON array of strings or
 *             of {"role":..., "content":...} objects (only role "user" is used), or NULL.
 * @param[in]  history_len its length in bytes.
 * @return ECAI_OK (whatever the verdict); ECAI_EINVAL (NULL argument); ECAI_EPARSE
 * (history is not such a JSON array); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_guard_verdict_free(). Inputs are copied.
 * Thread-safety: one thread at a time per guard.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_check_input(ecai_guard_verdict **out, ecai_guard *g, const char *text,
                                            size_t len, const char *history, size_t history_len);

/**
 * @brief Checks an answer against the source passages it must be grounded in.
 * @param[out] out receives the verdict; NULL on failure.
 * @param[in]  g the guard.
 * @param[in]  answer the answer text (UTF-8), len bytes.
 * @param[in]  source_ids   n NUL-terminated source identifiers (citations), or NULL
 *                          (sources are then named "0", "1", ...).
 * @param[in]  source_texts n NUL-terminated passages (may be NULL when n is 0).
 * @param[in]  n number of sources; with no source every factual sentence fails.
 * @return ECAI_OK (whatever the verdict); ECAI_EINVAL (NULL argument); ECAI_EUSER (the
 * catalog callback returned neither 0 nor 1); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_guard_verdict_free().
 * Thread-safety: one thread at a time per guard.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_check_output(ecai_guard_verdict **out, ecai_guard *g, const char *answer,
                                             size_t len, const char *const *source_ids,
                                             const char *const *source_texts, size_t n);

/**
 * @brief Whether the checked text may be used (no blocking check failed).
 * @return 1 or 0 (0 for NULL).
 * Ownership: none. Thread-safety: read-only.
 * @since 0.1
 */
ECAI_API int ecai_guard_verdict_pass(const ecai_guard_verdict *v);

/**
 * @brief Whether the conversation should go to a human agent.
 * @return 1 or 0 (0 for NULL).
 * Ownership: none. Thread-safety: read-only.
 * @since 0.1
 */
ECAI_API int ecai_guard_verdict_escalate(const ecai_guard_verdict *v);

/**
 * @brief The reason code of the first failed blocking or escalating check (e.g.
 * "injection", "number_not_in_sources"), or "" when none failed.
 * @return a borrowed string, never NULL.
 * Ownership: borrowed, valid until the verdict is freed. Thread-safety: read-only.
 * @since 0.1
 */
ECAI_API const char *ecai_guard_verdict_reason(const ecai_guard_verdict *v);

/**
 * @brief The verdict's score: for an output verdict the grounding score (the weakest
 * sentence's support, in [0,1]); for an input verdict the highest risk score of a
 * failed check (0 when all passed).
 * @return the score (0 for NULL).
 * Ownership: none. Thread-safety: read-only.
 * @since 0.1
 */
ECAI_API double ecai_guard_verdict_score(const ecai_guard_verdict *v);

/**
 * @brief The auditable JSON form of a verdict (see the file comment).
 * @param[out] out receives a NUL-terminated string; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  v the verdict.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: read-only use of v.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_verdict_json(char **out, size_t *out_len, const ecai_guard_verdict *v);

/**
 * @brief Frees a verdict. Accepts NULL.
 * Ownership: takes v. Thread-safety: not concurrently with other uses of v.
 * @since 0.1
 */
ECAI_API void ecai_guard_verdict_free(ecai_guard_verdict *v);

/**
 * @brief Combines retrieval strength, grounding and an optional model confidence into
 * one confidence, and decides escalation against the guard's escalation threshold.
 *
 * Formula (a weighted geometric mean, so one weak signal pulls the result down):
 *   c = exp( (wr*ln r' + wg*ln g' + wm*ln m') / (wr + wg + wm) )
 * with x' = min(1, max(0.001, x)), weights wr = 0.3, wg = 0.5, wm = 0.2; when model < 0
 * (no model confidence) its term and weight are dropped. escalate = c < threshold.
 *
 * @param[out] out_conf the confidence in [0,1].
 * @param[out] out_escalate 1 if it is below the escalation threshold (may be NULL).
 * @param[in]  g the guard (for the threshold).
 * @param[in]  retrieval retrieval strength in [0,1] (e.g. the top passage's normalised score).
 * @param[in]  grounding grounding score in [0,1] (ecai_guard_verdict_score() of an output verdict).
 * @param[in]  model the model's own confidence in [0,1], or a negative value when absent.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument, NaN, retrieval or grounding outside [0,1]).
 * Ownership: none. Thread-safety: read-only use of g.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_confidence(double *out_conf, int *out_escalate, const ecai_guard *g,
                                           double retrieval, double grounding, double model);

/**
 * @brief Creates an empty PII mapping. Reuse one mapping for a whole conversation so the
 * same value always gets the same placeholder.
 * @param[out] out receives the mapping; NULL on failure.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_guard_pii_free().
 * Thread-safety: a mapping is used by one thread at a time.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_pii_new(ecai_guard_pii **out);

/**
 * @brief Rebuilds a mapping from ecai_guard_pii_json() output (e.g. stored in a session).
 * @param[out] out receives the mapping; NULL on failure.
 * @param[in]  json the JSON text, len bytes.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EPARSE (malformed or not a mapping); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_guard_pii_free().
 * Thread-safety: any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_pii_from_json(ecai_guard_pii **out, const char *json, size_t len);

/**
 * @brief Frees a mapping. Accepts NULL.
 * Ownership: takes m. Thread-safety: not concurrently with other uses of m.
 * @since 0.1
 */
ECAI_API void ecai_guard_pii_free(ecai_guard_pii *m);

/**
 * @brief Number of placeholders in the mapping (tagged order numbers not counted).
 * @return the count (0 for NULL).
 * Ownership: none. Thread-safety: read-only.
 * @since 0.1
 */
ECAI_API size_t ecai_guard_pii_count(const ecai_guard_pii *m);

/**
 * @brief The mapping as JSON: {"items":[{"placeholder":"[EMAIL_1]","type":"email",
 * "value":"..."}...],"tags":[{"type":"order_id","value":"#W1234567"}...]}.
 * It contains the original PII: store it as carefully as the PII itself.
 * @param[out] out receives the string; free with ecai_free(). @param[out] out_len may be NULL.
 * @param[in]  m the mapping.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: read-only use of m.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_pii_json(char **out, size_t *out_len, const ecai_guard_pii *m);

/**
 * @brief Replaces PII in text by placeholders ([EMAIL_n], [PHONE_n], [CARD_n], [IBAN_n],
 * [ADDRESS_n]) and records them in m; order numbers stay in the text and are tagged.
 * @param[out] out receives the redacted text; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in,out] m the mapping, extended with new values.
 * @param[in]  text the text (UTF-8), len bytes.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time per mapping.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_redact(char **out, size_t *out_len, ecai_guard_pii *m, const char *text,
                                       size_t len);

/**
 * @brief Puts the original values back in place of the mapping's placeholders (matched
 * case-insensitively, so "[email_1]" works too); unknown placeholders are kept as they are.
 * @param[out] out receives the restored text; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  m the mapping. @param[in] text the text, len bytes.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: read-only use of m.
 * @since 0.1
 */
ECAI_API ecai_status ecai_guard_restore(char **out, size_t *out_len, const ecai_guard_pii *m,
                                        const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_GUARD_H */
