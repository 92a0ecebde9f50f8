/* Text (tokenizer) and catalog (loaders, ids, hashes, persistence). */
#include <glob.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "catalog/catalog_internal.h"
#include "harness.h"
#include "text/text.h"

static char *tok_join(const char *s, unsigned flags) {
  static char out[512];
  ecai__tokenizer *t = NULL;
  ecai__tokens k = {0};
  if (ecai__tokenizer_new(&t) || ecai__tokenize(t, s, strlen(s), flags, &k)) {
    ecai__tokenizer_free(t);
    ecai__tokens_free(&k);
    return NULL;
  }
  out[0] = 0;
  for (size_t i = 0; i < k.n; i++) {
    if (i) strcat(out, " ");
    strcat(out, k.text + k.off[i]);
  }
  ecai__tokens_free(&k);
  ecai__tokenizer_free(t);
  return out;
}

TEST(text_normalize_nfkc_casefold) {
  char *o = NULL;
  size_t n = 0;
  CHECK_OK(ecai__text_normalize("\xEF\xBC\xA1\xEF\xBC\xA2" "C Stra\xC3\x9F" "e \xEF\xAC\x81le", 21, &o, &n));
  CHECK_STR_EQ(o, "abc strasse file");
  CHECK_INT_EQ(n, strlen(o));
  ecai__free(o);
  CHECK_STATUS(ecai__text_normalize("ab\xC3(", 4, &o, &n), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "byte 2");
  CHECK(o == NULL);
}

TEST(text_tokenizer_units_numbers_stems) {
  CHECK_STR_EQ(tok_join("Hammer 16oz", 0), "hammer 16 oz");
  CHECK_STR_EQ(tok_join("60\" TV", 0), "60 in tv");
  CHECK_STR_EQ(tok_join("1/2 in. Copper Pipe, 10 Feet", 0), "1/2 in copper pipe 10 ft");
  CHECK_STR_EQ(tok_join("60 inch vanity", 0), "60 in vanity");
  CHECK_STR_EQ(tok_join("1,000 Watts", 0), "1000 w");
  CHECK_STR_EQ(tok_join("The 3-Seat Sofas in grey", ECAI__TOKF_STEM | ECAI__TOKF_STOP), "3 seat sofa grey");
  CHECK_STR_EQ(tok_join("running lights", ECAI__TOKF_STEM), "run light");
  CHECK_STR_EQ(tok_join("model SC141 r-13", 0), "model sc141 r 13");
  CHECK_STR_EQ(tok_join("", 0), "");
  CHECK_STR_EQ(tok_join("\xC3\x89tag\xC3\xA8re", 0), "\xC3\xA9tag\xC3\xA8re");
}

TEST(text_tokenizer_rejects_invalid_utf8_with_offset) {
  ecai__tokenizer *t = NULL;
  ecai__tokens k = {0};
  CHECK_OK(ecai__tokenizer_new(&t));
  CHECK_STATUS(ecai__tokenize(t, "good \xFF bad", 10, 0, &k), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "invalid UTF-8 at byte 5");
  ecai__tokens_free(&k);
  ecai__tokenizer_free(t);
}

/* ---- catalog ---------------------------------------------------------------------------- */

static ecai_ctx *ctx0(void) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, NULL, 0)) return NULL;
  return c;
}

static const char *data_path(const char *name) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/tests/data/%s", ecai_test_root(), name);
  return p;
}

static const char *tmp_file(const char *name, const char *content) {
  static char p[4][1024];
  static int i;
  char *r = p[i++ & 3];
  snprintf(r, 1024, "%s/%s", ecai_test_tmpdir(), name);
  if (content) {
    FILE *f = fopen(r, "wb");
    fputs(content, f);
    fclose(f);
  }
  return r;
}

