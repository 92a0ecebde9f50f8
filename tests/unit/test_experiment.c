/* Experiments: assignment vectors, holdout, exposure log, statistics against
 * textbook values and the Cookie Cats reference figures, KPI metrics and reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"
#include "experiment/exp_internal.h"
#include "harness.h"

static ecai_experiment *make_checkout(void) {
  ecai_experiment *e = NULL;
  CHECK_OK(ecai_experiment_new(&e, "checkout", "checkout-2026"));
  CHECK_OK(ecai_experiment_add_variant(e, "control", 50));
  CHECK_OK(ecai_experiment_add_variant(e, "treatment_a", 30));
  CHECK_OK(ecai_experiment_add_variant(e, "treatment_b", 20));
  CHECK_OK(ecai_experiment_set_holdout(e, 0.1, "global-holdout"));
  return e;
}

TEST(experiment_assignment_matches_committed_vectors) {
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/ab_assign.tsv", ecai_test_root());
  FILE *f = fopen(path, "r");
  CHECK_MSG(f != NULL, "cannot open %s", path);
  ecai_experiment *e = make_checkout();
  char line[1024];
  int n = 0;
  CHECK(fgets(line, sizeof line, f) != NULL); /* header */
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *unit = strtok(line, "\t"), *us = strtok(NULL, "\t"), *uhs = strtok(NULL, "\t"), *want = strtok(NULL, "\t");
    CHECK(unit && us && uhs && want);
    double u, uh;
    const char *got;
    CHECK_OK(ecai_experiment_hash_point(&u, "checkout-2026", unit, strlen(unit)));
    CHECK_OK(ecai_experiment_hash_point(&uh, "global-holdout", unit, strlen(unit)));
    CHECK_MSG(u == strtod(us, NULL) && uh == strtod(uhs, NULL), "hash point of '%s' differs", unit);
    CHECK_OK(ecai_experiment_assign(&got, e, unit, strlen(unit)));
    CHECK_MSG(!strcmp(got, want), "unit '%s': got %s want %s", unit, got, want);
    n++;
  }
  fclose(f);
  CHECK_INT_EQ(n, 260);
  ecai_experiment_free(e);
}

TEST(experiment_weights_and_holdout_proportions) {
  ecai_experiment *e = make_checkout();
  size_t c[4] = {0};
  char unit[32];
  for (int i = 0; i < 100000; i++) {
    const char *v;
    int n = snprintf(unit, sizeof unit, "visitor-%d", i);
    CHECK_OK(ecai_experiment_assign(&v, e, unit, (size_t)n));
    c[!strcmp(v, "holdout") ? 3 : !strcmp(v, "control") ? 0 : !strcmp(v, "treatment_a") ? 1 : 2]++;
  }
  /* binomial SD at n=100000 is < 0.0016: 4 SD tolerance */
  CHECK_NEAR(c[3] / 1e5, 0.10, 0.006);
  CHECK_NEAR(c[0] / 1e5, 0.45, 0.007);
  CHECK_NEAR(c[1] / 1e5, 0.27, 0.007);
  CHECK_NEAR(c[2] / 1e5, 0.18, 0.006);
  ecai_experiment_free(e);
}

