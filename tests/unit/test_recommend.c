/* recommend: order history model, requests, filters, content seam, save/load, CSV, evaluation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/internal.h"
#include "recommend/reco.h"
#include "harness.h"

static char *path_in(const char *dir, const char *name) {
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  fputs(text, f);
  fclose(f);
}

static void add(ecai_recommend *r, const char *oid, const char *cust, int64_t ts, const char *a, const char *b,
                const char *c) {
  const char *ids[3] = {a, b, c};
  size_t n = c ? 3 : b ? 2 : 1;
  CHECK_OK(ecai_recommend_add_order(r, oid, cust, ts, ids, NULL, NULL, n));
}

/* A small shop: mugs go with coffee and spoons; sofas with cushions. */
static ecai_recommend *shop(void) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  char oid[32];
  int n = 0;
  for (int i = 0; i < 8; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, "c1", 1000 + n, "mug", "coffee", "spoon");
  for (int i = 0; i < 4; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, "c2", 1000 + n, "mug", "coffee", NULL);
  for (int i = 0; i < 3; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, "c3", 1000 + n, "mug", "espresso", NULL);
  for (int i = 0; i < 6; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, "c4", 1000 + n, "sofa", "cushion", NULL);
  for (int i = 0; i < 2; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, "c5", 1000 + n, "tea", "spoon", NULL);
  CHECK_OK(ecai_recommend_set_item(r, "mug", "White ceramic mug", 8));
  CHECK_OK(ecai_recommend_set_item(r, "coffee", "Ground coffee", 6));
  CHECK_OK(ecai_recommend_set_item(r, "spoon", "Tea spoon", 2));
  CHECK_OK(ecai_recommend_set_item(r, "espresso", "Espresso machine", 300));
  CHECK_OK(ecai_recommend_set_item(r, "sofa", "Grey sofa", 500));
  CHECK_OK(ecai_recommend_set_item(r, "cushion", "Velvet cushion", 20));
  CHECK_OK(ecai_recommend_set_item(r, "tea", "Earl grey tea", 4));
  return r;
}

static json_t *query(const ecai_recommend *r, const char *req) {
  char *out = NULL;
  size_t n = 0;
  CHECK_OK(ecai_recommend_query(&out, &n, r, req, strlen(req)));
  CHECK(out != NULL && n == strlen(out));
  json_t *j = json_loads(out, 0, NULL);
  CHECK_MSG(j != NULL, "reply is not JSON: %s", out);
  ecai_free(out);
  return j;
}

static const char *id_at(json_t *j, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), i), "id"));
}
static const char *reason_at(json_t *j, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), i), "reason"));
}
static size_t n_items(json_t *j) { return json_array_size(json_object_get(j, "items")); }
static int has_id(json_t *j, const char *id) {
  for (size_t i = 0; i < n_items(j); i++)
    if (!strcmp(id_at(j, i), id)) return 1;
  return 0;
}

TEST(recommend_null_args_and_options) {
  ecai_recommend *r = (ecai_recommend *)1;
  CHECK_STATUS(ecai_recommend_new(NULL, NULL), ECAI_EINVAL);
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_STATUS(ecai_recommend_set_int(r, ECAI_RECOMMEND_OPT_EASE_LAMBDA, 5), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_MAX_ITEMS, 5), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_set_double(r, (ecai_recommend_opt)299, 1), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_recommend_set_int(r, (ecai_recommend_opt)150, 1), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_MMR_LAMBDA, 1.5), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_set_int(r, ECAI_RECOMMEND_OPT_MAX_ITEMS, 0), ECAI_EINVAL);
  CHECK_OK(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_EASE_LAMBDA, 10));
  const char *ids[1] = {"a"};
  double bad_q[1] = {0};
  CHECK_STATUS(ecai_recommend_add_order(r, "o", NULL, 0, ids, bad_q, NULL, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_add_order(r, "", NULL, 0, ids, NULL, NULL, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_add_order(r, "o", NULL, 0, ids, NULL, NULL, 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_add_order(NULL, "o", NULL, 0, ids, NULL, NULL, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_fit(r), ECAI_ESTATE); /* no orders yet */
  char *out = (char *)1;
  CHECK_STATUS(ecai_recommend_query(&out, NULL, NULL, "{}", 2), ECAI_EINVAL);
  CHECK(out == NULL);
  CHECK_STATUS(ecai_recommend_query(&out, NULL, r, "{nope", 5), ECAI_EPARSE);
  CHECK_STATUS(ecai_recommend_query(&out, NULL, r, "{\"kart\":[]}", 11), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "kart");
  CHECK_STATUS(ecai_recommend_query(&out, NULL, r, "{\"k\":0}", 7), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_query(&out, NULL, r, "{\"strategy\":\"odd\"}", 18), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_query(&out, NULL, r, "{\"cart\":[1]}", 12), ECAI_EINVAL);
  ecai_recommend_free(r);
  ecai_recommend_free(NULL);
}

TEST(recommend_config_keys_from_context) {
  ecai_ctx *c = NULL;
  const char *cfg = "{\"recommend\":{\"ease_lambda\":200,\"max_items\":10,\"mmr_lambda\":1.0}}";
  CHECK_OK(ecai_ctx_new(&c, cfg, strlen(cfg)));
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, c));
  add(r, "o1", NULL, 1, "a", "b", NULL);
  CHECK_OK(ecai_recommend_fit(r));
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"ease_lambda\":200");
  CHECK_CONTAINS(s, "\"ease_items\":2");
  ecai_free(s);
  ecai_recommend_free(r);
  ecai_ctx_free(c);
  const char *badcfg = "{\"recommend\":{\"mmr_lambda\":3}}";
  CHECK_OK(ecai_ctx_new(&c, badcfg, strlen(badcfg)));
  r = (ecai_recommend *)1;
  CHECK_STATUS(ecai_recommend_new(&r, c), ECAI_EINVAL);
  CHECK(r == NULL);
  ecai_ctx_free(c);
  /* the title embedder takes the context's builtin settings, not a remote kind's */
  static const char *emb[][2] = {{"{\"embedder\":{\"dim\":64}}", "\"content_dim\":64"},
                                 {"{\"embedder\":{\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:9\","
                                  "\"model\":\"m\",\"dim\":1536}}", "\"content_dim\":384"},
                                 {"{\"recommend\":{\"content_index\":\"HNSW32\",\"cold_cart_boost\":0}}",
                                  "\"content_index\":\"HNSW32\""}};
  for (int i = 0; i < 3; i++) {
    CHECK_OK(ecai_ctx_new(&c, emb[i][0], strlen(emb[i][0])));
    CHECK_OK(ecai_recommend_new(&r, c));
    CHECK_OK(ecai_recommend_stats(&s, NULL, r));
    CHECK_CONTAINS(s, emb[i][1]);
    ecai_free(s);
    ecai_recommend_free(r);
    ecai_ctx_free(c);
  }
  static const char *bad2[] = {"{\"recommend\":{\"cold_cart_boost\":-1}}", "{\"recommend\":{\"content_candidates\":0}}",
                               "{\"recommend\":{\"content_index\":\"\"}}"};
  for (int i = 0; i < 3; i++) {
    CHECK_OK(ecai_ctx_new(&c, bad2[i], strlen(bad2[i])));
    CHECK_STATUS(ecai_recommend_new(&r, c), ECAI_EINVAL);
    ecai_ctx_free(c);
  }
}

TEST(recommend_complements_with_reason_and_cart_excluded) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[{\"id\":\"mug\",\"qty\":2}],\"k\":3,\"strategy\":\"complementary\"}");
  CHECK(n_items(j) >= 2);
  CHECK_STR_EQ(id_at(j, 0), "coffee");
  CHECK_STR_EQ(reason_at(j, 0), "often bought with White ceramic mug");
  CHECK(!has_id(j, "mug"));
  /* the espresso machine (300) is far above the mug's price (8): dropped unless asked */
  CHECK(!has_id(j, "espresso"));
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"allow_pricier\":true}");
  CHECK(has_id(j, "espresso"));
  json_decref(j);
  /* every method answers; popularity ranks by order count */
  j = query(r, "{\"cart\":[\"sofa\"],\"k\":1,\"method\":\"popularity\"}");
  CHECK_STR_EQ(id_at(j, 0), "mug");
  CHECK_CONTAINS(reason_at(j, 0), "popular");
  json_decref(j);
  const char *methods[] = {"cooccurrence", "cosine", "ease"};
  for (int m = 0; m < 3; m++) {
    char req[128];
    snprintf(req, sizeof req, "{\"cart\":[\"sofa\"],\"k\":1,\"method\":\"%s\"}", methods[m]);
    j = query(r, req);
    CHECK_MSG(n_items(j) == 1 && !strcmp(id_at(j, 0), "cushion"), "method %s", methods[m]);
    json_decref(j);
  }
  ecai_recommend_free(r);
}

TEST(recommend_unknown_ids_and_empty_request) {
  ecai_recommend *r = shop();
  json_t *j = query(r, "{\"cart\":[\"nope\"],\"k\":2}");
  CHECK_INT_EQ(json_array_size(json_object_get(j, "unknown")), 1);
  CHECK_INT_EQ(n_items(j), 2); /* falls back to popular items */
  CHECK_STR_EQ(id_at(j, 0), "mug");
  json_decref(j);
  ecai_recommend *e = NULL;
  CHECK_OK(ecai_recommend_new(&e, NULL));
  j = query(e, "{}");
  CHECK_INT_EQ(n_items(j), 0);
  json_decref(j);
  ecai_recommend_free(e);
  ecai_recommend_free(r);
}

static int no_coffee(const char *id, void *payload) {
  (*(int *)payload)++;
  return strcmp(id, "coffee") != 0;
}

