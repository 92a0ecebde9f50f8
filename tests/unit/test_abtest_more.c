/* ecai_abtest_csv_opts_json: many variants with Holm, CUPED, the mSPRT and the Bayesian
 * read-out. Data are simulated here (own generator) and the reference figures computed
 * here independently of the library (z-tests, Holm, cov/var). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "harness.h"

static uint64_t rng = 1;
static double u01(void) { /* xorshift64*, independent of the library's splitmix64 */
  rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
  return (double)((rng * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2 * log(1 - u01())) * cos(2 * M_PI * u01()); }
static double jd(json_t *j, const char *k) { return json_number_value(json_object_get(j, k)); }

static const char *tmp(const char *name) {
  static char p[4][4096];
  static int i;
  i = (i + 1) % 4;
  snprintf(p[i], sizeof p[i], "%s/%s", ecai_test_tmpdir(), name);
  return p[i];
}

static json_t *run(const char *path, const char *metric, ecai_abtest_metric kind, const char *opts) {
  char *js = NULL;
  CHECK_OK(ecai_abtest_csv_opts_json(&js, NULL, path, "variant", metric, kind, NULL, opts));
  CHECK(js != NULL && !strstr(js, "NaN") && !strstr(js, "nan"));
  json_t *j = json_loads(js, 0, NULL);
  ecai_free(js);
  CHECK(j != NULL);
  return j;
}

static double z_p(double xa, double na, double xb, double nb) {
  double pa = xa / na, pb = xb / nb, pp = (xa + xb) / (na + nb);
  return erfc(fabs((pb - pa) / sqrt(pp * (1 - pp) * (1 / na + 1 / nb))) / sqrt(2));
}

/* Four variants, conversion: one comparison per variant, Holm computed here. */
TEST(abtest_many_variants_holm) {
  static const double rate[4] = {0.10, 0.10, 0.12, 0.14};
  static const char *names[4] = {"a", "b", "c", "d"};
  double x[4] = {0}, n[4] = {0};
  rng = 7;
  FILE *f = fopen(tmp("ab4.csv"), "w");
  fputs("variant,conv\n", f);
  for (int i = 0; i < 8000; i++) {
    int v = i % 4, c = u01() < rate[v];
    x[v] += c, n[v]++;
    fprintf(f, "%s,%d\n", names[v], c);
  }
  fclose(f);
  json_t *j = run(tmp("ab4.csv"), "conv", ECAI_ABTEST_PROPORTION, NULL);
  json_t *cs = json_object_get(j, "comparisons");
  CHECK_INT_EQ(json_array_size(cs), 3);
  CHECK_STR_EQ(json_string_value(json_object_get(j, "p_adjustment")), "holm");
  double p[3], adj[3];
  for (int i = 0; i < 3; i++) p[i] = z_p(x[0], n[0], x[i + 1], n[i + 1]);
  /* Holm by hand: order the three p-values */
  int o[3] = {0, 1, 2};
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++)
      if (p[o[b]] < p[o[a]]) {
        int t = o[a];
        o[a] = o[b], o[b] = t;
      }
  double run_max = 0;
  for (int k = 0; k < 3; k++) {
    double a = fmin(1, (3 - k) * p[o[k]]);
    run_max = fmax(run_max, a);
    adj[o[k]] = run_max;
  }
  for (int i = 0; i < 3; i++) {
    json_t *c = json_array_get(cs, (size_t)i);
    CHECK_STR_EQ(json_string_value(json_object_get(c, "variant")), names[i + 1]);
    CHECK_NEAR(jd(c, "p_value"), p[i], 1e-9);
    CHECK_NEAR(jd(c, "p_adjusted"), adj[i], 1e-9);
    CHECK_NEAR(jd(c, "diff"), x[i + 1] / n[i + 1] - x[0] / n[0], 1e-12);
    CHECK_NEAR(jd(c, "lift"), (x[i + 1] / n[i + 1] - x[0] / n[0]) / (x[0] / n[0]), 1e-12);
    /* Beta posteriors vs the normal approximation: same direction, close for large n */
    double se = sqrt(x[0] / n[0] * (1 - x[0] / n[0]) / n[0] + x[i + 1] / n[i + 1] * (1 - x[i + 1] / n[i + 1]) / n[i + 1]);
    CHECK_NEAR(jd(c, "p_beats_control"), 0.5 * erfc(-jd(c, "diff") / se / sqrt(2)), 0.02);
    CHECK(jd(c, "expected_loss") >= 0);
  }
  /* the variant with the real effect wins after adjustment, the A/A one does not */
  CHECK(jd(json_array_get(cs, 2), "p_adjusted") < 0.05);
  CHECK(jd(json_array_get(cs, 0), "p_adjusted") > 0.05);
  CHECK(jd(json_array_get(cs, 2), "p_beats_control") > 0.99);
  /* top level = first comparison, as before */
  json_t *c0 = json_array_get(cs, 0);
  CHECK_STR_EQ(json_string_value(json_object_get(j, "treatment")), "b");
  CHECK(jd(j, "p_value") == jd(c0, "p_value") && jd(j, "diff") == jd(c0, "diff"));
  json_decref(j);
}

