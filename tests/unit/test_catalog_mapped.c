/* The mapped catalog layout (ECAICAT payload layout 2): round trip, lookups, changes on a
 * mapped catalog (copy-on-write), the older layout, damaged files. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "harness.h"

static ecai_ctx *mctx(void) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, NULL, 0)) return NULL;
  return c;
}

static const char *mpath(const char *name) {
  static char p[4][1024];
  static int i;
  char *r = p[i++ & 3];
  snprintf(r, 1024, "%s/%s", ecai_test_tmpdir(), name);
  return r;
}

static int64_t upsert(ecai_catalog *cat, const char *js) {
  int64_t id = -1;
  CHECK_OK(ecai_catalog_upsert_json(&id, cat, js, strlen(js)));
  return id;
}

/* Strings equal, NULL only with NULL. */
static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* Every slot of a and b holds the same product (every field, NaN prices alike). */
static void check_same(const ecai_catalog *a, const ecai_catalog *b) {
  CHECK_INT_EQ(ecai__catalog_slots(a), ecai__catalog_slots(b));
  CHECK_INT_EQ(ecai_catalog_count(a), ecai_catalog_count(b));
  for (size_t i = 0; i < ecai__catalog_slots(a); i++) {
    const ecai__product *p = ecai__catalog_product(a, (int64_t)i), *q = ecai__catalog_product(b, (int64_t)i);
    CHECK_MSG(!p == !q, "slot %zu alive in one catalog only", i);
    if (!p) continue;
    CHECK(same_str(p->sku, q->sku) && same_str(p->title, q->title) && same_str(p->desc, q->desc));
    CHECK(same_str(p->cat, q->cat) && same_str(p->brand, q->brand) && same_str(p->currency, q->currency));
    CHECK(same_str(p->attrs, q->attrs));
    CHECK((isnan(p->price) && isnan(q->price)) || p->price == q->price);
    CHECK_INT_EQ(p->in_stock, q->in_stock);
    CHECK(p->hash == q->hash);
    int64_t id = -1;
    CHECK_OK(ecai_catalog_id(&id, b, p->sku));
    CHECK_INT_EQ(id, (int64_t)i);
    char *j1 = NULL, *j2 = NULL;
    CHECK_OK(ecai_catalog_get_json(&j1, NULL, a, p->sku));
    CHECK_OK(ecai_catalog_get_json(&j2, NULL, b, p->sku));
    CHECK_STR_EQ(j1, j2);
    ecai_free(j1);
    ecai_free(j2);
  }
}

/* A catalog with every kind of field: unicode, empty strings, NaN price, unknown stock,
 * attributes, a removed product. */
static ecai_catalog *sample(ecai_ctx *ctx) {
  ecai_catalog *cat = NULL;
  if (ecai_catalog_new(&cat, ctx)) return NULL;
  upsert(cat, "{\"id\":\"S-1\",\"title\":\"Akku-Bohrschrauber \\u00e9\\u00e8 \\u96fb\\u52d5\\u30c9\\u30ea\\u30eb "
              "\\ud83d\\udd28\",\"description\":\"18 V, 2 Akkus\",\"category\":\"Tools > Drills\","
              "\"brand\":\"Bosch\",\"price\":129.5,\"currency\":\"EUR\",\"in_stock\":true,"
              "\"attributes\":{\"voltage\":\"18 V\",\"n\":2}}");
  upsert(cat, "{\"id\":\"S-2\",\"title\":\"Plain hammer\"}"); /* no price (NaN), stock unknown */
  upsert(cat, "{\"id\":\"S-3\",\"title\":\"Saw\",\"brand\":\"Bosch\",\"price\":0,\"in_stock\":false}");
  upsert(cat, "{\"id\":\"S-gone\",\"title\":\"Removed before the save\"}");
  upsert(cat, "{\"id\":\"\\u00fcml\\u00e4ut-sku\",\"title\":\"Saw\",\"currency\":\"EUR\"}");
  CHECK_OK(ecai_catalog_remove(cat, "S-gone"));
  /* empty (not absent) strings: the loaders store absent, the format must keep both */
  ecai__product *p = (ecai__product *)ecai__catalog_product(cat, 1);
  p->desc = ecai__strdup("");
  p->brand = ecai__strdup("");
  return cat;
}

static int payload_is_mapped(const char *path) {
  FILE *f = fopen(path, "rb");
  unsigned char h[40] = {0};
  size_t n = f ? fread(h, 1, sizeof h, f) : 0;
  if (f) fclose(f);
  return n == sizeof h && h[32] == 2 && h[33] == 0 && h[36] == 0xFF && h[37] == 0xFF && h[38] == 0xFF && h[39] == 0xFF;
}

