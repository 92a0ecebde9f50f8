/* ecai_search: "sort", "offset" (paging) and "highlight" options. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* 40 chairs: price 10 + (i * 7) % 40 (P5, P17 without a price), "wooden" on even i */
static ecai_store *chairs(ecai_ctx *ctx) {
  ecai_store *st = NULL;
  if (ecai_store_new(&st, ctx)) return NULL;
  char js[256];
  for (int i = 0; i < 40; i++) {
    if (i == 5 || i == 17)
      snprintf(js, sizeof js, "{\"id\":\"P%d\",\"title\":\"%s chair model %d\"}", i, i % 2 ? "metal" : "wooden", i);
    else
      snprintf(js, sizeof js, "{\"id\":\"P%d\",\"title\":\"%s chair model %d\",\"price\":%d}", i,
               i % 2 ? "metal" : "wooden", i, 10 + (i * 7) % 40);
    if (ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), js, strlen(js))) return NULL;
  }
  if (ecai_store_build(NULL, st, 0, NULL, NULL)) return NULL;
  return st;
}

static json_t *sq(ecai_search *s, const char *text, const char *opts) {
  char *out = NULL;
  if (ecai_search_query(&out, NULL, s, text, strlen(text), opts)) return NULL;
  json_t *j = json_loads(out, 0, NULL);
  ecai_free(out);
  return j;
}

static const char *hit_id(json_t *r, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(r, "hits"), i), "id"));
}
static size_t nhits(json_t *r) { return json_array_size(json_object_get(r, "hits")); }
static int idnum(const char *id) { return atoi(id + 1); }
static double price_of(int i) { return i == 5 || i == 17 ? NAN : 10 + (i * 7) % 40; }

