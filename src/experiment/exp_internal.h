/*
 * Internal helpers of the experiment and pricing modules (never installed):
 * xxHash (private, inlined), a string hash map, a small CSV record reader over
 * zlib (plain or gzip files), date parsing and the statistical distributions.
 */
#ifndef ECAI_EXPERIMENT_INTERNAL_H
#define ECAI_EXPERIMENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "core/internal.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* String -> index maps: ecai__smap in core/internal.h (keys owned by the map). */

/* ---- CSV reader (RFC 4180: quotes, doubled quotes, CRLF; gzip transparent) -- */
typedef struct ecai__csv {
  gzFile gz;              /* file source, or NULL for memory */
  const char *mem;        /* memory source */
  size_t mem_len, mem_pos;
  char *line;             /* current record buffer */
  size_t line_cap;
  char **fields;
  size_t nfields, fields_cap;
  size_t lineno;          /* physical line number of the record's end */
  char delim;
} ecai__csv;
ecai_status ecai__csv_open_file(ecai__csv *c, const char *path);
void ecai__csv_open_mem(ecai__csv *c, const char *data, size_t len);
/* Reads the next record: 1 = got one, 0 = end, negative = ecai_status error. */
int ecai__csv_next(ecai__csv *c);
void ecai__csv_close(ecai__csv *c);
/* Reads one raw line (for JSONL); 1 got, 0 end, <0 error. *out is borrowed. */
int ecai__csv_rawline(ecai__csv *c, char **out, size_t *len);
/* Index of a header field (case-insensitive), or -1. */
int ecai__csv_col(const ecai__csv *c, const char *name);

/* ---- dates ---------------------------------------------------------------- */
/* Parses "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS][Z]" or integer unix seconds into
 * unix seconds (UTC). Returns false when malformed. */
bool ecai__parse_time(const char *s, int64_t *out);
int64_t ecai__days_from_civil(int64_t y, unsigned m, unsigned d);
void ecai__civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* Parses a number fully (no trailing garbage except spaces); false if not a number. */
bool ecai__parse_double(const char *s, double *out);

/* ---- distributions and tests (src/experiment/stats.c) ---------------------- */
double ecai__norm_cdf(double x);
double ecai__norm_sf2(double z);            /* two-sided p = erfc(|z|/sqrt 2) */
double ecai__norm_ppf(double p);            /* inverse of the normal CDF */
double ecai__betai(double a, double b, double x); /* regularized incomplete beta I_x(a,b) */
double ecai__t_cdf(double t, double df);
double ecai__t_sf2(double t, double df);    /* two-sided p */
double ecai__t_ppf(double p, double df);
double ecai__gammq(double a, double x);     /* regularized upper incomplete gamma Q(a,x) */
double ecai__chi2_sf(double x, double df);

typedef struct {
  double n_c, x_c, n_t, x_t;
  double p_c, p_t, diff, lift, z, p_value, ci_lo, ci_hi, se_pooled, se_unpooled;
} ecai__prop_test;
void ecai__prop_ztest(ecai__prop_test *r, double x_c, double n_c, double x_t, double n_t, double conf);

typedef struct {
  double n_a, mean_a, var_a, n_b, mean_b, var_b;
  double diff, lift, t, df, p_value, ci_lo, ci_hi, se;
} ecai__welch;
void ecai__welch_summary(ecai__welch *r, double n_a, double mean_a, double var_a, double n_b, double mean_b,
                         double var_b, double conf);
/* mean and unbiased variance of x[0..n) (Welford) */
void ecai__mean_var(const double *x, size_t n, double *mean, double *var);

/* SRM chi-square: counts against design weights (normalised). */
void ecai__srm(const double *counts, const double *weights, size_t k, double *chi2, double *df, double *p);

/* Bootstrap CI of mean(b) - mean(a) (percentile), deterministic for a seed.
 * Returns ECAI_ENOMEM / ECAI_EINVAL. */
ecai_status ecai__bootstrap_diff(const double *a, size_t na, const double *b, size_t nb, size_t iters,
                                 double conf, uint64_t seed, double *lo, double *hi);

/* JSON number helper: NaN/inf -> null */
json_t *ecai__jnum(double v);

/* splitmix64 PRNG */
static inline uint64_t ecai__splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline double ecai__u01(uint64_t *s) { return (double)(ecai__splitmix64(s) >> 11) * 0x1.0p-53; }


/* ---- A/B inference methods (src/experiment/abmethods.c) --------------------- */
/* Holm step-down adjusted p-values of p[0..m) into adj[0..m). */
void ecai__holm(const double *p, double *adj, size_t m);
/* log mixture likelihood ratio of the normal-mixture mSPRT (0 when s2 or tau2 <= 0). */
double ecai__msprt_log_lr(double d, double s2, double tau2);
/* P(p_t > p_c) and E[max(p_c - p_t, 0)] under Beta(1+x, 1+n-x) posteriors, by
 * `draws` seeded draws. */
void ecai__bayes_beta(double x_c, double n_c, double x_t, double n_t, size_t draws, uint64_t seed,
                      double *p_beats, double *loss);
/* Two-sided group-sequential boundaries c[0..k) on the z scale for information fractions
 * t[0..k) (increasing, last = 1) with Lan-DeMets O'Brien-Fleming-type spending of alpha
 * (c = infinity where t does not increase). */
void ecai__gst_obf_bounds(const double *t, size_t k, double alpha, double *c);
/* Repeated p-value after k looks with statistics z[0..k): the smallest alpha whose
 * boundaries are crossed at some look (1 when none would be); c is scratch of k. */
double ecai__gst_repeated_p(const double *t, const double *z, size_t k, double *c);
/* The "sequential" object of ecai_abtest_csv_opts_json() (mSPRT, or O'Brien-Fleming with
 * use_gst) for control values ya with look keys la and treatment yb/lb, set into root. */
ecai_status ecai__ab_sequential(json_t *root, const double *ya, const double *la, size_t na, const double *yb,
                                const double *lb, size_t nb, bool prop, double alpha, double tau, bool use_gst);
/* The same for delta ~ N(diff, se^2) (closed form). */
void ecai__bayes_normal(double diff, double se, double *p_beats, double *loss);
/* CUPED theta = cov(y, x) / var(x) over the units whose x is not NaN (0 when var(x) = 0);
 * false when every x is missing. */
bool ecai__cuped_theta(const double *y, const double *x, size_t n, double *theta, double *mean_x,
                       size_t *missing);

#endif
