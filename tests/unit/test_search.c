/* ecai_search: BM25F index, hybrid query, filters, typos, persistence, eval, failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "search/search_internal.h"

static ecai_ctx *mkctx(const char *json) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, json, json ? strlen(json) : 0)) return NULL;
  return c;
}

static const char *catalog_path(void) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/tests/data/search_catalog.jsonl", ecai_test_root());
  return p;
}

static ecai_store *mkstore(ecai_ctx *ctx) {
  ecai_store *s = NULL;
  size_t n = 0, sk = 0;
  if (ecai_store_new(&s, ctx)) return NULL;
  if (ecai_catalog_load(&n, &sk, ecai_store_catalog(s), catalog_path(), ECAI_CATALOG_AUTO, NULL, 0) ||
      ecai_store_build(NULL, s, 0, NULL, NULL)) {
    ecai_store_free(s);
    return NULL;
  }
  return s;
}

static char *q(ecai_search *s, const char *text, const char *opts) {
  char *out = NULL;
  size_t n = 0;
  if (ecai_search_query(&out, &n, s, text, strlen(text), opts)) return NULL;
  return out;
}

TEST(search_edit_distance) {
  CHECK_INT_EQ(ecai__edit_distance("sofaa", 5, "sofa", 4, 2), 1);
  CHECK_INT_EQ(ecai__edit_distance("mattres", 7, "mattress", 8, 2), 1);
  CHECK_INT_EQ(ecai__edit_distance("kitten", 6, "sitting", 7, 3), 3);
  CHECK(ecai__edit_distance("abc", 3, "xyzuvw", 6, 1) > 1);
}

TEST(search_hybrid_explains_facets_typos) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  CHECK(st != NULL);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  char *r = q(s, "sofa", "{\"k\":3}");
  CHECK(r != NULL);
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"S-");
  CHECK_CONTAINS(r, "\"why\":\"title: sofa");
  CHECK_CONTAINS(r, "\"Furniture > Sofas\":3");
  CHECK_CONTAINS(r, "\"brand\":{");
  ecai_free(r);
  /* a description-only word is found through the description field */
  r = q(s, "sectional", "{\"k\":1,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"S-3\"");
  CHECK_CONTAINS(r, "description: sectional");
  ecai_free(r);
  r = q(s, "sofaa", "{\"k\":1,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"corrected\":{\"sofaa\":\"sofa\"}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"S-");
  ecai_free(r);
  r = q(s, "mattres", "{\"typo\":false,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"hits\":[]");
  CHECK_CONTAINS(r, "\"no_confident_match\":true");
  ecai_free(r);
  r = q(s, "smartphone charger", NULL);
  CHECK_CONTAINS(r, "\"no_confident_match\":true");
  ecai_free(r);
  r = q(s, "oak dining table", "{\"fusion\":\"rrf\"}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"T-1\"");
  CHECK_CONTAINS(r, "\"no_confident_match\":false");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_filters_are_exact_when_selective) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = NULL;
  CHECK_OK(ecai_store_new(&st, ctx));
  char js[256];
  for (int i = 0; i < 3000; i++) {
    int rare = i % 1000 == 7; /* 3 products of brand Rare */
    snprintf(js, sizeof js,
             "{\"id\":\"P%d\",\"title\":\"%s chair model %d\",\"brand\":\"%s\",\"category\":\"Furniture > Chairs\","
             "\"price\":%d,\"in_stock\":%s}",
             i, i % 2 ? "wooden" : "metal", i, rare ? "Rare" : "Common", 10 + i % 500, i % 3 ? "true" : "false");
    CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), js, strlen(js)));
  }
  CHECK_OK(ecai_store_build(NULL, st, 0, NULL, NULL));
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *modes[3] = {"bm25", "vector", "hybrid"};
  for (int m = 0; m < 3; m++) {
    char opts[160];
    snprintf(opts, sizeof opts, "{\"k\":10,\"mode\":\"%s\",\"filters\":{\"brand\":\"rare\"}}", modes[m]);
    char *r = q(s, "wooden chair", opts);
    CHECK(r != NULL);
    CHECK_CONTAINS(r, "\"P7\"");
    CHECK_CONTAINS(r, "\"P1007\"");
    CHECK_CONTAINS(r, "\"P2007\"");
    CHECK(strstr(r, "\"Common\"") == NULL);
    ecai_free(r);
  }
  /* price range and stock: every hit obeys them */
  char *r = q(s, "metal chair", "{\"k\":50,\"filters\":{\"price_min\":100,\"price_max\":102,\"in_stock\":true}}");
  CHECK(r != NULL);
  json_t *doc = json_loads(r, 0, NULL), *h;
  size_t i;
  CHECK(json_array_size(json_object_get(doc, "hits")) > 0);
  json_array_foreach(json_object_get(doc, "hits"), i, h) {
    char *pj = NULL;
    CHECK_OK(ecai_catalog_get_json(&pj, NULL, ecai_store_catalog(st), json_string_value(json_object_get(h, "id"))));
    json_t *p = json_loads(pj, 0, NULL);
    double pr = json_number_value(json_object_get(p, "price"));
    CHECK(pr >= 100 && pr <= 102);
    CHECK(json_is_true(json_object_get(p, "in_stock")));
    json_decref(p);
    ecai_free(pj);
  }
  json_decref(doc);
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_bad_arguments) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL;
  char *out = (char *)1;
  CHECK_STATUS(ecai_search_new(NULL, st), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_new(&s, NULL), ECAI_EINVAL);
  CHECK(s == NULL);
  CHECK_OK(ecai_search_new(&s, st));
  CHECK_STATUS(ecai_search_query(&out, NULL, NULL, "x", 1, NULL), ECAI_EINVAL);
  CHECK(out == NULL);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, NULL, 3, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "x", 1, "{\"mode\":\"fuzzy\"}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "x", 1, "{\"k\":0}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "x", 1, "{\"filters\":{\"colour\":1}}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "x", 1, "{oops"), ECAI_EPARSE);
  CHECK_STATUS(ecai_search_query(&out, NULL, s, "\xff\xfe", 2, NULL), ECAI_EPARSE);
  CHECK_STATUS(ecai_search_eval(&out, NULL, s, "/nonexistent/q.tsv", "/nonexistent/l.tsv", NULL), ECAI_EIO);
  CHECK_STATUS(ecai_search_save(NULL, "/tmp"), ECAI_EINVAL);
  /* empty query: no crash, no hits from the keyword side */
  CHECK_OK(ecai_search_query(&out, NULL, s, "", 0, "{\"mode\":\"bm25\"}"));
  CHECK_CONTAINS(out, "\"hits\":[]");
  ecai_free(out);
  ecai_search_free(s);
  ecai_search_free(NULL);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_persistence_verified) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL, *s2 = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  char dir[1024], path[1100];
  snprintf(dir, sizeof dir, "%s/state", ecai_test_tmpdir());
  CHECK_STATUS(ecai_search_save(s, dir), ECAI_ECORRUPT); /* no store saved there yet */
  CHECK_OK(ecai_store_save(st, dir));
  CHECK_OK(ecai_search_save(s, dir));
  ecai_store *st2 = NULL;
  CHECK_OK(ecai_store_open(&st2, ctx, dir));
  CHECK_OK(ecai_search_open(&s2, st2, dir));
  char *a = q(s, "grey sofa couch", NULL), *b = q(s2, "grey sofa couch", NULL);
  CHECK(a && b);
  CHECK_STR_EQ(a, b);
  ecai_free(a), ecai_free(b);
  ecai_search_free(s2);
  s2 = NULL;
  /* a flipped byte is caught by the checksum */
  snprintf(path, sizeof path, "%s/search.bin", dir);
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  fseek(f, 100, SEEK_SET);
  int c = fgetc(f);
  fseek(f, 100, SEEK_SET);
  fputc(c ^ 0x5a, f);
  fclose(f);
  CHECK_STATUS(ecai_search_open(&s2, st2, dir), ECAI_ECORRUPT);
  CHECK(s2 == NULL);
  /* a search.bin of another save (catalog changed) is refused: the new store with the old
   * search.bin, and the old store (opened before a new version was saved there) with the
   * new one; the old store with its own search.bin still opens */
  CHECK_OK(ecai_search_save(s, dir));
  const char *nx = "{\"id\":\"X\",\"title\":\"new\"}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), nx, strlen(nx)));
  CHECK_OK(ecai_store_build(NULL, st, 0, NULL, NULL));
  CHECK_OK(ecai_store_save(st, dir));
  ecai_store *st3 = NULL;
  CHECK_OK(ecai_store_open(&st3, ctx, dir));
  CHECK_STATUS(ecai_search_open(&s2, st3, dir), ECAI_ECORRUPT);
  CHECK_CONTAINS(ecai_last_error(), "another catalog version");
  CHECK_OK(ecai_search_open(&s2, st2, dir));
  ecai_search_free(s2);
  s2 = NULL;
  ecai_search *s3 = NULL;
  CHECK_OK(ecai_search_new(&s3, st));
  CHECK_OK(ecai_search_save(s3, dir));
  ecai_search_free(s3);
  CHECK_STATUS(ecai_search_open(&s2, st2, dir), ECAI_ECORRUPT);
  CHECK(s2 == NULL);
  CHECK_OK(ecai_search_open(&s2, st3, dir));
  ecai_search_free(s2);
  s2 = NULL;
  ecai_store_free(st3);
  remove(path);
  CHECK_STATUS(ecai_search_open(&s2, st2, dir), ECAI_ENOTFOUND);
  ecai_search_free(s);
  ecai_store_free(st2);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* Every reported metric of the search evaluation, worked out by hand on the judged toy set
   tests/data/search_eval_{queries,labels}.tsv (bm25 mode; gain = grade - 1, relevant = grade > 1).
   q1 "grey sofa":  S-1, S-2, S-3 all grade 3, ranked S-1 S-2 S-3 -> nDCG 1, RR 1, recall 3/3.
   q2 "oak table":  T-1 grade 2, T-2 grade 3, ranked T-1 (oak) then T-2:
                    DCG = 1/log2(2) + 2/log2(3) = 2.261860, ideal = 2 + 1/log2(3) = 2.630930
                    -> nDCG 0.859719, RR 1 (T-1 is relevant), recall 2/2.
   q3 "unlabelled": no judgement: skipped.   q4 "all bad": judged, no grade > 1: labelled only.
   q5 "spring mattress": M-2 grade 1 (judged, not relevant), M-1 grade 3, R-1 and L-1 grade 2
                    (never retrieved), ranked M-2 then M-1: DCG = 0 + 2/log2(3) = 1.261860,
                    ideal = 2 + 1/log2(3) + 1/log2(4) = 3.130930 -> nDCG 0.403030;
                    RR = 1/2 (first relevant at rank 2); recall = 1/3 (1 of the 3 relevant;
                    4 judged).
   queries = 3, labelled = 4; nDCG@10 = (1 + 0.859719 + 0.403030) / 3 = 0.754250 -> 0.7542
   MRR@10 = (1 + 1 + 0.5) / 3 = 0.8333; recall@100 = (1 + 1 + 1/3) / 3 = 0.7778;
   flagged = 0 (every query matches the titles it names). */
TEST(search_eval_metrics) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  char qp[1024], lp[1024];
  snprintf(qp, sizeof qp, "%s/tests/data/search_eval_queries.tsv", ecai_test_root());
  snprintf(lp, sizeof lp, "%s/tests/data/search_eval_labels.tsv", ecai_test_root());
  char *out = NULL;
  CHECK_OK(ecai_search_eval(&out, NULL, s, qp, lp, "{\"mode\":\"bm25\"}"));
  CHECK_STR_EQ(out, "{\"mode\":\"bm25\",\"fusion\":\"blend\",\"split\":\"all\",\"queries\":3,\"labelled\":4,"
                    "\"ndcg@10\":0.7542,\"mrr@10\":0.8333,\"recall@100\":0.7778,\"flagged\":0.0000,"
                    "\"typo_corrected\":0}");
  ecai_free(out);
  CHECK_STATUS(ecai_search_eval(&out, NULL, s, qp, lp, "{\"split\":\"odd\"}"), ECAI_EINVAL);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_allocation_failures) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  CHECK(st != NULL);
  int ok = 0;
  for (long n = 0; n < 5000 && !ok; n += 7) {
    ecai_search *s = NULL;
    char *out = NULL;
    ecai__test_fail_alloc_after(n);
    ecai_status rc = ecai_search_new(&s, st);
    if (!rc) rc = ecai_search_query(&out, NULL, s, "grey sofa", 9, "{\"mode\":\"bm25\"}");
    ecai__test_fail_alloc_after(-1);
    if (rc) CHECK(rc == ECAI_ENOMEM);
    else ok = 1;
    ecai_free(out);
    ecai_search_free(s);
  }
  CHECK(ok);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

#include <pthread.h>

#include "catalog/ser.h"

TEST(search_damaged_payload_with_valid_checksum) {
  /* the checksum is recomputed over garbage: the structural checks must refuse it */
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL, *s2 = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  char dir[1024], path[1100];
  snprintf(dir, sizeof dir, "%s/state", ecai_test_tmpdir());
  CHECK_OK(ecai_store_save(st, dir));
  CHECK_OK(ecai_search_save(s, dir));
  snprintf(path, sizeof path, "%s/search.bin", dir);
  static const char MAGIC[8] = {'E', 'C', 'A', 'I', 'S', 'R', 'C', 0};
  char *data = NULL;
  size_t len = 0;
  CHECK_OK(ecai__blob_read(path, MAGIC, &data, &len, NULL));
  uint64_t seed = 1;
  for (int round = 0; round < 200; round++) {
    char *copy = malloc(len);
    memcpy(copy, data, len);
    size_t cut = len;
    for (int k = 0; k < 4; k++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      size_t at = 16 + (size_t)(seed >> 33) % (len - 16); /* keep the catalog tag */
      copy[at] = (char)(seed >> 17);
    }
    if (round % 5 == 0) cut = 16 + (size_t)(seed >> 40) % (len - 16);
    CHECK_OK(ecai__blob_write(path, MAGIC, copy, cut, NULL));
    free(copy);
    ecai_status rc = ecai_search_open(&s2, st, dir);
    if (rc == ECAI_OK) { /* a harmless change (e.g. a weight): it must still answer */
      char *r = q(s2, "grey sofa", NULL);
      CHECK(r != NULL);
      ecai_free(r);
      ecai_search_free(s2);
      s2 = NULL;
    } else {
      CHECK(rc == ECAI_ECORRUPT);
      CHECK(s2 == NULL);
    }
  }
  ecai__free(data);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

typedef struct conc { ecai_search *s; int bad; } conc;
static const char *CQ[4] = {"grey sofa", "mattres queen", "oak table", "ceiling fan light"};
static void *conc_run(void *p) {
  conc *c = p;
  for (int i = 0; i < 40; i++) {
    char *r = q(c->s, CQ[i % 4], "{\"k\":3}");
    if (!r) { c->bad++; continue; }
    char *ref = q(c->s, CQ[i % 4], "{\"k\":3}");
    if (!ref || strcmp(r, ref)) c->bad++;
    ecai_free(r);
    ecai_free(ref);
  }
  return NULL;
}

TEST(search_concurrent_queries) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  char *want[4];
  for (int i = 0; i < 4; i++) want[i] = q(s, CQ[i], "{\"k\":3}");
  pthread_t th[4];
  conc c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = (conc){s, 0};
    CHECK(pthread_create(&th[i], NULL, conc_run, &c[i]) == 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK_INT_EQ(c[i].bad, 0);
  }
  for (int i = 0; i < 4; i++) {
    char *r = q(s, CQ[i], "{\"k\":3}");
    CHECK_STR_EQ(r, want[i]);
    ecai_free(r);
    ecai_free(want[i]);
  }
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

static int count_ids(const char *js) {
  int n = 0;
  for (const char *p = js; p && (p = strstr(p, "\"id\":")) != NULL; p++) n++;
  return n;
}

TEST(search_engine_older_than_the_store_does_not_crash) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *nx = "{\"id\":\"N-1\",\"title\":\"grey sofa bed\"}";
  CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), nx, strlen(nx)));
  CHECK_OK(ecai_store_build(NULL, st, 0, NULL, NULL));
  /* the vector side sees the store's 11 products, the new one included, nearest first */
  char *r = q(s, "grey sofa", "{\"k\":20,\"mode\":\"vector\"}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"N-1\"");
  CHECK_CONTAINS(r, "\"total\":11");
  CHECK_INT_EQ(count_ids(r), 11);
  ecai_free(r);
  r = q(s, "zzzz qqqq", "{\"k\":20}"); /* no keyword hit: neighbours fill the candidates */
  CHECK_CONTAINS(r, "\"no_confident_match\":true");
  CHECK_INT_EQ(count_ids(r), 11);
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_splits_glued_compounds) {
  ecai_ctx *ctx = mkctx(NULL);
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  char *r = q(s, "diningtable", "{\"k\":1,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"corrected\":{\"diningtable\":\"dining table\"}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"T-1\"");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

static int g_dict_warned;
static void count_warn(ecai_log_level level, const char *msg, void *payload) {
  (void)payload;
  if (level == ECAI_LOG_WARN && strstr(msg, "dictionary")) g_dict_warned++;
}

/* An everyday word the catalog lacks ("camp") is not turned into a catalog word ("lamp");
 * typos still are; without a word list the old behaviour returns. */
TEST(search_dictionary_words_are_not_corrected) {
  char dict[1024], cfg[2300];
  snprintf(dict, sizeof dict, "%s/words.txt", ecai_test_tmpdir());
  FILE *f = fopen(dict, "w");
  CHECK(f != NULL);
  fputs("Camp\nbeach\n", f);
  fclose(f);
  snprintf(cfg, sizeof cfg, "{\"search\":{\"dictionary\":\"/nonexistent/words:%s\"}}", dict);
  ecai_ctx *ctx = mkctx(cfg);
  CHECK(ctx != NULL);
  g_dict_warned = 0;
  CHECK_OK(ecai_ctx_set_log(ctx, ECAI_LOG_WARN, count_warn, NULL));
  ecai_store *st = mkstore(ctx);
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  CHECK_INT_EQ(g_dict_warned, 1); /* the missing list is reported, the other one used */
  char *r = q(s, "camp", "{\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"corrected\":{}");
  CHECK_CONTAINS(r, "\"hits\":[]");
  ecai_free(r);
  r = q(s, "camps", "{\"mode\":\"bm25\"}"); /* plurals of listed words too */
  CHECK_CONTAINS(r, "\"corrected\":{}");
  ecai_free(r);
  r = q(s, "lanp", "{\"k\":1,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"corrected\":{\"lanp\":\"lamp\"}");
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"L-1\"");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);

  ctx = mkctx("{\"search\":{\"dictionary\":\"\"}}");
  st = mkstore(ctx);
  CHECK_OK(ecai_search_new(&s, st));
  r = q(s, "camp", "{\"k\":1,\"mode\":\"bm25\"}");
  CHECK_CONTAINS(r, "\"corrected\":{\"camp\":\"lamp\"}");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);

  /* a word list that is not UTF-8 is an error naming the file, not a silent skip */
  f = fopen(dict, "w");
  fputs("caf\xe9\n", f);
  fclose(f);
  ctx = mkctx(cfg);
  st = mkstore(ctx);
  CHECK_STATUS(ecai_search_new(&s, st), ECAI_EPARSE);
  CHECK(s == NULL);
  CHECK_CONTAINS(ecai_last_error(), "words.txt");
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* The process shares a loaded word list between searches while its files are unchanged, and
 * reads it again when a file changes; a list with an unreadable file is never shared. */
