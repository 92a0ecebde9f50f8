<?php
/**
 * libecai PHP extension, cache module: declarations (keep ecai_cache_arginfo.h in step).
 * @generate-class-entries
 */
namespace Ecai;

/**
 * Exact cache (in-process or Redis, from the context's cache.backend).
 * Keys: a 16-byte binary string is used as is (see key()/keyJson()); any other string
 * is hashed with key(). Values are strings (bytes).
 * @strict-properties @not-serializable
 */
final class Cache {
    public function __construct(Context $ctx) {}
    /** 16-byte XXH3-128 key of raw bytes. */
    public static function key(string $data): string {}
    /** 16-byte key of a JSON request, canonicalised (key order, whitespace ignored). */
    public static function keyJson(string $json): string {}
    /** Hash of product facts (hex string, 16 digits). */
    public static function factHash(string $facts): string {}
    /**
     * Stores a value. $ttlMs: 0 = cache.ttl_s, -1 = never. $meta: ["tags" => [...],
     * "products" => [["sku" => "S1", "facts" => "price=9.99"], ...], "expires_at_ms" => int,
     * "saved_tokens" => int, "saved_cost" => float].
     */
    public function put(string $key, string $value, int $ttlMs = 0, ?array $meta = null): void {}
    /** The value, or null on a miss (Redis failures are misses). */
    public function get(string $key): ?string {}
    public function delete(string $key): void {}
    /** Number of entries removed. */
    public function invalidateTag(string $tag): int {}
    /** Drops the entries that used other facts for $sku; number removed. */
    public function invalidateProduct(string $sku, string $newFacts): int {}
    public function clear(): void {}
    public function stats(): array {}
    public function save(string $path): void {}
    /** Number of entries loaded; throws (code ECAI_ECORRUPT = -14) on a damaged file. */
    public function load(string $path): int {}
    /** Adds to a shared counter; returns the new total. */
    public function counterAdd(string $name, float $delta, int $windowS = 0): float {}
}

/**
 * Semantic cache: verified similar-question hits within a partition.
 * $dim = 0 uses the builtin text vectors (putText/lookupText).
 * @strict-properties @not-serializable
 */
final class SemanticCache {
    public function __construct(Context $ctx, int $dim = 0) {}
    public function setThreshold(float $threshold): void {}
    public function setVerify(bool $verify): void {}
    public function setMaxEntries(int $max): void {}
    /** @param float[] $vector */
    public function put(string $partition, array $vector, string $query, string $value): void {}
    /** @param float[] $vector  @return array{0: string, 1: float}|null  [value, score] */
    public function lookup(string $partition, array $vector, string $query): ?array {}
    public function putText(string $partition, string $query, string $value): void {}
    /** @return array{0: string, 1: float}|null */
    public function lookupText(string $partition, string $query): ?array {}
    public function stats(): array {}
    /** Whether two questions may share an answer (numbers, codes, negation, verbs). */
    public static function verify(string $a, string $b): bool {}
    /** Verification's content-word rule: largest IDF-weighted share of unshared content words (1.0 = off). */
    public function setWordMismatch(float $mismatch): void {}
    /** Saves every entry atomically (temporary file, fsync, rename). */
    public function save(string $path): void {}
    /** Adds the entries saved in $path; returns how many (damaged file: code ECAI_ECORRUPT, nothing loaded). */
    public function load(string $path): int {}
}
