/* Demand estimation for one product: price tiers, Poisson IRLS, out-of-time validation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "experiment/exp_internal.h"
#include "pricing/demand.h"

#define MAXK 32     /* model columns */
#define MAXSEG 6    /* segment tiers (the rest pooled in one) */
#define MAXSIZE 4   /* order-size tiers */
#define MAXPERIODS 4000 /* model rows per tier (memory: periods x tiers x columns) */
#define MAXT 20     /* tiers in all (segment tiers are pooled further to stay below) */

static int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t day_of(int64_t ts) { return floordiv(ts, 86400); }
static int64_t period_of(int64_t ts, int weekly) { return weekly ? floordiv(day_of(ts) + 3, 7) : day_of(ts); }

/* Cholesky solve of the k x k SPD system A x = r; inverse into inv when non-NULL. false if singular. */
static bool chol_solve(const double *A, const double *r, int k, double *x, double *inv) {
  double L[MAXK * MAXK];
  memset(L, 0, sizeof L);
  for (int i = 0; i < k; i++)
    for (int j = 0; j <= i; j++) {
      double s = A[i * k + j];
      for (int m = 0; m < j; m++) s -= L[i * k + m] * L[j * k + m];
      if (i == j) {
        if (!(s > 1e-12 * (fabs(A[i * k + i]) + 1e-300))) return false;
        L[i * k + i] = sqrt(s);
      } else L[i * k + j] = s / L[j * k + j];
    }
  double y[MAXK], e[MAXK];
  for (int c = -1; c < (inv ? k : 0); c++) {
    const double *rhs = r;
    if (c >= 0) {
      for (int i = 0; i < k; i++) e[i] = i == c;
      rhs = e;
    }
    for (int i = 0; i < k; i++) {
      double s = rhs[i];
      for (int m = 0; m < i; m++) s -= L[i * k + m] * y[m];
      y[i] = s / L[i * k + i];
    }
    for (int i = k; i-- > 0;) {
      double s = y[i];
      for (int m = i + 1; m < k; m++) s -= L[m * k + i] * (c >= 0 ? inv[m * k + c] : x[m]);
      if (c >= 0) inv[i * k + c] = s / L[i * k + i];
      else x[i] = s / L[i * k + i];
    }
  }
  return true;
}

typedef struct {
  int k, nrows;
  const double *X; /* nrows x k */
  const double *y, *pw;
  const unsigned char *use;
  double prec, mean; /* normal prior on coefficient 0: precision (0 = none) and mean */
} glm;

static double pois_dev(double y, double mu) { return 2 * ((y > 0 ? y * log(y / mu) : 0) - (y - mu)); }

