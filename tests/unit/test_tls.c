/*
 * TLS verification is on by default; trusting a private CA is llm.ca_file /
 * embedder.ca_file; turning verification off is explicit (llm.verify_tls=false,
 * ECAI_LLM_OPT_VERIFY_TLS=0, embedder.verify_tls=false) and logged as a warning.
 *
 * The fixture generates throwaway TLS material at test time with the openssl command
 * (tests/tools/mk-test-certs.sh: a CA, a server certificate for IP 127.0.0.1 signed by
 * it, an unrelated CA; nothing is committed) and runs the fake LLM server
 * (tests/fakellm/server.py --tls-cert/--tls-key) speaking HTTPS on 127.0.0.1. A missing
 * openssl command fails every case here (no silent skip).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fakellm_fixture.h"
#include "harness.h"

static int tls_pid;
static char tls_dir[256];

static int tls_start(void) {
  snprintf(tls_dir, sizeof tls_dir, "/tmp/ecai-tls-XXXXXX");
  if (!mkdtemp(tls_dir)) return -1;
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s/tests/tools/mk-test-certs.sh' '%s'", ecai_test_root(), tls_dir);
  if (system(cmd) != 0) {
    fprintf(stderr, "tls fixture: generating certificates with openssl failed\n");
    return -1;
  }
  char cert[320], key[320];
  snprintf(cert, sizeof cert, "%s/server.pem", tls_dir);
  snprintf(key, sizeof key, "%s/server.key", tls_dir);
  int port = 0;
  if (ecai_test_fakellm_spawn_tls(&port, &tls_pid, cert, key) != 0) {
    fprintf(stderr, "tls fixture: the HTTPS fake LLM server did not start\n");
    return -1;
  }
  char v[64];
  snprintf(v, sizeof v, "%d", port);
  setenv("ECAI_TEST_TLS_PORT", v, 1);
  setenv("ECAI_TEST_TLS_DIR", tls_dir, 1);
  return 0;
}

static int tls_stop(void) {
  ecai_test_fakellm_kill(tls_pid);
  tls_pid = 0;
  if (tls_dir[0]) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tls_dir);
    if (system(cmd) != 0) return -1;
  }
  return 0;
}

FIXTURE(tls_fakellm, tls_start, tls_stop)

static int port(void) {
  const char *p = getenv("ECAI_TEST_TLS_PORT");
  if (!p) ecai_test_fail(__FILE__, __LINE__, "the HTTPS fake LLM server is not running (fixture tls_fakellm; is openssl installed?)");
  return atoi(p);
}

static const char *pem(const char *name) {
  static char path[4][320];
  static int n;
  char *p = path[n++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", getenv("ECAI_TEST_TLS_DIR"), name);
  return p;
}

/* ---- log capture ---- */
static char logbuf[8192];
static size_t loglen;
static pthread_mutex_t logmu = PTHREAD_MUTEX_INITIALIZER;
static void on_log(ecai_log_level lv, const char *msg, void *pl) {
  pthread_mutex_lock(&logmu);
  loglen += (size_t)snprintf(logbuf + loglen, sizeof logbuf - loglen, "[%d] %s\n", (int)lv, msg);
  if (loglen >= sizeof logbuf) loglen = sizeof logbuf - 1;
  pthread_mutex_unlock(&logmu);
}

static ecai_ctx *mkctx(const char *host, const char *llm_extra, const char *emb_extra) {
  char cfg[2048];
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"https://%s:%d\",\"model\":\"m\",\"timeout_ms\":5000,"
           "\"max_retries\":2,\"backoff_ms\":1%s},"
           "\"embedder\":{\"kind\":\"openai\",\"base_url\":\"https://%s:%d\",\"model\":\"e\",\"dim\":64,"
           "\"timeout_ms\":5000,\"max_retries\":2%s}}",
           host, port(), llm_extra, host, port(), emb_extra);
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, cfg, strlen(cfg))) ecai_test_fail(__FILE__, __LINE__, "ctx: %s", ecai_last_error());
  loglen = 0;
  logbuf[0] = 0;
  CHECK_OK(ecai_ctx_set_log(c, ECAI_LOG_DEBUG, on_log, NULL));
  return c;
}

static ecai_status chat(ecai_llm *l, const char *q) {
  ecai_prompt *p = NULL;
  ecai_llm_reply *r = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, q, strlen(q)));
  ecai_status st = ecai_llm_chat(&r, l, p);
  if (st == ECAI_OK) {
    char want[128];
    snprintf(want, sizeof want, "echo: %s", q);
    CHECK_STR_EQ(ecai_llm_reply_text(r, NULL), want);
  } else {
    CHECK(r == NULL);
  }
  ecai_llm_reply_free(r);
  ecai_prompt_free(p);
  return st;
}

static long long stat_int(ecai_llm *l, const char *key) {
  char *js = NULL;
  CHECK_OK(ecai_llm_stats_json(&js, NULL, l));
  json_t *j = json_loads(js, 0, NULL);
  ecai_free(js);
  json_t *v = json_object_get(j, key);
  long long n = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
  json_decref(j);
  return n;
}

#define OFF_WARNING "TLS certificate verification is OFF"

