/* Test runner: see harness.h. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

long ecai__alloc_live(void); /* internal hook, available when linking libecai.a */

typedef struct {
  const char *name, *file;
  ecai_test_fn fn;
} test_case;

static test_case *cases;
static size_t ncases, capcases;
typedef struct {
  const char *name;
  ecai_fixture_fn start, stop;
  int up;
} fixture;
static fixture fixtures[16];
static size_t nfixtures;

void ecai_test_register_fixture(const char *name, ecai_fixture_fn start, ecai_fixture_fn stop) {
  if (nfixtures == sizeof fixtures / sizeof fixtures[0]) abort();
  fixtures[nfixtures++] = (fixture){name, start, stop, 0};
}

static jmp_buf fail_jmp;
static char tmpdir[256];
static int leak_check = 1;

void ecai_test_register(const char *name, const char *file, ecai_test_fn fn) {
  if (ncases == capcases) {
    capcases = capcases ? capcases * 2 : 64;
    cases = realloc(cases, capcases * sizeof *cases);
    if (!cases) abort();
  }
  cases[ncases++] = (test_case){name, file, fn};
}

void ecai_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "    %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  longjmp(fail_jmp, 1);
}

#define SKIP_EXIT 77 /* a child's exit status for "skipped" */

void ecai_test_skip(const char *fmt, ...) {
  va_list ap;
  printf("    skip: ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  longjmp(fail_jmp, 2);
}

void ecai_test_no_leak_check(void) { leak_check = 0; }

const char *ecai_test_root(void) {
  const char *r = getenv("ECAI_ROOT");
  return r ? r : ".";
}

static char *path_slot(void) {
  static char bufs[4][1024];
  static unsigned next;
  return bufs[next++ % 4];
}

const char *ecai_test_data(const char *rel) {
  const char *env = getenv("ECAI_DATA");
  char *p = path_slot();
  if (env && *env) snprintf(p, 1024, "%s/%s", env, rel);
  else snprintf(p, 1024, "%s/../shared/data/%s", ecai_test_root(), rel);
  if (access(p, R_OK) != 0)
    ecai_test_skip("no outside data %s (looked for %s; set ECAI_DATA to the data folder)", rel, p);
  return p;
}

const char *ecai_test_fixture(const char *rel) {
  char *p = path_slot();
  snprintf(p, 1024, "%s/tests/data/%s", ecai_test_root(), rel);
  return p;
}

const char *ecai_test_tmpdir(void) {
  if (!tmpdir[0]) {
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ecai-test-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
      perror("mkdtemp");
      abort();
    }
  }
  return tmpdir;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb; (void)flag; (void)ftw;
  return remove(p);
}

static void cleanup_tmpdir(void) {
  if (tmpdir[0]) nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  tmpdir[0] = '\0';
}

/* Runs one case in this process; 0 = pass, 1 = fail, SKIP_EXIT = skipped. */
static int run_inline(const test_case *t) {
  leak_check = 1;
  long before = ecai__alloc_live();
  int failed = 0, jumped;
  if ((jumped = setjmp(fail_jmp)) == 2) {
    failed = SKIP_EXIT;
  } else if (jumped == 0) {
    t->fn();
    long after = ecai__alloc_live();
    if (leak_check && after != before) {
      fprintf(stderr, "    leak: %ld libecai allocation(s) not freed\n", after - before);
      failed = 1;
    }
  } else {
    failed = 1;
  }
  cleanup_tmpdir();
  return failed;
}

static int selected(const char *name, int argc, char **argv) {
  if (argc <= 1) return 1;
  for (int i = 1; i < argc; i++)
    if (strstr(name, argv[i])) return 1;
  return 0;
}

int main(int argc, char **argv) {
  int nofork = getenv("ECAI_TEST_NOFORK") != NULL;
  unsigned timeout = getenv("ECAI_TEST_TIMEOUT") ? (unsigned)atoi(getenv("ECAI_TEST_TIMEOUT")) : 120;
  size_t passed = 0, failed = 0, skipped = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (size_t i = 0; i < nfixtures; i++) {
    fixtures[i].up = fixtures[i].start() == 0;
    if (!fixtures[i].up) fprintf(stderr, "fixture %s failed to start\n", fixtures[i].name);
  }
  for (size_t i = 0; i < ncases; i++) {
    const test_case *t = &cases[i];
    if (!selected(t->name, argc, argv)) continue;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int bad;
    if (nofork) {
      bad = run_inline(t);
    } else {
      fflush(NULL);
      pid_t pid = fork();
      if (pid < 0) {
        perror("fork");
        return 2;
      }
      if (pid == 0) {
        alarm(timeout);
        _exit(run_inline(t));
      }
      int ws = 0;
      while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
      if (WIFEXITED(ws)) bad = WEXITSTATUS(ws);
      else {
        fprintf(stderr, "    died with signal %d%s\n", WTERMSIG(ws),
                WTERMSIG(ws) == SIGALRM ? " (timeout)" : "");
        bad = 1;
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    const char *file = strrchr(t->file, '/') ? strrchr(t->file, '/') + 1 : t->file;
    printf("%s %s:%s (%.0f ms)\n", bad == SKIP_EXIT ? "skip" : bad ? "FAIL" : "ok  ", file, t->name, ms);
    if (bad == SKIP_EXIT) skipped++;
    else if (bad) failed++;
    else passed++;
  }
  for (size_t i = nfixtures; i-- > 0;)
    if (fixtures[i].up && fixtures[i].stop) fixtures[i].stop();
  printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}

long ecai_test_smaps_kb(const char *path, const char *name, int *found) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[4096];
  int in = 0;
  long val = -1;
  *found = 0;
  size_t nl = strlen(name);
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
      size_t l = strlen(line);
      while (l && line[l - 1] == '\n') line[--l] = 0;
      in = l >= strlen(path) && strcmp(line + l - strlen(path), path) == 0;
      if (in) *found += 1;
      continue;
    }
    if (in && strncmp(line, name, nl) == 0 && line[nl] == ':') val = (val < 0 ? 0 : val) + atol(line + nl + 1);
  }
  fclose(f);
  return val;
}

