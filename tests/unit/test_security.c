/*
 * Secrets never leave the library: an LLM API key and a Redis password are planted in
 * the configuration, then every output channel is collected — ecai_last_error() after
 * each failure, the log callback (debug level), stats JSON, ecai_ctx_config_json(),
 * replies — and searched for them. (`ecai chat --json` and its error output are covered
 * by tests/cli/test_security.sh.) Also: a reply larger than llm.max_reply_bytes (or
 * embedder.max_reply_bytes for the remote embedder) is refused without being buffered
 * (peak RSS stays far below the reply's size): a body streamed far beyond the cap, a
 * 1 GiB announced Content-Length, and an endless chunked body with no length at all.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakellm_fixture.h"
#include "harness.h"
#include "redis_fixture.h"

static const char LLM_KEY[] = "sk-PLANTED-llm-7f3a9c01";
static const char REDIS_PW[] = "rpw-PLANTED-55e1b2";

static char collected[1 << 16];
static size_t ncollected;

static void collect(const char *what, const char *s) {
  if (!s) return;
  int n = snprintf(collected + ncollected, sizeof collected - ncollected, "[%s] %s\n", what, s);
  if (n > 0) ncollected += (size_t)n < sizeof collected - ncollected ? (size_t)n : sizeof collected - ncollected - 1;
}

static void on_log(ecai_log_level lv, const char *msg, void *p) { collect("log", msg); }

static void no_secret_collected(void) {
  CHECK_MSG(ncollected > 200, "too little output collected (%zu bytes): the test checks nothing", ncollected);
  CHECK_MSG(strstr(collected, LLM_KEY) == NULL, "the LLM key leaked:\n%s", collected);
  CHECK_MSG(strstr(collected, REDIS_PW) == NULL, "the Redis password leaked:\n%s", collected);
  /* not even a recognisable part of them */
  CHECK_MSG(strstr(collected, "7f3a9c01") == NULL && strstr(collected, "55e1b2") == NULL, "a secret's tail leaked:\n%s",
            collected);
}

static ecai_ctx *ctx_with(const char *json) {
  ecai_ctx *c = NULL;
  ecai_status st = ecai_ctx_new(&c, json, strlen(json));
  collect("ctx_new", st ? ecai_last_error() : NULL);
  if (st) return NULL;
  CHECK_OK(ecai_ctx_set_log(c, ECAI_LOG_DEBUG, on_log, NULL));
  char *js = NULL;
  CHECK_OK(ecai_ctx_config_json(&js, NULL, c));
  collect("config_json", js);
  ecai_free(js);
  return c;
}

static void chat(ecai_llm *l, const char *model, const char *text) {
  ecai_prompt *p = NULL;
  ecai_llm_reply *r = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, text, strlen(text)));
  if (model) CHECK_OK(ecai_llm_set_str(l, ECAI_LLM_OPT_MODEL, model));
  ecai_status st = ecai_llm_chat(&r, l, p);
  if (st) {
    collect("llm_error", ecai_last_error());
  } else {
    char *js = NULL;
    CHECK_OK(ecai_llm_reply_json(&js, NULL, r));
    collect("reply", js);
    ecai_free(js);
  }
  char *raw = NULL;
  size_t rl = 0;
  if (ecai_llm_last_raw(&raw, &rl, l) == ECAI_OK) collect("last_raw", raw);
  ecai_free(raw);
  ecai_llm_reply_free(r);
  ecai_prompt_free(p);
}

TEST(security_llm_key_never_in_any_output_channel) {
  ncollected = 0;
  collected[0] = 0;
  const char *u = ecai_test_fakellm_require();
  char cfg[1024];
  for (int prov = 0; prov < 2; prov++) {
    snprintf(cfg, sizeof cfg,
             "{\"llm\":{\"provider\":\"%s\",\"base_url\":\"%s\",\"model\":\"m\",\"api_key\":\"%s\","
             "\"timeout_ms\":2000,\"backoff_ms\":1,\"max_retries\":1,\"max_reply_bytes\":65536}}",
             prov ? "anthropic" : "openai", u, LLM_KEY);
    ecai_ctx *c = ctx_with(cfg);
    CHECK(c != NULL);
    ecai_llm *l = NULL;
    CHECK_OK(ecai_llm_new(&l, c));
    chat(l, NULL, "hello");
    static const char *const faults[] = {"fault-500", "fault-429:0", "fault-badjson", "fault-missing",
                                         "fault-truncate", "fault-reset", "fault-huge:1", "fault-flaky:5:401"};
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++) chat(l, faults[i], "x");
    char *js = NULL;
    CHECK_OK(ecai_llm_stats_json(&js, NULL, l));
    collect("llm_stats", js);
    ecai_free(js);
    ecai_llm_free(l);
    ecai_ctx_free(c);
  }
  /* an unreachable server: connection errors name the URL, never the key */
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"http://127.0.0.1:1/v1\",\"model\":\"m\","
           "\"api_key\":\"%s\",\"timeout_ms\":500,\"max_retries\":0}}",
           LLM_KEY);
  ecai_ctx *c = ctx_with(cfg);
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  chat(l, NULL, "x");
  ecai_llm_free(l);
  ecai_ctx_free(c);
  CHECK_CONTAINS(collected, "[llm_error]");
  CHECK_CONTAINS(collected, "[log]");
  CHECK_CONTAINS(collected, "[config_json]");
  no_secret_collected();
}

