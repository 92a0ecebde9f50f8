/*
 * Ground-truth simulations for pricing and experiments (public API only).
 *   1. Pricing: products with known constant-elasticity demand q = A p^b e^(sigma z),
 *      60 daily observations at prices varied +-20 % around p0; reports the error of
 *      the elasticity estimates, the CI coverage, hold-back counts, and for the margin
 *      objective the profit of the suggested price relative to the true optimum
 *      p* = c b / (1 + b) (and of the current price), one step and with a wide step.
 *   2. A/A: units split by ecai_experiment_assign() with a fresh salt per trial, the
 *      outcome independent of the split; false-positive rates of the z-test (alpha
 *      0.05), of Welch's test on a heavy-tailed revenue, and of the SRM check.
 * Built and run by tests/eval/eval_pricing.sh; exits 1 when a figure is off target.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <ecai.h>

static uint64_t rng = 88172645463325252ull;
static double u01(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) * 0x1.0p-53;
}
static double gauss(void) {
  double a = u01(), b = u01();
  return sqrt(-2 * log(a + 1e-300)) * cos(2 * M_PI * b);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  double b, p0, cost;
} product;

static double profit(double p, double b, double c) { return (p - c) * pow(p, b); }

static int pricing_sim(double sigma, double max_change, int n, int verbose, int *fail) {
  product *pr = malloc(n * sizeof *pr);
  ecai_pricing *p = NULL;
  if (ecai_pricing_new(&p, NULL) || ecai_pricing_set_str(p, ECAI_PRICING_OPT_OBJECTIVE, "margin") ||
      ecai_pricing_set_double(p, ECAI_PRICING_OPT_MAX_CHANGE, max_change) ||
      ecai_pricing_set_double(p, ECAI_PRICING_OPT_MIN_MARGIN, 0.05))
    return 1;
  char id[32];
  for (int i = 0; i < n; i++) {
    pr[i].b = -1.3 - 2.2 * u01(); /* elastic: interior margin optimum exists */
    pr[i].p0 = 5 + 20 * u01();
    pr[i].cost = pr[i].p0 * (0.3 + 0.3 * u01());
    snprintf(id, sizeof id, "p%05d", i);
    for (int d = 0; d < 60; d++) {
      double price = d == 59 ? pr[i].p0 : pr[i].p0 * (0.8 + 0.4 * u01());
      price = floor(price * 100 + 0.5) / 100;
      double q = 50 * pow(price / pr[i].p0, pr[i].b) * exp(sigma * gauss());
      if (ecai_pricing_add(p, id, NULL, 1700000000 + (int64_t)d * 86400, price, q, pr[i].cost)) return 1;
    }
  }
  char *out = NULL;
  size_t len = 0;
  if (ecai_pricing_run(&out, &len, p, NULL, NULL)) return 1;
  double *err = malloc(n * sizeof *err), sum_err = 0, gap_s = 0, gap_c = 0;
  int nerr = 0, covered = 0, sug = 0, held = 0, right_dir = 0;
  int i = 0;
  for (char *line = out; *line && i < n; i++) {
    char *nl = strchr(line, '\n');
    json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
    line = nl + 1;
    product *t = &pr[i];
    json_t *e = json_object_get(j, "elasticity");
    if (json_is_number(e)) {
      double b = json_number_value(e);
      err[nerr++] = fabs(b - t->b);
      sum_err += b - t->b;
      json_t *ci = json_object_get(j, "elasticity_ci95");
      covered += json_number_value(json_array_get(ci, 0)) <= t->b && t->b <= json_number_value(json_array_get(ci, 1));
    }
    double opt = t->cost * t->b / (1 + t->b), best = profit(opt, t->b, t->cost);
    if (!strcmp(json_string_value(json_object_get(j, "status")), "suggest")) {
      double s = json_number_value(json_object_get(j, "suggested_price"));
      sug++;
      gap_s += profit(s, t->b, t->cost) / best;
      gap_c += profit(t->p0, t->b, t->cost) / best;
      right_dir += (s - t->p0) * (opt - t->p0) > 0;
    } else held++;
    json_decref(j);
  }
  qsort(err, nerr, sizeof *err, cmp_d);
  double mae = 0;
  for (int k = 0; k < nerr; k++) mae += err[k];
  mae /= nerr ? nerr : 1;
  printf("pricing sim sigma=%.2f max_change=%.2f: %d products, %d suggested, %d held back; "
         "|b_hat-b| mean %.3f median %.3f p90 %.3f, bias %+.3f, 95%% CI coverage %.3f; "
         "profit/optimum: suggested %.4f vs current %.4f; right direction %.3f\n",
         sigma, max_change, n, sug, held, mae, err[nerr / 2], err[(int)(nerr * 0.9)], sum_err / (nerr ? nerr : 1),
         (double)covered / (nerr ? nerr : 1), gap_s / (sug ? sug : 1), gap_c / (sug ? sug : 1),
         (double)right_dir / (sug ? sug : 1));
  if (verbose && (covered < 0.9 * nerr || gap_s < gap_c || right_dir < 0.85 * sug)) *fail = 1;
  ecai_free(out);
  ecai_pricing_free(p);
  free(pr);
  free(err);
  return 0;
}

