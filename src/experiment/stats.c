/*
 * Statistical distributions and tests, written for libecai (no external maths
 * library beyond <math.h>): the normal CDF via erfc, an inverse normal (Acklam's
 * rational approximation refined by one Halley step), the regularized incomplete
 * beta by Lentz's continued fraction (Student t), the regularized incomplete gamma
 * (chi-square with any df; 1 df also via erfc), two-proportion z-test, Welch's
 * t-test, sample-ratio mismatch, percentile bootstrap, sample-size planning.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ecai/experiment.h"
#include "experiment/exp_internal.h"

double ecai__norm_cdf(double x) { return 0.5 * erfc(-x / M_SQRT2); }
double ecai__norm_sf2(double z) { return erfc(fabs(z) / M_SQRT2); }

double ecai__norm_ppf(double p) {
  if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double q, r, x;
  if (p < 0.02425) {
    q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    q = sqrt(-2 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  /* Halley refinement (full double precision) */
  for (int i = 0; i < 2; i++) {
    double e = ecai__norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
  }
  return x;
}

/* Continued fraction for the incomplete beta (modified Lentz). */
static double betacf(double a, double b, double x) {
  const double fpmin = 1e-300, eps = 1e-16;
  double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
  if (fabs(d) < fpmin) d = fpmin;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; m++) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (fabs(d) < fpmin) d = fpmin;
    c = 1 + aa / c;
    if (fabs(c) < fpmin) c = fpmin;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (fabs(d) < fpmin) d = fpmin;
    c = 1 + aa / c;
    if (fabs(c) < fpmin) c = fpmin;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < eps) break;
  }
  return h;
}

double ecai__betai(double a, double b, double x) {
  if (!(a > 0 && b > 0) || isnan(x)) return NAN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return exp(lbt) * betacf(a, b, x) / a;
  return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

/* one tail P(T > |t|) */
static double t_tail(double t, double df) {
  if (isinf(df)) return 0.5 * erfc(fabs(t) / M_SQRT2);
  double x = df / (df + t * t);
  return 0.5 * ecai__betai(df / 2, 0.5, x);
}

double ecai__t_cdf(double t, double df) {
  if (isnan(t) || !(df > 0)) return NAN;
  if (df > 1e5) { /* lgamma cancellation grows with df: first-order Cornish-Fisher term */
    double phi = exp(-t * t / 2) / sqrt(2 * M_PI);
    return ecai__norm_cdf(t) - phi * (t * t * t + t) / (4 * df);
  }
  double tail = t_tail(t, df);
  return t > 0 ? 1 - tail : tail;
}

double ecai__t_sf2(double t, double df) {
  if (isnan(t) || !(df > 0)) return NAN;
  double p = df > 1e5 ? 2 * ecai__t_cdf(-fabs(t), df) : 2 * t_tail(t, df);
  return p > 1 ? 1 : p;
}

static double t_pdf(double t, double df) {
  return exp(lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * M_PI) - (df + 1) / 2 * log1p(t * t / df));
}

double ecai__t_ppf(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
  if (isinf(df) || df > 1e7) return ecai__norm_ppf(p);
  /* Newton from the normal quantile, safeguarded by a bracket (bisection fallback) */
  double lo = -1e300, hi = 1e300, t = ecai__norm_ppf(p);
  for (int i = 0; i < 100; i++) {
    double f = ecai__t_cdf(t, df) - p;
    if (f < 0) lo = t;
    else hi = t;
    if (fabs(f) < 1e-15) break;
    double d = t_pdf(t, df), nt = d > 0 ? t - f / d : NAN;
    if (!(nt > lo && nt < hi)) nt = (lo > -1e300 && hi < 1e300) ? 0.5 * (lo + hi) : (f < 0 ? 2 * fabs(t) + 1 : -2 * fabs(t) - 1);
    if (fabs(nt - t) <= 1e-14 * (1 + fabs(t))) {
      t = nt;
      break;
    }
    t = nt;
  }
  return t;
}

static double gser(double a, double x) {
  double ap = a, sum = 1 / a, del = sum;
  for (int n = 0; n < 100000; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (fabs(del) < fabs(sum) * 1e-16) break;
  }
  return sum * exp(-x + a * log(x) - lgamma(a));
}

