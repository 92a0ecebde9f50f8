/* The remote (OpenAI-compatible) embedder against tests/unit/fake_embed_server.py. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"

static pid_t server_pid;

static int start_server(void) {
  int fds[2];
  if (pipe(fds)) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    char script[2048];
    snprintf(script, sizeof script, "%s/tests/unit/fake_embed_server.py", ecai_test_root());
    execl("/usr/bin/python3", "python3", script, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char buf[32] = {0};
  size_t got = 0;
  while (got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
    ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fds[0]);
  if (!memchr(buf, '\n', got)) return -1;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", atoi(buf));
  setenv("ECAI_TEST_EMBED_URL", url, 1);
  server_pid = pid;
  return 0;
}

static int stop_server(void) {
  if (server_pid > 0) {
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
  }
  return 0;
}

FIXTURE(fake_embed_server, start_server, stop_server)

static ecai_ctx *remote_ctx(const char *extra) {
  const char *url = getenv("ECAI_TEST_EMBED_URL");
  if (!url) return NULL;
  char js[1024];
  snprintf(js, sizeof js,
           "{\"embedder\":{\"kind\":\"openai\",\"base_url\":\"%s\",\"model\":\"fake-8\",\"api_key\":\"sk-x\"%s}}",
           url, extra ? extra : "");
  ecai_ctx *c = NULL;
  ecai_ctx_new(&c, js, strlen(js));
  return c;
}

static void stats(int *conns, int *reqs) {
  /* a small GET through curl; the numbers are cumulative for the whole run */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "curl -s %s/stats", getenv("ECAI_TEST_EMBED_URL"));
  FILE *p = popen(cmd, "r");
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  pclose(p);
  buf[n] = 0;
  const char *c = strstr(buf, "\"connections\": "), *r = strstr(buf, "\"requests\": ");
  *conns = c ? atoi(c + 15) : -1;
  *reqs = r ? atoi(r + 12) : -1;
}

TEST(remote_embed_batches_keepalive_and_order) {
  ecai_ctx *ctx = remote_ctx(",\"batch_size\":2,\"dim\":8");
  CHECK_MSG(ctx != NULL, "fake embedding server not running");
  ecai_embedder *e = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_INT_EQ(ecai_embedder_dim(e), 8);
  int c0, r0, c1, r1;
  stats(&c0, &r0);
  const char *texts[5] = {"aaaa", "bbbb", "hhhh", "abab", "cafe"};
  float v[5 * 8];
  CHECK_OK(ecai_embedder_embed_batch(v, e, texts, NULL, 5));
  stats(&c1, &r1);
  CHECK_INT_EQ(r1 - r0, 3);     /* three POSTs: batches of <= 2 */
  CHECK_INT_EQ(c1 - c0, 1 + 1); /* one keep-alive connection for the three, one for the second stats GET */
  /* "aaaa" -> counts (4.5, .5, .5, ...) normalised: component 0 dominates */
  CHECK(v[0] > 0.9f);
  CHECK(v[8 + 1] > 0.9f);
  CHECK(v[16 + 7] > 0.9f);
  double s = 0;
  for (int i = 0; i < 8; i++) s += (double)v[24 + i] * v[24 + i];
  CHECK_NEAR(s, 1.0, 1e-5);
  char *id = NULL;
  CHECK_OK(ecai_embedder_identity(&id, NULL, e));
  CHECK_CONTAINS(id, "\"kind\":\"openai\",\"model\":\"fake-8\",\"dim\":8");
  ecai_free(id);
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
}

TEST(remote_embed_retries_and_errors) {
  ecai_ctx *ctx = remote_ctx(",\"dim\":8,\"max_retries\":2,\"timeout_ms\":500");
  CHECK_MSG(ctx != NULL, "fake embedding server not running");
  ecai_embedder *e = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  float v[8];
  CHECK_OK(ecai_embedder_embed(v, 8, e, "__429__ once", 12)); /* retried after Retry-After: 0 */
  CHECK_STATUS(ecai_embedder_embed(v, 8, e, "__500__", 7), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "HTTP 500");
  CHECK_STATUS(ecai_embedder_embed(v, 8, e, "__bad__", 7), ECAI_EPARSE);
  CHECK_STATUS(ecai_embedder_embed(v, 8, e, "__slow__", 8), ECAI_ETIMEOUT);
  CHECK_STATUS(ecai_embedder_embed(v, 8, e, "bad \xFF", 5), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "byte 4");
  CHECK_OK(ecai_embedder_embed(v, 8, e, "still works", 11)); /* the handle recovers */
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
}

