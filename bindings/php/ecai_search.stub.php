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
     * rerank (false: without the learnt ranker), filters [category, brand, price_min,
     * price_max, in_stock].
     * Returns [hits => [[id, score, title, why], ...], facets, corrected, confidence,
     * no_confident_match, total, mode, query, learnt].
     */
    public function query(string $query, ?array $options = null): array {}

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
