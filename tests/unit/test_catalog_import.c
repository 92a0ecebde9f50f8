/* Catalog import never loses rows silently (issue 22): unterminated quotes, size limits,
 * the load report. */
#include <stdlib.h>

#include <jansson.h>

#include "core/internal.h"
#include "harness.h"

static ecai_ctx *ctxj(const char *json) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, json, json ? strlen(json) : 0)) return NULL;
  return c;
}

static const char *tmpf(const char *name, const char *content, size_t len) {
  static char p[4][1024];
  static int i;
  char *r = p[i++ & 3];
  snprintf(r, 1024, "%s/%s", ecai_test_tmpdir(), name);
  FILE *f = fopen(r, "wb");
  fwrite(content, 1, len, f);
  fclose(f);
  return r;
}
#define TMP(name, lit) tmpf(name, lit, sizeof lit - 1)

/* The load report, parsed; the caller frees it with json_decref. */
static json_t *report(const ecai_catalog *cat) {
  char *js = NULL;
  size_t n = 0;
  if (ecai_catalog_load_report_json(&js, &n, cat) != ECAI_OK) return NULL;
  json_t *r = json_loadb(js, n, 0, NULL);
  ecai_free(js);
  return r;
}

static long rep_int(json_t *r, const char *key) { return (long)json_integer_value(json_object_get(r, key)); }
static long rep_why(json_t *r, const char *reason) {
  return (long)json_integer_value(json_object_get(json_object_get(r, "skipped_by_reason"), reason));
}

static const char *title_of(const ecai_catalog *cat, const char *sku) {
  int64_t id;
  return ecai_catalog_id(&id, cat, sku) == ECAI_OK ? ecai_catalog_title(cat, id) : NULL;
}

