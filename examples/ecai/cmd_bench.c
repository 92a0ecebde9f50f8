/* ecai bench: search latency (p50/p99) and QPS on one thread over a file of queries. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_open_search(const char *cmd, ecai_ctx *ctx, const char *dir, ecai_store **store, ecai_search **srch);

static const char HELP[] =
    "usage: ecai bench --index DIR --queries FILE [--mode bm25|vector|hybrid] [--k N] [--config FILE] [--json]\n\n"
    "Runs every query of FILE (query_id<TAB>query) once through ecai_search_query() on one\n"
    "thread against the saved state DIR and prints latency p50/p99 (ms) and queries per second.\n"
    "exit status: 0 ok, 2 bad input, 3 runtime failure.\n";

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int cmd_bench(int argc, char **argv) {
  static const struct option opts[] = {
      {"index", required_argument, 0, 'i'}, {"queries", required_argument, 0, 'q'},
      {"mode", required_argument, 0, 'm'},  {"k", required_argument, 0, 'k'},
      {"config", required_argument, 0, 'C'}, {"json", no_argument, 0, 'j'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *dir = NULL, *queries = NULL, *mode = "hybrid", *cfg = NULL;
  long k = 10;
  int json = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:q:m:k:C:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'i': dir = optarg; break;
    case 'q': queries = optarg; break;
    case 'm':
      if (strcmp(optarg, "bm25") && strcmp(optarg, "vector") && strcmp(optarg, "hybrid"))
        return cli_usage("bench", "--mode must be bm25, vector or hybrid (got '%s')", optarg);
      mode = optarg;
      break;
    case 'k': {
      char *end;
      k = strtol(optarg, &end, 10);
      if (*end || k < 1 || k > 10000) return cli_usage("bench", "--k must be 1..10000");
      break;
    }
    case 'C': cfg = optarg; break;
    case 'j': json = 1; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("bench", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!dir || !queries || optind != argc) return cli_usage("bench", "--index DIR and --queries FILE are required");
  FILE *f = fopen(queries, "r");
  if (!f) {
    fprintf(stderr, "ecai bench: cannot open %s\n", queries);
    return CLI_USAGE;
  }
  ecai_ctx *ctx = NULL;
  ecai_store *store = NULL;
  ecai_search *srch = NULL;
  double *lat = NULL;
  size_t n = 0, cap = 0, lc = 0;
  char *line = NULL, opt[96];
  snprintf(opt, sizeof opt, "{\"k\":%ld,\"mode\":\"%s\"}", k, mode);
  int rc = cli_ctx("bench", cfg, &ctx);
  if (!rc) rc = cli_open_search("bench", ctx, dir, &store, &srch);
  ssize_t len;
  double total = 0;
  while (!rc && (len = getline(&line, &lc, f)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    char *tab = strchr(line, '\t');
    if (!tab || !strncmp(line, "query_id\t", 9)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 1024;
      double *nl = realloc(lat, cap * sizeof *nl);
      if (!nl) break;
      lat = nl;
    }
    struct timespec a, b;
    char *js = NULL;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ecai_status st = ecai_search_query(&js, NULL, srch, tab + 1, strlen(tab + 1), opt);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ecai_free(js);
    if (st) {
      rc = cli_fail("bench", st, "query failed");
      break;
    }
    lat[n] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    total += lat[n++];
  }
  if (!rc && n) {
    qsort(lat, n, sizeof *lat, cmpd);
    double p50 = lat[n / 2], p99 = lat[(size_t)((double)n * 0.99) < n ? (size_t)((double)n * 0.99) : n - 1];
    if (json)
      printf("{\"mode\":\"%s\",\"queries\":%zu,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"qps\":%.1f}\n", mode, n, p50, p99,
             (double)n / (total / 1e3));
    else
      printf("%s: %zu queries, p50 %.3f ms, p99 %.3f ms, %.0f queries/s (one thread)\n", mode, n, p50, p99,
             (double)n / (total / 1e3));
  } else if (!rc) {
    fprintf(stderr, "ecai bench: no queries in %s\n", queries);
    rc = CLI_USAGE;
  }
  free(line);
  free(lat);
  fclose(f);
  ecai_search_free(srch);
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  return rc;
}
