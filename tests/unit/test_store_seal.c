/* ecai_store_seal: compaction of a store folder's update journal. Sealing applies what other
 * handles committed, then every handle's updates fail (ECAI_ESTATE, nothing changed) until
 * it is unsealed; a version saved after sealing holds every update and has no journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void save_fixture(ecai_ctx *ctx, const char *dir) {
  ecai_store *s = ecai_test_store(ctx, "search_catalog.jsonl");
  CHECK_OK(ecai_store_save(s, dir));
  ecai_store_free(s);
}

TEST(store_seal_applies_others_updates_then_refuses_updates_until_unsealed) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char dir[1024], dir2[1024], jp2[1100];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  snprintf(dir2, sizeof dir2, "%s/store-compacted", ecai_test_tmpdir());
  snprintf(jp2, sizeof jp2, "%s/updates.journal", dir2);
  save_fixture(ctx, dir);
  ecai_store *writer = NULL, *compactor = NULL;
  CHECK_OK(ecai_store_open(&writer, ctx, dir));
  CHECK_OK(ecai_store_open(&compactor, ctx, dir));
  CHECK_OK(ecai_store_update_json(writer, "S-1", "{\"price\":111}"));
  CHECK(ecai_test_price(compactor, "S-1") == 499); /* not applied yet: no query ran on it */
  CHECK_OK(ecai_store_seal(compactor, 1));
  CHECK(ecai_test_price(compactor, "S-1") == 111); /* sealing applied the writer's update first */
  /* sealed: updates through any handle of this version fail and change nothing */
  CHECK_STATUS(ecai_store_update_json(writer, "S-2", "{\"price\":222}"), ECAI_ESTATE);
  CHECK_CONTAINS(ecai_last_error(), "sealed");
  CHECK(ecai_test_price(writer, "S-2") == 299);
  pid_t pid = fork(); /* and in another process */
  CHECK(pid >= 0);
  if (pid == 0) {
    ecai_ctx *c2 = NULL;
    ecai_store *s2 = NULL;
    int ok = !ecai_ctx_new(&c2, NULL, 0) && !ecai_store_open(&s2, c2, dir) &&
             ecai_store_update_json(s2, "S-2", "{\"price\":222}") == ECAI_ESTATE;
    _exit(ok ? 0 : 1);
  }
  int ws = 0;
  CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  /* the compacted version holds the update and starts without a journal */
  CHECK_OK(ecai_store_save(compactor, dir2));
  CHECK(access(jp2, F_OK) != 0);
  ecai_store *back = NULL;
  CHECK_OK(ecai_store_open(&back, ctx, dir2));
  CHECK(ecai_test_price(back, "S-1") == 111);
  CHECK_OK(ecai_store_update_json(back, "S-2", "{\"price\":333}")); /* the new version takes updates */
  CHECK(ecai_test_price(back, "S-2") == 333);
  /* a compaction that failed unseals: updates resume on the old version */
  CHECK_OK(ecai_store_seal(compactor, 0));
  CHECK_OK(ecai_store_update_json(writer, "S-2", "{\"price\":222}"));
  CHECK(ecai_test_price(writer, "S-2") == 222);
  ecai_store_free(back);
  ecai_store_free(compactor);
  ecai_store_free(writer);
  ecai_ctx_free(ctx);
}

TEST(store_seal_creates_the_journal_when_there_was_no_update) {
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  char dir[1024], jp[1100];
  snprintf(dir, sizeof dir, "%s/store", ecai_test_tmpdir());
  snprintf(jp, sizeof jp, "%s/updates.journal", dir);
  save_fixture(ctx, dir);
  ecai_store *a = NULL, *b = NULL;
  CHECK_OK(ecai_store_open(&a, ctx, dir));
  CHECK_OK(ecai_store_open(&b, ctx, dir));
  CHECK(access(jp, F_OK) != 0);
  CHECK_OK(ecai_store_seal(a, 1));
  CHECK(access(jp, F_OK) == 0);
  CHECK_STATUS(ecai_store_update_json(b, "S-1", "{\"price\":1}"), ECAI_ESTATE);
  CHECK(ecai_test_price(b, "S-1") == 499);
  ecai_store_free(b);
  ecai_store_free(a);
  ecai_ctx_free(ctx);
}

TEST(store_seal_bad_use) {
  CHECK_STATUS(ecai_store_seal(NULL, 1), ECAI_EINVAL);
  ecai_ctx *ctx = NULL;
  CHECK_OK(ecai_ctx_new(&ctx, NULL, 0));
  ecai_store *s = ecai_test_store(ctx, "search_catalog.jsonl"); /* in memory: no folder, no journal */
  CHECK_STATUS(ecai_store_seal(s, 1), ECAI_ESTATE);
  CHECK_CONTAINS(ecai_last_error(), "not opened from a folder");
  CHECK_OK(ecai_store_update_json(s, "S-1", "{\"price\":5}")); /* still updatable in this process */
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}