/* CUPED on metric = rho X + sqrt(1 - rho^2) e: variance reduction about rho^2 = 0.49. */
TEST(abtest_cuped_variance_reduction_rho07) {
  const int n = 40000;
  double *y = malloc(n * sizeof *y), *x = malloc(n * sizeof *x);
  rng = 11;
  FILE *f = fopen(tmp("cuped.csv"), "w");
  fputs("variant,revenue,pre\n", f);
  for (int i = 0; i < n; i++) {
    x[i] = 100 + 20 * gauss();
    y[i] = 50 + 0.7 * (x[i] - 100) / 20 * 15 + sqrt(1 - 0.49) * 15 * gauss() + (i % 2 ? 0.5 : 0);
    if (i % 1000 == 7) fprintf(f, "%s,%.17g,\n", i % 2 ? "B" : "A", y[i]); /* missing covariate */
    else fprintf(f, "%s,%.17g,%.17g\n", i % 2 ? "B" : "A", y[i], x[i]);
  }
  fclose(f);
  /* theta = cov(Y, X) / var(X) over units with a covariate, computed here in two passes */
  double mx = 0, my = 0, sxy = 0, sxx = 0;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (i % 1000 != 7) mx += x[i], my += y[i], k++;
  mx /= k, my /= k;
  for (int i = 0; i < n; i++)
    if (i % 1000 != 7) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  double theta = sxy / sxx;
  json_t *j = run(tmp("cuped.csv"), "revenue", ECAI_ABTEST_MEAN, "{\"covariate\":\"pre\"}");
  json_t *cu = json_object_get(j, "cuped");
  CHECK(cu != NULL);
  CHECK_NEAR(jd(cu, "theta"), theta, 1e-9 * fabs(theta));
  CHECK_INT_EQ(json_integer_value(json_object_get(cu, "missing_covariate")), 40);
  CHECK_NEAR(jd(cu, "variance_reduction"), 0.49, 0.03);
  /* no unit dropped */
  CHECK_INT_EQ(json_integer_value(json_object_get(json_array_get(json_object_get(j, "variants"), 0), "n")), n / 2);
  /* adjusted diff: mean of y - theta (x - mx) per group (missing x keep y), computed here */
  double s[2] = {0}, c[2] = {0};
  for (int i = 0; i < n; i++) s[i % 2] += i % 1000 == 7 ? y[i] : y[i] - theta * (x[i] - mx), c[i % 2]++;
  CHECK_NEAR(jd(j, "diff"), s[1] / c[1] - s[0] / c[0], 1e-9);
  /* narrower than the unadjusted interval */
  json_t *raw = run(tmp("cuped.csv"), "revenue", ECAI_ABTEST_MEAN, NULL);
  double w_adj = json_number_value(json_array_get(json_object_get(j, "ci95"), 1)) -
                 json_number_value(json_array_get(json_object_get(j, "ci95"), 0));
  double w_raw = json_number_value(json_array_get(json_object_get(raw, "ci95"), 1)) -
                 json_number_value(json_array_get(json_object_get(raw, "ci95"), 0));
  CHECK_NEAR(w_adj / w_raw, sqrt(1 - jd(cu, "variance_reduction")), 0.01);
  CHECK(json_object_get(raw, "cuped") == NULL);
  json_decref(raw);
  json_decref(j);
  free(x);
  free(y);
}

