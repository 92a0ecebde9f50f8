/* Semantic cache: the content-word rule of hit verification (IDF from the cache's own
 * entries) and persistence (round trip, damaged files, persist path, restart). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache_internal.h"
#include "harness.h"

static ecai_ctx *mk(const char *json) {
  ecai_ctx *c = NULL;
  CHECK_OK(ecai_ctx_new(&c, json, strlen(json)));
  return c;
}

static double sstat(ecai_semcache *sc, const char *name) {
  char *js = NULL;
  CHECK_OK(ecai_semcache_stats_json(&js, NULL, sc));
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", name);
  const char *p = strstr(js, pat);
  CHECK_MSG(p != NULL, "stats lack %s: %s", name, js);
  double v = strtod(p + strlen(pat), NULL);
  ecai_free(js);
  return v;
}

/* lookup by text; returns the value (caller frees) or NULL on a miss */
static char *look(ecai_semcache *sc, const char *part, const char *q, float *score) {
  void *v = NULL;
  size_t n = 0;
  ecai_status st = ecai_semcache_lookup_text(&v, &n, score, sc, part, q, strlen(q));
  if (st == ECAI_ENOTFOUND) {
    CHECK(v == NULL);
    return NULL;
  }
  CHECK_OK(st);
  return v;
}

static const float V1[4] = {1, 0, 0, 0};

static int vlook(ecai_semcache *sc, const char *q, const char *want) {
  void *v = NULL;
  size_t n = 0;
  float s = 0;
  ecai_status st = ecai_semcache_lookup(&v, &n, &s, sc, "p", V1, 4, q, strlen(q));
  if (st == ECAI_ENOTFOUND) return 0;
  CHECK_OK(st);
  if (want) CHECK_STR_EQ((char *)v, want);
  ecai_free(v);
  return 1;
}

TEST(semcache_rare_content_words_must_agree) {
  ecai_ctx *ctx = mk("{}");
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 4));
  CHECK_NEAR(sstat(sc, "word_mismatch"), 0.0, 1e-9); /* the default: the same content words */
  /* every vector is the same: only verification tells these questions apart */
  const char *stored[] = {"How do I pay with my debit card?", "Can I pay for the order with my card?",
                          "Which card do you accept to pay?", "Is my card payment safe?",
                          "Why was my card payment refused?"};
  for (int i = 0; i < 5; i++) {
    char val[8];
    snprintf(val, sizeof val, "A%d", i);
    CHECK_OK(ecai_semcache_put(sc, "p", V1, 4, stored[i], strlen(stored[i]), val, strlen(val)));
  }
  /* a paraphrase sharing the rare word "debit" is served */
  CHECK_INT_EQ(vlook(sc, "how can i pay with a debit card", "A0"), 1);
  /* "credit" (never seen) against "debit" (seen once): the rare words disagree, and the
   * other candidates lack "credit" as well */
  CHECK_INT_EQ(vlook(sc, "How do I pay with my credit card?", NULL), 0);
  CHECK(sstat(sc, "verify_rejects") >= 1);
  /* the rule is an option: off (1.0), only the older rules apply */
  CHECK_OK(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_WORD_MISMATCH, 1.0));
  CHECK_INT_EQ(vlook(sc, "How do I pay with my credit card?", NULL), 1);
  CHECK_STATUS(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_WORD_MISMATCH, 1.5), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_set_int(sc, ECAI_SEMCACHE_OPT_WORD_MISMATCH, 1), ECAI_EINVAL);
  ecai_semcache_free(sc);
  ecai_semcache *bad = NULL;
  ecai_ctx *bctx = mk("{\"cache\":{\"verify_word_mismatch\":2}}");
  CHECK_STATUS(ecai_semcache_new(&bad, bctx, 4), ECAI_EINVAL);
  CHECK(bad == NULL);
  ecai_ctx_free(bctx);
  ecai_ctx_free(ctx);
}