TEST(experiment_rejects_bad_design_and_freezes) {
  ecai_experiment *e = NULL;
  const char *v = "x";
  CHECK_STATUS(ecai_experiment_new(&e, "", "s"), ECAI_EINVAL);
  CHECK(e == NULL);
  CHECK_STATUS(ecai_experiment_new(NULL, "n", "s"), ECAI_EINVAL);
  CHECK_OK(ecai_experiment_new(&e, "n", "s"));
  CHECK_STATUS(ecai_experiment_assign(&v, e, "u", 1), ECAI_ESTATE);
  CHECK(v == NULL);
  CHECK_STATUS(ecai_experiment_add_variant(e, "a", 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_experiment_add_variant(e, "a", NAN), ECAI_EINVAL);
  CHECK_STATUS(ecai_experiment_add_variant(e, "holdout", 1), ECAI_EINVAL);
  CHECK_OK(ecai_experiment_add_variant(e, "a", 1));
  CHECK_STATUS(ecai_experiment_add_variant(e, "a", 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_experiment_set_holdout(e, 1.0, NULL), ECAI_EINVAL);
  CHECK_OK(ecai_experiment_assign(&v, e, "u", 1));
  CHECK_STR_EQ(v, "a");
  CHECK_STATUS(ecai_experiment_add_variant(e, "b", 1), ECAI_ESTATE);
  CHECK_STATUS(ecai_experiment_set_holdout(e, 0.1, NULL), ECAI_ESTATE);
  CHECK_STATUS(ecai_experiment_expose(NULL, e, "\xff", 1, 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_experiment_assign(&v, NULL, "u", 1), ECAI_EINVAL);
  ecai_experiment_free(e);
  ecai_experiment_free(NULL);
}

TEST(experiment_exposure_log_summary_and_roundtrip) {
  ecai_experiment *e = NULL;
  CHECK_OK(ecai_experiment_new(&e, "hero", "hero-1"));
  CHECK_OK(ecai_experiment_add_variant(e, "A", 1));
  CHECK_OK(ecai_experiment_add_variant(e, "B", 1));
  char unit[32];
  for (int rep = 0; rep < 2; rep++)
    for (int i = 0; i < 500; i++) {
      int n = snprintf(unit, sizeof unit, "u%d", i);
      const char *v1, *v2;
      CHECK_OK(ecai_experiment_expose(&v1, e, unit, (size_t)n, 1700000000 + i));
      CHECK_OK(ecai_experiment_assign(&v2, e, unit, (size_t)n));
      CHECK_STR_EQ(v1, v2);
    }
  char *js = NULL;
  CHECK_OK(ecai_experiment_summary_json(&js, NULL, e));
  json_t *j = json_loads(js, 0, NULL);
  CHECK(j != NULL);
  CHECK_INT_EQ(json_integer_value(json_object_get(j, "exposures")), 1000);
  json_t *va = json_array_get(json_object_get(j, "variants"), 0), *vb = json_array_get(json_object_get(j, "variants"), 1);
  json_int_t ua = json_integer_value(json_object_get(va, "units")), ub = json_integer_value(json_object_get(vb, "units"));
  CHECK_INT_EQ(ua + ub, 500);
  CHECK_INT_EQ(json_integer_value(json_object_get(va, "exposures")), 2 * ua);
  CHECK(json_real_value(json_object_get(j, "srm_p_value")) > 0.001);
  json_decref(j);
  ecai_free(js);
  size_t len;
  CHECK_OK(ecai_experiment_log_jsonl(&js, &len, e));
  CHECK_CONTAINS(js, "{\"ts\":1700000000,\"unit\":\"u0\",\"variant\":");
  ecai_kpi *k = NULL;
  CHECK_OK(ecai_kpi_new(&k));
  CHECK_OK(ecai_kpi_load_buffer(k, js, len));
  CHECK_INT_EQ(ecai_kpi_count(k), 1000);
  ecai_free(js);
  CHECK_OK(ecai_kpi_metrics_json(&js, NULL, k, "none"));
  j = json_loads(js, 0, NULL);
  va = json_array_get(json_object_get(j, "variants"), 0);
  CHECK_STR_EQ(json_string_value(json_object_get(va, "name")), "A");
  CHECK_INT_EQ(json_integer_value(json_object_get(va, "visitors")), ua);
  json_decref(j);
  ecai_free(js);
  ecai_kpi_free(k);
  ecai_experiment_free(e);
}

TEST(stats_distributions_match_textbook_values) {
  CHECK_NEAR(ecai_stats_normal_cdf(1.96), 0.9750021048517795, 1e-14);
  CHECK_NEAR(ecai_stats_normal_cdf(-3.0), 0.0013498980316301, 1e-15);
  CHECK_NEAR(ecai_stats_normal_ppf(0.975), 1.959963984540054, 1e-12);
  CHECK_NEAR(ecai_stats_normal_ppf(1e-10), -6.361340902404056, 1e-9);
  CHECK_NEAR(ecai_stats_t_cdf(1.0, 1), 0.75, 1e-13);                          /* Cauchy */
  CHECK_NEAR(ecai_stats_t_cdf(1.5, 2), 0.5 + 1.5 / (2 * sqrt(2 + 2.25)), 1e-13); /* closed form df=2 */
  CHECK_NEAR(ecai_stats_t_cdf(-1.5, 2), 0.5 - 1.5 / (2 * sqrt(2 + 2.25)), 1e-13);
  CHECK_NEAR(ecai_stats_t_cdf(2.228138851986, 10), 0.975, 1e-10);           /* t table */
  CHECK_NEAR(ecai_stats_t_cdf(2.570581835636, 5), 0.975, 1e-10);
  CHECK_NEAR(ecai_stats_t_cdf(2.845339709786, 20), 0.995, 1e-10);
  CHECK_NEAR(ecai__t_ppf(0.975, 10), 2.228138851986, 1e-9);
  CHECK_NEAR(ecai_stats_t_cdf(1.96, 1e9), ecai_stats_normal_cdf(1.96), 1e-8);
  CHECK_NEAR(ecai_stats_chi2_sf(3.841458820694124, 1), 0.05, 1e-13);
  CHECK_NEAR(ecai_stats_chi2_sf(5.991464547107979, 2), 0.05, 1e-12);
  CHECK_NEAR(ecai_stats_chi2_sf(7.814727903251178, 3), 0.05, 1e-12);
  CHECK_NEAR(ecai_stats_chi2_sf(2.0, 2), exp(-1.0), 1e-14);                   /* df=2: exp(-x/2) */
  CHECK(isnan(ecai_stats_t_cdf(1, 0)));
  CHECK(isnan(ecai_stats_chi2_sf(1, -1)));
}

TEST(stats_welch_hand_computed_and_srm) {
  double a[] = {1, 2, 3, 4}, b[] = {2, 4, 6, 8};
  char *js = NULL;
  CHECK_OK(ecai_stats_welch_json(&js, NULL, a, 4, b, 4, 0.95));
  json_t *j = json_loads(js, 0, NULL);
  CHECK_NEAR(json_real_value(json_object_get(j, "t")), sqrt(3.0), 1e-12);
  double df = (2.5 / 1.2) * (2.5 / 1.2) / ((5.0 / 12) * (5.0 / 12) / 3 + (5.0 / 3) * (5.0 / 3) / 3);
  CHECK_NEAR(json_real_value(json_object_get(j, "df")), df, 1e-10);
  double p = json_real_value(json_object_get(j, "p_value"));
  CHECK_NEAR(p, 2 * (1 - ecai_stats_t_cdf(sqrt(3.0), df)), 1e-12);
  CHECK(p > 0.1 && p < 0.2);
  json_decref(j);
  ecai_free(js);
  CHECK_STATUS(ecai_stats_welch_json(&js, NULL, a, 1, b, 4, 0.95), ECAI_EINVAL);
  CHECK(js == NULL);
  int64_t counts[] = {44700, 45489};
  double chi2, sp;
  CHECK_OK(ecai_stats_srm(&chi2, &sp, counts, NULL, 2));
  CHECK_NEAR(chi2, 6.902, 0.0005);
  CHECK_NEAR(sp, 0.0086, 0.00005);
  double w[] = {1, 3};
  int64_t c2[] = {250, 750};
  CHECK_OK(ecai_stats_srm(&chi2, &sp, c2, w, 2));
  CHECK_NEAR(chi2, 0, 1e-12);
  CHECK_NEAR(sp, 1, 1e-12);
  CHECK_STATUS(ecai_stats_srm(&chi2, &sp, c2, w, 1), ECAI_EINVAL);
}

TEST(stats_sample_size_and_mde) {
  double n, mde;
  CHECK_OK(ecai_stats_sample_size(&n, 0.10, 0.02, 0.05, 0.8));
  CHECK_NEAR(n, 3841, 0); /* Fleiss without continuity correction */
  CHECK_OK(ecai_stats_mde(&mde, 0.10, 3840.87, 0.05, 0.8));
  CHECK_NEAR(mde, 0.02, 1e-5);
  CHECK_STATUS(ecai_stats_sample_size(&n, 0.10, 0, 0.05, 0.8), ECAI_EINVAL);
  CHECK_STATUS(ecai_stats_mde(&mde, 1.5, 100, 0.05, 0.8), ECAI_EINVAL);
}

TEST(stats_bootstrap_is_seeded_and_covers) {
  double a[200], b[300];
  uint64_t s = 7;
  for (int i = 0; i < 200; i++) a[i] = ecai__u01(&s) * 10;
  for (int i = 0; i < 300; i++) b[i] = ecai__u01(&s) * 10 + 1;
  double lo1, hi1, lo2, hi2;
  CHECK_OK(ecai_stats_bootstrap_diff(&lo1, &hi1, a, 200, b, 300, 2000, 0.95, 123));
  CHECK_OK(ecai_stats_bootstrap_diff(&lo2, &hi2, a, 200, b, 300, 2000, 0.95, 123));
  CHECK(lo1 == lo2 && hi1 == hi2);
  char *js;
  CHECK_OK(ecai_stats_welch_json(&js, NULL, a, 200, b, 300, 0.95));
  json_t *j = json_loads(js, 0, NULL);
  json_t *ci = json_object_get(j, "ci");
  /* the percentile interval agrees with the t interval on near-normal means */
  CHECK_NEAR(lo1, json_real_value(json_array_get(ci, 0)), 0.12);
  CHECK_NEAR(hi1, json_real_value(json_array_get(ci, 1)), 0.12);
  CHECK(lo1 < 1 && hi1 > 1);
  json_decref(j);
  ecai_free(js);
  CHECK_STATUS(ecai_stats_bootstrap_diff(&lo1, &hi1, a, 0, b, 300, 2000, 0.95, 1), ECAI_EINVAL);
}

/* A/A: both arms from the same p; the z-test should reject about 5 % at alpha 0.05. */
TEST(stats_aa_false_positive_rate_near_alpha) {
  uint64_t s = 2026;
  int rejections = 0, trials = 400;
  for (int t = 0; t < trials; t++) {
    double xa = 0, xb = 0;
    for (int i = 0; i < 2000; i++) {
      xa += ecai__u01(&s) < 0.1;
      xb += ecai__u01(&s) < 0.1;
    }
    ecai__prop_test r;
    ecai__prop_ztest(&r, xa, 2000, xb, 2000, 0.95);
    rejections += r.p_value < 0.05;
  }
  double rate = (double)rejections / trials;
  CHECK_MSG(rate > 0.015 && rate < 0.09, "A/A false-positive rate %.3f", rate);
}

static double jd(json_t *j, const char *k) { return json_number_value(json_object_get(j, k)); }
static double ci(json_t *j, size_t i) { return json_number_value(json_array_get(json_object_get(j, "ci95"), i)); }

/* Reference figures computed outside libecai, to the printed precision. */
typedef struct {
  long n[2], succ[2];
  double mean[2], z, p, ci[2], lift_pct, srm_chi2, srm_p; /* retention_7 */
  double z1, p1, ci1[2], lift1_pct;                       /* retention_1 */
  double rounds[2], t;                                    /* sum_gamerounds, Welch */
} ab_ref;

static json_t *abtest(const char *path, const char *metric, ecai_abtest_metric kind, const char *control) {
  char *js = NULL;
  CHECK_OK(ecai_abtest_csv_json(&js, NULL, path, "version", metric, kind, control));
  json_t *j = json_loads(js, 0, NULL);
  ecai_free(js);
  CHECK(j != NULL);
  return j;
}

static void check_ab_figures(const char *path, const ab_ref *r) {
  json_t *j = abtest(path, "retention_7", ECAI_ABTEST_PROPORTION, NULL);
  CHECK_STR_EQ(json_string_value(json_object_get(j, "control")), "gate_30");
  for (size_t i = 0; i < 2; i++) {
    json_t *v = json_array_get(json_object_get(j, "variants"), i);
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "n")), r->n[i]);
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "successes")), r->succ[i]);
    CHECK_NEAR(jd(v, "mean"), r->mean[i], 5e-7);
  }
  CHECK_NEAR(jd(j, "statistic"), r->z, 5e-5);
  CHECK_NEAR(jd(j, "p_value"), r->p, 5e-7);
  CHECK_NEAR(ci(j, 0), r->ci[0], 5e-7);
  CHECK_NEAR(ci(j, 1), r->ci[1], 5e-7);
  CHECK_NEAR(jd(j, "lift") * 100, r->lift_pct, 5e-4);
  CHECK_NEAR(jd(j, "srm_chi2"), r->srm_chi2, 5e-4);
  CHECK_NEAR(jd(j, "srm_p_value"), r->srm_p, 5e-5);
  json_decref(j);
  j = abtest(path, "retention_1", ECAI_ABTEST_PROPORTION, "gate_30");
  CHECK_NEAR(jd(j, "statistic"), r->z1, 5e-5);
  CHECK_NEAR(jd(j, "p_value"), r->p1, 5e-6);
  CHECK_NEAR(ci(j, 0), r->ci1[0], 5e-7);
  CHECK_NEAR(ci(j, 1), r->ci1[1], 5e-7);
  CHECK_NEAR(jd(j, "lift") * 100, r->lift1_pct, 5e-4);
  json_decref(j);
  j = abtest(path, "sum_gamerounds", ECAI_ABTEST_MEAN, NULL);
  for (size_t i = 0; i < 2; i++) CHECK_NEAR(jd(json_array_get(json_object_get(j, "variants"), i), "mean"), r->rounds[i], 5e-4);
  CHECK_NEAR(jd(j, "statistic"), r->t, 5e-4);
  json_decref(j);
}

