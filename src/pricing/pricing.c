/* ecai_pricing: history, options, guardrailed price suggestions in batch (the demand
 * estimate itself is src/pricing/demand.c). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ecai/pricing.h"
#include "experiment/exp_internal.h"
#include "pricing/demand.h"

typedef struct {
  uint32_t key;
  int64_t ts;
  double price, qty, cost;
  uint32_t seq; /* insertion order (ties of ts) */
  uint32_t seg; /* segment index + 1, 0 = none */
} obs;

typedef struct {
  double floor, ceiling, map;
} bounds;

typedef struct {
  double w, wb; /* sum of 1/se², sum of b/se² */
  int n;
} ptest;

struct ecai_pricing {
  int objective_margin;
  int aggregate; /* 0 none, 1 day, 2 week */
  int64_t min_obs, min_prices;
  int by_segment;
  int pooling; /* partial pooling across products (default 1) */
  double max_change, min_margin, min_r2, max_se, min_var, cost_ratio, val_share;
  obs *o;
  size_t n, cap;
  ecai__smap keys;      /* "product\x1fsegment" or "product" -> key index */
  char **key_names;     /* owned */
  size_t nkeys, capkeys;
  ecai__smap segs;      /* segment -> index */
  size_t nsegs;
  ecai__smap tmap;      /* product -> test index */
  ptest *t;
  size_t nt;
  ecai__smap bmap;      /* product -> bounds index */
  bounds *b;
  size_t nb;
  ecai_pricing_rationale_fn rfn;
  void *rpayload;
};

#define SEP '\x1f'

static ecai_status set_dbl(ecai_pricing *p, ecai_pricing_opt opt, double v) {
  if (!isfinite(v)) return ecai__err(ECAI_EINVAL, "pricing: option %d must be finite", (int)opt);
  switch (opt) {
  case ECAI_PRICING_OPT_MAX_CHANGE:
    if (!(v > 0 && v < 1)) return ecai__err(ECAI_EINVAL, "pricing: max_change must be in (0, 1)");
    p->max_change = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_MIN_MARGIN:
    if (!(v >= 0 && v < 1)) return ecai__err(ECAI_EINVAL, "pricing: min_margin must be in [0, 1)");
    p->min_margin = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_MIN_R2:
    if (!(v >= 0 && v < 1)) return ecai__err(ECAI_EINVAL, "pricing: min_r2 must be in [0, 1)");
    p->min_r2 = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_MAX_SLOPE_SE:
    if (!(v > 0)) return ecai__err(ECAI_EINVAL, "pricing: max_slope_se must be > 0");
    p->max_se = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_MIN_PRICE_VARIATION:
    if (!(v >= 0)) return ecai__err(ECAI_EINVAL, "pricing: min_price_variation must be >= 0");
    p->min_var = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_UNIT_COST_RATIO:
    if (!(v >= 0 && v < 1)) return ecai__err(ECAI_EINVAL, "pricing: unit_cost_ratio must be in [0, 1)");
    p->cost_ratio = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_VALIDATION_SHARE:
    if (!(v == 0 || (v >= 0.1 && v <= 0.5))) return ecai__err(ECAI_EINVAL, "pricing: validation_share must be 0 or in [0.1, 0.5]");
    p->val_share = v;
    return ECAI_OK;
  default: break;
  }
  if (opt >= 1 && opt < 200) return ecai__err(ECAI_EINVAL, "pricing: option %d is not a double option", (int)opt);
  return ecai__err(ECAI_EUNSUPPORTED, "pricing: unknown option %d", (int)opt);
}

static ecai_status set_int(ecai_pricing *p, ecai_pricing_opt opt, int64_t v) {
  switch (opt) {
  case ECAI_PRICING_OPT_MIN_OBSERVATIONS:
    if (v < 3 || v > 1000000) return ecai__err(ECAI_EINVAL, "pricing: min_observations must be 3..1000000");
    p->min_obs = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_MIN_DISTINCT_PRICES:
    if (v < 2 || v > 1000000) return ecai__err(ECAI_EINVAL, "pricing: min_distinct_prices must be 2..1000000");
    p->min_prices = v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_BY_SEGMENT:
    if (v != 0 && v != 1) return ecai__err(ECAI_EINVAL, "pricing: by_segment must be 0 or 1");
    if (p->n) return ecai__err(ECAI_ESTATE, "pricing: by_segment must be set before adding history");
    p->by_segment = (int)v;
    return ECAI_OK;
  case ECAI_PRICING_OPT_POOLING:
    if (v != 0 && v != 1) return ecai__err(ECAI_EINVAL, "pricing: pooling must be 0 or 1");
    p->pooling = (int)v;
    return ECAI_OK;
  default: break;
  }
  if ((opt >= 1 && opt < 100) || opt >= 200) return ecai__err(ECAI_EINVAL, "pricing: option %d is not an integer option", (int)opt);
  return ecai__err(ECAI_EUNSUPPORTED, "pricing: unknown option %d", (int)opt);
}

