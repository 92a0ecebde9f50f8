/*
 * The configuration schema: every key the context accepts, its type, default and
 * whether it is a secret. One table for the whole library; a module that reads a new
 * key adds one line here (and documents it in README "Configuration").
 */
#include "core/config.h"

const ecai__cfg_key ecai__cfg_schema[] = {
  /* path                        type            default           flags / choices */
  {"log_level",                  ECAI__CFG_STR,  "\"warn\"",       0, "debug|info|warn|error|off"},

  {"llm",                        ECAI__CFG_SECTION, NULL,          0, NULL},
  {"llm.provider",               ECAI__CFG_STR,  "\"none\"",       0, "none|openai|anthropic"},
  {"llm.base_url",               ECAI__CFG_STR,  NULL,             0, NULL},
  {"llm.model",                  ECAI__CFG_STR,  NULL,             0, NULL},
  {"llm.api_key",                ECAI__CFG_STR,  NULL,             ECAI__CFG_SECRET, NULL},
  {"llm.api_key_env",            ECAI__CFG_STR,  NULL,             ECAI__CFG_ENV_OF, "llm.api_key"},
  {"llm.timeout_ms",             ECAI__CFG_INT,  "30000",          0, NULL},
  {"llm.connect_timeout_ms",     ECAI__CFG_INT,  "5000",           0, NULL},
  {"llm.max_tokens",             ECAI__CFG_INT,  "512",            0, NULL},
  {"llm.temperature",            ECAI__CFG_NUM,  "0.0",            0, NULL},
  {"llm.max_retries",            ECAI__CFG_INT,  "2",              0, NULL},
  {"llm.headers",                ECAI__CFG_OBJ,  NULL,             0, NULL},

  {"embedder",                   ECAI__CFG_SECTION, NULL,          0, NULL},
  {"embedder.kind",              ECAI__CFG_STR,  "\"builtin\"",    0, "builtin|openai"},
  {"embedder.base_url",          ECAI__CFG_STR,  NULL,             0, NULL},
  {"embedder.model",             ECAI__CFG_STR,  NULL,             0, NULL},
  {"embedder.api_key",           ECAI__CFG_STR,  NULL,             ECAI__CFG_SECRET, NULL},
  {"embedder.api_key_env",       ECAI__CFG_STR,  NULL,             ECAI__CFG_ENV_OF, "embedder.api_key"},
  {"embedder.dim",               ECAI__CFG_INT,  NULL,             0, NULL},
  {"embedder.batch_size",        ECAI__CFG_INT,  "64",             0, NULL},
  {"embedder.timeout_ms",        ECAI__CFG_INT,  "30000",          0, NULL},
  {"embedder.ngram_min",         ECAI__CFG_INT,  "3",              0, NULL},
  {"embedder.ngram_max",         ECAI__CFG_INT,  "5",              0, NULL},
  {"embedder.word_bigrams",      ECAI__CFG_BOOL, "false",          0, NULL},
  {"embedder.bigram_weight",     ECAI__CFG_NUM,  "0.25",           0, NULL},
  {"embedder.char_weight",       ECAI__CFG_NUM,  "0.35",           0, NULL},
  {"embedder.idf_power",         ECAI__CFG_NUM,  "0.5",            0, NULL},
  {"embedder.max_retries",       ECAI__CFG_INT,  "2",              0, NULL},

  {"index",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"index.type",                 ECAI__CFG_STR,  "\"Flat\"",       0, NULL},
  {"index.hnsw_ef_search",       ECAI__CFG_INT,  "64",             0, NULL},
  {"index.nprobe",               ECAI__CFG_INT,  "16",             0, NULL},

  {"cache",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"cache.max_bytes",            ECAI__CFG_INT,  "67108864",       0, NULL},
  {"cache.ttl_s",                ECAI__CFG_INT,  "86400",          0, NULL},
  {"cache.backend",              ECAI__CFG_STR,  "\"memory\"",     0, "memory|redis"},

  {"redis",                      ECAI__CFG_SECTION, NULL,          0, NULL},
  {"redis.url",                  ECAI__CFG_STR,  NULL,             0, NULL},
  {"redis.password",             ECAI__CFG_STR,  NULL,             ECAI__CFG_SECRET, NULL},
  {"redis.timeout_ms",           ECAI__CFG_INT,  "50",             0, NULL},
  {"redis.prefix",               ECAI__CFG_STR,  "\"ecai:\"",      0, NULL},

  {"search",                     ECAI__CFG_SECTION, NULL,          0, NULL},

  {"support",                    ECAI__CFG_SECTION, NULL,          0, NULL},

  {"guard",                      ECAI__CFG_SECTION, NULL,          0, NULL},

  {"recommend",                  ECAI__CFG_SECTION, NULL,          0, NULL},

  {"pricing",                    ECAI__CFG_SECTION, NULL,          0, NULL},

  {"experiment",                 ECAI__CFG_SECTION, NULL,          0, NULL},

  {NULL, 0, NULL, 0, NULL}
};

/* Environment variables that override a key (applied after the document). */
const ecai__cfg_env ecai__cfg_env_overrides[] = {
  {"ECAI_LLM_API_KEY", "llm.api_key"},
  {"ECAI_EMBEDDER_API_KEY", "embedder.api_key"},
  {"ECAI_REDIS_URL", "redis.url"},
  {NULL, NULL}
};
