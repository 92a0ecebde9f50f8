/*
 * libecai — support assistant: a knowledge base (ecai_kb) and retrieval-grounded
 * answers with guardrails, confidence and human escalation (ecai_support).
 *
 * Knowledge base: documents are markdown, plain text, HTML (tags stripped, script/style
 * dropped) or a FAQ JSON list of {"id","question","answer"} (each entry one document
 * whose citation source is its id). Markdown/text/HTML are split at headings into
 * sections and each section into chunks of whole paragraphs (support.chunk_words words,
 * the last paragraph of a chunk repeated at the start of the next one as overlap); each
 * chunk keeps its source (the document name) and section (the heading path). A document
 * added again with the same content (XXH3 hash) is skipped; with changed content its
 * old chunks are replaced.
 * Retrieval (in-process, the KB is small): BM25F over the shared tokenizer (stems, stop
 * words removed) with two fields weighted apart, the heading (FAQ: the entry's question,
 * weight 2) and the passage (FAQ: the answer, weight 1), fused with the cosine of the
 * context's embedder (builtin by default), plus the evidence of examples
 * (ecai_kb_add_example()). Question words: conversational filler and chat spellings
 * ("u", "ur", "pls", "thx") carry no weight, a few chat abbreviations are read as the word
 * meant ("acct" account, "pwd" password, "pkg" package); a word unknown to the KB is
 * corrected to a known word at edit distance 1 (5+ letters; 0 corrections on the 46 tune
 * questions, all correctly spelt), else replaced by its first WordNet synonym the KB
 * uses (first two senses, weight 0.7; support.wordnet). Retrieval strength = the share
 * of the question's information (IDF mass of its content words) that the top chunk
 * contains, averaged with the embedding cosine of that chunk.
 *
 * Confidence: with 20+ labelled example questions the answer gate is a logistic
 * regression over the top hit's coverage and cosine, the margin to the best other entry,
 * its example evidence, the nearest ESCALATE example and the question's length, fitted
 * on the examples by leave-one-question-out (refitted at the next answer when documents
 * change, or when examples are added, except that a KB with 200+ labelled questions that
 * only gains examples keeps its model until they have grown by 10 %: a fit costs one
 * retrieval per question against every example, 87 ms at 780 examples; new examples count
 * as evidence at once either way; example questions the input guard escalates anyway are
 * left out of the fit);
 * "calibrated" is its probability that the top entry is right, and the answer is given
 * when it reaches guard.escalation_threshold. With fewer examples: the fixed rule
 * (support.min_retrieval on the strength, examples lifting it, then ecai_guard_confidence).
 * A message with several questions ('?'-ended parts with 2+ content words each) is
 * answered or escalated per question ("parts").
 *
 * Answer JSON (ecai_support_answer):
 *   {"question":str, "answer":str|null, "escalated":bool, "blocked":bool, "reason":str|null,
 *    "confidence":num, "retrieval":num, "grounding":num, "calibrated":num|null,
 *    "mode":"llm"|"extractive",
 *    "citations":[{"source":str,"section":str}...],
 *    "guards":{"input":<verdict>,"output":<verdict>|null},
 *    "event":{"event":"ticket_bot_answered"|"ticket_escalated","ts":int,"reason":str|null,
 *             "confidence":num},
 *    "handoff":{"reason":str,"conversation":[{"role","content"}...],
 *               "sources":[{"source","section","text","score"}...],
 *               "pii":[{"placeholder","type"}...], "context":any|null}   (only when escalated),
 *    "parts":[{"question","answer","escalated","reason","confidence","citations"}...]
 *               (only for a message split into several questions)}
 * "answer" is null when escalated, except with reason partly_answered (the answers to the
 * parts that were answered; a person takes the rest).
 * Reason codes: the guard's (injection, human_requested, action_required, frustration,
 * unsupported_claim, number_not_in_sources, ...) plus no_sources (empty KB or nothing
 * retrieved), low_retrieval (strength below support.min_retrieval), low_confidence
 * (below guard.escalation_threshold), model_declined (the model answered ESCALATE or
 * nothing), llm_error (the LLM call failed), similar_escalated (the question is like an
 * ESCALATE example), partly_answered (some questions of the message answered, not all). Text in the handoff is PII-redacted; the
 * answer shown to the customer has its placeholders restored.
 */
#ifndef ECAI_SUPPORT_H
#define ECAI_SUPPORT_H

#include "ecai/common.h"
#include "ecai/guard.h"
#include "ecai/llm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A knowledge base of chunked documents. */
typedef struct ecai_kb ecai_kb;
/** A support assistant bound to a knowledge base. */
typedef struct ecai_support ecai_support;