static ecai_status set_str(ecai_pricing *p, ecai_pricing_opt opt, const char *v) {
  ECAI__CHECK_ARG(v);
  switch (opt) {
  case ECAI_PRICING_OPT_OBJECTIVE:
    if (!strcmp(v, "revenue")) p->objective_margin = 0;
    else if (!strcmp(v, "margin")) p->objective_margin = 1;
    else return ecai__err(ECAI_EINVAL, "pricing: objective must be revenue or margin (got '%s')", v);
    return ECAI_OK;
  case ECAI_PRICING_OPT_AGGREGATE:
    if (!strcmp(v, "none")) p->aggregate = 0;
    else if (!strcmp(v, "day")) p->aggregate = 1;
    else if (!strcmp(v, "week")) p->aggregate = 2;
    else return ecai__err(ECAI_EINVAL, "pricing: aggregate must be day, week or none (got '%s')", v);
    return ECAI_OK;
  default: break;
  }
  if (opt >= 100) return ecai__err(ECAI_EINVAL, "pricing: option %d is not a string option", (int)opt);
  return ecai__err(ECAI_EUNSUPPORTED, "pricing: unknown option %d", (int)opt);
}

ecai_status ecai_pricing_set_str(ecai_pricing *p, ecai_pricing_opt opt, const char *v) {
  ECAI__CHECK_ARG(p);
  return set_str(p, opt, v);
}
ecai_status ecai_pricing_set_int(ecai_pricing *p, ecai_pricing_opt opt, int64_t v) {
  ECAI__CHECK_ARG(p);
  return set_int(p, opt, v);
}
ecai_status ecai_pricing_set_double(ecai_pricing *p, ecai_pricing_opt opt, double v) {
  ECAI__CHECK_ARG(p);
  return set_dbl(p, opt, v);
}

ecai_status ecai_pricing_new(ecai_pricing **out, const ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ecai_pricing *p = ecai__calloc(1, sizeof *p);
  if (!p) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
  p->aggregate = 1;
  p->min_obs = 8;
  p->min_prices = 3;
  p->max_change = 0.10;
  p->min_margin = 0.20;
  p->min_r2 = 0.10;
  p->max_se = 0.30;
  p->min_var = 0.02;
  p->cost_ratio = 0;
  p->val_share = 0.25;
  p->pooling = 1;
  if (ctx) {
    ecai_status st = ECAI_OK;
#define D(opt, key, field) if (!st) st = set_dbl(p, opt, ecai__cfg_double(ctx, "pricing." key, p->field))
#define I(opt, key, field) if (!st) st = set_int(p, opt, ecai__cfg_int(ctx, "pricing." key, p->field))
    D(ECAI_PRICING_OPT_MAX_CHANGE, "max_change", max_change);
    D(ECAI_PRICING_OPT_MIN_MARGIN, "min_margin", min_margin);
    D(ECAI_PRICING_OPT_MIN_R2, "min_r2", min_r2);
    D(ECAI_PRICING_OPT_MAX_SLOPE_SE, "max_slope_se", max_se);
    D(ECAI_PRICING_OPT_MIN_PRICE_VARIATION, "min_price_variation", min_var);
    D(ECAI_PRICING_OPT_UNIT_COST_RATIO, "unit_cost_ratio", cost_ratio);
    D(ECAI_PRICING_OPT_VALIDATION_SHARE, "validation_share", val_share);
    I(ECAI_PRICING_OPT_MIN_OBSERVATIONS, "min_observations", min_obs);
    I(ECAI_PRICING_OPT_MIN_DISTINCT_PRICES, "min_distinct_prices", min_prices);
    I(ECAI_PRICING_OPT_POOLING, "pooling", pooling);
#undef D
#undef I
    if (!st) st = set_str(p, ECAI_PRICING_OPT_OBJECTIVE, ecai__cfg_str(ctx, "pricing.objective", "revenue"));
    if (!st) st = set_str(p, ECAI_PRICING_OPT_AGGREGATE, ecai__cfg_str(ctx, "pricing.aggregate", "day"));
    if (st) {
      ecai_pricing_free(p);
      return ecai__err_prefix(st, "configuration");
    }
  }
  *out = p;
  return ECAI_OK;
}

void ecai_pricing_free(ecai_pricing *p) {
  if (!p) return;
  ecai__free(p->o);
  ecai__smap_free(&p->keys);
  ecai__smap_free(&p->segs);
  for (size_t i = 0; i < p->nkeys; i++) ecai__free(p->key_names[i]);
  ecai__free(p->key_names);
  ecai__smap_free(&p->bmap);
  ecai__smap_free(&p->tmap);
  ecai__free(p->t);
  ecai__free(p->b);
  ecai__free(p);
}

size_t ecai_pricing_count(const ecai_pricing *p) { return p ? p->n : 0; }

ecai_status ecai_pricing_set_rationale(ecai_pricing *p, ecai_pricing_rationale_fn fn, void *payload) {
  ECAI__CHECK_ARG(p);
  p->rfn = fn;
  p->rpayload = payload;
  return ECAI_OK;
}

static ecai_status check_id(const char *s, const char *what) {
  size_t n = strlen(s), bad;
  if (!n || n > 256) return ecai__err(ECAI_EINVAL, "pricing: %s must be 1..256 bytes", what);
  if (!ecai__utf8_valid(s, n, &bad) || memchr(s, SEP, n))
    return ecai__err(ECAI_EINVAL, "pricing: %s is not valid UTF-8 text", what);
  return ECAI_OK;
}

