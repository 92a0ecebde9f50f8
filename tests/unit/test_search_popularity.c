/* ecai_search popularity from orders: sort key, blend feature, persistence, bad input. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

static const char *order_of(ecai_search *s, const char *q, const char *opts) {
  static char buf[256];
  char *out = NULL;
  buf[0] = 0;
  if (ecai_search_query(&out, NULL, s, q, strlen(q), opts)) return "error";
  json_t *r = json_loads(out, 0, NULL), *h;
  size_t i, o = 0;
  json_array_foreach(json_object_get(r, "hits"), i, h)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", json_string_value(json_object_get(h, "id")));
  json_decref(r);
  ecai_free(out);
  return buf;
}

static const char *write_tmp(const char *name, const char *text) {
  static char p[4][1024];
  static int k;
  char *path = p[k++ & 3];
  snprintf(path, 1024, "%s/%s", ecai_test_tmpdir(), name);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  return path;
}

TEST(search_popularity_sort_and_files) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *P = "{\"mode\":\"bm25\",\"sort\":\"popularity\"}";
  CHECK_STR_EQ(order_of(s, "sofa", P), "S-2 S-3 S-1"); /* no orders: relevance order */
  size_t n = 99;
  CHECK_OK(ecai_search_set_popularity_csv(s, write_tmp("c.csv", "sku,count\nS-1,5\nS-3,2\nGONE,7\nS-3,2\n\n"), &n));
  CHECK_INT_EQ(n, 2);
  CHECK_STR_EQ(order_of(s, "sofa", P), "S-1 S-3 S-2");
  /* the recommender's orders CSV: each order line counts once; cancellations skipped */
  const char *orders = write_tmp("o.csv",
                                 "order_id,product_id,quantity,price,date\n"
                                 "1,S-2,1,299,2024-01-02\n2,S-2,3,299,2024-01-03\n3,S-2,1,299,2024-01-04\n"
                                 "3,S-3,1,1299,2024-01-04\n4,S-1,-1,499,2024-01-05\n5,NOPE,1,5,2024-01-05\n");
  CHECK_OK(ecai_search_set_popularity_csv(s, orders, &n));
  CHECK_INT_EQ(n, 2);
  CHECK_STR_EQ(order_of(s, "sofa", P), "S-2 S-3 S-1");
  /* bad input: a clear error and the previous counts stay */
  CHECK_STATUS(ecai_search_set_popularity_csv(s, write_tmp("b.csv", "sku,count\nS-1,5\nS-2,lots\n"), &n),
               ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "b.csv:3");
  CHECK_STATUS(ecai_search_set_popularity_csv(s, write_tmp("n.csv", "sku,count\nS-1,-4\n"), NULL), ECAI_EPARSE);
  CHECK_STATUS(ecai_search_set_popularity_csv(s, write_tmp("h.csv", "a,b,c\n1,2,3\n"), NULL), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "header has no");
  CHECK_STATUS(ecai_search_set_popularity_csv(s, "/nonexistent/orders.csv", NULL), ECAI_EIO);
  CHECK_STR_EQ(order_of(s, "sofa", P), "S-2 S-3 S-1");
  /* saved beside search.bin, read back at open; NULL clears and removes the file */
  char dir[1024], path[1100];
  snprintf(dir, sizeof dir, "%s/state", ecai_test_tmpdir());
  snprintf(path, sizeof path, "%s/popularity.bin", dir);
  CHECK_OK(ecai_store_save(st, dir));
  CHECK_OK(ecai_search_set_popularity_csv(s, write_tmp("c2.csv", "sku,count\nS-3,9\n"), NULL));
  CHECK_OK(ecai_search_save(s, dir));
  ecai_search *s2 = NULL;
  CHECK_OK(ecai_search_open(&s2, st, dir));
  CHECK_STR_EQ(order_of(s2, "sofa", P), "S-3 S-2 S-1");
  ecai_search_free(s2);
  /* a damaged file is refused at open */
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  fseek(f, 40, SEEK_SET);
  fputc(0x7f, f);
  fclose(f);
  CHECK_STATUS(ecai_search_open(&s2, st, dir), ECAI_ECORRUPT);
  CHECK_OK(ecai_search_set_popularity_csv(s, NULL, &n));
  CHECK_INT_EQ(n, 0);
  CHECK_OK(ecai_search_save(s, dir));
  struct stat sb;
  CHECK(stat(path, &sb) != 0);
  CHECK_STATUS(ecai_search_set_popularity_csv(NULL, NULL, NULL), ECAI_EINVAL);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_popularity_as_a_ranking_feature) {
  ecai_ctx *c0 = NULL, *c1 = NULL;
  CHECK_OK(ecai_ctx_new(&c0, NULL, 0));
  static const char CFG[] = "{\"search\":{\"w_popularity\":1.0}}";
  CHECK_OK(ecai_ctx_new(&c1, CFG, sizeof CFG - 1));
  ecai_store *st0 = ecai_test_store(c0, "search_catalog.jsonl"), *st1 = ecai_test_store(c1, "search_catalog.jsonl");
  CHECK(st0 && st1);
  ecai_search *s0 = NULL, *s1 = NULL;
  CHECK_OK(ecai_search_new(&s0, st0));
  CHECK_OK(ecai_search_new(&s1, st1));
  const char *H = "{\"mode\":\"hybrid\",\"k\":3}";
  char base[256];
  snprintf(base, sizeof base, "%s", order_of(s0, "sofa", H));
  CHECK_STR_EQ(order_of(s1, "sofa", H), base); /* no orders: no change */
  const char *last = strrchr(base, ' ') + 1;  /* the third sofa gets every order */
  char counts[128];
  snprintf(counts, sizeof counts, "sku,count\n%s,50\n", last);
  const char *cp = write_tmp("c.csv", counts);
  CHECK_OK(ecai_search_set_popularity_csv(s0, cp, NULL));
  CHECK_OK(ecai_search_set_popularity_csv(s1, cp, NULL));
  CHECK_STR_EQ(order_of(s0, "sofa", H), base); /* weight 0 (default): a sort key only */
  CHECK(strncmp(order_of(s1, "sofa", H), last, strlen(last)) == 0);
  ecai_search_free(s0), ecai_search_free(s1);
  ecai_store_free(st0), ecai_store_free(st1);
  ecai_ctx_free(c0), ecai_ctx_free(c1);
}
