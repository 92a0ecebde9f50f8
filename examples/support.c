/* Support assistant demo: a knowledge base from the sample shop policy
 * (examples/data/shop_policy.md), a few customer questions answered with citations, and
 * the ones the bot must not answer escalated to a human with a reason. Offline: no LLM
 * configured, so answers are extractive (the best supporting passage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecai.h>

static int fail(const char *what) {
  fprintf(stderr, "support demo: %s: %s\n", what, ecai_last_error());
  return 1;
}

int main(void) {
  const char *root = getenv("ECAI_ROOT");
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/data/shop_policy.md", root ? root : ".");
  ecai_ctx *ctx = NULL;
  ecai_kb *kb = NULL;
  ecai_support *bot = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0)) return fail("context");
  if (ecai_kb_new(&kb, ctx)) return fail("knowledge base");
  if (ecai_kb_add_path(NULL, kb, path)) return fail(path);
  if (ecai_support_new(&bot, ctx, kb)) return fail("assistant");
  const char *questions[] = {
      "How much does express delivery cost?",
      "Can I pay with PayPal?",
      "How long do I have to return something?",
      "Please cancel my order #W1234567, I was charged twice",
      "do you have a store in Leeds?",
  };
  int answered = 0, escalated = 0;
  for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++) {
    char *js = NULL;
    if (ecai_support_answer(&js, NULL, bot, questions[i], NULL, NULL)) return fail("answer");
    printf("Q: %s\n", questions[i]);
    if (strstr(js, "\"escalated\":true")) {
      const char *r = strstr(js, "\"reason\":\"");
      printf("   -> escalated to a human (%.*s)\n", r ? (int)strcspn(r + 10, "\"") : 0, r ? r + 10 : "");
      escalated++;
    } else {
      const char *a = strstr(js, "\"answer\":\""), *c = strstr(js, "\"section\":\"");
      printf("   -> %.*s\n      [%.*s]\n", a ? (int)strcspn(a + 10, "\"") : 0, a ? a + 10 : "",
             c ? (int)strcspn(c + 11, "\"") : 0, c ? c + 11 : "");
      answered++;
    }
    ecai_free(js);
  }
  printf("%d answered, %d escalated\n", answered, escalated);
  ecai_support_free(bot);
  ecai_kb_free(kb);
  ecai_ctx_free(ctx);
  return (answered >= 3 && escalated >= 1) ? 0 : 1;
}