ecai_status ecai_pricing_add(ecai_pricing *p, const char *product_id, const char *segment, int64_t ts, double price,
                             double quantity, double unit_cost) {
  ECAI__CHECK_ARG(p);
  ECAI__CHECK_ARG(product_id);
  ecai_status st = check_id(product_id, "product id");
  if (st) return st;
  if (segment && *segment && (st = check_id(segment, "segment"))) return st;
  if (!(price > 0) || !isfinite(price) || !(quantity > 0) || !isfinite(quantity))
    return ecai__err(ECAI_EINVAL, "pricing: price and quantity must be finite and > 0");
  if (!(unit_cost >= 0) || !isfinite(unit_cost)) unit_cost = -1;
  char key[600];
  size_t klen = strlen(product_id);
  memcpy(key, product_id, klen);
  if (p->by_segment && segment && *segment) {
    size_t sl = strlen(segment);
    key[klen++] = SEP;
    memcpy(key + klen, segment, sl);
    klen += sl;
  }
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 4096;
    obs *no = ecai__realloc(p->o, nc * sizeof *no);
    if (!no) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    p->o = no;
    p->cap = nc;
  }
  if (p->nkeys == p->capkeys) {
    size_t nc = p->capkeys ? p->capkeys * 2 : 256;
    char **nk = ecai__realloc(p->key_names, nc * sizeof *nk);
    if (!nk) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    p->key_names = nk;
    p->capkeys = nc;
  }
  size_t idx = p->nkeys;
  bool found;
  if (!ecai__smap_get(&p->keys, key, klen, &idx)) {
    char *name = ecai__strndup(key, klen);
    if (!name || !ecai__smap_put(&p->keys, key, klen, &idx, &found)) {
      ecai__free(name);
      return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    }
    p->key_names[p->nkeys++] = name;
  }
  size_t sidx = 0;
  if (segment && *segment) {
    size_t sl = strlen(segment);
    if (!ecai__smap_get(&p->segs, segment, sl, &sidx)) {
      sidx = p->nsegs;
      if (!ecai__smap_put(&p->segs, segment, sl, &sidx, &found)) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
      p->nsegs++;
    }
    sidx++;
  }
  p->o[p->n] = (obs){(uint32_t)idx, ts, price, quantity, unit_cost, (uint32_t)p->n, (uint32_t)sidx};
  p->n++;
  return ECAI_OK;
}

ecai_status ecai_pricing_set_bounds(ecai_pricing *p, const char *product_id, double floor, double ceiling, double map) {
  ECAI__CHECK_ARG(p);
  ECAI__CHECK_ARG(product_id);
  ecai_status st = check_id(product_id, "product id");
  if (st) return st;
  if (isnan(floor) || isnan(ceiling) || isnan(map)) return ecai__err(ECAI_EINVAL, "pricing: bounds must not be NaN");
  if (floor > 0 && ceiling > 0 && floor > ceiling)
    return ecai__err(ECAI_EINVAL, "pricing: floor %.4g is above ceiling %.4g", floor, ceiling);
  size_t idx = p->nb;
  bool found;
  size_t len = strlen(product_id);
  if (!ecai__smap_get(&p->bmap, product_id, len, &idx)) {
    bounds *nb = ecai__realloc(p->b, (p->nb + 1) * sizeof *nb);
    if (!nb) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    p->b = nb;
    if (!ecai__smap_put(&p->bmap, product_id, len, &idx, &found)) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    p->nb++;
  }
  p->b[idx] = (bounds){floor > 0 ? floor : 0, ceiling > 0 ? ceiling : 0, map > 0 ? map : 0};
  return ECAI_OK;
}

ecai_status ecai_pricing_add_experiment(ecai_pricing *p, const char *product_id, double price_a, double units_a,
                                        double exposure_a, double price_b, double units_b, double exposure_b) {
  ECAI__CHECK_ARG(p);
  ECAI__CHECK_ARG(product_id);
  ecai_status st = check_id(product_id, "product id");
  if (st) return st;
  const double v[6] = {price_a, units_a, exposure_a, price_b, units_b, exposure_b};
  for (int i = 0; i < 6; i++)
    if (!(v[i] > 0) || !isfinite(v[i]))
      return ecai__err(ECAI_EINVAL, "pricing: test prices, units and exposures must be finite and > 0");
  double dl = log(price_b / price_a);
  if (fabs(dl) < 0.005) return ecai__err(ECAI_EINVAL, "pricing: the test prices must differ by at least 0.5 %%");
  double b = log((units_b / exposure_b) / (units_a / exposure_a)) / dl, se = sqrt(1 / units_a + 1 / units_b) / fabs(dl);
  size_t idx = p->nt, len = strlen(product_id);
  bool found;
  if (!ecai__smap_get(&p->tmap, product_id, len, &idx)) {
    ptest *nt = ecai__realloc(p->t, (p->nt + 1) * sizeof *nt);
    if (!nt) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    p->t = nt;
    if (!ecai__smap_put(&p->tmap, product_id, len, &idx, &found)) return ecai__err(ECAI_ENOMEM, "pricing: out of memory");
    p->t[p->nt++] = (ptest){0, 0, 0};
  }
  p->t[idx].w += 1 / (se * se);
  p->t[idx].wb += b / (se * se);
  p->t[idx].n++;
  return ECAI_OK;
}