TEST(catalog_mapped_round_trip_every_field) {
  ecai_ctx *ctx = mctx();
  ecai_catalog *cat = sample(ctx), *back = NULL, *copy = NULL;
  const char *p = mpath("cat.bin");
  CHECK_OK(ecai_catalog_save(cat, p));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  CHECK(payload_is_mapped(p));
#endif
  CHECK_OK(ecai_catalog_open(&back, ctx, p));
  check_same(cat, back);
  const ecai__product *q = ecai__catalog_product(back, 1);
  CHECK(q->desc && !*q->desc && q->brand && !*q->brand && !q->cat); /* "" stays "", absent stays NULL */
  CHECK(isnan(q->price) && q->in_stock == -1);
  CHECK(ecai__catalog_product(back, 3) == NULL); /* the removed slot stays dead */
  CHECK(ecai_catalog_sku(back, 3) == NULL);
  CHECK_STR_EQ(ecai_catalog_title(back, 0), ecai_catalog_title(cat, 0));
  /* the same payload read from a buffer (copied once) */
  ecai__buf b = {0};
  ecai__catalog_write(cat, &b);
  CHECK(!b.oom);
  CHECK_OK(ecai__catalog_read(&copy, ctx, b.data, b.len));
  check_same(cat, copy);
  ecai__buf_free(&b);
  ecai_catalog_free(copy);
  /* saved again from the mapped catalog: the same bytes */
  const char *p2 = mpath("cat2.bin");
  CHECK_OK(ecai_catalog_save(back, p2));
  ecai__buf b1 = {0}, b2 = {0};
  ecai__catalog_write(cat, &b1);
  ecai__catalog_write(back, &b2);
  CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
  ecai__buf_free(&b1);
  ecai__buf_free(&b2);
  ecai_catalog_free(back);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_mapped_lookup_by_sku) {
  ecai_ctx *ctx = mctx();
  ecai_catalog *cat = NULL, *back = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  char js[200], sku[64];
  for (int i = 0; i < 3000; i++) {
    snprintf(js, sizeof js, "{\"id\":\"sku-%d\",\"title\":\"Product %d\",\"price\":%d}", i, i % 97, i);
    upsert(cat, js);
  }
  for (int i = 0; i < 3000; i += 7) {
    snprintf(sku, sizeof sku, "sku-%d", i);
    CHECK_OK(ecai_catalog_remove(cat, sku));
  }
  const char *p = mpath("many.bin");
  CHECK_OK(ecai_catalog_save(cat, p));
  CHECK_OK(ecai_catalog_open(&back, ctx, p));
  for (int i = 0; i < 3000; i++) {
    snprintf(sku, sizeof sku, "sku-%d", i);
    int64_t id = -2;
    if (i % 7 == 0) {
      CHECK_STATUS(ecai_catalog_id(&id, back, sku), ECAI_ENOTFOUND);
      CHECK_INT_EQ(id, -1);
    } else {
      CHECK_OK(ecai_catalog_id(&id, back, sku));
      CHECK_INT_EQ(id, i);
      CHECK_STR_EQ(ecai_catalog_sku(back, id), sku);
    }
  }
  int64_t id;
  CHECK_STATUS(ecai_catalog_id(&id, back, "sku-3000"), ECAI_ENOTFOUND);
  CHECK_STATUS(ecai_catalog_id(&id, back, ""), ECAI_ENOTFOUND);
  CHECK_STATUS(ecai_catalog_id(&id, back, "sku-1 "), ECAI_ENOTFOUND);
  check_same(cat, back);
  ecai_catalog_free(back);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_mapped_upsert_remove_copy_on_write) {
  ecai_ctx *ctx = mctx();
  ecai_catalog *cat = sample(ctx), *back = NULL, *again = NULL;
  const char *p = mpath("cow.bin");
  CHECK_OK(ecai_catalog_save(cat, p));
  ecai_catalog_free(cat);
  CHECK_OK(ecai_catalog_open(&back, ctx, p));
  int64_t id = -1, id2 = -1;
  uint64_t h0, h1;
  CHECK_OK(ecai_catalog_content_hash(&h0, back, 2));
  /* an existing product changed: same id, new strings, new hash; the others untouched */
  const char *saw = "{\"id\":\"S-3\",\"title\":\"Circular saw\",\"brand\":\"Makita\",\"price\":99}";
  CHECK_OK(ecai_catalog_upsert_json(&id, back, saw, strlen(saw)));
  CHECK_INT_EQ(id, 2);
  CHECK_STR_EQ(ecai_catalog_title(back, 2), "Circular saw");
  CHECK_OK(ecai_catalog_content_hash(&h1, back, 2));
  CHECK(h0 != h1);
  CHECK_STR_EQ(ecai__catalog_product(back, 0)->brand, "Bosch");
  /* a new product: the next id, found by its SKU (the side map) */
  id = upsert(back, "{\"id\":\"N-1\",\"title\":\"Nails\"}");
  CHECK_INT_EQ(id, 5);
  CHECK_OK(ecai_catalog_id(&id2, back, "N-1"));
  CHECK_INT_EQ(id2, 5);
  /* a product of the file removed, then added again: a new id, never the old one */
  CHECK_OK(ecai_catalog_remove(back, "S-1"));
  CHECK_STATUS(ecai_catalog_id(&id2, back, "S-1"), ECAI_ENOTFOUND);
  CHECK_STATUS(ecai_catalog_remove(back, "S-1"), ECAI_ENOTFOUND);
  CHECK(ecai_catalog_sku(back, 0) == NULL);
  id = upsert(back, "{\"id\":\"S-1\",\"title\":\"Drill again\"}");
  CHECK_INT_EQ(id, 6);
  CHECK_OK(ecai_catalog_id(&id2, back, "S-1"));
  CHECK_INT_EQ(id2, 6);
  CHECK_OK(ecai_catalog_remove(back, "S-1"));
  CHECK_STATUS(ecai_catalog_id(&id2, back, "S-1"), ECAI_ENOTFOUND); /* neither the new nor the file's */
  /* a file product with a changed text removed (its owned strings freed: leak check) */
  CHECK_OK(ecai_catalog_remove(back, "S-3"));
  CHECK_INT_EQ(ecai_catalog_count(back), 3);
  /* saved and opened again: the changes are in the new file */
  const char *p2 = mpath("cow2.bin");
  CHECK_OK(ecai_catalog_save(back, p2));
  CHECK_OK(ecai_catalog_open(&again, ctx, p2));
  check_same(back, again);
  CHECK_OK(ecai_catalog_id(&id2, again, "N-1"));
  CHECK_INT_EQ(id2, 5);
  CHECK_STATUS(ecai_catalog_id(&id2, again, "S-3"), ECAI_ENOTFOUND);
  /* a whole load into a mapped catalog */
  const char *csv = mpath("more.csv");
  FILE *f = fopen(csv, "w");
  fputs("id,title,price\nS-2,Claw hammer,12\nL-1,Ladder,80\n", f);
  fclose(f);
  size_t loaded = 0;
  CHECK_OK(ecai_catalog_load(&loaded, NULL, again, csv, ECAI_CATALOG_AUTO, NULL, 0));
  CHECK_INT_EQ(loaded, 2);
  CHECK_STR_EQ(ecai_catalog_title(again, 1), "Claw hammer");
  CHECK_OK(ecai_catalog_id(&id2, again, "L-1"));
  CHECK_INT_EQ(id2, 7);
  ecai_catalog_free(again);
  ecai_catalog_free(back);
  ecai_ctx_free(ctx);
}

