/* ecai_store_update_json: live price, stock and text changes seen by the next query, in
 * this process and (through DIR/updates.journal) in another one; bad input changes nothing. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "index/index_internal.h"
#include "redis_fixture.h"

/* A saved store with its search.bin in DIR. */
static void save_store(ecai_ctx *ctx, const char *dir) {
  ecai_store *s = ecai_test_store(ctx, "search_catalog.jsonl");
  ecai_search *e = NULL;
  CHECK_OK(ecai_store_save(s, dir));
  CHECK_OK(ecai_search_new(&e, s));
  CHECK_OK(ecai_search_save(e, dir));
  ecai_search_free(e);
  ecai_store_free(s);
}

static char *q(ecai_search *s, const char *text, const char *opts) {
  char *out = NULL;
  CHECK_OK(ecai_search_query(&out, NULL, s, text, strlen(text), opts));
  return out;
}

static int has(const char *json, const char *sku) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"id\":\"%s\"", sku);
  return strstr(json, pat) != NULL;
}

/* Whether SKU is a hit of QUERY with OPTS. */
static int finds(ecai_search *s, const char *query, const char *opts, const char *sku) {
  char *r = q(s, query, opts);
  int f = has(r, sku);
  ecai_free(r);
  return f;
}

#define CHEAP "{\"k\":10,\"filters\":{\"price_max\":300}}"

TEST(store_update_price_and_stock_seen_by_next_filtered_query) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  CHECK(!finds(s, "sofa", CHEAP, "S-1")); /* 499 */
  CHECK(finds(s, "sofa", CHEAP, "S-2"));  /* 299 */
  CHECK_OK(ecai_store_update_json(st, "S-1", "{\"price\":249.5}"));
  CHECK(finds(s, "sofa", CHEAP, "S-1"));
  CHECK(ecai_test_price(st, "S-1") == 249.5);
  CHECK_OK(ecai_store_update_json(st, "S-2", "{\"price\":301}"));
  CHECK(!finds(s, "sofa", CHEAP, "S-2"));
  CHECK(finds(s, "sofa", "{\"filters\":{\"price_min\":300,\"price_max\":301}}", "S-2"));
  /* stock: S-3 is out of stock, a quantity > 0 puts it in, 0 takes it out again */
  const char *instock = "{\"k\":10,\"filters\":{\"in_stock\":true}}";
  CHECK(!finds(s, "sofa", instock, "S-3"));
  CHECK_OK(ecai_store_update_json(st, "S-3", "{\"stock\":5}"));
  CHECK(finds(s, "sofa", instock, "S-3"));
  CHECK_OK(ecai_store_update_json(st, "S-3", "{\"in_stock\":false,\"price\":10}"));
  CHECK(!finds(s, "sofa", instock, "S-3"));
  CHECK(finds(s, "sofa", CHEAP, "S-3"));
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(store_update_text_found_by_keyword_and_vector_search) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  ecai_search *s = NULL;
  CHECK_OK(ecai_search_new(&s, st));
  const char *bm = "{\"k\":10,\"mode\":\"bm25\"}";
  CHECK(finds(s, "glass", bm, "T-2"));
  CHECK(!finds(s, "brass", bm, "T-2"));
  CHECK_OK(ecai_store_update_json(st, "T-2", "{\"title\":\"Brass side table\",\"description\":\"Tempered top\"}"));
  /* the old words are gone (no other product has "glass"), the new one is found and explained */
  char *r = q(s, "glass", bm);
  CHECK_CONTAINS(r, "\"hits\":[]");
  ecai_free(r);
  r = q(s, "brass", bm);
  CHECK(has(r, "T-2") && has(r, "L-1"));
  CHECK_CONTAINS(r, "\"title\":\"Brass side table\",\"why\":\"title: brass\"");
  ecai_free(r);
  /* words of untouched fields still count (category "Furniture > Tables") */
  CHECK(finds(s, "furniture brass", bm, "T-2"));
  /* the vector was replaced: the nearest product to the new title is T-2 */
  char *v = NULL;
  CHECK_OK(ecai_store_search(&v, NULL, st, "Brass side table", 16, 1));
  CHECK_CONTAINS(v, "\"id\":\"T-2\"");
  ecai_free(v);
  /* a word no product had when the index was built: found, explained, ranked by its rarity */
  CHECK(!finds(s, "zorblax", bm, "T-2"));
  CHECK_OK(ecai_store_update_json(st, "T-2", "{\"description\":\"Zorblax finish, tempered top\"}"));
  r = q(s, "zorblax", bm);
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"T-2\"");
  CHECK_CONTAINS(r, "\"why\":\"description: zorblax\"");
  CHECK_CONTAINS(r, "\"no_confident_match\":false");
  ecai_free(r);
  r = q(s, "zorblax table", bm);
  CHECK_CONTAINS(r, "{\"hits\":[{\"id\":\"T-2\""); /* both words: ahead of the other tables */
  ecai_free(r);
  CHECK_OK(ecai_store_update_json(st, "M-1", "{\"title\":\"Zorblax memory foam mattress\"}"));
  CHECK(finds(s, "zorblax", bm, "M-1") && finds(s, "zorblax", bm, "T-2"));
  /* clearing the brand removes it from the keyword side */
  CHECK(finds(s, "casa", bm, "T-2"));
  CHECK_OK(ecai_store_update_json(st, "T-2", "{\"brand\":null}"));
  CHECK(!finds(s, "casa", bm, "T-2"));
  CHECK(finds(s, "casa", bm, "S-2"));
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