/* ---- loading ----------------------------------------------------------------------- */

static int col(const ecai__csv *c, const char *const *names) {
  for (; *names; names++) {
    int i = ecai__csv_col(c, *names);
    if (i >= 0) return i;
  }
  return -1;
}

static const char *fld(const ecai__csv *c, int i) { return i >= 0 && i < (int)c->nfields ? c->fields[i] : NULL; }

static ecai_status load_retail(ecai_pricing *p, ecai__csv *c) {
  int ci = ecai__csv_col(c, "InvoiceNo"), cs = ecai__csv_col(c, "StockCode"), cq = ecai__csv_col(c, "Quantity"),
      cd = ecai__csv_col(c, "InvoiceDate"), cp = ecai__csv_col(c, "UnitPrice"), cc = ecai__csv_col(c, "Country");
  if (cq < 0 || cd < 0 || cp < 0) return ecai__err(ECAI_EPARSE, "pricing: invoice layout needs Quantity, InvoiceDate, UnitPrice");
  int r;
  while ((r = ecai__csv_next(c)) == 1) {
    if (c->nfields == 1 && !c->fields[0][0]) continue;
    const char *inv = fld(c, ci), *code = fld(c, cs), *q = fld(c, cq), *d = fld(c, cd), *pr = fld(c, cp);
    if (!inv || !code || !q || !d || !pr) return ecai__err(ECAI_EPARSE, "pricing: line %zu: too few fields", c->lineno);
    if (inv[0] == 'C' || inv[0] == 'c') continue; /* cancellation */
    bool product = strlen(code) >= 5;
    for (int i = 0; i < 5 && product; i++) product = isdigit((unsigned char)code[i]);
    if (!product) continue; /* postage, fees, discounts, samples, gift vouchers */
    double qty, price;
    int64_t ts;
    if (!ecai__parse_double(q, &qty) || !ecai__parse_double(pr, &price) || !ecai__parse_time(d, &ts))
      return ecai__err(ECAI_EPARSE, "pricing: line %zu: bad quantity, price or date", c->lineno);
    if (!(qty > 0) || !(price > 0)) continue; /* stock adjustments */
    ecai_status st = ecai_pricing_add(p, code, fld(c, cc), ts, price, qty, -1);
    if (st) return st == ECAI_EINVAL ? ecai__err_prefix(ECAI_EPARSE, "line %zu", c->lineno) : st;
  }
  return r < 0 ? (ecai_status)r : ECAI_OK;
}

static const char *const PID[] = {"product_id", "product", "sku", "stock_code", NULL};
static const char *const DATE[] = {"date", "ts", "time", "timestamp", NULL};
static const char *const PRICE[] = {"price", "unit_price", NULL};
static const char *const QTY[] = {"quantity", "qty", "units", NULL};
static const char *const COST[] = {"unit_cost", "cost", NULL};
static const char *const SEG[] = {"segment", NULL};
static const char *const FLOOR[] = {"floor", "price_floor", NULL};
static const char *const CEIL[] = {"ceiling", "price_ceiling", NULL};
static const char *const MAP[] = {"map", NULL};

static bool opt_num(const char *s, double *v) {
  if (!s || !*s) {
    *v = -1;
    return true;
  }
  return ecai__parse_double(s, v);
}

typedef struct {
  char *id;
  double fl, ce, mp;
} pending_bounds;

static ecai_status load_generic(ecai_pricing *p, ecai__csv *c) {
  pending_bounds *pb = NULL;
  size_t npb = 0, cappb = 0;
  ecai_status st = ECAI_OK;
  int cid = col(c, PID), cd = col(c, DATE), cp = col(c, PRICE), cq = col(c, QTY), cc = col(c, COST),
      cs = col(c, SEG), cf = col(c, FLOOR), cl = col(c, CEIL), cm = col(c, MAP);
  if (cid < 0 || cd < 0 || cp < 0 || cq < 0)
    return ecai__err(ECAI_EPARSE, "pricing: header needs product_id, date, price and quantity columns");
  int r;
  while (!st && (r = ecai__csv_next(c)) == 1) {
    if (c->nfields == 1 && !c->fields[0][0]) continue;
    const char *id = fld(c, cid), *d = fld(c, cd), *pr = fld(c, cp), *q = fld(c, cq);
    double price, qty, cost, fl, ce, mp;
    int64_t ts;
    if (!id || !d || !pr || !q) {
      st = ecai__err(ECAI_EPARSE, "pricing: line %zu: too few fields", c->lineno);
      break;
    }
    if (!ecai__parse_time(d, &ts)) {
      st = ecai__err(ECAI_EPARSE, "pricing: line %zu: bad date '%.40s'", c->lineno, d);
      break;
    }
    if (!ecai__parse_double(pr, &price) || !ecai__parse_double(q, &qty) || !opt_num(fld(c, cc), &cost) ||
        !opt_num(fld(c, cf), &fl) || !opt_num(fld(c, cl), &ce) || !opt_num(fld(c, cm), &mp)) {
      st = ecai__err(ECAI_EPARSE, "pricing: line %zu: bad number", c->lineno);
      break;
    }
    if ((fl > 0 && ce > 0 && fl > ce)) {
      st = ecai__err(ECAI_EPARSE, "pricing: line %zu: floor above ceiling", c->lineno);
      break;
    }
    st = ecai_pricing_add(p, id, fld(c, cs), ts, price, qty, cost);
    if (st) {
      if (st == ECAI_EINVAL) st = ecai__err_prefix(ECAI_EPARSE, "line %zu", c->lineno);
      break;
    }
    if (fl > 0 || ce > 0 || mp > 0) { /* applied only when the whole file is good */
      if (npb == cappb) {
        size_t nc = cappb ? cappb * 2 : 16;
        pending_bounds *np = ecai__realloc(pb, nc * sizeof *np);
        if (!np) {
          st = ecai__err(ECAI_ENOMEM, "pricing: out of memory");
          break;
        }
        pb = np;
        cappb = nc;
      }
      pb[npb].id = ecai__strdup(id);
      if (!pb[npb].id) {
        st = ecai__err(ECAI_ENOMEM, "pricing: out of memory");
        break;
      }
      pb[npb].fl = fl, pb[npb].ce = ce, pb[npb].mp = mp;
      npb++;
    }
  }
  if (!st && r < 0) st = (ecai_status)r;
  for (size_t i = 0; i < npb; i++) {
    if (!st) st = ecai_pricing_set_bounds(p, pb[i].id, pb[i].fl, pb[i].ce, pb[i].mp);
    ecai__free(pb[i].id);
  }
  ecai__free(pb);
  return st;
}