static double gcf(double a, double x) {
  const double fpmin = 1e-300;
  double b = x + 1 - a, c = 1 / fpmin, d = 1 / b, h = d;
  for (int i = 1; i < 100000; i++) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (fabs(d) < fpmin) d = fpmin;
    c = b + an / c;
    if (fabs(c) < fpmin) c = fpmin;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-16) break;
  }
  return exp(-x + a * log(x) - lgamma(a)) * h;
}

double ecai__gammq(double a, double x) {
  if (!(a > 0) || isnan(x)) return NAN;
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gser(a, x);
  return gcf(a, x);
}

double ecai__chi2_sf(double x, double df) {
  if (!(df > 0) || isnan(x)) return NAN;
  if (x <= 0) return 1;
  if (df == 1) return erfc(sqrt(x / 2));
  return ecai__gammq(df / 2, x / 2);
}

/* ---- tests ------------------------------------------------------------------------ */

void ecai__prop_ztest(ecai__prop_test *r, double x_c, double n_c, double x_t, double n_t, double conf) {
  memset(r, 0, sizeof *r);
  r->n_c = n_c;
  r->x_c = x_c;
  r->n_t = n_t;
  r->x_t = x_t;
  r->p_c = n_c > 0 ? x_c / n_c : NAN;
  r->p_t = n_t > 0 ? x_t / n_t : NAN;
  r->diff = r->p_t - r->p_c;
  r->lift = r->p_c > 0 ? r->diff / r->p_c : NAN;
  double pp = (x_c + x_t) / (n_c + n_t);
  r->se_pooled = sqrt(pp * (1 - pp) * (1 / n_c + 1 / n_t));
  r->z = r->se_pooled > 0 ? r->diff / r->se_pooled : NAN;
  r->p_value = isnan(r->z) ? NAN : ecai__norm_sf2(r->z);
  r->se_unpooled = sqrt(r->p_c * (1 - r->p_c) / n_c + r->p_t * (1 - r->p_t) / n_t);
  double zc = ecai__norm_ppf(1 - (1 - conf) / 2);
  r->ci_lo = r->diff - zc * r->se_unpooled;
  r->ci_hi = r->diff + zc * r->se_unpooled;
}

void ecai__mean_var(const double *x, size_t n, double *mean, double *var) {
  double m = 0, s = 0;
  for (size_t i = 0; i < n; i++) {
    double d = x[i] - m;
    m += d / (double)(i + 1);
    s += d * (x[i] - m);
  }
  *mean = n ? m : NAN;
  *var = n > 1 ? s / (double)(n - 1) : NAN;
}

void ecai__welch_summary(ecai__welch *r, double n_a, double mean_a, double var_a, double n_b, double mean_b,
                         double var_b, double conf) {
  memset(r, 0, sizeof *r);
  r->n_a = n_a;
  r->mean_a = mean_a;
  r->var_a = var_a;
  r->n_b = n_b;
  r->mean_b = mean_b;
  r->var_b = var_b;
  r->diff = mean_b - mean_a;
  r->lift = mean_a != 0 ? r->diff / mean_a : NAN;
  double va = var_a / n_a, vb = var_b / n_b;
  r->se = sqrt(va + vb);
  r->t = r->se > 0 ? r->diff / r->se : NAN;
  r->df = (va + vb) * (va + vb) / (va * va / (n_a - 1) + vb * vb / (n_b - 1));
  r->p_value = ecai__t_sf2(r->t, r->df);
  double tc = ecai__t_ppf(1 - (1 - conf) / 2, r->df);
  r->ci_lo = r->diff - tc * r->se;
  r->ci_hi = r->diff + tc * r->se;
}

