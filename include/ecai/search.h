/*
 * libecai search: the shop's search box. Hybrid keyword (BM25F over the shared
 * tokenizer) + vector (the store's embedder and index) retrieval, fused, filtered,
 * explained, with facet counts, typo tolerance and a "no confident match" verdict.
 *
 * Hybrid = the search.candidates best BM25F products, each scored exactly against the
 * query embedding, ranked by a linear blend of max-normalised BM25, embedding cosine,
 * idf-weighted query-term coverage, adjacent query pairs found adjacent in the title and
 * matched/title terms (weights search.w_*, tuned on the hash-selected "tune" half of the
 * Home Depot dev queries). Nearest neighbours join the candidates when the keywords find
 * fewer than k products (or always, search.vector_candidates). RRF (search.fusion "rrf")
 * is available and measured worse on Home Depot (0.383 vs 0.428 nDCG@10 on the test half).
 * Home Depot, 8,225 judged queries, nDCG@10: FTS5 0.381, bm25 0.403, vector 0.316,
 * hybrid 0.425 (1.11x FTS5); on the test half never used for tuning 0.428 vs FTS5 0.387
 * (1.107x). Reproduce with tests/eval/eval_search.sh.
 */
#ifndef ECAI_SEARCH_H
#define ECAI_SEARCH_H

#include "ecai/common.h"
#include "ecai/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A search engine over one store (opaque). */
typedef struct ecai_search ecai_search;

/**
 * @brief Creates a search engine over a built (or opened) store: builds the BM25F
 * keyword index from the store's catalog (fields title, brand, category, description,
 * weighted by search.w_title/w_brand/w_category/w_desc; search.k1, search.b).
 * @param[out] out   receives the engine; NULL on failure.
 * @param[in]  store the store; must outlive the engine and not change while it is used.
 * @return ECAI_OK; ECAI_EINVAL (NULL); ECAI_EPARSE (invalid UTF-8 in the catalog); ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_search_free().
 * Thread-safety: concurrent ecai_search_query() calls are allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_new(ecai_search **out, ecai_store *store);

/**
 * @brief Frees an engine. Accepts NULL.
 * Thread-safety: exclusive access.
 * @since 0.1
 */
ECAI_API void ecai_search_free(ecai_search *s);

