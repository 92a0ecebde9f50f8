/*
 * Crash safety of the files the library writes (exact cache snapshot, recommend model):
 * a child process saves the same path over and over and is SIGKILLed after a random
 * delay; the file at the path must then always load intact (the save path is temporary
 * file + fsync + rename). Truncated and bit-flipped files must give ECAI_ECORRUPT.
 * Also the regression cases found by the fuzz targets and the concurrency work.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define TRIALS 50

static ecai_ctx *mkctx(void) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, "{}", 2)) ecai_test_fail(__FILE__, __LINE__, "ctx: %s", ecai_last_error());
  return c;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc(n > 0 ? (size_t)n : 1);
  if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void write_all(const char *path, const void *d, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0) ecai_test_fail(__FILE__, __LINE__, "write %s", path);
}

/* Removes leftover temporary files "<base>.tmp.*" of killed savers; returns how many. */
static int remove_temps(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  size_t bl = strlen(base);
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, base, bl) == 0 && strncmp(e->d_name + bl, ".tmp.", 5) == 0) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
      n++;
    }
  }
  if (d) closedir(d);
  return n;
}

/* ---- exact cache ------------------------------------------------------------------ */
static void fill_cache(ecai_cache *c, int n, int version) {
  char k[32], v[600];
  uint8_t key[16];
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "q%d", i);
    memset(v, 'a' + (i + version) % 26, sizeof v - 1);
    v[sizeof v - 1] = 0;
    if (ecai_cache_key_from_bytes(key, k, strlen(k)) ||
        ecai_cache_put(c, key, v, strlen(v), 0, i % 10 ? NULL : "{\"tags\":[\"t\"]}"))
      ecai_test_fail(__FILE__, __LINE__, "fill: %s", ecai_last_error());
  }
}

/* Saves forever: alternately a cache of n and of n + 1 entries. */
_Noreturn static void cache_saver(const char *path, int n, int ready_fd) {
  ecai_ctx *ctx = mkctx();
  ecai_cache *a = NULL, *b = NULL;
  if (ecai_cache_new(&a, ctx) || ecai_cache_new(&b, ctx)) _exit(3);
  fill_cache(a, n, 1);
  fill_cache(b, n + 1, 2);
  if (write(ready_fd, "r", 1) != 1) _exit(3);
  for (unsigned i = 0;; i++)
    if (ecai_cache_save(i % 2 ? b : a, path) != ECAI_OK) _exit(4);
}

static pid_t spawn(void (*fn)(const char *, int, int), const char *path, int n) {
  int pfd[2];
  CHECK(pipe(pfd) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(pfd[0]);
    fn(path, n, pfd[1]);
    _exit(0);
  }
  close(pfd[1]);
  char c;
  CHECK_MSG(read(pfd[0], &c, 1) == 1, "saver child died before it was ready");
  close(pfd[0]);
  return pid;
}

static void kill_after(pid_t pid, unsigned *seed, int max_us) {
  usleep((useconds_t)(rand_r(seed) % max_us));
  kill(pid, SIGKILL);
  int ws = 0;
  CHECK(waitpid(pid, &ws, 0) == pid);
  CHECK_MSG(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "saver exited by itself (status %d)", ws);
}

TEST(crash_cache_save_killed_midway_leaves_previous_file_intact) {
  enum { N = 1500 }; /* ~1 MB file: a save takes long enough to be killed inside it */
  char path[4096];
  snprintf(path, sizeof path, "%s/cache.bin", ecai_test_tmpdir());
  ecai_ctx *ctx = mkctx();
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  fill_cache(c, N - 1, 0);
  CHECK_OK(ecai_cache_save(c, path));
  ecai_cache_free(c);
  unsigned seed = 12345;
  int temps = 0, changed = 0;
  for (int t = 0; t < TRIALS; t++) {
    pid_t pid = spawn((void (*)(const char *, int, int))cache_saver, path, N);
    kill_after(pid, &seed, 30000);
    size_t n = 0;
    CHECK_OK(ecai_cache_new(&c, ctx));
    ecai_status st = ecai_cache_load(&n, c, path);
    CHECK_MSG(st == ECAI_OK, "trial %d: load after SIGKILL: %s", t, ecai_last_error());
    CHECK_MSG(n == N - 1 || n == N || n == N + 1, "trial %d: loaded %zu entries", t, n);
    changed += n != N - 1;
    ecai_cache_free(c);
    temps += remove_temps(ecai_test_tmpdir(), "cache.bin");
  }
  printf("  cache: %d/%d SIGKILLs survived (%d inside a save, %d after the file was replaced)\n", TRIALS, TRIALS,
         temps, changed);
  /* the kills did land both between and inside saves */
  CHECK_MSG(changed > 0, "no save ever completed: the test did not exercise the rename");
  CHECK_MSG(temps > 0, "no kill landed inside a save (no temporary file left): delays too short");
  ecai_ctx_free(ctx);
}