TEST(recommend_filters_exclude_price_stock) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[\"mug\"],\"k\":3,\"exclude\":[\"coffee\"]}");
  CHECK(!has_id(j, "coffee"));
  CHECK_STR_EQ(id_at(j, 0), "spoon");
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"min_price\":3,\"max_price\":7}");
  for (size_t i = 0; i < n_items(j); i++)
    CHECK_MSG(!strcmp(id_at(j, i), "coffee") || !strcmp(id_at(j, i), "tea"), "price filter let %s through", id_at(j, i));
  CHECK(has_id(j, "coffee"));
  json_decref(j);
  int calls = 0;
  CHECK_OK(ecai_recommend_set_stock_fn(r, no_coffee, &calls));
  j = query(r, "{\"cart\":[\"mug\"],\"k\":3}");
  CHECK(!has_id(j, "coffee"));
  CHECK(calls > 0);
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":3,\"in_stock\":false}");
  CHECK(has_id(j, "coffee"));
  json_decref(j);
  ecai_recommend_free(r);
}

TEST(recommend_category_filters_and_paths) {
  CHECK(ecai__reco_cat_match("Kitchen > Mugs", "kitchen"));
  CHECK(ecai__reco_cat_match("Kitchen > Mugs", " Kitchen>MUGS "));
  CHECK(ecai__reco_cat_match("Kitchen > Mugs", "Kitchen >"));
  CHECK(!ecai__reco_cat_match("Kitchenware", "Kitchen"));
  CHECK(!ecai__reco_cat_match("Kitchen", "Kitchen > Mugs"));
  CHECK(!ecai__reco_cat_match(NULL, "Kitchen"));
  CHECK(!ecai__reco_cat_match("Kitchen > Mugs", "Mugs"));
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  CHECK_OK(ecai_recommend_set_category(r, "coffee", "Food > Coffee"));
  CHECK_OK(ecai_recommend_set_category(r, "tea", "Food > Tea"));
  CHECK_OK(ecai_recommend_set_category(r, "spoon", "Kitchen > Cutlery"));
  CHECK_OK(ecai_recommend_set_category(r, "espresso", "Kitchen > Machines"));
  CHECK_OK(ecai_recommend_set_category(r, "new", "Food > Cocoa")); /* unknown ids become products */
  CHECK_STATUS(ecai_recommend_set_category(NULL, "x", "A"), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_set_category(r, "", "A"), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_set_category(r, "x", "\xff"), ECAI_EINVAL);
  json_t *j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"allow_pricier\":true}");
  CHECK(has_id(j, "coffee") && has_id(j, "spoon"));
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"allow_pricier\":true,\"categories\":[\"kitchen\"]}");
  CHECK(n_items(j) >= 1);
  for (size_t i = 0; i < n_items(j); i++)
    CHECK_MSG(!strcmp(id_at(j, i), "spoon") || !strcmp(id_at(j, i), "espresso"), "include let %s through", id_at(j, i));
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"allow_pricier\":true,\"exclude_categories\":\"Food\"}");
  CHECK(!has_id(j, "coffee") && !has_id(j, "tea"));
  CHECK(has_id(j, "spoon"));
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"allow_pricier\":true,\"categories\":[\"Food\",\"Kitchen\"],"
               "\"exclude_categories\":[\"Kitchen > Machines\"]}");
  CHECK(has_id(j, "coffee") && has_id(j, "spoon") && !has_id(j, "espresso"));
  json_decref(j);
  /* clearing a category: the product no longer passes an include filter */
  CHECK_OK(ecai_recommend_set_category(r, "spoon", NULL));
  j = query(r, "{\"cart\":[\"mug\"],\"k\":5,\"allow_pricier\":true,\"categories\":[\"Kitchen\"]}");
  CHECK(!has_id(j, "spoon"));
  json_decref(j);
  char *out = NULL;
  const char *badreq[] = {"{\"cart\":[\"mug\"],\"categories\":3}", "{\"cart\":[\"mug\"],\"categories\":[\"\"]}",
                          "{\"cart\":[\"mug\"],\"exclude_categories\":[1]}"};
  for (int i = 0; i < 3; i++) {
    CHECK_STATUS(ecai_recommend_query(&out, NULL, r, badreq[i], strlen(badreq[i])), ECAI_EINVAL);
    CHECK_CONTAINS(ecai_last_error(), "categories");
  }
  /* categories survive save/load */
  char *p = path_in(ecai_test_tmpdir(), "cat.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  ecai_recommend *l = NULL;
  CHECK_OK(ecai_recommend_load(&l, NULL, p));
  j = query(l, "{\"cart\":[\"mug\"],\"k\":5,\"categories\":\"Food > Coffee\"}");
  CHECK_INT_EQ(n_items(j), 1);
  CHECK_STR_EQ(id_at(j, 0), "coffee");
  json_decref(j);
  ecai_recommend_free(l);
  ecai_recommend_free(r);
}

TEST(recommend_history_excluded_or_reordered) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[\"mug\"],\"history\":[\"coffee\"],\"k\":5}");
  CHECK(!has_id(j, "coffee")); /* already seen */
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"history\":[{\"id\":\"tea\",\"ts\":5000}],\"exclude_history\":false,\"k\":5}");
  CHECK(has_id(j, "tea"));
  int found = 0;
  for (size_t i = 0; i < n_items(j); i++)
    if (!strcmp(id_at(j, i), "tea")) found = !strcmp(reason_at(j, i), "you ordered this before");
  CHECK(found);
  json_decref(j);
  /* history alone (no cart) drives the recommendations, recency-weighted */
  j = query(r, "{\"history\":[{\"id\":\"sofa\",\"ts\":20000000},{\"id\":\"mug\",\"ts\":100}],\"k\":1}");
  CHECK_STR_EQ(id_at(j, 0), "cushion");
  json_decref(j);
  ecai_recommend_free(r);
}

/* The customer's own orders: re-orders (with the reason), the cap on orders used, unknown
   customers falling back to the cart, bad customer fields. */
TEST(recommend_customer_history) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  /* c5 bought tea + spoon twice: with a sofa in the cart, tea comes back as a re-order */
  json_t *j = query(r, "{\"cart\":[\"sofa\"],\"customer\":\"c5\",\"k\":5}");
  int found = 0;
  for (size_t i = 0; i < n_items(j); i++)
    if (!strcmp(id_at(j, i), "tea")) found = !strcmp(reason_at(j, i), "you ordered this before");
  CHECK(found);
  json_t *c = json_object_get(j, "customer");
  CHECK(json_is_true(json_object_get(c, "known")));
  CHECK(json_integer_value(json_object_get(c, "orders_used")) == 2);
  json_decref(j);
  /* the same request without the customer knows of no earlier order */
  j = query(r, "{\"cart\":[\"sofa\"],\"k\":5}");
  for (size_t i = 0; i < n_items(j); i++) CHECK(strcmp(reason_at(j, i), "you ordered this before") != 0);
  json_decref(j);
  /* "exclude_history": true hides what the customer bought */
  j = query(r, "{\"cart\":[\"sofa\"],\"customer\":\"c5\",\"exclude_history\":true,\"k\":5}");
  CHECK(!has_id(j, "tea") && !has_id(j, "spoon"));
  json_decref(j);
  /* unknown customer: the cart alone decides, and the reply says so */
  char *a = NULL, *b = NULL;
  const char *q1 = "{\"cart\":[\"mug\"],\"customer\":\"nobody\",\"k\":3}", *q2 = "{\"cart\":[\"mug\"],\"k\":3}";
  CHECK_OK(ecai_recommend_query(&a, NULL, r, q1, strlen(q1)));
  CHECK_OK(ecai_recommend_query(&b, NULL, r, q2, strlen(q2)));
  CHECK_CONTAINS(a, "\"customer\":{\"id\":\"nobody\",\"known\":false,\"orders_used\":0}");
  CHECK(!strncmp(a, b, strlen(b) - 1)); /* same items, then the customer field */
  ecai_free(a);
  ecai_free(b);
  /* no cart: the customer's orders are the session */
  j = query(r, "{\"customer\":\"c4\",\"k\":2}");
  CHECK(has_id(j, "sofa") || has_id(j, "cushion"));
  json_decref(j);
  /* an integer customer id is the same customer as its decimal string */
  const char *ids[1] = {"tea"};
  CHECK_OK(ecai_recommend_add_order(r, "n1", "17850", 5000, ids, NULL, NULL, 1));
  j = query(r, "{\"cart\":[\"sofa\"],\"customer\":17850}");
  CHECK(json_integer_value(json_object_get(json_object_get(j, "customer"), "orders_used")) == 1);
  json_decref(j);
  /* bad customer fields */
  const char *bad[] = {"{\"cart\":[\"mug\"],\"customer\":[1]}", "{\"cart\":[\"mug\"],\"customer\":\"\"}",
                       "{\"cart\":[\"mug\"],\"customer\":true}"};
  for (int i = 0; i < 3; i++) {
    char *o = NULL;
    CHECK_STATUS(ecai_recommend_query(&o, NULL, r, bad[i], strlen(bad[i])), ECAI_EINVAL);
    CHECK_CONTAINS(ecai_last_error(), "customer");
  }
  ecai_recommend_free(r);
}

/* Items bought by similar customers: "twin" shares a's items and also bought "kettle" (never
   in an order with them, so neither EASE nor co-occurrence reach it); "other" shares
   nothing. The neighbours' orders after "now" and the weight 0 leave it out. */
