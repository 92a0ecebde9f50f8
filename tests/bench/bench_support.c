/* Support assistant end-to-end latency without an LLM (make bench): the 99 FAQ questions
 * of ../shared/data/support/ecommerce_faq answered (or escalated) by ecai_support_answer()
 * over the 79-entry FAQ -- input guard, redaction, retrieval (BM25 + embedding), extractive
 * answer, output guard, confidence, JSON -- and, as a peer measured in the same run, the
 * retrieval alone (ecai_kb_search_json) and the guard's input check alone, so the share
 * of each stage is visible. Also the KB build time (ingest + embed of 79 entries), and
 * ecai_kb_open of the saved KB (mapped file, analyses used in place) against opening the
 * same KB from an ECAIKB1 text file, which analyses and embeds every chunk again (what
 * every open did before the mapped layout), wall time in the same run; and the first answer
 * after examples were added (it fits the confidence model) against the answers after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ecai.h"
#include "support/support_internal.h"

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

static double wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The KB as an ECAIKB1 text file (version 2: sections and texts only), the peer's input. */
static int save_text_kb(const ecai_kb *kb, const char *path) {
  json_t *docs = json_array();
  for (size_t d = 0; d < kb->ndocs; d++) {
    if (!kb->docs[d].live) continue;
    json_t *chunks = json_array();
    for (size_t c = 0; c < kb->nchunks; c++)
      if (kb->chunks[c].live && kb->chunks[c].doc == d)
        json_array_append_new(chunks, json_pack("{s:s,s:s,s:b}", "section", kb->chunks[c].section, "text",
                                                kb->chunks[c].text, "faq", kb->chunks[c].faq));
    char hx[24];
    snprintf(hx, sizeof hx, "%016llx", (unsigned long long)kb->docs[d].hash);
    json_array_append_new(docs, json_pack("{s:s,s:s,s:s,s:o}", "source", kb->docs[d].source, "origin",
                                          kb->docs[d].origin, "hash", hx, "chunks", chunks));
  }
  json_t *root = json_pack("{s:s,s:i,s:o,s:[]}", "format", "ecai-kb", "version", 2, "docs", docs, "examples");
  char *body = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  FILE *f = body ? fopen(path, "wb") : NULL;
  if (!f) return -1;
  fprintf(f, "ECAIKB1 %016llx\n%s", (unsigned long long)XXH3_64bits(body, strlen(body)), body);
  free(body);
  return fclose(f);
}

/* Best and median wall time of 50 ecai_kb_open of path. */
static int time_opens(ecai_ctx *ctx, const char *path, const char *name) {
  enum { N = 50 };
  double t[N];
  for (int i = 0; i < N; i++) {
    ecai_kb *kb = NULL;
    double a = wall_us();
    if (ecai_kb_open(&kb, ctx, path)) {
      fprintf(stderr, "bench_support: %s\n", ecai_last_error());
      return -1;
    }
    t[i] = wall_us() - a;
    ecai_kb_free(kb);
  }
  qsort(t, N, sizeof *t, cmpd);
  printf("%-44s best %7.1f us  p50 %7.1f us\n", name, t[0], t[N / 2]);
  return 0;
}

/* The KB saved after its model was fitted, opened again (examples' analyses and the model
 * come back), and its first answer: no fit. */
static int reopen_and_answer(ecai_ctx *ctx, const ecai_kb *kb, const char *question) {
  char path[] = "/tmp/bench_kbm_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  ecai_kb *back = NULL;
  ecai_support *s = NULL;
  char *out = NULL;
  double a = wall_us(), b = 0, c = 0;
  int rc = ecai_kb_save(kb, path) ? -1 : 0;
  if (!rc) a = wall_us(), rc = ecai_kb_open(&back, ctx, path) ? -1 : 0;
  if (!rc) b = wall_us(), rc = ecai_support_new(&s, ctx, back) || ecai_support_answer(&out, NULL, s, question, NULL, NULL);
  c = wall_us();
  if (!rc) printf("%-44s %8.2f ms  (then its first answer %.2f ms)\n", "  saved, opened again: ecai_kb_open", (b - a) / 1000,
                  (c - b) / 1000);
  ecai_free(out);
  ecai_support_free(s);
  ecai_kb_free(back);
  unlink(path);
  return rc;
}