/* Text lookup: 1 hit with want, 0 miss. */
static int tlook(ecai_semcache *sc, const char *q, const char *want) {
  void *v = NULL;
  size_t n = 0;
  ecai_status st = ecai_semcache_lookup_text(&v, &n, NULL, sc, "p", q, strlen(q));
  if (st == ECAI_ENOTFOUND) return 0;
  CHECK_OK(st);
  if (want) CHECK_STR_EQ((char *)v, want);
  ecai_free(v);
  return 1;
}

TEST(semcache_defaults_serve_repeats_not_near_duplicates_of_another_intent) {
  ecai_ctx *ctx = mk("{}");
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  CHECK_NEAR(sstat(sc, "threshold"), 1.0, 1e-9); /* the default: the same words only */
  const char *a = "What's the limit for auto top-up?", *b = "pending transaction?";
  CHECK_OK(ecai_semcache_put_text(sc, "p", a, strlen(a), "auto", 4));
  CHECK_OK(ecai_semcache_put_text(sc, "p", b, strlen(b), "pending", 7));
  /* a repeat (case, punctuation, hyphen) is served at the default */
  CHECK_INT_EQ(tlook(sc, "what's the limit for auto top up", "auto"), 1);
  CHECK_INT_EQ(tlook(sc, "Pending transaction", "pending"), 1);
  /* a near duplicate missing the intent word "auto" (BANKING77: top_up_limits against
   * automatic_top_up) is refused even far below the default threshold, by the content
   * words: they must be the same (verify_word_mismatch 0) ... */
  CHECK_OK(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_THRESHOLD, 0.5));
  CHECK_INT_EQ(tlook(sc, "What's the limit for top-up?", NULL), 0);
  /* ... which the older IDF-weighted tolerance let through: "auto" is a word most
   * cached questions share, so it weighed little */
  CHECK_OK(ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_WORD_MISMATCH, 1.0));
  CHECK_INT_EQ(tlook(sc, "What's the limit for top-up?", "auto"), 1);
  /* a paraphrase of a question with fewer than 3 content words is too ambiguous
   * ("pending transaction": a transfer or a card payment) */
  CHECK_INT_EQ(tlook(sc, "I have a pending transaction", NULL), 0);
  CHECK_OK(ecai_semcache_set_int(sc, ECAI_SEMCACHE_OPT_VERIFY, 0));
  CHECK_INT_EQ(tlook(sc, "I have a pending transaction", "pending"), 1);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

TEST(semcache_document_frequencies_follow_evictions) {
  /* the IDF counts are the live entries' only: after the cache forgot every question
   * with "debit", "debit" is a never-seen word again, and a word shared by all live
   * entries weighs nothing */
  ecai__dfmap df = {0};
  uint64_t a[2] = {11, 21}, b[2] = {11, 31};
  CHECK_OK(ecai__df_add(&df, a, 2, +1));
  CHECK_OK(ecai__df_add(&df, b, 2, +1));
  CHECK_INT_EQ(ecai__df_get(&df, 11), 2);
  CHECK_INT_EQ(ecai__df_get(&df, 21), 1);
  CHECK_NEAR(ecai__word_mismatch(&df, 2, a, 2, a, 2), 0.0, 1e-12);
  double m1 = ecai__word_mismatch(&df, 2, a, 2, b, 2);
  double idf1 = log(3.0 / 2.0) + 1; /* 21 and 31: in one of two entries; 11 in both: idf 1 */
  CHECK_NEAR(m1, 2 * idf1 / (1 + 2 * idf1), 1e-9);
  CHECK_OK(ecai__df_add(&df, a, 2, -1));
  CHECK_INT_EQ(ecai__df_get(&df, 21), 0);
  CHECK_INT_EQ(ecai__df_get(&df, 11), 1);
  for (uint64_t w = 101; w < 3001; w += 2) CHECK_OK(ecai__df_add(&df, &w, 1, +1)); /* growth keeps counts */
  CHECK_INT_EQ(ecai__df_get(&df, 31), 1);
  CHECK_INT_EQ(ecai__df_get(&df, 2999), 1);
  ecai__df_free(&df);
}

