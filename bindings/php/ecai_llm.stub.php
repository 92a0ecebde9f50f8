<?php
/**
 * libecai PHP extension: the LLM client (declarations; keep ecai_llm_arginfo.h in step by hand).
 * @generate-class-entries
 */
namespace Ecai;

/**
 * A chat client configured from a Context's "llm" section. Messages are a string (one user
 * turn) or a list of ["role" => "system"|"user"|"assistant", "content" => "..."] or
 * ["role" => ..., "template" => "... {{slot}} ...", "slots" => ["slot" => "untrusted text"]]
 * (slot values become escaped <data> sections). Replies are arrays: text, finish_reason,
 * model, provider, usage, cost, attempts, retries, latency_ms, downgrade, cached (+ json).
 * @strict-properties @not-serializable
 */
final class Llm {
    public function __construct(Context $ctx) {}
    /** Sets an option by name (base_url, model, header, timeout_ms, max_retries, temperature, ...). */
    public function set(string $name, string|int|float|bool|null $value): static {}
    public function chat(string|array $message, ?string $system = null): array {}
    /** Calls $callback(string $delta) per text delta; returning false or throwing stops the stream. */
    public function stream(string|array $message, callable $callback, ?string $system = null): array {}
    /** JSON mode; $shape is "key:type,..."; the reply's "json" key holds the object. */
    public function chatJson(string|array $message, ?string $shape = null, ?string $system = null): array {}
    /** Concurrent requests; failed items are ["status" => int, "error" => string]. */
    public function batch(array $messages): array {}
    public function stats(): array {}
    /** Raw text of the last reply that failed JSON validation, or null. */
    public function lastRaw(): ?string {}
    public function cancel(): void {}
    /** Answers repeated requests from an Ecai\Cache (in-process or Redis) without a model call; null detaches. */
    public function attachCache(?Cache $cache): void {}
}