TEST(tls_llm_verification_is_on_by_default) {
  ecai_ctx *c = mkctx("127.0.0.1", "", "");
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_STATUS(chat(l, "hello"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "TLS certificate verification failed");
  CHECK_CONTAINS(ecai_last_error(), "llm.ca_file");
  CHECK_INT_EQ(stat_int(l, "attempts"), 1); /* not retried: the certificate does not change */
  CHECK_MSG(!strstr(logbuf, OFF_WARNING) && !strstr(logbuf, "turned OFF"), "unexpected warning: %s", logbuf);
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

TEST(tls_llm_ca_file_trusts_the_private_ca) {
  char extra[512];
  snprintf(extra, sizeof extra, ",\"ca_file\":\"%s\"", pem("ca.pem"));
  ecai_ctx *c = mkctx("127.0.0.1", extra, "");
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_OK(chat(l, "over tls"));
  CHECK_OK(chat(l, "twice"));
  CHECK(!strstr(logbuf, OFF_WARNING));
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

TEST(tls_llm_other_ca_and_wrong_host_name_are_refused) {
  char extra[512];
  snprintf(extra, sizeof extra, ",\"ca_file\":\"%s\"", pem("other-ca.pem"));
  ecai_ctx *c = mkctx("127.0.0.1", extra, "");
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_STATUS(chat(l, "hello"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "TLS certificate verification failed");
  ecai_llm_free(l);
  ecai_ctx_free(c);
  /* the right CA but a name the certificate does not carry (it names IP 127.0.0.1 only) */
  snprintf(extra, sizeof extra, ",\"ca_file\":\"%s\"", pem("ca.pem"));
  c = mkctx("localhost", extra, "");
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_STATUS(chat(l, "hello"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "TLS certificate verification failed");
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

TEST(tls_llm_unreadable_ca_file_is_a_config_error) {
  ecai_ctx *c = mkctx("127.0.0.1", ",\"ca_file\":\"/nonexistent/ca.pem\"", "");
  ecai_llm *l = NULL;
  CHECK_STATUS(ecai_llm_new(&l, c), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "llm.ca_file");
  CHECK(l == NULL);
  ecai_ctx_free(c);
}

TEST(tls_llm_explicit_opt_out_works_and_is_logged) {
  ecai_ctx *c = mkctx("127.0.0.1", ",\"verify_tls\":false", "");
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_CONTAINS(logbuf, "[30] llm: " OFF_WARNING); /* [30] = ECAI_LOG_WARN, at creation */
  CHECK_OK(chat(l, "unverified"));
  ecai_llm_free(l);
  ecai_ctx_free(c);
  /* the same through the option */
  c = mkctx("127.0.0.1", "", "");
  CHECK_OK(ecai_llm_new(&l, c));
  CHECK_STATUS(chat(l, "hello"), ECAI_EHTTP);
  CHECK(!strstr(logbuf, "turned OFF"));
  CHECK_OK(ecai_llm_set_int(l, ECAI_LLM_OPT_VERIFY_TLS, 0));
  CHECK_CONTAINS(logbuf, "[30] llm: TLS certificate verification turned OFF");
  CHECK_OK(chat(l, "unverified"));
  CHECK_OK(ecai_llm_set_int(l, ECAI_LLM_OPT_VERIFY_TLS, 1)); /* and back on */
  CHECK_STATUS(chat(l, "hello"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "TLS certificate verification failed");
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

static ecai_status embed_one(ecai_embedder *e, const char *t) {
  float v[64];
  ecai_status st = ecai_embedder_embed(v, 64, e, t, strlen(t));
  if (st == ECAI_OK) {
    double s = 0;
    for (int i = 0; i < 64; i++) s += (double)v[i] * v[i];
    CHECK_NEAR(s, 1.0, 1e-4);
  }
  return st;
}

TEST(tls_embedder_verification_ca_file_and_logged_opt_out) {
  /* default: refused with a clear message */
  ecai_ctx *c = mkctx("127.0.0.1", "", "");
  ecai_embedder *e = NULL;
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_STATUS(embed_one(e, "drill"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "TLS certificate verification failed");
  CHECK_CONTAINS(ecai_last_error(), "embedder.ca_file");
  CHECK(!strstr(logbuf, OFF_WARNING));
  ecai_embedder_free(e);
  ecai_ctx_free(c);
  /* the private CA trusted */
  char extra[512];
  snprintf(extra, sizeof extra, ",\"ca_file\":\"%s\"", pem("ca.pem"));
  c = mkctx("127.0.0.1", "", extra);
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_OK(embed_one(e, "drill"));
  ecai_embedder_free(e);
  ecai_ctx_free(c);
  /* another CA, or the right CA with a host name the certificate lacks: refused */
  snprintf(extra, sizeof extra, ",\"ca_file\":\"%s\"", pem("other-ca.pem"));
  c = mkctx("127.0.0.1", "", extra);
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_STATUS(embed_one(e, "drill"), ECAI_EHTTP);
  ecai_embedder_free(e);
  ecai_ctx_free(c);
  snprintf(extra, sizeof extra, ",\"ca_file\":\"%s\"", pem("ca.pem"));
  c = mkctx("localhost", "", extra);
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_STATUS(embed_one(e, "drill"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "TLS certificate verification failed");
  ecai_embedder_free(e);
  ecai_ctx_free(c);
  /* unreadable CA file: a configuration error */
  c = mkctx("127.0.0.1", "", ",\"ca_file\":\"/nonexistent/ca.pem\"");
  CHECK_STATUS(ecai_embedder_new(&e, c), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "embedder.ca_file");
  ecai_ctx_free(c);
  /* explicit opt-out: works, logged as a warning */
  c = mkctx("127.0.0.1", "", ",\"verify_tls\":false");
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_CONTAINS(logbuf, "[30] embedder: " OFF_WARNING);
  CHECK_OK(embed_one(e, "drill"));
  ecai_embedder_free(e);
  ecai_ctx_free(c);
}
