/* ecai_abtest_csv_json / ecai_abtest_csv_opts_json: an A/B/n test straight from a
 * one-row-per-unit CSV file, with Holm-adjusted comparisons, CUPED, the mSPRT and a
 * Bayesian read-out (methods in abmethods.c, distributions in stats.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecai/experiment.h"
#include "experiment/exp_internal.h"

#define MAX_VARIANTS 1000

typedef struct {
  char *name;
  double *y, *x, *lk; /* metric (CUPED-adjusted after adjust()), covariate (NaN = missing), look */
  size_t n, cap;
  double sum;                 /* of the raw metric */
  double mean, var;           /* raw metric */
  double amean, avar;         /* metric used by the tests (adjusted with a covariate) */
} group;

typedef struct {
  const char *covariate, *look_column;
  bool sequential, gst;
  double alpha, tau;
  uint64_t seed;
  size_t draws;
} ab_opts;

typedef struct {
  double diff, lift, stat, df, p, lo, hi, se, p_adj, p_beats, loss;
} ab_cmp;

static void groups_free(group *g, size_t n) {
  for (size_t i = 0; i < n; i++) {
    ecai__free(g[i].name);
    ecai__free(g[i].y);
    ecai__free(g[i].x);
    ecai__free(g[i].lk);
  }
  ecai__free(g);
}

static bool parse_bool01(const char *s, double *v) {
  while (*s == ' ') s++;
  if (!strcasecmp(s, "true") || !strcmp(s, "1")) *v = 1;
  else if (!strcasecmp(s, "false") || !strcmp(s, "0")) *v = 0;
  else return false;
  return true;
}

static bool is_missing(const char *s) {
  while (*s == ' ') s++;
  return !*s || !strcasecmp(s, "NA") || !strcasecmp(s, "NaN") || !strcasecmp(s, "null");
}

static ecai_status parse_opts(ab_opts *o, json_t **keep, const char *options_json) {
  memset(o, 0, sizeof *o);
  o->alpha = 0.05;
  o->seed = 42;
  o->draws = 20000;
  ecai_status st = ecai__json_options(keep, options_json, "abtest options");
  json_t *j = *keep;
  if (st || !j) return st;
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) {
    bool ok = true;
    if (!strcmp(k, "covariate")) ok = json_is_string(v) && *(o->covariate = json_string_value(v));
    else if (!strcmp(k, "look_column")) ok = json_is_string(v) && *(o->look_column = json_string_value(v));
    else if (!strcmp(k, "sequential")) ok = json_is_boolean(v) && ((o->sequential = json_is_true(v)), 1);
    else if (!strcmp(k, "sequential_method")) {
      const char *m = json_string_value(v);
      ok = m && (!strcmp(m, "msprt") || !strcmp(m, "obf"));
      o->gst = ok && !strcmp(m, "obf");
    } else if (!strcmp(k, "alpha")) ok = json_is_number(v) && (o->alpha = json_number_value(v)) > 0 && o->alpha < 1;
    else if (!strcmp(k, "tau")) ok = json_is_number(v) && (o->tau = json_number_value(v)) > 0 && isfinite(o->tau);
    else if (!strcmp(k, "seed")) ok = json_is_integer(v) && ((o->seed = (uint64_t)json_integer_value(v)), 1);
    else if (!strcmp(k, "draws")) {
      json_int_t d = json_is_integer(v) ? json_integer_value(v) : 0;
      ok = d >= 1000 && d <= 1000000;
      o->draws = (size_t)d;
    } else return ecai__err(ECAI_EINVAL, "abtest: unknown option '%s'", k);
    if (!ok) return ecai__err(ECAI_EINVAL, "abtest: bad value for option '%s'", k);
  }
  if (o->gst && !o->sequential) return ecai__err(ECAI_EINVAL, "abtest: sequential_method needs sequential: true");
  if (o->sequential && !o->look_column)
    return ecai__err(ECAI_EINVAL, "abtest: sequential testing needs a look_column");
  if (o->look_column && !o->sequential)
    return ecai__err(ECAI_EINVAL, "abtest: look_column is only used with sequential: true");
  return ECAI_OK;
}

