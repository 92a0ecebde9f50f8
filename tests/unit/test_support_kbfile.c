/* Knowledge-base files laid out for mapping (issue 16): a reopened KB answers exactly like
 * one built fresh while using the file's chunks, terms and vectors in place; a file made by
 * another tokenizer analysis or another embedder is analysed again (never stale); malformed
 * contents behind a valid checksum are ECAI_ECORRUPT naming the file, never a crash; the
 * older text files (tests/data/kb_v2_shop_faq.ecai, saved by the build before this layout
 * from tests/data/shop_faq.json) still open. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "ecai/support.h"
#include "harness.h"
#include "support/support_internal.h"

static const char *const QUERIES[] = {"how do I create an account", "can I return shoes after 30 days",
                                      "where is my order",          "do you ship to canada",
                                      "change my password please",  "refund to credit card how long",
                                      "12 inch pan 2 lbs",          "cancel order"};

static ecai_kb *fresh_kb(ecai_ctx *c) {
  ecai_kb *kb = NULL;
  CHECK_OK(ecai_kb_new(&kb, c));
  CHECK_OK(ecai_kb_add_path(NULL, kb, ecai_test_fixture("shop_faq.json")));
  return kb;
}

/* Every query gives the same search JSON on both KBs. */
static void check_same_answers(ecai_kb *want, ecai_kb *got) {
  size_t d1, c1, d2, c2;
  CHECK_OK(ecai_kb_stats(&d1, &c1, want));
  CHECK_OK(ecai_kb_stats(&d2, &c2, got));
  CHECK_INT_EQ(d2, d1);
  CHECK_INT_EQ(c2, c1);
  CHECK(c1 > 10);
  for (size_t i = 0; i < sizeof QUERIES / sizeof *QUERIES; i++) {
    char *j1 = NULL, *j2 = NULL;
    CHECK_OK(ecai_kb_search_json(&j1, NULL, want, QUERIES[i], 5));
    CHECK_OK(ecai_kb_search_json(&j2, NULL, got, QUERIES[i], 5));
    CHECK_STR_EQ(j2, j1);
    ecai_free(j1);
    ecai_free(j2);
  }
}

/* How many live chunks use the file's mapping in place. */
static size_t mapped_chunks(const ecai_kb *kb) {
  size_t n = 0;
  for (size_t i = 0; i < kb->nchunks; i++) n += kb->chunks[i].live && kb->chunks[i].mapped;
  return n;
}

static ecai__buf slurp(const char *path) {
  ecai__buf b;
  CHECK_OK(ecai__read_file(&b, path, SIZE_MAX, ECAI_EIO, "test"));
  return b;
}

/* Writes data as the file at path with its container checksum made right again, so only
 * the KB's own checks can refuse it. */
static void write_resealed(const char *path, char *data, size_t len) {
  ecai__blob_reseal(data, len);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK_INT_EQ(fwrite(data, 1, len, f), len);
  fclose(f);
}

static uint64_t payload_u64(const ecai__buf *b, size_t off) {
  uint64_t v;
  memcpy(&v, b->data + 32 + off, 8);
  return v;
}