TEST(store_update_bad_input_changes_nothing) {
  ecai_ctx *ctx = NULL;
  const char *cfg = "{\"catalog\":{\"max_field_bytes\":64}}";
  CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  ecai_store *st = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK_STATUS(ecai_store_update_json(st, "NOPE-1", "{\"price\":1}"), ECAI_ENOTFOUND);
  CHECK_CONTAINS(ecai_last_error(), "no product with SKU 'NOPE-1'");
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":NaN}"), ECAI_EPARSE);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":1e999}"), ECAI_EPARSE);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":-1}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "\"price\" must be finite and >= 0");
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":\"cheap\"}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"in_stock\":\"yes\"}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"stock\":-2}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"title\":5}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"title\":\"\"}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"title\":\"a\\u0000b\"}"), ECAI_EPARSE);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "[1]"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":"), ECAI_EPARSE);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"title\":\"caf\xc3\"}"), ECAI_EPARSE);
  CHECK_STATUS(ecai_store_update_json(st, "S-\xff", "{\"price\":1}"), ECAI_EPARSE);
  CHECK_STATUS(ecai_store_update_json(st, "", "{\"price\":1}"), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_store_update_json(NULL, "S-1", "{\"price\":1}"), ECAI_EINVAL);
  char big[200];
  snprintf(big, sizeof big, "{\"description\":\"%0100d\"}", 7);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", big), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "catalog.max_field_bytes");
  /* one bad field among good ones: nothing applied */
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":5,\"title\":\"New\",\"colour\":\"red\"}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "unknown field \"colour\"");
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":5,\"stock\":1,\"in_stock\":true}"), ECAI_EINVAL);
  CHECK(ecai_test_price(st, "S-1") == 499);
  CHECK_STR_EQ(ecai_catalog_title(ecai_store_catalog(st), 0), "Grey 3-seater sofa");
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* One process opens a saved store and searches; another process (fork) opens the same folder
 * and updates a price and a title; the first one's next queries see both. */