static bool push(group *g, double y, double x, double lk) {
  if (g->n == g->cap) {
    size_t nc = g->cap ? g->cap * 2 : 1024;
    double *a = ecai__realloc(g->y, nc * sizeof *a), *b, *c;
    if (!a) return false;
    g->y = a;
    if (!(b = ecai__realloc(g->x, nc * sizeof *b))) return false;
    g->x = b;
    if (!(c = ecai__realloc(g->lk, nc * sizeof *c))) return false;
    g->lk = c;
    g->cap = nc;
  }
  g->y[g->n] = y;
  g->x[g->n] = x;
  g->lk[g->n++] = lk;
  g->sum += y;
  return true;
}

/* Two-sided test of treatment b against control a on the test metric. Proportions
 * without CUPED: pooled z-test with unpooled interval; otherwise Welch. Zero variance:
 * p = 1 when the means are equal, 0 otherwise; the interval collapses on the diff. */
static void compare(ab_cmp *r, const group *a, const group *b, bool prop) {
  memset(r, 0, sizeof *r);
  r->df = NAN;
  if (prop) {
    ecai__prop_test t;
    ecai__prop_ztest(&t, a->sum, (double)a->n, b->sum, (double)b->n, 0.95);
    r->diff = t.diff, r->stat = t.z, r->p = t.p_value, r->lo = t.ci_lo, r->hi = t.ci_hi, r->se = t.se_unpooled;
    if (!(t.se_pooled > 0)) r->p = r->diff == 0 ? 1 : 0;
  } else {
    ecai__welch w;
    ecai__welch_summary(&w, (double)a->n, a->amean, a->avar, (double)b->n, b->amean, b->avar, 0.95);
    r->diff = w.diff, r->stat = w.t, r->p = w.p_value, r->lo = w.ci_lo, r->hi = w.ci_hi, r->df = w.df, r->se = w.se;
    if (!(w.se > 0)) {
      r->p = r->diff == 0 ? 1 : 0;
      r->lo = r->hi = r->diff;
      r->df = NAN;
    }
  }
  r->lift = a->mean != 0 ? r->diff / a->mean : NAN;
}

static int cmp_d(const void *p, const void *q) {
  double x = *(const double *)p, y = *(const double *)q;
  return x < y ? -1 : x > y;
}

/* Lan-DeMets O'Brien-Fleming group-sequential read-out of the per-look (d, s2, info). */
static ecai_status gst(json_t *seq, const double *dd, size_t nl, double alpha, json_int_t *stopped, double *p) {
  if (nl > 100) return ecai__err(ECAI_EINVAL, "abtest: the group-sequential design takes up to 100 looks (got %zu)", nl);
  double t[100] = {0}, z[100] = {0}, c[100];
  for (size_t k = 0; k < nl; k++) {
    t[k] = dd[3 * k + 2] / dd[3 * nl - 1];
    z[k] = dd[3 * k + 1] > 0 ? dd[3 * k] / sqrt(dd[3 * k + 1]) : 0;
  }
  *p = ecai__gst_repeated_p(t, z, nl, c);
  ecai__gst_obf_bounds(t, nl, alpha, c);
  json_t *bs = json_array(), *zs = json_array(), *ts = json_array();
  for (size_t k = 0; k < nl; k++) {
    if (!*stopped && fabs(z[k]) >= c[k]) *stopped = (json_int_t)k + 1;
    json_array_append_new(bs, ecai__jnum(c[k]));
    json_array_append_new(zs, json_real(z[k]));
    json_array_append_new(ts, json_real(t[k]));
  }
  json_object_set_new(seq, "method",
                      json_string("group-sequential, Lan-DeMets O'Brien-Fleming alpha spending (Lan & DeMets 1983), "
                                  "repeated p-values (Jennison & Turnbull 2000)"));
  json_object_set_new(seq, "boundaries", bs);
  json_object_set_new(seq, "z_by_look", zs);
  json_object_set_new(seq, "information_fractions", ts);
  return ECAI_OK;
}