static const char *QS[][2] = {
    {"Where is my order 4411? It has not arrived yet.", "track-4411"},
    {"How do I return a damaged kettle?", "returns"},
    {"Can I change the delivery address of my order?", "address"},
    {"Do you ship to Norway?", "shipping-no"},
};

static void fill(ecai_semcache *sc) {
  for (int i = 0; i < 4; i++)
    CHECK_OK(ecai_semcache_put_text(sc, i % 2 ? "support:en" : "orders:en", QS[i][0], strlen(QS[i][0]), QS[i][1],
                                    strlen(QS[i][1])));
}

/* the hits of a set of probes, as "value@score|..." */
static void probe(ecai_semcache *sc, char *out, size_t cap) {
  static const char *P[][2] = {{"orders:en", "where is my order 4411, it has not arrived yet"},
                               {"orders:en", "where is my order 4412, it has not arrived yet"},
                               {"support:en", "how do i return a damaged kettle"},
                               {"orders:en", "how do i return a damaged kettle"},
                               {"orders:en", "can i change the delivery address of my order"},
                               {"support:en", "do you ship to norway"}};
  out[0] = 0;
  for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
    float s = 0;
    char *v = look(sc, P[i][0], P[i][1], &s);
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s@%.5f|", v ? v : "-", v ? s : 0.0f);
    ecai_free(v);
  }
}

static void flip(const char *path, long off) {
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  if (off < 0) {
    fseek(f, 0, SEEK_END);
    off += ftell(f);
  }
  fseek(f, off, SEEK_SET);
  int ch = fgetc(f);
  fseek(f, off, SEEK_SET);
  fputc(ch ^ 0x10, f);
  fclose(f);
}

static void copy_file(const char *from, const char *to, long keep) {
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  CHECK(a && b);
  int ch;
  long n = 0;
  while ((keep < 0 || n < keep) && (ch = fgetc(a)) != EOF) {
    fputc(ch, b);
    n++;
  }
  fclose(a);
  fclose(b);
}

