/*
 * The fake LLM server (tests/fakellm/server.py) as a process-wide test fixture: started
 * once per test run, its URL exported as ECAI_TEST_FAKELLM_URL so forked cases see it.
 *
 *   const char *u = ecai_test_fakellm_url();   // "http://127.0.0.1:PORT", or NULL
 *   // config: {"llm": {"provider": "openai", "base_url": u, "model": "m"}}
 *   // faults: model "fault-<mode>" or header "X-Fake-Fault: <mode>" (see server.py)
 */
#ifndef ECAI_TEST_FAKELLM_FIXTURE_H
#define ECAI_TEST_FAKELLM_FIXTURE_H

/* Base URL of the running fake server ("http://127.0.0.1:PORT"), or NULL if it failed to start. */
const char *ecai_test_fakellm_url(void);
/* Like ecai_test_fakellm_url() but fails the current case when the server is not running. */
const char *ecai_test_fakellm_require(void);
/* GET (post = 0) or POST an empty body (post = 1) to PATH; returns the body (malloc, caller
 * free()s) or NULL. */
char *ecai_test_fakellm_http(const char *path, int post);
/* POST /reset (stats, flaky counters). */
void ecai_test_fakellm_reset(void);
/* A number from GET /stats: "connections", "total_requests", or "requests./v1/chat/completions". */
long ecai_test_fakellm_stat(const char *key);

/* A fake LLM server of the case's own (to kill and restart): starts server.py on
 * 127.0.0.1:*port (0: a free port, written back) and returns once it listens (up to
 * 15 s). It dies with the calling process. 0 on success. */
int ecai_test_fakellm_spawn(int *port, int *pid);
/* Like ecai_test_fakellm_spawn() but serving HTTPS only with the given PEM certificate
 * chain and key (see tests/tools/mk-test-certs.sh). */
int ecai_test_fakellm_spawn_tls(int *port, int *pid, const char *cert_pem, const char *key_pem);
/* SIGKILLs and reaps a server started by ecai_test_fakellm_spawn(). */
void ecai_test_fakellm_kill(int pid);

#endif
