/* libecai PHP extension: Ecai\Experiment, Ecai\Kpi, Ecai\Stats, Ecai\Pricing. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include <php.h>
#include <ext/json/php_json.h>
#include <zend_exceptions.h>
#include <zend_smart_str.h>

#include "php_ecai.h"
#include "ecai_experiment_arginfo.h"

static zend_class_entry *ce_experiment, *ce_kpi, *ce_stats, *ce_pricing;

static void free_experiment(void *h) { ecai_experiment_free(h); }
static void free_kpi(void *h) { ecai_kpi_free(h); }
static void free_pricing(void *h) { ecai_pricing_free(h); }

/* ---- Ecai\Experiment -------------------------------------------------------------- */

ZEND_METHOD(Ecai_Experiment, __construct) {
  zend_string *name, *salt, *hsalt = NULL;
  HashTable *variants = NULL;
  double holdout = 0;
  ZEND_PARSE_PARAMETERS_START(2, 5)
    Z_PARAM_STR(name)
    Z_PARAM_STR(salt)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(variants)
    Z_PARAM_DOUBLE(holdout)
    Z_PARAM_STR_OR_NULL(hsalt)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *o = ecai_php_fresh(ZEND_THIS);
  if (!o) RETURN_THROWS();
  ecai_experiment *e = NULL;
  THROW_IF(ecai_experiment_new(&e, ZSTR_VAL(name), ZSTR_VAL(salt)));
  ecai_php_obj_set(o, e, free_experiment);
  if (variants) {
    zval *v;
    ZEND_HASH_FOREACH_VAL(variants, v) {
      ZVAL_DEREF(v);
      zend_string *vn;
      double w = 1.0;
      if (Z_TYPE_P(v) == IS_STRING) {
        vn = zend_string_copy(Z_STR_P(v));
      } else if (Z_TYPE_P(v) == IS_ARRAY && zend_hash_num_elements(Z_ARRVAL_P(v)) == 2) {
        zval *zn = zend_hash_index_find(Z_ARRVAL_P(v), 0), *zw = zend_hash_index_find(Z_ARRVAL_P(v), 1);
        if (!zn || !zw || Z_TYPE_P(zn) != IS_STRING) {
          zend_argument_value_error(3, "must hold variant names or [name, weight] pairs");
          RETURN_THROWS();
        }
        vn = zend_string_copy(Z_STR_P(zn));
        w = zval_get_double(zw);
      } else {
        zend_argument_value_error(3, "must hold variant names or [name, weight] pairs");
        RETURN_THROWS();
      }
      ecai_status st = ecai_experiment_add_variant(e, ZSTR_VAL(vn), w);
      zend_string_release(vn);
      THROW_IF(st);
    }
    ZEND_HASH_FOREACH_END();
  }
  if (holdout > 0 || hsalt) THROW_IF(ecai_experiment_set_holdout(e, holdout, hsalt ? ZSTR_VAL(hsalt) : NULL));
}

ZEND_METHOD(Ecai_Experiment, addVariant) {
  zend_string *name;
  double w = 1.0;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(name)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE(w)
  ZEND_PARSE_PARAMETERS_END();
  ecai_experiment *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  THROW_IF(ecai_experiment_add_variant(e, ZSTR_VAL(name), w));
}

ZEND_METHOD(Ecai_Experiment, setHoldout) {
  double f;
  zend_string *hs = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_DOUBLE(f)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(hs)
  ZEND_PARSE_PARAMETERS_END();
  ecai_experiment *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  THROW_IF(ecai_experiment_set_holdout(e, f, hs ? ZSTR_VAL(hs) : NULL));
}

ZEND_METHOD(Ecai_Experiment, assign) {
  zend_string *unit;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(unit)
  ZEND_PARSE_PARAMETERS_END();
  ecai_experiment *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  const char *v = NULL;
  THROW_IF(ecai_experiment_assign(&v, e, ZSTR_VAL(unit), ZSTR_LEN(unit)));
  RETURN_STRING(v);
}

ZEND_METHOD(Ecai_Experiment, expose) {
  zend_string *unit;
  zend_long ts = 0;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(unit)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(ts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_experiment *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  const char *v = NULL;
  THROW_IF(ecai_experiment_expose(&v, e, ZSTR_VAL(unit), ZSTR_LEN(unit), (int64_t)ts));
  RETURN_STRING(v);
}

ZEND_METHOD(Ecai_Experiment, summary) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_experiment *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_experiment_summary_json(&js, &n, e));
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Experiment, logJsonl) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_experiment *e = ecai_php_this(ZEND_THIS);
  if (!e) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_experiment_log_jsonl(&js, &n, e));
  RETVAL_STRINGL(js, n);
  ecai_free(js);
}