static ecai_status try_opts(const char *csv, const char *metric, ecai_abtest_metric kind, const char *opts) {
  FILE *f = fopen(tmp("bad.csv"), "w");
  fputs(csv, f);
  fclose(f);
  char *js = (char *)1;
  ecai_status st = ecai_abtest_csv_opts_json(&js, NULL, tmp("bad.csv"), "variant", metric, kind, NULL, opts);
  if (st) CHECK(js == NULL);
  ecai_free(st ? NULL : js);
  return st;
}

TEST(abtest_options_bad_input) {
  static const char ok[] = "variant,y,pre,look\nA,1,3,1\nA,0,2,2\nB,1,1,1\nB,1,,2\n";
  CHECK_OK(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{\"covariate\":\"pre\"}"));
  CHECK_OK(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, ""));
  CHECK_STATUS(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{\"covariate\":\"nope\"}"), ECAI_ENOTFOUND);
  CHECK_STATUS(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{\"sequential\":true}"), ECAI_EINVAL);
  CHECK_STATUS(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{\"look_column\":\"look\"}"), ECAI_EINVAL);
  CHECK_STATUS(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{\"covarate\":\"pre\"}"), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "covarate");
  CHECK_STATUS(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{\"alpha\":1.5}"), ECAI_EINVAL);
  CHECK_STATUS(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "[1]"), ECAI_EINVAL);
  CHECK(try_opts(ok, "y", ECAI_ABTEST_PROPORTION, "{") != ECAI_OK);
  /* a covariate with text: the line is named */
  CHECK_STATUS(try_opts("variant,y,pre\nA,1,3\nA,0,abc\nB,1,1\nB,0,2\n", "y", ECAI_ABTEST_PROPORTION,
                        "{\"covariate\":\"pre\"}"),
               ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 3");
  /* all covariates missing */
  CHECK_STATUS(try_opts("variant,y,pre\nA,1,\nA,0,NA\nB,1,\nB,0,\n", "y", ECAI_ABTEST_PROPORTION,
                        "{\"covariate\":\"pre\"}"),
               ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "all missing");
  /* a look value that cannot be ordered */
  CHECK_STATUS(try_opts("variant,y,look\nA,1,1\nA,0,soon\nB,1,1\nB,0,2\n", "y", ECAI_ABTEST_PROPORTION,
                        "{\"sequential\":true,\"look_column\":\"look\"}"),
               ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 3");
  /* one unit per variant: fine for proportions, an error for Welch */
  CHECK_OK(try_opts("variant,y\nA,1\nB,0\n", "y", ECAI_ABTEST_PROPORTION, NULL));
  CHECK_STATUS(try_opts("variant,y\nA,1\nB,0\n", "y", ECAI_ABTEST_MEAN, NULL), ECAI_EINVAL);
  CHECK_CONTAINS(ecai_last_error(), "needs >= 2");
}

/* Zero conversions everywhere and 50 variants: numbers (or null lift), never NaN. */
TEST(abtest_degenerate_data_no_nan) {
  FILE *f = fopen(tmp("zero.csv"), "w");
  fputs("variant,conv,look\n", f);
  for (int i = 0; i < 200; i++) fprintf(f, "%c,0,%d\n", i % 2 ? 'B' : 'A', 1 + i / 20);
  fclose(f);
  json_t *j = run(tmp("zero.csv"), "conv", ECAI_ABTEST_PROPORTION, "{\"sequential\":true,\"look_column\":\"look\"}");
  json_t *c = json_array_get(json_object_get(j, "comparisons"), 0);
  CHECK(jd(c, "p_value") == 1 && jd(c, "p_adjusted") == 1 && jd(c, "diff") == 0);
  CHECK(json_is_null(json_object_get(c, "lift")));
  CHECK_NEAR(jd(c, "p_beats_control"), 0.5, 0.02);
  json_t *sq = json_object_get(j, "sequential");
  CHECK(jd(sq, "always_valid_p") == 1 && json_is_false(json_object_get(sq, "reject")));
  CHECK(json_is_null(json_object_get(sq, "stopped_at")));
  CHECK_INT_EQ(json_integer_value(json_object_get(sq, "looks")), 10);
  json_decref(j);
  rng = 3;
  f = fopen(tmp("v50.csv"), "w");
  fputs("variant,conv\n", f);
  for (int i = 0; i < 5000; i++) fprintf(f, "v%02d,%d\n", i % 50, u01() < 0.05);
  fclose(f);
  j = run(tmp("v50.csv"), "conv", ECAI_ABTEST_PROPORTION, NULL);
  json_t *cs = json_object_get(j, "comparisons");
  CHECK_INT_EQ(json_array_size(cs), 49);
  size_t i;
  json_array_foreach(cs, i, c) {
    CHECK(jd(c, "p_adjusted") >= jd(c, "p_value") && jd(c, "p_adjusted") <= 1);
    CHECK(jd(c, "p_beats_control") >= 0 && jd(c, "p_beats_control") <= 1);
  }
  json_decref(j);
}

/* A/A with 10 looks: the mSPRT keeps the rejection rate <= alpha while stopping at the
 * first naive p < 0.05 does not (both measured on the same simulated experiments). */
TEST(abtest_sequential_aa_false_positive_rate) {
  const int trials = 150, per_look = 60, looks = 10;
  int seq_rej = 0, naive_rej = 0, fixed_rej = 0, obf_rej = 0;
  rng = 2024;
  for (int t = 0; t < trials; t++) {
    FILE *f = fopen(tmp("aa.csv"), "w");
    fputs("variant,rev,look\n", f);
    double s[2] = {0}, q[2] = {0}, c[2] = {0};
    int naive = 0;
    for (int l = 1; l <= looks; l++) {
      for (int i = 0; i < 2 * per_look; i++) {
        int v = i % 2;
        double y = exp(gauss()); /* skewed like revenue */
        fprintf(f, "%c,%.17g,%d\n", v ? 'B' : 'A', y, l);
        s[v] += y, q[v] += y * y, c[v]++;
      }
      double va = (q[0] - s[0] * s[0] / c[0]) / (c[0] - 1), vb = (q[1] - s[1] * s[1] / c[1]) / (c[1] - 1);
      double z = (s[1] / c[1] - s[0] / c[0]) / sqrt(va / c[0] + vb / c[1]);
      if (fabs(z) > 1.959964) naive = 1;
      if (l == looks && fabs(z) > 1.959964) fixed_rej++;
    }
    fclose(f);
    naive_rej += naive;
    json_t *j = run(tmp("aa.csv"), "rev", ECAI_ABTEST_MEAN, "{\"sequential\":true,\"look_column\":\"look\"}");
    json_t *sq = json_object_get(j, "sequential");
    CHECK_INT_EQ(json_integer_value(json_object_get(sq, "looks")), looks);
    seq_rej += json_is_true(json_object_get(sq, "reject"));
    json_decref(j);
    if (t % 2) continue; /* the group-sequential read-out on half of the trials (slower) */
    j = run(tmp("aa.csv"), "rev", ECAI_ABTEST_MEAN,
            "{\"sequential\":true,\"look_column\":\"look\",\"sequential_method\":\"obf\"}");
    obf_rej += json_is_true(json_object_get(json_object_get(j, "sequential"), "reject"));
    json_decref(j);
  }
  double se = sqrt(0.05 * 0.95 / trials);
  CHECK_MSG(seq_rej <= trials * (0.05 + 2 * se), "mSPRT A/A rejections %d of %d", seq_rej, trials);
  CHECK_MSG(obf_rej <= trials / 2 * (0.05 + 2 * sqrt(0.05 * 0.95 / (trials / 2))), "OBF A/A rejections %d of %d",
            obf_rej, trials / 2);
  CHECK_MSG(naive_rej > seq_rej && naive_rej >= trials * 0.08, "naive peeking %d, mSPRT %d of %d", naive_rej, seq_rej,
            trials);
  printf("    A/A: mSPRT %d, naive peeking %d, fixed horizon %d of %d; OBF %d of %d\n", seq_rej, naive_rej, fixed_rej,
         trials, obf_rej, trials / 2);
}

/* A real effect is found, the rows' order does not matter, and looks may be dates. */
TEST(abtest_sequential_detects_effect_any_row_order) {
  rng = 99;
  const int n = 4000;
  FILE *f = fopen(tmp("ab_seq.csv"), "w"), *g = fopen(tmp("ab_seq_rev.csv"), "w");
  char (*rows)[64] = malloc((size_t)n * sizeof *rows);
  fputs("variant,conv,day\n", f);
  fputs("variant,conv,day\n", g);
  for (int i = 0; i < n; i++) {
    int v = i % 2;
    snprintf(rows[i], sizeof rows[i], "%c,%d,2026-05-%02d\n", v ? 'B' : 'A', u01() < (v ? 0.15 : 0.10), 1 + i * 10 / n);
    fputs(rows[i], f);
  }
  for (int i = n - 1; i >= 0; i--) fputs(rows[i], g);
  fclose(f);
  fclose(g);
  free(rows);
  const char *o = "{\"sequential\":true,\"look_column\":\"day\"}";
  json_t *j = run(tmp("ab_seq.csv"), "conv", ECAI_ABTEST_PROPORTION, o);
  json_t *k = run(tmp("ab_seq_rev.csv"), "conv", ECAI_ABTEST_PROPORTION, o);
  json_t *sq = json_object_get(j, "sequential"), *sk = json_object_get(k, "sequential");
  CHECK(json_is_true(json_object_get(sq, "reject")));
  CHECK(json_integer_value(json_object_get(sq, "stopped_at")) >= 1 &&
        json_integer_value(json_object_get(sq, "stopped_at")) <= 10);
  CHECK(jd(sq, "always_valid_p") <= 0.05 && jd(sq, "always_valid_p") >= jd(j, "p_value"));
  CHECK_NEAR(jd(sk, "always_valid_p"), jd(sq, "always_valid_p"), 1e-12);
  CHECK_INT_EQ(json_integer_value(json_object_get(sk, "stopped_at")), json_integer_value(json_object_get(sq, "stopped_at")));
  /* the p-value path never increases; the first look with |z| >= boundary is where it stops */
  json_t *ps = json_object_get(sq, "always_valid_p_by_look");
  for (size_t i = 1; i < json_array_size(ps); i++)
    CHECK(json_number_value(json_array_get(ps, i)) <= json_number_value(json_array_get(ps, i - 1)));
  json_t *zs = json_object_get(sq, "z_by_look"), *bs = json_object_get(sq, "boundaries");
  json_int_t first = 0;
  for (size_t i = 0; i < json_array_size(zs) && !first; i++)
    if (json_is_number(json_array_get(bs, i)) &&
        fabs(json_number_value(json_array_get(zs, i))) >= json_number_value(json_array_get(bs, i)) - 1e-9)
      first = (json_int_t)i + 1;
  CHECK_INT_EQ(first, json_integer_value(json_object_get(sq, "stopped_at")));
  json_decref(j);
  json_decref(k);
}

/* Lan-DeMets O'Brien-Fleming boundaries against the published values (5 equally spaced
 * looks, two-sided alpha 0.05: 4.8769, 3.3569, 2.6803, 2.2898, 2.0310, as tabulated by
 * ldbounds/gsDesign), recovered from the JSON of a file with 5 looks of equal size. */
TEST(abtest_obf_boundaries_match_published_values) {
  static const double want[5] = {4.8769, 3.3569, 2.6803, 2.2898, 2.0310};
  rng = 5;
  FILE *f = fopen(tmp("obf.csv"), "w");
  fputs("variant,y,look\n", f);
  for (int i = 0; i < 1000; i++) fprintf(f, "%c,%.6f,%d\n", i % 2 ? 'B' : 'A', gauss(), 1 + i / 200);
  fclose(f);
  json_t *j = run(tmp("obf.csv"), "y", ECAI_ABTEST_MEAN,
                  "{\"sequential\":true,\"look_column\":\"look\",\"sequential_method\":\"obf\"}");
  json_t *sq = json_object_get(j, "sequential"), *b = json_object_get(sq, "boundaries");
  CHECK_INT_EQ(json_array_size(b), 5);
  for (size_t i = 0; i < 5; i++) CHECK_NEAR(json_number_value(json_array_get(b, i)), want[i], 2e-4);
  CHECK_CONTAINS(json_string_value(json_object_get(sq, "method")), "O'Brien-Fleming");
  /* the repeated p-value agrees with the boundaries: reject iff some |z_k| >= c_k */
  json_t *z = json_object_get(sq, "z_by_look");
  int cross = 0;
  for (size_t i = 0; i < 5; i++) cross |= fabs(json_number_value(json_array_get(z, i))) >= want[i];
  CHECK(cross == json_is_true(json_object_get(sq, "reject")));
  CHECK(jd(sq, "always_valid_p") > 0 && jd(sq, "always_valid_p") <= 1);
  json_decref(j);
  CHECK(try_opts("variant,y,look\nA,1,1\nB,0,2\n", "y", ECAI_ABTEST_PROPORTION, "{\"sequential_method\":\"obf\"}") ==
        ECAI_EINVAL);
  CHECK(try_opts("variant,y,look\nA,1,1\nB,0,2\n", "y", ECAI_ABTEST_PROPORTION,
                 "{\"sequential\":true,\"look_column\":\"look\",\"sequential_method\":\"pocock\"}") == ECAI_EINVAL);
}

/* KPI report guardrails: a variant that raises checkout abandonment and tickets is
 * flagged on those metrics (Holm over the variants); an A/A variant is not. */
TEST(kpi_report_guardrails_flag_wrong_way) {
  ecai_kpi *k = NULL;
  CHECK_OK(ecai_kpi_new(&k));
  rng = 17;
  char unit[32];
  for (int i = 0; i < 9000; i++) {
    const char *v = i % 3 == 0 ? "A" : i % 3 == 1 ? "B" : "C"; /* B is worse, C = A */
    int bad = i % 3 == 1;
    snprintf(unit, sizeof unit, "u%d", i);
    CHECK_OK(ecai_kpi_record(k, 1714557600 + i, unit, v, ECAI_KPI_EXPOSURE, 0));
    if (u01() < 0.3) {
      CHECK_OK(ecai_kpi_record(k, 1714557601 + i, unit, v, ECAI_KPI_ADD_TO_CART, 0));
      if (u01() < (bad ? 0.3 : 0.5)) CHECK_OK(ecai_kpi_record(k, 1714557602 + i, unit, v, ECAI_KPI_ORDER, 40));
    }
    if (u01() < (bad ? 0.08 : 0.04)) CHECK_OK(ecai_kpi_record(k, 1714557603 + i, unit, v, ECAI_KPI_TICKET_OPENED, 0));
  }
  char *js = NULL;
  CHECK_OK(ecai_kpi_report_json(&js, NULL, k, "A", INT64_MIN));
  CHECK(!strstr(js, "NaN"));
  json_t *j = json_loads(js, 0, NULL), *cs = json_object_get(j, "comparisons");
  ecai_free(js);
  ecai_kpi_free(k);
  CHECK_INT_EQ(json_array_size(cs), 2);
  for (size_t c = 0; c < 2; c++) {
    json_t *cmp = json_array_get(cs, c), *g;
    int bad = !strcmp(json_string_value(json_object_get(cmp, "variant")), "B");
    size_t i;
    int flagged = 0;
    json_array_foreach(json_object_get(cmp, "guardrails"), i, g) {
      const char *m = json_string_value(json_object_get(g, "metric"));
      json_t *o = json_object_get(cmp, m);
      CHECK(jd(o, "p_adjusted") >= jd(o, "p_value") && jd(o, "p_adjusted") <= 1);
      if (json_is_true(json_object_get(g, "flag"))) {
        flagged++;
        CHECK(bad);
        if (!strcmp(m, "checkout_abandonment") || !strcmp(m, "tickets_per_visitor")) CHECK(jd(o, "diff") > 0);
      }
    }
    CHECK_INT_EQ(json_array_size(json_object_get(cmp, "guardrails")), 4);
    /* the events span 2.5 hours of one UTC day: one look of the sequential read-out */
    json_t *sq = json_object_get(json_object_get(cmp, "conversion"), "sequential");
    CHECK_INT_EQ(json_integer_value(json_object_get(sq, "looks")), 1);
    CHECK(jd(sq, "always_valid_p") >= jd(json_object_get(cmp, "conversion"), "p_value"));
    if (bad) {
      CHECK(flagged >= 3); /* abandonment up, conversion down, tickets up (revenue may follow) */
      CHECK(jd(json_object_get(cmp, "checkout_abandonment"), "diff") > 0.1);
    }
  }
  json_decref(j);
}
