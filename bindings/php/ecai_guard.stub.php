<?php
/**
 * libecai PHP extension: Ecai\Guard declarations (documentation and IDE source of truth).
 * Keep ecai_guard_arginfo.h in step with this file by hand (gen_stub.php needs network).
 * @generate-class-entries
 */
namespace Ecai;

/**
 * Model-free guardrails. Verdicts are arrays decoded from the library's JSON:
 * ["kind", "pass", "escalate", "escalation_reason", "reason", "score", "checks" => [...],
 *  "sentences" => [...] (output only)].
 * @strict-properties @not-serializable
 */
final class Guard {
    /** A guard configured from a Context, a JSON configuration string or the defaults. */
    public function __construct(Context|string|null $context = null) {}
    /** Sets an option by name: system_prompt, banned_phrases (string or list),
     *  max_input_chars, max_output_chars, leak_min_words (int), support_threshold,
     *  escalation_threshold, repeat_similarity (float). Returns $this. */
    public function set(string $name, string|array|int|float|null $value): Guard {}
    /** Catalog for the SKU / price check: ["SKU" => price, ...]; null removes it. */
    public function setCatalog(?array $prices): Guard {}
    /** Checks a customer message; $history: earlier messages (strings or role/content arrays). */
    public function checkInput(string $text, ?array $history = null): array {}
    /** Checks an answer against its sources: [source id => passage text, ...]. */
    public function checkOutput(string $answer, array $sources): array {}
    /** ["confidence" => float, "escalate" => bool] (weighted geometric mean, see guard.h). */
    public function confidence(float $retrieval, float $grounding, ?float $model = null): array {}
    /** ["text" => redacted text, "mapping" => JSON]; pass the mapping back for the next turn. */
    public static function redact(string $text, ?string $mapping = null): array {}
    /** Puts the original values back in place of the mapping's placeholders. */
    public static function restore(string $text, string $mapping): string {}
}