TEST(crash_cache_truncated_or_bitflipped_file_is_corrupt) {
  char path[4096], bad[4096];
  snprintf(path, sizeof path, "%s/c.bin", ecai_test_tmpdir());
  snprintf(bad, sizeof bad, "%s/bad.bin", ecai_test_tmpdir());
  ecai_ctx *ctx = mkctx();
  ecai_cache *c = NULL;
  CHECK_OK(ecai_cache_new(&c, ctx));
  fill_cache(c, 20, 0);
  CHECK_OK(ecai_cache_save(c, path));
  ecai_cache_free(c);
  size_t len = 0;
  char *d = read_all(path, &len);
  CHECK(d && len > 100);
  size_t n;
  for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 97)) {
    write_all(bad, d, cut);
    CHECK_OK(ecai_cache_new(&c, ctx));
    CHECK_MSG(ecai_cache_load(&n, c, bad) == ECAI_ECORRUPT, "truncated at %zu: %s", cut, ecai_last_error());
    CHECK_INT_EQ(n, 0);
    ecai_cache_free(c);
  }
  for (size_t off = 0; off < len; off += (off < 64 ? 1 : 53)) {
    for (int bit = 0; bit < 8; bit += 3) {
      d[off] ^= (char)(1 << bit);
      write_all(bad, d, len);
      d[off] ^= (char)(1 << bit);
      CHECK_OK(ecai_cache_new(&c, ctx));
      CHECK_MSG(ecai_cache_load(&n, c, bad) == ECAI_ECORRUPT, "bit %d of byte %zu flipped: %s", bit, off,
                ecai_last_error());
      ecai_cache_free(c);
    }
  }
  free(d);
  ecai_ctx_free(ctx);
}

/* Two threads saving the same path while a third loads it: every load succeeds. (The
 * temporary name used to be "<path>.tmp.<pid>", shared by the threads of a process.) */
static ecai_cache *g_c;
static char g_path[4096];
static char g_save_err[256];
static void *saver_thread(void *arg) {
  for (int i = 0; i < 40; i++)
    if (ecai_cache_save(g_c, g_path) != ECAI_OK) {
      snprintf(g_save_err, sizeof g_save_err, "%s", ecai_last_error()); /* thread-local: copy it out */
      return (void *)1;
    }
  return NULL;
}

TEST(crash_cache_concurrent_saves_to_one_path_never_expose_a_partial_file) {
  snprintf(g_path, sizeof g_path, "%s/shared.bin", ecai_test_tmpdir());
  ecai_ctx *ctx = mkctx();
  CHECK_OK(ecai_cache_new(&g_c, ctx));
  fill_cache(g_c, 400, 0);
  CHECK_OK(ecai_cache_save(g_c, g_path));
  pthread_t a, b;
  CHECK(pthread_create(&a, NULL, saver_thread, NULL) == 0);
  CHECK(pthread_create(&b, NULL, saver_thread, NULL) == 0);
  int bad = 0;
  for (int i = 0; i < 60; i++) {
    ecai_cache *c = NULL;
    size_t n = 0;
    CHECK_OK(ecai_cache_new(&c, ctx));
    if (ecai_cache_load(&n, c, g_path) != ECAI_OK || n != 400) bad++;
    ecai_cache_free(c);
  }
  void *ra, *rb;
  pthread_join(a, &ra);
  pthread_join(b, &rb);
  CHECK_MSG(ra == NULL && rb == NULL, "a concurrent save failed: %s", g_save_err);
  CHECK_INT_EQ(bad, 0);
  CHECK_INT_EQ(remove_temps(ecai_test_tmpdir(), "shared.bin"), 0);
  ecai_cache_free(g_c);
  g_c = NULL;
  ecai_ctx_free(ctx);
}