TEST(store_update_reaches_another_process_through_the_journal) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char dir[1024], jp[1100];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  snprintf(jp, sizeof jp, "%s/updates.journal", dir);
  save_store(ctx, dir);
  ecai_store *st = NULL;
  ecai_search *s = NULL;
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK_OK(ecai_search_open(&s, st, dir));
  CHECK(!finds(s, "sofa", CHEAP, "S-1"));
  CHECK(!finds(s, "brass", "{\"mode\":\"bm25\"}", "T-2"));
  CHECK(access(jp, F_OK) != 0); /* no journal until the first update */
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) { /* another process: its own context and store */
    ecai_ctx *c2 = NULL;
    ecai_store *s2 = NULL;
    int bad = ecai_ctx_new(&c2, NULL, 0) || ecai_store_open(&s2, c2, dir) ||
              ecai_store_update_json(s2, "S-1", "{\"price\":199}") ||
              ecai_store_update_json(s2, "T-2", "{\"title\":\"Brass side table\"}");
    _exit(bad ? 1 : 0);
  }
  int ws = 0;
  CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  CHECK(access(jp, F_OK) == 0);
  CHECK(finds(s, "sofa", CHEAP, "S-1"));
  CHECK(ecai_test_price(st, "S-1") == 199);
  CHECK(finds(s, "brass", "{\"mode\":\"bm25\"}", "T-2"));
  CHECK(ecai__index_is_mapped(ecai_store_index(st))); /* the new vector sits beside the shared mapping */
  char *v = NULL;
  CHECK_OK(ecai_store_search(&v, NULL, st, "Brass side table", 16, 1));
  CHECK_CONTAINS(v, "\"id\":\"T-2\"");
  ecai_free(v);
  /* this process updates too; a store opened afterwards starts with all three changes */
  CHECK_OK(ecai_store_update_json(st, "S-2", "{\"price\":999}"));
  ecai_store *st3 = NULL;
  CHECK_OK(ecai_store_open(&st3, ctx, dir));
  CHECK(ecai_test_price(st3, "S-1") == 199 && ecai_test_price(st3, "S-2") == 999);
  CHECK_STR_EQ(ecai_catalog_title(ecai_store_catalog(st3), 8), "Brass side table");
  /* a newly saved version has no journal and holds the changes in its catalog */
  char dir2[1024], jp2[1100];
  snprintf(dir2, sizeof dir2, "%s/store2", ecai_test_tmpdir());
  snprintf(jp2, sizeof jp2, "%s/updates.journal", dir2);
  ecai_search *e3 = NULL;
  CHECK_OK(ecai_search_open(&e3, st3, dir));
  CHECK_OK(ecai_store_save(st3, dir2));
  CHECK_OK(ecai_search_save(e3, dir2)); /* the keyword index saved holds the new title */
  ecai_search_free(e3);
  CHECK(access(jp2, F_OK) != 0);
  ecai_store *st4 = NULL;
  CHECK_OK(ecai_store_open(&st4, ctx, dir2));
  CHECK(ecai_test_price(st4, "S-2") == 999);
  ecai_search *e4 = NULL;
  CHECK_OK(ecai_search_open(&e4, st4, dir2));
  CHECK(finds(e4, "brass", "{\"mode\":\"bm25\"}", "T-2"));
  CHECK(!finds(e4, "coffee", "{\"mode\":\"bm25\"}", "T-2")); /* only the old title had it */
  ecai_search_free(e4);
  ecai_store_free(st4);
  ecai_store_free(st3);
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

static void count_warn(ecai_log_level level, const char *msg, void *payload) {
  if (level >= ECAI_LOG_WARN && strstr(msg, "updates.journal")) ++*(int *)payload;
}

TEST(store_update_damaged_journal_is_skipped_with_a_warning) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  int warned = 0;
  CHECK_OK(ecai_ctx_set_log(ctx, ECAI_LOG_WARN, count_warn, &warned));
  char dir[1024], jp[1100];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  snprintf(jp, sizeof jp, "%s/updates.journal", dir);
  save_store(ctx, dir);
  ecai_store *st = NULL;
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK_OK(ecai_store_update_json(st, "S-1", "{\"price\":1}"));
  CHECK_OK(ecai_store_update_json(st, "S-2", "{\"price\":2}"));
  ecai_store_free(st);
  /* flip a byte inside the last record's JSON */
  struct stat sb;
  CHECK(stat(jp, &sb) == 0);
  int fd = open(jp, O_RDWR);
  CHECK(fd >= 0);
  char c = 0;
  off_t at = sb.st_size - 12;
  CHECK(pread(fd, &c, 1, at) == 1);
  c ^= 0x20;
  CHECK(pwrite(fd, &c, 1, at) == 1);
  close(fd);
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK(warned == 1);
  CHECK(ecai_test_price(st, "S-1") == 1);   /* the good record */
  CHECK(ecai_test_price(st, "S-2") == 299); /* the damaged one skipped */
  /* later records still go through */
  CHECK_OK(ecai_store_update_json(st, "S-3", "{\"price\":3}"));
  ecai_store *st2 = NULL;
  CHECK_OK(ecai_store_open(&st2, ctx, dir));
  CHECK(ecai_test_price(st2, "S-3") == 3 && ecai_test_price(st2, "S-1") == 1);
  ecai_store_free(st2);
  ecai_store_free(st);
  /* a damaged header: updates ignored with a warning, new ones refused */
  fd = open(jp, O_RDWR);
  CHECK(fd >= 0 && pwrite(fd, "X", 1, 0) == 1);
  close(fd);
  warned = 0;
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK(warned == 1);
  CHECK(ecai_test_price(st, "S-1") == 499);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":7}"), ECAI_ECORRUPT);
  CHECK(ecai_test_price(st, "S-1") == 499);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* The journal cannot be written (here: its name is a link to a missing folder; a read-only
 * store folder fails the same way, but the tests may run as root): an error, and the update is not applied in this process either. */