/* The real Cookie Cats test (outside data) against its published reference figures. */
TEST(abtest_cookie_cats_reference_figures) {
  static const ab_ref cookie = {{44700, 45489}, {8502, 8279}, {0.190201, 0.182000}, -3.1644, 0.001554,
                                {-0.013282, -0.003121}, -4.312, 6.902, 0.0086, -1.7841, 0.07441,
                                {-0.012392, 0.000582}, -1.318, {52.456, 51.299}, -0.885};
  check_ab_figures(ecai_test_data("experiments/cookie_cats/cookie_cats.csv"), &cookie);
}

/* Its twin on the committed synthetic test (figures printed by tests/data/tools/gen_ab_small.py,
 * an independent Python computation: pooled z, unpooled CI, Welch t, SRM chi-square). */
TEST(abtest_ab_small_reference_figures) {
  static const ab_ref small = {{2091, 1909}, {405, 314}, {0.193687, 0.164484}, -2.4026, 0.016281,
                               {-0.052940, -0.005466}, -15.078, 8.2810, 0.0040, -1.9724, 0.04856,
                               {-0.061690, -0.000222}, -6.879, {55.850, 49.851}, -3.601};
  check_ab_figures(ecai_test_fixture("ab_small.csv"), &small);
}

TEST(abtest_rejects_bad_input) {
  char path[4096], *js = (char *)1;
  snprintf(path, sizeof path, "%s/ab.csv", ecai_test_tmpdir());
  FILE *f = fopen(path, "w");
  fputs("user,group,conv\n1,A,1\n2,B,0\n3,A,maybe\n", f);
  fclose(f);
  CHECK_STATUS(ecai_abtest_csv_json(&js, NULL, path, "group", "conv", ECAI_ABTEST_PROPORTION, NULL), ECAI_EPARSE);
  CHECK(js == NULL);
  CHECK_CONTAINS(ecai_last_error(), "line 4");
  CHECK_STATUS(ecai_abtest_csv_json(&js, NULL, path, "group", "nope", ECAI_ABTEST_PROPORTION, NULL), ECAI_ENOTFOUND);
  CHECK_STATUS(ecai_abtest_csv_json(&js, NULL, "/nonexistent/x.csv", "g", "c", ECAI_ABTEST_MEAN, NULL), ECAI_EIO);
  f = fopen(path, "w");
  fputs("user,group,conv\n1,A,1\n2,A,0\n", f);
  fclose(f);
  CHECK_STATUS(ecai_abtest_csv_json(&js, NULL, path, "group", "conv", ECAI_ABTEST_PROPORTION, NULL), ECAI_EINVAL);
  CHECK_STATUS(ecai_abtest_csv_json(&js, NULL, path, "group", "conv", (ecai_abtest_metric)9, NULL), ECAI_EINVAL);
}