/* Weighted Poisson IRLS with log link. Returns false when it cannot be fitted. */
static bool irls(const glm *g, double *beta, double *cov, double *dev, double *mu) {
  int k = g->k;
  double A[MAXK * MAXK], r[MAXK], nb[MAXK];
  double ybar = 0, wsum = 0;
  for (int i = 0; i < g->nrows; i++)
    if (g->use[i]) ybar += g->y[i], wsum += 1;
  if (wsum < k + 2 || ybar <= 0) return false;
  ybar /= wsum;
  for (int i = 0; i < g->nrows; i++) mu[i] = g->use[i] ? (g->y[i] + ybar) / 2 : 0;
  double last = INFINITY;
  bool have = false;
  for (int it = 0; it < 60; it++) {
    memset(A, 0, sizeof A);
    memset(r, 0, sizeof r);
    for (int i = 0; i < g->nrows; i++) {
      if (!g->use[i]) continue;
      const double *x = g->X + (size_t)i * k;
      double m = mu[i] > 1e-300 ? mu[i] : 1e-300;
      double w = g->pw[i] * m, z = (have ? 0 : log(m)) + (g->y[i] - m) / m;
      if (have)
        for (int a = 0; a < k; a++) z += x[a] * beta[a];
      for (int a = 0; a < k; a++) {
        r[a] += w * x[a] * z;
        for (int b = 0; b <= a; b++) A[a * k + b] += w * x[a] * x[b];
      }
    }
    for (int a = 0; a < k; a++)
      for (int b = a + 1; b < k; b++) A[a * k + b] = A[b * k + a];
    A[0] += g->prec, r[0] += g->prec * g->mean; /* penalised (posterior mode) step */
    if (!chol_solve(A, r, k, nb, NULL)) return false;
    double step = 1, d = INFINITY;
    for (int h = 0; h < 30; h++) { /* step halving when the deviance rises */
      d = 0;
      for (int i = 0; i < g->nrows && isfinite(d); i++) {
        if (!g->use[i]) continue;
        double eta = 0;
        const double *x = g->X + (size_t)i * k;
        for (int a = 0; a < k; a++) eta += x[a] * (have ? beta[a] + step * (nb[a] - beta[a]) : nb[a]);
        if (eta > 700) d = INFINITY;
        else mu[i] = exp(eta), d += g->pw[i] * pois_dev(g->y[i], mu[i]);
      }
      double b0 = have ? beta[0] + step * (nb[0] - beta[0]) : nb[0];
      d += g->prec * (b0 - g->mean) * (b0 - g->mean);
      if (!have || d <= last * (1 + 1e-12) + 1e-300) break;
      step /= 2;
    }
    if (!isfinite(d)) return false;
    for (int a = 0; a < k; a++) beta[a] = have ? beta[a] + step * (nb[a] - beta[a]) : nb[a];
    bool done = have && fabs(last - d) <= 1e-11 * (fabs(d) + 1e-9);
    have = true;
    last = d;
    if (done) break;
  }
  *dev = last;
  memset(A, 0, sizeof A);
  for (int i = 0; i < g->nrows; i++) {
    if (!g->use[i]) continue;
    const double *x = g->X + (size_t)i * k;
    double w = g->pw[i] * mu[i];
    for (int a = 0; a < k; a++)
      for (int b = 0; b <= a; b++) A[a * k + b] += w * x[a] * x[b];
  }
  for (int a = 0; a < k; a++)
    for (int b = a + 1; b < k; b++) A[a * k + b] = A[b * k + a];
  A[0] += g->prec;
  return chol_solve(A, r, k, nb, cov);
}

/* ---- tiers ----------------------------------------------------------------------- */

typedef struct {
  int64_t day;
  int seg;
  size_t i;
} dayref;