TEST(support_kbfile_reopens_in_place_like_fresh) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = fresh_kb(c), *back = NULL;
  char path[1024], path2[1100];
  snprintf(path, sizeof path, "%s/kbm.ecai", ecai_test_tmpdir());
  snprintf(path2, sizeof path2, "%s/kbm2.ecai", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  CHECK_OK(ecai_kb_open(&back, c, path));
  check_same_answers(kb, back);
  size_t chunks;
  CHECK_OK(ecai_kb_stats(NULL, &chunks, back));
  CHECK_INT_EQ(mapped_chunks(back), chunks); /* nothing analysed again */
  CHECK(back->nterms_mapped > 100);
  /* saved again from the reopened KB: the same bytes */
  CHECK_OK(ecai_kb_save(back, path2));
  ecai__buf a = slurp(path), b = slurp(path2);
  CHECK_INT_EQ(b.len, a.len);
  CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
  ecai__buf_free(&a);
  ecai__buf_free(&b);
  /* a reopened KB changes like any other: a mapped document replaced, a new one added,
   * one removed; then saved and reopened again */
  const char *faq = "[{\"id\":\"faq01\",\"question\":\"How do I open an account?\",\"answer\":\"Ask a clerk.\"}]";
  const char *extra = "# Gift cards\nGift cards never expire and work in every store.\n";
  ecai_kb *kbs[] = {kb, back};
  for (size_t i = 0; i < 2; i++) {
    CHECK_OK(ecai_kb_add_text(NULL, kbs[i], "faq01", faq, strlen(faq), ECAI_KB_FAQ_JSON));
    CHECK_OK(ecai_kb_add_text(NULL, kbs[i], "gift.md", extra, strlen(extra), ECAI_KB_AUTO));
    CHECK_OK(ecai_kb_remove(kbs[i], "faq02"));
  }
  check_same_answers(kb, back);
  CHECK_OK(ecai_kb_save(back, path2));
  ecai_kb_free(back);
  back = NULL;
  CHECK_OK(ecai_kb_open(&back, c, path2));
  check_same_answers(kb, back);
  ecai_kb_free(back);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

/* Opened with another embedder: the vectors are made again with it, never reused. */
TEST(support_kbfile_other_embedder_embeds_again) {
  ecai_ctx *c = NULL, *c64 = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  const char *cfg = "{\"embedder\":{\"dim\":64}}";
  CHECK_OK(ecai_ctx_new(&c64, cfg, strlen(cfg)));
  ecai_kb *kb = fresh_kb(c), *want = fresh_kb(c64), *back = NULL;
  char path[1024];
  snprintf(path, sizeof path, "%s/kbe.ecai", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  CHECK_OK(ecai_kb_open(&back, c64, path));
  CHECK_INT_EQ(mapped_chunks(back), 0);
  check_same_answers(want, back);
  ecai_kb_free(back);
  ecai_kb_free(want);
  ecai_kb_free(kb);
  ecai_ctx_free(c64);
  ecai_ctx_free(c);
}

/* Made by another tokenizer analysis (fingerprint at payload offset 8): its saved terms,
 * here made wrong on purpose, are not used; the texts are analysed again. */
TEST(support_kbfile_other_analysis_analyses_again) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = fresh_kb(c), *back = NULL;
  char path[1024];
  snprintf(path, sizeof path, "%s/kba.ecai", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  ecai__buf b = slurp(path);
  b.data[32 + 8] ^= 1;
  uint64_t ids = payload_u64(&b, 72), nids = payload_u64(&b, 80);
  for (uint64_t i = 0; i < nids; i++) memset(b.data + 32 + ids + 4 * i, 0, 4); /* every term id 0 */
  write_resealed(path, b.data, b.len);
  CHECK_OK(ecai_kb_open(&back, c, path));
  CHECK_INT_EQ(mapped_chunks(back), 0);
  check_same_answers(kb, back);
  ecai_kb_free(back);
  ecai__buf_free(&b);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

static void expect_corrupt(ecai_ctx *c, const char *path) {
  ecai_kb *back = NULL;
  CHECK_STATUS(ecai_kb_open(&back, c, path), ECAI_ECORRUPT);
  CHECK(back == NULL);
  CHECK_MSG(strstr(ecai_last_error(), path) != NULL, "error: %s", ecai_last_error());
}

/* Contents that a checksum cannot vouch for are checked: sections outside the file, term
 * ids outside the vocabulary, strings without their NUL, vectors that are not numbers; random
 * bytes never crash and what opens answers. */
TEST(support_kbfile_malformed_contents_are_refused) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = fresh_kb(c), *back = NULL;
  char path[1024], bad[1100];
  snprintf(path, sizeof path, "%s/kbc.ecai", ecai_test_tmpdir());
  snprintf(bad, sizeof bad, "%s/kbc-bad.ecai", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  ecai__buf good = slurp(path);
  char *d = ecai__malloc(good.len);
  uint64_t ids = payload_u64(&good, 72), strings = payload_u64(&good, 96), nstr = payload_u64(&good, 104);
  /* a term id past the vocabulary */
  memcpy(d, good.data, good.len);
  memset(d + 32 + ids, 0xff, 4);
  write_resealed(bad, d, good.len);
  expect_corrupt(c, bad);
  /* the string pool without its final NUL */
  memcpy(d, good.data, good.len);
  d[32 + strings + nstr - 1] = 'x';
  write_resealed(bad, d, good.len);
  expect_corrupt(c, bad);
  /* a vector that is not a number */
  memcpy(d, good.data, good.len);
  float nan = NAN;
  memcpy(d + 32 + payload_u64(&good, 88) + 4 * 5, &nan, 4);
  write_resealed(bad, d, good.len);
  expect_corrupt(c, bad);
  /* the vectors' section past the end */
  memcpy(d, good.data, good.len);
  uint64_t far = (uint64_t)good.len;
  memcpy(d + 32 + 88, &far, 8);
  write_resealed(bad, d, good.len);
  expect_corrupt(c, bad);
  /* a plain flipped byte: the checksum */
  memcpy(d, good.data, good.len);
  d[good.len / 2] ^= 0x40;
  FILE *f = fopen(bad, "wb");
  fwrite(d, 1, good.len, f);
  fclose(f);
  expect_corrupt(c, bad);
  /* truncated */
  f = fopen(bad, "wb");
  fwrite(good.data, 1, good.len - 9, f);
  fclose(f);
  expect_corrupt(c, bad);
  /* random bytes behind a valid checksum: a clear status, never a crash */
  uint64_t seed = 42;
  size_t refused = 0;
  for (int round = 0; round < 300; round++) {
    memcpy(d, good.data, good.len);
    for (int k = 0; k < 4; k++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      d[32 + (seed >> 33) % (good.len - 32)] = (char)(seed >> 17);
    }
    write_resealed(bad, d, good.len);
    ecai_status st = ecai_kb_open(&back, c, bad);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ECORRUPT, "round %d: status %d (%s)", round, (int)st, ecai_last_error());
    refused += st == ECAI_ECORRUPT;
    if (st == ECAI_OK) {
      char *j = NULL;
      CHECK_OK(ecai_kb_search_json(&j, NULL, back, QUERIES[round % 8], 5));
      ecai_free(j);
    }
    ecai_kb_free(back);
    back = NULL;
  }
  CHECK(refused > 0);
  ecai__free(d);
  ecai__buf_free(&good);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_kbfile_text_version2_still_opens) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = fresh_kb(c), *back = NULL;
  ecai__buf b = slurp(ecai_test_fixture("kb_v2_shop_faq.ecai"));
  CHECK(b.len > 8 && !memcmp(b.data, "ECAIKB1 ", 8));
  ecai__buf_free(&b);
  CHECK_OK(ecai_kb_open(&back, c, ecai_test_fixture("kb_v2_shop_faq.ecai")));
  CHECK_INT_EQ(mapped_chunks(back), 0);
  check_same_answers(kb, back);
  ecai_kb_free(back);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}
