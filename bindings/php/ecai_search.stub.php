<?php
/** @generate-class-entries (hand-maintained: gen_stub.php cannot run offline) */

namespace Ecai;

/** Hybrid product search (BM25F keywords + vectors) over a Store. */
final class Search
{
    /** Builds the keyword index from the store's catalog. */
    public function __construct(Store $store) {}

    /** Opens DIR/search.bin written by save() for a store opened from DIR. Over a store kept by
     *  Store::open (ecai.persistent) the search is kept with it; for the folder the store was
     *  opened from it is the search of the store's own version. */
    public static function open(Store $store, string $dir): Search {}

    /** Writes DIR/search.bin (after $store->save(DIR)). */
    public function save(string $dir): void {}

    /**
     * Runs a query. $options: k, mode (bm25|vector|hybrid), fusion (blend|rrf), typo,
     * filters [category, brand, price_min, price_max, in_stock], prefix (as you type),
     * sort (relevance|price_asc|price_desc|popularity|newest), offset, highlight,
     * rerank (false: without the learnt ranker).
     * Returns [hits => [[id, score, title, why], ...], facets, corrected, confidence,
     * no_confident_match, total, mode, query, learnt].
     */
    public function query(string $query, ?array $options = null): array {}

    /**
     * Sets the shop's merchandising rules and synonyms (ecai_search_set_rules_json): a list
     * of rules [query, match, pin, boost, bury, hide], ["rules" => [...], "synonyms" => [...]],
     * or the same as a JSON string; null clears them. Bad rules throw and leave the previous
     * ones; save() writes them to DIR/rules.json. A search kept across requests
     * (ecai.persistent) keeps its rules for later requests: prefer DIR/rules.json there.
     */
    public function setRules(array|string|null $rules): void {}

    /**
     * Product popularity from an orders CSV (the recommender's layout, or "sku,count" lines;
     * ecai_search_set_popularity_csv): the "sort" => "popularity" key and, with
     * search.w_popularity > 0, a ranking feature; null clears. Returns the number of catalog
     * products with a count; save() writes DIR/popularity.bin.
     */
    public function setPopularity(?string $path): int {}

    /** nDCG@10, MRR@10, recall@100 on judged queries (TSV, .gz accepted). */
    public function evaluate(string $queries, string $labels, ?array $options = null): array {}

    /**
     * Learns to rank from judged queries (TSV: query_id, query / query_id, product_id,
     * grade 1..3; $options['labels'] = 'counts' for click or purchase counts) and reranks
     * with it from now on; saved as DIR/ranker.bin when $dir is given (loaded by open()).
     * $options: labels, split (all|tune|test), candidates, rounds, eta, max_depth, threads,
     * min_queries (ecai_search_learn). Returns the report [queries, judgments, learnt_from, ...].
     */
    public function learn(string $queries, string $labels, ?string $dir = null, ?array $options = null): array {}
}