TEST(recommend_customer_neighbours) {
  const char *cfg0 = "{\"recommend\":{\"w_neighbours\":0}}";
  for (int pass = 0; pass < 2; pass++) {
    ecai_ctx *c = NULL;
    if (pass == 1) CHECK_OK(ecai_ctx_new(&c, cfg0, strlen(cfg0)));
    ecai_recommend *r = NULL;
    CHECK_OK(ecai_recommend_new(&r, c));
    add(r, "a1", "a", 1000, "tea", "spoon", NULL);
    add(r, "t1", "twin", 2000, "tea", "spoon", NULL);
    add(r, "t2", "twin", 3000, "kettle", NULL, NULL);
    add(r, "t3", "twin", 9000, "toaster", NULL, NULL); /* after "now" below */
    add(r, "o1", "other", 2000, "sofa", "cushion", NULL);
    add(r, "o2", "other", 2500, "lamp", "sofa", NULL);
    add(r, "o3", "x", 2600, "mug", "plate", NULL);
    CHECK_OK(ecai_recommend_fit(r));
    json_t *j = query(r, "{\"cart\":[\"mug\"],\"customer\":\"a\",\"now\":5000,\"k\":10}");
    int at = -1;
    for (size_t i = 0; i < n_items(j); i++)
      if (!strcmp(id_at(j, i), "kettle")) at = (int)i;
    if (pass == 0) {
      CHECK(at >= 0);
      if (at >= 0) CHECK_STR_EQ(reason_at(j, (size_t)at), "bought by customers who buy what you buy");
      for (size_t i = 0; i < n_items(j); i++) /* only the neighbour's items up to "now" get that reason */
        if (strcmp(id_at(j, i), "kettle"))
          CHECK(strcmp(reason_at(j, i), "bought by customers who buy what you buy") != 0);
    } else {
      CHECK(at < 0 || strcmp(reason_at(j, (size_t)at), "bought by customers who buy what you buy") != 0);
    }
    json_decref(j);
    /* the same request without the customer: no neighbour */
    j = query(r, "{\"cart\":[\"mug\"],\"now\":5000,\"k\":10}");
    for (size_t i = 0; i < n_items(j); i++)
      CHECK(strcmp(reason_at(j, i), "bought by customers who buy what you buy") != 0);
    json_decref(j);
    ecai_recommend_free(r);
    ecai_ctx_free(c);
  }
}

/* A customer with thousands of orders: only the most recent RECO_MAX_CUSTOMER_ORDERS count. */
TEST(recommend_customer_orders_capped) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  char oid[32];
  for (int i = 0; i < 2500; i++) {
    snprintf(oid, sizeof oid, "w%d", i);
    add(r, oid, "wholesaler", 1000 + (int64_t)i * 3600, i < 2300 ? "old" : "new", "box", NULL);
  }
  add(r, "x1", "other", 1000, "glue", "tape", NULL);
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"customer\":\"wholesaler\",\"cart\":[\"tape\"],\"k\":3}");
  CHECK(json_integer_value(json_object_get(json_object_get(j, "customer"), "orders_used")) == RECO_MAX_CUSTOMER_ORDERS);
  /* the 200 most recent orders hold "new" and "box": "old" (2,300 older orders) is past the cap */
  CHECK(has_id(j, "new") && has_id(j, "box") && has_id(j, "glue"));
  CHECK(!has_id(j, "old"));
  json_decref(j);
  ecai_recommend_free(r);
}

/* Bundles: products bought together with the cart, with their combined price and a reason. */
TEST(recommend_bundles) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[\"mug\"],\"strategy\":\"bundle\",\"k\":3}");
  CHECK_STR_EQ(json_string_value(json_object_get(j, "strategy")), "bundle");
  json_t *bs = json_object_get(j, "bundles"), *b0 = json_array_get(bs, 0);
  CHECK(json_array_size(bs) == 1); /* coffee + spoon (8 orders); espresso never goes with either */
  json_t *its = json_object_get(b0, "items");
  CHECK(json_array_size(its) == 2);
  CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(its, 0), "id")), "coffee");
  CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(its, 1), "id")), "spoon");
  CHECK(json_number_value(json_object_get(b0, "price")) == 8.0); /* 6 + 2 */
  CHECK(json_integer_value(json_object_get(b0, "orders")) == 8);
  CHECK_STR_EQ(json_string_value(json_object_get(b0, "reason")),
               "bought together with White ceramic mug in 8 of its 15 orders");
  json_decref(j);
  /* excluded products never appear in a bundle */
  j = query(r, "{\"cart\":[\"mug\"],\"strategy\":\"bundle\",\"exclude\":[\"spoon\"]}");
  CHECK(json_array_size(json_object_get(j, "bundles")) == 0);
  json_decref(j);
  ecai_recommend_free(r);
  /* a set of three bought as often as its pairs is a bundle too; one-off pairs are not bundles */
  CHECK_OK(ecai_recommend_new(&r, NULL));
  char oid[32];
  for (int i = 0; i < 5; i++) {
    const char *ids[4] = {"a", "b", "c", "d"};
    snprintf(oid, sizeof oid, "t%d", i);
    CHECK_OK(ecai_recommend_add_order(r, oid, NULL, 1000 + i, ids, NULL, NULL, 4));
  }
  add(r, "p1", NULL, 2000, "a", "e", "f");
  CHECK_OK(ecai_recommend_set_item(r, "b", "B", 1.5));
  CHECK_OK(ecai_recommend_set_item(r, "c", "C", 2));
  CHECK_OK(ecai_recommend_set_item(r, "d", "D", 3));
  CHECK_OK(ecai_recommend_fit(r));
  j = query(r, "{\"cart\":[\"a\"],\"strategy\":\"bundle\",\"k\":10}");
  bs = json_object_get(j, "bundles");
  CHECK(json_array_size(bs) == 4); /* bcd, bc, bd, cd; {e, f} was bought once */
  int triples = 0;
  for (size_t i = 0; i < json_array_size(bs); i++) {
    json_t *x = json_array_get(bs, i);
    CHECK(json_integer_value(json_object_get(x, "orders")) == 5);
    CHECK(!has_id(x, "e") && !has_id(x, "f"));
    if (json_array_size(json_object_get(x, "items")) == 3) {
      triples++;
      CHECK(json_number_value(json_object_get(x, "price")) == 6.5); /* 1.5 + 2 + 3 */
    }
  }
  CHECK(triples == 1);
  json_decref(j);
  /* without a cart: the pairs most often bought together overall */
  j = query(r, "{\"strategy\":\"bundle\",\"k\":1}");
  CHECK(json_array_size(json_object_get(j, "bundles")) == 1);
  CHECK_CONTAINS(json_string_value(json_object_get(json_array_get(json_object_get(j, "bundles"), 0), "reason")),
                 "often bought together");
  json_decref(j);
  ecai_recommend_free(r);
}

/* The bundle weight: members that go with each other lift a set above two stronger singles
   that do not; every factor is capped at 1; a third member without lift lowers the weight. */
TEST(recommend_bundle_weight) {
  float lone[2] = {1.0f, 0.9f}, mate[2] = {0.8f, 0.8f}, nolift[4] = {0}, lift[4] = {0, 1, 1, 0};
  double w_lone = ecai__reco_bundle_weight(lone, nolift, 2), w_mate = ecai__reco_bundle_weight(mate, lift, 2);
  CHECK(w_lone > 0 && w_mate > w_lone);
  CHECK(ecai__reco_bundle_weight(mate, nolift, 2) < w_lone);
  float big[4] = {0, 1000, 1000, 0};
  CHECK(ecai__reco_bundle_weight(mate, big, 2) <= 1.0 && ecai__reco_bundle_weight(mate, big, 2) > w_mate);
  float three[3] = {1.0f, 0.9f, 0.9f}, nolift3[9] = {0};
  CHECK(ecai__reco_bundle_weight(three, nolift3, 3) < w_lone);
  float neg[2] = {-1.0f, 0.5f};
  CHECK(ecai__reco_bundle_weight(neg, nolift, 2) == 0);
}

/* Bundles rank a pair bought together (d, e: with the cart and on their own) above the two
   products most often bought with the cart one by one (b, c: together only twice), which
   the geometric mean of the single scores (the former order) put first. */
TEST(recommend_bundles_prefer_sets_bought_together) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  char oid[32];
  int n = 0;
  for (int i = 0; i < 2; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, NULL, 1000 + n, "a", "b", "c");
  for (int i = 0; i < 5; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, NULL, 1000 + n, "a", "b", NULL);
  for (int i = 0; i < 5; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, NULL, 1000 + n, "a", "c", NULL);
  for (int i = 0; i < 6; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, NULL, 1000 + n, "a", "d", "e");
  for (int i = 0; i < 6; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, NULL, 1000 + n, "d", "e", NULL);
  for (int i = 0; i < 4; i++, n++) snprintf(oid, sizeof oid, "o%d", n), add(r, oid, NULL, 1000 + n, "x", "y", NULL);
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[\"a\"],\"k\":2}"); /* the two best single recommendations */
  CHECK(has_id(j, "b") && has_id(j, "c"));
  json_decref(j);
  j = query(r, "{\"cart\":[\"a\"],\"strategy\":\"bundle\",\"k\":5}");
  json_t *bs = json_object_get(j, "bundles"), *its = json_object_get(json_array_get(bs, 0), "items");
  CHECK(json_array_size(its) == 2);
  CHECK(has_id(json_array_get(bs, 0), "d") && has_id(json_array_get(bs, 0), "e"));
  CHECK(json_integer_value(json_object_get(json_array_get(bs, 0), "orders")) == 6);
  int bc = 0; /* {b, c} (2 orders) is still a bundle, after {d, e} */
  for (size_t i = 1; i < json_array_size(bs); i++)
    bc |= json_array_size(json_object_get(json_array_get(bs, i), "items")) == 2 && has_id(json_array_get(bs, i), "b") &&
          has_id(json_array_get(bs, i), "c");
  CHECK(bc);
  json_decref(j);
  ecai_recommend_free(r);
}

/* The customer's repeat propensity: lines of later orders naming a product of an earlier one;
   orders after "now" do not count; the factor on w_rebuy is above 1 for a customer who
   re-orders more than the shop, below 1 for one who never does, 1 for an unknown one. */