TEST(catalog_unterminated_quote_strict_names_the_start_line) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  const char *seed = "{\"id\":\"keep\",\"title\":\"kept\"}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, cat, seed, strlen(seed)));
  const char *p = TMP("open.csv", "id,title\n1,\"unterminated\n2,ok\n");
  size_t loaded = 9, skipped = 9;
  CHECK_STATUS(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_AUTO, NULL, 0), ECAI_EPARSE);
  char want[1200];
  snprintf(want, sizeof want, "%s:2: unterminated quoted field starting here", p);
  CHECK_STR_EQ(ecai_last_error(), want);
  CHECK_INT_EQ(loaded, 0);
  CHECK_INT_EQ(ecai_catalog_count(cat), 1); /* all or nothing */
  /* the line named is where the record starts, not the end of the file */
  p = TMP("open2.csv", "id,title\n1,a\n2,\"opens here\nmore\nand more\n");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "open2.csv:3: unterminated quoted field starting here");
  /* a header that never closes its quote is an error even in lenient mode */
  p = TMP("open3.csv", "id,\"title\n1,a\n");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "open3.csv:1: unterminated quoted field starting here");
  CHECK_INT_EQ(ecai_catalog_count(cat), 1);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_unterminated_quote_lenient_skips_and_reads_the_rest_again) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  const char *p = TMP("open.csv", "id,title\n1,\"unterminated\n2,ok\n");
  size_t loaded = 0, skipped = 0;
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_AUTO, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 1);
  CHECK_INT_EQ(skipped, 1);
  CHECK(title_of(cat, "1") == NULL);
  CHECK_STR_EQ(title_of(cat, "2"), "ok"); /* not swallowed into product 1's title */
  json_t *r = report(cat);
  CHECK(r != NULL);
  CHECK_INT_EQ(rep_int(r, "read"), 2);
  CHECK_INT_EQ(rep_int(r, "loaded"), 1);
  CHECK_INT_EQ(rep_int(r, "skipped"), 1);
  CHECK_INT_EQ(rep_why(r, "unterminated_quote"), 1);
  CHECK_INT_EQ(rep_why(r, "malformed_row"), 0);
  CHECK_CONTAINS(json_string_value(json_object_get(r, "first_skip")), "open.csv:2: unterminated quoted field starting here");
  json_decref(r);
  /* a stray quote further down ends the swallowing record early: the lines after its
   * first line are read again, so rows 3 and 4 load and only the broken row is lost */
  p = TMP("stray.csv", "id,title\n1,one\n2,\"open\n3,three\n4,\"four\"\n");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "stray.csv:3: record starting here runs into malformed CSV on line 5 (is a closing quote missing?)");
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 3);
  CHECK_INT_EQ(skipped, 1);
  CHECK_STR_EQ(title_of(cat, "3"), "three");
  CHECK_STR_EQ(title_of(cat, "4"), "four");
  r = report(cat);
  CHECK_INT_EQ(rep_why(r, "malformed_row"), 1);
  json_decref(r);
  /* an invalid UTF-8 line inside the re-read part is counted once, not twice */
  p = TMP("utf.csv", "id,title\n1,\"open\n2,b\xff\n3,ok\n");
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 1);
  CHECK_INT_EQ(skipped, 2);
  r = report(cat);
  CHECK_INT_EQ(rep_why(r, "invalid_utf8"), 1);
  CHECK_INT_EQ(rep_why(r, "unterminated_quote"), 1);
  json_decref(r);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_quoted_fields_spanning_lines_still_load) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  const char *p = TMP("multi.csv", "id,title,description\r\n1,\"two\nline title\",\"says \"\"hi\"\"\r\nand more\"\r\n"
                                   "2,ok,\r\n3,\"last, no newline\",\"x\ny\"");
  size_t loaded = 0, skipped = 9;
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_AUTO, NULL, 0));
  CHECK_INT_EQ(loaded, 3);
  CHECK_INT_EQ(skipped, 0);
  CHECK_STR_EQ(title_of(cat, "1"), "two\nline title");
  CHECK_STR_EQ(title_of(cat, "2"), "ok");
  CHECK_STR_EQ(title_of(cat, "3"), "last, no newline");
  char *js = NULL;
  CHECK_OK(ecai_catalog_get_json(&js, NULL, cat, "1"));
  CHECK_CONTAINS(js, "says \\\"hi\\\"\\r\\nand more");
  ecai_free(js);
  /* an error in a record spanning lines names the line the record starts on */
  p = TMP("multibad.csv", "id,title,price\n1,\"a\nb\",abc\n");
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "multibad.csv:2: product '1': bad price 'abc'");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_tsv_has_no_quoting_so_a_quote_swallows_nothing) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  size_t loaded = 0;
  CHECK_OK(ecai_catalog_load(&loaded, NULL, cat, TMP("q.tsv", "id\ttitle\n1\t\"unterminated\n2\tok\n"),
                             ECAI_CATALOG_AUTO, NULL, 0));
  CHECK_INT_EQ(loaded, 2);
  CHECK_STR_EQ(title_of(cat, "1"), "\"unterminated");
  CHECK_STR_EQ(title_of(cat, "2"), "ok");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

/* a CSV file with a `len`-byte title on line 3, quoted and spread over lines when `lines` */
static const char *big_csv(const char *name, size_t len, int lines) {
  size_t cap = len + 256;
  char *b = malloc(cap);
  size_t n = (size_t)snprintf(b, cap, "id,title,brand\n1,small,B\n2,%s", lines ? "\"" : "");
  for (size_t i = 0; i < len; i++) b[n++] = lines && i % 80 == 79 ? '\n' : 'x';
  n += (size_t)snprintf(b + n, cap - n, "%s,B\n3,fine,B\n", lines ? "\"" : "");
  const char *p = tmpf(name, b, n);
  free(b);
  return p;
}

