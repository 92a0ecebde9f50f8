/* Small helpers shared by the benchmark programs (tests/bench/bench_*.c). */
#ifndef ECAI_BENCH_UTIL_H
#define ECAI_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Monotonic wall clock in seconds. */
static inline double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* qsort comparator for doubles, ascending (percentiles). */
static inline int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The query texts of a judged-queries TSV (query_id<TAB>query, header skipped), at most
 * max of them, into *out (grown with realloc; strdup'ed texts). Returns how many; 0 when
 * the file cannot be read. */
static inline size_t bench_read_queries(const char *path, char ***out, size_t max) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char *line = NULL, **q = *out;
  size_t cap = 0, qcap = 0, nq = 0;
  ssize_t n;
  while (nq < max && (n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    char *tab = strchr(line, '\t');
    if (!tab || !strncmp(line, "query_id\t", 9)) continue;
    if (nq == qcap) {
      qcap = qcap ? 2 * qcap : 1024;
      q = realloc(q, qcap * sizeof *q);
    }
    q[nq++] = strdup(tab + 1);
  }
  free(line);
  fclose(f);
  *out = q;
  return nq;
}

#endif
