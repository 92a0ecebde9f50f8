/* Small helpers shared by the benchmark programs (tests/bench/bench_*.c). */
#ifndef ECAI_BENCH_UTIL_H
#define ECAI_BENCH_UTIL_H

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

#endif
