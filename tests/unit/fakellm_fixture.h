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

#endif