TEST(catalog_load_csv_with_mapping) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL;
  size_t loaded = 0, skipped = 9;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, data_path("catalog_small.csv"), ECAI_CATALOG_AUTO,
                             "id=sku,title=name,description=desc,category=cat", 0));
  CHECK_INT_EQ(loaded, 5);
  CHECK_INT_EQ(skipped, 0);
  CHECK_INT_EQ(ecai_catalog_count(cat), 5);
  char *js = NULL;
  CHECK_OK(ecai_catalog_get_json(&js, NULL, cat, "A-3"));
  CHECK_CONTAINS(js, "\"title\":\"LED bulb 60W \\\"warm white\\\"\"");
  CHECK_CONTAINS(js, "\"in_stock\":false");
  CHECK_CONTAINS(js, "\"price\":4.99");
  CHECK_CONTAINS(js, "\"category\":\"Lighting > Bulbs\"");
  ecai_free(js);
  CHECK_OK(ecai_catalog_get_json(&js, NULL, cat, "A-1"));
  CHECK_CONTAINS(js, "\"attributes\":{\"color\":\"grey\"}"); /* unmapped column */
  CHECK_CONTAINS(js, "\"title\":\"Grey 3-seat sofa, linen\"");
  ecai_free(js);
  CHECK_STATUS(ecai_catalog_get_json(&js, NULL, cat, "nope"), ECAI_ENOTFOUND);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_header_autodetect_tsv_and_jsonl) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL;
  size_t loaded = 0;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_OK(ecai_catalog_load(&loaded, NULL, cat, data_path("catalog_small.tsv"), ECAI_CATALOG_AUTO, NULL, 0));
  CHECK_INT_EQ(loaded, 3);
  CHECK_STR_EQ(ecai_catalog_title(cat, 2), "1/2 in. copper pipe 10 ft");
  CHECK_OK(ecai_catalog_load(&loaded, NULL, cat, data_path("catalog_small.jsonl"), ECAI_CATALOG_JSONL, NULL, 0));
  CHECK_INT_EQ(loaded, 3);
  CHECK_INT_EQ(ecai_catalog_count(cat), 6);
  char *js = NULL;
  CHECK_OK(ecai_catalog_get_json(&js, NULL, cat, "42")); /* integer id */
  CHECK_CONTAINS(js, "\"brand\":\"Hunter\"");
  ecai_free(js);
  CHECK_OK(ecai_catalog_get_json(&js, NULL, cat, "J-3"));
  CHECK_CONTAINS(js, "\"material\":\"foam\"");
  ecai_free(js);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_gzip_input) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL;
  const char *p = tmp_file("c.tsv.gz", NULL);
  gzFile gz = gzopen(p, "wb");
  gzputs(gz, "id\tname\tprice\nG1\tGzipped widget\t3.5\nG2\tSecond widget\t\n");
  gzclose(gz);
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  size_t loaded = 0;
  CHECK_OK(ecai_catalog_load(&loaded, NULL, cat, p, ECAI_CATALOG_AUTO, NULL, 0));
  CHECK_INT_EQ(loaded, 2);
  int64_t id;
  CHECK_OK(ecai_catalog_id(&id, cat, "G2"));
  CHECK_STR_EQ(ecai_catalog_title(cat, id), "Second widget");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_strict_fails_with_line_and_leaves_catalog_unchanged) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_OK(ecai_catalog_load(NULL, NULL, cat, data_path("catalog_small.tsv"), ECAI_CATALOG_AUTO, NULL, 0));
  const char *bad = tmp_file("bad.csv", "id,title,price\n1,Changed title,1\nX2,ok,2\nX3,bad price,abc\nX4,\"unterminated\n");
  size_t loaded = 7, skipped = 7;
  CHECK_STATUS(ecai_catalog_load(&loaded, &skipped, cat, bad, ECAI_CATALOG_AUTO, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "bad.csv:4:");
  CHECK_CONTAINS(ecai_last_error(), "bad price");
  CHECK_INT_EQ(loaded, 0);
  CHECK_INT_EQ(ecai_catalog_count(cat), 3);
  int64_t id;
  CHECK_OK(ecai_catalog_id(&id, cat, "1"));
  CHECK_STR_EQ(ecai_catalog_title(cat, id), "Hammer 16 oz"); /* not "Changed title" */
  CHECK_STATUS(ecai_catalog_id(&id, cat, "X2"), ECAI_ENOTFOUND);
  /* lenient: skip and count */
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, bad, ECAI_CATALOG_AUTO, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 2);
  CHECK_INT_EQ(skipped, 2);
  CHECK_OK(ecai_catalog_id(&id, cat, "1"));
  CHECK_STR_EQ(ecai_catalog_title(cat, id), "Changed title");
  /* wrong field count, invalid UTF-8 with byte offset */
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, tmp_file("f.tsv", "id\ttitle\n1\ta\tb\n"), ECAI_CATALOG_AUTO, NULL, 0),
               ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "f.tsv:2: expected 2 fields, got 3");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, tmp_file("u.tsv", "id\ttitle\n1\tok\n2\tb\xC3\x28\n"),
                                 ECAI_CATALOG_AUTO, NULL, 0),
               ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "u.tsv:3: invalid UTF-8 at byte 17");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, tmp_file("j.jsonl", "{\"id\":1,\"title\":\"x\"}\n{\"id\":2,\n"),
                                 ECAI_CATALOG_AUTO, NULL, 0),
               ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "j.jsonl:2:");
  CHECK_INT_EQ(ecai_catalog_count(cat), 4);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_bad_mapping_and_missing_columns) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, data_path("catalog_small.csv"), ECAI_CATALOG_AUTO, "colour=x", 0),
               ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "unknown field 'colour'");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, tmp_file("nt.csv", "sku,label\n1,x\n"), ECAI_CATALOG_AUTO, NULL, 0),
               ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "no title column");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, data_path("catalog_small.csv"), ECAI_CATALOG_AUTO, "title=nope", 0),
               ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "column 'nope'");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, tmp_file("none.csv", NULL), ECAI_CATALOG_AUTO, NULL, 0), ECAI_EIO);
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, "x.unknown", ECAI_CATALOG_AUTO, NULL, 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, NULL, "x.csv", ECAI_CATALOG_AUTO, NULL, 0), ECAI_EINVAL);
  CHECK_INT_EQ(ecai_catalog_count(cat), 0);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_upsert_remove_iterate_hash) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL;
  int64_t a, b, c;
  uint64_t h1, h2, h3;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  const char *p1 = "{\"id\":\"S1\",\"title\":\"Red chair\",\"price\":10}";
  CHECK_OK(ecai_catalog_upsert_json(&a, cat, p1, strlen(p1)));
  const char *p2 = "{\"id\":\"S2\",\"title\":\"Blue table\"}";
  CHECK_OK(ecai_catalog_upsert_json(&b, cat, p2, strlen(p2)));
  CHECK_INT_EQ(a, 0);
  CHECK_INT_EQ(b, 1);
  CHECK_OK(ecai_catalog_content_hash(&h1, cat, a));
  const char *p1b = "{\"id\":\"S1\",\"title\":\"Red chair\",\"price\":12}"; /* price only */
  CHECK_OK(ecai_catalog_upsert_json(&c, cat, p1b, strlen(p1b)));
  CHECK_INT_EQ(c, a);
  CHECK_OK(ecai_catalog_content_hash(&h2, cat, a));
  CHECK(h1 == h2);
  const char *p1c = "{\"id\":\"S1\",\"title\":\"Red armchair\"}";
  CHECK_OK(ecai_catalog_upsert_json(&c, cat, p1c, strlen(p1c)));
  CHECK_OK(ecai_catalog_content_hash(&h3, cat, a));
  CHECK(h3 != h1);
  CHECK_INT_EQ(ecai_catalog_count(cat), 2);
  CHECK_OK(ecai_catalog_remove(cat, "S1"));
  CHECK_STATUS(ecai_catalog_remove(cat, "S1"), ECAI_ENOTFOUND);
  CHECK(ecai_catalog_sku(cat, a) == NULL);
  CHECK_OK(ecai_catalog_upsert_json(&c, cat, p1, strlen(p1)));
  CHECK_INT_EQ(c, 2); /* a removed id is not reused */
  int64_t it = -1;
  int seen = 0;
  while (ecai_catalog_next(&it, cat, it) == ECAI_OK) seen++;
  CHECK_INT_EQ(seen, 2);
  char *txt = NULL;
  CHECK_OK(ecai_catalog_text(&txt, NULL, cat, b));
  CHECK_STR_EQ(txt, "Blue table");
  ecai_free(txt);
  CHECK_STATUS(ecai_catalog_upsert_json(NULL, cat, "{\"title\":\"x\"}", 13), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "empty product id");
  CHECK_STATUS(ecai_catalog_upsert_json(NULL, cat, "{\"id\":", 6), ECAI_EPARSE);
  const char *p3 = "{\"id\":\"q\",\"title\":\"x\",\"price\":\"cheap\"}";
  CHECK_STATUS(ecai_catalog_upsert_json(NULL, cat, p3, strlen(p3)), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "bad price");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_upsert_survives_allocation_failures) {
  ecai_ctx *ctx = ctx0();
  const char *p = "{\"id\":\"S1\",\"title\":\"Red chair\",\"attributes\":{\"a\":1}}";
  int ok = 0;
  for (long n = 0; n < 200 && !ok; n++) {
    ecai_catalog *cat = NULL;
    CHECK_OK(ecai_catalog_new(&cat, ctx));
    ecai__test_fail_alloc_after(n);
    ecai_status st = ecai_catalog_upsert_json(NULL, cat, p, strlen(p));
    ecai__test_fail_alloc_after(-1);
    CHECK(st == ECAI_OK || st == ECAI_ENOMEM);
    CHECK_INT_EQ(ecai_catalog_count(cat), st == ECAI_OK ? 1 : 0);
    ecai_catalog_free(cat);
    ok = st == ECAI_OK;
  }
  CHECK(ok); /* a success was reached within the budget */
  ecai_ctx_free(ctx);
}