static void cache_round(const char *cfg) {
  ecai_ctx *c = ctx_with(cfg);
  if (!c) return;
  ecai_cache *k = NULL;
  ecai_status st = ecai_cache_new(&k, c);
  if (st) {
    collect("cache_new_error", ecai_last_error());
    ecai_ctx_free(c);
    return;
  }
  uint8_t key[16];
  CHECK_OK(ecai_cache_key_from_bytes(key, "q", 1));
  st = ecai_cache_put(k, key, "v", 1, 1000, "{\"tags\":[\"t\"]}");
  if (st) collect("cache_put_error", ecai_last_error());
  void *v = NULL;
  size_t n = 0;
  st = ecai_cache_get(&v, &n, k, key);
  if (st) collect("cache_get_error", ecai_last_error());
  ecai_free(v);
  double tot = 0;
  if (ecai_cache_counter_add(&tot, k, "n", 1, 60) != ECAI_OK) collect("counter_error", ecai_last_error());
  size_t dropped = 0;
  if (ecai_cache_invalidate_tag(&dropped, k, "t") != ECAI_OK) collect("invalidate_error", ecai_last_error());
  if (ecai_cache_save(k, "/nonexistent-dir/x") != ECAI_OK) collect("save_error", ecai_last_error());
  char *js = NULL;
  CHECK_OK(ecai_cache_stats_json(&js, NULL, k));
  collect("cache_stats", js);
  ecai_free(js);
  ecai_cache_free(k);
  ecai_ctx_free(c);
}

TEST(security_redis_password_never_in_any_output_channel) {
  ncollected = 0;
  collected[0] = 0;
  const char *ru = ecai_test_redis_url(); /* a server without AUTH: AUTH is refused */
  char cfg[1024];
  if (ru) {
    snprintf(cfg, sizeof cfg,
             "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"%s\",\"password\":\"%s\",\"timeout_ms\":200}}", ru,
             REDIS_PW);
    cache_round(cfg);
  }
  /* unreachable server, password given separately and inside the URL */
  snprintf(cfg, sizeof cfg,
           "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://127.0.0.1:1\",\"password\":\"%s\","
           "\"timeout_ms\":100}}",
           REDIS_PW);
  cache_round(cfg);
  snprintf(cfg, sizeof cfg,
           "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://user:%s@127.0.0.1:1/0\",\"timeout_ms\":100}}",
           REDIS_PW);
  cache_round(cfg);
  /* malformed URLs carrying the password: the error must not quote it */
  snprintf(cfg, sizeof cfg,
           "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://:%s@127.0.0.1:notaport\"}}", REDIS_PW);
  cache_round(cfg);
  snprintf(cfg, sizeof cfg, "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://:%s@\"}}", REDIS_PW);
  cache_round(cfg);
  CHECK_CONTAINS(collected, "[cache_stats]");
  CHECK_CONTAINS(collected, "[cache_new_error]");
  no_secret_collected();
}

TEST(security_huge_reply_is_refused_without_buffering_it) {
  const char *u = ecai_test_fakellm_require();
  char cfg[512];
  /* 256 MiB announced and sent; the limit is 1 MiB */
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"fault-huge:256\",\"timeout_ms\":20000,"
           "\"max_retries\":0,\"max_reply_bytes\":1048576}}",
           u);
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, cfg, strlen(cfg)));
  ecai_llm *l = NULL;
  CHECK_OK(ecai_llm_new(&l, c));
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  ecai_prompt *p = NULL;
  ecai_llm_reply *r = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, "x", 1));
  CHECK_STATUS(ecai_llm_chat(&r, l, p), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "max_reply_bytes");
  CHECK(r == NULL);
  getrusage(RUSAGE_SELF, &after);
  /* ru_maxrss is in KiB; growth far below the 256 MiB the server offered */
  CHECK_MSG(after.ru_maxrss - before.ru_maxrss < 32 * 1024, "peak RSS grew by %ld KiB",
            (long)(after.ru_maxrss - before.ru_maxrss));
  ecai_prompt_free(p);
  ecai_llm_free(l);
  ecai_ctx_free(c);
}