void ecai_test_check_pages_shared(int nproc, const char *path, long want_kb, int (*use)(int k, void *arg), void *arg,
                                  const char *what) {
  enum { MAXP = 16 };
  CHECK(nproc > 0 && nproc <= MAXP);
  char real[4096];
  CHECK(realpath(path, real) != NULL);
  int ready[2], go[2], done[2], end[2];
  CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(done) == 0 && pipe(end) == 0);
  pid_t kids[MAXP];
  for (int k = 0; k < nproc; k++) {
    kids[k] = fork();
    CHECK(kids[k] >= 0);
    if (kids[k] == 0) { /* child: use the file, wait for the others, then look at smaps */
      close(ready[0]);
      close(go[1]);
      close(done[0]);
      close(end[1]);
      char c = 'x';
      int ok = use(k, arg);
      if (write(ready[1], &c, 1) != 1) ok = 0;
      if (read(go[0], &c, 1) != 1) ok = 0;
      int found = 0;
      long rss = ecai_test_smaps_kb(real, "Rss", &found), anon = ecai_test_smaps_kb(real, "Anonymous", &found);
      long shared = ecai_test_smaps_kb(real, "Shared_Clean", &found);
      long priv = ecai_test_smaps_kb(real, "Private_Dirty", &found), pss = ecai_test_smaps_kb(real, "Pss", &found);
      char msg[256];
      int len = snprintf(msg, sizeof msg, "%d %d rss %ld anon %ld shared %ld dirty %ld pss %ld want %ld\n", ok, found,
                         rss, anon, shared, priv, pss, want_kb);
      if (write(done[1], msg, (size_t)len) != len) ok = 0;
      (void)!read(end[0], &c, 1); /* hold the mapping until the parent has every report */
      _exit(0);
    }
  }
  close(ready[1]);
  close(go[0]);
  close(done[1]);
  close(end[0]);
  char c;
  for (int k = 0; k < nproc; k++) CHECK(read(ready[0], &c, 1) == 1);
  for (int k = 0; k < nproc; k++) CHECK(write(go[1], "g", 1) == 1);
  char all[4096] = {0};
  size_t got = 0;
  int lines = 0;
  while (lines < nproc && got < sizeof all - 1) {
    ssize_t r = read(done[0], all + got, sizeof all - 1 - got);
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; i++) lines += all[got + (size_t)i] == '\n';
    got += (size_t)r;
  }
  close(end[1]); /* children exit */
  close(go[1]);
  for (int k = 0; k < nproc; k++) waitpid(kids[k], NULL, 0);
  close(ready[0]);
  close(done[0]);
  CHECK_INT_EQ(lines, nproc);
  char *line = all;
  for (int k = 0; k < nproc; k++) {
    int ok, found;
    long rss, anon, shared, priv, pss, want;
    CHECK(sscanf(line, "%d %d rss %ld anon %ld shared %ld dirty %ld pss %ld want %ld", &ok, &found, &rss, &anon,
                 &shared, &priv, &pss, &want) == 8);
    CHECK_MSG(ok, "child %d could not open or use the %s: %s", k, what, line);
    CHECK_MSG(found == 1, "the %s file is not one file-backed mapping: %s", what, line);
    /* resident through the file mapping, not as anonymous memory */
    CHECK_MSG(rss >= want && anon == 0 && priv == 0, "%s", line);
    /* and its pages are shared with the other processes */
    CHECK_MSG(shared >= want, "%s", line);
    CHECK_MSG(pss * 2 <= rss, "proportional share %ld kB of %ld kB resident: %s", pss, rss, line);
    line = strchr(line, '\n') + 1;
  }
}

ecai_store *ecai_test_store(ecai_ctx *ctx, const char *name) {
  ecai_store *s = NULL;
  size_t n = 0, sk = 0;
  CHECK_OK(ecai_store_new(&s, ctx));
  CHECK_OK(ecai_catalog_load(&n, &sk, ecai_store_catalog(s), ecai_test_fixture(name), ECAI_CATALOG_AUTO, NULL, 0));
  CHECK_OK(ecai_store_build(NULL, s, 0, NULL, NULL));
  return s;
}

double ecai_test_price(ecai_store *st, const char *sku) {
  char *js = NULL;
  CHECK_OK(ecai_catalog_get_json(&js, NULL, ecai_store_catalog(st), sku));
  const char *p = strstr(js, "\"price\":");
  double v = p ? atof(p + 8) : -1;
  ecai_free(js);
  return v;
}
