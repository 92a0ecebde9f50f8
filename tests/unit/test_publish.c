/* Published stores: a store opened through a symlink reads one folder, whatever the link does
 * while or after it is opened; its search index comes from that same folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Saves a store (and its search.bin) of the search fixture catalog plus EXTRA products into DIR. */
static void save_version(ecai_ctx *ctx, const char *dir, const char *extra) {
  ecai_store *s = NULL;
  size_t n = 0, sk = 0;
  CHECK_OK(ecai_store_new(&s, ctx));
  CHECK_OK(ecai_catalog_load(&n, &sk, ecai_store_catalog(s), ecai_test_fixture("search_catalog.jsonl"),
                             ECAI_CATALOG_AUTO, NULL, 0));
  if (extra) CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(s), extra, strlen(extra)));
  CHECK_OK(ecai_store_build(NULL, s, 0, NULL, NULL));
  CHECK_OK(ecai_store_save(s, dir));
  ecai_search *e = NULL;
  CHECK_OK(ecai_search_new(&e, s));
  CHECK_OK(ecai_search_save(e, dir));
  ecai_search_free(e);
  ecai_store_free(s);
}

static void point(const char *link, const char *target) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", link);
  unlink(tmp);
  CHECK(symlink(target, tmp) == 0 && rename(tmp, link) == 0);
}

/* Whether product ZZ-1 is among the hits for QUERY, through a search engine opened as the PHP
 * binding does (Search::open($store, $dir) with the path the store was opened as). */
static int finds_zz1(ecai_store *st, const char *dir, const char *query) {
  ecai_search *e = NULL;
  CHECK_OK(ecai_search_open(&e, st, dir));
  char *out = NULL;
  size_t n = 0;
  CHECK_OK(ecai_search_query(&out, &n, e, query, strlen(query), "{\"k\":50}"));
  CHECK_CONTAINS(out, "\"hits\":[{");
  int found = strstr(out, "\"id\":\"ZZ-1\"") != NULL;
  ecai_free(out);
  ecai_search_free(e);
  return found;
}

TEST(publish_link_switch_keeps_each_store_on_its_own_version) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char v1[1024], v2[1024], link[1024];
  snprintf(v1, sizeof v1, "%s/v1", ecai_test_tmpdir());
  snprintf(v2, sizeof v2, "%s/v2", ecai_test_tmpdir());
  snprintf(link, sizeof link, "%s/current", ecai_test_tmpdir());
  save_version(ctx, v1, NULL);
  save_version(ctx, v2, "{\"id\":\"ZZ-1\",\"title\":\"zebra lamp\"}");
  point(link, v1);
  ecai_store *old = NULL, *cur = NULL;
  CHECK_OK(ecai_store_open(&old, ctx, link));
  point(link, v2); /* published while the old store is held */
  CHECK(!finds_zz1(old, link, "zebra lamp")); /* the old store pairs with v1's search.bin */
  CHECK_OK(ecai_store_open(&cur, ctx, link));
  CHECK(finds_zz1(cur, link, "zebra lamp"));
  CHECK_INT_EQ(ecai_catalog_count(ecai_store_catalog(cur)), ecai_catalog_count(ecai_store_catalog(old)) + 1);
  /* the folder named directly (not the link) is read as given: v2's index is refused for v1 */
  ecai_search *e = NULL;
  CHECK_STATUS(ecai_search_open(&e, old, v2), ECAI_ECORRUPT);
  CHECK(e == NULL);
  ecai_store_free(old);
  ecai_store_free(cur);
  ecai_ctx_free(ctx);
}

TEST(publish_link_to_missing_or_damaged_folder_is_an_error) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char link[1024], none[1024];
  snprintf(link, sizeof link, "%s/current", ecai_test_tmpdir());
  snprintf(none, sizeof none, "%s/none", ecai_test_tmpdir());
  point(link, none);
  ecai_store *s = (ecai_store *)1;
  CHECK_STATUS(ecai_store_open(&s, ctx, link), ECAI_EIO);
  CHECK(s == NULL);
  CHECK_CONTAINS(ecai_last_error(), "current");
  ecai_ctx_free(ctx);
}