TEST(semcache_save_load_round_trip_serves_the_same_hits) {
  ecai_ctx *ctx = mk("{}");
  ecai_semcache *sc = NULL, *sc2 = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  fill(sc);
  char before[1024], after[1024], path[512];
  probe(sc, before, sizeof before);
  CHECK_CONTAINS(before, "track-4411@");
  CHECK_CONTAINS(before, "|-@"); /* order 4412 and the other partition miss */
  snprintf(path, sizeof path, "%s/sem.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_semcache_save(sc, path));
  CHECK_OK(ecai_semcache_new(&sc2, ctx, 0));
  size_t n = 0;
  CHECK_OK(ecai_semcache_load(&n, sc2, path));
  CHECK_INT_EQ(n, 4);
  CHECK_INT_EQ((long long)sstat(sc2, "entries"), 4);
  CHECK_INT_EQ((long long)sstat(sc2, "partitions"), 2);
  CHECK_INT_EQ((long long)sstat(sc2, "puts"), 0); /* a load is not a put */
  probe(sc2, after, sizeof after);
  CHECK_STR_EQ(after, before);
  /* the loaded cache keeps working: evictions, new entries, saving again */
  CHECK_OK(ecai_semcache_set_int(sc2, ECAI_SEMCACHE_OPT_MAX_ENTRIES, 3));
  CHECK_OK(ecai_semcache_put_text(sc2, "orders:en", "Is there a store in Oslo?", 25, "oslo", 4));
  CHECK_INT_EQ((long long)sstat(sc2, "entries"), 3);
  CHECK_INT_EQ((long long)sstat(sc2, "evictions"), 2); /* the two oldest (order 4411, the kettle) went first */
  float s;
  char *v = look(sc2, "orders:en", "where is my order 4411, it has not arrived yet", &s);
  CHECK(v == NULL);
  CHECK_OK(ecai_semcache_save(sc2, path));
  /* caller vectors of another dimension cannot take this file */
  ecai_semcache *v4 = NULL;
  CHECK_OK(ecai_semcache_new(&v4, ctx, 4));
  CHECK_STATUS(ecai_semcache_load(&n, v4, path), ECAI_EINVAL);
  CHECK_INT_EQ(n, 0);
  CHECK_STATUS(ecai_semcache_load(&n, NULL, path), ECAI_EINVAL);
  CHECK_STATUS(ecai_semcache_save(v4, NULL), ECAI_EINVAL);
  char bad[600];
  snprintf(bad, sizeof bad, "%s/no/such/dir/x.bin", ecai_test_tmpdir());
  CHECK_STATUS(ecai_semcache_save(v4, bad), ECAI_EIO);
  snprintf(bad, sizeof bad, "%s/none.bin", ecai_test_tmpdir());
  CHECK_STATUS(ecai_semcache_load(&n, v4, bad), ECAI_ENOTFOUND);
  ecai_semcache_free(v4);
  ecai_semcache_free(sc2);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

TEST(semcache_damaged_files_load_nothing) {
  ecai_ctx *ctx = mk("{}");
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  fill(sc);
  char path[512], dam[600];
  snprintf(path, sizeof path, "%s/good.bin", ecai_test_tmpdir());
  snprintf(dam, sizeof dam, "%s/damaged.bin", ecai_test_tmpdir());
  CHECK_OK(ecai_semcache_save(sc, path));
  ecai_semcache_free(sc);
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  size_t n = 99;
  long cuts[] = {0, 7, 20, 39, 200, -2}; /* truncations (-2: all but the last byte) */
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    copy_file(path, dam, cuts[i] < 0 ? size + cuts[i] + 1 : cuts[i]);
    CHECK_STATUS(ecai_semcache_load(&n, sc, dam), ECAI_ECORRUPT);
    CHECK_INT_EQ(n, 0);
  }
  long flips[] = {3, 9, 13, 30, 60, size / 2, size - 9, -1}; /* magic, version, dim, count, body, checksum */
  for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
    copy_file(path, dam, -1);
    flip(dam, flips[i]);
    ecai_status st = ecai_semcache_load(&n, sc, dam);
    CHECK_MSG(st == ECAI_ECORRUPT, "flip at %ld gave %d", flips[i], (int)st);
    CHECK_INT_EQ(n, 0);
  }
  CHECK_INT_EQ((long long)sstat(sc, "entries"), 0);
  /* a well-formed file of the exact cache is not a semantic cache file */
  f = fopen(dam, "wb");
  fputs("ECAICACH\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", f);
  fclose(f);
  CHECK_STATUS(ecai_semcache_load(&n, sc, dam), ECAI_ECORRUPT);
  copy_file(path, dam, -1); /* the undamaged copy loads */
  CHECK_OK(ecai_semcache_load(&n, sc, dam));
  CHECK_INT_EQ(n, 4);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

static int warns;
static void on_log(ecai_log_level lvl, const char *msg, void *p) {
  (void)p;
  if (lvl == ECAI_LOG_WARN && strstr(msg, "semantic cache: ignoring persisted cache")) warns++;
}

TEST(semcache_persist_path_restart_keeps_warm_entries_and_ignores_damage) {
  char cfg[800], path[512];
  snprintf(path, sizeof path, "%s/semwarm.bin", ecai_test_tmpdir());
  snprintf(cfg, sizeof cfg, "{\"cache\":{\"semantic_persist_path\":\"%s\"}}", path);
  ecai_ctx *ctx = mk(cfg);
  CHECK_OK(ecai_ctx_set_log(ctx, ECAI_LOG_WARN, on_log, NULL));
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0)); /* first start: no file */
  CHECK_INT_EQ((long long)sstat(sc, "load_errors"), 0);
  fill(sc);
  ecai_semcache_free(sc); /* saves */
  CHECK(access(path, F_OK) == 0);
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0)); /* restart: warm */
  CHECK_INT_EQ((long long)sstat(sc, "entries"), 4);
  float s;
  char *v = look(sc, "support:en", "how do i return a damaged kettle", &s);
  CHECK(v != NULL);
  CHECK_STR_EQ(v, "returns");
  ecai_free(v);
  ecai_semcache_free(sc);
  flip(path, -20);
  warns = 0;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0)); /* damaged: ignored with one warning, counted */
  CHECK_INT_EQ(warns, 1);
  CHECK_INT_EQ((long long)sstat(sc, "load_errors"), 1);
  CHECK_INT_EQ((long long)sstat(sc, "entries"), 0);
  ecai_semcache_free(sc); /* saves the (empty) cache over the damaged file */
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  CHECK_INT_EQ((long long)sstat(sc, "load_errors"), 0);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

