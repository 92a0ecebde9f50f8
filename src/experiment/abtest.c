/* ecai_abtest_csv_json: an A/B test straight from a one-row-per-unit CSV file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecai/experiment.h"
#include "experiment/exp_internal.h"

typedef struct {
  char *name;
  double *x;
  size_t n, cap;
  double sum;
} group;

static void groups_free(group *g, size_t n) {
  for (size_t i = 0; i < n; i++) {
    ecai__free(g[i].name);
    ecai__free(g[i].x);
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

ecai_status ecai_abtest_csv_json(char **out, size_t *out_len, const char *path, const char *variant_column,
                                 const char *metric_column, ecai_abtest_metric metric, const char *control) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(path);
  ECAI__CHECK_ARG(variant_column);
  ECAI__CHECK_ARG(metric_column);
  if (metric != ECAI_ABTEST_PROPORTION && metric != ECAI_ABTEST_MEAN)
    return ecai__err(ECAI_EINVAL, "abtest: unknown metric kind %d", (int)metric);
  ecai__csv c;
  ecai_status st = ecai__csv_open_file(&c, path);
  if (st) return st;
  group *g = NULL;
  size_t ng = 0;
  ecai__smap m = {0};
  json_t *root = NULL;
  int r = ecai__csv_next(&c);
  if (r <= 0) {
    st = r < 0 ? (ecai_status)r : ecai__err(ECAI_EPARSE, "abtest: %s is empty", path);
    goto done;
  }
  int cv = ecai__csv_col(&c, variant_column), cm = ecai__csv_col(&c, metric_column);
  if (cv < 0 || cm < 0) {
    st = ecai__err(ECAI_ENOTFOUND, "abtest: %s: no column '%s'", path, cv < 0 ? variant_column : metric_column);
    goto done;
  }
  while ((r = ecai__csv_next(&c)) == 1) {
    if (c.nfields == 1 && !c.fields[0][0]) continue;
    if ((int)c.nfields <= (cv > cm ? cv : cm)) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: too few fields", path, c.lineno);
      goto done;
    }
    const char *vn = c.fields[cv], *mv = c.fields[cm];
    double x;
    bool okv = metric == ECAI_ABTEST_PROPORTION ? parse_bool01(mv, &x) : ecai__parse_double(mv, &x);
    if (!okv) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: bad %s value '%.40s'", path, c.lineno,
                     metric == ECAI_ABTEST_PROPORTION ? "0/1 or true/false" : "numeric", mv);
      goto done;
    }
    if (!*vn) {
      st = ecai__err(ECAI_EPARSE, "abtest: %s: line %zu: empty variant", path, c.lineno);
      goto done;
    }
    size_t idx = ng;
    bool found;
    if (!ecai__smap_put(&m, vn, strlen(vn), &idx, &found)) goto oom;
    if (!found) {
      if (ng >= 1000) {
        st = ecai__err(ECAI_EINVAL, "abtest: more than 1000 variants");
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
    group *gg = &g[idx];
    if (gg->n == gg->cap) {
      size_t nc = gg->cap ? gg->cap * 2 : 1024;
      double *nx = ecai__realloc(gg->x, nc * sizeof *nx);
      if (!nx) goto oom;
      gg->x = nx;
      gg->cap = nc;
    }
    gg->x[gg->n++] = x;
    gg->sum += x;
  }
  if (r < 0) {
    st = (ecai_status)r;
    goto done;
  }
  if (ng < 2) {
    st = ecai__err(ECAI_EINVAL, "abtest: %s: need at least two variants (found %zu)", path, ng);
    goto done;
  }
  /* order: control first, then byte order */
  size_t ord[1000];
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
  group *a = &g[ord[0]], *b = &g[ord[1]];
  json_t *vars = json_array();
  root = json_object();
  if (!vars || !root) {
    json_decref(vars);
    goto oom;
  }
  double counts[1000];
  for (size_t i = 0; i < ng; i++) {
    group *x = &g[ord[i]];
    double mean, var;
    ecai__mean_var(x->x, x->n, &mean, &var);
    json_t *o = json_pack("{s:s,s:I,s:o}", "name", x->name, "n", (json_int_t)x->n, "mean", ecai__jnum(mean));
    if (metric == ECAI_ABTEST_PROPORTION) json_object_set_new(o, "successes", json_integer((json_int_t)x->sum));
    else json_object_set_new(o, "variance", ecai__jnum(var));
    json_array_append_new(vars, o);
    counts[i] = (double)x->n;
  }
  json_object_set_new(root, "metric", json_string(metric == ECAI_ABTEST_PROPORTION ? "proportion" : "mean"));
  json_object_set_new(root, "control", json_string(a->name));
  json_object_set_new(root, "treatment", json_string(b->name));
  json_object_set_new(root, "variants", vars);
  double lift, stat, p, lo, hi, df = NAN;
  if (metric == ECAI_ABTEST_PROPORTION) {
    ecai__prop_test t;
    ecai__prop_ztest(&t, a->sum, (double)a->n, b->sum, (double)b->n, 0.95);
    lift = t.lift, stat = t.z, p = t.p_value, lo = t.ci_lo, hi = t.ci_hi;
    json_object_set_new(root, "test", json_string("two-proportion z-test (pooled SE; CI unpooled)"));
  } else {
    if (a->n < 2 || b->n < 2) {
      st = ecai__err(ECAI_EINVAL, "abtest: Welch's test needs >= 2 rows per variant");
      goto done;
    }
    double ma, va, mb, vb;
    ecai__mean_var(a->x, a->n, &ma, &va);
    ecai__mean_var(b->x, b->n, &mb, &vb);
    ecai__welch w;
    ecai__welch_summary(&w, (double)a->n, ma, va, (double)b->n, mb, vb, 0.95);
    lift = w.lift, stat = w.t, p = w.p_value, lo = w.ci_lo, hi = w.ci_hi, df = w.df;
    json_object_set_new(root, "test", json_string("Welch's t-test"));
    json_object_set_new(root, "df", ecai__jnum(df));
  }
  double chi2, sdf, sp;
  ecai__srm(counts, NULL, ng, &chi2, &sdf, &sp);
  json_object_set_new(root, "diff", ecai__jnum(metric == ECAI_ABTEST_PROPORTION ? b->sum / (double)b->n - a->sum / (double)a->n
                                                                          : (lo + hi) / 2));
  json_object_set_new(root, "lift", ecai__jnum(lift));
  json_object_set_new(root, "statistic", ecai__jnum(stat));
  json_object_set_new(root, "p_value", ecai__jnum(p));
  json_object_set_new(root, "ci95", json_pack("[o,o]", ecai__jnum(lo), ecai__jnum(hi)));
  json_object_set_new(root, "srm_chi2", ecai__jnum(chi2));
  json_object_set_new(root, "srm_p_value", ecai__jnum(sp));
  st = ecai__json_dump(out, out_len, root);
  goto done;
oom:
  st = ecai__err(ECAI_ENOMEM, "abtest: out of memory");
done:
  json_decref(root);
  groups_free(g, ng);
  ecai__smap_free(&m);
  ecai__csv_close(&c);
  return st;
}
