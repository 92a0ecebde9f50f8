/* Support examples (learning from resolved tickets): ecai_kb_add_example /
 * ecai_kb_add_examples_tsv (checks, duplicates, errors naming the line, all-or-nothing),
 * examples as retrieval evidence, ESCALATE examples, ecai_support_resolve (no PII kept),
 * the fitted confidence, save/open (version 2, version 1 still read), chat spellings,
 * allocation failures. Fixture: tests/data/shop_faq.json + shop_faq_examples.tsv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"
#include "ecai/support.h"
#include "harness.h"

static ecai_kb *faq_kb(ecai_ctx *c) {
  ecai_kb *kb = NULL;
  CHECK_OK(ecai_kb_new(&kb, c));
  CHECK_OK(ecai_kb_add_path(NULL, kb, ecai_test_fixture("shop_faq.json")));
  return kb;
}

static char *read_fixture(const char *rel, size_t *len) {
  ecai__buf b;
  CHECK_OK(ecai__read_file(&b, ecai_test_fixture(rel), SIZE_MAX, ECAI_EIO, "test"));
  *len = b.len;
  return b.data;
}

static json_t *search(ecai_kb *kb, const char *q) {
  char *js = NULL;
  CHECK_OK(ecai_kb_search_json(&js, NULL, kb, q, 3));
  json_t *j = json_loads(js, 0, NULL);
  CHECK(j != NULL);
  ecai_free(js);
  return j;
}

static json_int_t n_examples(ecai_kb *kb) {
  json_t *j = search(kb, "delivery");
  json_int_t n = json_integer_value(json_object_get(j, "examples"));
  json_decref(j);
  return n;
}

static json_t *ask(ecai_support *s, const char *q) {
  char *out = NULL;
  CHECK_OK(ecai_support_answer(&out, NULL, s, q, NULL, NULL));
  json_t *j = json_loads(out, 0, NULL);
  CHECK(j != NULL);
  ecai_free(out);
  return j;
}

static const char *first_citation(json_t *r) {
  return json_string_value(json_object_get(json_array_get(json_object_get(r, "citations"), 0), "source"));
}

TEST(support_examples_add_checks_and_duplicates) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  CHECK_OK(ecai_kb_add_example(kb, "faq03", "where is my parcel"));
  CHECK_INT_EQ(n_examples(kb), 1);
  /* the same question (case, spaces, ?) with the same entry: stored once */
  CHECK_OK(ecai_kb_add_example(kb, "faq03", "Where  is my PARCEL?"));
  CHECK_INT_EQ(n_examples(kb), 1);
  /* the same question may be an example of another entry, or of ESCALATE */
  CHECK_OK(ecai_kb_add_example(kb, "faq06", "where is my parcel"));
  CHECK_OK(ecai_kb_add_example(kb, ECAI_KB_ESCALATE, "I want to speak to your manager"));
  CHECK_INT_EQ(n_examples(kb), 3);
  /* any language is stored (its words simply rarely match) */
  CHECK_OK(ecai_kb_add_example(kb, "faq04", "Kann ich die Ware zurückschicken?"));
  CHECK_INT_EQ(n_examples(kb), 4);
  CHECK_STATUS(ecai_kb_add_example(kb, "faq99", "anything"), ECAI_ENOTFOUND);
  CHECK_CONTAINS(ecai_last_error(), "faq99");
  CHECK_STATUS(ecai_kb_add_example(kb, "", "anything"), ECAI_EINVAL);
  CHECK_STATUS(ecai_kb_add_example(kb, "faq03", ""), ECAI_EINVAL);
  CHECK_STATUS(ecai_kb_add_example(kb, "faq03", "\xF0\x9F\x98\x80\xF0\x9F\x98\xA1 !!"), ECAI_EINVAL); /* only emoji */
  CHECK_STATUS(ecai_kb_add_example(kb, "faq03", "bad \xC3"), ECAI_EPARSE);
  char *big = malloc(ECAI_KB_EXAMPLE_MAX + 2);
  memset(big, 'a', ECAI_KB_EXAMPLE_MAX + 1);
  big[ECAI_KB_EXAMPLE_MAX + 1] = 0;
  CHECK_STATUS(ecai_kb_add_example(kb, "faq03", big), ECAI_EINVAL);
  free(big);
  CHECK_STATUS(ecai_kb_add_example(NULL, "faq03", "x"), ECAI_EINVAL);
  CHECK_STATUS(ecai_kb_add_example(kb, NULL, "x"), ECAI_EINVAL);
  CHECK_INT_EQ(n_examples(kb), 4); /* nothing added by the failures */
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_examples_tsv_errors_name_the_line_and_add_nothing) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  size_t added = 99;
  const char *bad_id = "question\texpected\nwhere is my parcel\tfaq03\n\nhow to pay\tfaq02, faq77\n";
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, bad_id, strlen(bad_id)), ECAI_ENOTFOUND);
  CHECK_CONTAINS(ecai_last_error(), "line 4");
  CHECK_CONTAINS(ecai_last_error(), "faq77");
  CHECK_INT_EQ(added, 0);
  CHECK_INT_EQ(n_examples(kb), 0); /* line 2 was fine but nothing is added */
  const char *no_tab = "where is my parcel\tfaq03\nhow to pay faq02\n";
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, no_tab, strlen(no_tab)), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 2");
  const char *three = "a question\tfaq03\tfaq04\n";
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, three, strlen(three)), ECAI_EPARSE);
  const char *emoji = "where is my parcel\tfaq03\n\xF0\x9F\x98\x80\tESCALATE\n";
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, emoji, strlen(emoji)), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "line 2");
  CHECK_CONTAINS(ecai_last_error(), "emoji");
  const char *nul = "where is my parcel\tfaq03\n\0x\tfaq04\n";
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, nul, 33), ECAI_EPARSE);
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, "", 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, "question\texpected\n\n", 19), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "no example");
  CHECK_STATUS(ecai_kb_add_examples_tsv(&added, kb, "x", (size_t)ECAI_KB_EXAMPLES_MAX_BYTES + 1), ECAI_EINVAL);
  CHECK_INT_EQ(n_examples(kb), 0);
  /* a good file: every id of a line, duplicates counted once, CRLF accepted */
  const char *good = "question\texpected\r\nwhere is my parcel\tfaq03\r\nWhere is my parcel?\tfaq03\r\n"
                     "refund or exchange\tfaq04,faq52\r\nare you hiring\tESCALATE\r\n";
  CHECK_OK(ecai_kb_add_examples_tsv(&added, kb, good, strlen(good)));
  CHECK_INT_EQ(added, 4);
  CHECK_INT_EQ(n_examples(kb), 4);
  CHECK_OK(ecai_kb_add_examples_tsv(&added, kb, good, strlen(good)));
  CHECK_INT_EQ(added, 0);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_examples_are_evidence_for_their_entry) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  ecai_support *s = NULL;
  CHECK_OK(ecai_support_new(&s, c, kb));
  /* no word in common with the entry: escalated without examples */
  const char *q = "where's my parcel at";
  json_t *r = ask(s, q);
  CHECK(json_is_true(json_object_get(r, "escalated")));
  CHECK(json_is_null(json_object_get(r, "calibrated")));
  json_decref(r);
  CHECK_OK(ecai_kb_add_example(kb, "faq03", "where is my parcel"));
  json_t *j = search(kb, q);
  json_t *top = json_array_get(json_object_get(j, "results"), 0);
  CHECK_STR_EQ(json_string_value(json_object_get(top, "source")), "faq03");
  CHECK(json_real_value(json_object_get(top, "example")) > 0.5);
  json_decref(j);
  r = ask(s, q);
  CHECK(json_is_false(json_object_get(r, "escalated")));
  CHECK_STR_EQ(first_citation(r), "faq03");
  json_decref(r);
  /* only emoji, only a URL: escalated, never answered */
  r = ask(s, "\xF0\x9F\x98\x80\xF0\x9F\x98\xA1");
  CHECK(json_is_true(json_object_get(r, "escalated")));
  json_decref(r);
  r = ask(s, "https://shop.example.com/orders/123");
  CHECK(json_is_true(json_object_get(r, "escalated")));
  json_decref(r);
  /* a question like one a person had to take escalates (fixed rule: few examples) */
  r = ask(s, "I need my account data deleted under the GDPR");
  const char *reason0 = json_string_value(json_object_get(r, "reason"));
  bool was_similar = reason0 && !strcmp(reason0, "similar_escalated");
  json_decref(r);
  CHECK_OK(ecai_kb_add_example(kb, ECAI_KB_ESCALATE, "please delete my account data under the GDPR"));
  r = ask(s, "I need my account data deleted under the GDPR");
  CHECK(json_is_true(json_object_get(r, "escalated")));
  CHECK_STR_EQ(json_string_value(json_object_get(r, "reason")), "similar_escalated");
  CHECK(!was_similar);
  json_decref(r);
  ecai_support_free(s);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_resolve_learns_without_pii) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  ecai_support *s = NULL;
  CHECK_OK(ecai_support_new(&s, c, kb));
  const char *q = "my parcel, where is it? my email is jane.doe@example.com";
  char *out = NULL;
  CHECK_OK(ecai_support_answer(&out, NULL, s, q, NULL, NULL));
  CHECK_CONTAINS(out, "\"escalated\":true");
  /* the agent answered with faq03 */
  CHECK_OK(ecai_support_resolve(s, out, "faq03"));
  char path[1024];
  snprintf(path, sizeof path, "%s/resolved.kb", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  ecai__buf b;
  CHECK_OK(ecai__read_file(&b, path, SIZE_MAX, ECAI_EIO, "test"));
  CHECK(memmem(b.data, b.len, "jane", 4) == NULL);      /* no customer data stored */
  CHECK(memmem(b.data, b.len, "EMAIL_", 6) == NULL);    /* nor placeholders */
  CHECK(memmem(b.data, b.len, "my parcel, where is it? my email is", 35) != NULL);
  ecai__buf_free(&b);
  json_t *r = ask(s, "my parcel, where is it? my email is max@example.org");
  CHECK(json_is_false(json_object_get(r, "escalated")));
  CHECK_STR_EQ(first_citation(r), "faq03");
  json_decref(r);
  /* "a person was needed"; the handoff object alone is accepted */
  json_t *full = json_loads(out, 0, NULL);
  char *handoff = json_dumps(json_object_get(full, "handoff"), JSON_COMPACT);
  json_decref(full);
  CHECK_OK(ecai_support_resolve(s, handoff, NULL));
  free(handoff);
  CHECK_INT_EQ(n_examples(kb), 2);
  CHECK_STATUS(ecai_support_resolve(s, out, "faq99"), ECAI_ENOTFOUND);
  CHECK_STATUS(ecai_support_resolve(s, "{\"answer\":\"x\"}", "faq03"), ECAI_EINVAL);
  CHECK_STATUS(ecai_support_resolve(s, "{not json", "faq03"), ECAI_EPARSE);
  CHECK_STATUS(ecai_support_resolve(NULL, out, "faq03"), ECAI_EINVAL);
  CHECK_STATUS(ecai_support_resolve(s, NULL, "faq03"), ECAI_EINVAL);
  ecai_free(out);
  ecai_support_free(s);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_examples_fit_the_confidence_and_survive_save_open) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  json_t *j = search(kb, "which payment methods can I use");
  CHECK(json_is_null(json_object_get(j, "confidence"))); /* no examples: no model */
  json_decref(j);
  size_t len = 0, added = 0;
  char *tsv = read_fixture("shop_faq_examples.tsv", &len);
  CHECK_OK(ecai_kb_add_examples_tsv(&added, kb, tsv, len));
  ecai__free(tsv);
  CHECK_INT_EQ(added, 24); /* 25 lines, one duplicate */
  /* 20+ labelled questions: a fitted probability; an easy question beats a vague one */
  j = search(kb, "which payment methods can I use");
  double p_easy = json_real_value(json_object_get(j, "confidence"));
  CHECK(json_is_real(json_object_get(j, "confidence")));
  json_decref(j);
  j = search(kb, "is it nice");
  double p_vague = json_real_value(json_object_get(j, "confidence"));
  json_decref(j);
  CHECK_MSG(p_easy > 0.5 && p_vague < p_easy, "p_easy %.3f p_vague %.3f", p_easy, p_vague);
  ecai_support *s = NULL;
  CHECK_OK(ecai_support_new(&s, c, kb));
  json_t *r = ask(s, "which payment methods can I use");
  CHECK(json_is_real(json_object_get(r, "calibrated")));
  CHECK(json_is_false(json_object_get(r, "escalated")));
  CHECK(json_real_value(json_object_get(r, "confidence")) == json_real_value(json_object_get(r, "calibrated")));
  json_decref(r);
  ecai_support_free(s);
  /* save / open keeps the examples and their effect */
  char path[1024];
  snprintf(path, sizeof path, "%s/ex.kb", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  ecai_kb *back = NULL;
  CHECK_OK(ecai_kb_open(&back, c, path));
  /* an assistant fits its model leaving out what its input guard escalates anyway */
  CHECK_OK(ecai_support_new(&s, c, back));
  json_decref(ask(s, "which payment methods can I use"));
  ecai_support_free(s);
  char *j1 = NULL, *j2 = NULL;
  CHECK_OK(ecai_kb_search_json(&j1, NULL, kb, "where's my parcel at", 3));
  CHECK_OK(ecai_kb_search_json(&j2, NULL, back, "where's my parcel at", 3));
  CHECK_STR_EQ(j2, j1);
  ecai_free(j1);
  ecai_free(j2);
  CHECK_INT_EQ(n_examples(back), 24);
  /* an example of a removed document is kept, ignored, and counts again once it is back */
  CHECK_OK(ecai_kb_remove(back, "shop_faq.json"));
  CHECK_OK(ecai_kb_save(back, path));
  ecai_kb_free(back);
  CHECK_OK(ecai_kb_open(&back, c, path));
  CHECK_INT_EQ(n_examples(back), 24);
  CHECK_OK(ecai_kb_add_path(NULL, back, ecai_test_fixture("shop_faq.json")));
  CHECK_OK(ecai_support_new(&s, c, back));
  json_decref(ask(s, "which payment methods can I use"));
  ecai_support_free(s);
  CHECK_OK(ecai_kb_search_json(&j1, NULL, kb, "where's my parcel at", 3));
  CHECK_OK(ecai_kb_search_json(&j2, NULL, back, "where's my parcel at", 3));
  CHECK_STR_EQ(j2, j1);
  ecai_free(j1);
  ecai_free(j2);
  ecai_kb_free(back);
  /* a version-1 file (no examples; made from the version-2 fixture) still opens */
  ecai__buf b;
  CHECK_OK(ecai__read_file(&b, ecai_test_fixture("kb_v2_shop_faq.ecai"), SIZE_MAX, ECAI_EIO, "test"));
  json_t *root = json_loadb(b.data + 25, b.len - 25, 0, NULL);
  ecai__buf_free(&b);
  CHECK(root != NULL);
  json_object_set_new(root, "version", json_integer(1));
  json_object_del(root, "examples");
  char *body = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  FILE *f = fopen(path, "wb");
  fprintf(f, "ECAIKB1 %016llx\n%s", (unsigned long long)XXH3_64bits(body, strlen(body)), body);
  fclose(f);
  free(body);
  CHECK_OK(ecai_kb_open(&back, c, path));
  CHECK_INT_EQ(n_examples(back), 0);
  ecai_kb_free(back);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_chat_spellings_are_filler) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  json_t *a = search(kb, "which payment methods can you use");
  json_t *b = search(kb, "which payment methods can u use pls thx");
  json_t *ta = json_array_get(json_object_get(a, "results"), 0), *tb = json_array_get(json_object_get(b, "results"), 0);
  CHECK_STR_EQ(json_string_value(json_object_get(tb, "source")), "faq02");
  /* "u", "pls", "thx" carry no topic: the same share of the question is covered */
  CHECK(json_real_value(json_object_get(ta, "coverage")) == json_real_value(json_object_get(tb, "coverage")));
  CHECK(json_real_value(json_object_get(tb, "coverage")) > 0.9);
  json_decref(a);
  json_decref(b);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

