/*
 * A tiny test harness (no dependencies). Each tests/unit/test_*.c registers cases:
 *
 *   TEST(ctx_rejects_unknown_key) {
 *     ecai_ctx *c;
 *     CHECK_STATUS(ecai_ctx_new(&c, "{\"nope\":1}", 10), ECAI_EINVAL);
 *   }
 *
 * The runner (main.c) runs every case in its own child process (a crash or a hang is
 * a failure, not the end of the run), checks that libecai allocations are back to the
 * level before the case (leak check), and ends with "N passed, N failed, N skipped"
 * (a case is skipped only when outside evaluation data is absent: ecai_test_data).
 * Arguments: substrings selecting cases by name. ECAI_TEST_NOFORK=1 runs in-process.
 */
#ifndef ECAI_TEST_HARNESS_H
#define ECAI_TEST_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ecai.h>

typedef void (*ecai_test_fn)(void);
void ecai_test_register(const char *name, const char *file, ecai_test_fn fn);
void ecai_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
/* Path of the project root (for tests/data); never NULL. */
const char *ecai_test_root(void);
/* Path of the outside evaluation file REL ("support/banking77/questions.tsv") under
 * $ECAI_DATA, else ROOT/../shared/data. When it is not there the case is skipped: one
 * line says where it looked, and the runner counts it in "N skipped". The path lives in
 * one of four rotating static buffers (valid for the next three calls). */
const char *ecai_test_data(const char *rel);
/* Path of a committed fixture tests/data/REL (same buffers as ecai_test_data). */
const char *ecai_test_fixture(const char *rel);
/* Ends the current case as skipped (counted, never a pass); REASON says why. */
void ecai_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A fresh temporary directory for this case, removed after it. */
const char *ecai_test_tmpdir(void);
/* kB of smaps field NAME ("Rss", "Pss", "Shared_Clean", ...) summed over this process's
 * mappings of PATH, or -1 when none; *found gets the number of mappings. */
long ecai_test_smaps_kb(const char *path, const char *name, int *found);
/* A store of the catalog fixture tests/data/NAME, loaded and built (a failure fails the
 * case); the caller frees it. */
ecai_store *ecai_test_store(ecai_ctx *ctx, const char *name);
/* The price of product SKU in the store's catalog (-1 when it has none; a failure fails
 * the case). */
double ecai_test_price(ecai_store *st, const char *sku);
/* Forks nproc (<= 16) processes; each runs use(k, arg) (1: it opened the file at path and read
 * what it needs), and once all have, reports its smaps of path. Checks that every process
 * could, that path is one file-backed mapping in each, resident (>= want_kb) without
 * anonymous or dirty pages, shared (Shared_Clean >= want_kb) and at most half its resident
 * size in proportional share. what names the file in messages. */
void ecai_test_check_pages_shared(int nproc, const char *path, long want_kb, int (*use)(int k, void *arg), void *arg,
                                  const char *what);
/* Marks the current case as not checking libecai allocation balance (e.g. it
 * deliberately keeps a process-wide object alive). Use sparingly. */
void ecai_test_no_leak_check(void);

/* Process-wide fixtures (e.g. the fake LLM server, a redis-server): started once in
 * the runner before the first case, stopped after the last, shared by every case
 * (cases run in child processes). `start` returns 0 on success; on failure every case
 * still runs and the ones needing the fixture fail with a clear message. */
typedef int (*ecai_fixture_fn)(void);
void ecai_test_register_fixture(const char *name, ecai_fixture_fn start, ecai_fixture_fn stop);
#define FIXTURE(name, start, stop)                                                      \
  __attribute__((constructor)) static void regfix_##name(void) {                        \
    ecai_test_register_fixture(#name, start, stop);                                     \
  }

/* A random vector of unit length from the xorshift64 generator *STATE (each test file keeps
 * its own state, so its vectors are the same in every run). */
static inline float ecai_test_frand(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return (float)((*state >> 11) * (1.0 / 9007199254740992.0)) - 0.5f;
}
static inline void ecai_test_rand_unit(uint64_t *state, float *v, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; i++) {
    v[i] = ecai_test_frand(state);
    s += (double)v[i] * v[i];
  }
  for (size_t i = 0; i < d; i++) v[i] /= (float)sqrt(s);
}

#define TEST(name)                                                                      \
  static void test_##name(void);                                                        \
  __attribute__((constructor)) static void reg_##name(void) {                           \
    ecai_test_register(#name, __FILE__, test_##name);                                   \
  }                                                                                     \
  static void test_##name(void)

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) ecai_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
  } while (0)

#define CHECK_MSG(cond, ...)                                                            \
  do {                                                                                  \
    if (!(cond)) ecai_test_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
  } while (0)

#define CHECK_STATUS(expr, want)                                                        \
  do {                                                                                  \
    ecai_status st__ = (expr);                                                          \
    if (st__ != (want))                                                                 \
      ecai_test_fail(__FILE__, __LINE__, "%s returned %d (%s), want %d; last error: %s", \
                     #expr, (int)st__, ecai_status_str(st__), (int)(want), ecai_last_error()); \
  } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, ECAI_OK)

#define CHECK_INT_EQ(a, b)                                                              \
  do {                                                                                  \
    long long a__ = (long long)(a), b__ = (long long)(b);                               \
    if (a__ != b__) ecai_test_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #a, a__, b__); \
  } while (0)

#define CHECK_STR_EQ(a, b)                                                              \
  do {                                                                                  \
    const char *a__ = (a), *b__ = (b);                                                  \
    if (!a__ || !b__ || strcmp(a__, b__) != 0)                                          \
      ecai_test_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #a, a__ ? a__ : "(null)", \
                     b__ ? b__ : "(null)");                                             \
  } while (0)

#define CHECK_CONTAINS(hay, needle)                                                     \
  do {                                                                                  \
    const char *h__ = (hay), *n__ = (needle);                                           \
    if (!h__ || !strstr(h__, n__))                                                      \
      ecai_test_fail(__FILE__, __LINE__, "%s == \"%s\" does not contain \"%s\"", #hay,   \
                     h__ ? h__ : "(null)", n__);                                        \
  } while (0)

#define CHECK_NEAR(a, b, eps)                                                           \
  do {                                                                                  \
    double a__ = (double)(a), b__ = (double)(b);                                        \
    if (!(fabs(a__ - b__) <= (eps)))                                                    \
      ecai_test_fail(__FILE__, __LINE__, "%s == %.9g, want %.9g ± %g", #a, a__, b__, (double)(eps)); \
  } while (0)

#endif
