/* The tokenizer's output is pinned to ECAI__TEXT_VERSION: saved analyses (the knowledge
 * base's mapped file) are reused while the fingerprint is unchanged, so a change to what
 * the tokenizer produces must bump the version. This test tokenises the text fixtures in
 * every mode and compares a hash of every token with the one recorded for the version: when
 * it fails after a tokenizer change, bump ECAI__TEXT_VERSION (src/text/text.h) and record
 * the new hash below, in the same change. */
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"
#include "harness.h"
#include "text/text.h"

static const struct {
  unsigned version;
  unsigned long long hash;
} RECORDED[] = {{1, 0x5b7eea87d6cc0178ull}};

/* Prose, product titles with units and numbers, chat questions, and the red-team file's
 * other scripts, homoglyphs and invisible characters. */
static const char *const FIXTURES[] = {"shop_faq.json",     "tau2_policy.md",    "catalog_small.csv",
                                       "ltr_catalog.jsonl", "search_catalog.jsonl", "banking77_sample.tsv",
                                       "redteam.jsonl",     "guard_lies.jsonl",  "policy_facts.jsonl"};

TEST(text_output_is_pinned_to_its_version) {
  ecai__tokenizer *t = NULL;
  CHECK_OK(ecai__tokenizer_new(&t));
  ecai__tokens toks = {0};
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  size_t ntok = 0;
  const unsigned modes[] = {0, ECAI__TOKF_STEM, ECAI__TOKF_STEM | ECAI__TOKF_STOP};
  for (size_t f = 0; f < sizeof FIXTURES / sizeof *FIXTURES; f++) {
    ecai__buf b;
    CHECK_OK(ecai__read_file(&b, ecai_test_fixture(FIXTURES[f]), SIZE_MAX, ECAI_EIO, "test"));
    for (size_t m = 0; m < 3; m++) {
      CHECK_OK(ecai__tokenize(t, b.data, b.len, modes[m], &toks));
      for (size_t i = 0; i < toks.n; i++) {
        XXH3_64bits_update(&st, toks.text + toks.off[i], toks.len[i] + 1);
        XXH3_64bits_update(&st, &toks.kind[i], 1);
      }
      ntok += toks.n;
    }
    ecai__buf_free(&b);
  }
  unsigned long long h = XXH3_64bits_digest(&st);
  CHECK(ntok > 10000);
  bool found = false;
  for (size_t i = 0; i < sizeof RECORDED / sizeof *RECORDED; i++)
    if (RECORDED[i].version == ECAI__TEXT_VERSION) {
      found = true;
      CHECK_MSG(RECORDED[i].hash == h,
                "the tokenizer's output changed (hash %#llx, recorded %#llx for version %u): bump "
                "ECAI__TEXT_VERSION and record the new hash in tests/unit/test_text_version.c",
                h, RECORDED[i].hash, ECAI__TEXT_VERSION);
    }
  CHECK_MSG(found, "no hash recorded for ECAI__TEXT_VERSION %u (this run's: %#llx)", ECAI__TEXT_VERSION, h);
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(t);
}

/* The fingerprint follows the version and stays the same within a process. */
TEST(text_fingerprint_is_stable) {
  uint64_t a = ecai__text_fingerprint(), b = ecai__text_fingerprint();
  CHECK(a == b);
  CHECK(a != 0);
}
