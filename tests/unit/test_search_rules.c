/* ecai_search merchandising rules (pin, boost, bury, hide) and synonyms; bad input. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "core/internal.h"

static json_t *rq(ecai_search *s, const char *text, const char *opts) {
  char *out = NULL;
  if (ecai_search_query(&out, NULL, s, text, strlen(text), opts)) return NULL;
  json_t *j = json_loads(out, 0, NULL);
  ecai_free(out);
  return j;
}

/* "S-2 S-3 S-1" */
static const char *ids_of(json_t *r) {
  static char buf[512];
  size_t i, o = 0;
  json_t *h;
  buf[0] = 0;
  json_array_foreach(json_object_get(r, "hits"), i, h)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", json_string_value(json_object_get(h, "id")));
  return buf;
}

static const char *why_of(json_t *r, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(r, "hits"), i), "why"));
}

static ecai_status set(ecai_search *s, const char *js) { return ecai_search_set_rules_json(s, js, strlen(js)); }

TEST(search_rules_pin_boost_bury_hide) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *B = "{\"mode\":\"bm25\"}";
  json_t *r = rq(s, "sofa", B);
  CHECK_STR_EQ(ids_of(r), "S-2 S-3 S-1");
  json_decref(r);
  CHECK_OK(set(s, "[{\"query\":\"Sofa!\",\"pin\":[\"T-1\"],\"bury\":[\"S-2\"],\"boost\":[\"S-1\"]},"
                  "{\"query\":\"grey sofa\",\"hide\":[\"S-1\"]},"
                  "{\"query\":\"lamp\",\"match\":\"contains\",\"pin\":[{\"id\":\"L-2\",\"position\":2}]}]"));
  r = rq(s, "sofa", B);
  CHECK_STR_EQ(ids_of(r), "T-1 S-1 S-3 S-2");
  CHECK_STR_EQ(why_of(r, 0), "pinned by a merchandising rule");
  CHECK_CONTAINS(why_of(r, 1), "boosted by a merchandising rule");
  CHECK_CONTAINS(why_of(r, 3), "buried by a merchandising rule");
  CHECK_INT_EQ(json_integer_value(json_object_get(r, "total")), 4);
  json_decref(r);
  /* exact: "grey sofa" is not "sofa"; the "grey sofa" rule hides S-1 */
  r = rq(s, "GREY sofa", B);
  CHECK(strstr(ids_of(r), "S-1") == NULL);
  CHECK(strstr(ids_of(r), "T-1") == NULL);
  json_decref(r);
  /* contains: "brass floor lamp" holds "lamp"; a pin past the end goes to the end */
  r = rq(s, "brass floor lamp", B);
  CHECK_STR_EQ(ids_of(r), "L-1 L-2");
  json_decref(r);
  /* pages come after the rules */
  r = rq(s, "sofa", "{\"mode\":\"bm25\",\"k\":2,\"offset\":2}");
  CHECK_STR_EQ(ids_of(r), "S-3 S-2");
  json_decref(r);
  /* a pinned product the filters exclude is not shown (T-1 costs 899) */
  r = rq(s, "sofa", "{\"mode\":\"bm25\",\"filters\":{\"price_max\":600}}");
  CHECK_STR_EQ(ids_of(r), "S-1 S-2");
  json_decref(r);
  /* under a sort only hide applies */
  r = rq(s, "grey sofa", "{\"mode\":\"bm25\",\"sort\":\"price_asc\"}");
  CHECK(strstr(ids_of(r), "S-1") == NULL);
  json_decref(r);
  r = rq(s, "sofa", "{\"mode\":\"bm25\",\"sort\":\"price_asc\"}");
  CHECK_STR_EQ(ids_of(r), "S-2 S-1 S-3");
  json_decref(r);
  /* NULL clears */
  CHECK_OK(ecai_search_set_rules_json(s, NULL, 0));
  r = rq(s, "sofa", B);
  CHECK_STR_EQ(ids_of(r), "S-2 S-3 S-1");
  json_decref(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_rules_bad_input_changes_nothing) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  CHECK_OK(set(s, "[{\"query\":\"sofa\",\"pin\":[\"T-1\"]}]"));
  struct { const char *js; ecai_status want; const char *msg; } bad[] = {
      {"[{\"query\":\"sofa\",\"pin\":[\"NOPE-1\",\"S-1\"],\"hide\":[\"NOPE-2\"]}]", ECAI_EINVAL,
       "2 unknown products: \"NOPE-1\", \"NOPE-2\""},
      {"[{\"query\":\"sofa\",\"pin\":[\"S-1\"],\"hide\":[\"S-1\"]}]", ECAI_EINVAL, "product \"S-1\" is named twice (hide)"},
      {"[{\"query\":\"sofa\",\"pin\":[\"S-1\",{\"id\":\"S-2\",\"position\":1}]}]", ECAI_EINVAL,
       "two products pinned at position 1"},
      {"[{\"query\":\"sofa\"},{\"query\":\"SOFA\"}]", ECAI_EINVAL, "the same query and match as rules[0]"},
      {"[{\"query\":\"sofa\",\"pin\":[{\"id\":\"S-1\",\"position\":0}]}]", ECAI_EINVAL, "position"},
      {"[{\"query\":\"  \"}]", ECAI_EINVAL, "\"query\" has no words"},
      {"[{\"query\":\"sofa\",\"match\":\"fuzzy\"}]", ECAI_EINVAL, "\"match\" must be exact or contains"},
      {"[{\"query\":\"sofa\",\"pinned\":[]}]", ECAI_EINVAL, "unknown key \"pinned\""},
      {"[{\"query\":\"sofa\",\"hide\":\"S-1\"}]", ECAI_EINVAL, "must be a list"},
      {"[{\"query\":\"sofa\",\"hide\":[7]}]", ECAI_EINVAL, "must be a product id"},
      {"{\"synonyms\":[[\"couch\"]]}", ECAI_EINVAL, "at least two words"},
      {"{\"synonyms\":[[\"flat screen\",\"tv\"]]}", ECAI_EINVAL, "\"flat screen\" must be exactly one word"},
      {"{\"synonyms\":[{\"from\":\"tv\"}]}", ECAI_EINVAL, "{\"from\": word, \"to\": [words]}"},
      {"{\"rules\":[],\"extra\":1}", ECAI_EINVAL, "unknown key \"extra\""},
      {"7", ECAI_EINVAL, "expected a list of rules"},
      {"[{\"query\":", ECAI_EPARSE, "rules"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_STATUS(set(s, bad[i].js), bad[i].want);
    CHECK_CONTAINS(ecai_last_error(), bad[i].msg);
    json_t *r = rq(s, "sofa", "{\"mode\":\"bm25\"}"); /* the previous rules still hold */
    CHECK_STR_EQ(ids_of(r), "T-1 S-2 S-3 S-1");
    json_decref(r);
  }
  CHECK_STATUS(ecai_search_set_rules_json(NULL, "[]", 2), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_set_rules_json(s, NULL, 3), ECAI_EINVAL);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_synonyms_two_way_one_way_cycles) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *B = "{\"mode\":\"bm25\"}";
  json_t *r = rq(s, "settee", B);
  CHECK_STR_EQ(ids_of(r), "");
  json_decref(r);
  CHECK_OK(set(s, "{\"synonyms\":[{\"from\":\"Settee\",\"to\":[\"loveseat\"]},[\"lamp\",\"fan\"],"
                  "{\"from\":\"oak\",\"to\":[\"glass\"]},{\"from\":\"glass\",\"to\":[\"oak\"]},"
                  "[\"wool\",\"wool\",\"rug\"],{\"from\":\"rug\",\"to\":[\"carpetzz\"]}]}"));
  /* one-way: a word the catalog lacks finds its synonym, is not typo-corrected */
  r = rq(s, "settee", B);
  CHECK_STR_EQ(ids_of(r), "S-2");
  CHECK_STR_EQ(why_of(r, 0), "title: loveseat (synonym of settee)");
  CHECK_INT_EQ(json_object_size(json_object_get(r, "corrected")), 0);
  json_decref(r);
  r = rq(s, "loveseat", B); /* one-way: not back */
  CHECK_STR_EQ(ids_of(r), "S-2");
  json_decref(r);
  /* two-way */
  r = rq(s, "lamp", B);
  CHECK_STR_EQ(ids_of(r), "L-1 L-2");
  CHECK_CONTAINS(why_of(r, 1), "fan (synonym of lamp)");
  json_decref(r);
  r = rq(s, "fan", B); /* both ways (each counted at the typed word's idf: the order is BM25F's) */
  CHECK(!strcmp(ids_of(r), "L-2 L-1") || !strcmp(ids_of(r), "L-1 L-2"));
  json_decref(r);
  /* a cycle oak -> glass -> oak terminates: one step each way */
  r = rq(s, "oak table", B);
  CHECK_STR_EQ(ids_of(r), "T-1 T-2");
  json_decref(r);
  /* highlights follow synonyms */
  r = rq(s, "settee", "{\"mode\":\"bm25\",\"highlight\":true}");
  CHECK_STR_EQ(json_string_value(json_object_get(
                   json_object_get(json_array_get(json_object_get(r, "hits"), 0), "highlight"), "title")),
               "Compact <em>loveseat</em> sofa");
  json_decref(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_rules_saved_with_the_store) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  char dir[1024], path[1100];
  snprintf(dir, sizeof dir, "%s/state", ecai_test_tmpdir());
  snprintf(path, sizeof path, "%s/rules.json", dir);
  CHECK_OK(ecai_store_save(st, dir));
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  CHECK_OK(set(s, "{\"rules\":[{\"query\":\"sofa\",\"pin\":[\"T-1\"]}],\"synonyms\":[[\"settee\",\"loveseat\"]]}"));
  CHECK_OK(ecai_search_save(s, dir));
  struct stat sb;
  CHECK(stat(path, &sb) == 0);
  ecai_search_free(s);
  ecai_store *st2 = NULL;
  CHECK_OK(ecai_store_open(&st2, ctx, dir));
  CHECK_OK(ecai_search_open(&s, st2, dir));
  json_t *r = rq(s, "sofa", "{\"mode\":\"bm25\"}");
  CHECK_STR_EQ(ids_of(r), "T-1 S-2 S-3 S-1");
  json_decref(r);
  r = rq(s, "settee", "{\"mode\":\"bm25\"}");
  CHECK_STR_EQ(ids_of(r), "S-2");
  json_decref(r);
  /* no rules: the file goes, nothing comes back */
  CHECK_OK(ecai_search_set_rules_json(s, NULL, 0));
  CHECK_OK(ecai_search_save(s, dir));
  CHECK(stat(path, &sb) != 0);
  ecai_search_free(s);
  /* a hand-edited file naming an unknown product: a clear error at open */
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  fputs("[{\"query\":\"sofa\",\"hide\":[\"GONE-9\"]}]", f);
  fclose(f);
  CHECK_STATUS(ecai_search_open(&s, st2, dir), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "rules.json");
  CHECK_CONTAINS(ecai_last_error(), "\"GONE-9\"");
  CHECK(s == NULL);
  ecai_store_free(st2);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_rules_allocation_failures) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *js = "{\"rules\":[{\"query\":\"sofa\",\"pin\":[\"T-1\"],\"bury\":[\"S-2\"],\"hide\":[\"S-3\"]}],"
                   "\"synonyms\":[[\"settee\",\"loveseat\",\"sofa\"],{\"from\":\"tv\",\"to\":[\"lamp\"]}]}";
  int ok = 0;
  for (long n = 0; n < 3000 && !ok; n++) {
    char *out = NULL;
    ecai__test_fail_alloc_after(n);
    ecai_status rc = ecai_search_set_rules_json(s, js, strlen(js));
    if (!rc) rc = ecai_search_query(&out, NULL, s, "sofa", 4, "{\"mode\":\"bm25\"}");
    ecai__test_fail_alloc_after(-1);
    if (rc) CHECK(rc == ECAI_ENOMEM);
    else {
      ok = 1;
      CHECK_CONTAINS(out, "{\"hits\":[{\"id\":\"T-1\"");
    }
    ecai_free(out);
    ecai_search_set_rules_json(s, NULL, 0);
  }
  CHECK(ok);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}