static const char EVENTS[] =
    "ts,unit,variant,event,value\n"
    "2024-05-01T10:00,u1,A,exposure,\n"
    "2024-05-01T10:01,u1,A,add_to_cart,\n"
    "2024-05-01T10:05,u1,A,order,30\n"
    "2024-05-01T11:00,u2,A,exposure,\n"
    "2024-05-01T11:01,u2,A,add_to_cart,\n"
    "2024-05-02T09:00,u3,B,exposure,\n"
    "2024-05-02T09:02,u3,,order,50\n" /* no variant: inherits B from the exposure */
    "2024-05-02T09:03,u3,B,order,10\n"
    "2024-05-02T09:10,u4,B,exposure,\n"
    "2024-05-02T09:11,u4,B,ticket_opened,\n"
    "2024-05-02T09:12,u4,B,ticket_bot_answered,\n"
    "2024-05-02T09:20,u5,B,exposure,\n"
    "2024-05-02T09:21,u5,B,ticket_opened,\n"
    "2024-05-02T09:22,u5,B,ticket_escalated,\n"
    "2024-05-02T09:30,u6,B,order,99\n"; /* never exposed: outside the population */

TEST(kpi_metrics_known_values) {
  ecai_kpi *k = NULL;
  CHECK_OK(ecai_kpi_new(&k));
  CHECK_OK(ecai_kpi_load_buffer(k, EVENTS, sizeof EVENTS - 1));
  CHECK_INT_EQ(ecai_kpi_count(k), 15);
  char *js = NULL;
  CHECK_OK(ecai_kpi_metrics_json(&js, NULL, k, "day"));
  json_t *j = json_loads(js, 0, NULL);
  ecai_free(js);
  json_t *a = json_array_get(json_object_get(j, "variants"), 0), *b = json_array_get(json_object_get(j, "variants"), 1);
  CHECK_STR_EQ(json_string_value(json_object_get(a, "name")), "A");
  CHECK_INT_EQ(json_integer_value(json_object_get(a, "visitors")), 2);
  CHECK_NEAR(jd(a, "conversion_rate"), 0.5, 1e-12);
  CHECK_NEAR(jd(a, "aov"), 30, 1e-12);
  CHECK_NEAR(jd(a, "revenue_per_visitor"), 15, 1e-12);
  CHECK_NEAR(jd(a, "checkout_abandonment"), 0.5, 1e-12);
  CHECK(json_is_null(json_object_get(a, "bot_deflection_rate")));
  CHECK_INT_EQ(json_integer_value(json_object_get(b, "visitors")), 3);
  CHECK_INT_EQ(json_integer_value(json_object_get(b, "orders")), 2);
  CHECK_NEAR(jd(b, "revenue"), 60, 1e-12);
  CHECK_NEAR(jd(b, "conversion_rate"), 1.0 / 3, 1e-12);
  CHECK_NEAR(jd(b, "aov"), 30, 1e-12);
  CHECK_NEAR(jd(b, "revenue_per_visitor"), 20, 1e-12);
  CHECK_INT_EQ(json_integer_value(json_object_get(b, "tickets")), 2);
  CHECK_NEAR(jd(b, "bot_deflection_rate"), 0.5, 1e-12);
  json_t *periods = json_object_get(j, "periods");
  CHECK_INT_EQ(json_array_size(periods), 2);
  CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(periods, 0), "period")), "2024-05-01");
  json_decref(j);
  CHECK_OK(ecai_kpi_metrics_json(&js, NULL, k, "week"));
  CHECK_CONTAINS(js, "\"period\":\"2024-04-29\""); /* Monday of that ISO week */
  ecai_free(js);
  CHECK_STATUS(ecai_kpi_metrics_json(&js, NULL, k, "year"), ECAI_EINVAL);
  ecai_kpi_free(k);
}