void ecai__srm(const double *counts, const double *weights, size_t k, double *chi2, double *df, double *p) {
  double n = 0, w = 0, x = 0;
  for (size_t i = 0; i < k; i++) {
    n += counts[i];
    w += weights ? weights[i] : 1;
  }
  for (size_t i = 0; i < k; i++) {
    double e = n * (weights ? weights[i] : 1) / w;
    if (e > 0) x += (counts[i] - e) * (counts[i] - e) / e;
  }
  *chi2 = x;
  *df = (double)k - 1;
  *p = k > 1 && n > 0 ? ecai__chi2_sf(x, *df) : NAN;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double quantile_sorted(const double *v, size_t n, double q) {
  double h = (double)(n - 1) * q;
  size_t i = (size_t)floor(h);
  if (i + 1 >= n) return v[n - 1];
  return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

ecai_status ecai__bootstrap_diff(const double *a, size_t na, const double *b, size_t nb, size_t iters,
                                 double conf, uint64_t seed, double *lo, double *hi) {
  if (!na || !nb || iters < 10 || !(conf > 0 && conf < 1))
    return ecai__err(ECAI_EINVAL, "bootstrap: need two non-empty samples, >= 10 iterations, 0 < conf < 1");
  double *d = ecai__malloc(iters * sizeof *d);
  if (!d) return ecai__err(ECAI_ENOMEM, "bootstrap: out of memory");
  uint64_t s = seed;
  for (size_t it = 0; it < iters; it++) {
    double sa = 0, sb = 0;
    for (size_t i = 0; i < na; i++) sa += a[(size_t)(ecai__u01(&s) * (double)na)];
    for (size_t i = 0; i < nb; i++) sb += b[(size_t)(ecai__u01(&s) * (double)nb)];
    d[it] = sb / (double)nb - sa / (double)na;
  }
  qsort(d, iters, sizeof *d, cmp_double);
  *lo = quantile_sorted(d, iters, (1 - conf) / 2);
  *hi = quantile_sorted(d, iters, 1 - (1 - conf) / 2);
  ecai__free(d);
  return ECAI_OK;
}

/* ---- public API ----------------------------------------------------------------------- */

double ecai_stats_normal_cdf(double x) { return ecai__norm_cdf(x); }
double ecai_stats_normal_ppf(double p) { return ecai__norm_ppf(p); }
double ecai_stats_t_cdf(double t, double df) { return ecai__t_cdf(t, df); }
double ecai_stats_chi2_sf(double x, double df) { return ecai__chi2_sf(x, df); }

static ecai_status dump(char **out, size_t *out_len, json_t *j) {
  if (!j) return ecai__err(ECAI_ENOMEM, "stats: out of memory");
  ecai_status st = ecai__json_dump(out, out_len, j);
  json_decref(j);
  return st;
}

static bool conf_ok(double conf) { return conf > 0 && conf < 1; }

ecai_status ecai_stats_proportions_json(char **out, size_t *out_len, int64_t x_control, int64_t n_control,
                                        int64_t x_treatment, int64_t n_treatment, double confidence) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  if (n_control <= 0 || n_treatment <= 0 || x_control < 0 || x_treatment < 0 || x_control > n_control ||
      x_treatment > n_treatment || !conf_ok(confidence))
    return ecai__err(ECAI_EINVAL, "stats: need 0 <= x <= n, n > 0 and 0 < confidence < 1");
  ecai__prop_test r;
  ecai__prop_ztest(&r, (double)x_control, (double)n_control, (double)x_treatment, (double)n_treatment, confidence);
  json_t *j = json_pack("{s:{s:I,s:I,s:o},s:{s:I,s:I,s:o},s:o,s:o,s:o,s:o,s:[o,o],s:f}",
                        "control", "n", (json_int_t)n_control, "successes", (json_int_t)x_control, "rate",
                        ecai__jnum(r.p_c), "treatment", "n", (json_int_t)n_treatment, "successes",
                        (json_int_t)x_treatment, "rate", ecai__jnum(r.p_t), "diff", ecai__jnum(r.diff), "lift",
                        ecai__jnum(r.lift), "z", ecai__jnum(r.z), "p_value", ecai__jnum(r.p_value), "ci",
                        ecai__jnum(r.ci_lo), ecai__jnum(r.ci_hi), "confidence", confidence);
  return dump(out, out_len, j);
}

ecai_status ecai_stats_welch_json(char **out, size_t *out_len, const double *control, size_t n_control,
                                  const double *treatment, size_t n_treatment, double confidence) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(control);
  ECAI__CHECK_ARG(treatment);
  if (n_control < 2 || n_treatment < 2 || !conf_ok(confidence))
    return ecai__err(ECAI_EINVAL, "stats: Welch's test needs >= 2 values per group and 0 < confidence < 1");
  double ma, va, mb, vb;
  ecai__mean_var(control, n_control, &ma, &va);
  ecai__mean_var(treatment, n_treatment, &mb, &vb);
  ecai__welch w;
  ecai__welch_summary(&w, (double)n_control, ma, va, (double)n_treatment, mb, vb, confidence);
  json_t *j = json_pack("{s:{s:I,s:o,s:o},s:{s:I,s:o,s:o},s:o,s:o,s:o,s:o,s:o,s:[o,o],s:f}", "control", "n",
                        (json_int_t)n_control, "mean", ecai__jnum(ma), "variance", ecai__jnum(va), "treatment",
                        "n", (json_int_t)n_treatment, "mean", ecai__jnum(mb), "variance", ecai__jnum(vb), "diff",
                        ecai__jnum(w.diff), "lift", ecai__jnum(w.lift), "t", ecai__jnum(w.t), "df",
                        ecai__jnum(w.df), "p_value", ecai__jnum(w.p_value), "ci", ecai__jnum(w.ci_lo),
                        ecai__jnum(w.ci_hi), "confidence", confidence);
  return dump(out, out_len, j);
}

