/* ecai_search as you type: "prefix": true, the vocabulary expansion, empty prefixes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "search/search_internal.h"

static char *pq(ecai_search *s, const char *text, const char *opts) {
  char *out = NULL;
  if (ecai_search_query(&out, NULL, s, text, strlen(text), opts)) return NULL;
  return out;
}

TEST(search_prefix_completes_the_last_word) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  /* "memory fo": "fo" starts "foam" (M-1); as a whole word it matches nothing */
  char *r = pq(s, "memory fo", "{\"prefix\":true,\"mode\":\"bm25\",\"k\":3}");
  CHECK(r != NULL);
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"M-1\"");
  CHECK_CONTAINS(r, "title: memory, fo*");
  ecai_free(r);
  r = pq(s, "oak dini", "{\"prefix\":true,\"mode\":\"bm25\",\"k\":1}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"T-1\"");
  CHECK_CONTAINS(r, "title: oak, dini*");
  ecai_free(r);
  /* without prefix the partial word is not completed (typo correction off) */
  r = pq(s, "mattr", "{\"mode\":\"bm25\",\"typo\":false}");
  CHECK_CONTAINS(r, "\"hits\":[]");
  ecai_free(r);
  r = pq(s, "mattr", "{\"prefix\":true,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"total\":2");
  ecai_free(r);
  /* a stop word as the start of a word is still a prefix ("wi" -> "with" is a stop word, "ceil" is not) */
  r = pq(s, "ceil", "{\"prefix\":true,\"mode\":\"bm25\",\"k\":1}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"L-2\"");
  ecai_free(r);
  /* a query ending in a space has no partial word: "mattr " is a whole (unknown) word */
  r = pq(s, "mattr ", "{\"prefix\":true,\"mode\":\"bm25\",\"typo\":false}");
  CHECK_CONTAINS(r, "\"hits\":[]");
  ecai_free(r);
  /* an empty search box gives no hits in prefix mode, in every mode */
  const char *modes[3] = {"bm25", "hybrid", "vector"};
  for (int m = 0; m < 3; m++) {
    char o[96];
    snprintf(o, sizeof o, "{\"prefix\":true,\"mode\":\"%s\"}", modes[m]);
    r = pq(s, "", o);
    CHECK_CONTAINS(r, "\"hits\":[]");
    CHECK_CONTAINS(r, "\"total\":0");
    ecai_free(r);
    r = pq(s, "  ", o);
    CHECK_CONTAINS(r, "\"total\":0");
    ecai_free(r);
  }
  /* a prefix nothing starts with counts as an unknown word */
  r = pq(s, "sofa zqx", "{\"prefix\":true,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"no_confident_match\":true");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"S-");
  ecai_free(r);
  char *out = NULL;
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "so", 2, "{\"prefix\":1}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "\"prefix\" must be a boolean");
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_prefix_expansion_most_frequent_first) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = NULL;
  CHECK_OK(ecai_store_new(&st, ctx));
  char js[256];
  /* "drill" in 5 products, "driver" in 3, "drip" in 1; 60 other "dr" words once each */
  for (int i = 0; i < 9; i++) {
    snprintf(js, sizeof js, "{\"id\":\"D%d\",\"title\":\"%s item%d\"}", i, i < 5 ? "drill" : i < 8 ? "driver" : "drip",
             i);
    CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), js, strlen(js)));
  }
  for (int i = 0; i < 60; i++) {
    snprintf(js, sizeof js, "{\"id\":\"X%d\",\"title\":\"dru%c%cword\"}", i, 'a' + i % 26, 'a' + i / 26);
    CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), js, strlen(js)));
  }
  ecai__bm25 *bm = NULL;
  double wf[ECAI__NFIELDS] = {1, 0.5, 0.5, 0.2};
  CHECK_OK(ecai__bm25_build(&bm, ecai_store_catalog(st), 1.2, 0.75, wf));
  ecai__prefix *p = NULL;
  CHECK_OK(ecai__prefix_new(&p));
  uint32_t exp[ECAI__PREFIX_MAX];
  size_t n = 0;
  CHECK_OK(ecai__prefix_expand(p, bm, "dri", 3, exp, ECAI__PREFIX_MAX, &n));
  CHECK_INT_EQ(n, 3);
  CHECK_STR_EQ(bm->terms + bm->term_off[exp[0]], "drill");
  CHECK_STR_EQ(bm->terms + bm->term_off[exp[1]], "driver");
  CHECK_STR_EQ(bm->terms + bm->term_off[exp[2]], "drip");
  /* "dr": 63 words, capped at ECAI__PREFIX_MAX, the frequent ones kept */
  CHECK_OK(ecai__prefix_expand(p, bm, "dr", 2, exp, ECAI__PREFIX_MAX, &n));
  CHECK_INT_EQ(n, ECAI__PREFIX_MAX);
  CHECK_STR_EQ(bm->terms + bm->term_off[exp[0]], "drill");
  CHECK_STR_EQ(bm->terms + bm->term_off[exp[1]], "driver");
  CHECK_OK(ecai__prefix_expand(p, bm, "q", 1, exp, ECAI__PREFIX_MAX, &n));
  CHECK_INT_EQ(n, 0);
  CHECK_OK(ecai__prefix_expand(p, bm, "", 0, exp, ECAI__PREFIX_MAX, &n));
  CHECK_INT_EQ(n, 0);
  /* past the last word in sort order */
  CHECK_OK(ecai__prefix_expand(p, bm, "zzzz", 4, exp, ECAI__PREFIX_MAX, &n));
  CHECK_INT_EQ(n, 0);
  ecai__prefix_free(p);
  ecai__bm25_free(bm);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_prefix_allocation_failures) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  int ok = 0;
  for (long n = 0; n < 2000 && !ok; n++) {
    char *out = NULL;
    ecai__test_fail_alloc_after(n);
    ecai_status rc = ecai_search_query(&out, NULL, s, "memory fo", 9, "{\"mode\":\"bm25\",\"prefix\":true}");
    ecai__test_fail_alloc_after(-1);
    if (rc) CHECK(rc == ECAI_ENOMEM);
    else {
      ok = 1;
      CHECK_CONTAINS(out, "{\"hits\":[{\"id\":\"M-1\"");
    }
    ecai_free(out);
  }
  CHECK(ok);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}