/** Document formats of ecai_kb_add_text(). */
typedef enum ecai_kb_format {
  ECAI_KB_AUTO = 0,     /**< from the source name's extension (.md .markdown .txt .html .htm .json) */
  ECAI_KB_TEXT = 1,
  ECAI_KB_MARKDOWN = 2,
  ECAI_KB_HTML = 3,
  ECAI_KB_FAQ_JSON = 4
} ecai_kb_format;

/**
 * @brief Creates an empty knowledge base using the context's embedder (embedder.*) and
 * chunking settings (support.chunk_words, support.chunk_overlap).
 * @param[out] out receives the KB; NULL on failure.
 * @param[in]  ctx the context; must outlive the KB.
 * @return ECAI_OK; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_kb_free().
 * Thread-safety: one thread at a time per KB (also for searches).
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_new(ecai_kb **out, ecai_ctx *ctx);

/**
 * @brief Frees a knowledge base. Accepts NULL.
 * Ownership: takes kb. Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API void ecai_kb_free(ecai_kb *kb);

/**
 * @brief Adds (or replaces, when its content changed) one document.
 * @param[out] out_changed number of documents added or replaced (0 when unchanged); may be NULL.
 * @param[in]  kb the KB.
 * @param[in]  source the document name used in citations (FAQ JSON: a prefix-free name;
 *             each entry's id becomes its source).
 * @param[in]  text UTF-8 content, len bytes.
 * @param[in]  format the format, or ECAI_KB_AUTO.
 * @return ECAI_OK; ECAI_EINVAL (NULL argument, empty source, unknown format);
 * ECAI_EPARSE (invalid UTF-8, a FAQ file that is not a list of {id, question, answer});
 * ECAI_ENOMEM; embedder errors. On failure the KB is unchanged.
 * Ownership: inputs are copied. Thread-safety: one thread at a time per KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_add_text(size_t *out_changed, ecai_kb *kb, const char *source, const char *text,
                                      size_t len, ecai_kb_format format);

/**
 * @brief Adds a file, or every regular file with a known extension in a folder (not
 * recursive, sorted by name; the source is the file name). Unchanged files are skipped.
 * @param[out] out_changed number of documents added or replaced; may be NULL.
 * @param[in]  kb the KB. @param[in] path a file or a folder.
 * @return ECAI_OK; ECAI_EIO (cannot read; the message names the path); ECAI_ENOTFOUND
 * (a folder without any document); as ecai_kb_add_text().
 * Ownership: none. Thread-safety: one thread at a time per KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_add_path(size_t *out_changed, ecai_kb *kb, const char *path);

/**
 * @brief Removes a document and its chunks.
 * @return ECAI_OK; ECAI_ENOTFOUND; ECAI_EINVAL.
 * Ownership: none. Thread-safety: one thread at a time per KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_remove(ecai_kb *kb, const char *source);

/**
 * @brief Number of live documents (n_docs) and chunks (n_chunks); either may be NULL.
 * @return ECAI_OK; ECAI_EINVAL.
 * Ownership: none. Thread-safety: read-only.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_stats(size_t *n_docs, size_t *n_chunks, const ecai_kb *kb);

/**
 * @brief Retrieves the k best chunks for a query:
 * {"query":str,"strength":num,"escalate_example":num,"margin":num,"examples":int,
 *  "confidence":num|null,"results":[{"source","section","text","score","bm25","cosine",
 * "coverage","example"}...]} (example: the evidence of the entry's examples, 0..1;
 * confidence: the fitted model's probability, null without one; the model is the one
 * last fitted, by an assistant over kb (leaving out example questions its input guard
 * escalates anyway) or, when none has answered since the examples changed, without that).
 * @param[out] out receives the JSON; free with ecai_free(). @param[out] out_len may be NULL.
 * @param[in]  kb the KB. @param[in] query UTF-8 text. @param[in] k at most this many (1..100).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EPARSE (invalid UTF-8); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time per KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_search_json(char **out, size_t *out_len, ecai_kb *kb, const char *query, size_t k);

/**
 * @brief Writes the knowledge base to one file atomically (temp file, fsync, rename), laid
 * out to be used in place by ecai_kb_open(): documents, content hashes, chunks, their
 * analysed terms and vectors, the vocabulary, the examples with their terms and vectors,
 * and the confidence model last fitted by an assistant over kb (it serves assistants with
 * the same configuration after ecai_kb_open() without a new fit), with a layout version, the
 * fingerprints of the tokenizer and embedder that made the analyses, and an XXH3 checksum.
 * The file is about 4 bytes per vector dimension per chunk larger than the text (shop FAQ,
 * 79 entries at dim 384: 170 KB). The older text files (ECAIKB1, versions 1 and 2) are
 * still read.
 * @param[in] kb the KB. @param[in] path the file.
 * @return ECAI_OK; ECAI_EIO; ECAI_EINVAL; ECAI_ENOMEM.
 * Ownership: none. Thread-safety: read-only use of kb.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_save(const ecai_kb *kb, const char *path);

/**
 * @brief Opens a knowledge base written by ecai_kb_save(). The file is mapped read-only and
 * shared (processes opening it share its pages) and its chunks, terms and vectors are used
 * in place, not parsed or analysed again, when they were made by this library's tokenizer
 * and by an embedder with the identity of ctx's (ecai_embedder_identity()); otherwise (or
 * for an older text file) the chunks' texts are tokenised and embedded again with ctx's
 * embedder, slower but never stale, and the log says so at INFO: save the KB again to
 * skip it. The checksum is verified at the file's first open in a process. Never rewrite a
 * KB file in place while it is open anywhere: save it (rename) or copy to a new name.
 * Re-adding an unchanged document afterwards is skipped; changing the KB does not touch
 * the file.
 * @param[out] out receives the KB; NULL on failure.
 * @param[in]  ctx the context; must outlive the KB. @param[in] path the file.
 * @return ECAI_OK; ECAI_EIO (missing, unreadable, cannot map); ECAI_ECORRUPT (not a KB
 * file, damaged or truncated, malformed contents, other version, naming the file);
 * ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_kb_free() (which unmaps the file).
 * Thread-safety: any thread.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_open(ecai_kb **out, ecai_ctx *ctx, const char *path);

/** The source of examples of questions that must go to a person. */
#define ECAI_KB_ESCALATE "ESCALATE"
/** Longest example question accepted, in bytes. */
#define ECAI_KB_EXAMPLE_MAX 2000
/** Largest examples text ecai_kb_add_examples_tsv() accepts, in bytes (64 MiB). */
#define ECAI_KB_EXAMPLES_MAX_BYTES 67108864

