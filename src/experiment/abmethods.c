/*
 * Inference methods of the A/B read-out beside the classical tests in stats.c:
 * Holm's step-down adjustment, the normal-mixture mSPRT (always-valid p-values),
 * the Bayesian read-out (Beta posteriors sampled from a seeded stream, or the normal
 * approximation) and CUPED's theta.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/exp_internal.h"

/* Holm (1979): sort ascending, adj_(j) = max_{i<=j} min(1, (m - i) p_(i)) (0-based). */
void ecai__holm(const double *p, double *adj, size_t m) {
  size_t *ord = ecai__malloc((m ? m : 1) * sizeof *ord);
  if (!ord) { /* Bonferroni needs no order: a valid (more conservative) fallback */
    for (size_t i = 0; i < m; i++) adj[i] = fmin(1, (double)m * p[i]);
    return;
  }
  for (size_t i = 0; i < m; i++) ord[i] = i;
  for (size_t i = 1; i < m; i++)
    for (size_t j = i; j > 0 && p[ord[j - 1]] > p[ord[j]]; j--) {
      size_t t = ord[j];
      ord[j] = ord[j - 1];
      ord[j - 1] = t;
    }
  double run = 0;
  for (size_t i = 0; i < m; i++) {
    double a = fmin(1, (double)(m - i) * p[ord[i]]);
    run = fmax(run, a);
    adj[ord[i]] = run;
  }
  ecai__free(ord);
}

/* log of the mixture likelihood ratio for an estimate d ~ N(delta, s2), H0 delta = 0,
 * mixing delta ~ N(0, tau2):  0.5 log(s2/(s2+tau2)) + d^2 tau2 / (2 s2 (s2+tau2)). */
double ecai__msprt_log_lr(double d, double s2, double tau2) {
  if (!(s2 > 0) || !(tau2 > 0) || !isfinite(d)) return 0;
  return 0.5 * log(s2 / (s2 + tau2)) + d * d * tau2 / (2 * s2 * (s2 + tau2));
}

/* standard normal draw (Box-Muller, one of the pair) */
static double norm_draw(uint64_t *s) {
  double u = ecai__u01(s), v = ecai__u01(s);
  return sqrt(-2 * log1p(-u)) * cos(2 * M_PI * v);
}

/* Gamma(a, 1) for a >= 1 (Marsaglia & Tsang 2000). */
static double gamma_draw(double a, uint64_t *s) {
  double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = norm_draw(s);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    double u = ecai__u01(s);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (log(u > 0 ? u : 1e-300) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
  }
}

static double beta_draw(double a, double b, uint64_t *s) {
  double x = gamma_draw(a, s), y = gamma_draw(b, s);
  return x / (x + y);
}

void ecai__bayes_beta(double x_c, double n_c, double x_t, double n_t, size_t draws, uint64_t seed,
                      double *p_beats, double *loss) {
  uint64_t s = seed;
  size_t wins = 0;
  double l = 0;
  for (size_t i = 0; i < draws; i++) {
    double pc = beta_draw(1 + x_c, 1 + n_c - x_c, &s), pt = beta_draw(1 + x_t, 1 + n_t - x_t, &s);
    if (pt > pc) wins++;
    if (pc > pt) l += pc - pt;
  }
  *p_beats = draws ? (double)wins / (double)draws : NAN;
  *loss = draws ? l / (double)draws : NAN;
}

void ecai__bayes_normal(double diff, double se, double *p_beats, double *loss) {
  if (!(se > 0)) {
    *p_beats = diff > 0 ? 1 : diff < 0 ? 0 : 0.5;
    *loss = diff < 0 ? -diff : 0;
    return;
  }
  double z = diff / se;
  *p_beats = ecai__norm_cdf(z);
  /* E[max(-delta, 0)] for delta ~ N(diff, se^2) */
  *loss = se * exp(-z * z / 2) / sqrt(2 * M_PI) - diff * ecai__norm_cdf(-z);
  if (*loss < 0) *loss = 0;
}

bool ecai__cuped_theta(const double *y, const double *x, size_t n, double *theta, double *mean_x,
                       size_t *missing) {
  double mx = 0, my = 0, sxx = 0, sxy = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(x[i])) continue;
    k++;
    double dx = x[i] - mx, dy = y[i] - my;
    mx += dx / (double)k;
    my += dy / (double)k;
    sxx += dx * (x[i] - mx);
    sxy += dx * (y[i] - my);
  }
  *missing = n - k;
  *mean_x = k ? mx : NAN;
  *theta = sxx > 0 ? sxy / sxx : 0;
  return k > 0;
}
