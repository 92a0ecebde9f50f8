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

/* ---- group-sequential design: Lan-DeMets O'Brien-Fleming-type spending ------------- */

enum { GRID = 81 }; /* odd: Simpson's rule */

/* alpha spent (both sides) by information fraction t: each side spends
 * alpha_s(t) = 2 - 2 Phi(z_{1-alpha/4} / sqrt t), the Lan-DeMets O'Brien-Fleming-type
 * function for one-sided level alpha/2 (the convention of ldbounds and gsDesign). */
static double spend(double t, double zq) { return 4 * (1 - ecai__norm_cdf(zq / sqrt(t))); }

static void grid(double *y, double *w, double c) {
  c = fmin(c, 8); /* the density beyond +-8 is negligible */
  double h = 2 * c / (GRID - 1);
  for (int i = 0; i < GRID; i++) {
    y[i] = -c + h * i;
    w[i] = h / 3 * (i == 0 || i == GRID - 1 ? 1 : i % 2 ? 4 : 2);
  }
}

/* Boundaries look by look; with z, stops at the first look where |z_j| >= c_j and
 * returns its index + 1 (0 when none; c is then filled up to k). */
static size_t obf_bounds(const double *t, size_t k, double alpha, double *c, const double *z) {
  if (!k) return 0;
  double zh = ecai__norm_ppf(1 - alpha / 4), y[GRID], w[GRID], f[GRID], g[GRID];
  const double isd2pi = 1 / sqrt(2 * M_PI);
  c[0] = fmin(40, ecai__norm_ppf(1 - spend(t[0], zh) / 2));
  if (z && fabs(z[0]) >= c[0]) return 1;
  grid(y, w, c[0]);
  for (int i = 0; i < GRID; i++) f[i] = exp(-y[i] * y[i] / 2) * isd2pi;
  for (size_t j = 1; j < k; j++) {
    double r = sqrt(t[j - 1] / t[j]), sd = sqrt(1 - r * r);
    double target = spend(t[j], zh) - spend(t[j - 1], zh);
    if (!(sd > 1e-9) || !(target > 0)) { /* no new information: nothing to spend */
      c[j] = INFINITY;
      continue;
    }
    /* exit probability e(x) decreases in x: safeguarded Newton from the last boundary */
    double lo = 0, hi = 40, x = fmin(c[j - 1], 39);
    for (int it = 0; it < 60; it++) {
      double e = 0, de = 0;
      for (int i = 0; i < GRID; i++) {
        double u1 = (-x - r * y[i]) / sd, u2 = (-x + r * y[i]) / sd;
        e += w[i] * f[i] * (ecai__norm_cdf(u1) + ecai__norm_cdf(u2));
        de -= w[i] * f[i] * (exp(-u1 * u1 / 2) + exp(-u2 * u2 / 2)) * isd2pi / sd;
      }
      if (e > target) lo = x;
      else hi = x;
      double nx = de < 0 ? x - (e - target) / de : NAN;
      if (!(nx > lo && nx < hi)) nx = 0.5 * (lo + hi);
      if (fabs(nx - x) < 1e-9 || hi - lo < 1e-9) {
        x = nx;
        break;
      }
      x = nx;
    }
    c[j] = x;
    if (z && fabs(z[j]) >= c[j]) return j + 1;
    if (j + 1 == k) break;
    double cg = fmin(c[j], 8), h = 2 * cg / (GRID - 1);
    for (int m = 0; m < GRID; m++) {
      double yn = -cg + h * m, acc = 0;
      for (int i = 0; i < GRID; i++) {
        double u = (yn - r * y[i]) / sd;
        acc += w[i] * f[i] * exp(-u * u / 2);
      }
      g[m] = acc * isd2pi / sd;
    }
    grid(y, w, c[j]);
    memcpy(f, g, sizeof f);
  }
  return 0;
}

void ecai__gst_obf_bounds(const double *t, size_t k, double alpha, double *c) { obf_bounds(t, k, alpha, c, NULL); }

static bool crosses(const double *t, const double *z, size_t k, double alpha, double *c) {
  return obf_bounds(t, k, alpha, c, z) > 0;
}

double ecai__gst_repeated_p(const double *t, const double *z, size_t k, double *c) {
  if (!crosses(t, z, k, 0.999999, c)) return 1;
  double lo = log(1e-12), hi = log(0.999999); /* bisection on log alpha: crossing at hi */
  if (crosses(t, z, k, exp(lo), c)) return exp(lo);
  for (int it = 0; it < 24; it++) { /* log alpha within 2e-6 */
    double mid = 0.5 * (lo + hi);
    if (crosses(t, z, k, exp(mid), c)) hi = mid;
    else lo = mid;
  }
  return exp(hi);
}