/**
 * @brief Stores a customer question as an example of an entry: learning from resolved
 * tickets. source is a document or FAQ entry id of this KB, or ECAI_KB_ESCALATE for a
 * question that must go to a person. The same question (case, spaces and ?!. ignored)
 * with the same source is stored once; one question may be an example of several entries.
 *
 * How examples are used: each example is indexed by its content words and its embedding;
 * a question's similarity to an example is the mean of an IDF-weighted cosine of their
 * word sets and the embedding cosine. An entry's evidence is its most similar example,
 * added (weight 0.6) to the retrieval score of its chunks, so a question phrased like a
 * resolved one finds that entry even without words in common with it. The nearest
 * ESCALATE example counts against answering. With 20+ labelled questions (5+ retrieved
 * right and 5+ not, examples of the same question taken out in turn) the assistant's
 * confidence becomes a logistic model over retrieval features fitted on them (see
 * ecai_support_new()). Examples are saved by ecai_kb_save(); an example of a document
 * removed later is kept and ignored until the document is back.
 * @param[in] kb the KB. @param[in] source the entry id or ECAI_KB_ESCALATE.
 * @param[in] question the customer's question (UTF-8, 1..ECAI_KB_EXAMPLE_MAX bytes, with a
 *            letter or digit; any language).
 * @return ECAI_OK (also for a duplicate, which adds nothing); ECAI_EINVAL (NULL argument,
 * empty source, empty / too long question or one without a letter or digit);
 * ECAI_ENOTFOUND (source is not a live document of kb; the message names it);
 * ECAI_EPARSE (invalid UTF-8); ECAI_ENOMEM. On failure the KB is unchanged.
 * Ownership: inputs are copied. Thread-safety: one thread at a time per KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_add_example(ecai_kb *kb, const char *source, const char *question);

/**
 * @brief Adds examples from a TSV text: one `question<TAB>expected` per line, expected =
 * entry ids separated by commas or ESCALATE (the format of labelled question sets); a
 * first line `question<TAB>expected` is a header; blank lines are skipped. Every line is
 * checked before anything is added, so a bad line adds nothing. Duplicates are skipped.
 * @param[out] out_added examples added (duplicates not counted); may be NULL.
 * @param[in]  kb the KB. @param[in] text the TSV, len bytes (at most ECAI_KB_EXAMPLES_MAX_BYTES).
 * @return ECAI_OK; ECAI_EINVAL (no example line, too large, a line as ecai_kb_add_example());
 * ECAI_EPARSE (a line without exactly one tab, NUL byte, invalid UTF-8); ECAI_ENOTFOUND
 * (an unknown entry id); ECAI_ENOMEM. Messages name the line ("examples line 7: ...").
 * Ownership: inputs are copied. Thread-safety: one thread at a time per KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_kb_add_examples_tsv(size_t *out_added, ecai_kb *kb, const char *text, size_t len);

/**
 * @brief Creates an assistant over kb: a guard from the context's "guard" section, and an
 * LLM client when llm.provider is not "none" (otherwise answers are extractive).
 * Settings: support.top_k, support.min_retrieval, support.max_answer_chars,
 * guard.escalation_threshold (confidence).
 * @param[out] out receives the assistant; NULL on failure.
 * @param[in]  ctx the context; must outlive the assistant.
 * @param[in]  kb the knowledge base; borrowed, must outlive the assistant.
 * @return ECAI_OK; ECAI_EINVAL (bad setting); ECAI_ENOMEM; as ecai_llm_new().
 * Ownership: the caller frees *out with ecai_support_free(); kb stays the caller's.
 * Thread-safety: one thread at a time per assistant.
 * @since 0.1
 */
