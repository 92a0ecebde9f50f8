/* Builtin embedder, FAISS index (ids, filters, threads, persistence) and the store. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "index/index_internal.h"

static ecai_ctx *ctxj(const char *json) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, json, json ? strlen(json) : 0)) return NULL;
  return c;
}

static const char *small_csv(void) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/tests/data/catalog_small.csv", ecai_test_root());
  return p;
}
#define SMALL_MAP "id=sku,title=name,description=desc,category=cat"

static float dot(const float *a, const float *b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; i++) s += (double)a[i] * b[i];
  return (float)s;
}

static uint64_t rng = 88172645463325252ull;
static void rand_unit(float *v, size_t d) { ecai_test_rand_unit(&rng, v, d); }

/* ---- embedder --------------------------------------------------------------------------- */

TEST(embed_builtin_is_deterministic_unit_and_semantic) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_embedder *e = NULL, *e2 = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_INT_EQ(ecai_embedder_dim(e), 384);
  float a[384], b[384], c[384], d[384];
  CHECK_OK(ecai_embedder_embed(a, 384, e, "Grey linen sofa, 3 seats", 24));
  CHECK_OK(ecai_embedder_embed(b, 384, e, "grey sofas", 10));
  CHECK_OK(ecai_embedder_embed(c, 384, e, "Cordless drill 18V", 18));
  CHECK_NEAR(dot(a, a, 384), 1.0, 1e-5);
  CHECK(dot(a, b, 384) > dot(c, b, 384) + 0.2);
  CHECK_OK(ecai_embedder_new(&e2, ctx));
  CHECK_OK(ecai_embedder_embed(d, 384, e2, "Grey linen sofa, 3 seats", 24));
  CHECK(memcmp(a, d, sizeof a) == 0);
  /* no features: zero vector, not NaN */
  CHECK_OK(ecai_embedder_embed(d, 384, e, "!!!", 3));
  CHECK_NEAR(dot(d, d, 384), 0.0, 0);
  CHECK_STATUS(ecai_embedder_embed(d, 128, e, "x", 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_embedder_embed(d, 384, e, "bad \xC0\xAF", 6), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "byte 4");
  const char *texts[3] = {"grey sofas", "Cordless drill 18V", NULL};
  float batch[3 * 384];
  CHECK_OK(ecai_embedder_embed_batch(batch, e, texts, NULL, 2));
  CHECK(memcmp(batch, b, sizeof b) == 0 && memcmp(batch + 384, c, sizeof c) == 0);
  CHECK_STATUS(ecai_embedder_embed_batch(batch, e, texts, NULL, 3), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "text 2");
  ecai_embedder_free(e);
  ecai_embedder_free(e2);
  ecai_ctx_free(ctx);
}