/* ---- recommend model ------------------------------------------------------------- */
static ecai_recommend *make_model(ecai_ctx *ctx, int norders, int salt) {
  ecai_recommend *r = NULL;
  if (ecai_recommend_new(&r, ctx)) ecai_test_fail(__FILE__, __LINE__, "new: %s", ecai_last_error());
  char ids[4][32], oid[32];
  const char *p[4];
  for (int o = 0; o < norders; o++) {
    for (int j = 0; j < 4; j++) {
      snprintf(ids[j], sizeof ids[j], "P%03d", (o * 7 + j * 13 + salt) % 120);
      p[j] = ids[j];
    }
    snprintf(oid, sizeof oid, "O%d", o);
    if (ecai_recommend_add_order(r, oid, "c", 1700000000 + o, p, NULL, NULL, 4))
      ecai_test_fail(__FILE__, __LINE__, "add_order: %s", ecai_last_error());
  }
  if (ecai_recommend_fit(r)) ecai_test_fail(__FILE__, __LINE__, "fit: %s", ecai_last_error());
  return r;
}

_Noreturn static void model_saver(const char *path, int n, int ready_fd) {
  ecai_ctx *ctx = mkctx();
  ecai_recommend *a = make_model(ctx, n, 1), *b = make_model(ctx, n + 1, 2);
  if (write(ready_fd, "r", 1) != 1) _exit(3);
  for (unsigned i = 0;; i++)
    if (ecai_recommend_save(i % 2 ? b : a, path) != ECAI_OK) _exit(4);
}

static long model_orders(const ecai_recommend *r) {
  char *js = NULL;
  size_t n = 0;
  if (ecai_recommend_stats(&js, &n, r)) ecai_test_fail(__FILE__, __LINE__, "stats: %s", ecai_last_error());
  const char *p = strstr(js, "\"orders\":");
  long v = p ? strtol(p + 9, NULL, 10) : -1;
  ecai_free(js);
  return v;
}

TEST(crash_recommend_save_killed_midway_leaves_previous_file_intact) {
  enum { N = 1000 };
  char path[4096];
  snprintf(path, sizeof path, "%s/model.bin", ecai_test_tmpdir());
  ecai_ctx *ctx = mkctx();
  ecai_recommend *r = make_model(ctx, N - 1, 0);
  CHECK_OK(ecai_recommend_save(r, path));
  CHECK_INT_EQ(model_orders(r), N - 1);
  ecai_recommend_free(r);
  unsigned seed = 777;
  int temps = 0, changed = 0;
  for (int t = 0; t < TRIALS; t++) {
    pid_t pid = spawn((void (*)(const char *, int, int))model_saver, path, N);
    kill_after(pid, &seed, 20000);
    r = NULL;
    ecai_status st = ecai_recommend_load(&r, ctx, path);
    CHECK_MSG(st == ECAI_OK, "trial %d: load after SIGKILL: %s", t, ecai_last_error());
    long o = model_orders(r);
    CHECK_MSG(o == N - 1 || o == N || o == N + 1, "trial %d: %ld orders", t, o);
    changed += o != N - 1;
    ecai_recommend_free(r);
    temps += remove_temps(ecai_test_tmpdir(), "model.bin");
  }
  printf("  model: %d/%d SIGKILLs survived (%d inside a save, %d after the file was replaced)\n", TRIALS, TRIALS,
         temps, changed);
  CHECK_MSG(changed > 0, "no save ever completed: the test did not exercise the rename");
  CHECK_MSG(temps > 0, "no kill landed inside a save (no temporary file left): delays too short");
  ecai_ctx_free(ctx);
}