static void flip_byte(const char *path, long off) {
  FILE *f = fopen(path, "r+b");
  fseek(f, off, off < 0 ? SEEK_END : SEEK_SET);
  int c = fgetc(f);
  fseek(f, -1, SEEK_CUR);
  fputc(c ^ 0x10, f);
  fclose(f);
}

TEST(catalog_save_open_and_corruption) {
  ecai_ctx *ctx = ctx0();
  ecai_catalog *cat = NULL, *back = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_OK(ecai_catalog_load(NULL, NULL, cat, data_path("catalog_small.csv"), ECAI_CATALOG_AUTO,
                             "id=sku,title=name,description=desc,category=cat", 0));
  CHECK_OK(ecai_catalog_remove(cat, "A-2"));
  const char *p = tmp_file("cat.bin", NULL);
  CHECK_OK(ecai_catalog_save(cat, p));
  CHECK_OK(ecai_catalog_open(&back, ctx, p));
  CHECK_INT_EQ(ecai_catalog_count(back), 4);
  int64_t id;
  CHECK_OK(ecai_catalog_id(&id, back, "A-4"));
  CHECK_INT_EQ(id, 3); /* ids survive */
  char *j1 = NULL, *j2 = NULL;
  CHECK_OK(ecai_catalog_get_json(&j1, NULL, cat, "A-1"));
  CHECK_OK(ecai_catalog_get_json(&j2, NULL, back, "A-1"));
  CHECK_STR_EQ(j1, j2);
  ecai_free(j1);
  ecai_free(j2);
  ecai_catalog_free(back);
  back = (ecai_catalog *)1;
  /* bit flip in the payload */
  flip_byte(p, -5);
  CHECK_STATUS(ecai_catalog_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK(back == NULL);
  CHECK_CONTAINS(ecai_last_error(), "checksum");
  /* truncation */
  CHECK_OK(ecai_catalog_save(cat, p));
  struct stat sb;
  stat(p, &sb);
  CHECK(truncate(p, sb.st_size - 7) == 0);
  CHECK_STATUS(ecai_catalog_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK(truncate(p, 10) == 0);
  CHECK_STATUS(ecai_catalog_open(&back, ctx, p), ECAI_ECORRUPT);
  /* other format version */
  CHECK_OK(ecai_catalog_save(cat, p));
  flip_byte(p, 8);
  CHECK_STATUS(ecai_catalog_open(&back, ctx, p), ECAI_ECORRUPT);
  CHECK_CONTAINS(ecai_last_error(), "format version");
  CHECK_STATUS(ecai_catalog_open(&back, ctx, tmp_file("missing.bin", NULL)), ECAI_EIO);
  /* no temp file left behind ("<path>.tmp.XXXXXX") */
  char pattern[1100];
  snprintf(pattern, sizeof pattern, "%s.tmp.*", p);
  glob_t g;
  CHECK_INT_EQ(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
  globfree(&g);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_load_is_all_or_nothing_under_allocation_failures) {
  ecai_ctx *ctx = ctx0();
  int ok = 0;
  for (long n = 0; n < 2000 && !ok; n++) {
    ecai_catalog *cat = NULL;
    CHECK_OK(ecai_catalog_new(&cat, ctx));
    const char *p1 = "{\"id\":\"1\",\"title\":\"Old title\"}";
    CHECK_OK(ecai_catalog_upsert_json(NULL, cat, p1, strlen(p1)));
    ecai__test_fail_alloc_after(n);
    ecai_status st = ecai_catalog_load(NULL, NULL, cat, data_path("catalog_small.csv"), ECAI_CATALOG_AUTO,
                                       "id=sku,title=name", 0);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "n=%ld: %d %s", n, (int)st, ecai_last_error());
    CHECK_INT_EQ(ecai_catalog_count(cat), st == ECAI_OK ? 6 : 1);
    int64_t id;
    CHECK_OK(ecai_catalog_id(&id, cat, "1"));
    CHECK_STR_EQ(ecai_catalog_title(cat, id), "Old title");
    ok = st == ECAI_OK;
    ecai_catalog_free(cat);
  }
  CHECK(ok);
  ecai_ctx_free(ctx);
}