TEST(store_update_unwritable_journal_is_an_error_and_changes_nothing) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char dir[1024], jp[1100];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  snprintf(jp, sizeof jp, "%s/updates.journal", dir);
  save_store(ctx, dir);
  ecai_store *st = NULL;
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK(symlink("/nonexistent-ecai-folder/updates.journal", jp) == 0);
  CHECK_STATUS(ecai_store_update_json(st, "S-1", "{\"price\":1}"), ECAI_EIO);
  CHECK_CONTAINS(ecai_last_error(), "updates.journal");
  CHECK(ecai_test_price(st, "S-1") == 499);
  CHECK(unlink(jp) == 0);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* Queries on three threads while a fourth updates prices and a title (through the journal):
 * every answer is whole (S-2 at 299 always under 300, S-3 at 1299 never), no error; under
 * `make tsan` ThreadSanitizer checks the store lock. */
typedef struct conc { ecai_store *st; ecai_search *s; int writer, bad; } conc;

static void *conc_run(void *p) {
  conc *c = p;
  for (int r = 0; r < 40 && !c->bad; r++) {
    if (c->writer) {
      char js[96];
      snprintf(js, sizeof js, "{\"price\":%d}", r % 2 ? 100 : 900);
      if (ecai_store_update_json(c->st, "S-1", js)) c->bad = 1;
      if (r % 5 == 0 && ecai_store_update_json(c->st, "T-2", r % 10 ? "{\"title\":\"Zorblax brass sofa table\"}"
                                                                      : "{\"title\":\"Glass coffee table\"}"))
        c->bad = 2;
      continue;
    }
    char *out = NULL;
    const char *o = r % 2 ? "{\"k\":10,\"mode\":\"bm25\",\"filters\":{\"price_max\":300}}" : CHEAP;
    if (ecai_search_query(&out, NULL, c->s, "sofa", 4, o) || !has(out, "S-2") || has(out, "S-3")) c->bad = 3;
    ecai_free(out);
  }
  return NULL;
}

TEST(store_update_concurrent_with_queries) {
  setenv("OMP_NUM_THREADS", "1", 1);
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  save_store(ctx, dir);
  ecai_store *st = NULL;
  ecai_search *s = NULL;
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK_OK(ecai_search_open(&s, st, dir));
  pthread_t t[4];
  conc c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = (conc){st, s, i == 3, 0};
    CHECK(pthread_create(&t[i], NULL, conc_run, &c[i]) == 0);
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) CHECK_MSG(!c[i].bad, "thread %d failed (%d): %s", i, c[i].bad, ecai_last_error());
  CHECK(ecai_test_price(st, "S-1") == 100); /* the last write (r = 39) */
  CHECK(finds(s, "sofa", CHEAP, "S-1") && finds(s, "zorblax", "{\"mode\":\"bm25\"}", "T-2"));
  ecai_search_free(s);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* Saving over the folder the store was opened from: the journal goes (its changes are in the new
 * catalog.bin) and later updates start a new one, bound to the new catalog. */
TEST(store_update_save_over_own_folder_starts_a_new_journal) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char dir[1024], jp[1100];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  snprintf(jp, sizeof jp, "%s/updates.journal", dir);
  save_store(ctx, dir);
  ecai_store *st = NULL;
  CHECK_OK(ecai_store_open(&st, ctx, dir));
  CHECK_OK(ecai_store_update_json(st, "S-1", "{\"price\":11}"));
  CHECK(access(jp, F_OK) == 0);
  CHECK_OK(ecai_store_save(st, dir));
  CHECK(access(jp, F_OK) != 0);
  CHECK_OK(ecai_store_update_json(st, "S-2", "{\"price\":22}"));
  CHECK(access(jp, F_OK) == 0);
  ecai_store *back = NULL;
  CHECK_OK(ecai_store_open(&back, ctx, dir));
  CHECK(ecai_test_price(back, "S-1") == 11 && ecai_test_price(back, "S-2") == 22);
  ecai_store_free(back);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
}

/* ---- store.updates "redis": stores copied to many servers ------------------------------- */

static ecai_ctx *redis_ctx(const char *url, const char *prefix) {
  char js[512];
  snprintf(js, sizeof js, "{\"store\":{\"updates\":\"redis\"},\"redis\":{\"url\":\"%s\",\"timeout_ms\":200,"
           "\"prefix\":\"%s\"}}", url, prefix);
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, js, strlen(js)));
  return c;
}

/* Two copies of one store version (two "servers"), each opened by its own process-like
 * handle: an update through one is seen by the other's next query through Redis, and no
 * journal file is written. */