ZEND_METHOD(Ecai_Experiment, hashPoint) {
  zend_string *salt, *unit;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(salt)
    Z_PARAM_STR(unit)
  ZEND_PARSE_PARAMETERS_END();
  double u = 0;
  THROW_IF(ecai_experiment_hash_point(&u, ZSTR_VAL(salt), ZSTR_VAL(unit), ZSTR_LEN(unit)));
  RETURN_DOUBLE(u);
}

/* ---- Ecai\Kpi ------------------------------------------------------------------------ */

ZEND_METHOD(Ecai_Kpi, __construct) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_php_obj *o = ecai_php_fresh(ZEND_THIS);
  if (!o) RETURN_THROWS();
  ecai_kpi *k = NULL;
  THROW_IF(ecai_kpi_new(&k));
  ecai_php_obj_set(o, k, free_kpi);
}

static const char *const EVENTS[] = {"exposure", "add_to_cart", "order", "ticket_opened", "ticket_bot_answered",
                                     "ticket_escalated"};

ZEND_METHOD(Ecai_Kpi, record) {
  zend_long ts;
  zend_string *unit, *event, *variant = NULL;
  double value = 0;
  ZEND_PARSE_PARAMETERS_START(3, 5)
    Z_PARAM_LONG(ts)
    Z_PARAM_STR(unit)
    Z_PARAM_STR(event)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(variant)
    Z_PARAM_DOUBLE(value)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kpi *k = ecai_php_this(ZEND_THIS);
  if (!k) RETURN_THROWS();
  int kind = 0;
  for (int i = 0; i < 6; i++)
    if (!strcmp(ZSTR_VAL(event), EVENTS[i])) kind = i + 1;
  if (!kind) {
    zend_argument_value_error(3, "must be one of exposure, add_to_cart, order, ticket_opened, "
                                 "ticket_bot_answered, ticket_escalated");
    RETURN_THROWS();
  }
  THROW_IF(ecai_kpi_record(k, (int64_t)ts, ZSTR_VAL(unit), variant ? ZSTR_VAL(variant) : NULL, (ecai_kpi_event)kind,
                           value));
}

ZEND_METHOD(Ecai_Kpi, loadFile) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kpi *k = ecai_php_this(ZEND_THIS);
  if (!k) RETURN_THROWS();
  THROW_IF(ecai_kpi_load_file(k, ZSTR_VAL(path)));
}

ZEND_METHOD(Ecai_Kpi, load) {
  zend_string *data;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(data)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kpi *k = ecai_php_this(ZEND_THIS);
  if (!k) RETURN_THROWS();
  THROW_IF(ecai_kpi_load_buffer(k, ZSTR_VAL(data), ZSTR_LEN(data)));
}

ZEND_METHOD(Ecai_Kpi, count) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_kpi *k = ecai_php_this(ZEND_THIS);
  if (!k) RETURN_THROWS();
  RETURN_LONG((zend_long)ecai_kpi_count(k));
}

ZEND_METHOD(Ecai_Kpi, metrics) {
  zend_string *period = NULL;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR(period)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kpi *k = ecai_php_this(ZEND_THIS);
  if (!k) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_kpi_metrics_json(&js, &n, k, period ? ZSTR_VAL(period) : "day"));
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Kpi, report) {
  zend_string *control = NULL;
  zend_long launch = 0;
  bool launch_null = true;
  ZEND_PARSE_PARAMETERS_START(0, 2)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(control)
    Z_PARAM_LONG_OR_NULL(launch, launch_null)
  ZEND_PARSE_PARAMETERS_END();
  ecai_kpi *k = ecai_php_this(ZEND_THIS);
  if (!k) RETURN_THROWS();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_kpi_report_json(&js, &n, k, control ? ZSTR_VAL(control) : NULL,
                                launch_null ? INT64_MIN : (int64_t)launch));
  ecai_php_return_json(return_value, js, n);
}

/* ---- Ecai\Stats ---------------------------------------------------------------------- */

ZEND_METHOD(Ecai_Stats, normalCdf) {
  double x;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_DOUBLE(x)
  ZEND_PARSE_PARAMETERS_END();
  RETURN_DOUBLE(ecai_stats_normal_cdf(x));
}

ZEND_METHOD(Ecai_Stats, tCdf) {
  double t, df;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_DOUBLE(t)
    Z_PARAM_DOUBLE(df)
  ZEND_PARSE_PARAMETERS_END();
  RETURN_DOUBLE(ecai_stats_t_cdf(t, df));
}