TEST(support_examples_alloc_failures) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  const char *tsv = "where is my parcel\tfaq03\nare you hiring\tESCALATE\nrefund or exchange\tfaq04,faq52\n";
  const char *faq = "[{\"id\":\"faq03\",\"question\":\"How do I track my order?\",\"answer\":\"Open My orders.\"},"
                    "{\"id\":\"faq04\",\"question\":\"What is your return policy?\",\"answer\":\"30 days.\"},"
                    "{\"id\":\"faq52\",\"question\":\"Gift card returns?\",\"answer\":\"Store credit.\"}]";
  char kp[1024];
  snprintf(kp, sizeof kp, "%s/alloc_ex.kb", ecai_test_tmpdir());
  for (long n = 0;; n++) {
    ecai__test_fail_alloc_after(n);
    ecai_kb *kb = NULL, *back = NULL;
    ecai_support *s = NULL;
    char *out = NULL;
    ecai_status st = ecai_kb_new(&kb, c);
    if (!st) st = ecai_kb_add_text(NULL, kb, "faq.json", faq, strlen(faq), ECAI_KB_FAQ_JSON);
    if (!st) st = ecai_kb_add_examples_tsv(NULL, kb, tsv, strlen(tsv));
    if (!st) st = ecai_support_new(&s, c, kb);
    if (!st) st = ecai_support_answer(&out, NULL, s, "where's my parcel at", NULL, NULL);
    if (!st) {
      ecai_free(out);
      out = NULL;
      st = ecai_support_answer(&out, NULL, s, "where is my parcel right now? what is your return policy?", NULL, NULL);
    }
    if (!st) st = ecai_support_resolve(s, "{\"handoff\":{\"conversation\":[{\"role\":\"user\",\"content\":\"hi, is it here\"}]}}", "faq03");
    if (!st) st = ecai_kb_save(kb, kp);
    if (!st) st = ecai_kb_open(&back, c, kp);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "n=%ld: status %d (%s)", n, (int)st, ecai_last_error());
    if (st == ECAI_OK) CHECK_INT_EQ(n_examples(back), 5);
    ecai_free(out);
    ecai_kb_free(back);
    ecai_support_free(s);
    ecai_kb_free(kb);
    if (st == ECAI_OK) break;
    CHECK(n < 400000);
  }
  ecai_ctx_free(c);
}

