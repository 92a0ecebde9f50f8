/*
 * Internal: the Redis update log of a store (store.updates = "redis"), the journal's
 * alternative for stores copied to many servers: every process that opened a store version,
 * on any server sharing redis.url and redis.prefix, sees ecai_store_update_json() changes.
 * One Redis list per store version, key "<redis.prefix>store1:<catalog.bin checksum>:updates";
 * each element is one change: u32 JSON length, u32 dim, the JSON {"sku":..,"set":{..}}, dim
 * float32 (little-endian). A query asks LLEN (one round trip) and applies LRANGE of what it
 * has not applied yet, in list order; an update first applies what others pushed, RPUSHes
 * its element, applies any element pushed between the two in order, then its own. When Redis
 * does not answer, queries keep serving what they have (a warning; Redis is left alone for
 * 1 s) and updates fail with ECAI_EIO, changing nothing.
 */
#ifndef ECAI_RLOG_H
#define ECAI_RLOG_H

#include "index/journal.h"

struct ecai__redis;

typedef struct ecai__rlog {
  struct ecai__redis *r; /* NULL: not in use */
  ecai_ctx *ctx;
  char *key;
  uint64_t applied;      /* elements applied */
  int64_t retry_at_ms;   /* monotonic ms before which Redis is not asked again (atomic) */
} ecai__rlog;

/* Connects lazily (no traffic yet); ECAI_EINVAL (no redis.url), ECAI_ENOMEM. */
ecai_status ecai__rlog_init(ecai__rlog *l, ecai_ctx *ctx, const char *catalog_sum);
void ecai__rlog_close(ecai__rlog *l);
int ecai__rlog_pending(ecai__rlog *l);
void ecai__rlog_apply(ecai__rlog *l, ecai__journal_apply_fn fn, void *arg);
ecai_status ecai__rlog_append(ecai__rlog *l, const char *json, size_t json_len, const float *vec, uint32_t dim,
                              ecai__journal_apply_fn fn, void *arg);

#endif