ZEND_METHOD(Ecai_Stats, chi2Sf) {
  double x, df;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_DOUBLE(x)
    Z_PARAM_DOUBLE(df)
  ZEND_PARSE_PARAMETERS_END();
  RETURN_DOUBLE(ecai_stats_chi2_sf(x, df));
}

ZEND_METHOD(Ecai_Stats, proportions) {
  zend_long xc, nc, xt, nt;
  double conf = 0.95;
  ZEND_PARSE_PARAMETERS_START(4, 5)
    Z_PARAM_LONG(xc)
    Z_PARAM_LONG(nc)
    Z_PARAM_LONG(xt)
    Z_PARAM_LONG(nt)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE(conf)
  ZEND_PARSE_PARAMETERS_END();
  char *js = NULL;
  size_t n = 0;
  THROW_IF(ecai_stats_proportions_json(&js, &n, xc, nc, xt, nt, conf));
  ecai_php_return_json(return_value, js, n);
}

/* Copies a PHP array of numbers into an emalloc'd double array. */
static double *doubles_of(HashTable *ht, size_t *n) {
  *n = zend_hash_num_elements(ht);
  double *d = safe_emalloc(*n ? *n : 1, sizeof *d, 0);
  size_t i = 0;
  zval *v;
  ZEND_HASH_FOREACH_VAL(ht, v) { d[i++] = zval_get_double(v); }
  ZEND_HASH_FOREACH_END();
  return d;
}

ZEND_METHOD(Ecai_Stats, welch) {
  HashTable *a, *b;
  double conf = 0.95;
  ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_ARRAY_HT(a)
    Z_PARAM_ARRAY_HT(b)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE(conf)
  ZEND_PARSE_PARAMETERS_END();
  size_t na, nb;
  double *da = doubles_of(a, &na), *db = doubles_of(b, &nb);
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_stats_welch_json(&js, &n, da, na, db, nb, conf);
  efree(da);
  efree(db);
  THROW_IF(st);
  ecai_php_return_json(return_value, js, n);
}

ZEND_METHOD(Ecai_Stats, srm) {
  HashTable *counts, *weights = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_ARRAY_HT(counts)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT_OR_NULL(weights)
  ZEND_PARSE_PARAMETERS_END();
  size_t k, kw = 0;
  double *dc = doubles_of(counts, &k), *dw = weights ? doubles_of(weights, &kw) : NULL;
  if (weights && kw != k) {
    efree(dc);
    efree(dw);
    zend_argument_value_error(2, "must have as many weights as counts");
    RETURN_THROWS();
  }
  int64_t *ic = safe_emalloc(k ? k : 1, sizeof *ic, 0);
  for (size_t i = 0; i < k; i++) ic[i] = (int64_t)dc[i];
  double chi2 = 0, p = 0;
  ecai_status st = ecai_stats_srm(&chi2, &p, ic, dw, k);
  efree(ic);
  efree(dc);
  if (dw) efree(dw);
  THROW_IF(st);
  array_init(return_value);
  add_next_index_double(return_value, chi2);
  add_next_index_double(return_value, p);
}

ZEND_METHOD(Ecai_Stats, sampleSize) {
  double base, mde, alpha = 0.05, power = 0.8;
  ZEND_PARSE_PARAMETERS_START(2, 4)
    Z_PARAM_DOUBLE(base)
    Z_PARAM_DOUBLE(mde)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE(alpha)
    Z_PARAM_DOUBLE(power)
  ZEND_PARSE_PARAMETERS_END();
  double n = 0;
  THROW_IF(ecai_stats_sample_size(&n, base, mde, alpha, power));
  RETURN_LONG((zend_long)n);
}

ZEND_METHOD(Ecai_Stats, abtestCsv) {
  zend_string *path, *vcol, *mcol, *metric = NULL, *control = NULL;
  zval *opts = NULL;
  ZEND_PARSE_PARAMETERS_START(3, 6)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_STR(vcol)
    Z_PARAM_STR(mcol)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR(metric)
    Z_PARAM_STR_OR_NULL(control)
    Z_PARAM_ARRAY(opts)
  ZEND_PARSE_PARAMETERS_END();
  ecai_abtest_metric kind = ECAI_ABTEST_PROPORTION;
  if (metric && !strcmp(ZSTR_VAL(metric), "mean")) kind = ECAI_ABTEST_MEAN;
  else if (metric && strcmp(ZSTR_VAL(metric), "proportion")) {
    zend_argument_value_error(4, "must be \"proportion\" or \"mean\"");
    RETURN_THROWS();
  }
  /* options: the keys of ecai_abtest_csv_opts_json() ("covariate", "sequential", "look_column", …) */
  smart_str oj = {0};
  if (opts && zend_hash_num_elements(Z_ARRVAL_P(opts)) > 0) {
    if (php_json_encode(&oj, opts, PHP_JSON_PRESERVE_ZERO_FRACTION) == FAILURE) {
      smart_str_free(&oj);
      zend_argument_value_error(6, "cannot be encoded as JSON");
      RETURN_THROWS();
    }
    smart_str_0(&oj);
  }
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_abtest_csv_opts_json(&js, &n, ZSTR_VAL(path), ZSTR_VAL(vcol), ZSTR_VAL(mcol), kind,
                                             control ? ZSTR_VAL(control) : NULL, oj.s ? ZSTR_VAL(oj.s) : NULL);
  smart_str_free(&oj);
  THROW_IF(st);
  ecai_php_return_json(return_value, js, n);
}

