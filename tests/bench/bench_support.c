/* Support assistant end-to-end latency without an LLM (make bench): the 99 FAQ questions
 * of ../shared/data/support/ecommerce_faq answered (or escalated) by ecai_support_answer()
 * over the 79-entry FAQ -- input guard, redaction, retrieval (BM25 + embedding), extractive
 * answer, output guard, confidence, JSON -- and, as a peer measured in the same run, the
 * retrieval alone (ecai_kb_search_json) and the guard's input check alone, so the share
 * of each stage is visible. Also the KB build time (ingest + embed of 79 entries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ecai.h"

#include "bench_util.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void report(const char *name, double *t, int n) {
  double mean = 0;
  for (int i = 0; i < n; i++) mean += t[i];
  mean /= n;
  qsort(t, (size_t)n, sizeof *t, cmpd);
  printf("%-44s mean %8.1f us  p50 %8.1f us  p99 %8.1f us\n", name, mean, t[n / 2], t[(int)(n * 0.99)]);
}

int main(void) {
  const char *root = getenv("ECAI_ROOT");
  char faq[1024], qs[1024];
  snprintf(faq, sizeof faq, "%s/../shared/data/support/ecommerce_faq/faq.json", root ? root : ".");
  snprintf(qs, sizeof qs, "%s/../shared/data/support/ecommerce_faq/questions.tsv", root ? root : ".");
  FILE *f = fopen(qs, "r");
  if (!f) {
    printf("bench_support: %s not found, skipped\n", qs);
    return 0;
  }
  char *q[256];
  int nq = 0;
  char line[2048];
  fgets(line, sizeof line, f); /* header */
  while (nq < 256 && fgets(line, sizeof line, f)) {
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    *tab = 0;
    q[nq++] = strdup(line);
  }
  fclose(f);
  ecai_ctx *ctx = NULL;
  ecai_kb *kb = NULL;
  ecai_support *s = NULL;
  ecai_guard *g = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0) || ecai_kb_new(&kb, ctx)) return 1;
  double t0 = now_us();
  if (ecai_kb_add_path(NULL, kb, faq)) {
    fprintf(stderr, "bench_support: %s\n", ecai_last_error());
    return 1;
  }
  double build = now_us() - t0;
  if (ecai_support_new(&s, ctx, kb) || ecai_guard_new(&g, ctx)) return 1;
  enum { ROUNDS = 20 };
  static double ta[256 * ROUNDS], tr[256 * ROUNDS], tg[256 * ROUNDS];
  int n = 0, answered = 0;
  for (int r = 0; r < ROUNDS; r++)
    for (int i = 0; i < nq; i++, n++) {
      char *out = NULL;
      double a = now_us();
      if (ecai_support_answer(&out, NULL, s, q[i], NULL, NULL)) return 1;
      ta[n] = now_us() - a;
      if (r == 0 && strstr(out, "\"escalated\":false")) answered++;
      ecai_free(out);
      a = now_us();
      if (ecai_kb_search_json(&out, NULL, kb, q[i], 4)) return 1;
      tr[n] = now_us() - a;
      ecai_free(out);
      ecai_guard_verdict *v = NULL;
      a = now_us();
      if (ecai_guard_check_input(&v, g, q[i], strlen(q[i]), NULL, 0)) return 1;
      tg[n] = now_us() - a;
      ecai_guard_verdict_free(v);
    }
  printf("support, %d FAQ questions x %d rounds, 79-entry KB (CPU time of this thread)\n", nq, ROUNDS);
  printf("%-44s %8.1f ms\n", "KB build (ingest + embed 79 entries)", build / 1000);
  report("ecai_support_answer end to end (no LLM)", ta, n);
  report("  peer: retrieval alone (kb_search_json k=4)", tr, n);
  report("  peer: input guard alone", tg, n);
  printf("answered %d of %d (the rest escalated)\n", answered, nq);
  for (int i = 0; i < nq; i++) free(q[i]);
  ecai_guard_free(g);
  ecai_support_free(s);
  ecai_kb_free(kb);
  ecai_ctx_free(ctx);
  return 0;
}
