/*
 * The configuration schema: every key the context accepts, its type, default and
 * whether it is a secret. One table for the whole library; a module that reads a new
 * key adds one line here. A trailing comment on a line is its documentation:
 * scripts/config-doc.sh turns this table into README's configuration reference.
 */
#include "core/config.h"

const ecai__cfg_key ecai__cfg_schema[] = {
  /* path                        type            default           flags / choices */
  {"log_level",                  ECAI__CFG_STR,  "\"warn\"",       0, "debug|info|warn|error|off"},

  {"llm",                        ECAI__CFG_SECTION, NULL,          0, NULL},
  {"llm.provider",               ECAI__CFG_STR,  "\"none\"",       0, "none|openai|anthropic"},
  {"llm.base_url",               ECAI__CFG_STR,  NULL,             0, NULL}, /* server root, e.g. http://127.0.0.1:8080 (default: the provider's public API) */
  {"llm.model",                  ECAI__CFG_STR,  NULL,             0, NULL}, /* model name sent to the provider */
  {"llm.api_key",                ECAI__CFG_STR,  NULL,             ECAI__CFG_SECRET, NULL},
  {"llm.api_key_env",            ECAI__CFG_STR,  NULL,             ECAI__CFG_ENV_OF, "llm.api_key"},
  {"llm.auth",                   ECAI__CFG_STR,  "\"key\"",        0, "key|none"}, /* "none": the endpoint takes no key (a local server); "api_key": "none" says the same */
  {"llm.timeout_ms",             ECAI__CFG_INT,  "30000",          0, NULL},
  {"llm.connect_timeout_ms",     ECAI__CFG_INT,  "5000",           0, NULL},
  {"llm.max_tokens",             ECAI__CFG_INT,  "512",            0, NULL},
  {"llm.temperature",            ECAI__CFG_NUM,  "0.0",            0, NULL},
  {"llm.max_retries",            ECAI__CFG_INT,  "2",              0, NULL},
  {"llm.headers",                ECAI__CFG_OBJ,  NULL,             0, NULL}, /* extra HTTP headers {"Name": "value"} */
  {"llm.auth_header",            ECAI__CFG_STR,  NULL,             0, NULL}, /* header carrying the key instead of Authorization: Bearer (e.g. api-key) */
  {"llm.anthropic_version",      ECAI__CFG_STR,  "\"2023-06-01\"", 0, NULL},
  {"llm.max_reply_bytes",        ECAI__CFG_INT,  "8388608",        0, NULL}, /* larger replies are refused, never buffered */
  {"llm.backoff_ms",             ECAI__CFG_INT,  "200",            0, NULL}, /* first retry delay (exponential, with jitter, Retry-After honoured) */
  {"llm.backoff_max_ms",         ECAI__CFG_INT,  "10000",          0, NULL},
  {"llm.retry_budget",           ECAI__CFG_INT,  "60",             0, NULL}, /* retries per minute per handle (per endpoint for every process with llm.shared = "redis") */
  {"llm.breaker_threshold",      ECAI__CFG_INT,  "5",              0, NULL}, /* consecutive failures that open the circuit breaker */
  {"llm.breaker_cooldown_ms",    ECAI__CFG_INT,  "30000",          0, NULL},
  {"llm.batch_concurrency",      ECAI__CFG_INT,  "8",              0, NULL}, /* requests in flight in ecai_llm_chat_batch */
  {"llm.verify_tls",             ECAI__CFG_BOOL, "true",           0, NULL}, /* false turns TLS certificate checks off (logged as a warning) */
  {"llm.ca_file",                ECAI__CFG_STR,  NULL,             0, NULL}, /* PEM file of CA certificates to trust instead of the system store */
  {"llm.prices",                 ECAI__CFG_OBJ,  NULL,             0, NULL}, /* {"model": {"input_per_mtok": USD, "output_per_mtok": USD}} */
  {"llm.budget",                 ECAI__CFG_OBJ,  NULL,             0, NULL}, /* {"limit": USD, "window_s": s, "near": 0.8} */
  {"llm.downgrade",              ECAI__CFG_ARR,  NULL,             0, NULL}, /* chain walked near/over budget: "cache", "cheaper_model:NAME", "retrieval_only", "escalate" */
  {"llm.shared",                 ECAI__CFG_STR,  "\"none\"",       0, "none|redis"}, /* "redis": spend budget, retry budget and circuit breaker shared by every process with the same redis.url and redis.prefix (per-process limits while Redis does not answer; see "shared" in the stats) */

  {"embedder",                   ECAI__CFG_SECTION, NULL,          0, NULL},
  {"embedder.kind",              ECAI__CFG_STR,  "\"builtin\"",    0, "builtin|openai"},
  {"embedder.base_url",          ECAI__CFG_STR,  NULL,             0, NULL}, /* OpenAI-compatible server for kind openai (POST /v1/embeddings) */
  {"embedder.model",             ECAI__CFG_STR,  NULL,             0, NULL},
  {"embedder.api_key",           ECAI__CFG_STR,  NULL,             ECAI__CFG_SECRET, NULL},
  {"embedder.api_key_env",       ECAI__CFG_STR,  NULL,             ECAI__CFG_ENV_OF, "embedder.api_key"},
  {"embedder.auth",              ECAI__CFG_STR,  "\"key\"",        0, "key|none"}, /* as llm.auth */
  {"embedder.dim",               ECAI__CFG_INT,  NULL,             0, NULL}, /* builtin: hashed dimensions (default 384); openai: learned from the first reply if unset */
  {"embedder.batch_size",        ECAI__CFG_INT,  "64",             0, NULL}, /* texts per remote request */
  {"embedder.timeout_ms",        ECAI__CFG_INT,  "30000",          0, NULL},
  {"embedder.ngram_min",         ECAI__CFG_INT,  "3",              0, NULL}, /* builtin: shortest character n-gram */
  {"embedder.ngram_max",         ECAI__CFG_INT,  "5",              0, NULL}, /* builtin: longest character n-gram */
  {"embedder.word_bigrams",      ECAI__CFG_BOOL, "false",          0, NULL}, /* builtin: add hashed word pairs (measured: no gain on Home Depot) */
  {"embedder.bigram_weight",     ECAI__CFG_NUM,  "0.25",           0, NULL},
  {"embedder.char_weight",       ECAI__CFG_NUM,  "0.35",           0, NULL}, /* builtin: weight of character n-grams against words */
  {"embedder.idf_power",         ECAI__CFG_NUM,  "0.5",            0, NULL}, /* builtin: IDF weights raised to this power (0 = none) */
  {"embedder.max_retries",       ECAI__CFG_INT,  "2",              0, NULL},
  {"embedder.max_reply_bytes",   ECAI__CFG_INT,  "67108864",       0, NULL}, /* larger replies are refused, never buffered */
  {"embedder.verify_tls",        ECAI__CFG_BOOL, "true",           0, NULL}, /* false turns TLS certificate checks off (logged as a warning) */
  {"embedder.ca_file",           ECAI__CFG_STR,  NULL,             0, NULL}, /* PEM file of CA certificates to trust instead of the system store */

  {"index",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"index.type",                 ECAI__CFG_STR,  "\"Flat\"",       0, NULL}, /* FAISS factory string: Flat, HNSW32, IVF1024,SQ8, IVF1024,PQ32... */
  {"index.hnsw_ef_search",       ECAI__CFG_INT,  "64",             0, NULL}, /* HNSW search breadth (recall vs speed) */
  {"index.nprobe",               ECAI__CFG_INT,  "16",             0, NULL}, /* IVF lists probed per query */
  {"index.mmap",                 ECAI__CFG_BOOL, "true",           0, NULL}, /* map a store's Flat index.bin and search.bin read-only and use them in place (processes share their pages); false reads them into memory */

  {"store",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"store.updates",              ECAI__CFG_STR,  "\"journal\"",    0, "journal|redis"}, /* where ecai_store_update_json changes go for the other processes: the opened folder's updates.journal, or a Redis list per store version (redis.url; every server sharing it) */

  {"cache",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"cache.max_bytes",            ECAI__CFG_INT,  "67108864",       0, NULL}, /* byte budget of the in-process exact cache (CLOCK eviction) */
  {"cache.ttl_s",                ECAI__CFG_INT,  "86400",          0, NULL}, /* default time to live of an entry */
  {"cache.backend",              ECAI__CFG_STR,  "\"memory\"",     0, "memory|redis"},
  {"cache.shards",               ECAI__CFG_INT,  "16",             0, NULL},
  {"cache.persist_path",         ECAI__CFG_STR,  NULL,             0, NULL}, /* load at start and save on free (atomic); a damaged file is ignored with a warning */
  {"cache.semantic_threshold",   ECAI__CFG_NUM,  "1.0",            0, NULL}, /* cosine similarity for a semantic hit (before verification); 1.0 = repeats with the same words only (case and punctuation aside); lower values serve paraphrases (curve in ecai/cache.h) */
  {"cache.semantic_max_entries", ECAI__CFG_INT,  "100000",         0, NULL},
  {"cache.semantic_index",       ECAI__CFG_STR,  "\"Flat\"",       0, NULL}, /* FAISS factory string per partition (HNSW32 above ~10k entries) */
  {"cache.verify",               ECAI__CFG_BOOL, "true",           0, NULL}, /* semantic hits must agree on numbers, SKUs, negation, question words */
  {"cache.verify_word_mismatch", ECAI__CFG_NUM,  "0",              0, NULL}, /* verification: max IDF-weighted share of content words only one question has (0 = the same content words, 1 = off) */
  {"cache.semantic_persist_path", ECAI__CFG_STR, NULL,             0, NULL}, /* semantic cache: load at start and save on free (atomic); a damaged file is ignored with a warning */

  {"redis",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"redis.url",                  ECAI__CFG_STR,  NULL,             0, NULL}, /* redis://[:password@]host:port[/db] for the shared cache and llm.shared */
  {"redis.password",             ECAI__CFG_STR,  NULL,             ECAI__CFG_SECRET, NULL},
  {"redis.timeout_ms",           ECAI__CFG_INT,  "50",             0, NULL}, /* per command; a timeout is a miss (llm.shared: per-process limits for 1 s), never an error */
  {"redis.prefix",               ECAI__CFG_STR,  "\"ecai:\"",      0, NULL}, /* key namespace (keys are PREFIX v1: hex) */

  {"catalog",                    ECAI__CFG_SECTION, NULL,          0, NULL},
  {"catalog.max_field_bytes",    ECAI__CFG_INT,  "1048576",        0, NULL}, /* catalog import: a larger field (CSV/TSV column, JSONL string) is an error, or a skipped row with --lenient */
  {"catalog.max_record_bytes",   ECAI__CFG_INT,  "8388608",        0, NULL}, /* catalog import: a larger record (sum of a CSV/TSV row's fields, a JSONL line) is an error, or a skipped row with --lenient */

  {"search",                     ECAI__CFG_SECTION, NULL,          0, NULL},
  {"search.mode",                ECAI__CFG_STR,  "\"hybrid\"",     0, "bm25|vector|hybrid"},
  {"search.fusion",              ECAI__CFG_STR,  "\"blend\"",      0, "blend|rrf"},
  {"search.k1",                  ECAI__CFG_NUM,  "1.2",            0, NULL}, /* BM25 term-frequency saturation */
  {"search.b",                   ECAI__CFG_NUM,  "0.75",           0, NULL}, /* BM25 length normalisation (0..1) */
  {"search.w_title",             ECAI__CFG_NUM,  "1.0",            0, NULL}, /* BM25F weight of the title field */
  {"search.w_brand",             ECAI__CFG_NUM,  "0.5",            0, NULL}, /* BM25F weight of the brand field */
  {"search.w_category",          ECAI__CFG_NUM,  "0.5",            0, NULL}, /* BM25F weight of the category field */
  {"search.w_desc",              ECAI__CFG_NUM,  "0.2",            0, NULL}, /* BM25F weight of the description field */
  {"search.w_bm25",              ECAI__CFG_NUM,  "1.0",            0, NULL}, /* blend: weight of the max-normalised BM25 score */
  {"search.w_vector",            ECAI__CFG_NUM,  "1.5",            0, NULL}, /* blend: weight of the embedding cosine */
  {"search.w_coverage",          ECAI__CFG_NUM,  "3.0",            0, NULL}, /* blend: weight of the idf-weighted share of query terms matched */
  {"search.w_precision",         ECAI__CFG_NUM,  "0.1",            0, NULL}, /* blend: weight of matched terms / title terms */
  {"search.w_head",              ECAI__CFG_NUM,  "0.0",            0, NULL}, /* blend: bonus when the last query term (usually the product type) matches */
  {"search.w_pair",              ECAI__CFG_NUM,  "1.0",            0, NULL}, /* blend: weight of the share of adjacent query term pairs found adjacent in the title */
  {"search.w_popularity",        ECAI__CFG_NUM,  "0.0",            0, NULL}, /* blend: weight of log(1 + orders) / log(1 + most orders) of a product (ecai_search_set_popularity_csv); 0 = popularity only as a sort key */
  {"search.rrf_k",               ECAI__CFG_NUM,  "60",             0, NULL}, /* reciprocal-rank fusion constant */
  {"search.candidates",          ECAI__CFG_INT,  "200",            0, NULL}, /* keyword candidates re-scored by the fusion (1..4096) */
  {"search.vector_candidates",   ECAI__CFG_INT,  "0",              0, NULL}, /* extra nearest neighbours added to the candidates (also used when keywords find fewer than k) */
  {"search.typo",                ECAI__CFG_BOOL, "true",           0, NULL}, /* split unknown glued words into two catalog words, else correct them to a catalog word within edit distance 1 (2 from 8 letters) */
  {"search.dictionary",          ECAI__CFG_STR,  "\"/usr/share/dict/scowl/english-words.10:/usr/share/dict/scowl/english-words.20:/usr/share/dict/scowl/american-words.10:/usr/share/dict/scowl/american-words.20:/usr/share/dict/scowl/english-words.35:/usr/share/dict/scowl/american-words.35\"", 0, NULL}, /* ':'-separated lists of everyday words of the shoppers' language, never typo-corrected ("beach" stays, not "bench"; nor split: "fathom" is not "fat hom"); default: SCOWL levels 10, 20 and 35, English + American (Debian package scowl); "" = none; a missing file logs a warning */
  {"search.min_confidence",      ECAI__CFG_NUM,  "0.5",            0, NULL}, /* below this the result is flagged no_confident_match */

  {"support",                    ECAI__CFG_SECTION, NULL,          0, NULL},
  {"support.chunk_words",        ECAI__CFG_INT,  "120",            0, NULL}, /* knowledge-base chunk size in words (whole paragraphs) */
  {"support.chunk_overlap",      ECAI__CFG_INT,  "1",              0, NULL}, /* paragraphs repeated at the start of the next chunk */
  {"support.top_k",              ECAI__CFG_INT,  "4",              0, NULL}, /* passages retrieved per question (prompt, grounding, handoff) */
  {"support.min_retrieval",      ECAI__CFG_NUM,  "0.45",           0, NULL}, /* retrieval strength below this escalates: mean of the best passage's IDF coverage of the question and its cosine */
  {"support.wordnet",            ECAI__CFG_STR,  "\"/usr/share/wordnet\"", 0, NULL}, /* WordNet database folder (Debian wordnet-base): synonyms for question words the knowledge base lacks; "" = off; missing = off */
  {"support.max_answer_chars",   ECAI__CFG_INT,  "800",            0, NULL}, /* extractive answers are cut at a sentence end before this */

  {"guard",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"guard.max_input_chars",      ECAI__CFG_INT,  "4000",           0, NULL},
  {"guard.max_output_chars",     ECAI__CFG_INT,  "4000",           0, NULL},
  {"guard.support_threshold",    ECAI__CFG_NUM,  "0.5",            0, NULL}, /* minimum source support of every answer sentence */
  {"guard.escalation_threshold", ECAI__CFG_NUM,  "0.5",            0, NULL}, /* confidence below this escalates to a human */
  {"guard.repeat_similarity",    ECAI__CFG_NUM,  "0.7",            0, NULL}, /* a repeated question this similar counts as frustration */
  {"guard.leak_min_words",       ECAI__CFG_INT,  "8",              0, NULL}, /* verbatim run of system-prompt words that counts as a leak */
  {"guard.banned_phrases",       ECAI__CFG_ARR,  "[]",             0, NULL}, /* strings an answer must never contain */
  {"guard.source_cache",         ECAI__CFG_BOOL, "true",           0, NULL}, /* keep analysed source passages between checks */

  {"recommend",                  ECAI__CFG_SECTION, NULL,          0, NULL},
  {"recommend.ease_lambda",      ECAI__CFG_NUM,  "50",             0, NULL}, /* EASE ridge strength */
  {"recommend.max_items",        ECAI__CFG_INT,  "4000",           0, NULL}, /* EASE is fitted on this many most-ordered products */
  {"recommend.cold_orders",      ECAI__CFG_INT,  "5",              0, NULL}, /* content weighs cold_orders / (cold_orders + orders) per candidate; the cold-start slice threshold */
  {"recommend.mmr_lambda",       ECAI__CFG_NUM,  "0.9",            0, NULL}, /* relevance vs diversity (1 = no diversification) */
  {"recommend.w_ease",           ECAI__CFG_NUM,  "1.0",            0, NULL}, /* blend weight of the EASE score */
  {"recommend.w_cooc",           ECAI__CFG_NUM,  "0.1",            0, NULL}, /* blend weight of cosine co-occurrence */
  {"recommend.w_content",        ECAI__CFG_NUM,  "1.0",            0, NULL}, /* blend weight of content similarity */
  {"recommend.w_history",        ECAI__CFG_NUM,  "0.0",            0, NULL}, /* blend weight of the customer's earlier items as model inputs */
  {"recommend.w_rebuy",          ECAI__CFG_NUM,  "0.35",           0, NULL}, /* bonus for products the customer ordered before, x the customer's repeat propensity (its share of re-ordered lines over the shop's) */
  {"recommend.w_recent",         ECAI__CFG_NUM,  "0",              0, NULL}, /* blend weight of recent sales (orders in the last 28 days before the newest order, over their maximum) */
  {"recommend.w_neighbours",     ECAI__CFG_NUM,  "0.05",           0, NULL}, /* blend weight of the items bought by the 50 customers most like a known customer */
  {"recommend.half_life_days",   ECAI__CFG_NUM,  "30",             0, NULL}, /* recency half-life of history */
  {"recommend.price_ratio",      ECAI__CFG_NUM,  "3",              0, NULL}, /* complements above this multiple of the priciest cart item are dropped */
  {"recommend.content_index",    ECAI__CFG_STR,  "\"exact\"",      0, NULL}, /* content vector index: exact (in-process scan) or a FAISS factory string, e.g. HNSW32 for large catalogs */
  {"recommend.content_candidates", ECAI__CFG_INT, "200",           0, NULL}, /* nearest products the session vector retrieves from it */
  {"recommend.w_category",       ECAI__CFG_NUM,  "1.0",            0, NULL}, /* blend weight of sharing the cart item's category (1) or department (1/2), scaled like content: what a new shop's cart suggests before it has orders */
  {"recommend.cold_cart_boost",  ECAI__CFG_NUM,  "3",              0, NULL}, /* content weight x (1 + this x share of the cart without order history) */

  {"pricing",                    ECAI__CFG_SECTION, NULL,          0, NULL},
  {"pricing.objective",         ECAI__CFG_STR,  "\"revenue\"",    0, "revenue|margin"},
  {"pricing.aggregate",         ECAI__CFG_STR,  "\"day\"",        0, "day|week|none"}, /* period of the demand model (none = day) */
  {"pricing.min_observations",  ECAI__CFG_INT,  "8",              0, NULL}, /* fewer -> held back (thin_data) */
  {"pricing.min_distinct_prices", ECAI__CFG_INT,  "3",              0, NULL},
  {"pricing.pooling",           ECAI__CFG_INT,  "1",              0, NULL}, /* 1: partial pooling of elasticities across products, 0: each on its own */
  {"pricing.max_change",        ECAI__CFG_NUM,  "0.1",            0, NULL}, /* largest relative price change per step */
  {"pricing.min_margin",        ECAI__CFG_NUM,  "0.2",            0, NULL}, /* (price - cost) / price never below this */
  {"pricing.min_r2",            ECAI__CFG_NUM,  "0.1",            0, NULL}, /* share of deviance explained; poorer fits are held back (poor_fit) */
  {"pricing.max_slope_se",      ECAI__CFG_NUM,  "0.3",            0, NULL}, /* standard error of the elasticity above this -> poor_fit */
  {"pricing.min_price_variation", ECAI__CFG_NUM,  "0.02",           0, NULL},
  {"pricing.unit_cost_ratio",   ECAI__CFG_NUM,  "0.0",            0, NULL}, /* unit cost as a share of price when no cost is given */
  {"pricing.validation_share",  ECAI__CFG_NUM,  "0.25",           0, NULL}, /* later share of the history held out to validate (0 = off) */

  {"experiment",                 ECAI__CFG_SECTION, NULL,          0, NULL},

  {NULL, 0, NULL, 0, NULL}
};

/* Environment variables that override a key (applied after the document). */
const ecai__cfg_env ecai__cfg_env_overrides[] = {
  {"ECAI_LLM_API_KEY", "llm.api_key"},
  {"ECAI_EMBEDDER_API_KEY", "embedder.api_key"},
  {"ECAI_REDIS_URL", "redis.url"},
  {"ECAI_LLM_BASE_URL", "llm.base_url"},
  {"ECAI_EMBEDDER_BASE_URL", "embedder.base_url"},
  {NULL, NULL}
};