/* ---- Ecai\Pricing --------------------------------------------------------------------- */

static const struct {
  const char *name;
  ecai_pricing_opt opt;
} PRICING_OPTS[] = {{"objective", ECAI_PRICING_OPT_OBJECTIVE},
                    {"aggregate", ECAI_PRICING_OPT_AGGREGATE},
                    {"min_observations", ECAI_PRICING_OPT_MIN_OBSERVATIONS},
                    {"min_distinct_prices", ECAI_PRICING_OPT_MIN_DISTINCT_PRICES},
                    {"by_segment", ECAI_PRICING_OPT_BY_SEGMENT},
                    {"pooling", ECAI_PRICING_OPT_POOLING},
                    {"max_change", ECAI_PRICING_OPT_MAX_CHANGE},
                    {"min_margin", ECAI_PRICING_OPT_MIN_MARGIN},
                    {"min_r2", ECAI_PRICING_OPT_MIN_R2},
                    {"max_slope_se", ECAI_PRICING_OPT_MAX_SLOPE_SE},
                    {"min_price_variation", ECAI_PRICING_OPT_MIN_PRICE_VARIATION},
                    {"unit_cost_ratio", ECAI_PRICING_OPT_UNIT_COST_RATIO},
                    {"validation_share", ECAI_PRICING_OPT_VALIDATION_SHARE}};

/* Sets one option by name; throws and returns false on failure. */
static bool pricing_set(ecai_pricing *p, const char *name, zval *v) {
  for (size_t i = 0; i < sizeof PRICING_OPTS / sizeof PRICING_OPTS[0]; i++) {
    if (strcmp(PRICING_OPTS[i].name, name)) continue;
    ecai_pricing_opt opt = PRICING_OPTS[i].opt;
    ecai_status st;
    if (opt < 100) {
      zend_string *s = zval_get_string(v);
      st = ecai_pricing_set_str(p, opt, ZSTR_VAL(s));
      zend_string_release(s);
    } else if (opt < 200) st = ecai_pricing_set_int(p, opt, (int64_t)zval_get_long(v));
    else st = ecai_pricing_set_double(p, opt, zval_get_double(v));
    if (st) {
      ecai_php_throw(st);
      return false;
    }
    return true;
  }
  zend_throw_exception_ex(ecai_ce_exception, ECAI_EUNSUPPORTED, "unknown pricing option '%s'", name);
  return false;
}

ZEND_METHOD(Ecai_Pricing, __construct) {
  HashTable *options = NULL;
  zend_string *cfg = NULL;
  ZEND_PARSE_PARAMETERS_START(0, 2)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(options)
    Z_PARAM_STR_OR_NULL(cfg)
  ZEND_PARSE_PARAMETERS_END();
  ecai_php_obj *o = ecai_php_fresh(ZEND_THIS);
  if (!o) RETURN_THROWS();
  ecai_ctx *ctx = NULL;
  if (cfg) THROW_IF(ecai_ctx_new(&ctx, ZSTR_VAL(cfg), ZSTR_LEN(cfg)));
  ecai_pricing *p = NULL;
  ecai_status st = ecai_pricing_new(&p, ctx);
  ecai_ctx_free(ctx);
  THROW_IF(st);
  ecai_php_obj_set(o, p, free_pricing);
  if (options) {
    zend_string *key;
    zval *v;
    ZEND_HASH_FOREACH_STR_KEY_VAL(options, key, v) {
      if (!key) {
        zend_argument_value_error(1, "must be an array keyed by option name");
        RETURN_THROWS();
      }
      if (!pricing_set(p, ZSTR_VAL(key), v)) RETURN_THROWS();
    }
    ZEND_HASH_FOREACH_END();
  }
}