/**
 * @brief Writes the keyword index to DIR/search.bin (atomic: temp, fsync, rename; magic,
 * format version and XXH3 checksum), tied to the catalog checksum of DIR/MANIFEST, so
 * call it after ecai_store_save(store, DIR). When product texts changed through
 * ecai_store_update_json() since the store was opened or built, the index written is built
 * afresh from the store's catalog, so the saved version holds the new texts.
 * @return ECAI_OK; ECAI_EIO; ECAI_ECORRUPT (DIR/MANIFEST missing or damaged); ECAI_ENOMEM.
 * Thread-safety: concurrent with queries.
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_save(ecai_search *s, const char *dir);

/**
 * @brief Opens DIR/search.bin written by ecai_search_save() for a store opened from DIR.
 * When DIR is the very path the store was opened as (for example a published symlink, see
 * `ecai publish`), search.bin is read from the folder the store was read from, even if the
 * link has been switched to a new version since: store and index always match.
 * The keyword index is used in place from a read-only shared mapping of search.bin
 * (`index.mmap`, default true; files saved by earlier versions are read into memory), so
 * processes opening one folder share its postings; the file must be replaced by rename,
 * never rewritten in place, while an engine holds it.
 * @param[out] out   receives the engine; NULL on failure.
 * @param[in]  store the store opened from dir.
 * @param[in]  dir   the folder.
 * @return ECAI_OK; ECAI_ENOTFOUND (no search.bin: use ecai_search_new()); ECAI_ECORRUPT
 * (damaged, other version, or written for another catalog); ECAI_EIO; ECAI_ENOMEM.
 * Ownership: the caller frees *out with ecai_search_free().
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_open(ecai_search **out, ecai_store *store, const char *dir);

/**
 * @brief Runs one query. `options` is a JSON object (or NULL) with optional members
 * "k" (hits, default 10), "mode" ("bm25"|"vector"|"hybrid", default search.mode),
 * "fusion" ("blend"|"rrf", default search.fusion), "typo" (bool), and "filters":
 * {"category": prefix, "brand": exact (case-insensitive), "price_min": x, "price_max": y,
 * "in_stock": true}. Filters are exact: the keyword side scores every matching product,
 * the vector side scores the filtered subset exactly when it is small (index rules).
 * "prefix": true searches as you type: the last word of the query, when the query does
 * not end in a space or punctuation, is the start of a word ("cordless dri"): it stands
 * for the index words that start with it (surface words and index terms, at most 48, the
 * ones in most products first), each product counted with its best completion at the
 * idf of the most frequent one; the "why" shows it as "dri*". In prefix mode a query with
 * no word at all ("" or "  ") returns no hits ("total":0), in every mode.
 * Home Depot, 300 typed prefixes of titles (tests/eval/eval_prefix.sh, make bench):
 * target product in the top 10 for 288 (hybrid) vs SQLite FTS5's prefix query 287,
 * p50 0.65 ms.
 * "sort": "relevance" (default) | "price_asc" | "price_desc" | "popularity" (order counts,
 * descending; ties, e.g. without orders, by relevance) | "newest" (the catalog has no date field:
 * the products added to the catalog last come first, i.e. highest internal id). A sort
 * keeps the candidates that match the query as well as the best one (same idf-weighted
 * share of the query's words; every candidate in vector mode), ordered by the key, ties
 * (and unknown prices, put last) by relevance; "total" counts them.
 * "offset": hits skipped, 0..10000 (paging): the page is hits offset..offset+k-1 of the
 * ranking a query with k = offset+k returns, so offset 0 and 10 with k 10 give the same
 * order as one query with k 20 (when the keywords find fewer than offset+k products the
 * semantic neighbours that fill the list are fetched for offset+k: a page may then differ
 * from a smaller k's list); an offset past the end gives "hits":[] with the real "total",
 * not an error. The result echoes "offset" and "sort" when set.
 * "highlight": true adds to each hit "highlight":{"title": the title with matched words
 * in <em>..</em> and the rest HTML-escaped, "spans":[{"start":byte offset,"len":bytes}]}
 * (offsets into the raw UTF-8 title); a word matches when one of its tokens is a query
 * term (after stemming, units, synonyms) or a completion of the prefix.
 * Result: {"query":..,"mode":..,"corrected":{"mattres":"mattress"},"confidence":0.8,
 * "no_confident_match":false,"total":N,"hits":[{"id":..,"score":..,"title":..,
 * "why":"title: sofa, grey" | "semantic neighbour (0.71)"},..],
 * "facets":{"category":{..},"brand":{..}}}. Facets count the fused candidates that pass
 * the filters (up to search.candidates + vector candidates), not only the k shown.
 * "no_confident_match" is true when confidence < search.min_confidence (default 0.5);
 * confidence is the idf-weighted share of the query's words found in the best hit, words
 * unknown to the catalog counting with the maximum idf (vector mode: the best cosine).
 * Measured on Home Depot (hybrid, tests/eval/eval_search.sh + 30 off-catalog queries in
 * tests/eval/offcatalog_queries.tsv): threshold 0.4 flags 9/30 off-catalog and 4.8 % of
 * answerable queries; 0.5 flags 14/30 and 11.9 %; 0.6 flags 22/30 and 23.7 %. The
 * signal is coarse on a catalog as broad as a DIY store's (many off-topic words exist).
 * @param[out] out     receives the JSON; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @return ECAI_OK; ECAI_EINVAL (NULL, bad options); ECAI_EPARSE (invalid UTF-8 or options
 * JSON); ECAI_ESTATE (vector/hybrid mode on a store never built); index errors.
 * Ownership: the caller frees *out. Thread-safety: concurrent queries allowed.
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_query(char **out, size_t *out_len, ecai_search *s, const char *query, size_t len,
                                       const char *options);

/**
 * @brief Sets the shop's merchandising rules and synonyms, replacing the previous ones
 * (json NULL: none). `json` is a list of rules or {"rules": [..], "synonyms": [..]}.
 * A rule: {"query": "tv", "match": "exact" (default; the whole query) | "contains" (its
 * words appear in a row in the query), "pin": ["SKU", {"id": "SKU", "position": 3}, ..],
 * "boost": [SKUs], "bury": [SKUs], "hide": [SKUs]}. Queries are compared word by word after
 * the tokenizer's normalisation (case, accents, punctuation; no stemming). Every rule a
 * query matches applies, in order: hidden products never show (also under a "sort");
 * with relevance order, boosted products the query found rank above the others and
 * buried ones below (each group keeps its order), then pinned products are placed at
 * their positions (strings: 1, 2, .. in list order; objects: "position" 1..1000; past
 * the end: at the end), found by the query or not, unless hidden or filtered out; the
 * "why" says "pinned/boosted/buried by a merchandising rule". Paging applies after rules.
 * Synonyms: ["couch", "sofa", "settee"] (two-way: each word also finds the others) or
 * {"from": "tv", "to": ["television"]} (one-way), single words; applied in keyword
 * scoring (a word counts with the best of itself and its synonyms in each product, at
 * its own idf, or the first synonym's when the catalog lacks the word, which is then
 * never typo-corrected) and shown in the "why" ("title: sofa (synonym of couch)").
 * Expansion is one step, at most 16 words, never transitive, so cyclic lists terminate.
 * Synonym words the catalog lacks are ignored (they could find nothing).
 * The document is validated whole before anything changes: unknown products (named in
 * the message), a product twice in one rule (e.g. pin and hide), two pins at one
 * position, two rules with the same query and match, a synonym of several words, unknown
 * keys: ECAI_EINVAL and the previous rules stay. ecai_search_save() writes the rules to
 * DIR/rules.json (compact JSON, atomic; removed when there are none) and
 * ecai_search_open() reads and validates it when present (errors as here).
 * @return ECAI_OK; ECAI_EINVAL; ECAI_EPARSE (not JSON); ECAI_ENOMEM.
 * Ownership: json is copied. Thread-safety: exclusive (no concurrent queries).
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_set_rules_json(ecai_search *s, const char *json, size_t len);

/**
 * @brief Sets the products' popularity from the shop's orders, replacing the previous counts
 * (path NULL: none). `path` is an orders CSV as ecai_recommend_load_orders() reads it
 * (order, product, quantity, price and date columns, or Online Retail's InvoiceNo,
 * StockCode, ...; gzip accepted; cancellations and non-positive quantities skipped): each
 * order line counts 1; or a file whose first line is "sku,count" followed by "SKU,N"
 * lines (N >= 0; one SKU on several lines adds up). SKUs the catalog lacks are skipped.
 * Popularity is the "sort": "popularity" key (most first) and, with
 * search.w_popularity > 0 (default 0), a blend feature log(1 + n) / log(1 + max n).
 * Home Depot has no orders: its effect on relevance could only be measured with a proxy
 * (tests/eval/eval_popularity.sh; see README "Measured"). ecai_search_save() writes the
 * counts to DIR/popularity.bin (container ECAIPOP, checksummed; removed when there are
 * none) and ecai_search_open() reads it back.
 * @param[out] out_products receives the number of catalog products with a count (may be NULL).
 * @return ECAI_OK; ECAI_EINVAL (NULL s); ECAI_EIO (unreadable); ECAI_EPARSE (a malformed
 * line, named, or an orders CSV without the needed columns); ECAI_ENOMEM. On error the
 * previous counts stay.
 * Thread-safety: exclusive (no concurrent queries).
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_set_popularity_csv(ecai_search *s, const char *path, size_t *out_products);

/**
 * @brief Evaluates the engine on judged queries: `queries` is a TSV (query_id, query),
 * `labels` a TSV (query_id, product_id, grade 1..3); both may be gzip-compressed and
 * have a header line. Every query with at least one grade > 1 is searched over the
 * whole catalog; gain = grade - 1 for nDCG@10, relevant = grade > 1 for MRR@10 and
 * recall@100. `options` as ecai_search_query() plus "split": "all" (default), "tune"
 * or "test" (the halves chosen by the XXH3 hash of the query text).
 * Result: {"mode":..,"queries":N,"labelled":M,"ndcg@10":..,"mrr@10":..,"recall@100":..,
 * "flagged":share flagged no_confident_match,"typo_corrected":queries corrected}.
 * @return ECAI_OK; ECAI_EIO (unreadable file); ECAI_EPARSE (malformed line); ECAI_EINVAL.
 * Ownership: the caller frees *out. Thread-safety: as ecai_search_query().
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_eval(char **out, size_t *out_len, ecai_search *s, const char *queries,
                                      const char *labels, const char *options);

/**
 * @brief Learns a ranker from judged queries (learning to rank) and uses it from now on:
 * every hybrid ecai_search_query() (and ecai_search_eval()) reranks the first
 * "candidates" products of the unlearnt ranking with it. `queries` is a TSV (query_id,
 * query), `labels` a TSV (query_id, product_id, value): graded judgments 1..3 (the default,
 * "labels": "grades"; decimals allowed, gain = grade - 1) or, with "labels": "counts",
 * click or purchase counts >= 0 from a shop's logs, mapped per query to grades as
 * grade = 1 + 2 log(1 + count) / log(1 + the query's largest count) (the most clicked
 * product 3, an unclicked one 1; weigh purchases in before, e.g. clicks + 5 x purchases).
 * Both files may be gzip-compressed and have a "query_id" header line. A product that
 * appears among a query's candidates without a judgment counts as not relevant.
 *
 * The learner is XGBoost's LambdaMART (objective rank:ndcg, one group per query, labels
 * round(2 x gain)), fit on the hybrid candidates of every judged query of the split that
 * has a relevant product (grade > 1) among them. Features of a candidate, in this order:
 *   bm25f, bm25f_rel      the BM25F score over all fields; divided by the query's best
 *   bm25_title, bm25_brand, bm25_category, bm25_desc, bm25_attrs
 *                         BM25 of the query terms in each field alone (k1, b of the index;
 *                         0 for an empty field; text fields read up to 4 KiB)
 *   cosine, cosine_rel    embedding cosine; minus the query's best cosine
 *   coverage_idf          idf-weighted share of the query terms found in any field
 *   coverage_terms        share of the query terms found in any field
 *   title_coverage        idf-weighted share of the query terms found in the title
 *   title_precision       share of the title's words that are query terms
 *   pairs                 share of adjacent query-term pairs found adjacent in the title
 *   phrase                longest run of consecutive query terms found consecutively in
 *                         the title, as a share of the query's terms
 *   first_in_title, last_in_title   the first / last query term is in the title (0/1)
 *   hybrid_score, hybrid_rank       the unlearnt fused score and its rank (0 = first)
 *   prior_grade           the product's smoothed mean gain over the TRAINING judgments,
 *                         (sum + 3 x mean gain) / (count + 3); while learning, the query's
 *                         own judgment is left out (as for a query never seen)
 *   prior_count           log(1 + number of training judgments of the product)
 *   query_terms, query_unknown      known (after typo correction) and unknown query words
 *   title_terms           words in the title
 *   vector_only           found by the vector side only (no keyword matched)
 * `options` (JSON object or NULL): "labels": "grades"|"counts"; "split": "all" (default),
 * "tune" or "test" (the halves chosen by XXH3-64 of the query text, even = tune, as in
 * ecai_search_eval(): learn on one, check on the other); "candidates": products reranked
 * per query (10..1000, default 50); "rounds" (boosting rounds, default 100), "eta"
 * (0.1), "max_depth" (4), "threads" (training threads, 0 = XGBoost's default; the
 * defaults were chosen on two halves of the tune half, never on the check half);
 * "min_queries": fewer usable queries than this (default 20) is an error; "without": a
 * list of feature names to leave out (held at 0, e.g. ["prior_grade","prior_count"]).
 * When `dir` is not NULL the ranker is saved as DIR/ranker.bin (written atomically; magic
 * "ECAILTR", layout version, XXH3 checksum; it holds the feature names, the priors by SKU,
 * the judgments of the queries learnt from keyed by XXH3-64 of their text, and the XGBoost
 * model), which ecai_search_open() loads. A query learnt from (same text, byte for byte) is
 * ranked with its own judgments left out of the priors, as it was learnt, so a product
 * judged for it does not look "judged for other queries" to the model. A ranker.bin that is damaged,
 * of another layout or learnt on other features is refused (ECAI_ECORRUPT, logged as a
 * warning) and ecai_search_open() then succeeds with the unlearnt ranking; the query
 * result's "learnt" member tells whether a ranker reordered it (the reranked hits' "score"
 * is then the model's, on its own scale; hits past "candidates" keep the fused order). The query option
 * "rerank": false switches the ranker off for one query. Prediction runs on the calling
 * thread (XGBoost nthread 1). Measured on Home Depot (learnt on the tune half, checked on
 * the other): see README "Measured" and tests/eval/eval_learn.sh.
 * @param[out] out     receives a JSON report: {"labels","split","queries","judgments",
 *                     "learnt_from","no_relevant_candidate","rows","candidates","rounds",
 *                     "features","train_ndcg@10","file"}; free with ecai_free().
 * @param[out] out_len its length (may be NULL).
 * @param[in]  s       the engine (hybrid mode needs a built store).
 * @param[in]  dir     a store folder to save ranker.bin into, or NULL.
 * @return ECAI_OK; ECAI_EINVAL (NULL, bad options, a grade outside 1..3, a negative
 * count, a query id twice in `queries`, a product judged twice for one query, judgments
 * naming queries missing from `queries` or products missing from the catalog (the
 * message gives how many and up to three), no queries or judgments, fewer than
 * "min_queries" usable queries); ECAI_EPARSE (a line without three fields, a value that
 * is not a number); ECAI_EIO (unreadable file, cannot write); ECAI_ESTATE (a store never
 * built); ECAI_ERROR (XGBoost failed, its message included); ECAI_ENOMEM. On error the
 * engine keeps its previous ranker and nothing is written.
 * Ownership: the caller frees *out; the engine owns the ranker.
 * Thread-safety: exclusive access to the engine (no concurrent queries).
 * @since 0.1
 */
ECAI_API ecai_status ecai_search_learn(char **out, size_t *out_len, ecai_search *s, const char *dir,
                                       const char *queries, const char *labels, const char *options);

#ifdef __cplusplus
}
#endif

#endif /* ECAI_SEARCH_H */