TEST(embed_fit_changes_identity_and_saves) {
  ecai_ctx *ctx = ctxj("{\"embedder\":{\"dim\":64,\"ngram_max\":4}}");
  ecai_catalog *cat = NULL;
  ecai_embedder *e = NULL, *back = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_OK(ecai_catalog_load(NULL, NULL, cat, small_csv(), ECAI_CATALOG_AUTO, SMALL_MAP, 0));
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_INT_EQ(ecai_embedder_dim(e), 64);
  char *id0 = NULL, *id1 = NULL, *id2 = NULL;
  CHECK_OK(ecai_embedder_identity(&id0, NULL, e));
  CHECK_CONTAINS(id0, "\"kind\":\"builtin\"");
  CHECK_CONTAINS(id0, "\"dim\":64");
  CHECK_OK(ecai_embedder_fit(e, cat));
  CHECK_OK(ecai_embedder_identity(&id1, NULL, e));
  CHECK(strcmp(id0, id1) != 0);
  char path[1024];
  snprintf(path, sizeof path, "%s/emb.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_embedder_save(e, path));
  CHECK_OK(ecai_embedder_open(&back, ctx, path));
  CHECK_OK(ecai_embedder_identity(&id2, NULL, back));
  CHECK_STR_EQ(id1, id2);
  float a[64], b[64];
  CHECK_OK(ecai_embedder_embed(a, 64, e, "oak table", 9));
  CHECK_OK(ecai_embedder_embed(b, 64, back, "oak table", 9));
  CHECK(memcmp(a, b, sizeof a) == 0);
  ecai_free(id0);
  ecai_free(id1);
  ecai_free(id2);
  ecai_embedder_free(back);
  ecai_embedder_free(e);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(embed_bad_settings) {
  ecai_ctx *ctx = ctxj("{\"embedder\":{\"ngram_min\":5,\"ngram_max\":3}}");
  ecai_embedder *e = (ecai_embedder *)1;
  CHECK_STATUS(ecai_embedder_new(&e, ctx), ECAI_EINVAL);
  CHECK(e == NULL);
  ecai_ctx_free(ctx);
  CHECK_STATUS(ecai_embedder_new(&e, NULL), ECAI_EINVAL);
}

/* ---- index -------------------------------------------------------------------------------- */

#define D 32

TEST(index_flat_add_search_update_remove) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_index *x = NULL;
  CHECK_OK(ecai_index_new(&x, ctx, D, NULL));
  static float v[200 * D];
  int64_t ids[200];
  for (int i = 0; i < 200; i++) {
    rand_unit(v + i * D, D);
    ids[i] = 1000 + i;
  }
  CHECK_OK(ecai_index_add(x, ids, v, 200));
  CHECK_INT_EQ(ecai_index_count(x), 200);
  int64_t out[5];
  float sc[5];
  size_t n = 0;
  CHECK_OK(ecai_index_search(&n, out, sc, x, v + 17 * D, 5, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(n, 5);
  CHECK_INT_EQ(out[0], 1017);
  CHECK_NEAR(sc[0], 1.0, 1e-4);
  CHECK(sc[1] <= sc[0] && sc[2] <= sc[1]);
  /* update 1017 to another vector: old position no longer found */
  CHECK_OK(ecai_index_add(x, &ids[17], v + 3 * D, 1));
  CHECK_INT_EQ(ecai_index_count(x), 200);
  CHECK_OK(ecai_index_search(&n, out, sc, x, v + 17 * D, 5, NULL, 0, NULL, NULL));
  CHECK(out[0] != 1017);
  CHECK_OK(ecai_index_search(&n, out, sc, x, v + 3 * D, 2, NULL, 0, NULL, NULL));
  CHECK((out[0] == 1003 && out[1] == 1017) || (out[0] == 1017 && out[1] == 1003));
  CHECK_OK(ecai_index_remove(x, 1003));
  CHECK_STATUS(ecai_index_remove(x, 1003), ECAI_ENOTFOUND);
  CHECK_OK(ecai_index_search(&n, out, sc, x, v + 3 * D, 5, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(out[0], 1017);
  for (size_t i = 0; i < n; i++) CHECK(out[i] != 1003);
  CHECK_INT_EQ(ecai_index_count(x), 199);
  /* bad input */
  float bad[D];
  memcpy(bad, v, sizeof bad);
  bad[5] = NAN;
  CHECK_STATUS(ecai_index_search(&n, out, sc, x, bad, 5, NULL, 0, NULL, NULL), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "component 5");
  bad[5] = INFINITY;
  int64_t nid = 7;
  CHECK_STATUS(ecai_index_add(x, &nid, bad, 1), ECAI_EINVAL);
  nid = -3;
  CHECK_STATUS(ecai_index_add(x, &nid, v, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_index_search(&n, out, sc, x, v, 0, NULL, 0, NULL, NULL), ECAI_EINVAL);
  CHECK_INT_EQ(ecai_index_count(x), 199);
  CHECK_STATUS(ecai_index_set_int(x, (ecai_index_opt)150, 3), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_index_set_int(x, (ecai_index_opt)5, 3), ECAI_EINVAL);
  CHECK_OK(ecai_index_set_int(x, ECAI_INDEX_OPT_EF_SEARCH, 128));
  ecai_index_free(x);
  ecai_ctx_free(ctx);
}

static int only_even(int64_t id, void *payload) {
  (*(int *)payload)++;
  return id % 2 == 0;
}

TEST(index_filtered_search_is_exact) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_index *x = NULL;
  CHECK_OK(ecai_index_new(&x, ctx, D, "Flat"));
  enum { N = 3000 };
  float *v = malloc(sizeof(float) * N * D);
  int64_t *ids = malloc(sizeof(int64_t) * N);
  for (int i = 0; i < N; i++) {
    rand_unit(v + i * D, D);
    ids[i] = i;
  }
  CHECK_OK(ecai_index_add(x, ids, v, N));
  const float *q = v + 5 * D;
  /* small allowed set: exact scores; ids listed twice count once; unknown ids ignored */
  int64_t allowed[] = {10, 20, 30, 40, 40, 999999};
  int64_t out[10];
  float sc[10];
  size_t n = 0;
  CHECK_OK(ecai_index_search(&n, out, sc, x, q, 10, allowed, 6, NULL, NULL));
  CHECK_INT_EQ(n, 4);
  for (size_t i = 0; i < n; i++) {
    CHECK_NEAR(sc[i], dot(q, v + out[i] * D, D), 1e-4);
    if (i) CHECK(sc[i] <= sc[i - 1]);
  }
  /* callback filter, brute-force reference */
  int calls = 0;
  CHECK_OK(ecai_index_search(&n, out, sc, x, q, 10, NULL, 0, only_even, &calls));
  CHECK_INT_EQ(n, 10);
  CHECK(calls > 0);
  float best[10];
  int64_t bid[10];
  int nb = 0;
  for (int i = 0; i < N; i += 2) {
    float s = dot(q, v + i * D, D);
    int j = nb < 10 ? nb++ : 9;
    if (j == 9 && nb == 10 && s <= best[9]) continue;
    while (j > 0 && best[j - 1] < s) {
      best[j] = best[j - 1];
      bid[j] = bid[j - 1];
      j--;
    }
    best[j] = s;
    bid[j] = i;
  }
  for (int i = 0; i < 10; i++) CHECK_INT_EQ(out[i], bid[i]);
  /* a large allowed set goes through over-fetching: same answer */
  int64_t *evens = malloc(sizeof(int64_t) * N / 2);
  for (int i = 0; i < N / 2; i++) evens[i] = 2 * i;
  CHECK_OK(ecai_index_search(&n, out, sc, x, q, 10, evens, N / 2, NULL, NULL));
  CHECK_INT_EQ(n, 10);
  for (int i = 0; i < 10; i++) CHECK_INT_EQ(out[i], bid[i]);
  /* a selective filter (few matches) still finds them all */
  int64_t rare[] = {2998};
  CHECK_OK(ecai_index_search(&n, out, sc, x, q, 3, rare, 1, NULL, NULL));
  CHECK_INT_EQ(n, 1);
  CHECK_INT_EQ(out[0], 2998);
  /* batch equals single */
  int64_t bo[3 * 4];
  float bs[3 * 4];
  CHECK_OK(ecai_index_search_batch(bo, bs, x, v, 3, 4));
  for (int qi = 0; qi < 3; qi++) {
    CHECK_OK(ecai_index_search(&n, out, sc, x, v + qi * D, 4, NULL, 0, NULL, NULL));
    for (int i = 0; i < 4; i++) CHECK_INT_EQ(bo[qi * 4 + i], out[i]);
  }
  free(evens);
  free(v);
  free(ids);
  ecai_index_free(x);
  ecai_ctx_free(ctx);
}

TEST(index_hnsw_and_ivf_types) {
  setenv("OMP_NUM_THREADS", "1", 1);
  ecai_ctx *ctx = ctxj(NULL);
  ecai_index *h = NULL, *ivf = NULL, *bad = (ecai_index *)1;
  CHECK_STATUS(ecai_index_new(&bad, ctx, D, "NoSuchIndex77"), ECAI_EBACKEND);
  CHECK(bad == NULL);
  CHECK_CONTAINS(ecai_last_error(), "NoSuchIndex77");
  CHECK_STATUS(ecai_index_new(&bad, ctx, 0, "Flat"), ECAI_EINVAL);
  CHECK_OK(ecai_index_new(&h, ctx, D, "HNSW32"));
  CHECK_OK(ecai_index_new(&ivf, ctx, D, "IVF64,SQ8"));
  enum { N = 4000 };
  float *v = malloc(sizeof(float) * N * D);
  int64_t *ids = malloc(sizeof(int64_t) * N);
  for (int i = 0; i < N; i++) {
    rand_unit(v + i * D, D);
    ids[i] = i * 3;
  }
  /* IVF cannot train on 10 vectors: a clear backend error, nothing added */
  CHECK_STATUS(ecai_index_add(ivf, ids, v, 10), ECAI_EBACKEND);
  CHECK_INT_EQ(ecai_index_count(ivf), 0);
  CHECK_OK(ecai_index_add(ivf, ids, v, N));
  CHECK_OK(ecai_index_add(h, ids, v, N));
  int self_h = 0, self_ivf = 0;
  int64_t out[1];
  size_t n;
  for (int i = 0; i < 100; i++) {
    CHECK_OK(ecai_index_search(&n, out, NULL, h, v + i * D, 1, NULL, 0, NULL, NULL));
    self_h += n == 1 && out[0] == i * 3;
    CHECK_OK(ecai_index_search(&n, out, NULL, ivf, v + i * D, 1, NULL, 0, NULL, NULL));
    self_ivf += n == 1 && out[0] == i * 3;
  }
  CHECK(self_h >= 95);
  CHECK(self_ivf >= 80);
  /* removal on HNSW: filtered out of results */
  CHECK_OK(ecai_index_remove(h, 0));
  CHECK_OK(ecai_index_search(&n, out, NULL, h, v, 1, NULL, 0, NULL, NULL));
  CHECK(n == 1 && out[0] != 0);
  free(v);
  free(ids);
  ecai_index_free(h);
  ecai_index_free(ivf);
  ecai_ctx_free(ctx);
}

typedef struct {
  ecai_index *x;
  const float *v;
  int ok;
  int writer;
} th_arg;

static void *searcher(void *p) {
  th_arg *a = p;
  int64_t out[3];
  size_t n;
  a->ok = 1;
  for (int r = 0; r < 300; r++) {
    int i = r % 100;
    if (a->writer) {
      int64_t id = 5000 + r;
      float neg[D];
      for (int d = 0; d < D; d++) neg[d] = -a->v[i * D + d]; /* never a top hit of the searchers */
      if (ecai_index_add(a->x, &id, neg, 1) || ecai_index_remove(a->x, id)) a->ok = 0;
      continue;
    }
    if (ecai_index_search(&n, out, NULL, a->x, a->v + i * D, 3, NULL, 0, NULL, NULL) || n != 3 || out[0] != i)
      a->ok = 0;
  }
  return NULL;
}

TEST(index_concurrent_searches_with_a_writer) {
  setenv("OMP_NUM_THREADS", "1", 1);
  ecai_ctx *ctx = ctxj(NULL);
  ecai_index *x = NULL;
  CHECK_OK(ecai_index_new(&x, ctx, D, "Flat"));
  static float v[100 * D];
  int64_t ids[100];
  for (int i = 0; i < 100; i++) {
    rand_unit(v + i * D, D);
    ids[i] = i;
  }
  CHECK_OK(ecai_index_add(x, ids, v, 100));
  pthread_t t[4];
  th_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (th_arg){x, v, 0, i == 3};
    pthread_create(&t[i], NULL, searcher, &a[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) CHECK_MSG(a[i].ok, "thread %d saw a wrong result", i);
  CHECK_INT_EQ(ecai_index_count(x), 100);
  ecai_index_free(x);
  ecai_ctx_free(ctx);
}

TEST(index_save_open_and_embedder_identity) {
  ecai_ctx *ctx = ctxj("{\"embedder\":{\"dim\":32}}");
  ecai_index *x = NULL, *back = NULL;
  ecai_embedder *e = NULL, *e2 = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_OK(ecai_index_new(&x, ctx, D, "HNSW16"));
  static float v[50 * D];
  int64_t ids[50];
  for (int i = 0; i < 50; i++) {
    rand_unit(v + i * D, D);
    ids[i] = 100 + i;
  }
  CHECK_OK(ecai_index_add(x, ids, v, 50));
  CHECK_OK(ecai_index_remove(x, 110));
  CHECK_STATUS(ecai_index_check_embedder(x, e), ECAI_EINVAL); /* none recorded */
  CHECK_OK(ecai_index_bind_embedder(x, e));
  CHECK_OK(ecai_index_check_embedder(x, e));
  char p[1024];
  snprintf(p, sizeof p, "%s/idx.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_index_save(x, p));
  CHECK_OK(ecai_index_open(&back, ctx, p));
  CHECK_INT_EQ(ecai_index_count(back), 49);
  CHECK_OK(ecai_index_check_embedder(back, e));
  int64_t o1[5], o2[5];
  size_t n1, n2;
  CHECK_OK(ecai_index_search(&n1, o1, NULL, x, v + 7 * D, 5, NULL, 0, NULL, NULL));
  CHECK_OK(ecai_index_search(&n2, o2, NULL, back, v + 7 * D, 5, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(n1, n2);
  for (size_t i = 0; i < n1; i++) CHECK_INT_EQ(o1[i], o2[i]);
  CHECK_OK(ecai_index_search(&n2, o2, NULL, back, v + 10 * D, 5, NULL, 0, NULL, NULL));
  for (size_t i = 0; i < n2; i++) CHECK(o2[i] != 110);
  /* a different embedder (other settings) is refused with a clear message */
  ecai_ctx *ctx2 = ctxj("{\"embedder\":{\"dim\":32,\"char_weight\":0.1}}");
  CHECK_OK(ecai_embedder_new(&e2, ctx2));
  CHECK_STATUS(ecai_index_check_embedder(back, e2), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "built with embedder");
  ecai_embedder_free(e2);
  ecai_ctx_free(ctx2);
  ecai_index_free(back);
  back = (ecai_index *)1;
  /* damage: a byte in the FAISS data, truncation */
  FILE *f = fopen(p, "r+b");
  fseek(f, -100, SEEK_END);
  int c = fgetc(f);
  fseek(f, -1, SEEK_CUR);
  fputc(c ^ 1, f);
  fclose(f);
  CHECK_STATUS(ecai_index_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK(back == NULL);
  CHECK_OK(ecai_index_save(x, p));
  struct stat sb;
  stat(p, &sb);
  CHECK(truncate(p, sb.st_size / 2) == 0);
  CHECK_STATUS(ecai_index_open(&back, ctx, p), ECAI_ECORRUPT);
  ecai_index_free(x);
  ecai_embedder_free(e);
  ecai_ctx_free(ctx);
}

/* ---- store ---------------------------------------------------------------------------------- */

static ecai_store *small_store(ecai_ctx *ctx) {
  ecai_store *s = NULL;
  if (ecai_store_new(&s, ctx)) return NULL;
  if (ecai_catalog_load(NULL, NULL, ecai_store_catalog(s), small_csv(), ECAI_CATALOG_AUTO, SMALL_MAP, 0) ||
      ecai_store_build(NULL, s, 0, NULL, NULL)) {
    ecai_store_free(s);
    return NULL;
  }
  return s;
}

TEST(store_build_search_incremental) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_store *s = NULL;
  CHECK_OK(ecai_store_new(&s, ctx));
  char *js = NULL;
  CHECK_STATUS(ecai_store_search(&js, NULL, s, "sofa", 4, 3), ECAI_ESTATE);
  CHECK_OK(ecai_catalog_load(NULL, NULL, ecai_store_catalog(s), small_csv(), ECAI_CATALOG_AUTO, SMALL_MAP, 0));
  size_t emb = 0;
  CHECK_OK(ecai_store_build(&emb, s, 0, NULL, NULL));
  CHECK_INT_EQ(emb, 5);
  CHECK_OK(ecai_store_search(&js, NULL, s, "grey couch sofa", 15, 2));
  CHECK_CONTAINS(js, "{\"hits\":[{\"id\":\"A-1\",\"score\":");
  CHECK_CONTAINS(js, "\"title\":\"Grey 3-seat sofa, linen\"");
  ecai_free(js);
  /* nothing changed: nothing embedded */
  CHECK_OK(ecai_store_build(&emb, s, 0, NULL, NULL));
  CHECK_INT_EQ(emb, 0);
  /* a price change does not re-embed, a title change does; a removal leaves the index */
  const char *p1 = "{\"id\":\"A-2\",\"title\":\"Oak coffee table\",\"description\":\"Solid oak, 120 cm\","
                   "\"category\":\"Furniture > Tables\",\"brand\":\"Nordy\",\"price\":99}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), p1, strlen(p1)));
  const char *p2 = "{\"id\":\"A-5\",\"title\":\"Velvet armchair\"}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), p2, strlen(p2)));
  CHECK_OK(ecai_catalog_remove(ecai_store_catalog(s), "A-4"));
  CHECK_OK(ecai_store_build(&emb, s, 0, NULL, NULL));
  CHECK_INT_EQ(emb, 1);
  CHECK_INT_EQ(ecai_index_count(ecai_store_index(s)), 4);
  CHECK_OK(ecai_store_search(&js, NULL, s, "velvet armchair", 15, 1));
  CHECK_CONTAINS(js, "\"id\":\"A-5\"");
  ecai_free(js);
  CHECK_OK(ecai_store_search(&js, NULL, s, "cordless drill", 14, 5));
  int ids = 0; /* k = 5 over the 4 indexed products: all 4 come back, the removed A-4 not */
  for (const char *p = js; (p = strstr(p, "\"id\":")) != NULL; p++) ids++;
  CHECK_INT_EQ(ids, 4);
  CHECK(strstr(js, "A-4") == NULL);
  ecai_free(js);
  CHECK_STATUS(ecai_store_search(&js, NULL, s, "x", 1, 0), ECAI_EINVAL);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

static int cancel_at_once(size_t done, size_t total, void *p) {
  (void)done;
  (void)total;
  (void)p;
  return 1;
}

TEST(store_build_cancel_keeps_previous_index) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_store *s = small_store(ctx);
  CHECK(s != NULL);
  const char *p2 = "{\"id\":\"NEW\",\"title\":\"Velvet armchair\"}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), p2, strlen(p2)));
  CHECK_STATUS(ecai_store_build(NULL, s, 0, cancel_at_once, NULL), ECAI_ECANCELED);
  CHECK_INT_EQ(ecai_index_count(ecai_store_index(s)), 5);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

static void store_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", ecai_test_tmpdir(), name); }

TEST(store_save_open_no_reembed) {
  ecai_ctx *ctx = ctxj("{\"index\":{\"type\":\"HNSW32\"}}");
  ecai_store *s = small_store(ctx), *back = NULL;
  CHECK(s != NULL);
  char dir[1024];
  store_dir(dir, sizeof dir, "st");
  CHECK_OK(ecai_store_save(s, dir));
  CHECK_OK(ecai_store_open(&back, ctx, dir));
  char *a = NULL, *b = NULL;
  CHECK_OK(ecai_store_search(&a, NULL, s, "oak table", 9, 3));
  CHECK_OK(ecai_store_search(&b, NULL, back, "oak table", 9, 3));
  CHECK_STR_EQ(a, b);
  CHECK_CONTAINS(b, "\"id\":\"A-2\"");
  ecai_free(a);
  ecai_free(b);
  size_t emb = 9;
  CHECK_OK(ecai_store_build(&emb, back, 0, NULL, NULL)); /* restart: nothing re-embedded */
  CHECK_INT_EQ(emb, 0);
  CHECK_CONTAINS(ecai__index_factory(ecai_store_index(back)), "HNSW32");
  ecai_store_free(back);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

static void copy_file(const char *from, const char *to) {
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, n, b);
  fclose(a);
  fclose(b);
}

TEST(store_open_rejects_every_kind_of_damage) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_store *s = small_store(ctx), *back = NULL;
  CHECK(s != NULL);
  char dir[1024], dir2[1024], f[1100], g[1100];
  store_dir(dir, sizeof dir, "st");
  store_dir(dir2, sizeof dir2, "st2");
  const char *files[] = {"MANIFEST", "catalog.bin", "embedder.bin", "index.bin", "embedded.bin"};
  for (int i = 0; i < 5; i++) {
    for (int mode = 0; mode < 4; mode++) {
      CHECK_OK(ecai_store_save(s, dir));
      CHECK_OK(ecai_store_open(&back, ctx, dir));
      ecai_store_free(back);
      snprintf(f, sizeof f, "%s/%s", dir, files[i]);
      struct stat sb;
      CHECK(stat(f, &sb) == 0);
      if (mode == 0) { /* truncated */
        CHECK(truncate(f, sb.st_size - 1) == 0);
      } else if (mode == 1 || mode == 2) { /* bit flip in the payload / version field */
        FILE *fp = fopen(f, "r+b");
        long off = mode == 1 ? (long)sb.st_size / 2 + 16 : 8;
        fseek(fp, off, SEEK_SET);
        int c = fgetc(fp);
        fseek(fp, off, SEEK_SET);
        fputc(c ^ 0x04, fp);
        fclose(fp);
      } else { /* a valid file from another save */
        if (i == 0) continue;
        char p2[100];
        snprintf(p2, sizeof p2, "{\"id\":\"Z\",\"title\":\"Zebra rug model%d\"}", i);
        CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), p2, strlen(p2)));
        CHECK_OK(ecai_store_build(NULL, s, 1, NULL, NULL));
        CHECK_OK(ecai_store_save(s, dir2));
        snprintf(g, sizeof g, "%s/%s", dir2, files[i]);
        copy_file(g, f);
        CHECK_OK(ecai_catalog_remove(ecai_store_catalog(s), "Z"));
      }
      back = (ecai_store *)1;
      ecai_status st = ecai_store_open(&back, ctx, dir);
      CHECK_MSG(st == ECAI_ECORRUPT, "%s mode %d: got %d (%s)", files[i], mode, (int)st, ecai_last_error());
      CHECK(back == NULL);
      CHECK_CONTAINS(ecai_last_error(), dir);
    }
  }
  /* a missing file or folder is EIO */
  CHECK_OK(ecai_store_save(s, dir));
  snprintf(f, sizeof f, "%s/index.bin", dir);
  unlink(f);
  CHECK_STATUS(ecai_store_open(&back, ctx, dir), ECAI_EIO);
  store_dir(f, sizeof f, "nothing-here");
  CHECK_STATUS(ecai_store_open(&back, ctx, f), ECAI_EIO);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

TEST(index_compacts_tombstones) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_index *x = NULL;
  CHECK_OK(ecai_index_new(&x, ctx, D, "Flat"));
  enum { N = 3000 };
  float *v = malloc(sizeof(float) * N * D);
  int64_t *ids = malloc(sizeof(int64_t) * N);
  for (int i = 0; i < N; i++) {
    rand_unit(v + i * D, D);
    ids[i] = i;
  }
  CHECK_OK(ecai_index_add(x, ids, v, N));
  for (int i = 0; i < 2000; i++) CHECK_OK(ecai_index_remove(x, i));
  CHECK_INT_EQ(ecai_index_count(x), 1000);
  CHECK(ecai__index_positions(x) < N); /* compacted */
  int64_t out[3];
  size_t n;
  for (int i = 2000; i < N; i += 97) {
    CHECK_OK(ecai_index_search(&n, out, NULL, x, v + i * D, 3, NULL, 0, NULL, NULL));
    CHECK_INT_EQ(out[0], i);
  }
  CHECK_OK(ecai_index_search(&n, out, NULL, x, v + 5 * D, 3, NULL, 0, NULL, NULL));
  for (size_t i = 0; i < n; i++) CHECK(out[i] >= 2000);
  free(v);
  free(ids);
  ecai_index_free(x);
  ecai_ctx_free(ctx);
}

typedef struct {
  ecai_store *s;
  int ok;
} store_arg;

static void *store_searcher(void *p) {
  store_arg *a = p;
  a->ok = 1;
  static const char *q[3] = {"grey linen sofa", "oak coffee table", "cordless drill"};
  static const char *want[3] = {"\"id\":\"A-1\"", "\"id\":\"A-2\"", "\"id\":\"A-4\""};
  for (int r = 0; r < 200; r++) {
    char *js = NULL;
    if (ecai_store_search(&js, NULL, a->s, q[r % 3], strlen(q[r % 3]), 1) || !strstr(js, want[r % 3])) a->ok = 0;
    ecai_free(js);
  }
  return NULL;
}

TEST(store_concurrent_searches) {
  setenv("OMP_NUM_THREADS", "1", 1);
  ecai_ctx *ctx = ctxj(NULL);
  ecai_store *s = small_store(ctx);
  CHECK(s != NULL);
  pthread_t t[4];
  store_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (store_arg){s, 0};
    pthread_create(&t[i], NULL, store_searcher, &a[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) CHECK_MSG(a[i].ok, "thread %d saw a wrong result", i);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}
