/* The remote (OpenAI-compatible) embedder against the fake LLM server (tests/fakellm/server.py):
 * model "letters-8" answers letter counts (predictable directions), "fault-<mode>" a fault. */
#include <stdlib.h>
#include <string.h>

#include "fakellm_fixture.h"
#include "harness.h"

/* An OpenAI-compatible embedder on the fake server with `model` (NULL: "letters-8"). */
static ecai_ctx *model_ctx(const char *model, const char *extra) {
  const char *url = ecai_test_fakellm_url();
  if (!url) return NULL;
  char js[1024];
  snprintf(js, sizeof js,
           "{\"embedder\":{\"kind\":\"openai\",\"base_url\":\"%s\",\"model\":\"%s\",\"api_key\":\"sk-x\"%s}}",
           url, model ? model : "letters-8", extra ? extra : "");
  ecai_ctx *c = NULL;
  ecai_ctx_new(&c, js, strlen(js));
  return c;
}

static ecai_ctx *remote_ctx(const char *extra) { return model_ctx(NULL, extra); }

/* connections accepted and embedding requests served so far (cumulative for the run) */
static void stats(int *conns, int *reqs) {
  *conns = (int)ecai_test_fakellm_stat("connections");
  *reqs = (int)ecai_test_fakellm_stat("requests./v1/embeddings");
}

/* One text through a fresh embedder on `model`; returns the status. */
static ecai_status embed_with(const char *model, const char *extra, float *v, size_t dim, const char *text) {
  ecai_ctx *ctx = model_ctx(model, extra);
  ecai_embedder *e = NULL;
  ecai_status st = ctx ? ecai_embedder_new(&e, ctx) : ECAI_ESTATE;
  if (!st) st = ecai_embedder_embed(v, dim, e, text, strlen(text));
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
  return st;
}

TEST(remote_embed_batches_keepalive_and_order) {
  ecai_ctx *ctx = remote_ctx(",\"batch_size\":2,\"dim\":8");
  CHECK_MSG(ctx != NULL, "fake LLM server not running");
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
  CHECK_INT_EQ(c1 - c0, 1 + 2); /* one keep-alive connection for the three POSTs, two for the stats GETs */
  /* "aaaa" -> counts (4.5, .5, .5, ...) normalised: component 0 dominates */
  CHECK(v[0] > 0.9f);
  CHECK(v[8 + 1] > 0.9f);
  CHECK(v[16 + 7] > 0.9f);
  double s = 0;
  for (int i = 0; i < 8; i++) s += (double)v[24 + i] * v[24 + i];
  CHECK_NEAR(s, 1.0, 1e-5);
  char *id = NULL;
  CHECK_OK(ecai_embedder_identity(&id, NULL, e));
  CHECK_CONTAINS(id, "\"kind\":\"openai\",\"model\":\"letters-8\",\"dim\":8");
  ecai_free(id);
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
}

TEST(remote_embed_retries_and_errors) {
  ecai_test_fakellm_require();
  const char *quick = ",\"dim\":64,\"max_retries\":2,\"timeout_ms\":500";
  float v[64];
  CHECK_OK(embed_with("fault-flaky:1:429", quick, v, 64, "once")); /* retried after Retry-After: 0.1 */
  CHECK_STATUS(embed_with("fault-500", quick, v, 64, "x"), ECAI_EHTTP);
  CHECK_CONTAINS(ecai_last_error(), "HTTP 500");
  CHECK_STATUS(embed_with("fault-badjson", quick, v, 64, "x"), ECAI_EPARSE);
  CHECK_STATUS(embed_with("fault-slow:2", quick, v, 64, "x"), ECAI_ETIMEOUT);
  ecai_ctx *ctx = remote_ctx(",\"dim\":8");
  ecai_embedder *e = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_STATUS(ecai_embedder_embed(v, 8, e, "bad \xFF", 5), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "byte 4");
  CHECK_OK(ecai_embedder_embed(v, 8, e, "still works", 11)); /* the handle recovers */
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
}

TEST(remote_embed_wrong_dim_and_config) {
  ecai_ctx *ctx = remote_ctx(",\"dim\":16");
  CHECK_MSG(ctx != NULL, "fake LLM server not running");
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
  CHECK_MSG(ctx != NULL, "fake LLM server not running");
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

static int server_inputs(void) { return (int)ecai_test_fakellm_stat("embedding_inputs"); }

TEST(remote_embedder_with_attached_cache_sends_only_misses) {
  ecai_ctx *c = remote_ctx(",\"dim\":8");
  CHECK_MSG(c != NULL, "fake LLM server not running");
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
