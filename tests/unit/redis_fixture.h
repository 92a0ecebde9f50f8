/* A real redis-server for tests: free port on 127.0.0.1, no persistence. */
#ifndef ECAI_TEST_REDIS_FIXTURE_H
#define ECAI_TEST_REDIS_FIXTURE_H

#include <sys/types.h>

/* Starts redis-server on `port` (0: pick a free one, written back) and waits until it
 * answers PING (up to 5 s). It dies with the calling process. 0 on success. */
int ecai_test_redis_spawn(int *port, pid_t *pid);
/* SIGKILLs and reaps it. */
void ecai_test_redis_kill(pid_t pid);
/* The process-wide server's URL (redis://127.0.0.1:PORT), or NULL if it failed. */
const char *ecai_test_redis_url(void);

#endif