/* Sequential read-out (mSPRT or group-sequential) over the looks of control a and
 * treatment b. */
static ecai_status sequential(json_t *root, const group *a, const group *b, bool prop, const ab_opts *o) {
  size_t nall = a->n + b->n, nl = 0;
  double *lv = ecai__malloc(nall * sizeof *lv), *acc = NULL, *dd = NULL; /* acc per look: n, sum, sumsq a; b */
  json_t *seq = NULL;
  ecai_status st = ECAI_OK;
  if (!lv) goto oom;
  memcpy(lv, a->lk, a->n * sizeof *lv);
  memcpy(lv + a->n, b->lk, b->n * sizeof *lv);
  qsort(lv, nall, sizeof *lv, cmp_d);
  for (size_t i = 0; i < nall; i++)
    if (!nl || lv[i] != lv[nl - 1]) lv[nl++] = lv[i];
  acc = ecai__calloc(nl * 6, sizeof *acc);
  dd = ecai__malloc(nl * 3 * sizeof *dd);
  if (!acc || !dd) goto oom;
  for (int gi = 0; gi < 2; gi++) {
    const group *g = gi ? b : a;
    for (size_t i = 0; i < g->n; i++) {
      double *f = bsearch(&g->lk[i], lv, nl, sizeof *lv, cmp_d);
      double *s = acc + (size_t)(f - lv) * 6 + gi * 3;
      s[0] += 1, s[1] += g->y[i], s[2] += g->y[i] * g->y[i];
    }
  }
  /* cumulative sums -> per look: estimate d, its variance s2, information 1/(1/na+1/nb) */
  double c[6] = {0};
  for (size_t k = 0; k < nl; k++) {
    for (int i = 0; i < 6; i++) c[i] += acc[k * 6 + i];
    double na = c[0], nb = c[3], ma = na ? c[1] / na : 0, mb = nb ? c[4] / nb : 0;
    double va = na > 1 ? fmax(0, (c[2] - na * ma * ma) / (na - 1)) : 0;
    double vb = nb > 1 ? fmax(0, (c[5] - nb * mb * mb) / (nb - 1)) : 0;
    double s2 = 0;
    if (na >= 2 && nb >= 2) {
      if (prop) {
        double pp = (c[1] + c[4]) / (na + nb);
        s2 = pp * (1 - pp) * (1 / na + 1 / nb);
      } else s2 = va / na + vb / nb;
    }
    dd[3 * k] = mb - ma;
    dd[3 * k + 1] = s2;
    dd[3 * k + 2] = na && nb ? 1 / (1 / na + 1 / nb) : 0;
  }
  seq = json_object();
  double p = 1;
  json_int_t stopped = 0;
  if (o->gst) {
    if ((st = gst(seq, dd, nl, o->alpha, &stopped, &p))) goto done;
  } else {
    double tau2 = o->tau > 0 ? o->tau * o->tau : 8 * dd[3 * nl - 2];
    json_t *ps = json_array(), *bs = json_array(), *zs = json_array();
    for (size_t k = 0; k < nl; k++) {
      double d = dd[3 * k], s2 = dd[3 * k + 1], llr = ecai__msprt_log_lr(d, s2, tau2);
      double pk = llr > 0 ? exp(-llr) : 1;
      if (pk < p) p = pk;
      if (!stopped && p <= o->alpha) stopped = (json_int_t)k + 1;
      json_array_append_new(ps, json_real(p));
      /* |z| at which 1/L = alpha at this look: z^2 = 2 (s2+tau2)/tau2 (log(1/alpha) + log(1+tau2/s2)/2) */
      double zb = s2 > 0 && tau2 > 0
                      ? sqrt(2 * (s2 + tau2) / tau2 * (log(1 / o->alpha) + 0.5 * log1p(tau2 / s2)))
                      : NAN;
      json_array_append_new(bs, ecai__jnum(zb));
      json_array_append_new(zs, json_real(s2 > 0 ? d / sqrt(s2) : 0));
    }
    json_object_set_new(seq, "boundaries", bs);
    json_object_set_new(seq, "z_by_look", zs);
    json_object_set_new(seq, "method",
                        json_string("mSPRT with a normal mixture (Johari, Koomen, Pekelis & Walsh 2017), "
                                    "always-valid p-values"));
    json_object_set_new(seq, "always_valid_p_by_look", ps);
    json_object_set_new(seq, "tau", ecai__jnum(sqrt(tau2)));
  }
  json_object_set_new(seq, "reject", json_boolean(p <= o->alpha));
  json_object_set_new(seq, "looks", json_integer((json_int_t)nl));
  json_object_set_new(seq, "stopped_at", stopped ? json_integer(stopped) : json_null());
  json_object_set_new(seq, "stopped_at_look", stopped ? json_real(lv[stopped - 1]) : json_null());
  json_object_set_new(seq, "always_valid_p", json_real(p));
  json_object_set_new(seq, "alpha", json_real(o->alpha));
  json_object_set_new(root, "sequential", seq);
  seq = NULL;
  goto done;
oom:
  st = ecai__err(ECAI_ENOMEM, "abtest: out of memory");
done:
  json_decref(seq);
  ecai__free(lv);
  ecai__free(acc);
  ecai__free(dd);
  return st;
}