TEST(search_sort_by_price_and_newest) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = chairs(ctx);
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  json_t *r = sq(s, "chair", "{\"k\":40,\"sort\":\"price_asc\",\"mode\":\"bm25\"}");
  CHECK(r != NULL);
  CHECK_INT_EQ(nhits(r), 40);
  CHECK_STR_EQ(json_string_value(json_object_get(r, "sort")), "price_asc");
  for (size_t i = 0; i + 1 < 38; i++) CHECK(price_of(idnum(hit_id(r, i))) <= price_of(idnum(hit_id(r, i + 1))));
  CHECK(isnan(price_of(idnum(hit_id(r, 38)))) && isnan(price_of(idnum(hit_id(r, 39))))); /* unknown prices last */
  json_decref(r);
  r = sq(s, "chair", "{\"k\":40,\"sort\":\"price_desc\"}");
  for (size_t i = 0; i + 1 < 38; i++) CHECK(price_of(idnum(hit_id(r, i))) >= price_of(idnum(hit_id(r, i + 1))));
  CHECK(isnan(price_of(idnum(hit_id(r, 39)))));
  json_decref(r);
  r = sq(s, "chair", "{\"k\":5,\"sort\":\"newest\"}");
  for (size_t i = 0; i < 5; i++) CHECK_INT_EQ(idnum(hit_id(r, i)), 39 - (int)i);
  json_decref(r);
  /* a sort keeps only the products matching as well as the best: "wooden chair" -> 20 */
  r = sq(s, "wooden chair", "{\"k\":40,\"sort\":\"price_asc\"}");
  CHECK_INT_EQ(nhits(r), 20);
  CHECK_INT_EQ(json_integer_value(json_object_get(r, "total")), 20);
  for (size_t i = 0; i < 20; i++) CHECK_INT_EQ(idnum(hit_id(r, i)) % 2, 0);
  json_decref(r);
  /* popularity without orders: ties everywhere, relevance order kept */
  json_t *a = sq(s, "wooden chair", "{\"k\":20,\"sort\":\"popularity\"}"), *b = sq(s, "wooden chair", "{\"k\":20}");
  for (size_t i = 0; i < 20; i++) CHECK_STR_EQ(hit_id(a, i), hit_id(b, i));
  json_decref(a), json_decref(b);
  char *out = NULL;
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "chair", 5, "{\"sort\":\"cheapest\"}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "\"sort\" must be relevance, price_asc");
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "chair", 5, "{\"sort\":1}"), ECAI_EINVAL);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_pages_are_slices_of_one_ranking) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = chairs(ctx);
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *variants[4] = {"\"mode\":\"bm25\"", "\"mode\":\"hybrid\"", "\"mode\":\"vector\"",
                             "\"sort\":\"price_asc\""};
  for (int v = 0; v < 4; v++) {
    char o1[128], o2[128], o3[128];
    snprintf(o1, sizeof o1, "{\"k\":20,%s}", variants[v]);
    snprintf(o2, sizeof o2, "{\"k\":10,\"offset\":0,%s}", variants[v]);
    snprintf(o3, sizeof o3, "{\"k\":10,\"offset\":10,%s}", variants[v]);
    json_t *all = sq(s, "wooden chair model", o1), *p1 = sq(s, "wooden chair model", o2),
           *p2 = sq(s, "wooden chair model", o3);
    CHECK(all && p1 && p2);
    CHECK_INT_EQ(nhits(all), 20);
    CHECK_INT_EQ(nhits(p1), 10);
    CHECK_INT_EQ(nhits(p2), 10);
    for (size_t i = 0; i < 10; i++) {
      CHECK_STR_EQ(hit_id(p1, i), hit_id(all, i));
      CHECK_STR_EQ(hit_id(p2, i), hit_id(all, 10 + i));
    }
    CHECK_INT_EQ(json_integer_value(json_object_get(p2, "offset")), 10);
    json_decref(all), json_decref(p1), json_decref(p2);
  }
  /* past the end: no hits, not an error; total says how many there are */
  json_t *r = sq(s, "wooden chair", "{\"k\":10,\"offset\":30,\"sort\":\"price_asc\"}");
  CHECK(r != NULL);
  CHECK_INT_EQ(nhits(r), 0);
  CHECK_INT_EQ(json_integer_value(json_object_get(r, "total")), 20);
  json_decref(r);
  r = sq(s, "wooden chair", "{\"k\":10,\"offset\":15,\"sort\":\"price_asc\"}");
  CHECK_INT_EQ(nhits(r), 5);
  json_decref(r);
  char *out = NULL;
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "chair", 5, "{\"offset\":-1}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "\"offset\" must be an integer 0..10000");
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "chair", 5, "{\"offset\":\"10\"}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "chair", 5, "{\"offset\":10001}"), ECAI_EINVAL);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_highlight_spans_and_markup) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = NULL;
  CHECK_OK(ecai_store_new(&st, ctx));
  const char *rows[3] = {"{\"id\":\"A\",\"title\":\"Ceiling Fans 52 in. with 1/2 in. <Light> & \\\"Kit\\\"\"}",
                         "{\"id\":\"B\",\"title\":\"Memory foam mattress\"}", "{\"id\":\"C\",\"title\":\"Garden hose\"}"};
  for (int i = 0; i < 3; i++) CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), rows[i], strlen(rows[i])));
  CHECK_OK(ecai_store_build(NULL, st, 0, NULL, NULL));
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  /* stemmed and unit-normalised words match: "fan" -> "Fans", "inches" -> "in", "light" -> "<Light>" */
  json_t *r = sq(s, "fan 1/2 inches light the", "{\"k\":1,\"highlight\":true,\"mode\":\"bm25\"}");
  CHECK(r != NULL);
  json_t *h = json_object_get(json_array_get(json_object_get(r, "hits"), 0), "highlight");
  const char *title = "Ceiling Fans 52 in. with 1/2 in. <Light> & \"Kit\"";
  const char *want[] = {"Fans", "in", "1/2", "in", "Light"};
  json_t *spans = json_object_get(h, "spans");
  CHECK_INT_EQ(json_array_size(spans), 5);
  for (size_t i = 0; i < json_array_size(spans) && i < 5; i++) {
    json_int_t a = json_integer_value(json_object_get(json_array_get(spans, i), "start"));
    json_int_t l = json_integer_value(json_object_get(json_array_get(spans, i), "len"));
    CHECK_INT_EQ((size_t)l, strlen(want[i]));
    CHECK(strncmp(title + a, want[i], (size_t)l) == 0);
  }
  CHECK_STR_EQ(json_string_value(json_object_get(h, "title")),
               "Ceiling <em>Fans</em> 52 <em>in</em>. with <em>1/2</em> <em>in</em>. &lt;<em>Light</em>&gt; &amp; "
               "&quot;Kit&quot;");
  json_decref(r);
  /* the prefix's completions are highlighted too */
  r = sq(s, "memory fo", "{\"k\":1,\"highlight\":true,\"prefix\":true}");
  h = json_object_get(json_array_get(json_object_get(r, "hits"), 0), "highlight");
  CHECK_STR_EQ(json_string_value(json_object_get(h, "title")), "<em>Memory</em> <em>foam</em> mattress");
  json_decref(r);
  /* without "highlight" there is none */
  r = sq(s, "garden", "{\"k\":1}");
  CHECK(json_object_get(json_array_get(json_object_get(r, "hits"), 0), "highlight") == NULL);
  json_decref(r);
  char *out = NULL;
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "x", 1, "{\"highlight\":\"yes\"}"), ECAI_EINVAL);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}