ecai_status ecai_stats_bootstrap_diff(double *out_lo, double *out_hi, const double *control, size_t n_control,
                                      const double *treatment, size_t n_treatment, size_t iterations,
                                      double confidence, uint64_t seed) {
  ECAI__CHECK_ARG(out_lo);
  ECAI__CHECK_ARG(out_hi);
  *out_lo = *out_hi = NAN;
  ECAI__CHECK_ARG(control);
  ECAI__CHECK_ARG(treatment);
  return ecai__bootstrap_diff(control, n_control, treatment, n_treatment, iterations, confidence, seed, out_lo,
                              out_hi);
}

ecai_status ecai_stats_srm(double *out_chi2, double *out_p, const int64_t *counts, const double *weights,
                           size_t k) {
  ECAI__CHECK_ARG(out_chi2);
  ECAI__CHECK_ARG(out_p);
  *out_chi2 = *out_p = NAN;
  ECAI__CHECK_ARG(counts);
  if (k < 2 || k > 1000) return ecai__err(ECAI_EINVAL, "stats: SRM needs 2..1000 groups (got %zu)", k);
  double c[1000];
  for (size_t i = 0; i < k; i++) {
    if (counts[i] < 0) return ecai__err(ECAI_EINVAL, "stats: SRM count %zu is negative", i);
    if (weights && !(weights[i] > 0)) return ecai__err(ECAI_EINVAL, "stats: SRM weight %zu must be > 0", i);
    c[i] = (double)counts[i];
  }
  double df;
  ecai__srm(c, weights, k, out_chi2, &df, out_p);
  return ECAI_OK;
}

/* Fleiss (no continuity correction): n per arm for baseline p1, target p2. */
static double n_for(double p1, double p2, double za, double zb) {
  double pb = (p1 + p2) / 2, d = p2 - p1;
  double s = za * sqrt(2 * pb * (1 - pb)) + zb * sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return s * s / (d * d);
}

ecai_status ecai_stats_sample_size(double *out_n_per_arm, double baseline, double mde_abs, double alpha,
                                   double power) {
  ECAI__CHECK_ARG(out_n_per_arm);
  *out_n_per_arm = NAN;
  if (!(baseline > 0 && baseline < 1) || !(mde_abs != 0) || !(baseline + mde_abs > 0 && baseline + mde_abs < 1) ||
      !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
    return ecai__err(ECAI_EINVAL, "stats: need 0 < baseline, baseline+mde < 1, mde != 0, 0 < alpha, power < 1");
  *out_n_per_arm = ceil(n_for(baseline, baseline + mde_abs, ecai__norm_ppf(1 - alpha / 2), ecai__norm_ppf(power)));
  return ECAI_OK;
}

ecai_status ecai_stats_mde(double *out_mde_abs, double baseline, double n_per_arm, double alpha, double power) {
  ECAI__CHECK_ARG(out_mde_abs);
  *out_mde_abs = NAN;
  if (!(baseline > 0 && baseline < 1) || !(n_per_arm >= 2) || !(alpha > 0 && alpha < 1) ||
      !(power > 0 && power < 1))
    return ecai__err(ECAI_EINVAL, "stats: need 0 < baseline < 1, n >= 2, 0 < alpha, power < 1");
  double za = ecai__norm_ppf(1 - alpha / 2), zb = ecai__norm_ppf(power);
  double lo = 1e-9, hi = 1 - baseline - 1e-9;
  if (n_for(baseline, baseline + hi, za, zb) > n_per_arm)
    return ecai__err(ECAI_EINVAL, "stats: no detectable increase with n = %g", n_per_arm);
  for (int i = 0; i < 200; i++) {
    double mid = 0.5 * (lo + hi);
    if (n_for(baseline, baseline + mid, za, zb) > n_per_arm) lo = mid;
    else hi = mid;
  }
  *out_mde_abs = hi;
  return ECAI_OK;
}
