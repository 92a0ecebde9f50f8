/* Cache benchmarks (not timed tests): exact get hit latency p50 in-process and ops/s
 * with 2 threads; semantic lookup latency at 100k entries (Flat and HNSW32, dim 128);
 * Redis backend get latency as a ratio to redis-benchmark GET against the same server
 * in the same run. Targets (issue 7): <= 200 ns, <= 1 ms, <= 1.5x. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cache/cache_internal.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
  qsort(v, n, sizeof *v, cmp_d);
  return v[(size_t)(p * (n - 1))];
}

static ecai_ctx *mkctx(const char *js) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, js, strlen(js)) != ECAI_OK) {
    fprintf(stderr, "ctx: %s\n", ecai_last_error());
    exit(1);
  }
  return c;
}

#define NKEYS 100000
static uint8_t (*keys)[16];

static void fill(ecai_cache *c) {
  char val[200];
  memset(val, 'v', sizeof val);
  for (int i = 0; i < NKEYS; i++) {
    char k[32];
    snprintf(k, sizeof k, "key-%d", i);
    ecai_cache_key_from_bytes(keys[i], k, strlen(k));
    ecai_cache_put(c, keys[i], val, sizeof val, -1, NULL);
  }
}

typedef struct {
  _Alignas(64) ecai_cache *c; /* one cache line per thread's argument: no false sharing */
  long ops;
  double secs;
  unsigned seed;
  int nkeys;
} targ;

static void *getter(void *p) {
  targ *a = p;
  double t0 = now_ns();
  long n = 0;
  unsigned seed = a->seed; /* a local copy: the two threads' seeds would share a cache line */
  while (now_ns() - t0 < a->secs * 1e9) {
    for (int i = 0; i < 1000; i++) {
      void *v;
      size_t len;
      if (ecai_cache_get(&v, &len, a->c, keys[rand_r(&seed) % a->nkeys]) == ECAI_OK) ecai_free(v);
    }
    n += 1000;
  }
  a->ops = n;
  a->secs = (now_ns() - t0) / 1e9;
  return NULL;
}

static void latency(ecai_cache *c, int nkeys, const char *label) {
  enum { BATCH = 32, ROUNDS = 20000 };
  double *lat = malloc(sizeof(double) * ROUNDS);
  unsigned seed = 1;
  for (int r = 0; r < ROUNDS; r++) {
    int idx[BATCH];
    for (int i = 0; i < BATCH; i++) idx[i] = rand_r(&seed) % nkeys;
    double t0 = now_ns();
    for (int i = 0; i < BATCH; i++) {
      void *v;
      size_t n;
      if (ecai_cache_get(&v, &n, c, keys[idx[i]]) == ECAI_OK) ecai_free(v);
    }
    lat[r] = (now_ns() - t0) / BATCH;
  }
  printf("exact get hit, in-process, %s: p50 %.0f ns, p99 %.0f ns (target <= 200 ns)\n", label, pct(lat, ROUNDS, 0.5),
         pct(lat, ROUNDS, 0.99));
  free(lat);
}

static void bench_exact(void) {
  ecai_ctx *ctx = mkctx("{\"cache\":{\"max_bytes\":1073741824}}");
  ecai_cache *c = NULL;
  ecai_cache_new(&c, ctx);
  fill(c);
  latency(c, 1000, "hot set of 1,000 keys (fits in CPU cache)");
  latency(c, NKEYS, "100,000 keys uniformly (working set ~33 MB, memory-bound)");
  enum { BATCH = 32, ROUNDS = 20000 };
  double *lat = malloc(sizeof(double) * ROUNDS);
  unsigned seed = 1;
  for (int r = 0; r < ROUNDS; r++) {
    int idx[BATCH];
    for (int i = 0; i < BATCH; i++) idx[i] = rand_r(&seed) % NKEYS;
    double t0 = now_ns();
    for (int i = 0; i < BATCH; i++) {
      void *v;
      size_t n;
      if (ecai_cache_get(&v, &n, c, keys[idx[i]]) == ECAI_OK) ecai_free(v);
    }
    lat[r] = (now_ns() - t0) / BATCH;
  }
  /* peer: a bare malloc+memcpy+free of the same 200 bytes (the copy-out floor) */
  double *peer = malloc(sizeof(double) * ROUNDS);
  char src[200];
  memset(src, 1, sizeof src);
  volatile char sink = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double t0 = now_ns();
    for (int i = 0; i < BATCH; i++) {
      char *p = malloc(201);
      memcpy(p, src, 200);
      sink ^= p[i];
      free(p);
    }
    peer[r] = (now_ns() - t0) / BATCH;
  }
  double p50 = pct(lat, ROUNDS, 0.5), p99 = pct(lat, ROUNDS, 0.99), pp = pct(peer, ROUNDS, 0.5);
  printf("  (same, again) p50 %.0f ns, p99 %.0f ns; peer malloc+memcpy+free of 200 B p50 %.0f ns\n", p50, p99, pp);
  for (int set = 0; set < 2; set++) {
    int nk = set ? NKEYS : 1000;
    targ a[2] = {{c, 0, 1.5, 7, nk}, {c, 0, 1.5, 11, nk}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, getter, &a[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    targ one = {c, 0, 1.5, 3, nk};
    getter(&one);
    double ops2 = a[0].ops / a[0].secs + a[1].ops / a[1].secs, ops1 = one.ops / one.secs;
    printf("exact get hit ops/s over %d keys: 1 thread %.2f M/s, 2 threads %.2f M/s (scaling %.2fx)\n", nk,
           ops1 / 1e6, ops2 / 1e6, ops2 / ops1);
  }
  free(lat);
  free(peer);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
}

static void bench_semantic(const char *index, size_t dim, int n) {
  char cfg[256];
  snprintf(cfg, sizeof cfg, "{\"cache\":{\"semantic_index\":\"%s\",\"semantic_max_entries\":%d,\"verify\":false}}",
           index, n + 10);
  ecai_ctx *ctx = mkctx(cfg);
  ecai_semcache *sc = NULL;
  if (ecai_semcache_new(&sc, ctx, dim) != ECAI_OK) {
    fprintf(stderr, "semcache: %s\n", ecai_last_error());
    exit(1);
  }
  float *v = malloc(sizeof(float) * dim);
  unsigned seed = 5;
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    for (size_t d = 0; d < dim; d++) v[d] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
    ecai_semcache_put(sc, "p", v, dim, "q", 1, "answer", 6);
  }
  double fill_s = (now_ns() - t0) / 1e9;
  enum { Q = 200 };
  double lat[Q];
  for (int q = 0; q < Q; q++) {
    for (size_t d = 0; d < dim; d++) v[d] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
    void *out = NULL;
    size_t len;
    float s;
    double a = now_ns();
    if (ecai_semcache_lookup(&out, &len, &s, sc, "p", v, dim, "q", 1) == ECAI_OK) ecai_free(out);
    lat[q] = (now_ns() - a) / 1e6;
  }
  printf("semantic lookup, %d entries, dim %zu, %s: p50 %.3f ms, p99 %.3f ms (target <= 1 ms; fill %.1f s)\n", n, dim,
         index, pct(lat, Q, 0.5), pct(lat, Q, 0.99), fill_s);
  free(v);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
}

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof a;
  bind(s, (struct sockaddr *)&a, sizeof a);
  getsockname(s, (struct sockaddr *)&a, &l);
  close(s);
  return ntohs(a.sin_port);
}