TEST(recommend_customer_repeat_rate) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  add(r, "l1", "loyal", 1000, "tea", "a", NULL);
  add(r, "l2", "loyal", 2000, "tea", "b", NULL);
  add(r, "l3", "loyal", 3000, "tea", "c", NULL);
  add(r, "l4", "loyal", 9000, "tea", "a", "b"); /* after "now" below */
  add(r, "n1", "novel", 1000, "d", "e", NULL);
  add(r, "n2", "novel", 2000, "f", "g", NULL);
  add(r, "n3", "novel", 3000, "h", "i", NULL);
  add(r, "s1", "single", 1000, "tea", "j", NULL);
  CHECK_OK(ecai_recommend_fit(r));
  uint8_t *mark = calloc(r->n_items, 1);
  double rep = 0, lines = 0;
  ecai__reco_repeat_counts(r, ecai__reco_customer(r, "loyal"), 5000, mark, &rep, &lines);
  CHECK(rep == 2 && lines == 4); /* tea again in l2 and l3; l4 is after now */
  for (size_t i = 0; i < r->n_items; i++) CHECK(mark[i] == 0);
  rep = lines = 0;
  ecai__reco_repeat_counts(r, ecai__reco_customer(r, "loyal"), 9000, mark, &rep, &lines);
  CHECK(rep == 5 && lines == 7);
  rep = lines = 0;
  ecai__reco_repeat_counts(r, ecai__reco_customer(r, "single"), 9000, mark, &rep, &lines);
  CHECK(rep == 0 && lines == 0); /* one order: nothing to repeat */
  free(mark);
  CHECK_NEAR(r->repeat_prior, 5.0 / 11.0, 1e-9); /* loyal 5 / 7, novel 0 / 4 */
  double fl = ecai__reco_repeat_factor(r, "loyal", 5000), fn = ecai__reco_repeat_factor(r, "novel", 5000);
  CHECK(fl > 1 && fn < 1 && fn > 0);
  CHECK(ecai__reco_repeat_factor(r, "nobody", 5000) == 1.0);
  CHECK_NEAR(ecai__reco_repeat_factor(r, "single", 5000), 1.0, 1e-12); /* nothing to tell: the shop's rate */
  /* in a request: the re-order's score rises by w_rebuy x the factor x its share of the orders (1) */
  double score[2];
  for (int pass = 0; pass < 2; pass++) {
    CHECK_OK(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_W_REBUY, pass ? 1.0 : 0.0));
    json_t *j = query(r, "{\"cart\":[\"x\"],\"customer\":\"loyal\",\"now\":5000,\"k\":20}");
    score[pass] = -1;
    for (size_t i = 0; i < n_items(j); i++)
      if (!strcmp(id_at(j, i), "tea")) score[pass] = json_number_value(json_object_get(json_array_get(json_object_get(j, "items"), i), "score"));
    json_decref(j);
  }
  CHECK(score[0] >= 0 && score[1] >= 0);
  CHECK_NEAR(score[1] - score[0], fl, 1e-4);
  /* derived again at load (mapped model file): the same shop rate and factors */
  char *path = path_in(ecai_test_tmpdir(), "repeat.model");
  CHECK_OK(ecai_recommend_save(r, path));
  ecai_recommend *m = NULL;
  CHECK_OK(ecai_recommend_load(&m, NULL, path));
  CHECK(ecai__reco_is_mapped(m));
  CHECK_NEAR(m->repeat_prior, r->repeat_prior, 1e-12);
  CHECK_NEAR(ecai__reco_repeat_factor(m, "loyal", 5000), fl, 1e-12);
  ecai_recommend_free(m);
  ecai_recommend_free(r);
}

/* Trending: recent sales (decayed, x the square root of the rise over the product's own
   past) plus popularity, each over its maximum; "rising" reasons only for rising products. */
TEST(recommend_trending) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  const int64_t day = 86400, now = 400 * day;
  char oid[32];
  int n = 0;
  /* steady: 1 order a week for 16 weeks; rising: 1 in the baseline, 8 in the last 28 days;
     gone: 20 orders in the baseline (the most orders of all), none lately */
  for (int w = 0; w < 16; w++) snprintf(oid, sizeof oid, "o%d", n++), add(r, oid, NULL, now - w * 7 * day, "steady", NULL, NULL);
  snprintf(oid, sizeof oid, "o%d", n++), add(r, oid, NULL, now - 60 * day, "rising", NULL, NULL);
  for (int i = 0; i < 8; i++) snprintf(oid, sizeof oid, "o%d", n++), add(r, oid, NULL, now - i * 3 * day, "rising", NULL, NULL);
  for (int i = 0; i < 20; i++) snprintf(oid, sizeof oid, "o%d", n++), add(r, oid, NULL, now - (40 + i) * day, "gone", NULL, NULL);
  /* ancient: the most orders, all before the 28 + 84 days: not listed */
  for (int i = 0; i < 30; i++) snprintf(oid, sizeof oid, "o%d", n++), add(r, oid, NULL, now - (200 + i) * day, "ancient", NULL, NULL);
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"strategy\":\"trending\",\"k\":5}");
  CHECK_STR_EQ(json_string_value(json_object_get(j, "strategy")), "trending");
  CHECK(n_items(j) == 3);
  /* rising: the most recent sales (1) + 9/20; steady: about a third of them + 16/20; gone: 0 + 1 */
  CHECK_STR_EQ(id_at(j, 0), "rising");
  CHECK_STR_EQ(reason_at(j, 0), "trending: 8 orders in the last 28 days, 2.4x its earlier rate");
  CHECK_STR_EQ(id_at(j, 1), "steady");
  CHECK_STR_EQ(reason_at(j, 1), "popular with other shoppers"); /* (4 + 5) / (12 x 28/84 + 5) = 1: not rising */
  CHECK_STR_EQ(id_at(j, 2), "gone");
  CHECK(!has_id(j, "ancient"));
  json_decref(j);
  /* "now" moves the window: 35 days ago "gone" was selling and "rising" had one order */
  char req[128];
  snprintf(req, sizeof req, "{\"strategy\":\"trending\",\"now\":%lld}", (long long)(now - 35 * day));
  j = query(r, req);
  CHECK_STR_EQ(id_at(j, 0), "gone");
  CHECK_CONTAINS(reason_at(j, 0), "trending: 20 orders");
  json_decref(j);
  /* before any order: nothing */
  snprintf(req, sizeof req, "{\"strategy\":\"trending\",\"now\":%lld}", (long long)(now - 300 * day));
  j = query(r, req);
  CHECK(n_items(j) == 0);
  json_decref(j);
  /* a loaded model computes the same trend */
  const char *dir = ecai_test_tmpdir();
  CHECK_OK(ecai_recommend_save(r, path_in(dir, "t.bin")));
  ecai_recommend *r2 = NULL;
  CHECK_OK(ecai_recommend_load(&r2, NULL, path_in(dir, "t.bin")));
  j = query(r2, "{\"strategy\":\"trending\",\"k\":5}");
  CHECK(n_items(j) == 3);
  CHECK_STR_EQ(id_at(j, 0), "rising");
  CHECK_STR_EQ(id_at(j, 2), "gone");
  json_decref(j);
  ecai_recommend_free(r2);
  ecai_recommend_free(r);
}

TEST(recommend_incremental_update_without_refit) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"ease_stale\":0");
  ecai_free(s);
  json_t *j = query(r, "{\"cart\":[\"sofa\"],\"k\":3,\"method\":\"cosine\"}");
  CHECK(!has_id(j, "lamp"));
  json_decref(j);
  for (int i = 0; i < 3; i++) {
    char oid[16];
    snprintf(oid, sizeof oid, "n%d", i);
    add(r, oid, NULL, 9000 + i, "sofa", "lamp", NULL);
  }
  j = query(r, "{\"cart\":[\"sofa\"],\"k\":3,\"method\":\"cosine\"}");
  CHECK(has_id(j, "lamp")); /* co-occurrence counts updated immediately */
  json_decref(j);
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"ease_stale\":1");
  ecai_free(s);
  /* lines of a known order id are merged into that order */
  const char *more[1] = {"cushion"};
  CHECK_OK(ecai_recommend_add_order(r, "n0", NULL, 9000, more, NULL, NULL, 1));
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"orders\":26");
  ecai_free(s);
  ecai_recommend_free(r);
}

/* 2-D content vectors by product id (for the content index test). */
static int vec2(float *out, size_t dim, const char *id, void *payload) {
  (void)payload;
  static const struct { const char *id; float x, y; } v[] = {
      {"a", 1, 0}, {"b", 0.9f, 0.1f}, {"c", 0.5f, 0.5f}, {"d", 0, 1}, {"late", 0.95f, 0.05f}};
  if (dim != 2) return 0;
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    if (!strcmp(v[i].id, id)) {
      out[0] = v[i].x;
      out[1] = v[i].y;
      return 1;
    }
  return 0;
}

TEST(recommend_content_candidates_come_from_the_vector_index) {
  ecai_ctx *ctx = NULL;
  ecai_recommend *r = NULL;
  const char *ids[] = {"a", "b", "c", "d"};
  json_t *j;
  for (int mode = 0; mode < 2; mode++) { /* the in-process exact index, then FAISS Flat */
    const char *cfg = mode ? "{\"recommend\":{\"content_candidates\":1,\"content_index\":\"Flat\"}}"
                           : "{\"recommend\":{\"content_candidates\":1}}";
    CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
    CHECK_OK(ecai_recommend_new(&r, ctx));
    for (int i = 0; i < 4; i++) CHECK_OK(ecai_recommend_set_item(r, ids[i], NULL, 1));
    CHECK_OK(ecai_recommend_set_content_fn(r, 2, vec2, NULL));
    /* one candidate from the index (beside the cart item itself): the nearest only */
    j = query(r, "{\"cart\":[\"a\"],\"k\":3,\"method\":\"content\"}");
    CHECK_INT_EQ(n_items(j), 1);
    CHECK_STR_EQ(id_at(j, 0), "b");
    json_decref(j);
    /* a co-purchase neighbour is a candidate too (union), scored by content */
    add(r, "o1", NULL, 1, "a", "d", NULL);
    j = query(r, "{\"cart\":[\"a\"],\"k\":3,\"method\":\"content\"}");
    CHECK(has_id(j, "b") && !has_id(j, "c"));
    json_decref(j);
    /* a product added later: the exact index sees it at once; FAISS scans it beside its
       own candidates until the next build */
    add(r, "o2", NULL, 2, "late", NULL, NULL);
    j = query(r, "{\"cart\":[\"a\"],\"k\":3,\"method\":\"content\"}");
    CHECK_STR_EQ(id_at(j, 0), "late");
    CHECK_INT_EQ(has_id(j, "b"), mode);
    json_decref(j);
    CHECK_OK(ecai_recommend_fit(r)); /* rebuilds the index: "late" is now one of its rows */
    j = query(r, "{\"cart\":[\"a\"],\"k\":3,\"method\":\"content\"}");
    CHECK_STR_EQ(id_at(j, 0), "late");
    CHECK(!has_id(j, "b"));
    json_decref(j);
    ecai_recommend_free(r);
    ecai_ctx_free(ctx);
  }
  /* another FAISS index type answers the same; a bad factory string is a backend error */
  const char *cfg = "{\"recommend\":{\"content_index\":\"HNSW16\"}}";
  CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  CHECK_OK(ecai_recommend_new(&r, ctx));
  for (int i = 0; i < 4; i++) CHECK_OK(ecai_recommend_set_item(r, ids[i], NULL, 1));
  CHECK_OK(ecai_recommend_set_content_fn(r, 2, vec2, NULL));
  j = query(r, "{\"cart\":[\"a\"],\"k\":3,\"method\":\"content\"}");
  CHECK_INT_EQ(n_items(j), 2); /* d is orthogonal to a: no content score */
  CHECK_STR_EQ(id_at(j, 0), "b");
  CHECK_STR_EQ(id_at(j, 1), "c");
  json_decref(j);
  ecai_recommend_free(r);
  ecai_ctx_free(ctx);
  cfg = "{\"recommend\":{\"content_index\":\"NoSuchIndex\"}}";
  CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  CHECK_OK(ecai_recommend_new(&r, ctx));
  CHECK_OK(ecai_recommend_set_item(r, "a", NULL, 1));
  CHECK_STATUS(ecai_recommend_set_content_fn(r, 2, vec2, NULL), ECAI_EBACKEND);
  ecai_recommend_free(r);
  ecai_ctx_free(ctx);
}

