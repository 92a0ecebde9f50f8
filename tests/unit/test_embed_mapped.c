/* The embedder opened from its mapped file (weights used in place): same vectors, saved
 * again byte for byte, refitted, damaged files. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/ser.h"
#include "embed/embed_internal.h"
#include "harness.h"

static ecai_ctx *ectx(void) {
  ecai_ctx *c = NULL;
  const char *js = "{\"embedder\":{\"dim\":48}}";
  if (ecai_ctx_new(&c, js, strlen(js))) return NULL;
  return c;
}

static ecai_catalog *small(ecai_ctx *ctx, const char *title3) {
  ecai_catalog *cat = NULL;
  if (ecai_catalog_new(&cat, ctx)) return NULL;
  const char *p[3] = {"{\"id\":\"1\",\"title\":\"oak dining table\",\"brand\":\"Woody\"}",
                      "{\"id\":\"2\",\"title\":\"cordless drill 18 V\",\"category\":\"Tools\"}", title3};
  for (int i = 0; i < 3; i++) CHECK_OK(ecai_catalog_upsert_json(NULL, cat, p[i], strlen(p[i])));
  return cat;
}

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *d = malloc(*n ? *n : 1);
  if (fread(d, 1, *n, f) != *n) *n = 0;
  fclose(f);
  return d;
}

TEST(embed_mapped_same_vectors_save_and_refit) {
  ecai_ctx *ctx = ectx();
  ecai_catalog *cat = small(ctx, "{\"id\":\"3\",\"title\":\"garden hose 20 m\"}");
  ecai_catalog *cat2 = small(ctx, "{\"id\":\"3\",\"title\":\"paint roller\"}");
  ecai_embedder *e = NULL, *back = NULL, *fresh = NULL;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_OK(ecai_embedder_fit(e, cat));
  char p1[1024], p2[1024];
  snprintf(p1, sizeof p1, "%s/emb.bin", ecai_test_tmpdir());
  snprintf(p2, sizeof p2, "%s/emb2.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_embedder_save(e, p1));
  CHECK_OK(ecai_embedder_open(&back, ctx, p1));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  CHECK(back->idf == NULL && back->idf_in && back->map.base); /* in place, not copied */
  CHECK((const char *)back->idf_in > back->map.base && (const char *)back->idf_in < back->map.base + back->map.len);
#endif
  const char *texts[3] = {"oak table", "drill", "hose for the garden"};
  for (int i = 0; i < 3; i++) {
    float a[48], b[48];
    CHECK_OK(ecai_embedder_embed(a, 48, e, texts[i], strlen(texts[i])));
    CHECK_OK(ecai_embedder_embed(b, 48, back, texts[i], strlen(texts[i])));
    CHECK(memcmp(a, b, sizeof a) == 0);
  }
  /* saved again from the mapping: the same file */
  CHECK_OK(ecai_embedder_save(back, p2));
  size_t n1 = 0, n2 = 0;
  char *d1 = slurp(p1, &n1), *d2 = slurp(p2, &n2);
  CHECK(n1 > 4000000 && n1 == n2 && memcmp(d1, d2, n1) == 0);
  free(d1);
  free(d2);
  /* refitted: owned weights, the mapping let go, the same as a fresh fit */
  CHECK_OK(ecai_embedder_fit(back, cat2));
  CHECK(back->idf && back->idf_in == (const unsigned char *)back->idf && !back->map.base);
  CHECK_OK(ecai_embedder_new(&fresh, ctx));
  CHECK_OK(ecai_embedder_fit(fresh, cat2));
  char *i1 = NULL, *i2 = NULL;
  CHECK_OK(ecai_embedder_identity(&i1, NULL, back));
  CHECK_OK(ecai_embedder_identity(&i2, NULL, fresh));
  CHECK_STR_EQ(i1, i2);
  float a[48], b[48];
  CHECK_OK(ecai_embedder_embed(a, 48, back, "paint", 5));
  CHECK_OK(ecai_embedder_embed(b, 48, fresh, "paint", 5));
  CHECK(memcmp(a, b, sizeof a) == 0);
  ecai_free(i1);
  ecai_free(i2);
  ecai_embedder_free(fresh);
  ecai_embedder_free(back);
  ecai_embedder_free(e);
  ecai_catalog_free(cat);
  ecai_catalog_free(cat2);
  ecai_ctx_free(ctx);
}

TEST(embed_mapped_damaged_is_ecorrupt) {
  ecai_ctx *ctx = ectx();
  ecai_catalog *cat = small(ctx, "{\"id\":\"3\",\"title\":\"garden hose\"}");
  ecai_embedder *e = NULL, *back = (ecai_embedder *)1;
  CHECK_OK(ecai_embedder_new(&e, ctx));
  CHECK_OK(ecai_embedder_fit(e, cat));
  char p[1024];
  snprintf(p, sizeof p, "%s/emb.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_embedder_save(e, p));
  size_t n = 0;
  char *d = slurp(p, &n);
  CHECK(n > 32);
  /* a weight that is not finite, under a valid checksum */
  char *payload = d + 32;
  size_t plen = n - 32;
  float inf = INFINITY;
  memcpy(payload + plen - 4 * 1000, &inf, 4);
  CHECK_OK(ecai__blob_write(p, "ECAIEMB", payload, plen, NULL));
  CHECK_STATUS(ecai_embedder_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK(back == NULL);
  CHECK_CONTAINS(ecai_last_error(), p);
  /* weights cut short, under a valid checksum; a truncated file */
  CHECK_OK(ecai__blob_write(p, "ECAIEMB", payload, plen - 4, NULL));
  CHECK_STATUS(ecai_embedder_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK_OK(ecai__blob_write(p, "ECAIEMB", payload, plen, NULL));
  CHECK(truncate(p, (off_t)n - 100) == 0);
  CHECK_STATUS(ecai_embedder_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK_CONTAINS(ecai_last_error(), p);
  free(d);
  ecai_embedder_free(e);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}
