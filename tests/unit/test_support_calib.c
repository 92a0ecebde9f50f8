/* The confidence model's refit (src/support/calib.c): a large KB that only gains examples
 * keeps its fitted model until its labelled questions grow by 10 % (a refit costs one
 * retrieval per question against every example); any change of the documents, a small KB,
 * or another screen refits at once. The model and the examples' analyses are saved with
 * the KB and come back for an assistant with the same guard configuration. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "ecai/support.h"
#include "harness.h"
#include "support/support_internal.h"

/* Adds the fixture's questions in spelling variants until the KB has `groups` example
 * groups (each variant is its own labelled question); returns the next variant number. */
static int grow(ecai_kb *kb, size_t groups, int v) {
  ecai__buf b;
  CHECK_OK(ecai__read_file(&b, ecai_test_fixture("shop_faq_examples.tsv"), SIZE_MAX, ECAI_EIO, "test"));
  char q[64][256], id[64][32];
  int n = 0;
  for (char *line = strtok(b.data, "\n"); line && n < 64; line = strtok(NULL, "\n")) {
    char *tab = strchr(line, '\t');
    if (!tab || !strcmp(tab + 1, "expected")) continue;
    *tab = 0;
    snprintf(q[n], sizeof q[n], "%s", line);
    snprintf(id[n], sizeof id[n], "%.*s", (int)strcspn(tab + 1, "\r"), tab + 1);
    n++;
  }
  ecai__buf_free(&b);
  CHECK(n > 10);
  for (; kb->ngroups < groups; v++)
    for (int i = 0; i < n && kb->ngroups < groups; i++) {
      char text[400];
      snprintf(text, sizeof text, "%.255s variant %d", q[i], v);
      CHECK_OK(ecai_kb_add_example(kb, id[i], text));
    }
  return v;
}

TEST(support_model_refit_waits_for_ten_percent_more_questions) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  ecai_kb *kb = NULL;
  CHECK_OK(ecai_kb_new(&kb, c));
  CHECK_OK(ecai_kb_add_path(NULL, kb, ecai_test_fixture("shop_faq.json")));
  /* small: every added example refits */
  int v = grow(kb, 30, 0);
  const ecai__kb_model *m = ecai__kb_model_get(kb, NULL, NULL, 0);
  CHECK_INT_EQ(kb->model_groups, 30);
  v = grow(kb, 31, v);
  m = ecai__kb_model_get(kb, NULL, NULL, 0);
  CHECK_INT_EQ(kb->model_groups, 31);
  /* large: the model of 220 questions serves until 242 */
  v = grow(kb, 220, v);
  m = ecai__kb_model_get(kb, NULL, NULL, 0);
  CHECK_INT_EQ(kb->model_groups, 220);
  size_t n0 = m->n;
  CHECK(n0 > 200);
  v = grow(kb, 241, v);
  m = ecai__kb_model_get(kb, NULL, NULL, 0);
  CHECK_INT_EQ(kb->model_groups, 220);
  CHECK_INT_EQ(m->n, n0);
  v = grow(kb, 242, v);
  m = ecai__kb_model_get(kb, NULL, NULL, 0);
  CHECK_INT_EQ(kb->model_groups, 242);
  CHECK(m->n > n0);
  /* a document change refits at once */
  v = grow(kb, 243, v);
  const char *doc = "# Gift cards\nGift cards never expire.\n";
  CHECK_OK(ecai_kb_add_text(NULL, kb, "gift.md", doc, strlen(doc), ECAI_KB_AUTO));
  m = ecai__kb_model_get(kb, NULL, NULL, 0);
  CHECK_INT_EQ(kb->model_groups, 243);
  ecai_kb_free(kb);
  ecai_ctx_free(c);
}

/* The answer JSON of q without its timing fields. */
static char *answer(ecai_support *s, const char *q) {
  char *out = NULL;
  CHECK_OK(ecai_support_answer(&out, NULL, s, q, NULL, NULL));
  char *t = strstr(out, "\"timings");
  if (t) *t = 0;
  return out;
}

/* A saved KB brings back its examples' analyses and the confidence model fitted for an
 * assistant with the same configuration: the reopened KB answers the same without a fit;
 * an assistant with another guard configuration fits its own. */
TEST(support_model_and_examples_come_back_with_the_file) {
  ecai_ctx *c = NULL, *c2 = NULL;
  CHECK_OK(ecai_ctx_new(&c, NULL, 0));
  const char *cfg = "{\"guard\":{\"escalation_threshold\":0.6}}";
  CHECK_OK(ecai_ctx_new(&c2, cfg, strlen(cfg)));
  ecai_kb *kb = NULL, *back = NULL;
  CHECK_OK(ecai_kb_new(&kb, c));
  CHECK_OK(ecai_kb_add_path(NULL, kb, ecai_test_fixture("shop_faq.json")));
  grow(kb, 60, 0);
  ecai_support *s = NULL;
  CHECK_OK(ecai_support_new(&s, c, kb));
  static const char *const QS[] = {"how do I sign up", "where is my parcel", "can I pay with paypal"};
  char *want[3];
  for (int i = 0; i < 3; i++) want[i] = answer(s, QS[i]);
  CHECK(kb->model.fitted);
  uint64_t screen = kb->model_screen_id;
  char path[1024];
  snprintf(path, sizeof path, "%s/kbmodel.ecai", ecai_test_tmpdir());
  CHECK_OK(ecai_kb_save(kb, path));
  CHECK_OK(ecai_kb_open(&back, c, path));
  CHECK_INT_EQ(back->nex, kb->nex);
  CHECK_INT_EQ(back->ngroups, kb->ngroups);
  CHECK(back->model.fitted && back->model_screen_id == screen);
  CHECK(ecai__kb_model_current(back, screen));
  CHECK(memcmp(back->model.w, kb->model.w, sizeof kb->model.w) == 0);
  for (size_t x = 0; x < kb->nex; x++) { /* the saved analyses, not new ones */
    CHECK_INT_EQ(back->ex[x].nterms, kb->ex[x].nterms);
    CHECK(memcmp(back->ex[x].vec, kb->ex[x].vec, kb->dim * sizeof(float)) == 0);
  }
  ecai_support *s2 = NULL;
  CHECK_OK(ecai_support_new(&s2, c, back));
  for (int i = 0; i < 3; i++) {
    char *got = answer(s2, QS[i]);
    CHECK_STR_EQ(got, want[i]);
    ecai_free(got);
  }
  CHECK(back->model_screen_id == screen); /* no fit happened */
  ecai_support_free(s2);
  /* another guard configuration: another screen, its own fit */
  CHECK_OK(ecai_support_new(&s2, c2, back));
  ecai_free(answer(s2, QS[0]));
  CHECK(back->model_screen_id != screen && back->model_screen_id != 0);
  ecai_support_free(s2);
  for (int i = 0; i < 3; i++) ecai_free(want[i]);
  ecai_support_free(s);
  ecai_kb_free(back);
  ecai_kb_free(kb);
  ecai_ctx_free(c2);
  ecai_ctx_free(c);
}