TEST(catalog_field_and_record_limits_csv_tsv) {
  ecai_ctx *ctx = ctxj("{\"catalog\":{\"max_field_bytes\":1000,\"max_record_bytes\":1500}}");
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  /* fits: exactly at the limit */
  size_t loaded = 0, skipped = 0;
  CHECK_OK(ecai_catalog_load(&loaded, NULL, cat, big_csv("fit.csv", 1000, 0), ECAI_CATALOG_CSV, NULL, 0));
  CHECK_INT_EQ(loaded, 3);
  /* one byte over, a short field (checked when it ends) and a long quoted one spanning
   * lines (checked while libcsv reads it, beyond its 64 KiB chunks) */
  const char *files[2] = {big_csv("over.csv", 1001, 0), big_csv("overq.csv", 300000, 1)};
  for (int i = 0; i < 2; i++) {
    CHECK_STATUS(ecai_catalog_load(&loaded, NULL, cat, files[i], ECAI_CATALOG_CSV, NULL, 0), ECAI_EPARSE);
    CHECK_CONTAINS(ecai_last_error(), i ? "overq.csv:3: " : "over.csv:3: ");
    CHECK_CONTAINS(ecai_last_error(), "field in column 2 (title) is larger than catalog.max_field_bytes (1000 bytes)");
    CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, files[i], ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT));
    CHECK_INT_EQ(loaded, 2);
    CHECK_INT_EQ(skipped, 1);
    CHECK_STR_EQ(title_of(cat, "3"), "fine"); /* the record after the discarded one */
    json_t *r = report(cat);
    CHECK_INT_EQ(rep_why(r, "field_too_large"), 1);
    CHECK_INT_EQ(rep_int(r, "read"), 3);
    json_decref(r);
  }
  /* a record whose fields add up to more than max_record_bytes */
  char row[4000];
  snprintf(row, sizeof row, "id,title,brand\n1,%0900d,%0700d\n2,ok,B\n", 1, 2);
  const char *p = tmpf("rec.csv", row, strlen(row));
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "rec.csv:2: record is larger than catalog.max_record_bytes (1500 bytes) at column 3 (brand)");
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 1);
  json_t *r = report(cat);
  CHECK_INT_EQ(rep_why(r, "record_too_large"), 1);
  json_decref(r);
  /* TSV: the same limits */
  snprintf(row, sizeof row, "id\ttitle\n1\tok\n2\t%01200d\n3\tfine\n", 7);
  p = tmpf("big.tsv", row, strlen(row));
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_AUTO, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "big.tsv:3: field in column 2 (title) is larger than catalog.max_field_bytes (1000 bytes)");
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_AUTO, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 2);
  CHECK_INT_EQ(skipped, 1);
  /* a header field over the limit fails in lenient mode too */
  snprintf(row, sizeof row, "id,title,%01100d\n1,a,b\n", 3);
  p = tmpf("hdr.csv", row, strlen(row));
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "hdr.csv:1: field in header column 3 is larger than");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_field_and_record_limits_jsonl) {
  ecai_ctx *ctx = ctxj("{\"catalog\":{\"max_field_bytes\":100,\"max_record_bytes\":400}}");
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  char buf[2000];
  snprintf(buf, sizeof buf,
           "{\"id\":\"1\",\"title\":\"ok\"}\n{\"id\":\"2\",\"title\":\"%0101d\"}\n"
           "{\"id\":\"3\",\"title\":\"t\",\"attributes\":{\"a\":\"%0150d\",\"b\":\"%0150d\",\"c\":\"%0150d\"}}\n"
           "{\"id\":\"4\",\"title\":\"fine\"}\n",
           5, 1, 2, 3);
  const char *p = tmpf("big.jsonl", buf, strlen(buf));
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_AUTO, NULL, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "big.jsonl:2: field 'title' is larger than catalog.max_field_bytes (100 bytes)");
  size_t loaded = 0, skipped = 0;
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_AUTO, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 2);
  CHECK_INT_EQ(skipped, 2);
  json_t *r = report(cat);
  CHECK_INT_EQ(rep_why(r, "field_too_large"), 1);
  CHECK_INT_EQ(rep_why(r, "record_too_large"), 1);
  json_decref(r);
  /* the same field limit holds for a single upsert */
  snprintf(buf, sizeof buf, "{\"id\":\"9\",\"title\":\"%0101d\"}", 5);
  CHECK_STATUS(ecai_catalog_upsert_json(NULL, cat, buf, strlen(buf)), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "field 'title' is larger than catalog.max_field_bytes");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
  /* a limit below 1 is refused */
  ctx = ctxj("{\"catalog\":{\"max_field_bytes\":0}}");
  CHECK(ctx != NULL);
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_AUTO, NULL, 0), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "catalog.max_field_bytes must be at least 1");
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_load_report_counts_every_reason) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_catalog *cat = NULL;
  CHECK_OK(ecai_catalog_new(&cat, ctx));
  json_t *r = report(cat); /* before any load: zeros, every reason present */
  CHECK(r != NULL);
  CHECK_INT_EQ(rep_int(r, "read"), 0);
  CHECK_INT_EQ(json_object_size(json_object_get(r, "skipped_by_reason")), 6);
  CHECK(json_is_null(json_object_get(r, "first_skip")));
  json_decref(r);
  const char *p = TMP("mixed.csv", "id,title,price\n1,a,1\n2,b\n3,,1\n4,c,x\n5,d\xff,1\n6,e,2\n7,\"f\n");
  size_t loaded = 0, skipped = 0;
  CHECK_OK(ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT));
  CHECK_INT_EQ(loaded, 2);
  CHECK_INT_EQ(skipped, 5);
  r = report(cat);
  CHECK_INT_EQ(rep_int(r, "read"), 7);
  CHECK_INT_EQ(rep_int(r, "loaded"), 2);
  CHECK_INT_EQ(rep_int(r, "skipped"), 5);
  CHECK_INT_EQ(rep_why(r, "malformed_row"), 1);
  CHECK_INT_EQ(rep_why(r, "bad_value"), 2);
  CHECK_INT_EQ(rep_why(r, "invalid_utf8"), 1);
  CHECK_INT_EQ(rep_why(r, "unterminated_quote"), 1);
  CHECK_CONTAINS(json_string_value(json_object_get(r, "first_skip")), "mixed.csv:3: expected 3 fields, got 2");
  json_decref(r);
  /* a failed load resets the report */
  CHECK_STATUS(ecai_catalog_load(NULL, NULL, cat, p, ECAI_CATALOG_CSV, NULL, 0), ECAI_EPARSE);
  r = report(cat);
  CHECK_INT_EQ(rep_int(r, "skipped"), 0);
  CHECK_INT_EQ(rep_why(r, "bad_value"), 0);
  json_decref(r);
  CHECK_STATUS(ecai_catalog_load_report_json(NULL, NULL, cat), ECAI_EINVAL);
  char *js = (char *)1;
  CHECK_STATUS(ecai_catalog_load_report_json(&js, NULL, NULL), ECAI_EINVAL);
  CHECK(js == NULL);
  ecai_catalog_free(cat);
  ecai_ctx_free(ctx);
}

TEST(catalog_lenient_rereads_survive_allocation_failures) {
  ecai_ctx *ctx = ctxj("{\"catalog\":{\"max_field_bytes\":50}}");
  const char *p = TMP("fa.csv", "id,title\n1,a\n2,\"open\n3,b\n4,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
  int ok = 0;
  for (long n = 0; n < 3000 && !ok; n++) {
    ecai_catalog *cat = NULL;
    CHECK_OK(ecai_catalog_new(&cat, ctx));
    ecai__test_fail_alloc_after(n);
    size_t loaded = 0, skipped = 0;
    ecai_status st = ecai_catalog_load(&loaded, &skipped, cat, p, ECAI_CATALOG_CSV, NULL, ECAI_CATALOG_LENIENT);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "n=%ld: %d %s", n, (int)st, ecai_last_error());
    CHECK_INT_EQ(ecai_catalog_count(cat), st == ECAI_OK ? 2 : 0);
    if (st == ECAI_OK) CHECK_INT_EQ(skipped, 2);
    ok = st == ECAI_OK;
    ecai_catalog_free(cat);
  }
  CHECK(ok);
  ecai_ctx_free(ctx);
}