static double score_of(json_t *j, const char *id) {
  for (size_t i = 0; i < n_items(j); i++)
    if (!strcmp(id_at(j, i), id))
      return json_number_value(json_object_get(json_array_get(json_object_get(j, "items"), i), "score"));
  return -1;
}

/* The session vector is the cart plus the (recency-weighted) history. */
TEST(recommend_session_vector_includes_recent_history) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  const char *ids[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; i++) CHECK_OK(ecai_recommend_set_item(r, ids[i], NULL, 1));
  CHECK_OK(ecai_recommend_set_content_fn(r, 2, vec2, NULL));
  json_t *j0 = query(r, "{\"cart\":[\"a\"],\"k\":3,\"method\":\"content\"}");
  json_t *j1 = query(r, "{\"cart\":[\"a\"],\"history\":[{\"id\":\"d\",\"ts\":1000000}],\"now\":1000000,"
                        "\"k\":3,\"method\":\"content\"}");
  json_t *j2 = query(r, "{\"cart\":[\"a\"],\"history\":[{\"id\":\"d\",\"ts\":1000000}],\"now\":31000000,"
                        "\"k\":3,\"method\":\"content\"}");
  double c0 = score_of(j0, "c"), c1 = score_of(j1, "c"), c2 = score_of(j2, "c");
  CHECK_MSG(c1 > c0, "recent history did not move the session toward it (%g vs %g)", c1, c0);
  CHECK_MSG(c2 < c1 && c2 >= c0, "an old history item should count less (%g, %g, %g)", c0, c2, c1);
  CHECK_STR_EQ(id_at(j1, 0), "b"); /* the cart still leads */
  json_decref(j0);
  json_decref(j1);
  json_decref(j2);
  ecai_recommend_free(r);
}

TEST(recommend_ease_learns_pairs) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_EASE_LAMBDA, 1));
  char oid[16];
  for (int i = 0; i < 20; i++) {
    snprintf(oid, sizeof oid, "o%d", i);
    if (i % 2) add(r, oid, NULL, i, "a", "b", NULL);
    else add(r, oid, NULL, i, "c", "d", i % 4 ? "a" : NULL);
  }
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[\"b\"],\"k\":1,\"method\":\"ease\"}");
  CHECK_STR_EQ(id_at(j, 0), "a");
  json_decref(j);
  j = query(r, "{\"cart\":[\"d\"],\"k\":1,\"method\":\"ease\"}");
  CHECK_STR_EQ(id_at(j, 0), "c");
  json_decref(j);
  /* max_items limits the model to the most frequent items */
  CHECK_OK(ecai_recommend_set_int(r, ECAI_RECOMMEND_OPT_MAX_ITEMS, 2));
  CHECK_OK(ecai_recommend_fit(r));
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"ease_items\":2");
  ecai_free(s);
  ecai_recommend_free(r);
}

TEST(recommend_content_matrix_for_cold_items_and_similar) {
  ecai_recommend *r = shop();
  /* a new mug with a single order: cold. Synthetic 3-d vectors: mugs ~ x, sofas ~ y. */
  add(r, "cold1", NULL, 5000, "redmug", NULL, NULL);
  const char *ids[] = {"mug", "redmug", "coffee", "spoon", "sofa", "cushion", "greensofa"};
  const float mat[] = {1, 0, 0, 0.95f, 0.05f, 0, 0.2f, 0, 1, 0.1f, 0, 1, 0, 1, 0, 0, 0.6f, 0.8f, 0.05f, 0.95f, 0};
  CHECK_OK(ecai_recommend_set_content(r, ids, mat, 7, 3));
  json_t *j = query(r, "{\"cart\":[\"mug\"],\"k\":2,\"strategy\":\"similar\"}");
  CHECK_STR_EQ(id_at(j, 0), "redmug");
  CHECK_STR_EQ(reason_at(j, 0), "similar to White ceramic mug");
  json_decref(j);
  /* a product known only by its vector (no orders) is still recommended */
  j = query(r, "{\"cart\":[\"sofa\"],\"k\":1,\"strategy\":\"similar\"}");
  CHECK_STR_EQ(id_at(j, 0), "greensofa");
  json_decref(j);
  j = query(r, "{\"cart\":[\"mug\"],\"k\":6}");
  CHECK(has_id(j, "redmug")); /* cold item reaches the mixed list through content */
  json_decref(j);
  const char *bad_ids[] = {""};
  CHECK_STATUS(ecai_recommend_set_content(r, bad_ids, mat, 1, 3), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_set_content(r, ids, mat, 7, 0), ECAI_EINVAL);
  ecai_recommend_free(r);
}

static int vec_cb(float *out, size_t dim, const char *id, void *payload) {
  (*(int *)payload)++;
  if (dim != 2) return 0;
  if (strstr(id, "sofa")) out[0] = 1, out[1] = 0.1f;
  else if (strstr(id, "mug")) out[0] = 0, out[1] = 1;
  else return 0;
  return 1;
}

TEST(recommend_content_callback) {
  ecai_recommend *r = shop();
  int calls = 0;
  CHECK_OK(ecai_recommend_set_content_fn(r, 2, vec_cb, &calls));
  CHECK(calls >= 7);
  add(r, "x1", NULL, 6000, "bigsofa", NULL, NULL); /* new product: the callback is asked */
  json_t *j = query(r, "{\"cart\":[\"sofa\"],\"k\":1,\"strategy\":\"similar\"}");
  CHECK_STR_EQ(id_at(j, 0), "bigsofa");
  json_decref(j);
  /* a cart product the model has never seen: its vector still finds similar products */
  j = query(r, "{\"cart\":[\"newmug\"],\"k\":1}");
  CHECK_STR_EQ(id_at(j, 0), "mug");
  CHECK_STR_EQ(reason_at(j, 0), "similar to items in your cart");
  CHECK_INT_EQ(json_array_size(json_object_get(j, "unknown")), 1);
  json_decref(j);
  CHECK_STATUS(ecai_recommend_set_content_fn(r, 0, vec_cb, &calls), ECAI_EINVAL);
  CHECK_OK(ecai_recommend_set_content_fn(r, 0, NULL, NULL)); /* back to title vectors */
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"content\":\"title_text\"");
  ecai_free(s);
  ecai_recommend_free(r);
}

TEST(recommend_text_vectors_rank_similar_titles) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_set_item(r, "a", "RED RETROSPOT CAKE STAND", 10));
  CHECK_OK(ecai_recommend_set_item(r, "b", "RED RETROSPOT CHARLOTTE BAG", 2));
  CHECK_OK(ecai_recommend_set_item(r, "c", "WOODEN PICTURE FRAME WHITE", 3));
  CHECK_OK(ecai_recommend_set_item(r, "d", "RETROSPOT CAKE CASES", 1));
  json_t *j = query(r, "{\"cart\":[\"a\"],\"k\":3,\"strategy\":\"similar\"}");
  CHECK(n_items(j) >= 2);
  CHECK(strcmp(id_at(j, 0), "c") != 0 && strcmp(id_at(j, 1), "c") != 0);
  json_decref(j);
  ecai_recommend_free(r);
}

/* The title vectors come from the builtin embedder: its IDF is learnt at fit (a word
   shared by every title stops counting) and comes back with a saved model. */
TEST(recommend_title_embedder_fitted_and_saved) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  const char *t[][2] = {{"a", "LANTERN hanging heart"}, {"b", "LANTERN candle holder"}, {"c", "LANTERN heart garland"},
                        {"d", "LANTERN wooden star"}, {"e", "LANTERN paper chain"}, {"f", "LANTERN glass jar"}};
  for (int i = 0; i < 6; i++) CHECK_OK(ecai_recommend_set_item(r, t[i][0], t[i][1], 1));
  add(r, "o1", NULL, 1, "d", "e", NULL);
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"content_dim\":384"); /* the builtin embedder's default dimension */
  CHECK_CONTAINS(s, "\"title_embedder_fitted\":0");
  CHECK_CONTAINS(s, "\"content_index\":\"exact\"");
  ecai_free(s);
  const char *req = "{\"cart\":[\"a\"],\"k\":5,\"method\":\"content\"}";
  char *before = NULL, *after = NULL, *loaded = NULL;
  CHECK_OK(ecai_recommend_query(&before, NULL, r, req, strlen(req)));
  CHECK_OK(ecai_recommend_fit(r));
  CHECK_OK(ecai_recommend_query(&after, NULL, r, req, strlen(req)));
  json_t *ja = json_loads(after, 0, NULL), *jb = json_loads(before, 0, NULL);
  CHECK_STR_EQ(id_at(ja, 0), "c"); /* shares "heart" */
  /* the common word weighs less after the fit: the unrelated titles score lower */
  double sb = json_number_value(json_object_get(json_array_get(json_object_get(jb, "items"), 4), "score"));
  double sa = json_number_value(json_object_get(json_array_get(json_object_get(ja, "items"), 4), "score"));
  CHECK_MSG(sa < sb, "IDF fit did not lower the shared word's weight (%g vs %g)", sa, sb);
  json_decref(ja);
  json_decref(jb);
  char *p = path_in(ecai_test_tmpdir(), "titles.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  ecai_recommend *l = NULL;
  CHECK_OK(ecai_recommend_load(&l, NULL, p));
  CHECK_OK(ecai_recommend_query(&loaded, NULL, l, req, strlen(req)));
  CHECK_STR_EQ(loaded, after);
  CHECK_OK(ecai_recommend_stats(&s, NULL, l));
  CHECK_CONTAINS(s, "\"title_embedder_fitted\":1");
  ecai_free(s);
  ecai_free(before);
  ecai_free(after);
  ecai_free(loaded);
  ecai_recommend_free(l);
  ecai_recommend_free(r);
}

