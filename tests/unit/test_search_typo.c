/* Typo correction keeps ordinary words: a listed word is neither corrected nor split. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static ecai_search *typo_engine(ecai_ctx **ctx, ecai_store **st, const char *words) {
  char dict[1024], cfg[1200];
  snprintf(dict, sizeof dict, "%s/words.txt", ecai_test_tmpdir());
  FILE *f = fopen(dict, "w");
  if (!f) return NULL;
  fputs(words, f);
  fclose(f);
  snprintf(cfg, sizeof cfg, "{\"search\":{\"dictionary\":\"%s\"}}", dict);
  ecai_search *s = NULL;
  if (ecai_ctx_new(ctx, cfg, strlen(cfg)) || ecai_store_new(st, *ctx)) return NULL;
  static const char *rows[] = {"{\"id\":\"A\",\"title\":\"Oak table\"}", "{\"id\":\"B\",\"title\":\"Book shelf\"}",
                               "{\"id\":\"C\",\"title\":\"Garden hose\"}"};
  for (int i = 0; i < 3; i++)
    if (ecai_catalog_upsert_json(NULL, ecai_store_catalog(*st), rows[i], strlen(rows[i]))) return NULL;
  if (ecai_search_new(&s, *st)) return NULL;
  return s;
}

static char *tq(ecai_search *s, const char *text) {
  char *out = NULL;
  if (ecai_search_query(&out, NULL, s, text, strlen(text), "{\"mode\":\"bm25\"}")) return NULL;
  return out;
}

TEST(search_typo_listed_words_are_not_split) {
  ecai_ctx *ctx = NULL;
  ecai_store *st = NULL;
  /* without the word in the list, "bookshelf" is split into two catalog words ... */
  ecai_search *s = typo_engine(&ctx, &st, "sofa\n");
  CHECK(s != NULL);
  char *r = tq(s, "bookshelf");
  CHECK_CONTAINS(r, "\"corrected\":{\"bookshelf\":\"book shelf\"}");
  ecai_free(r);
  r = tq(s, "gardan");
  CHECK_CONTAINS(r, "\"corrected\":{\"gardan\":\"garden\"}");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
  /* ... with it, kept as typed (the list is the shop's statement that it is a word) */
  s = typo_engine(&ctx, &st, "bookshelf\ngardan\n");
  CHECK(s != NULL);
  r = tq(s, "bookshelf");
  CHECK_CONTAINS(r, "\"corrected\":{}");
  ecai_free(r);
  r = tq(s, "gardan");
  CHECK_CONTAINS(r, "\"corrected\":{}");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(search_typo_default_list_keeps_ordinary_words) {
  /* the default list (SCOWL 10, 20 and 35) when installed: "sour" stays, "sofaa" is fixed */
  FILE *f = fopen("/usr/share/dict/scowl/english-words.35", "r");
  if (!f) ecai_test_skip("SCOWL level 35 not installed");
  fclose(f);
  ecai_ctx *ctx = NULL;
  ecai_store *st = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  CHECK_OK(ecai_store_new(&st, ctx));
  static const char *rows[] = {"{\"id\":\"A\",\"title\":\"Wall clock hour hand\"}", "{\"id\":\"B\",\"title\":\"Grey sofa\"}",
                               "{\"id\":\"C\",\"title\":\"Dog pet bed\"}", "{\"id\":\"D\",\"title\":\"Fat hom lamp\"}"};
  for (int i = 0; i < 4; i++) CHECK_OK(ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), rows[i], strlen(rows[i])));
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *kept[] = {"sour", "pelt", "fathom"}; /* level 35: would become hour, pet, "fat hom" */
  for (int i = 0; i < 3; i++) {
    char *r = tq(s, kept[i]);
    CHECK_CONTAINS(r, "\"corrected\":{}");
    ecai_free(r);
  }
  char *r = tq(s, "sofaa");
  CHECK_CONTAINS(r, "\"corrected\":{\"sofaa\":\"sofa\"}");
  ecai_free(r);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}