/* ---- vector index (FAISS payload + id map, ecai_index_save) ------------------------ */
enum { IDX_DIM = 64 };

static ecai_index *make_index(ecai_ctx *ctx, int n) {
  ecai_index *x = NULL;
  if (ecai_index_new(&x, ctx, IDX_DIM, "Flat")) ecai_test_fail(__FILE__, __LINE__, "index: %s", ecai_last_error());
  float v[IDX_DIM];
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < IDX_DIM; k++) v[k] = (float)((i * 31 + k * 7) % 17) + 1.0f;
    int64_t id = 1000 + i;
    if (ecai_index_add(x, &id, v, 1)) ecai_test_fail(__FILE__, __LINE__, "index add: %s", ecai_last_error());
  }
  return x;
}

/* Saves forever: alternately an index of n and of n + 1 vectors. */
_Noreturn static void index_saver(const char *path, int n, int ready_fd) {
  ecai_ctx *ctx = mkctx();
  ecai_index *a = make_index(ctx, n), *b = make_index(ctx, n + 1);
  if (write(ready_fd, "r", 1) != 1) _exit(3);
  for (unsigned i = 0;; i++)
    if (ecai_index_save(i % 2 ? b : a, path) != ECAI_OK) _exit(4);
}

TEST(crash_index_save_killed_midway_leaves_previous_file_intact) {
  enum { N = 4000 }; /* ~1 MB of vectors */
  char path[4096];
  snprintf(path, sizeof path, "%s/vectors.idx", ecai_test_tmpdir());
  ecai_ctx *ctx = mkctx();
  ecai_index *x = make_index(ctx, N - 1);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_OK(ecai_index_save(x, path));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ecai_index_free(x);
  /* kill delays spread over ~2.5 saves (a parameter, not an assertion: slower runs such as
   * valgrind get proportionally longer delays, so kills still land inside and between saves) */
  long save_us = (long)(t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
  int max_us = save_us * 5 / 2 < 20000 ? 20000 : save_us * 5 / 2 > 2000000 ? 2000000 : (int)(save_us * 5 / 2);
  unsigned seed = 4242;
  int temps = 0, changed = 0;
  for (int t = 0; t < TRIALS; t++) {
    pid_t pid = spawn((void (*)(const char *, int, int))index_saver, path, N);
    kill_after(pid, &seed, max_us);
    x = NULL;
    ecai_status st = ecai_index_open(&x, ctx, path);
    CHECK_MSG(st == ECAI_OK, "trial %d: open after SIGKILL: %s", t, ecai_last_error());
    size_t n = ecai_index_count(x);
    CHECK_MSG(n == N - 1 || n == N || n == N + 1, "trial %d: %zu vectors", t, n);
    /* the loaded index answers: the first vector finds itself */
    float v[IDX_DIM];
    for (int k = 0; k < IDX_DIM; k++) v[k] = (float)((k * 7) % 17) + 1.0f;
    size_t got = 0;
    int64_t id = -1;
    float sc = 0;
    CHECK_OK(ecai_index_search(&got, &id, &sc, x, v, 1, NULL, 0, NULL, NULL));
    CHECK_MSG(got == 1 && id == 1000, "trial %d: search after reload found id %lld", t, (long long)id);
    changed += n != N - 1;
    ecai_index_free(x);
    temps += remove_temps(ecai_test_tmpdir(), "vectors.idx");
  }
  printf("  index: %d/%d SIGKILLs survived (%d inside a save, %d after the file was replaced)\n", TRIALS, TRIALS,
         temps, changed);
  CHECK_MSG(changed > 0, "no save ever completed: the test did not exercise the rename");
  CHECK_MSG(temps > 0, "no kill landed inside a save (no temporary file left): delays too short");
  ecai_ctx_free(ctx);
}

TEST(crash_recommend_truncated_or_bitflipped_model_is_corrupt) {
  char path[4096], bad[4096];
  snprintf(path, sizeof path, "%s/m.bin", ecai_test_tmpdir());
  snprintf(bad, sizeof bad, "%s/bad.bin", ecai_test_tmpdir());
  ecai_ctx *ctx = mkctx();
  ecai_recommend *r = make_model(ctx, 40, 0);
  CHECK_OK(ecai_recommend_save(r, path));
  ecai_recommend_free(r);
  size_t len = 0;
  char *d = read_all(path, &len);
  CHECK(d && len > 100);
  size_t step = len / 120 + 1;
  for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : step)) {
    write_all(bad, d, cut);
    r = NULL;
    CHECK_MSG(ecai_recommend_load(&r, ctx, bad) == ECAI_ECORRUPT, "truncated at %zu: %s", cut, ecai_last_error());
    CHECK(r == NULL);
  }
  for (size_t off = 0; off < len; off += (off < 64 ? 1 : step)) {
    for (int bit = 0; bit < 8; bit += 3) {
      d[off] ^= (char)(1 << bit);
      write_all(bad, d, len);
      d[off] ^= (char)(1 << bit);
      r = NULL;
      CHECK_MSG(ecai_recommend_load(&r, ctx, bad) == ECAI_ECORRUPT, "bit %d of byte %zu flipped: %s", bit, off,
                ecai_last_error());
      CHECK(r == NULL);
    }
  }
  free(d);
  ecai_ctx_free(ctx);
}

