/* One Redis connection for the modules that keep state in Redis: the exact cache's
 * backend (src/cache/redis.c) and the LLM client's shared budgets and breaker
 * (src/llm/shared.c). It reads redis.url (redis://[user:password@]host[:port][/db]),
 * redis.password, redis.timeout_ms and redis.prefix, connects lazily (AUTH, SELECT),
 * bounds every connect and command by redis.timeout_ms, drops the connection on any
 * transport failure and reconnects on the next command. hiredis, synchronous, one
 * connection behind a mutex. Never installed. */
#ifndef ECAI_CACHE_REDIS_H
#define ECAI_CACHE_REDIS_H

#include <hiredis/hiredis.h>

#include "core/internal.h"

typedef struct ecai__redis ecai__redis;

/* A connection configured from ctx (no network traffic yet). `who` prefixes the errors
 * (e.g. "ecai_cache_new"); `feature` names what needs redis.url when it is missing
 * (e.g. "cache.backend \"redis\""). ECAI_EINVAL (no or bad redis.url, timeout_ms <= 0;
 * the message never shows a password); ECAI_ENOMEM. */
ecai_status ecai__redis_new(ecai__redis **out, const ecai_ctx *ctx, const char *who, const char *feature);
void ecai__redis_free(ecai__redis *r);
/* redis.prefix (borrowed). */
const char *ecai__redis_prefix(const ecai__redis *r);
/* Runs one command (hiredis format: each %s / %b / %lld is one argument), connecting
 * first when needed. Returns the reply (error replies included; free it with
 * freeReplyObject) or NULL when the server could not be reached or did not answer within
 * the timeout (the connection is dropped; the next command reconnects). Thread-safe. */
redisReply *ecai__redis_command(ecai__redis *r, const char *fmt, ...);

#endif