TEST(catalog_mapped_store_update_copy_on_write) {
  ecai_ctx *ctx = mctx();
  ecai_store *s = NULL, *back = NULL, *again = NULL;
  CHECK_OK(ecai_store_new(&s, ctx));
  ecai_catalog *cat = ecai_store_catalog(s);
  upsert(cat, "{\"id\":\"A\",\"title\":\"Cordless drill\",\"brand\":\"Bosch\",\"price\":100}");
  upsert(cat, "{\"id\":\"B\",\"title\":\"Garden hose\",\"price\":20}");
  upsert(cat, "{\"id\":\"C\",\"title\":\"Paint roller\"}");
  CHECK_OK(ecai_store_build(NULL, s, 0, NULL, NULL));
  const char *dir = mpath("store");
  CHECK_OK(ecai_store_save(s, dir));
  ecai_store_free(s);
  CHECK_OK(ecai_store_open(&back, ctx, dir));
  CHECK_OK(ecai_store_update_json(back, "A", "{\"title\":\"Impact driver\",\"price\":80}"));
  CHECK_OK(ecai_store_update_json(back, "A", "{\"brand\":\"Makita\"}")); /* an owned string replaced */
  CHECK_OK(ecai_store_update_json(back, "B", "{\"in_stock\":false}"));
  cat = ecai_store_catalog(back);
  const ecai__product *p = ecai__catalog_product(cat, 0);
  CHECK_STR_EQ(p->title, "Impact driver");
  CHECK_STR_EQ(p->brand, "Makita");
  CHECK(p->price == 80);
  CHECK_INT_EQ(ecai__catalog_product(cat, 1)->in_stock, 0);
  CHECK_STR_EQ(ecai_catalog_title(cat, 2), "Paint roller");
  char *js = NULL;
  CHECK_OK(ecai_store_search(&js, NULL, back, "impact driver", 13, 1));
  CHECK_CONTAINS(js, "\"A\"");
  ecai_free(js);
  /* a second process view: the journal replays onto its own mapped catalog */
  CHECK_OK(ecai_store_open(&again, ctx, dir));
  CHECK_STR_EQ(ecai_catalog_title(ecai_store_catalog(again), 0), "Impact driver");
  ecai_store_free(again);
  ecai_store_free(back);
  ecai_ctx_free(ctx);
}

