<?php
/**
 * libecai PHP extension: Ecai\KnowledgeBase, Ecai\Support (declarations; keep ecai_support_arginfo.h in step by hand).
 * @generate-class-entries
 */
namespace Ecai;

/** @strict-properties @not-serializable */
final class KnowledgeBase {
    /** An empty knowledge base using $ctx's embedder and support.* chunking settings. */
    public function __construct(Context $ctx) {}
    /** Adds or replaces one document ($format: 0 auto from the name, 1 text, 2 markdown, 3 HTML, 4 FAQ JSON); returns the documents changed. */
    public function addText(string $source, string $text, int $format = 0): int {}
    /** Adds a file or every document of a folder; unchanged files are skipped. Returns the documents changed. */
    public function addPath(string $path): int {}
    /** Removes a document (or a FAQ file's entries). */
    public function remove(string $source): void {}
    /** ["documents" => int, "chunks" => int]. */
    public function stats(): array {}
    /** Writes the KB to one file (atomic, checksummed). */
    public function save(string $path): void {}
    /** Opens a KB written by save(), mapped and used in place (analysed again only when
     *  $ctx's embedder or the tokenizer differ from the ones that saved it). With
     *  ecai.persistent the process keeps it across requests while the file is unchanged. */
    public static function open(string $path, Context $ctx): KnowledgeBase {}
    /** Stores a customer question as an example of entry $source ("ESCALATE": a person is needed); a duplicate adds nothing. */
    public function addExample(string $source, string $question): void {}
    /** Adds examples from TSV text ("question<TAB>expected", expected = entry ids or ESCALATE); returns the number added. A bad line adds nothing (the message names it). */
    public function addExamplesTsv(string $tsv): int {}
    /** Retrieval: ["query", "strength", "examples", "confidence", "results" => [["source", "section", "text", "score", "example", ...], ...]]. */
    public function search(string $query, int $k = 4): array {}
}

/** @strict-properties @not-serializable */
final class Support {
    /** An assistant over $kb (an LLM when $ctx configures one, else extractive answers). */
    public function __construct(Context $ctx, KnowledgeBase $kb) {}
    /** The answer or escalation (see include/ecai/support.h); $conversation / $context are JSON texts. */
    public function answer(string $question, ?string $conversation = null, ?string $context = null): array {}
    /** Learns from a resolved escalation: $result = answer()'s array (or its JSON, or its handoff); $source = the entry the agent answered with, null when a person was needed. */
    public function resolve(array|string $result, ?string $source = null): void {}
}
