<?php
/**
 * libecai PHP extension: Ecai\Recommender (declarations; keep ecai_recommend_arginfo.h in step by hand).
 * @generate-class-entries
 */
namespace Ecai;

/** @strict-properties @not-serializable */
final class Recommender {
    /** An empty recommender; $config is a JSON configuration (null: defaults). */
    public function __construct(?string $config = null) {}
    /** Trains on an orders CSV (gzip accepted), orders dated before $before (YYYY-MM-DD) when given; fits EASE. */
    public static function fromOrders(string $path, ?string $config = null, ?string $before = null): Recommender {}
    /** Loads a model written by save(). With ecai.persistent the process keeps it across
     *  requests while the file is unchanged; changing it (addOrder, fit, ...) makes it this
     *  request's own copy. */
    public static function load(string $path, ?string $config = null): Recommender {}
    /** Adds one order (co-occurrence counts update immediately). $ts: Unix seconds. */
    public function addOrder(string $orderId, array $products, ?string $customer = null, int $ts = 0): void {}
    /** Declares a product's title and price (price < 0 keeps the current one). */
    public function setItem(string $id, ?string $title = null, float $price = -1.0): void {}
    /** Sets (null / "" clears) a product's category path, e.g. "Kitchen > Mugs"; requests filter
     *  with "categories" / "exclude_categories" (path prefixes). */
    public function setCategory(string $id, ?string $category): void {}
    /** (Re)fits the EASE model. */
    public function fit(): void {}
    /** Content vectors: [id => [float, ...], ...], all of one dimension. */
    public function setContent(array $vectors): void {}
    /** Recommendations: list of ["id" => ..., "score" => ..., "reason" => ...]. $strategy: mixed,
     *  complementary, similar, trending; $customer: the customer's own orders count as purchase
     *  history (unknown customers: the cart alone). */
    public function recommend(array $cart, array $history = [], int $k = 10, string $strategy = "mixed", ?string $customer = null): array {}
    /** Bundles of 2-3 products bought together with the cart: list of ["items" => [["id", "title",
     *  "price"], ...], "price" => combined, "orders" => n, "score" => share, "reason" => ...]. */
    public function bundles(array $cart, int $k = 3, ?string $customer = null): array {}
    /** Products whose recent sales (28 days) rise against their own past; $now: Unix time (-1: the newest order). */
    public function trending(int $k = 10, int $now = -1): array {}
    /** Raw JSON request -> decoded reply. */
    public function query(string $request): array {}
    /** query(), then the LLM orders the candidates (other ids dropped); plain ranking on any LLM failure. */
    public function rerank(Llm $llm, string $request): array {}
    /** Model statistics. */
    public function stats(): array {}
    /** Saves the model (atomic write, checksummed). */
    public function save(string $path): void {}

    /** Offline evaluation (hide one item per test basket): hit rate, nDCG, coverage per method. */
    public static function evaluate(string $path, string $trainBefore, string $testBefore, int $k = 10, ?string $config = null): array {}
}