/* ---- a reply with no Content-Length (chunked, endless): refused at max_reply_bytes ---- */

typedef struct {
  int lfd, conns;
  size_t sent[4];
  int stream_body; /* SSE: one endless "data:" line (no newline ever) */
} endless_srv;

static void read_request(int fd) {
  char buf[8192];
  size_t have = 0;
  char *hdr_end = NULL;
  while (!hdr_end && have < sizeof buf - 1) {
    ssize_t r = recv(fd, buf + have, sizeof buf - 1 - have, 0);
    if (r <= 0) return;
    have += (size_t)r;
    buf[have] = 0;
    hdr_end = strstr(buf, "\r\n\r\n");
  }
  if (!hdr_end) return;
  size_t body = 0;
  const char *cl = strcasestr(buf, "content-length:");
  if (cl) body = (size_t)strtoul(cl + 15, NULL, 10);
  size_t got = have - (size_t)(hdr_end + 4 - buf);
  while (got < body) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r <= 0) return;
    got += (size_t)r;
  }
}

static void *endless_main(void *arg) {
  endless_srv *s = arg;
  static char chunk[65536 + 32];
  for (int c = 0; c < s->conns; c++) {
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    read_request(fd);
    const char *h = s->stream_body
                        ? "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                        : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (send(fd, h, strlen(h), MSG_NOSIGNAL) < 0) goto next;
    int n0 = snprintf(chunk, sizeof chunk, "10000\r\n");
    memset(chunk + n0, s->stream_body ? 'x' : ' ', 65536);
    memcpy(chunk + n0 + 65536, "\r\n", 2);
    size_t clen = (size_t)n0 + 65536 + 2;
    if (s->stream_body) memcpy(chunk + n0, "data: {\"a\":\"", 12);
    for (size_t total = 0; total < ((size_t)512 << 20); total += 65536) { /* stops when the client hangs up */
      if (send(fd, chunk, clen, MSG_NOSIGNAL) < 0) break;
      s->sent[c] += 65536;
      if (s->stream_body) memset(chunk + n0, 'x', 12); /* only the first chunk starts the line */
    }
  next:
    close(fd);
  }
  return NULL;
}

static int ignore_delta(const char *d, size_t n, void *p) { return 0; }

/* mode 0: LLM chat, 1: LLM stream, 2: remote embedder */
static void endless_case(int mode) {
  int stream = mode == 1;
  endless_srv s;
  memset(&s, 0, sizeof s);
  s.conns = 1;
  s.stream_body = stream;
  s.lfd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s.lfd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  CHECK(bind(s.lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(s.lfd, 4) == 0);
  CHECK(getsockname(s.lfd, (struct sockaddr *)&a, &al) == 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, endless_main, &s) == 0);
  char cfg[512];
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"http://127.0.0.1:%d/v1\",\"model\":\"m\","
           "\"timeout_ms\":20000,\"max_retries\":0,\"max_reply_bytes\":1048576},"
           "\"embedder\":{\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:%d\",\"model\":\"e\",\"dim\":8,"
           "\"timeout_ms\":20000,\"max_retries\":0,\"max_reply_bytes\":1048576}}",
           (int)ntohs(a.sin_port), (int)ntohs(a.sin_port));
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, cfg, strlen(cfg)));
  ecai_llm *l = NULL;
  ecai_embedder *e = NULL;
  if (mode == 2) CHECK_OK(ecai_embedder_new(&e, c));
  else CHECK_OK(ecai_llm_new(&l, c));
  ecai_prompt *p = NULL;
  CHECK_OK(ecai_prompt_new(&p));
  CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, "x", 1));
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  ecai_llm_reply *r = NULL;
  float v[8];
  ecai_status st = mode == 2 ? ecai_embedder_embed(v, 8, e, "x", 1)
                   : stream  ? ecai_llm_chat_stream(&r, l, p, ignore_delta, NULL)
                             : ecai_llm_chat(&r, l, p);
  CHECK_STATUS(st, ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "max_reply_bytes");
  getrusage(RUSAGE_SELF, &after);
  ecai_llm_free(l); /* closes the connection: the server's send fails and it stops */
  ecai_embedder_free(e);
  pthread_join(th, NULL);
  close(s.lfd);
  CHECK(r == NULL);
  CHECK_MSG(s.sent[0] >= 1048576, "the server sent only %zu bytes", s.sent[0]);
  CHECK_MSG(s.sent[0] < ((size_t)512 << 20), "the client read the whole 512 MiB");
  CHECK_MSG(after.ru_maxrss - before.ru_maxrss < 32 * 1024, "peak RSS grew by %ld KiB",
            (long)(after.ru_maxrss - before.ru_maxrss));
  ecai_prompt_free(p);
  ecai_ctx_free(c);
}