/* WordNet (wordnet-base, installed by scripts/setup-deps.sh): a question word the KB lacks
 * finds the KB's synonym; a word the KB has is never replaced. */
TEST(support_wordnet_synonyms_for_unknown_words_only) {
  ecai_ctx *on = NULL, *off = NULL;
  CHECK_OK(ecai_ctx_new(&on, NULL, 0));
  const char *off_cfg = "{\"support\":{\"wordnet\":\"\"}}";
  CHECK_OK(ecai_ctx_new(&off, off_cfg, strlen(off_cfg)));
  const char *faq = "[{\"id\":\"lost\",\"question\":\"What if my package is lost?\",\"answer\":\"Write to us within 14 days.\"},"
                    "{\"id\":\"gift\",\"question\":\"Do you sell gift cards?\",\"answer\":\"Yes, from 10 EUR.\"}]";
  ecai_kb *a = NULL, *b = NULL;
  CHECK_OK(ecai_kb_new(&a, on));
  CHECK_OK(ecai_kb_new(&b, off));
  CHECK_OK(ecai_kb_add_text(NULL, a, "faq.json", faq, strlen(faq), ECAI_KB_FAQ_JSON));
  CHECK_OK(ecai_kb_add_text(NULL, b, "faq.json", faq, strlen(faq), ECAI_KB_FAQ_JSON));
  json_t *ja = search(a, "my parcel never came"), *jb = search(b, "my parcel never came");
  json_t *ta = json_array_get(json_object_get(ja, "results"), 0), *tb = json_array_get(json_object_get(jb, "results"), 0);
  CHECK_STR_EQ(json_string_value(json_object_get(ta, "source")), "lost");
  CHECK_MSG(json_real_value(json_object_get(ta, "coverage")) > json_real_value(json_object_get(tb, "coverage")) + 0.05,
            "coverage with WordNet %.3f, without %.3f", json_real_value(json_object_get(ta, "coverage")),
            json_real_value(json_object_get(tb, "coverage")));
  json_decref(ja);
  json_decref(jb);
  /* every word known: the same result with and without WordNet */
  char *x = NULL, *y = NULL;
  CHECK_OK(ecai_kb_search_json(&x, NULL, a, "is my gift package lost", 2));
  CHECK_OK(ecai_kb_search_json(&y, NULL, b, "is my gift package lost", 2));
  CHECK_STR_EQ(x, y);
  ecai_free(x);
  ecai_free(y);
  ecai_kb_free(a);
  ecai_kb_free(b);
  /* a folder without the database: no synonyms, no error */
  char cfg[1200];
  snprintf(cfg, sizeof cfg, "{\"support\":{\"wordnet\":\"%s/nowhere\"}}", ecai_test_tmpdir());
  ecai_ctx *missing = NULL;
  CHECK_OK(ecai_ctx_new(&missing, cfg, strlen(cfg)));
  CHECK_OK(ecai_kb_new(&a, missing));
  ecai_kb_free(a);
  ecai_ctx_free(missing);
  ecai_ctx_free(on);
  ecai_ctx_free(off);
}