TEST(recommend_save_load_roundtrip_and_corruption) {
  ecai_recommend *r = shop();
  const char *ids[] = {"mug", "sofa"};
  const float mat[] = {1, 0, 0, 1};
  CHECK_OK(ecai_recommend_set_content(r, ids, mat, 2, 2));
  CHECK_OK(ecai_recommend_fit(r));
  const char *dir = ecai_test_tmpdir();
  char *p = path_in(dir, "model.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  const char *req = "{\"cart\":[\"mug\"],\"k\":4}";
  char *a = NULL, *b = NULL;
  CHECK_OK(ecai_recommend_query(&a, NULL, r, req, strlen(req)));
  ecai_recommend *l = NULL;
  CHECK_OK(ecai_recommend_load(&l, NULL, p));
  CHECK_OK(ecai_recommend_query(&b, NULL, l, req, strlen(req)));
  CHECK_STR_EQ(b, a);
  char *s1 = NULL, *s2 = NULL;
  CHECK_OK(ecai_recommend_stats(&s1, NULL, r));
  CHECK_OK(ecai_recommend_stats(&s2, NULL, l));
  CHECK_STR_EQ(s2, s1);
  ecai_free(s1);
  ecai_free(s2);
  ecai_free(a);
  ecai_free(b);
  ecai_recommend_free(l);
  /* flip one byte in the middle: checksum */
  FILE *f = fopen(p, "rb");
  CHECK(f != NULL);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc((size_t)len);
  CHECK(fread(data, 1, (size_t)len, f) == (size_t)len);
  fclose(f);
  char *q = path_in(dir, "bad.bin");
  data[len / 2] ^= 0x40;
  f = fopen(q, "wb");
  fwrite(data, 1, (size_t)len, f);
  fclose(f);
  l = (ecai_recommend *)1;
  CHECK_STATUS(ecai_recommend_load(&l, NULL, q), ECAI_ECORRUPT);
  CHECK(l == NULL);
  data[len / 2] ^= 0x40;
  f = fopen(q, "wb"); /* truncated */
  fwrite(data, 1, (size_t)len - 9, f);
  fclose(f);
  CHECK_STATUS(ecai_recommend_load(&l, NULL, q), ECAI_ECORRUPT);
  data[8] = 99; /* another format version */
  f = fopen(q, "wb");
  fwrite(data, 1, (size_t)len, f);
  fclose(f);
  CHECK_STATUS(ecai_recommend_load(&l, NULL, q), ECAI_ECORRUPT);
  CHECK_CONTAINS(ecai_last_error(), "version");
  free(data);
  write_file(q, "hello");
  CHECK_STATUS(ecai_recommend_load(&l, NULL, q), ECAI_ECORRUPT);
  CHECK_STATUS(ecai_recommend_load(&l, NULL, path_in(dir, "missing.bin")), ECAI_EIO);
  CHECK_STATUS(ecai_recommend_save(r, path_in(dir, "no/such/dir/m.bin")), ECAI_EIO);
  ecai_recommend_free(r);
}

/* Files written before categories (format version 1) still load. */
TEST(recommend_loads_version_1_model_files) {
  ecai_recommend *r = shop();
  CHECK_OK(ecai_recommend_fit(r));
  char *p = path_in(ecai_test_tmpdir(), "v2.bin");
  ecai__reco_save_version = 2; /* the unmapped format, rewritten to version 1 below */
  CHECK_OK(ecai_recommend_save(r, p));
  ecai__reco_save_version = 3;
  FILE *f = fopen(p, "rb");
  CHECK(f != NULL);
  static unsigned char in[1 << 20], out[1 << 20];
  size_t len = fread(in, 1, sizeof in, f);
  fclose(f);
  CHECK(len > 32 && len < sizeof in);
  /* v2 -> v1: drop each item's category string (all NULL here) and the trailing flags */
  size_t ip = 0, op = 0;
  uint32_t u32;
  uint64_t ni;
  memcpy(out, in, 16), ip = op = 16;
  out[8] = 1;
  memcpy(&ni, in + ip, 8);
  memcpy(out + op, in + ip, 8), ip += 8, op += 8;
  for (uint64_t i = 0; i < ni; i++) {
    for (int str = 0; str < 2; str++) { /* id, title */
      memcpy(&u32, in + ip, 4);
      size_t n = 4 + (u32 == UINT32_MAX ? 0 : u32);
      memcpy(out + op, in + ip, n), ip += n, op += n;
    }
    memcpy(&u32, in + ip, 4);
    CHECK(u32 == UINT32_MAX); /* no category */
    ip += 4;
    memcpy(out + op, in + ip, 12), ip += 12, op += 12; /* price_sum, price_n */
  }
  size_t rest = len - 8 - 4 - ip; /* orders, EASE, content kind: unchanged */
  memcpy(out + op, in + ip, rest), op += rest;
  uint64_t sum = XXH3_64bits(out, op);
  memcpy(out + op, &sum, 8), op += 8;
  char *q = path_in(ecai_test_tmpdir(), "v1.bin");
  f = fopen(q, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(out, 1, op, f) == op);
  fclose(f);
  ecai_recommend *l = NULL;
  CHECK_OK(ecai_recommend_load(&l, NULL, q));
  const char *req = "{\"cart\":[\"mug\"],\"k\":3,\"method\":\"ease\"}";
  char *a = NULL, *b = NULL;
  CHECK_OK(ecai_recommend_query(&a, NULL, r, req, strlen(req)));
  CHECK_OK(ecai_recommend_query(&b, NULL, l, req, strlen(req)));
  CHECK_STR_EQ(b, a);
  ecai_free(a);
  ecai_free(b);
  ecai_recommend_free(l);
  ecai_recommend_free(r);
}

TEST(recommend_loads_orders_csv_and_gzip) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/recommend_orders.csv", ecai_test_root());
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_load_orders(r, path, 0));
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"orders\":35"); /* the negative-quantity and zero-price lines are skipped */
  CHECK_CONTAINS(s, "\"items\":11");
  ecai_free(s);
  /* the same content gzip-compressed */
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  const char *gzp = path_in(ecai_test_tmpdir(), "orders.csv.gz");
  gzFile gz = gzopen(gzp, "wb");
  CHECK(gz != NULL);
  CHECK(gzwrite(gz, buf, (unsigned)n) == (int)n);
  gzclose(gz);
  ecai_recommend *g = NULL;
  CHECK_OK(ecai_recommend_new(&g, NULL));
  int64_t cutoff;
  CHECK_OK(ecai_recommend_parse_date(&cutoff, "2024-03-10"));
  CHECK_OK(ecai_recommend_load_orders(g, gzp, cutoff));
  CHECK_OK(ecai_recommend_stats(&s, NULL, g));
  CHECK_CONTAINS(s, "\"orders\":17"); /* orders dated March 1..9 only */
  ecai_free(s);
  json_t *j = query(r, "{\"cart\":[\"SOFA1\"],\"k\":1,\"strategy\":\"complementary\"}");
  CHECK(!strcmp(id_at(j, 0), "CUSH1") || !strcmp(id_at(j, 0), "THROW1"));
  json_decref(j);
  ecai_recommend_free(g);
  ecai_recommend_free(r);
}

/* A customer's returns, cancellations, stock adjustments and zero-priced lines are not
   purchases: their history holds only what they bought. */
TEST(recommend_customer_history_ignores_returns_and_cancellations) {
  const char *dir = ecai_test_tmpdir();
  char *p = path_in(dir, "cust.csv");
  write_file(p,
             "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
             "536365,85123A,HEART HOLDER,6,2010-12-01T08:26,2.55,17850,United Kingdom\n"
             "C536366,71053,WHITE METAL LANTERN,-1,2010-12-02T08:28,3.39,17850,United Kingdom\n"
             "536367,22632,HAND WARMER,-3,2010-12-03T08:34,1.85,17850,United Kingdom\n"
             "536368,22633,HAND WARMER UNION JACK,6,2010-12-04T08:34,0,17850,United Kingdom\n"
             "536370,71053,WHITE METAL LANTERN,2,2010-12-05T09:00,3.39,12583,France\n"
             "536370,22633,HAND WARMER UNION JACK,2,2010-12-05T09:00,1.00,12583,France\n"
             "536371,22632,HAND WARMER,2,2010-12-05T10:00,1.85,12583,France\n");
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_load_orders(r, p, 0));
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"customer\":\"17850\",\"cart\":[\"71053\"],\"k\":10}");
  CHECK(json_integer_value(json_object_get(json_object_get(j, "customer"), "orders_used")) == 1);
  for (size_t i = 0; i < n_items(j); i++)
    if (strcmp(id_at(j, i), "85123A") != 0) /* only the heart holder was bought */
      CHECK_MSG(strcmp(reason_at(j, i), "you ordered this before") != 0, "%s", id_at(j, i));
  CHECK(has_id(j, "85123A"));
  json_decref(j);
  ecai_recommend_free(r);
}

