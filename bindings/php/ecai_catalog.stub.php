<?php
/**
 * libecai PHP extension: catalog, embedder, vector index and store.
 * Keep ecai_catalog_arginfo.h in step with this file by hand (gen_stub.php needs network).
 * @generate-class-entries
 */
namespace Ecai;

/** Products keyed by SKU (ecai_catalog). @strict-properties @not-serializable */
final class Catalog implements \Countable {
    public function __construct(Context $ctx) {}
    /** Reads a file written by save(). */
    public static function open(Context $ctx, string $path): Catalog {}
    /** Loads CSV/TSV/JSONL (optionally .gz); returns [loaded, skipped]. $columns: "id=COL,title=COL,...". */
    public function load(string $path, ?string $format = null, ?string $columns = null, bool $lenient = false): array {}
    /** Inserts or updates a product (array or JSON text); returns its internal id. */
    public function add(array|string $product): int {}
    public function get(string $sku): array {}
    public function remove(string $sku): void {}
    public function count(): int {}
    public function idOf(string $sku): int {}
    public function save(string $path): void {}
    /** The last load: ["read", "loaded", "skipped", "skipped_by_reason" => ["malformed_row", "bad_value",
     * "invalid_utf8", "unterminated_quote", "field_too_large", "record_too_large"], "first_skip" => "FILE:LINE: reason" or null]. */
    public function loadReport(): array {}
}

/** An embedder of the configured kind (ecai_embedder). @strict-properties @not-serializable */
final class Embedder {
    public function __construct(Context $ctx) {}
    public function dim(): int {}
    /** Learns IDF weights from the catalog (builtin kind). */
    public function fit(Catalog $catalog): void {}
    /** Text -> list of dim floats (unit length). */
    public function embed(string $text): array {}
    public function identity(): array {}
    /** Remote embedders: look texts up in an Ecai\Cache first, send only misses; null detaches. Builtin: throws. */
    public function attachCache(?Cache $cache): void {}
}

/** A FAISS vector index keyed by int ids (ecai_index). @strict-properties @not-serializable */
final class Index implements \Countable {
    public function __construct(Context $ctx, int $dim, ?string $factory = null) {}
    public static function open(Context $ctx, string $path): Index {}
    /** Adds or replaces vectors: $ids[i] gets $vectors[i]. */
    public function add(array $ids, array $vectors): void {}
    public function remove(int $id): void {}
    public function count(): int {}
    /** Returns [["id" => int, "score" => float], ...] best first, optionally among $allowed ids. */
    public function search(array $vector, int $k = 10, ?array $allowed = null): array {}
    public function save(string $path): void {}
}

/** Catalog + embedder + index saved together (ecai_store). @strict-properties @not-serializable */
final class Store implements \Countable {
    public function __construct(Context $ctx) {}
    /** Opens a folder written by save(); nothing is re-embedded. With ecai.persistent
     *  (php.ini, On by default) the process keeps the store across requests and returns it
     *  again while DIR/MANIFEST is unchanged; a new version published there (a symlink
     *  swapped to a new folder, or the folder rewritten) is opened afresh. */
    public static function open(Context $ctx, string $dir): Store {}
    /** What this process keeps (ecai.persistent): ["enabled", "pid", "max_persistent",
     *  "opened", "reused", "replaced", "evicted", "unshared", "failed", "entries" => [...]]. */
    public static function persistentStats(): array {}
    public function load(string $path, ?string $format = null, ?string $columns = null, bool $lenient = false): array {}
    public function add(array|string $product): int {}
    public function remove(string $sku): void {}
    public function count(): int {}
    /** Embeds new or changed products; returns how many. */
    public function build(bool $refit = false): int {}
    /** Returns [["id" => sku, "score" => float, "title" => string], ...]. */
    public function search(string $query, int $k = 10): array {}
    public function save(string $dir): void {}
    /** Changes one product now, without a rebuild (ecai_store_update_json): $fields holds
     *  "price", "in_stock" / "stock", "title", "description", "category", "brand" (null
     *  clears all but the title). The next query sees it; when the store was opened from a
     *  folder, every worker and process that opened it does too (DIR/updates.journal).
     *  Nothing changes on an error (Ecai\EcaiException with the library's code and message). */
    public function update(string $sku, array $fields): void {}
    /** Seals (true) or unseals (false) the update journal of the folder this store was opened
     *  from, for compaction (ecai_store_seal): what other processes committed is applied
     *  first; while sealed, update() on this version fails in every process (code -6,
     *  ECAI_ESTATE) until the compacted version is published and opened. */
    public function seal(bool $on = true): void {}
}