TEST(support_several_questions_answered_or_escalated_each) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = faq_kb(c);
  ecai_support *s = NULL;
  CHECK_OK(ecai_support_new(&s, c, kb));
  json_t *r = ask(s, "Can I pay with PayPal? Also, can I combine two promo codes? thanks!");
  CHECK(json_is_false(json_object_get(r, "escalated")));
  json_t *cites = json_object_get(r, "citations");
  CHECK_INT_EQ(json_array_size(cites), 2);
  CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(cites, 0), "source")), "faq02");
  CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(cites, 1), "source")), "faq21");
  CHECK_CONTAINS(json_string_value(json_object_get(r, "answer")), "PayPal");
  CHECK_CONTAINS(json_string_value(json_object_get(r, "answer")), "promo code");
  json_t *parts = json_object_get(r, "parts");
  CHECK_INT_EQ(json_array_size(parts), 2);
  CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(parts, 1), "question")),
               "Also, can I combine two promo codes? thanks!");
  json_decref(r);
  /* one answerable, one not: the answer to the first, escalated for the rest */
  r = ask(s, "Do you ship abroad? Can I pay in bitcoin at the shop in Leeds?");
  CHECK(json_is_true(json_object_get(r, "escalated")));
  CHECK_STR_EQ(json_string_value(json_object_get(r, "reason")), "partly_answered");
  CHECK_STR_EQ(first_citation(r), "faq07");
  CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(r, "handoff"), "reason")), "partly_answered");
  CHECK(json_is_true(json_object_get(json_array_get(json_object_get(r, "parts"), 1), "escalated")));
  json_decref(r);
  /* a guard decides on the whole message; one question is not split */
  r = ask(s, "Do you ship abroad? I want to talk to a human agent, is that possible?");
  CHECK_STR_EQ(json_string_value(json_object_get(r, "reason")), "human_requested");
  CHECK(json_object_get(r, "parts") == NULL);
  json_decref(r);
  r = ask(s, "How do I track my order? Really?");
  CHECK(json_object_get(r, "parts") == NULL);
  CHECK_STR_EQ(first_citation(r), "faq03");
  json_decref(r);
  ecai_support_free(s);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}