TEST(kpi_report_before_after_and_comparisons) {
  ecai_kpi *k = NULL;
  CHECK_OK(ecai_kpi_new(&k));
  CHECK_OK(ecai_kpi_load_buffer(k, EVENTS, sizeof EVENTS - 1));
  int64_t launch;
  CHECK(ecai__parse_time("2024-05-02", &launch));
  char *js = NULL;
  CHECK_OK(ecai_kpi_report_json(&js, NULL, k, "A", launch));
  json_t *j = json_loads(js, 0, NULL);
  ecai_free(js);
  CHECK_STR_EQ(json_string_value(json_object_get(j, "control")), "A");
  json_t *c = json_array_get(json_object_get(j, "comparisons"), 0);
  CHECK_STR_EQ(json_string_value(json_object_get(c, "variant")), "B");
  CHECK_NEAR(jd(json_object_get(c, "conversion"), "diff"), 1.0 / 3 - 0.5, 1e-12);
  CHECK_NEAR(jd(json_object_get(c, "revenue_per_visitor"), "diff"), 5, 1e-12);
  json_t *ba = json_object_get(j, "before_after");
  CHECK_STR_EQ(json_string_value(json_object_get(ba, "launch_date")), "2024-05-02");
  CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(ba, "before"), "visitors")), 2);
  CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(ba, "after"), "visitors")), 3);
  CHECK(json_is_object(json_object_get(j, "srm")));
  json_decref(j);
  CHECK_STATUS(ecai_kpi_report_json(&js, NULL, k, "Z", INT64_MIN), ECAI_ENOTFOUND);
  ecai_kpi_free(k);
}