/* ---- regressions found by fuzzing -------------------------------------------------- */
TEST(crash_regress_guard_redact_literal_placeholder_round_trips) {
  /* fuzz_guard: the text already contains "[EMAIL_1]" and an e-mail address; the address
   * used to get [EMAIL_1] too, so restore() turned the literal into the address. */
  const char *x = "see [EMAIL_1] and [phone_3], mail jane@example.com, call +49 170 1234567";
  ecai_guard_pii *m = NULL;
  CHECK_OK(ecai_guard_pii_new(&m));
  char *red = NULL, *back = NULL;
  size_t rl = 0, bl = 0;
  CHECK_OK(ecai_guard_redact(&red, &rl, m, x, strlen(x)));
  CHECK(strstr(red, "jane@") == NULL);
  CHECK_CONTAINS(red, "[EMAIL_2]");
  CHECK_CONTAINS(red, "[PHONE_4]");
  CHECK_OK(ecai_guard_restore(&back, &bl, m, red, rl));
  CHECK_STR_EQ(back, x);
  ecai_free(red);
  ecai_free(back);
  ecai_guard_pii_free(m);
}

TEST(crash_regress_guard_output_numbers_only_answer) {
  /* fuzz_guard (UBSan): an answer sentence made only of numbers has no word tokens; the
   * clause lookup did pointer arithmetic on the NULL token array. */
  ecai_ctx *ctx = mkctx();
  ecai_guard *g = NULL;
  CHECK_OK(ecai_guard_new(&g, ctx));
  const char *ids[2] = {"doc1", "doc2"};
  const char *src[2] = {"Returns are accepted within 30 days with the receipt.", "Shipping takes 3 to 5 days."};
  static const char *const answers[] = {"6", "30", "3 5", "42.", "1 2 3 4 5 6 7 8 9"};
  for (size_t i = 0; i < 2 * sizeof answers / sizeof *answers; i++) {
    src[1] = i % 2 ? "" : "Shipping takes 3 to 5 days."; /* the fuzz input had an empty second source */
    const char *a = answers[i / 2];
    ecai_guard_verdict *v = NULL;
    CHECK_OK(ecai_guard_check_output(&v, g, a, strlen(a), ids, src, 2));
    CHECK(v != NULL);
    /* the answer is known: 30 is in the sources and passes; 6, 42 and 1..9 are in no source
       (nor 3 and 5 once the second source is empty) and are flagged */
    if (!strcmp(a, "30")) CHECK_MSG(ecai_guard_verdict_pass(v) == 1, "'%s' should pass", a);
    else if (strcmp(a, "3 5") || i % 2) {
      CHECK_MSG(ecai_guard_verdict_pass(v) == 0, "'%s' should be flagged", a);
      CHECK_STR_EQ(ecai_guard_verdict_reason(v), "number_not_in_sources");
    }
    ecai_guard_verdict_free(v);
  }
  ecai_guard_free(g);
  ecai_ctx_free(ctx);
}