static void bench_redis(void) {
  int port = free_port();
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int dn = open("/dev/null", O_RDWR);
    dup2(dn, 1);
    dup2(dn, 2);
    execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    redisContext *rc = redisConnect("127.0.0.1", port);
    int up = rc && !rc->err;
    if (rc) redisFree(rc);
    if (up) break;
    usleep(10000);
  }
  char cfg[256];
  snprintf(cfg, sizeof cfg, "{\"cache\":{\"backend\":\"redis\"},\"redis\":{\"url\":\"redis://127.0.0.1:%d\",\"timeout_ms\":1000}}", port);
  ecai_ctx *ctx = mkctx(cfg);
  ecai_cache *c = NULL;
  ecai_cache_new(&c, ctx);
  char val[100];
  memset(val, 'r', sizeof val);
  for (int i = 0; i < 1000; i++) ecai_cache_put(c, keys[i], val, sizeof val, -1, NULL);
  enum { N = 20000 };
  double *lat = malloc(sizeof(double) * N);
  unsigned seed = 9;
  for (int i = 0; i < N; i++) {
    void *v;
    size_t n;
    double a = now_ns();
    if (ecai_cache_get(&v, &n, c, keys[rand_r(&seed) % 1000]) == ECAI_OK) ecai_free(v);
    lat[i] = (now_ns() - a) / 1e3;
  }
  double ours = pct(lat, N, 0.5);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "redis-benchmark -h 127.0.0.1 -p %d -t set,get -n %d -c 1 -d 100 --csv 2>/dev/null", port, N);
  FILE *p = popen(cmd, "r");
  char line[512];
  double theirs = -1;
  while (p && fgets(line, sizeof line, p)) {
    if (strncmp(line, "\"GET\"", 5) == 0) { /* "GET","rps","avg","min","p50",... */
      char *f = line;
      for (int k = 0; k < 4 && f; k++) f = strchr(f + 1, ',');
      if (f) theirs = atof(f + 2) * 1000.0;
    }
  }
  if (p) pclose(p);
  char *stats = NULL;
  ecai_cache_stats_json(&stats, NULL, c);
  if (theirs > 0)
    printf("redis get p50: ecai %.1f us, redis-benchmark GET (-c 1, 100 B) %.1f us, ratio %.2f (target <= 1.5)\n",
           ours, theirs, ours / theirs);
  else
    printf("redis get p50: ecai %.1f us; redis-benchmark output not parsed\n", ours);
  ecai_free(stats);
  free(lat);
  ecai_cache_free(c);
  ecai_ctx_free(ctx);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : "";
  keys = malloc(sizeof *keys * NKEYS);
  if (!*only || !strcmp(only, "exact")) bench_exact();
  if (!*only || !strcmp(only, "semantic")) {
    int n = getenv("BENCH_SEM_N") ? atoi(getenv("BENCH_SEM_N")) : 100000;
    bench_semantic("Flat", 128, n);
    bench_semantic("HNSW32", 128, n);
  }
  if (!*only || !strcmp(only, "redis")) {
    if (strcmp(only, "redis") == 0) {
      ecai_ctx *ctx = mkctx("{}");
      ecai_cache *c = NULL;
      ecai_cache_new(&c, ctx);
      fill(c);
      ecai_cache_free(c);
      ecai_ctx_free(ctx);
    }
    bench_redis();
  }
  free(keys);
  return 0;
}