TEST(store_update_redis_reaches_another_server) {
  const char *url = ecai_test_redis_url();
  CHECK_MSG(url != NULL, "redis fixture not running");
  char prefix[64];
  snprintf(prefix, sizeof prefix, "t%d:", (int)getpid());
  ecai_ctx *plain = NULL;
  CHECK_OK(ecai_ctx_new(&plain, NULL, 0));
  char a[1024], b[1024], cmd[2200];
  snprintf(a, sizeof a, "%s/a", ecai_test_tmpdir());
  snprintf(b, sizeof b, "%s/b", ecai_test_tmpdir());
  save_store(plain, a);
  snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", a, b);
  CHECK(system(cmd) == 0);
  ecai_ctx *ca = redis_ctx(url, prefix), *cb = redis_ctx(url, prefix);
  ecai_store *sa = NULL, *sb = NULL;
  ecai_search *eb = NULL;
  CHECK_OK(ecai_store_open(&sa, ca, a));
  CHECK_OK(ecai_store_open(&sb, cb, b));
  CHECK_OK(ecai_search_open(&eb, sb, b));
  CHECK(!finds(eb, "sofa", CHEAP, "S-1"));
  CHECK_OK(ecai_store_update_json(sa, "S-1", "{\"price\":150}"));
  CHECK_OK(ecai_store_update_json(sa, "T-2", "{\"title\":\"Brass side table\"}"));
  CHECK(finds(eb, "sofa", CHEAP, "S-1"));
  CHECK(finds(eb, "brass", "{\"mode\":\"bm25\"}", "T-2"));
  CHECK(ecai_test_price(sb, "S-1") == 150);
  /* b updates too; a sees it; a store opened afterwards starts with everything */
  CHECK_OK(ecai_store_update_json(sb, "S-2", "{\"price\":5}"));
  char *v = NULL;
  CHECK_OK(ecai_store_search(&v, NULL, sa, "sofa", 4, 1)); /* any query catches up */
  ecai_free(v);
  CHECK(ecai_test_price(sa, "S-2") == 5);
  ecai_store *sc = NULL;
  CHECK_OK(ecai_store_open(&sc, cb, a));
  CHECK(ecai_test_price(sc, "S-1") == 150 && ecai_test_price(sc, "S-2") == 5);
  ecai_store_free(sc);
  char jp[1100];
  snprintf(jp, sizeof jp, "%s/updates.journal", a);
  CHECK(access(jp, F_OK) != 0);
  CHECK_STATUS(ecai_store_update_json(sa, "NOPE", "{\"price\":1}"), ECAI_ENOTFOUND);
  ecai_search_free(eb);
  ecai_store_free(sb);
  ecai_store_free(sa);
  ecai_ctx_free(ca);
  ecai_ctx_free(cb);
  ecai_ctx_free(plain);
}

/* Redis gone: an update is an error and changes nothing; queries keep serving. Without
 * redis.url opening the store with store.updates "redis" is an error naming the key. */
TEST(store_update_redis_down_changes_nothing) {
  int port = 0;
  pid_t rpid = 0;
  CHECK_MSG(ecai_test_redis_spawn(&port, &rpid) == 0, "could not start redis-server");
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  ecai_ctx *plain = NULL;
  CHECK_OK(ecai_ctx_new(&plain, NULL, 0));
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/s", ecai_test_tmpdir());
  save_store(plain, dir);
  ecai_ctx *c = redis_ctx(url, "down:");
  ecai_store *st = NULL;
  ecai_search *e = NULL;
  CHECK_OK(ecai_store_open(&st, c, dir));
  CHECK_OK(ecai_search_open(&e, st, dir));
  CHECK_OK(ecai_store_update_json(st, "S-1", "{\"price\":150}"));
  ecai_test_redis_kill(rpid);
  CHECK_STATUS(ecai_store_update_json(st, "S-2", "{\"price\":1000}"), ECAI_EIO);
  CHECK_CONTAINS(ecai_last_error(), "did not answer");
  CHECK(finds(e, "sofa", CHEAP, "S-1") && finds(e, "sofa", CHEAP, "S-2")); /* S-2 still 299 */
  ecai_search_free(e);
  ecai_store_free(st);
  ecai_ctx_free(c);
  const char *js = "{\"store\":{\"updates\":\"redis\"}}";
  ecai_ctx *nourl = NULL;
  CHECK_OK(ecai_ctx_new(&nourl, js, strlen(js)));
  CHECK_STATUS(ecai_store_open(&st, nourl, dir), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "store.updates");
  ecai_ctx_free(nourl);
  ecai_ctx *bad = NULL;
  const char *js2 = "{\"store\":{\"updates\":\"carrier-pigeon\"}}";
  CHECK_STATUS(ecai_ctx_new(&bad, js2, strlen(js2)), ECAI_EINVAL);
  ecai_ctx_free(plain);
}