TEST(recommend_csv_online_retail_cleaning_and_errors) {
  const char *dir = ecai_test_tmpdir();
  char *p = path_in(dir, "retail.csv");
  write_file(p,
             "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
             "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01T08:26,2.55,17850,United Kingdom\n"
             "536365,71053,\"WHITE METAL LANTERN, LARGE\",6,2010-12-01T08:26,3.39,17850,United Kingdom\n"
             "536365,POST,POSTAGE,1,2010-12-01T08:26,18,17850,United Kingdom\n"
             "C536366,71053,WHITE METAL LANTERN,-1,2010-12-01T08:28,3.39,17850,United Kingdom\n"
             "536367,22632,HAND WARMER,0,2010-12-01T08:34,1.85,,United Kingdom\n"
             "536368,22633,HAND WARMER UNION JACK,6,2010-12-01T08:34,0,,United Kingdom\n"
             "536369,M,Manual,1,2010-12-01T08:35,2.5,,United Kingdom\n");
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_load_orders(r, p, 0));
  char *s = NULL;
  CHECK_OK(ecai_recommend_stats(&s, NULL, r));
  CHECK_CONTAINS(s, "\"orders\":1,");
  CHECK_CONTAINS(s, "\"items\":2,");
  ecai_free(s);
  json_t *j = query(r, "{\"cart\":[\"85123A\"],\"k\":1}");
  CHECK_STR_EQ(reason_at(j, 0), "often bought with WHITE HANGING HEART T-LIGHT HOLDER");
  json_decref(j);
  ecai_recommend_free(r);
  CHECK_OK(ecai_recommend_new(&r, NULL));
  write_file(p, "a,b,c\n1,2,3\n");
  CHECK_STATUS(ecai_recommend_load_orders(r, p, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "order");
  write_file(p, "order_id,product_id,quantity,price,date\no1,p1,1,2.0,yesterday\n");
  CHECK_STATUS(ecai_recommend_load_orders(r, p, 0), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 2");
  write_file(p, "");
  CHECK_STATUS(ecai_recommend_load_orders(r, p, 0), ECAI_EPARSE);
  CHECK_STATUS(ecai_recommend_load_orders(r, path_in(dir, "none.csv"), 0), ECAI_EIO);
  ecai_recommend_free(r);
}

TEST(recommend_parse_date) {
  int64_t t;
  CHECK_OK(ecai_recommend_parse_date(&t, "1970-01-02"));
  CHECK_INT_EQ(t, 86400);
  CHECK_OK(ecai_recommend_parse_date(&t, "2011-10-01T08:26"));
  CHECK_INT_EQ(t, 1317457560);
  CHECK_OK(ecai_recommend_parse_date(&t, "2011-10-01 08:26:07"));
  CHECK_INT_EQ(t, 1317457567);
  CHECK_OK(ecai_recommend_parse_date(&t, "1700000000"));
  CHECK_INT_EQ(t, 1700000000);
  CHECK_STATUS(ecai_recommend_parse_date(&t, "2011-13-01"), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_parse_date(&t, "soon"), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_parse_date(&t, NULL), ECAI_EINVAL);
}

TEST(recommend_evaluate_small_file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/recommend_orders.csv", ecai_test_root());
  int64_t a, b;
  CHECK_OK(ecai_recommend_parse_date(&a, "2024-03-15"));
  CHECK_OK(ecai_recommend_parse_date(&b, "2024-04-01"));
  char *out = NULL;
  CHECK_OK(ecai_recommend_evaluate(&out, NULL, NULL, path, a, b, 5));
  json_t *j = json_loads(out, 0, NULL);
  CHECK(j != NULL);
  CHECK(json_integer_value(json_object_get(j, "test_baskets")) > 5);
  json_t *m = json_object_get(j, "methods");
  const char *names[] = {"popularity", "cooccurrence", "content", "blended"};
  for (int i = 0; i < 4; i++) {
    json_t *x = json_object_get(m, names[i]);
    CHECK_MSG(x && json_is_number(json_object_get(x, "hit_rate@5")), "method %s", names[i]);
    double h = json_number_value(json_object_get(x, "hit_rate@5"));
    CHECK(h >= 0 && h <= 1);
    CHECK(json_object_get(json_object_get(x, "cold_start"), "hit_rate@5") != NULL);
  }
  CHECK(json_number_value(json_object_get(json_object_get(m, "blended"), "hit_rate@5")) > 0.3);
  /* bundles against both peers (the served top-2 pair, with MMR, and without it): shares */
  json_t *bu = json_object_get(j, "bundles");
  const char *bk[] = {"bundle_hit@1", "bundle_hit@3", "peer_top2_pair_hit", "peer_top2_no_mmr_hit"};
  for (int i = 0; i < 4; i++) {
    json_t *x = json_object_get(bu, bk[i]);
    CHECK_MSG(json_is_number(x) && json_number_value(x) >= 0 && json_number_value(x) <= 1, "bundles %s", bk[i]);
  }
  CHECK(json_number_value(json_object_get(bu, "bundle_hit@1")) <= json_number_value(json_object_get(bu, "bundle_hit@3")));
  json_decref(j);
  ecai_free(out);
  CHECK_STATUS(ecai_recommend_evaluate(&out, NULL, NULL, path, b, a, 5), ECAI_EINVAL);
  CHECK_STATUS(ecai_recommend_evaluate(&out, NULL, NULL, "/nonexistent.csv", a, b, 5), ECAI_EIO);
}

/* The bundles section: baskets of 4 products that were always bought together; half of
   each is the cart, so the other two are the held-out half, the first bundle and the top-2
   pair (E sells more, alone). */
TEST(recommend_evaluate_bundles_against_the_top2_pair) {
  char *path = path_in(ecai_test_tmpdir(), "bundles_eval.csv");
  ecai__buf b = {0};
  ecai__buf_puts(&b, "order_id,product_id,title,quantity,price,date,customer\n");
  static const char *items[][2] = {{"A", "RED APPLE"}, {"B", "GREEN PEAR"}, {"C", "YELLOW BANANA"}, {"D", "PURPLE PLUM"}};
  for (int o = 0; o < 11; o++)
    for (int i = 0; i < 4; i++)
      ecai__buf_printf(&b, "%s%d,%s,%s,1,%d.00,2024-%s-%02d,\n", o < 6 ? "O" : "T", o, items[i][0], items[i][1], i + 1,
                       o < 6 ? "01" : "02", o + 1);
  for (int o = 0; o < 12; o++) ecai__buf_printf(&b, "E%d,E,BLUE KETTLE,1,9.00,2024-01-%02d,\n", o, o + 10);
  CHECK(!b.oom);
  write_file(path, b.data);
  ecai__buf_free(&b);
  int64_t a, t;
  CHECK_OK(ecai_recommend_parse_date(&a, "2024-02-01"));
  CHECK_OK(ecai_recommend_parse_date(&t, "2024-03-01"));
  char *out = NULL;
  CHECK_OK(ecai_recommend_evaluate(&out, NULL, NULL, path, a, t, 5));
  json_t *j = json_loads(out, 0, NULL), *bu = json_object_get(j, "bundles");
  CHECK(json_integer_value(json_object_get(bu, "baskets")) == 5);
  CHECK(json_integer_value(json_object_get(bu, "with_bundle")) == 5);
  CHECK_NEAR(json_number_value(json_object_get(bu, "bundle_hit@1")), 1.0, 1e-9);
  CHECK_NEAR(json_number_value(json_object_get(bu, "peer_top2_no_mmr_hit")), 1.0, 1e-9);
  CHECK_NEAR(json_number_value(json_object_get(bu, "top_bundle_size")), 2.0, 1e-9);
  json_decref(j);
  ecai_free(out);
}

/* Every reported metric of the evaluation, worked out by hand on tests/data/recommend_eval.csv
   (k = 3, recommend.cold_orders = 2).
   Training (before 2024-02-01): O1 {A,B,C,D}, O2 {A,B,C}, O3 {A,B}, O4 {A} -> orders per item
   A 4, B 3, C 2, D 1 (E: none, it first appears in the test month); pair counts AB 3, AC 2,
   BC 2, AD 1, BD 1, CD 1. Catalog = every product seen before --test-before: A..E = 5 (the L1
   order of March is past --test-before and ignored).
   Test baskets (February), hidden item = items[XXH3-64(order id) % 2] in file order
   (XXH3("T1") % 2 = 1, T2 1, T3 0, T4 1; see bindings/python/tests/xxh3_ref.py):
     T1 {B,C} hides C, cart B: popularity A4 C2 D1 -> C at rank 2; co-occurrence with B:
        A3 C2 D1 -> rank 2.                                       gain 1/log2(3) = 0.630930
     T2 {A,B} hides B, cart A: B3 C2 D1 (both methods) -> rank 1.  gain 1/log2(2) = 1
     T3 {E,A} hides E (no training order: never ranked) -> miss.   gain 0        (cold: 0 < 2)
     T4 {A,D} hides D, cart A: B3 C2 D1 -> rank 3.                 gain 1/log2(4) = 0.5 (cold: 1 < 2)
   hit_rate@3 = 3/4 = 0.7500;  ndcg@3 = (0.630930 + 1 + 0 + 0.5) / 4 = 0.532732 -> 0.5327
   coverage: recommended {A,C,D} u {B,C,D} u {B,C,D} u {B,C,D} = 4 of 5 = 0.8000
   cold start: 2 baskets (T3, T4), hit_rate@3 = 1/2 = 0.5000, ndcg@3 = 0.5 / 2 = 0.2500
   (with no log2 discount nDCG would be 3/4 = 0.75; with the cold slice over all baskets 0.125).
   Order value (quantity 1 each; prices A 1, B 2, C 3, D 4, E 5): hidden C 3 + B 2 + E 5 + D 4
   = 14, baskets 5 + 3 + 6 + 5 = 19; recovered C + B + D = 9 -> revenue@3 = 9/14 = 0.6429,
   aov_lift_bound = 9/19 = 0.4737 (with the basket minus the hidden item as the base: 9/5 = 1.8).
   No basket has a customer: all 4 are "without_history". Too few baskets to tune. */
TEST(recommend_evaluate_exact_metrics) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/recommend_eval.csv", ecai_test_root());
  int64_t a, b;
  CHECK_OK(ecai_recommend_parse_date(&a, "2024-02-01"));
  CHECK_OK(ecai_recommend_parse_date(&b, "2024-03-01"));
  ecai_ctx *ctx = NULL;
  const char *cfg = "{\"recommend\":{\"cold_orders\":2}}";
  CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  char *out = NULL;
  CHECK_OK(ecai_recommend_evaluate(&out, NULL, ctx, path, a, b, 3));
  CHECK_CONTAINS(out, "{\"test_baskets\":4,\"k\":3,\"train_orders\":4,\"catalog_items\":5,");
  CHECK_CONTAINS(out, "\"cold_start_baskets\":2,");
  CHECK_CONTAINS(out, "\"hidden_value\":14.00,\"basket_value\":19.00,\"tuning\":{\"skipped\":");
  const char *same = "{\"hit_rate@3\":0.7500,\"ndcg@3\":0.5327,\"coverage\":0.8000,"
                     "\"cold_start\":{\"baskets\":2,\"hit_rate@3\":0.5000,\"ndcg@3\":0.2500},"
                     "\"revenue@3\":0.6429,\"aov_lift_bound\":0.4737,"
                     "\"with_history\":{\"baskets\":0,\"hit_rate@3\":0.0000,\"revenue@3\":0.0000},"
                     "\"without_history\":{\"baskets\":4,\"hit_rate@3\":0.7500,\"revenue@3\":0.6429}}";
  char want[1024];
  snprintf(want, sizeof want, "\"popularity\":%s", same);
  CHECK_CONTAINS(out, want);
  snprintf(want, sizeof want, "\"cooccurrence\":%s", same);
  CHECK_CONTAINS(out, want);
  ecai_free(out);
  ecai_ctx_free(ctx);
}

