/*
 * Batch pricing throughput: 100k synthetic products x 30 daily observations
 * (constant-elasticity demand with noise). Reports products per second for
 * ecai_pricing_add + ecai_pricing_run, and as a peer, a bare loop computing the same
 * per-product log-log least-squares fits over the same data in the same run (the
 * floor: what the regression alone costs). The ratio shows the cost of aggregation,
 * checks, guardrails and JSON output.
 *   build/bench/bench_pricing [products]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecai.h>

#include "bench_util.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double u01(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv) {
  size_t np = argc > 1 ? (size_t)atol(argv[1]) : 100000, nd = 30, n = np * nd;
  double *price = malloc(n * sizeof *price), *qty = malloc(n * sizeof *qty);
  if (!price || !qty) return 3;
  for (size_t i = 0; i < np; i++) {
    double b = -0.3 - 3 * u01(), p0 = 2 + 50 * u01();
    for (size_t d = 0; d < nd; d++) {
      double p = floor(p0 * (0.8 + 0.4 * u01()) * 100 + 0.5) / 100;
      price[i * nd + d] = p;
      qty[i * nd + d] = 20 * pow(p / p0, b) * exp(0.2 * (u01() + u01() + u01() - 1.5));
    }
  }
  /* peer: bare OLS per product */
  double t0 = now(), sink = 0;
  for (size_t i = 0; i < np; i++) {
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (size_t d = 0; d < nd; d++) {
      mx += log(price[i * nd + d]);
      my += log(qty[i * nd + d]);
    }
    mx /= (double)nd;
    my /= (double)nd;
    for (size_t d = 0; d < nd; d++) {
      double dx = log(price[i * nd + d]) - mx;
      sxx += dx * dx;
      sxy += dx * (log(qty[i * nd + d]) - my);
    }
    sink += sxy / sxx;
  }
  double t_peer = now() - t0;
  ecai_pricing *p = NULL;
  if (ecai_pricing_new(&p, NULL)) return 3;
  char id[32];
  t0 = now();
  for (size_t i = 0; i < np; i++) {
    snprintf(id, sizeof id, "SKU-%07zu", i);
    for (size_t d = 0; d < nd; d++)
      if (ecai_pricing_add(p, id, NULL, 1700000000 + (int64_t)d * 86400, price[i * nd + d], qty[i * nd + d], -1))
        return 3;
  }
  double t_add = now() - t0;
  char *out = NULL;
  size_t len = 0;
  t0 = now();
  if (ecai_pricing_run(&out, &len, p, NULL, NULL)) {
    fprintf(stderr, "bench_pricing: %s\n", ecai_last_error());
    return 3;
  }
  double t_run = now() - t0;
  size_t sug = 0;
  for (char *s = out; (s = strstr(s, "\"status\":\"suggest\"")); s++) sug++;
  printf("batch pricing, %zu products x %zu observations (%zu suggested, %.1f MB of JSON lines)\n", np, nd, sug,
         (double)len / 1e6);
  printf("  %-34s %8.3f s  %10.0f products/s\n", "ecai_pricing_add (load)", t_add, (double)np / t_add);
  printf("  %-34s %8.3f s  %10.0f products/s\n", "ecai_pricing_run (fit+guard+JSON)", t_run, (double)np / t_run);
  printf("  %-34s %8.3f s  %10.0f products/s\n", "end to end", t_add + t_run, (double)np / (t_add + t_run));
  printf("  %-34s %8.3f s  %10.0f products/s   (run / peer time ratio %.1fx; checksum %.3f)\n",
         "peer: bare log-log OLS loop", t_peer, (double)np / t_peer, t_run / t_peer, sink / (double)np);
  ecai_free(out);
  ecai_pricing_free(p);
  free(price);
  free(qty);
  return 0;
}