TEST(search_dictionary_is_shared_while_its_files_are_unchanged) {
  char path[1024], paths[2100];
  snprintf(path, sizeof path, "%s/shared-words.txt", ecai_test_tmpdir());
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  fputs("camp\n", f);
  fclose(f);
  ecai_ctx *ctx = mkctx("{}");
  ecai__dict a, b, c, m;
  CHECK_OK(ecai__dict_load(&a, ctx, path));
  CHECK_OK(ecai__dict_load(&b, ctx, path));
  CHECK(a.shared != NULL && a.shared == b.shared && a.h == b.h);
  CHECK(ecai__dict_has(&b, "camp", 4));
  f = fopen(path, "w"); /* another size: another identity */
  fputs("beach\nshore\n", f);
  fclose(f);
  CHECK_OK(ecai__dict_load(&c, ctx, path));
  CHECK(c.h != a.h);
  CHECK(ecai__dict_has(&c, "beach", 5) && !ecai__dict_has(&c, "camp", 4));
  CHECK(ecai__dict_has(&a, "camp", 4)); /* the old list stays valid for those holding it */
  snprintf(paths, sizeof paths, "%s:/nonexistent/words", path);
  CHECK_OK(ecai__dict_load(&m, ctx, paths));
  CHECK(m.shared == NULL && ecai__dict_has(&m, "shore", 5));
  ecai__dict_free(&m);
  ecai__dict_free(&c);
  ecai__dict_free(&b);
  ecai__dict_free(&a);
  ecai_ctx_free(ctx);
}