/* Every allocation failure surfaces as ECAI_ENOMEM (no crash, no leak). */
TEST(recommend_allocation_failures) {
  int succeeded = 0;
  for (long n = 0; n < 1000 && !succeeded; n++) {
    ecai__test_fail_alloc_after(n);
    ecai_recommend *r = NULL;
    char *out = NULL;
    ecai_status st = ecai_recommend_new(&r, NULL);
    const char *o1[] = {"a", "b", "c"}, *o2[] = {"a", "b"};
    if (!st) st = ecai_recommend_add_order(r, "o1", "c1", 1, o1, NULL, NULL, 3);
    if (!st) st = ecai_recommend_add_order(r, "o2", NULL, 2, o2, NULL, NULL, 2);
    if (!st) st = ecai_recommend_set_item(r, "a", "Alpha product", 3);
    if (!st) st = ecai_recommend_fit(r);
    /* the customer's orders, bundles and a trend as of "now" allocate on their own paths */
    static const char *more[] = {"{\"cart\":[\"b\"],\"customer\":\"c1\"}", "{\"cart\":[\"a\"],\"strategy\":\"bundle\"}",
                                 "{\"strategy\":\"trending\",\"now\":5}"};
    for (int q = 0; q < 3 && !st; q++) {
      st = ecai_recommend_query(&out, NULL, r, more[q], strlen(more[q]));
      ecai_free(out);
      out = NULL;
    }
    if (!st) st = ecai_recommend_query(&out, NULL, r, "{\"cart\":[\"a\"],\"k\":2}", 20);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "n=%ld: status %d (%s)", n, (int)st, ecai_last_error());
    if (st == ECAI_OK) {
      CHECK_CONTAINS(out, "\"b\"");
      succeeded = 1;
    }
    ecai_free(out);
    ecai_recommend_free(r);
  }
  CHECK(succeeded);
}

TEST(recommend_complementary_prefers_complements_over_near_duplicates) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  char oid[16];
  for (int i = 0; i < 6; i++) {
    snprintf(oid, sizeof oid, "a%d", i);
    add(r, oid, NULL, i, "sofa", "othersofa", NULL);
    snprintf(oid, sizeof oid, "b%d", i);
    add(r, oid, NULL, i, "sofa", i < 5 ? "cushion" : "lamp", NULL);
  }
  const char *ids[] = {"sofa", "othersofa", "cushion", "lamp"};
  const float mat[] = {1, 0, 0, 0.99f, 0.14f, 0, 0, 1, 0, 0, 0, 1};
  CHECK_OK(ecai_recommend_set_content(r, ids, mat, 4, 3));
  CHECK_OK(ecai_recommend_fit(r));
  json_t *j = query(r, "{\"cart\":[\"sofa\"],\"k\":1,\"strategy\":\"complementary\",\"allow_pricier\":true}");
  CHECK_STR_EQ(id_at(j, 0), "cushion"); /* not a second sofa, although bought together more often */
  json_decref(j);
  j = query(r, "{\"cart\":[\"sofa\"],\"k\":1,\"strategy\":\"similar\"}");
  CHECK_STR_EQ(id_at(j, 0), "othersofa");
  json_decref(j);
  ecai_recommend_free(r);
}

TEST(recommend_mmr_diversifies) {
  /* three interchangeable variants and one different complement, all bought with "base" */
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  char oid[16];
  const char *prods[] = {"v1", "v2", "v3", "other"};
  int counts[] = {10, 9, 8, 6};
  int n = 0;
  for (int p = 0; p < 4; p++)
    for (int i = 0; i < counts[p]; i++) snprintf(oid, sizeof oid, "o%d", n++), add(r, oid, NULL, n, "base", prods[p], NULL);
  const char *ids[] = {"base", "v1", "v2", "v3", "other"};
  const float mat[] = {0, 0, 1, 1, 0, 0, 1, 0.01f, 0, 1, 0.02f, 0, 0, 1, 0};
  CHECK_OK(ecai_recommend_set_content(r, ids, mat, 5, 3));
  CHECK_OK(ecai_recommend_fit(r));
  CHECK_OK(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_MMR_LAMBDA, 1.0));
  json_t *j = query(r, "{\"cart\":[\"base\"],\"k\":2,\"method\":\"blended\"}");
  CHECK(!has_id(j, "other")); /* pure relevance: the two best variants */
  json_decref(j);
  CHECK_OK(ecai_recommend_set_double(r, ECAI_RECOMMEND_OPT_MMR_LAMBDA, 0.5));
  j = query(r, "{\"cart\":[\"base\"],\"k\":2,\"method\":\"blended\"}");
  CHECK(has_id(j, "other")); /* diversity: the second slot goes to a different product */
  json_decref(j);
  ecai_recommend_free(r);
}

TEST(recommend_allocation_failures_load_and_csv) {
  ecai_recommend *r = shop();
  const char *ids[] = {"mug", "sofa"};
  const float mat[] = {1, 0, 0, 1};
  CHECK_OK(ecai_recommend_set_content(r, ids, mat, 2, 2));
  CHECK_OK(ecai_recommend_fit(r));
  char *p = path_in(ecai_test_tmpdir(), "m.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  ecai_recommend_free(r);
  char csv[1024];
  snprintf(csv, sizeof csv, "%s/tests/data/recommend_orders.csv", ecai_test_root());
  int ok_load = 0, ok_csv = 0;
  for (long n = 0; n < 3000 && !(ok_load && ok_csv); n++) {
    ecai_recommend *l = NULL;
    ecai__test_fail_alloc_after(n);
    ecai_status st = ecai_recommend_load(&l, NULL, p);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "load n=%ld: %d %s", n, (int)st, ecai_last_error());
    CHECK(st == ECAI_OK || l == NULL);
    ok_load |= st == ECAI_OK;
    ecai_recommend_free(l);
    ecai_recommend *c = NULL;
    CHECK_OK(ecai_recommend_new(&c, NULL));
    ecai__test_fail_alloc_after(n);
    st = ecai_recommend_load_orders(c, csv, 0);
    char *out = NULL;
    if (!st) st = ecai_recommend_query(&out, NULL, c, "{\"cart\":[\"MUG1\"],\"history\":[{\"id\":\"TEA1\",\"ts\":1}]}", 50);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "csv n=%ld: %d %s", n, (int)st, ecai_last_error());
    ok_csv |= st == ECAI_OK;
    ecai_free(out);
    ecai_recommend_free(c);
  }
  CHECK(ok_load && ok_csv);
}

/* A new shop (no orders): the cart's category and department decide what goes with it,
   ahead of products that merely share a word of the title; without categories the word
   match wins again, and "similar" ignores categories. */
TEST(recommend_category_affinity_without_orders) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_set_item(r, "espresso", "Premium espresso machine", 300));
  CHECK_OK(ecai_recommend_set_item(r, "mattress", "Premium foam mattress", 400));
  CHECK_OK(ecai_recommend_set_item(r, "beans", "Dark roast beans 1 kg", 20));
  CHECK_OK(ecai_recommend_set_item(r, "kettle", "Electric kettle", 40));
  json_t *j = query(r, "{\"cart\":[\"espresso\"],\"k\":3}");
  CHECK_STR_EQ(id_at(j, 0), "mattress"); /* only the shared word "premium" speaks */
  json_decref(j);
  CHECK_OK(ecai_recommend_set_category(r, "espresso", "Kitchen > Coffee"));
  CHECK_OK(ecai_recommend_set_category(r, "beans", "Kitchen > Coffee"));
  CHECK_OK(ecai_recommend_set_category(r, "kettle", "kitchen > Appliances"));
  CHECK_OK(ecai_recommend_set_category(r, "mattress", "Bedroom > Mattresses"));
  j = query(r, "{\"cart\":[\"espresso\"],\"k\":3}");
  CHECK(n_items(j) >= 2);
  CHECK_STR_EQ(id_at(j, 0), "beans");
  CHECK_CONTAINS(reason_at(j, 0), "goes with Premium espresso machine (same category)");
  CHECK_STR_EQ(id_at(j, 1), "kettle");
  CHECK_CONTAINS(reason_at(j, 1), "(same department)");
  json_decref(j);
  j = query(r, "{\"cart\":[\"espresso\"],\"k\":1,\"strategy\":\"similar\"}");
  CHECK_STR_EQ(id_at(j, 0), "mattress");
  json_decref(j);
  ecai_recommend_free(r);
}