ECAI_API ecai_status ecai_support_new(ecai_support **out, ecai_ctx *ctx, ecai_kb *kb);

/**
 * @brief Frees an assistant. Accepts NULL.
 * Ownership: takes s (not its KB). Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API void ecai_support_free(ecai_support *s);

/**
 * @brief The assistant's guard, to install a catalog lookup, banned phrases or change
 * thresholds.
 * @return borrowed, valid until ecai_support_free(); NULL for NULL s.
 * Ownership: borrowed. Thread-safety: one thread at a time per assistant.
 * @since 0.1
 */
ECAI_API ecai_guard *ecai_support_guard(ecai_support *s);

/**
 * @brief The assistant's LLM client (e.g. to add headers or a cache), or NULL when
 * answers are extractive.
 * @return borrowed, valid until ecai_support_free().
 * Ownership: borrowed. Thread-safety: see llm.h.
 * @since 0.1
 */
ECAI_API ecai_llm *ecai_support_llm(ecai_support *s);

/**
 * @brief Answers a customer question or escalates it (see the file comment for the JSON).
 * Input guard (PII redacted before anything leaves the process) -> retrieval -> LLM
 * with a grounded prompt (documents, context and question in escaped data sections) or
 * the extractive answer (the best FAQ answer / passage) -> output guard against the
 * retrieved passages -> confidence (ecai_guard_confidence) -> answer or escalation.
 * @param[out] out receives the result JSON; free with ecai_free(). @param[out] out_len may be NULL.
 * @param[in]  s the assistant.
 * @param[in]  question the customer's message (UTF-8, NUL-terminated).
 * @param[in]  conversation the conversation so far as a JSON array of strings or
 *             {"role","content"} objects, or NULL.
 * @param[in]  context order/customer data as any JSON value (given to the model as data,
 *             copied into the handoff), or NULL.
 * @return ECAI_OK whatever the outcome (a failed LLM call escalates with reason
 * llm_error); ECAI_EINVAL (NULL s/question/out, invalid UTF-8); ECAI_EPARSE (conversation
 * or context not valid JSON); ECAI_ENOMEM.
 * Ownership: the caller owns *out. Thread-safety: one thread at a time per assistant.
 * @since 0.1
 */
ECAI_API ecai_status ecai_support_answer(char **out, size_t *out_len, ecai_support *s, const char *question,
                                         const char *conversation, const char *context);

/**
 * @brief Learns from a resolved ticket: the customer's question of an escalation becomes
 * an example (ecai_kb_add_example()) of the entry the agent answered with, or of
 * ECAI_KB_ESCALATE when a person was needed. The question is taken from the handoff's
 * conversation (its last user message, PII already replaced by placeholders, which are
 * dropped), so no customer data is stored.
 * @param[in] s the assistant (its KB gets the example).
 * @param[in] result the JSON of an ecai_support_answer() result with a "handoff", or the
 *            handoff object itself.
 * @param[in] source the entry id the agent chose, or NULL / ECAI_KB_ESCALATE for "a person
 *            was needed".
 * @return ECAI_OK (also for a duplicate); ECAI_EPARSE (result is not JSON); ECAI_EINVAL
 * (NULL s/result, no handoff with a user message); as ecai_kb_add_example().
 * Ownership: none. Thread-safety: one thread at a time per assistant and its KB.
 * @since 0.1
 */
ECAI_API ecai_status ecai_support_resolve(ecai_support *s, const char *result, const char *source);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_SUPPORT_H */