static int cmp_dayref(const void *a, const void *b) {
  const dayref *x = a, *y = b;
  if (x->day != y->day) return x->day < y->day ? -1 : 1;
  if (x->seg != y->seg) return x->seg < y->seg ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

typedef struct {
  double q;
  int low;
} qlab;

static int cmp_qlab(const void *a, const void *b) {
  double x = ((const qlab *)a)->q, y = ((const qlab *)b)->q;
  return x < y ? -1 : x > y;
}

/* Best order-size threshold among orders with lo <= qty < hi: on days (and segments)
 * where these orders have several prices, the threshold that best separates the orders
 * below the day's top price (cheaper) from the others, by size. NaN when the cheaper
 * orders are not the bigger ones (> 15 % misplaced) or such days are rare. */
static double best_threshold(const ecai__dm_obs *o, const dayref *dr, size_t n, double lo, double hi, qlab *ql) {
  size_t nq = 0, multi = 0, groups2 = 0;
  for (size_t s = 0; s < n;) {
    size_t e = s + 1, in = 0;
    while (e < n && dr[e].day == dr[s].day && dr[e].seg == dr[s].seg) e++;
    double top = 0, bottom = INFINITY;
    for (size_t j = s; j < e; j++) {
      const ecai__dm_obs *x = &o[dr[j].i];
      if (x->qty < lo || x->qty >= hi) continue;
      in++;
      top = fmax(top, x->price);
      bottom = fmin(bottom, x->price);
    }
    if (in >= 2) {
      groups2++;
      if (bottom < top * 0.995) {
        multi++;
        for (size_t j = s; j < e; j++) {
          const ecai__dm_obs *x = &o[dr[j].i];
          if (x->qty >= lo && x->qty < hi) ql[nq++] = (qlab){x->qty, x->price < top * 0.995};
        }
      }
    }
    s = e;
  }
  if (multi < 3 || (double)multi < 0.1 * (double)groups2) return NAN;
  qsort(ql, nq, sizeof *ql, cmp_qlab);
  size_t lows = 0, best = nq + 1, lowbelow = 0;
  for (size_t i = 0; i < nq; i++) lows += ql[i].low;
  double bq = NAN;
  for (size_t i = 0; i < nq; i++) { /* errors: cheaper below the threshold + top price from it on */
    if (i > 0 && ql[i].q > ql[i - 1].q) {
      size_t err = lowbelow + ((nq - i) - (lows - lowbelow));
      if (err < best) best = err, bq = ql[i].q;
    }
    lowbelow += ql[i].low;
  }
  return (double)best <= 0.15 * (double)nq ? bq : NAN;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void find_thresholds(const ecai__dm_obs *o, const dayref *dr, size_t n, double lo, double hi, int depth,
                            double *thr, int *nthr, qlab *ql) {
  if (depth >= 2 || *nthr >= MAXSIZE - 1) return;
  double q = best_threshold(o, dr, n, lo, hi, ql);
  if (isnan(q)) return;
  thr[(*nthr)++] = q;
  find_thresholds(o, dr, n, lo, q, depth + 1, thr, nthr, ql);
  find_thresholds(o, dr, n, q, hi, depth + 1, thr, nthr, ql);
}

static int size_class(const double *thr, int nthr, double q) {
  int c = 0;
  while (c < nthr && q >= thr[c]) c++;
  return c;
}

/* Order-size tiers: up to MAXSIZE - 1 thresholds (sorted into thr). *mixed: on >= 20 % of
 * the days with several orders (and at least 3), orders of one size class still paid
 * different prices: prices depend on something the data does not show. */
static ecai_status size_tiers(const ecai__dm_obs *o, const dayref *dr, size_t n, double *thr, int *nthr, int *mixed) {
  *nthr = 0;
  *mixed = 0;
  qlab *ql = ecai__malloc((n ? n : 1) * sizeof *ql);
  if (!ql) return ECAI_ENOMEM;
  find_thresholds(o, dr, n, -INFINITY, INFINITY, 0, thr, nthr, ql);
  ecai__free(ql);
  qsort(thr, (size_t)*nthr, sizeof *thr, cmp_dbl);
  size_t groups2 = 0, bad = 0;
  for (size_t s = 0; s < n;) {
    size_t e = s + 1;
    while (e < n && dr[e].day == dr[s].day && dr[e].seg == dr[s].seg) e++;
    if (e - s >= 2) {
      groups2++;
      double top[MAXSIZE], bottom[MAXSIZE];
      for (int c = 0; c < MAXSIZE; c++) top[c] = 0, bottom[c] = INFINITY;
      for (size_t j = s; j < e; j++) {
        const ecai__dm_obs *x = &o[dr[j].i];
        int c = size_class(thr, *nthr, x->qty);
        top[c] = fmax(top[c], x->price);
        bottom[c] = fmin(bottom[c], x->price);
      }
      bool differ = false;
      for (int c = 0; c <= *nthr; c++) differ |= bottom[c] < top[c] * 0.995;
      bad += differ;
    }
    s = e;
  }
  *mixed = bad >= 3 && (double)bad >= 0.2 * (double)groups2;
  return ECAI_OK;
}

/* ---- the estimate ----------------------------------------------------------------- */

static double sd_of(const double *v, size_t n) {
  if (n < 2) return 0;
  double m = 0, s = 0;
  for (size_t i = 0; i < n; i++) m += v[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
  return sqrt(s / (double)(n - 1));
}

typedef struct {
  int T, k, np, weekly, ndow, nfour, trend;
  int64_t p0;
  double prec, pmean; /* prior on the elasticity (see ecai__dm_opts) */
  double *X, *y, *lnp, *pw, *mu;
  int *tier;
  int64_t *per;
  unsigned char *use;
} model;

/* Column layout: 0 ln price, 1..T-1 tier levels, T intercept, then trend, weekday, season. */
static void fill_x(model *m, int i) {
  double *x = m->X + (size_t)i * m->k;
  int c = 0;
  x[c++] = m->lnp[i];
  for (int t = 1; t < m->T; t++) x[c++] = m->tier[i] == t;
  x[c++] = 1;
  double u = m->np > 1 ? (double)(m->per[i] - m->p0) / (double)(m->np - 1) : 0;
  if (m->trend) x[c++] = 2 * u - 1;
  if (m->ndow) {
    int dow = (int)(((m->per[i] + 3) % 7 + 7) % 7); /* 0 = Monday */
    for (int d = 1; d < 7; d++) x[c++] = dow == d;
  }
  for (int h = 1; h <= m->nfour; h++) {
    x[c++] = sin(2 * M_PI * h * u);
    x[c++] = cos(2 * M_PI * h * u);
  }
}

/* Weighted least squares R² of ln price on the controls (tier levels, trend, weekday,
 * season), relative to the within-tier variance: how much of the price movement the
 * controls already explain. */
static double controls_r2(const model *m) {
  int k = m->k - 1;
  double A[MAXK * MAXK] = {0}, r[MAXK] = {0}, beta[MAXK];
  for (int i = 0; i < m->T * m->np; i++) {
    const double *x = m->X + (size_t)i * m->k + 1;
    for (int a = 0; a < k; a++) {
      r[a] += x[a] * m->lnp[i];
      for (int b = 0; b <= a; b++) A[a * k + b] += x[a] * x[b];
    }
  }
  for (int a = 0; a < k; a++)
    for (int b = a + 1; b < k; b++) A[a * k + b] = A[b * k + a];
  if (!chol_solve(A, r, k, beta, NULL)) return 1;
  double tm[MAXT] = {0}, tn[MAXT] = {0}, rss = 0, tss = 0;
  for (int i = 0; i < m->T * m->np; i++) tm[m->tier[i]] += m->lnp[i], tn[m->tier[i]] += 1;
  for (int i = 0; i < m->T * m->np; i++) {
    const double *x = m->X + (size_t)i * m->k + 1;
    double f = 0;
    for (int a = 0; a < k; a++) f += x[a] * beta[a];
    double d0 = m->lnp[i] - tm[m->tier[i]] / tn[m->tier[i]];
    rss += (m->lnp[i] - f) * (m->lnp[i] - f);
    tss += d0 * d0;
  }
  return tss > 0 ? 1 - rss / tss : 1;
}

/* Fits rows with use[] set; per-tier quasi-Poisson dispersion, then a weighted refit. */
static bool fit_model(model *m, double *beta, double *cov, double *phi_t, double *dev_out) {
  glm g = {m->k, m->T * m->np, m->X, m->y, m->pw, m->use, m->prec, m->pmean};
  double dev;
  for (int i = 0; i < g.nrows; i++) m->pw[i] = 1;
  if (!irls(&g, beta, cov, &dev, m->mu)) return false;
  double pear[MAXT] = {0}, cnt[MAXT] = {0}, nuse = 0;
  for (int i = 0; i < g.nrows; i++)
    if (m->use[i]) {
      double mu = m->mu[i] > 1e-300 ? m->mu[i] : 1e-300;
      pear[m->tier[i]] += (m->y[i] - mu) * (m->y[i] - mu) / mu;
      cnt[m->tier[i]] += 1;
      nuse += 1;
    }
  for (int t = 0; t < m->T; t++) {
    double df = cnt[t] * (1 - (double)m->k / nuse);
    phi_t[t] = df > 0 && pear[t] > 0 ? pear[t] / df : 1;
    if (phi_t[t] < 1e-9) phi_t[t] = 1e-9;
  }
  for (int i = 0; i < g.nrows; i++) m->pw[i] = 1 / phi_t[m->tier[i]];
  if (!irls(&g, beta, cov, &dev, m->mu)) return false;
  double s = 0;
  for (int i = 0; i < g.nrows; i++)
    if (m->use[i]) {
      double mu = m->mu[i] > 1e-300 ? m->mu[i] : 1e-300;
      s += m->pw[i] * (m->y[i] - mu) * (m->y[i] - mu) / mu;
    }
  s /= nuse - m->k > 1 ? nuse - m->k : 1;
  if (s < 1) s = 1; /* per-tier scales already estimated; do not shrink them again */
  for (int a = 0; a < m->k * m->k; a++) cov[a] *= s;
  for (int t = 0; t < m->T; t++) phi_t[t] *= s;
  *dev_out = dev;
  return true;
}

static void validate(model *m, const ecai__dm_opts *opt, ecai__dm_fit *f, const double *phi_full) {
  f->validated = 0;
  int split = (int)floor((double)m->np * (1 - opt->validation_share));
  int recent = m->weekly ? 4 : 28;
  if (split < 2 * m->k || m->np - split < (m->weekly ? 2 : 7)) {
    f->validation_detail = "history_too_short_to_hold_out";
    return;
  }
  if (recent > split / 2) recent = split / 2;
  int rows = m->T * m->np;
  for (int i = 0; i < rows; i++) m->use[i] = m->per[i] - m->p0 < split;
  /* fit-part price variation within tiers */
  double tm[MAXT] = {0}, tn[MAXT] = {0}, ss = 0, nn = 0;
  for (int i = 0; i < rows; i++)
    if (m->use[i]) tm[m->tier[i]] += m->lnp[i], tn[m->tier[i]] += 1;
  for (int i = 0; i < rows; i++)
    if (m->use[i]) {
      double d = m->lnp[i] - tm[m->tier[i]] / tn[m->tier[i]];
      ss += d * d, nn += 1;
    }
  if (nn < 2 || sqrt(ss / (nn - 1)) < opt->min_var / 2) {
    f->validation_detail = "no_price_change_before_the_validation_window";
    return;
  }
  double beta[MAXK], cov[MAXK * MAXK], phi[MAXT], dev;
  if (!fit_model(m, beta, cov, phi, &dev)) {
    f->validation_detail = "earlier_part_cannot_be_fitted";
    return;
  }
  double b = beta[0];
  int cdow = m->T + 1 + m->trend; /* first weekday column */
  double dm = 0, d0 = 0;
  bool moved = false;
  size_t vp = 0;
  for (int t = 0; t < m->T; t++) {
    double sy = 0, sm = 0, s0 = 0, lnref = 0, nref = 0;
    for (int i = 0; i < rows; i++) {
      int rel = (int)(m->per[i] - m->p0);
      if (m->tier[i] != t || rel < split - recent || rel >= split) continue;
      const double *x = m->X + (size_t)i * m->k;
      double dw = 0;
      for (int d = 0; d < 6 && m->ndow; d++) dw += x[cdow + d] * beta[cdow + d];
      sy += m->y[i];
      sm += exp(dw + b * m->lnp[i]);
      s0 += exp(dw);
      lnref += m->lnp[i], nref += 1;
    }
    if (!(sm > 0) || !(s0 > 0)) continue;
    lnref /= nref;
    double tmin = INFINITY, tmax = -INFINITY, tsum = 0, tcnt = 0;
    for (int i = 0; i < rows; i++)
      if (m->tier[i] == t && m->per[i] - m->p0 >= split) {
        tmin = fmin(tmin, m->lnp[i]), tmax = fmax(tmax, m->lnp[i]);
        tsum += m->lnp[i], tcnt += 1;
      }
    /* the later part moved: prices changed within it, or it sits away from the recent level */
    if (tcnt > 0 && (tmax - tmin > 0.005 || fabs(tsum / tcnt - lnref) >= opt->min_var)) moved = true;
    double lm = (sy + 0.5) / sm, l0 = (sy + 0.5) / s0;
    for (int i = 0; i < rows; i++) {
      if (m->tier[i] != t || m->per[i] - m->p0 < split) continue;
      const double *x = m->X + (size_t)i * m->k;
      double dw = 0;
      for (int d = 0; d < 6 && m->ndow; d++) dw += x[cdow + d] * beta[cdow + d];
      double w = 1 / phi_full[t];
      dm += w * pois_dev(m->y[i], lm * exp(dw + b * m->lnp[i]));
      d0 += w * pois_dev(m->y[i], l0 * exp(dw));
      if (t == 0) vp++;
    }
  }
  f->val_periods = vp;
  f->val_b = b;
  f->val_dev_model = dm;
  f->val_dev_no_change = d0;
  if (!moved) {
    f->validation_detail = "no_price_change_in_the_validation_window";
    return;
  }
  if (dm < d0) f->validated = 1;
  else f->validation_detail = "does_not_beat_the_no_change_forecast";
}

ecai_status ecai__dm_estimate(const ecai__dm_obs *o, size_t n, const ecai__dm_opts *opt, ecai__dm_fit *f) {
  memset(f, 0, sizeof *f);
  f->b = f->se = f->lo = f->hi = f->r2 = f->dispersion = f->size_threshold = NAN;
  f->val_b = f->val_dev_model = f->val_dev_no_change = NAN;
  f->basis = "none";
  f->tiers = 1;
  f->validated = -1;
  if (!n) return ECAI_OK;
  ecai_status st = ECAI_OK;
  dayref *dr = ecai__malloc(n * sizeof *dr);
  double *lp = ecai__malloc(n * sizeof *lp);
  model m = {0};
  if (!dr || !lp) goto oom;
  /* distinct prices, overall variation */
  for (size_t i = 0; i < n; i++) lp[i] = floor(o[i].price * 100 + 0.5);
  qsort(lp, n, sizeof *lp, cmp_dbl);
  f->distinct = 1;
  for (size_t i = 1; i < n; i++) f->distinct += lp[i] != lp[i - 1];
  for (size_t i = 0; i < n; i++) lp[i] = log(o[i].price);
  f->sd_all = sd_of(lp, n);
  /* segment tiers: segments with >= 5 % of the orders, the rest pooled */
  uint32_t segs[MAXSEG];
  int nseg = 0, pooled = 0;
  {
    uint32_t maxseg = 0;
    for (size_t i = 0; i < n; i++) maxseg = o[i].seg > maxseg ? o[i].seg : maxseg;
    if (maxseg > 0) {
      size_t *cnt = ecai__calloc((size_t)maxseg + 1, sizeof *cnt);
      if (!cnt) goto oom;
      for (size_t i = 0; i < n; i++) cnt[o[i].seg]++;
      for (int k2 = 0; k2 < MAXSEG; k2++) { /* the largest segments first */
        size_t best = 0;
        uint32_t bs = 0;
        for (uint32_t s = 0; s <= maxseg; s++)
          if (cnt[s] > best) best = cnt[s], bs = s;
        if (!best || (double)best < 0.05 * (double)n) break;
        segs[nseg++] = bs;
        cnt[bs] = 0;
      }
      for (uint32_t s = 0; s <= maxseg; s++) pooled |= cnt[s] > 0;
      ecai__free(cnt);
      if (nseg + pooled < 2) nseg = 0, pooled = 0;
    }
  }
  int nsegt = nseg + pooled ? nseg + pooled : 1;
  for (size_t i = 0; i < n; i++) {
    int s = nseg ? nseg : 0;
    for (int k2 = 0; k2 < nseg; k2++)
      if (o[i].seg == segs[k2]) s = k2;
    dr[i] = (dayref){day_of(o[i].ts), nsegt > 1 ? s : 0, i};
  }
  qsort(dr, n, sizeof *dr, cmp_dayref);
  double thr[MAXSIZE];
  int nthr, mixed;
  if ((st = size_tiers(o, dr, n, thr, &nthr, &mixed))) goto done;
  f->size_threshold = nthr ? thr[0] : NAN;
  int sizes = nthr + 1;
  f->basis = nsegt > 1 ? (sizes > 1 ? "segment+order_size" : "segment") : (sizes > 1 ? "order_size" : "none");
  /* periods and tiers */
  int64_t pmin = period_of(o[0].ts, opt->weekly), pmax = pmin;
  for (size_t i = 0; i < n; i++) {
    int64_t pp = period_of(o[i].ts, opt->weekly);
    pmin = pp < pmin ? pp : pmin;
    pmax = pp > pmax ? pp : pmax;
  }
  if (pmax - pmin >= MAXPERIODS) { /* over ten years of days: weeks; over 75 years of weeks: no model */
    ecai__dm_opts o2 = *opt;
    o2.weekly = 1;
    ecai__free(dr);
    ecai__free(lp);
    if (!opt->weekly) return ecai__dm_estimate(o, n, &o2, f);
    f->unidentified = "history_spans_too_many_periods";
    f->cells = n; /* orders: the span, not the amount of data, is the problem */
    return ECAI_OK;
  }
  int raw_t = nsegt * sizes, tmap[MAXSEG * MAXSIZE + MAXSIZE], T = 0;
  for (int t = 0; t < raw_t; t++) tmap[t] = -1;
  int *otier = (int *)ecai__malloc(n * sizeof *otier);
  if (!otier) goto oom;
  for (size_t j = 0; j < n; j++) {
    const ecai__dm_obs *x = &o[dr[j].i];
    int t = dr[j].seg * sizes + size_class(thr, nthr, x->qty);
    otier[dr[j].i] = t;
  }
  /* tier 0 = the tier with the most orders (the base) */
  size_t tc[MAXSEG * MAXSIZE + MAXSIZE] = {0};
  for (size_t i = 0; i < n; i++) tc[otier[i]]++;
  for (int k2 = 0; k2 < raw_t; k2++) {
    int bt = -1;
    for (int t = 0; t < raw_t; t++)
      if (tmap[t] < 0 && tc[t] && (bt < 0 || tc[t] > tc[bt])) bt = t;
    if (bt < 0) break;
    tmap[bt] = T < MAXT ? T++ : T - 1; /* the smallest tiers beyond MAXT share the last level */
  }
  m.T = T, m.np = (int)(pmax - pmin + 1), m.p0 = pmin, m.weekly = opt->weekly;
  m.prec = opt->prior_sd > 0 ? 1 / (opt->prior_sd * opt->prior_sd) : 0, m.pmean = opt->prior_mean;
  m.trend = m.np >= 3;
  m.ndow = !opt->weekly && m.np >= 21 ? 6 : 0;
  m.nfour = (opt->weekly ? m.np >= 17 : m.np >= 120) ? 1 : 0;
  m.k = 1 + T + m.trend + m.ndow + 2 * m.nfour;
  f->tiers = T;
  f->periods = (size_t)m.np;
  size_t rows = (size_t)T * (size_t)m.np;
  m.X = ecai__malloc(rows * (size_t)m.k * sizeof *m.X);
  m.y = ecai__calloc(rows, sizeof *m.y);
  m.lnp = ecai__calloc(rows, sizeof *m.lnp);
  m.pw = ecai__malloc(rows * sizeof *m.pw);
  m.mu = ecai__malloc(rows * sizeof *m.mu);
  m.tier = ecai__malloc(rows * sizeof *m.tier);
  m.per = ecai__malloc(rows * sizeof *m.per);
  m.use = ecai__malloc(rows);
  double *qs = ecai__calloc(rows, sizeof *qs);
  if (!m.X || !m.y || !m.lnp || !m.pw || !m.mu || !m.tier || !m.per || !m.use || !qs) {
    ecai__free(otier);
    ecai__free(qs);
    goto oom;
  }
  for (size_t i = 0; i < n; i++) {
    size_t r = (size_t)tmap[otier[i]] * (size_t)m.np + (size_t)(period_of(o[i].ts, opt->weekly) - pmin);
    m.y[r] += o[i].qty;
    m.lnp[r] += o[i].qty * log(o[i].price);
    qs[r] += o[i].qty;
  }
  ecai__free(otier);
  for (int t = 0; t < T; t++) { /* quantity-weighted ln price; days without sales carry the tier's price */
    size_t base = (size_t)t * (size_t)m.np;
    double last = NAN;
    for (int pp = 0; pp < m.np; pp++) {
      size_t r = base + (size_t)pp;
      m.tier[r] = t, m.per[r] = pmin + pp, m.use[r] = 1;
      if (qs[r] > 0) m.lnp[r] /= qs[r], last = m.lnp[r], f->cells++;
      else m.lnp[r] = last;
    }
    last = NAN;
    for (int pp = m.np; pp-- > 0;) {
      size_t r = base + (size_t)pp;
      if (isnan(m.lnp[r])) m.lnp[r] = last;
      else last = m.lnp[r];
    }
  }
  ecai__free(qs);
  /* within-tier variation over time */
  {
    double ss = 0, tot = 0;
    for (int t = 0; t < T; t++) {
      double mean = 0;
      for (int pp = 0; pp < m.np; pp++) mean += m.lnp[(size_t)t * m.np + pp];
      mean /= m.np;
      for (int pp = 0; pp < m.np; pp++) {
        double d = m.lnp[(size_t)t * m.np + pp] - mean;
        ss += d * d;
      }
      tot += m.np;
    }
    f->sd_within = tot > 1 ? sqrt(ss / (tot - 1)) : 0;
  }
  for (size_t i = 0; i < rows; i++) fill_x(&m, (int)i);
  if (f->sd_within < opt->min_var) {
    if (mixed) f->unidentified = "prices_vary_between_orders_of_the_same_day";
    else if (f->sd_all >= opt->min_var && T > 1)
      f->unidentified = nsegt > 1 && sizes == 1 ? "prices_differ_only_by_segment" : "prices_set_only_by_order_size";
    goto done;
  }
  if (mixed) f->unidentified = "prices_vary_between_orders_of_the_same_day";
  else if (m.k > 2 && f->sd_within * sqrt(fmax(0, 1 - controls_r2(&m))) < opt->min_var)
    f->unidentified = "price_changes_coincide_with_trend_or_season";
  if ((double)rows < m.k + 3) goto done;
  double beta[MAXK], cov[MAXK * MAXK], phi[MAXT], dev;
  if (!fit_model(&m, beta, cov, phi, &dev)) goto done;
  f->b = beta[0];
  f->se = sqrt(cov[0] > 0 ? cov[0] : 0);
  double df = (double)rows - m.k, tc975 = df >= 1 ? ecai__t_ppf(0.975, df) : NAN;
  f->lo = f->b - tc975 * f->se;
  f->hi = f->b + tc975 * f->se;
  f->dispersion = phi[0];
  /* deviance explained beyond the tier levels */
  double dnull = 0, ty[MAXT] = {0}, tn2[MAXT] = {0};
  for (size_t i = 0; i < rows; i++) ty[m.tier[i]] += m.y[i], tn2[m.tier[i]] += 1;
  for (size_t i = 0; i < rows; i++) dnull += m.pw[i] * pois_dev(m.y[i], ty[m.tier[i]] / tn2[m.tier[i]]);
  f->r2 = dnull > 0 ? 1 - dev / dnull : 1;
  if (f->r2 < 0) f->r2 = 0;
  if (opt->validation_share > 0 && !f->unidentified) validate(&m, opt, f, phi);
  goto done;
oom:
  st = ECAI_ENOMEM;
done:
  ecai__free(dr);
  ecai__free(lp);
  ecai__free(m.X);
  ecai__free(m.y);
  ecai__free(m.lnp);
  ecai__free(m.pw);
  ecai__free(m.mu);
  ecai__free(m.tier);
  ecai__free(m.per);
  ecai__free(m.use);
  return st;
}