TEST(security_endless_chunked_reply_is_cut_at_max_reply_bytes) { endless_case(0); }

TEST(security_endless_sse_line_is_cut_at_max_reply_bytes) { endless_case(1); }

TEST(security_endless_chunked_embeddings_reply_is_cut_at_max_reply_bytes) { endless_case(2); }

/* A reply announcing 1 GiB (Content-Length: 1073741824) is refused from its headers. */
static void announced_gib_case(int embedder) {
  const char *u = ecai_test_fakellm_require();
  char cfg[768];
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"fault-huge:1024\","
           "\"timeout_ms\":20000,\"max_retries\":2,\"backoff_ms\":1},"
           "\"embedder\":{\"kind\":\"openai\",\"base_url\":\"%s\",\"model\":\"fault-huge:1024\",\"dim\":8,"
           "\"timeout_ms\":20000,\"max_retries\":2}}",
           u, u);
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, cfg, strlen(cfg)));
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  if (embedder) {
    ecai_embedder *e = NULL;
    CHECK_OK(ecai_embedder_new(&e, c));
    float v[8];
    CHECK_STATUS(ecai_embedder_embed(v, 8, e, "x", 1), ECAI_EHTTP);
    CHECK_CONTAINS(ecai_last_error(), "larger than max_reply_bytes (67108864)"); /* the default cap */
    ecai_embedder_free(e);
  } else {
    ecai_llm *l = NULL;
    CHECK_OK(ecai_llm_new(&l, c));
    ecai_prompt *p = NULL;
    ecai_llm_reply *r = NULL;
    CHECK_OK(ecai_prompt_new(&p));
    CHECK_OK(ecai_prompt_add(p, ECAI_LLM_USER, "x", 1));
    CHECK_STATUS(ecai_llm_chat(&r, l, p), ECAI_EHTTP);
    CHECK_CONTAINS(ecai_last_error(), "larger than max_reply_bytes (8388608)"); /* the default cap */
    CHECK(r == NULL);
    char *js = NULL;
    CHECK_OK(ecai_llm_stats_json(&js, NULL, l));
    CHECK_CONTAINS(js, "\"attempts\":1"); /* an oversized reply is not retried */
    ecai_free(js);
    ecai_prompt_free(p);
    ecai_llm_free(l);
  }
  getrusage(RUSAGE_SELF, &after);
  CHECK_MSG(after.ru_maxrss - before.ru_maxrss < 32 * 1024, "peak RSS grew by %ld KiB",
            (long)(after.ru_maxrss - before.ru_maxrss));
  ecai_ctx_free(c);
}

TEST(security_llm_reply_announcing_1gib_is_refused_from_its_headers) { announced_gib_case(0); }

TEST(security_embeddings_reply_announcing_1gib_is_refused_from_its_headers) { announced_gib_case(1); }

/* The embedder: a body streamed well past the cap (16 MiB against 1 MiB). */
TEST(security_huge_embeddings_reply_is_refused_without_buffering_it) {
  const char *u = ecai_test_fakellm_require();
  char cfg[512];
  snprintf(cfg, sizeof cfg,
           "{\"embedder\":{\"kind\":\"openai\",\"base_url\":\"%s\",\"model\":\"fault-huge:16\",\"dim\":8,"
           "\"timeout_ms\":20000,\"max_retries\":0,\"max_reply_bytes\":1048576}}",
           u);
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, cfg, strlen(cfg)));
  ecai_embedder *e = NULL;
  CHECK_OK(ecai_embedder_new(&e, c));
  float v[8];
  CHECK_STATUS(ecai_embedder_embed(v, 8, e, "x", 1), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "larger than max_reply_bytes (1048576)");
  ecai_embedder_free(e);
  /* a bad cap is a configuration error */
  ecai_ctx_free(c);
  const char *bad = "{\"embedder\":{\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:1\",\"model\":\"m\","
                    "\"max_reply_bytes\":0}}";
  CHECK_OK(ecai_ctx_new(&c, bad, strlen(bad)));
  CHECK_STATUS(ecai_embedder_new(&e, c), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "embedder.max_reply_bytes");
  ecai_ctx_free(c);
}