ecai_status ecai_pricing_load_file(ecai_pricing *p, const char *path) {
  ECAI__CHECK_ARG(p);
  ECAI__CHECK_ARG(path);
  ecai__csv c;
  ecai_status st = ecai__csv_open_file(&c, path);
  if (st) return st;
  size_t before = p->n;
  int r = ecai__csv_next(&c);
  if (r <= 0) st = r < 0 ? (ecai_status)r : ecai__err(ECAI_EPARSE, "pricing: empty file");
  else if (ecai__csv_col(&c, "InvoiceNo") >= 0 && ecai__csv_col(&c, "StockCode") >= 0) st = load_retail(p, &c);
  else st = load_generic(p, &c);
  ecai__csv_close(&c);
  if (st) {
    p->n = before;
    return ecai__err_prefix(st, "%s", path);
  }
  return ECAI_OK;
}

/* ---- the run --------------------------------------------------------------------------- */

static int cmp_obs(const void *a, const void *b) {
  const obs *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double round_cents(double x) { return floor(x * 100 + 0.5) / 100; }

/* Objective value ratio new/current under constant elasticity. */
static double obj_ratio(int margin, double p0, double p1, double b, double c) {
  if (!margin) return pow(p1 / p0, 1 + b) - 1;
  if (p0 - c <= 0) return NAN;
  return (p1 - c) / (p0 - c) * pow(p1 / p0, b) - 1;
}

typedef struct {
  const char *reason, *text, *detail;
  double suggested, cost, change, expected;
  const char *bounded[5];
  int nbounded;
} decision;

static void decide(const ecai_pricing *p, const ecai__dm_fit *f, bool tested, double cur, double cost, const bounds *bd,
                   decision *d) {
  memset(d, 0, sizeof *d);
  d->suggested = d->change = d->expected = NAN;
  d->cost = cost;
  if (tested) { /* a randomized price test: only the combined interval and the sign matter */
    if (f->se > p->max_se) {
      d->reason = "poor_fit";
      d->text = "the elasticity interval is still wide after the price test";
      return;
    }
    if (f->b >= 0) {
      d->reason = "positive_elasticity";
      d->text = "demand did not fall with price in the price test; no change";
      return;
    }
    goto checked;
  }
  if ((int64_t)f->cells < p->min_obs) {
    d->reason = "thin_data";
    d->text = "too few observations to estimate an elasticity";
    return;
  }
  if (f->unidentified) {
    d->reason = "not_identified";
    d->detail = f->unidentified;
    d->text = "the price changes in this history cannot separate the demand response from other effects";
    return;
  }
  if ((int64_t)f->distinct < p->min_prices) {
    d->reason = "few_prices";
    d->text = "too few distinct prices in the history";
    return;
  }
  if (f->sd_within < p->min_var || isnan(f->b)) {
    d->reason = "low_price_variation";
    d->text = "prices varied too little over time to measure the response";
    return;
  }
  if (f->r2 < p->min_r2 || f->se > p->max_se) {
    d->reason = "poor_fit";
    d->text = "the demand model explains little (low R2) or the elasticity interval is wide";
    return;
  }
  if (f->b >= 0) {
    d->reason = "positive_elasticity";
    d->text = "demand did not fall with price in this history (likely confounded); no change";
    return;
  }
  if (f->validated == 0) {
    d->reason = "not_validated";
    d->detail = f->validation_detail;
    d->text = "fitted on the earlier history, the model did not forecast the later units better than no change";
    return;
  }
checked:
  if (p->objective_margin && !(cost >= 0)) {
    d->reason = "no_cost";
    d->text = "margin objective needs a unit cost";
    return;
  }
  double b = f->b, target;
  if (p->objective_margin) target = b < -1 ? cost * b / (1 + b) : INFINITY;
  else target = b < -1 ? 0 : b > -1 ? INFINITY : cur;
  /* admissible interval */
  double lo = cur * (1 - p->max_change), hi = cur * (1 + p->max_change);
  const char *lo_by = "max_change", *hi_by = "max_change";
  if (bd && bd->floor > lo) lo = bd->floor, lo_by = "floor";
  if (bd && bd->map > lo) lo = bd->map, lo_by = "map";
  if (cost >= 0) {
    double mfloor = cost / (1 - p->min_margin);
    if (mfloor > lo) lo = mfloor, lo_by = "min_margin";
  }
  if (bd && bd->ceiling > 0 && bd->ceiling < hi) hi = bd->ceiling, hi_by = "ceiling";
  if (lo > hi + 1e-12) {
    d->reason = "guardrail_conflict";
    d->text = "the guardrails (margin, floor, MAP, ceiling, max change) leave no admissible price";
    return;
  }
  double s = target;
  if (s < lo) s = lo, d->bounded[d->nbounded++] = lo_by;
  if (s > hi) s = hi, d->bounded[d->nbounded++] = hi_by;
  double r = round_cents(s);
  if (r < lo - 1e-9) r = ceil(lo * 100 - 1e-9) / 100;
  if (r > hi + 1e-9) r = floor(hi * 100 + 1e-9) / 100;
  double gain = obj_ratio(p->objective_margin, cur, r, b, cost);
  bool outside = (cur < lo - 1e-9 || cur > hi + 1e-9); /* current price violates a guardrail */
  if (fabs(r - cur) < 0.005 || (!outside && !(gain > 1e-9))) {
    d->reason = "no_improvement";
    d->text = "the current price is already the best admissible price";
    d->expected = 0;
    return;
  }
  d->reason = "ok";
  d->text = b < -1 ? "elastic demand: a lower price raises the objective"
                   : "inelastic demand: a higher price raises the objective";
  if (p->objective_margin && b < -1)
    d->text = r > cur ? "margin optimum c*b/(1+b) lies above the current price"
                      : "margin optimum c*b/(1+b) lies below the current price";
  if (outside && !(gain > 1e-9)) d->text = "the current price violates a guardrail; moved inside it";
  d->suggested = r;
  d->change = r / cur - 1;
  d->expected = gain;
}

static json_t *result_json(const ecai_pricing *p, const char *key, const ecai__dm_fit *f, double cur, const decision *d) {
  const char *sep = strchr(key, SEP);
  json_t *prod = sep ? json_stringn(key, (size_t)(sep - key)) : json_string(key);
  json_t *seg = sep ? json_string(sep + 1) : json_null();
  json_t *bb = json_array();
  for (int i = 0; i < d->nbounded; i++) json_array_append_new(bb, json_string(d->bounded[i]));
  bool suggest = !strcmp(d->reason, "ok");
  return json_pack("{s:o,s:o,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:[o,o],s:o,s:o,s:s,s:o,s:o}", "product", prod,
                   "segment", seg, "status", suggest ? "suggest" : "hold", "reason", d->reason, "reason_text",
                   d->text, "observations", (json_int_t)f->cells, "distinct_prices", (json_int_t)f->distinct,
                   "current_price", ecai__jnum(cur), "suggested_price", ecai__jnum(d->suggested), "change",
                   ecai__jnum(d->change), "elasticity", ecai__jnum(f->b), "elasticity_se", ecai__jnum(f->se),
                   "elasticity_ci95", ecai__jnum(f->lo), ecai__jnum(f->hi), "r2", ecai__jnum(f->r2),
                   "unit_cost", ecai__jnum(d->cost >= 0 ? d->cost : NAN), "objective",
                   p->objective_margin ? "margin" : "revenue", "expected_objective_change",
                   ecai__jnum(d->expected), "bounded_by", bb);
}

/* Fields of the demand model: reason_detail, method, periods, tiers, validation. */
static void add_model_fields(json_t *j, const ecai__dm_fit *f, const decision *d) {
  json_object_set_new(j, "reason_detail", d->detail ? json_string(d->detail) : json_null());
  json_object_set_new(j, "method", json_string("poisson_irls_within_tier"));
  json_object_set_new(j, "periods", json_integer((json_int_t)f->periods));
  json_object_set_new(j, "tiers", json_pack("{s:I,s:s,s:o}", "count", (json_int_t)f->tiers, "basis", f->basis,
                                            "size_threshold", ecai__jnum(f->size_threshold)));
  const char *vs = f->validated == 1 ? "passed" : f->validated == 0 ? "failed" : "not_run";
  json_object_set_new(j, "validation",
                      json_pack("{s:s,s:o,s:I,s:o,s:o,s:o}", "status", vs, "detail",
                                f->validation_detail ? json_string(f->validation_detail) : json_null(), "periods",
                                (json_int_t)f->val_periods, "elasticity_earlier", ecai__jnum(f->val_b),
                                "deviance_model", ecai__jnum(f->val_dev_model), "deviance_no_change",
                                ecai__jnum(f->val_dev_no_change)));
}

/* Combines the history estimate (when identified) with the product's price tests by
 * inverse variance; returns the source. The 95 % interval of a combination is normal. */
static const char *combine_test(ecai__dm_fit *f, const ptest *t) {
  bool hist = !f->unidentified && isfinite(f->b) && f->se > 0;
  double w = t->w + (hist ? 1 / (f->se * f->se) : 0), wb = t->wb + (hist ? f->b / (f->se * f->se) : 0);
  f->b = wb / w;
  f->se = 1 / sqrt(w);
  f->lo = f->b - 1.959964 * f->se;
  f->hi = f->b + 1.959964 * f->se;
  return hist ? "history+experiment" : "experiment";
}

typedef struct {
  const char *s;
  size_t i;
} keyname;

static int cmp_keyname(const void *a, const void *b) {
  return strcmp(((const keyname *)a)->s, ((const keyname *)b)->s);
}

/* Key indices in byte order of their names (names are unique). */
static bool key_order(const ecai_pricing *p, size_t *order) {
  keyname *tmp = ecai__malloc((p->nkeys ? p->nkeys : 1) * sizeof *tmp);
  if (!tmp) return false;
  for (size_t i = 0; i < p->nkeys; i++) tmp[i] = (keyname){p->key_names[i], i};
  qsort(tmp, p->nkeys, sizeof *tmp, cmp_keyname);
  for (size_t i = 0; i < p->nkeys; i++) order[i] = tmp[i].i;
  ecai__free(tmp);
  return true;
}

/* One key's observations o[s0, s1) and its fit. */
typedef struct {
  size_t s0, s1;
  double cur, cost;
  ecai__dm_fit f;
  double b0, se0; /* the key's own estimate before pooling (NaN when not pooled) */
} keyfit;

static ecai_status fit_key(const ecai_pricing *p, const obs *o, ecai__dm_obs *dm, keyfit *k, double pmean, double psd) {
  size_t na = 0;
  for (size_t i = k->s0; i < k->s1; i++) dm[na++] = (ecai__dm_obs){o[i].ts, o[i].price, o[i].qty, o[i].seg};
  ecai__dm_opts dopt = {p->aggregate == 2, p->val_share, p->min_var, pmean, psd};
  return ecai__dm_estimate(dm, na, &dopt, &k->f);
}

/* A fit the data identifies on its own: it enters the shop-wide distribution. */
static bool poolable(const ecai_pricing *p, const ecai__dm_fit *f) {
  return !f->unidentified && isfinite(f->b) && f->se > 0 && (int64_t)f->cells >= p->min_obs &&
         (int64_t)f->distinct >= p->min_prices && f->sd_within >= p->min_var;
}

/* Partial pooling: the spread of the shop's elasticities (DerSimonian-Laird random
 * effects over the products' own estimates) becomes a normal prior for each product.
 * false when fewer than POOL_MIN products identify an elasticity. */
#define POOL_MIN 10
#define POOL_MIN_SD 0.15 /* the prior never claims the products are more alike than this */
static bool pool_prior(const ecai_pricing *p, const keyfit *k, size_t n, double *mean, double *sd, size_t *used) {
  double sw = 0, sw2 = 0, swb = 0, q = 0;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (poolable(p, &k[i].f)) {
      double w = 1 / (k[i].f.se * k[i].f.se);
      sw += w, sw2 += w * w, swb += w * k[i].f.b, m++;
    }
  *used = m;
  if (m < POOL_MIN) return false;
  *mean = swb / sw;
  for (size_t i = 0; i < n; i++)
    if (poolable(p, &k[i].f)) q += (k[i].f.b - *mean) * (k[i].f.b - *mean) / (k[i].f.se * k[i].f.se);
  double tau2 = (q - (double)(m - 1)) / (sw - sw2 / sw);
  *sd = sqrt(fmax(tau2, POOL_MIN_SD * POOL_MIN_SD));
  return true;
}

/* Decides for one fitted key and appends its JSON line (with the rationale) to b. */
static ecai_status emit_key(ecai_pricing *p, const char *name, keyfit *k, const double *pool, char *rbuf,
                            ecai__buf *b) {
  const char *sep = strchr(name, SEP);
  size_t plen = sep ? (size_t)(sep - name) : strlen(name), bi, ti;
  const bounds *bd = p->nb && ecai__smap_get(&p->bmap, name, plen, &bi) ? &p->b[bi] : NULL;
  const ptest *pt = p->nt && ecai__smap_get(&p->tmap, name, plen, &ti) ? &p->t[ti] : NULL;
  const char *source = pt ? combine_test(&k->f, pt) : "history";
  decision d;
  decide(p, &k->f, pt != NULL, k->cur, k->cost, bd, &d);
  json_t *j = result_json(p, name, &k->f, k->cur, &d);
  if (!j) return ECAI_ENOMEM;
  add_model_fields(j, &k->f, &d);
  json_object_set_new(j, "elasticity_source", json_string(source));
  json_object_set_new(j, "experiment", pt ? json_pack("{s:i,s:o,s:o}", "tests", pt->n, "elasticity", ecai__jnum(pt->wb / pt->w),
                                                      "elasticity_se", ecai__jnum(1 / sqrt(pt->w)))
                                          : json_null());
  json_object_set_new(j, "pooling", isfinite(k->b0) ? json_pack("{s:o,s:o,s:o,s:o}", "elasticity_own", ecai__jnum(k->b0),
                                                                "elasticity_own_se", ecai__jnum(k->se0), "prior_mean",
                                                                ecai__jnum(pool[0]), "prior_sd", ecai__jnum(pool[1]))
                                                    : json_null());
  char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
  if (s && p->rfn) {
    rbuf[0] = 0;
    size_t bad;
    if (p->rfn(s, strlen(s), rbuf, 2048, p->rpayload) == 0) {
      rbuf[2047] = 0;
      if (ecai__utf8_valid(rbuf, strlen(rbuf), &bad)) {
        json_object_set_new(j, "rationale", json_string(rbuf));
        free(s);
        s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
      }
    }
  }
  json_decref(j);
  if (!s) return ECAI_ENOMEM;
  ecai__buf_puts(b, s);
  ecai__buf_puts(b, "\n");
  free(s);
  return b->oom ? ECAI_ENOMEM : ECAI_OK;
}

/* Splits the sorted observations into keys: span, current price and cost. */
static void key_spans(const ecai_pricing *p, const obs *o, keyfit *k) {
  for (size_t i = 0; i < p->nkeys; i++) k[i].s0 = k[i].s1 = p->n;
  for (size_t i = p->n; i-- > 0;) k[o[i].key].s0 = i;
  for (size_t key = 0; key < p->nkeys; key++) {
    keyfit *x = &k[key];
    x->s1 = x->s0;
    while (x->s1 < p->n && o[x->s1].key == key) x->s1++;
    x->b0 = x->se0 = NAN;
    if (x->s1 == x->s0) continue;
    x->cur = o[x->s1 - 1].price; /* current price / cost: most recent observation */
    x->cost = -1;
    for (size_t i = x->s1; i-- > x->s0;)
      if (o[i].cost >= 0) {
        x->cost = o[i].cost;
        break;
      }
    if (x->cost < 0 && p->cost_ratio > 0) x->cost = p->cost_ratio * x->cur;
  }
}

/* Fits every key on its own, then (pooling on) refits the identified ones with the
 * shop-wide prior; pool[] receives the prior (NaN when none). */
static ecai_status fit_all(const ecai_pricing *p, const obs *o, ecai__dm_obs *dm, keyfit *k, double *pool) {
  pool[0] = pool[1] = NAN;
  for (size_t i = 0; i < p->nkeys; i++)
    if (k[i].s1 > k[i].s0 && fit_key(p, o, dm, &k[i], 0, 0)) return ECAI_ENOMEM;
  size_t used;
  if (!p->pooling || !pool_prior(p, k, p->nkeys, &pool[0], &pool[1], &used)) return ECAI_OK;
  for (size_t i = 0; i < p->nkeys; i++) {
    if (!poolable(p, &k[i].f)) continue;
    double b0 = k[i].f.b, se0 = k[i].f.se;
    if (fit_key(p, o, dm, &k[i], pool[0], pool[1])) return ECAI_ENOMEM;
    k[i].b0 = b0, k[i].se0 = se0;
  }
  return ECAI_OK;
}

ecai_status ecai_pricing_run(char **out, size_t *out_len, ecai_pricing *p, ecai_pricing_progress_fn progress,
                             void *payload) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(p);
  ecai_status st = ECAI_OK;
  obs *o = ecai__malloc((p->n ? p->n : 1) * sizeof *o);
  ecai__dm_obs *dm = ecai__malloc((p->n ? p->n : 1) * sizeof *dm);
  size_t *order = ecai__malloc((p->nkeys ? p->nkeys : 1) * sizeof *order);
  keyfit *k = ecai__calloc(p->nkeys ? p->nkeys : 1, sizeof *k);
  char *rbuf = p->rfn ? ecai__malloc(2048) : NULL;
  ecai__buf b = {0};
  double pool[2];
  if (!o || !dm || !order || !k || (p->rfn && !rbuf) || !key_order(p, order)) goto oom;
  if (p->n) memcpy(o, p->o, p->n * sizeof *o);
  qsort(o, p->n, sizeof *o, cmp_obs);
  key_spans(p, o, k);
  if (fit_all(p, o, dm, k, pool)) goto oom;
  ecai__buf_puts(&b, "");
  for (size_t oi = 0; oi < p->nkeys; oi++) {
    size_t key = order[oi];
    if (k[key].s1 == k[key].s0) continue; /* a key whose observations were rolled back by a failed load */
    if (emit_key(p, p->key_names[key], &k[key], pool, rbuf, &b)) goto oom;
    if (progress && ((oi + 1) % 1000 == 0 || oi + 1 == p->nkeys) && progress(oi + 1, p->nkeys, payload)) {
      st = ecai__err(ECAI_ECANCELED, "pricing: cancelled by the progress callback after %zu products", oi + 1);
      goto done;
    }
  }
  *out = ecai__buf_take(&b, out_len);
  goto done;
oom:
  st = ecai__err(ECAI_ENOMEM, "pricing: out of memory");
done:
  ecai__buf_free(&b);
  ecai__free(o);
  ecai__free(dm);
  ecai__free(order);
  ecai__free(k);
  ecai__free(rbuf);
  return st;
}