/* The first answer after examples were added fits the confidence model (leave one question
 * out: one retrieval per labelled question against every example); the answers after it
 * are the peer. With the FAQ questions as examples, then with 10 spellings of each. */
static int bench_fit(ecai_ctx *ctx, const char *faq, char **q, char **want, int nq) {
  static const char *const SUFFIX[] = {"", " please", " thanks", " asap", " today", " again", " now", " quickly",
                                       " hello", " urgently"};
  ecai_kb *kb = NULL;
  if (ecai_kb_new(&kb, ctx) || ecai_kb_add_path(NULL, kb, faq)) return -1;
  printf("confidence model fit: first answer after adding examples (wall time)\n");
  for (int round = 0, added = 0; round < 2; round++) {
    for (int v = round ? 1 : 0; v < (round ? 10 : 1); v++)
      for (int i = 0; i < nq; i++) {
        char b[1024];
        snprintf(b, sizeof b, "%s%s", q[i], SUFFIX[v]);
        added += ecai_kb_add_example(kb, want[i], b) == ECAI_OK;
      }
    ecai_support *s = NULL;
    if (ecai_support_new(&s, ctx, kb)) return -1;
    double t[3];
    for (int i = 0; i < 3; i++) {
      char *out = NULL;
      double a = wall_us();
      if (ecai_support_answer(&out, NULL, s, q[i], NULL, NULL)) return -1;
      t[i] = wall_us() - a;
      ecai_free(out);
    }
    ecai_support_free(s);
    char name[64];
    snprintf(name, sizeof name, "%d examples: first answer (fit)", added);
    printf("%-44s %8.1f ms  (next answers %.2f, %.2f ms)\n", name, t[0] / 1000, t[1] / 1000, t[2] / 1000);
  }
  int rc = reopen_and_answer(ctx, kb, q[0]);
  ecai_kb_free(kb);
  return rc;
}

static int bench_open(ecai_ctx *ctx, const ecai_kb *kb) {
  char mapped[] = "/tmp/bench_kb_XXXXXX", text[] = "/tmp/bench_kbt_XXXXXX";
  int fd1 = mkstemp(mapped), fd2 = mkstemp(text);
  if (fd1 < 0 || fd2 < 0) return -1;
  close(fd1);
  close(fd2);
  int rc = ecai_kb_save(kb, mapped) || save_text_kb(kb, text) ? -1 : 0;
  if (!rc) {
    printf("ecai_kb_open of the 79-entry KB, 50 opens each (wall time)\n");
    rc = time_opens(ctx, mapped, "mapped file (analyses used in place)");
    if (!rc) rc = time_opens(ctx, text, "  peer: ECAIKB1 text file (analysed again)");
  }
  unlink(mapped);
  unlink(text);
  return rc;
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
  char *q[256], *want[256];
  int nq = 0;
  char line[2048];
  fgets(line, sizeof line, f); /* header */
  while (nq < 256 && fgets(line, sizeof line, f)) {
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    *tab = 0;
    tab[1 + strcspn(tab + 1, "\r\n")] = 0;
    want[nq] = strdup(tab + 1);
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
  if (bench_open(ctx, kb) || bench_fit(ctx, faq, q, want, nq)) return 1;
  for (int i = 0; i < nq; i++) free(q[i]), free(want[i]);
  ecai_guard_free(g);
  ecai_support_free(s);
  ecai_kb_free(kb);
  ecai_ctx_free(ctx);
  return 0;
}