TEST(catalog_layout1_still_opens) {
  ecai_ctx *ctx = mctx();
  ecai_catalog *cat = sample(ctx), *back = NULL;
  ecai__buf b = {0};
  ecai__catalog_write_v1(cat, &b);
  CHECK(!b.oom);
  const char *p = mpath("v1.bin");
  CHECK_OK(ecai__blob_write(p, "ECAICAT", b.data, b.len, NULL));
  ecai__buf_free(&b);
  CHECK(!payload_is_mapped(p));
  CHECK_OK(ecai_catalog_open(&back, ctx, p));
  check_same(cat, back);
  upsert(back, "{\"id\":\"S-2\",\"title\":\"Claw hammer\"}");
  CHECK_STR_EQ(ecai_catalog_title(back, 1), "Claw hammer");
  ecai_catalog_free(back);
  /* the committed store of an earlier version */
  ecai_catalog *fix = NULL;
  CHECK_OK(ecai_catalog_open(&fix, ctx, ecai_test_fixture("store_v1/catalog.bin")));
  CHECK(ecai_catalog_count(fix) > 0);
  int64_t id = -1;
  CHECK_OK(ecai_catalog_next(&id, fix, -1));
  CHECK_OK(ecai_catalog_id(&id, fix, ecai_catalog_sku(fix, id)));
  ecai_catalog_free(fix);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

/* ---- damaged payloads (valid checksums, broken structure) ------------------------------ */

static uint64_t rd64(const char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | (unsigned char)p[i];
  return v;
}
static uint32_t rd32(const char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | (unsigned char)p[i];
  return v;
}
static void wr32(char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}
static void wr64(char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (char)(v >> (8 * i));
}

/* Reads a damaged copy of payload (len bytes) that edit changed: ECAI_ECORRUPT; also
 * written as a file with a valid checksum: ECAI_ECORRUPT naming the file. */
static void check_damaged(ecai_ctx *ctx, const char *payload, size_t len, size_t newlen,
                          void (*edit)(char *d, size_t len), const char *why) {
  char *d = malloc(len + 8);
  memcpy(d, payload, len);
  if (edit) edit(d, len);
  ecai_catalog *c = (ecai_catalog *)1;
  CHECK_STATUS(ecai__catalog_read(&c, ctx, d, newlen), ECAI_ECORRUPT);
  CHECK(c == NULL);
  CHECK_CONTAINS(ecai_last_error(), why);
  const char *p = mpath("damaged.bin");
  CHECK_OK(ecai__blob_write(p, "ECAICAT", d, newlen, NULL));
  CHECK_STATUS(ecai_catalog_open(&c, ctx, p), ECAI_ECORRUPT);
  CHECK_CONTAINS(ecai_last_error(), p);
  CHECK_CONTAINS(ecai_last_error(), why);
  free(d);
}

#define HEAD 40
#define REC 48
static size_t g_n, g_tsize, g_plen; /* of the sample's payload */
static size_t tab_off(void) { return HEAD + g_n * REC; }
static void e_offset(char *d, size_t len) { wr32(d + HEAD + REC + 4, (uint32_t)g_plen); } /* slot 1 title */
static void e_pool_end(char *d, size_t len) { d[len - 1] = 'x'; }
static void e_tab_id(char *d, size_t len) {
  for (size_t h = 0; h < g_tsize; h++)
    if (rd32(d + tab_off() + 4 * h) != UINT32_MAX) { wr32(d + tab_off() + 4 * h, (uint32_t)g_n); return; }
}
static void e_tab_dead(char *d, size_t len) {
  for (size_t h = 0; h < g_tsize; h++)
    if (rd32(d + tab_off() + 4 * h) == UINT32_MAX) { wr32(d + tab_off() + 4 * h, 3); return; } /* slot 3: removed */
}
static void e_tsize(char *d, size_t len) { wr64(d + 24, g_tsize - 1); }
static void e_flags(char *d, size_t len) { wr32(d + HEAD + 28, 7); } /* stock + 1 = 3 */
static void e_live(char *d, size_t len) { wr64(d + 16, rd64(d + 16) - 1); }
static void e_no_title(char *d, size_t len) { wr32(d + HEAD + 4, UINT32_MAX); }
static void e_slots(char *d, size_t len) { wr64(d + 8, UINT64_MAX / 2); }

TEST(catalog_mapped_damaged_is_ecorrupt) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  ecai_test_skip("the mapped layout is written on little-endian hosts only");
#endif
  ecai_ctx *ctx = mctx();
  ecai_catalog *cat = sample(ctx);
  ecai__buf b = {0};
  ecai__catalog_write(cat, &b);
  CHECK(!b.oom && b.len > HEAD);
  g_n = rd64(b.data + 8);
  g_tsize = rd64(b.data + 24);
  g_plen = rd64(b.data + 32);
  CHECK_INT_EQ(g_n, 5);
  CHECK_INT_EQ(b.len, HEAD + g_n * REC + 4 * g_tsize + g_plen);
  check_damaged(ctx, b.data, b.len, b.len - 1, NULL, "sizes");          /* truncated payload */
  check_damaged(ctx, b.data, b.len, HEAD - 3, NULL, "sizes");           /* truncated header */
  check_damaged(ctx, b.data, b.len, b.len, e_offset, "string offset out of range");
  check_damaged(ctx, b.data, b.len, b.len, e_pool_end, "string pool not terminated");
  check_damaged(ctx, b.data, b.len, b.len, e_tab_id, "SKU table");
  check_damaged(ctx, b.data, b.len, b.len, e_tab_dead, "SKU table");
  check_damaged(ctx, b.data, b.len, b.len, e_tsize, "sizes");
  check_damaged(ctx, b.data, b.len, b.len, e_flags, "product flags");
  check_damaged(ctx, b.data, b.len, b.len, e_live, "live product count");
  check_damaged(ctx, b.data, b.len, b.len, e_no_title, "without SKU or title");
  check_damaged(ctx, b.data, b.len, b.len, e_slots, "sizes");
  /* every truncation and every single-byte change: a status, never a crash, and what
   * opens reads only inside the payload (every product's strings walked) */
  char *d = malloc(b.len);
  for (size_t cut = 0; cut < b.len; cut++) {
    ecai_catalog *c = NULL;
    CHECK_STATUS(ecai__catalog_read(&c, ctx, b.data, cut), ECAI_ECORRUPT);
  }
  for (size_t i = 0; i < b.len; i++) {
    memcpy(d, b.data, b.len);
    d[i] ^= (char)(0x5A + i);
    ecai_catalog *c = NULL;
    ecai_status st = ecai__catalog_read(&c, ctx, d, b.len);
    CHECK(st == ECAI_OK || st == ECAI_ECORRUPT);
    for (int64_t id = -1; c && ecai_catalog_next(&id, c, id) == ECAI_OK;) {
      char *js = NULL;
      ecai_status g = ecai_catalog_get_json(&js, NULL, c, ecai_catalog_sku(c, id));
      /* a damaged SKU table may not find it; damaged text is refused */
      CHECK(g == ECAI_OK || g == ECAI_ENOTFOUND || g == ECAI_ECORRUPT);
      ecai_free(js);
    }
    ecai_catalog_free(c);
  }
  free(d);
  /* a truncated catalog.bin in a store folder: the message names the file */
  ecai_store *s = NULL;
  CHECK_OK(ecai_store_new(&s, ctx));
  upsert(ecai_store_catalog(s), "{\"id\":\"A\",\"title\":\"Drill\"}");
  CHECK_OK(ecai_store_build(NULL, s, 0, NULL, NULL));
  const char *dir = mpath("st");
  CHECK_OK(ecai_store_save(s, dir));
  ecai_store_free(s);
  char cp[1100];
  snprintf(cp, sizeof cp, "%s/catalog.bin", dir);
  struct stat sb;
  CHECK(stat(cp, &sb) == 0 && truncate(cp, sb.st_size - 9) == 0);
  CHECK_STATUS(ecai_store_open(&s, ctx, dir), ECAI_ECORRUPT);
  CHECK_CONTAINS(ecai_last_error(), "catalog.bin");
  ecai__buf_free(&b);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}