ecai_status ecai__ab_sequential(json_t *root, const double *ya, const double *la, size_t na_, const double *yb,
                                const double *lb, size_t nb_, bool prop, double alpha, double tau, bool use_gst) {
  group a = {.y = (double *)ya, .lk = (double *)la, .n = na_}, b = {.y = (double *)yb, .lk = (double *)lb, .n = nb_};
  ab_opts o = {.alpha = alpha, .tau = tau, .gst = use_gst};
  return sequential(root, &a, &b, prop, &o);
}

/* CUPED: y <- y - theta (x - mean x) over all units (missing x = mean x: unchanged). */
static ecai_status cuped(json_t *root, group *g, size_t ng, const char *col,
                         double *theta_out) {
  size_t nall = 0;
  for (size_t i = 0; i < ng; i++) nall += g[i].n;
  double *y = ecai__malloc(nall * sizeof *y), *x = ecai__malloc(nall * sizeof *x);
  if (!y || !x) {
    ecai__free(y);
    ecai__free(x);
    return ecai__err(ECAI_ENOMEM, "abtest: out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < ng; i++) {
    memcpy(y + k, g[i].y, g[i].n * sizeof *y);
    memcpy(x + k, g[i].x, g[i].n * sizeof *x);
    k += g[i].n;
  }
  double theta, mx;
  size_t missing;
  bool any = ecai__cuped_theta(y, x, nall, &theta, &mx, &missing);
  ecai__free(y);
  ecai__free(x);
  if (!any) return ecai__err(ECAI_EINVAL, "abtest: covariate column '%s' has no value (all missing)", col);
  for (size_t i = 0; i < ng; i++)
    for (size_t j = 0; j < g[i].n; j++)
      if (!isnan(g[i].x[j])) g[i].y[j] -= theta * (g[i].x[j] - mx);
  json_t *cu = json_object();
  json_object_set_new(cu, "covariate", json_string(col));
  json_object_set_new(cu, "theta", ecai__jnum(theta));
  json_object_set_new(cu, "covariate_mean", ecai__jnum(mx));
  json_object_set_new(cu, "missing_covariate", json_integer((json_int_t)missing));
  json_object_set_new(root, "cuped", cu);
  *theta_out = theta;
  return ECAI_OK;
}

ecai_status ecai_abtest_csv_opts_json(char **out, size_t *out_len, const char *path, const char *variant_column,
                                      const char *metric_column, ecai_abtest_metric metric, const char *control,
                                      const char *options_json) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(path);
  ECAI__CHECK_ARG(variant_column);
  ECAI__CHECK_ARG(metric_column);
  if (metric != ECAI_ABTEST_PROPORTION && metric != ECAI_ABTEST_MEAN)
    return ecai__err(ECAI_EINVAL, "abtest: unknown metric kind %d", (int)metric);
  ab_opts o;
  json_t *oj;
  ecai_status st = parse_opts(&o, &oj, options_json);
  if (st) {
    json_decref(oj);
    return st;
  }
  ecai__csv c;
  st = ecai__csv_open_file(&c, path);
  if (st) {
    json_decref(oj);
    return st;
  }
  group *g = NULL;
  size_t ng = 0, *ord = NULL;
  ab_cmp *cmp = NULL;
  ecai__smap m = {0};
  json_t *root = NULL;
  int r = ecai__csv_next(&c);
  if (r <= 0) {
    st = r < 0 ? (ecai_status)r : ecai__err(ECAI_EPARSE, "abtest: %s is empty", path);
    goto done;
  }
  int cv = ecai__csv_col(&c, variant_column), cm = ecai__csv_col(&c, metric_column);
  int cx = o.covariate ? ecai__csv_col(&c, o.covariate) : -1, cl = o.look_column ? ecai__csv_col(&c, o.look_column) : -1;
  const char *miss = cv < 0 ? variant_column : cm < 0 ? metric_column : (o.covariate && cx < 0) ? o.covariate
                     : (o.look_column && cl < 0) ? o.look_column : NULL;
  if (miss) {
    st = ecai__err(ECAI_ENOTFOUND, "abtest: %s: no column '%s'", path, miss);
    goto done;
  }
  int maxc = cv > cm ? cv : cm;
  if (cx > maxc) maxc = cx;
  if (cl > maxc) maxc = cl;
  while ((r = ecai__csv_next(&c)) == 1) {
    if (c.nfields == 1 && !c.fields[0][0]) continue;
    if ((int)c.nfields <= maxc) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: too few fields", path, c.lineno);
      goto done;
    }
    const char *vn = c.fields[cv], *mv = c.fields[cm];
    double y, x = NAN, lk = 0;
    bool okv = metric == ECAI_ABTEST_PROPORTION ? parse_bool01(mv, &y) : ecai__parse_double(mv, &y);
    if (!okv) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: bad %s value '%.40s'", path, c.lineno,
                     metric == ECAI_ABTEST_PROPORTION ? "0/1 or true/false" : "numeric", mv);
      goto done;
    }
    if (!*vn) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: empty variant", path, c.lineno);
      goto done;
    }
    if (cx >= 0 && !is_missing(c.fields[cx]) && !ecai__parse_double(c.fields[cx], &x)) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: covariate '%s' is not a number: '%.40s'", path, c.lineno,
                     o.covariate, c.fields[cx]);
      goto done;
    }
    if (cl >= 0) {
      int64_t t;
      if (ecai__parse_double(c.fields[cl], &lk)) {
      } else if (ecai__parse_time(c.fields[cl], &t)) lk = (double)t;
      else {
        st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: look '%s' must be a number or a date: '%.40s'", path,
                       c.lineno, o.look_column, c.fields[cl]);
        goto done;
      }
    }
    size_t idx = ng;
    bool found;
    if (!ecai__smap_put(&m, vn, strlen(vn), &idx, &found)) goto oom;
    if (!found) {
      if (ng >= MAX_VARIANTS) {
        st = ecai__err(ECAI_EINVAL, "abtest: more than %d variants", MAX_VARIANTS);
        goto done;
      }
      group *ngp = ecai__realloc(g, (ng + 1) * sizeof *ngp);
      if (!ngp) goto oom;
      g = ngp;
      memset(&g[ng], 0, sizeof *g);
      g[ng].name = ecai__strdup(vn);
      ng++;
      if (!g[ng - 1].name) goto oom;
    }
    if (!push(&g[idx], y, x, lk)) goto oom;
  }
  if (r < 0) {
    st = (ecai_status)r;
    goto done;
  }
  if (ng < 2) {
    st = ecai__err(ECAI_EINVAL, "abtest: %s: need at least two variants (found %zu)", path, ng);
    goto done;
  }
  bool prop = metric == ECAI_ABTEST_PROPORTION, welch = !prop || o.covariate;
  for (size_t i = 0; i < ng; i++)
    if (welch && g[i].n < 2) {
      st = ecai__err(ECAI_EINVAL, "abtest: variant '%s' has %zu row(s); Welch's test needs >= 2 per variant",
                     g[i].name, g[i].n);
      goto done;
    }
  /* order: control first, then byte order */
  ord = ecai__malloc(ng * sizeof *ord);
  cmp = ecai__calloc(ng, sizeof *cmp);
  if (!ord || !cmp) goto oom;
  for (size_t i = 0; i < ng; i++) ord[i] = i;
  for (size_t i = 1; i < ng; i++)
    for (size_t j = i; j > 0 && strcmp(g[ord[j - 1]].name, g[ord[j]].name) > 0; j--) {
      size_t t = ord[j];
      ord[j] = ord[j - 1];
      ord[j - 1] = t;
    }
  if (control) {
    size_t ci;
    if (!ecai__smap_get(&m, control, strlen(control), &ci)) {
      st = ecai__err(ECAI_ENOTFOUND, "abtest: control variant '%s' not found", control);
      goto done;
    }
    for (size_t i = 0; i < ng; i++)
      if (ord[i] == ci) {
        memmove(ord + 1, ord, i * sizeof *ord);
        ord[0] = ci;
        break;
      }
  }
  root = json_object();
  if (!root) goto oom;
  for (size_t i = 0; i < ng; i++) ecai__mean_var(g[i].y, g[i].n, &g[i].mean, &g[i].var);
  double theta = 0;
  if (o.covariate && (st = cuped(root, g, ng, o.covariate, &theta))) goto done;
  for (size_t i = 0; i < ng; i++) ecai__mean_var(g[i].y, g[i].n, &g[i].amean, &g[i].avar);
  group *a = &g[ord[0]], *b = &g[ord[1]];
  json_t *vars = json_array();
  double counts[MAX_VARIANTS];
  for (size_t i = 0; i < ng; i++) {
    group *x = &g[ord[i]];
    json_t *v = json_pack("{s:s,s:I,s:o}", "name", x->name, "n", (json_int_t)x->n, "mean", ecai__jnum(x->mean));
    if (prop) json_object_set_new(v, "successes", json_integer((json_int_t)x->sum));
    else json_object_set_new(v, "variance", ecai__jnum(x->var));
    if (o.covariate) json_object_set_new(v, "mean_adjusted", ecai__jnum(x->amean));
    json_array_append_new(vars, v);
    counts[i] = (double)x->n;
  }
  json_object_set_new(root, "metric", json_string(prop ? "proportion" : "mean"));
  json_object_set_new(root, "control", json_string(a->name));
  json_object_set_new(root, "treatment", json_string(b->name));
  json_object_set_new(root, "variants", vars);
  json_object_set_new(root, "test", json_string(!welch ? "two-proportion z-test (pooled SE; CI unpooled)"
                                                : o.covariate ? "Welch's t-test on CUPED-adjusted values"
                                                              : "Welch's t-test"));
  /* comparisons, Holm, Bayesian read-out */
  double *pv = ecai__malloc(ng * sizeof *pv), *pa = ecai__malloc(ng * sizeof *pa);
  if (!pv || !pa) {
    ecai__free(pv);
    ecai__free(pa);
    goto oom;
  }
  for (size_t i = 1; i < ng; i++) {
    compare(&cmp[i], a, &g[ord[i]], !welch);
    pv[i - 1] = cmp[i].p;
  }
  ecai__holm(pv, pa, ng - 1);
  json_t *cs = json_array();
  for (size_t i = 1; i < ng; i++) {
    ab_cmp *k = &cmp[i];
    group *t = &g[ord[i]];
    k->p_adj = pa[i - 1];
    if (!welch) ecai__bayes_beta(a->sum, (double)a->n, t->sum, (double)t->n, o.draws, o.seed, &k->p_beats, &k->loss);
    else ecai__bayes_normal(k->diff, k->se, &k->p_beats, &k->loss);
    json_t *e = json_pack("{s:s,s:o,s:o,s:o,s:[o,o],s:o,s:o,s:o,s:o}", "variant", t->name, "diff",
                          ecai__jnum(k->diff), "lift", ecai__jnum(k->lift), "statistic", ecai__jnum(k->stat),
                          "ci95", ecai__jnum(k->lo), ecai__jnum(k->hi), "p_value", ecai__jnum(k->p), "p_adjusted",
                          ecai__jnum(k->p_adj), "p_beats_control", ecai__jnum(k->p_beats), "expected_loss",
                          ecai__jnum(k->loss));
    json_array_append_new(cs, e);
  }
  ecai__free(pv);
  ecai__free(pa);
  json_object_set_new(root, "comparisons", cs);
  json_object_set_new(root, "p_adjustment", json_string("holm"));
  json_object_set_new(root, "bayesian",
                      !welch ? json_pack("{s:s,s:I,s:I}", "method",
                                         "Beta(1,1) prior, Beta-Binomial posteriors, seeded draws", "draws",
                                         (json_int_t)o.draws, "seed", (json_int_t)o.seed)
                             : json_pack("{s:s}", "method", "normal approximation of the difference, flat prior"));
  ab_cmp *k = &cmp[1];
  if (welch) json_object_set_new(root, "df", ecai__jnum(k->df));
  if (o.covariate) {
    /* share of the variance of the first difference removed by the adjustment */
    double raw = a->var / (double)a->n + b->var / (double)b->n, adj = k->se * k->se;
    json_object_set_new(json_object_get(root, "cuped"), "variance_reduction", json_real(raw > 0 ? 1 - adj / raw : 0));
  }
  double chi2, sdf, sp;
  ecai__srm(counts, NULL, ng, &chi2, &sdf, &sp);
  json_object_set_new(root, "diff", ecai__jnum(k->diff));
  json_object_set_new(root, "lift", ecai__jnum(k->lift));
  json_object_set_new(root, "statistic", ecai__jnum(k->stat));
  json_object_set_new(root, "p_value", ecai__jnum(k->p));
  json_object_set_new(root, "ci95", json_pack("[o,o]", ecai__jnum(k->lo), ecai__jnum(k->hi)));
  json_object_set_new(root, "srm_chi2", ecai__jnum(chi2));
  json_object_set_new(root, "srm_p_value", ecai__jnum(sp));
  if (o.sequential && (st = sequential(root, a, b, !welch, &o))) goto done;
  st = ecai__json_dump(out, out_len, root);
  goto done;
oom:
  st = ecai__err(ECAI_ENOMEM, "abtest: out of memory");
done:
  json_decref(root);
  json_decref(oj);
  groups_free(g, ng);
  ecai__free(ord);
  ecai__free(cmp);
  ecai__smap_free(&m);
  ecai__csv_close(&c);
  return st;
}

ecai_status ecai_abtest_csv_json(char **out, size_t *out_len, const char *path, const char *variant_column,
                                 const char *metric_column, ecai_abtest_metric metric, const char *control) {
  return ecai_abtest_csv_opts_json(out, out_len, path, variant_column, metric_column, metric, control, NULL);
}