TEST(remote_embed_wrong_dim_and_config) {
  ecai_ctx *ctx = remote_ctx(",\"dim\":16");
  CHECK_MSG(ctx != NULL, "fake embedding server not running");
  ecai_embedder *e = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  float v[16];
  CHECK_STATUS(ecai_embedder_embed(v, 16, e, "x", 1), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "8 dimensions, expected 16");
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
  ecai_ctx *bad = NULL;
  const char *js = "{\"embedder\":{\"kind\":\"openai\"}}";
  CHECK_OK(ecai_ctx_new(&bad, js, strlen(js)));
  e = (ecai_embedder *)1;
  CHECK_STATUS(ecai_embedder_new(&e, bad), ECAI_EINVAL);
  CHECK(e == NULL);
  CHECK_CONTAINS(ecai_last_error(), "base_url");
  ecai_ctx_free(bad);
}

TEST(remote_store_discovers_dim_and_reopens) {
  ecai_ctx *ctx = remote_ctx(NULL);
  CHECK_MSG(ctx != NULL, "fake embedding server not running");
  ecai_store *s = NULL, *back = NULL;
  CHECK_OK(ecai_store_new(&s, ctx));
  const char *p1 = "{\"id\":\"1\",\"title\":\"aaaa aaa\"}", *p2 = "{\"id\":\"2\",\"title\":\"hhhh hhh\"}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), p1, strlen(p1)));
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), p2, strlen(p2)));
  size_t n = 0;
  CHECK_OK(ecai_store_build(&n, s, 0, NULL, NULL));
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(ecai_embedder_dim(ecai_store_embedder(s)), 8);
  char *js = NULL;
  CHECK_OK(ecai_store_search(&js, NULL, s, "hh", 2, 1));
  CHECK_CONTAINS(js, "\"id\":\"2\"");
  ecai_free(js);
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/remote", ecai_test_tmpdir());
  CHECK_OK(ecai_store_save(s, dir));
  CHECK_OK(ecai_store_open(&back, ctx, dir));
  CHECK_OK(ecai_store_search(&js, NULL, back, "aa", 2, 1));
  CHECK_CONTAINS(js, "\"id\":\"1\"");
  ecai_free(js);
  /* the builtin embedder may not query this index */
  ecai_ctx *bctx = NULL;
  const char *bjs = "{\"embedder\":{\"dim\":8}}";
  CHECK_OK(ecai_ctx_new(&bctx, bjs, strlen(bjs)));
  ecai_embedder *b = NULL;
  CHECK_OK(ecai_embedder_new(&b, bctx));
  CHECK_STATUS(ecai_index_check_embedder(ecai_store_index(back), b), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "\"kind\":\"openai\"");
  ecai_embedder_free(b);
  ecai_ctx_free(bctx);
  ecai_store_free(back);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

static int server_inputs(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "curl -s %s/stats", getenv("ECAI_TEST_EMBED_URL"));
  FILE *p = popen(cmd, "r");
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  pclose(p);
  buf[n] = 0;
  const char *i = strstr(buf, "\"inputs\": ");
  return i ? atoi(i + 10) : -1;
}