ZEND_METHOD(Ecai_Pricing, set) {
  zend_string *name;
  zval *v;
  ZEND_PARSE_PARAMETERS_START(2, 2)
    Z_PARAM_STR(name)
    Z_PARAM_ZVAL(v)
  ZEND_PARSE_PARAMETERS_END();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  if (!pricing_set(p, ZSTR_VAL(name), v)) RETURN_THROWS();
}

ZEND_METHOD(Ecai_Pricing, add) {
  zend_string *product, *segment = NULL;
  double price, qty, cost = -1;
  bool cost_null = true;
  zend_long ts = 0;
  ZEND_PARSE_PARAMETERS_START(3, 6)
    Z_PARAM_STR(product)
    Z_PARAM_DOUBLE(price)
    Z_PARAM_DOUBLE(qty)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(ts)
    Z_PARAM_STR_OR_NULL(segment)
    Z_PARAM_DOUBLE_OR_NULL(cost, cost_null)
  ZEND_PARSE_PARAMETERS_END();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  THROW_IF(ecai_pricing_add(p, ZSTR_VAL(product), segment ? ZSTR_VAL(segment) : NULL, (int64_t)ts, price, qty,
                            cost_null ? -1 : cost));
}

ZEND_METHOD(Ecai_Pricing, setBounds) {
  zend_string *product;
  double fl = 0, ce = 0, map = 0;
  ZEND_PARSE_PARAMETERS_START(1, 4)
    Z_PARAM_STR(product)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE(fl)
    Z_PARAM_DOUBLE(ce)
    Z_PARAM_DOUBLE(map)
  ZEND_PARSE_PARAMETERS_END();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  THROW_IF(ecai_pricing_set_bounds(p, ZSTR_VAL(product), fl, ce, map));
}

ZEND_METHOD(Ecai_Pricing, addExperiment) {
  zend_string *product;
  double pa, ua, ea, pb, ub, eb;
  ZEND_PARSE_PARAMETERS_START(7, 7)
    Z_PARAM_STR(product)
    Z_PARAM_DOUBLE(pa)
    Z_PARAM_DOUBLE(ua)
    Z_PARAM_DOUBLE(ea)
    Z_PARAM_DOUBLE(pb)
    Z_PARAM_DOUBLE(ub)
    Z_PARAM_DOUBLE(eb)
  ZEND_PARSE_PARAMETERS_END();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  THROW_IF(ecai_pricing_add_experiment(p, ZSTR_VAL(product), pa, ua, ea, pb, ub, eb));
}

ZEND_METHOD(Ecai_Pricing, loadFile) {
  zend_string *path;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_PATH_STR(path)
  ZEND_PARSE_PARAMETERS_END();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  THROW_IF(ecai_pricing_load_file(p, ZSTR_VAL(path)));
}

ZEND_METHOD(Ecai_Pricing, count) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  RETURN_LONG((zend_long)ecai_pricing_count(p));
}

ZEND_METHOD(Ecai_Pricing, run) {
  ZEND_PARSE_PARAMETERS_NONE();
  ecai_pricing *p = ecai_php_this(ZEND_THIS);
  if (!p) RETURN_THROWS();
  char *lines = NULL;
  size_t n = 0;
  THROW_IF(ecai_pricing_run(&lines, &n, p, NULL, NULL));
  array_init(return_value);
  for (char *s = lines, *end = lines + n; s < end;) {
    char *nl = memchr(s, '\n', (size_t)(end - s));
    size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
    zval row;
    if (nl) *nl = 0; /* the JSON scanner wants a NUL after the text */
    if (php_json_decode_ex(&row, s, len, PHP_JSON_OBJECT_AS_ARRAY, 512) == FAILURE) {
      ecai_free(lines);
      zend_throw_exception(ecai_ce_exception, "invalid JSON from libecai", ECAI_EPARSE);
      RETURN_THROWS();
    }
    add_next_index_zval(return_value, &row);
    s += len + 1;
  }
  ecai_free(lines);
}

int ecai_php_experiment_minit(INIT_FUNC_ARGS) {
  zend_class_entry ce;
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Experiment", class_Ecai_Experiment_methods);
  ce_experiment = ecai_php_register_handle_class(&ce);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Kpi", class_Ecai_Kpi_methods);
  ce_kpi = ecai_php_register_handle_class(&ce);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Stats", class_Ecai_Stats_methods);
  ce_stats = ecai_php_register_handle_class(&ce);
  INIT_NS_CLASS_ENTRY(ce, "Ecai", "Pricing", class_Ecai_Pricing_methods);
  ce_pricing = ecai_php_register_handle_class(&ce);
  return SUCCESS;
}