TEST(kpi_load_is_all_or_nothing_and_names_the_line) {
  ecai_kpi *k = NULL;
  CHECK_OK(ecai_kpi_new(&k));
  const char bad[] = "ts,unit,event\n2024-01-01,u1,exposure\n2024-01-01,u2,teleport\n";
  CHECK_STATUS(ecai_kpi_load_buffer(k, bad, sizeof bad - 1), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 3");
  CHECK_INT_EQ(ecai_kpi_count(k), 0);
  const char jl[] = "{\"ts\":\"2024-01-01T00:00Z\",\"unit\":\"u1\",\"event\":\"order\",\"value\":12.5}\n"
                    "{\"ts\":1704067200,\"unit\":7,\"event\":\"exposure\"}\n";
  CHECK_OK(ecai_kpi_load_buffer(k, jl, sizeof jl - 1));
  CHECK_INT_EQ(ecai_kpi_count(k), 2);
  CHECK_STATUS(ecai_kpi_load_buffer(k, "{\"ts\":\"x\"}\n", 11), ECAI_EPARSE);
  CHECK_STATUS(ecai_kpi_load_buffer(k, "ts,unit\n1,2\n", 12), ECAI_EPARSE);
  CHECK_STATUS(ecai_kpi_record(k, 0, "u", NULL, (ecai_kpi_event)42, 0), ECAI_EINVAL);
  CHECK_STATUS(ecai_kpi_record(k, 0, "u", NULL, ECAI_KPI_ORDER, -1), ECAI_EINVAL);
  CHECK_STATUS(ecai_kpi_load_file(k, "/nonexistent/events.csv"), ECAI_EIO);
  CHECK_INT_EQ(ecai_kpi_count(k), 2);
  ecai_kpi_free(k);
}

TEST(kpi_survives_allocation_failures) {
  for (long n = 0; n < 400; n++) {
    ecai_kpi *k = NULL;
    char *js = NULL;
    ecai__test_fail_alloc_after(n);
    ecai_status st = ecai_kpi_new(&k);
    if (st == ECAI_OK) st = ecai_kpi_load_buffer(k, EVENTS, sizeof EVENTS - 1);
    if (st == ECAI_OK) st = ecai_kpi_report_json(&js, NULL, k, NULL, 1714608000);
    ecai__test_fail_alloc_after(-1);
    CHECK(st == ECAI_OK || st == ECAI_ENOMEM);
    ecai_free(js);
    ecai_kpi_free(k);
    if (st == ECAI_OK) return;
  }
  CHECK_MSG(0, "never succeeded");
}

/* Random and mutated inputs never crash the loaders; a failed load keeps nothing. */
TEST(loaders_survive_random_and_mutated_input) {
  uint64_t s = 99;
  char buf[512];
  char path[4096];
  snprintf(path, sizeof path, "%s/fuzz.csv", ecai_test_tmpdir());
  for (int it = 0; it < 3000; it++) {
    size_t n;
    if (it % 2) { /* mutate a valid document */
      n = sizeof EVENTS - 1 < sizeof buf ? sizeof EVENTS - 1 : sizeof buf;
      memcpy(buf, EVENTS, n);
      for (int k = 0; k < 1 + it % 8; k++) {
        size_t at = (size_t)(ecai__u01(&s) * (double)n);
        static const char alphabet[] = ",\"\n\r{}:x0-T \xff";
        buf[at] = alphabet[(size_t)(ecai__u01(&s) * (sizeof alphabet - 1))];
      }
    } else {
      n = (size_t)(ecai__u01(&s) * sizeof buf);
      for (size_t k = 0; k < n; k++) buf[k] = (char)(ecai__splitmix64(&s) & 0xff);
    }
    ecai_kpi *k = NULL;
    CHECK_OK(ecai_kpi_new(&k));
    ecai_status st = ecai_kpi_load_buffer(k, buf, n);
    CHECK(st == ECAI_OK || st == ECAI_EPARSE);
    if (st) CHECK_INT_EQ(ecai_kpi_count(k), 0);
    char *js = NULL;
    st = ecai_kpi_report_json(&js, NULL, k, NULL, 0);
    CHECK(st == ECAI_OK || st == ECAI_EINVAL);
    ecai_free(js);
    ecai_kpi_free(k);
    if (it % 10 == 0) {
      FILE *f = fopen(path, "wb");
      fwrite("product_id,date,price,quantity\n", 1, 31, f);
      fwrite(buf, 1, n, f);
      fclose(f);
      ecai_pricing *p = NULL;
      CHECK_OK(ecai_pricing_new(&p, NULL));
      st = ecai_pricing_load_file(p, path);
      CHECK(st == ECAI_OK || st == ECAI_EPARSE);
      CHECK_OK(ecai_pricing_run(&js, NULL, p, NULL, NULL));
      ecai_free(js);
      ecai_pricing_free(p);
      st = ecai_abtest_csv_json(&js, NULL, path, "product_id", "price", ECAI_ABTEST_MEAN, NULL);
      CHECK(st == ECAI_OK || st == ECAI_EPARSE || st == ECAI_EINVAL || st == ECAI_ENOTFOUND);
      ecai_free(js);
    }
  }
}