TEST(remote_embedder_with_attached_cache_sends_only_misses) {
  ecai_ctx *c = remote_ctx(",\"dim\":8");
  CHECK_MSG(c != NULL, "fake embed server not running");
  ecai_embedder *e = NULL, *plain = NULL;
  ecai_cache *cache = NULL;
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_OK(ecai_embedder_new(&plain, c));
  CHECK_OK(ecai_cache_new(&cache, c));
  CHECK_OK(ecai_embedder_attach_cache(e, cache));
  const char *first[] = {"alpha sofa", "beta lamp"};
  const char *second[] = {"alpha sofa", "gamma rug", "beta lamp"};
  float a[2 * 8], b[3 * 8], ref[3 * 8];
  int before = server_inputs();
  CHECK_OK(ecai_embedder_embed_batch(a, e, first, NULL, 2));
  CHECK_INT_EQ(server_inputs() - before, 2);
  CHECK_OK(ecai_embedder_embed_batch(b, e, second, NULL, 3));
  CHECK_INT_EQ(server_inputs() - before, 3); /* only "gamma rug" was sent */
  CHECK_OK(ecai_embedder_embed_batch(ref, plain, second, NULL, 3));
  CHECK(memcmp(b, ref, sizeof b) == 0); /* cached rows are the same vectors, in order */
  CHECK(memcmp(a, ref, 8 * sizeof(float)) == 0);
  CHECK_OK(ecai_embedder_attach_cache(e, NULL));
  CHECK_OK(ecai_embedder_embed_batch(a, e, first, NULL, 2));
  CHECK_INT_EQ(server_inputs() - before, 3 + 3 + 2); /* plain run (3) + detached (2) */
  ecai_embedder_free(e);
  ecai_embedder_free(plain);
  ecai_cache_free(cache);
  ecai_ctx_free(c);
}

TEST(builtin_embedder_refuses_a_cache) {
  ecai_ctx *c = NULL;
  ecai_embedder *e = NULL;
  ecai_cache *cache = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  CHECK_OK(ecai_embedder_new(&e, c));
  CHECK_OK(ecai_cache_new(&cache, c));
  CHECK_STATUS(ecai_embedder_attach_cache(e, cache), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_embedder_attach_cache(NULL, cache), ECAI_EINVAL);
  ecai_cache_free(cache);
  ecai_embedder_free(e);
  ecai_ctx_free(c);
}

/* Regression (found by tests/fuzz/fuzz_embed_reply.c under libFuzzer + ASan): a reply
 * with another number of embeddings than inputs read the freed reply document while
 * formatting its error message (heap-use-after-free; `make sanitize` reports it). */
#include "embed/embed_internal.h"

TEST(remote_reply_count_mismatch_message_reads_no_freed_memory) {
  struct ecai_embedder e;
  memset(&e, 0, sizeof e);
  e.kind = ECAI__EMB_OPENAI;
  e.dim = 8;
  float out[2 * 8];
  const char *one = "{\"data\":[{\"index\":0,\"embedding\":[1,0,0,0,0,0,0,0]}]}";
  CHECK_STATUS(ecai__remote_parse_reply(&e, one, strlen(one), out, 2, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "reply has 1 embeddings for 2 inputs");
  const char *none = "{\"data\":{}}";
  CHECK_STATUS(ecai__remote_parse_reply(&e, none, strlen(none), out, 2, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "reply has 0 embeddings for 2 inputs");
  CHECK_OK(ecai__remote_parse_reply(&e, one, strlen(one), out, 1, 0));
  CHECK_NEAR(out[0], 1.0, 1e-6);
}

/* Regression (fuzz_embed_reply): a component beyond the float range (6.7e61) became Inf
 * in the returned vector, with ECAI_OK; it is a malformed reply now. */
TEST(remote_reply_component_beyond_float_range_is_a_parse_error) {
  struct ecai_embedder e;
  memset(&e, 0, sizeof e);
  e.kind = ECAI__EMB_OPENAI;
  e.dim = 4;
  float out[4];
  const char *big = "{\"data\":[{\"index\":0,\"embedding\":[6.7e61,1,0,0]}]}";
  CHECK_STATUS(ecai__remote_parse_reply(&e, big, strlen(big), out, 1, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "out-of-range component 0");
  const char *edge = "{\"data\":[{\"index\":0,\"embedding\":[3.0e38,3.0e38,0,0]}]}"; /* float, huge norm */
  CHECK_OK(ecai__remote_parse_reply(&e, edge, strlen(edge), out, 1, 0));
  CHECK_NEAR(out[0], 0.70710678, 1e-6);
  CHECK_NEAR(out[1], 0.70710678, 1e-6);
}