TEST(semcache_persistence_allocation_failures_are_reported_not_crashes) {
  ecai_ctx *ctx = mk("{}");
  char path[512];
  snprintf(path, sizeof path, "%s/oom.bin", ecai_test_tmpdir());
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  fill(sc);
  CHECK_OK(ecai_semcache_save(sc, path));
  ecai_semcache_free(sc);
  int ok = 0;
  for (long nth = 0; nth < 400 && !ok; nth++) {
    ecai_semcache *c = NULL;
    ecai__test_fail_alloc_after(nth);
    ecai_status st = ecai_semcache_new(&c, ctx, 0);
    size_t n = 0;
    if (st == ECAI_OK) st = ecai_semcache_load(&n, c, path);
    if (st == ECAI_OK) st = ecai_semcache_save(c, path);
    ecai__test_fail_alloc_after(-1);
    ecai_semcache_free(c);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "nth %ld: status %d", nth, (int)st);
    ok = st == ECAI_OK;
  }
  CHECK(ok); /* a success was reached within the budget */
  ecai_ctx_free(ctx);
}

typedef struct {
  ecai_semcache *sc;
  int id, errors;
} sem_thr;

static void *sem_worker(void *p) {
  sem_thr *a = p;
  char q[96], v[32];
  for (int i = 0; i < 150; i++) {
    snprintf(q, sizeof q, "where is parcel %d of customer %d", i % 40, a->id);
    snprintf(v, sizeof v, "t%d-%d", a->id, i % 40);
    void *out = NULL;
    float s;
    ecai_status st = ecai_semcache_lookup_text(&out, NULL, &s, a->sc, "p", q, strlen(q));
    if (st == ECAI_OK) {
      if (strcmp(out, v) != 0) a->errors++; /* numbers differ: never another parcel's answer */
    } else if (st != ECAI_ENOTFOUND || ecai_semcache_put_text(a->sc, "p", q, strlen(q), v, strlen(v)) != ECAI_OK) {
      a->errors++;
    }
    ecai_free(out);
  }
  return NULL;
}

TEST(semcache_concurrent_saves_while_serving) {
  ecai_ctx *ctx = mk("{}");
  ecai_semcache *sc = NULL;
  CHECK_OK(ecai_semcache_new(&sc, ctx, 0));
  char path[512];
  snprintf(path, sizeof path, "%s/busy.bin", ecai_test_tmpdir());
  pthread_t t[2];
  sem_thr a[2] = {{sc, 1, 0}, {sc, 2, 0}};
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, sem_worker, &a[i]) == 0);
  for (int i = 0; i < 5; i++) CHECK_OK(ecai_semcache_save(sc, path)); /* each file is a consistent snapshot */
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CHECK_INT_EQ(a[0].errors + a[1].errors, 0);
  CHECK_OK(ecai_semcache_save(sc, path));
  ecai_semcache *back = NULL;
  CHECK_OK(ecai_semcache_new(&back, ctx, 0));
  size_t n = 0;
  CHECK_OK(ecai_semcache_load(&n, back, path));
  CHECK_INT_EQ(n, 80); /* 40 parcels x 2 customers */
  ecai_semcache_free(back);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}