static double jnum(json_t *j, const char *k) { return json_number_value(json_object_get(j, k)); }

static int aa_sim(int trials, int units, int *fail) {
  int fp_z = 0, fp_w = 0, fp_srm = 0;
  double *ra = malloc(units * sizeof *ra), *rb = malloc(units * sizeof *rb);
  char unit[32], salt[32];
  for (int t = 0; t < trials; t++) {
    ecai_experiment *e = NULL;
    snprintf(salt, sizeof salt, "aa-%d", t);
    if (ecai_experiment_new(&e, "aa", salt) || ecai_experiment_add_variant(e, "A", 1) ||
        ecai_experiment_add_variant(e, "B", 1))
      return 1;
    int64_t n[2] = {0, 0}, x[2] = {0, 0};
    for (int i = 0; i < units; i++) {
      const char *v;
      int len = snprintf(unit, sizeof unit, "user-%d", i);
      if (ecai_experiment_assign(&v, e, unit, (size_t)len)) return 1;
      int g = v[0] == 'B';
      int conv = u01() < 0.1;
      double rev = conv ? exp(3 + 1.0 * gauss()) : 0; /* heavy-tailed revenue per visitor */
      (g ? rb : ra)[n[g]] = rev;
      n[g]++;
      x[g] += conv;
    }
    ecai_experiment_free(e);
    char *js = NULL;
    if (ecai_stats_proportions_json(&js, NULL, x[0], n[0], x[1], n[1], 0.95)) return 1;
    json_t *j = json_loads(js, 0, NULL);
    fp_z += jnum(j, "p_value") < 0.05;
    json_decref(j);
    ecai_free(js);
    if (ecai_stats_welch_json(&js, NULL, ra, (size_t)n[0], rb, (size_t)n[1], 0.95)) return 1;
    j = json_loads(js, 0, NULL);
    fp_w += jnum(j, "p_value") < 0.05;
    json_decref(j);
    ecai_free(js);
    double chi2, p;
    if (ecai_stats_srm(&chi2, &p, n, NULL, 2)) return 1;
    fp_srm += p < 0.05;
  }
  double rz = (double)fp_z / trials, rw = (double)fp_w / trials, rs = (double)fp_srm / trials;
  double se = sqrt(0.05 * 0.95 / trials);
  printf("A/A sim: %d trials x %d units split by ecai_experiment_assign: false-positive rate at alpha 0.05: "
         "z-test %.4f, Welch (revenue) %.4f, SRM %.4f (binomial SE %.4f)\n",
         trials, units, rz, rw, rs, se);
  if (fabs(rz - 0.05) > 4 * se || fabs(rw - 0.05) > 4 * se || fabs(rs - 0.05) > 4 * se) *fail = 1;
  free(ra);
  free(rb);
  return 0;
}

int main(int argc, char **argv) {
  int quick = argc > 1 && !strcmp(argv[1], "--quick"), fail = 0;
  int n = quick ? 300 : 2000;
  if (pricing_sim(0.10, 0.10, n, 1, &fail) || pricing_sim(0.25, 0.10, n, 1, &fail) ||
      pricing_sim(0.25, 0.90, n, 1, &fail) || pricing_sim(0.50, 0.10, n, 0, &fail) ||
      aa_sim(quick ? 300 : 2000, quick ? 2000 : 10000, &fail)) {
    fprintf(stderr, "eval_pricing: %s\n", ecai_last_error());
    return 3;
  }
  printf(fail ? "eval_pricing: FAILED a target\n" : "eval_pricing: all targets met\n");
  return fail;
}
