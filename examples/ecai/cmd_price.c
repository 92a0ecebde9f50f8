/* ecai price: batch price suggestions with guardrails. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai price --history FILE [options] [--json | --summary]\n\n"
    "Estimates each product's price elasticity from list-price changes over time\n"
    "(Poisson regression of units per day and price tier, with weekday, trend and\n"
    "season controls; prices tied to order size or segment are recognised as tiers),\n"
    "checks it out of time against a no-change forecast, and suggests a price that\n"
    "raises the objective, bounded by guardrails. Other products are held back with a\n"
    "reason (thin_data, not_identified, few_prices, low_price_variation, poor_fit,\n"
    "positive_elasticity, not_validated, no_cost, guardrail_conflict, no_improvement).\n\n"
    "FILE (plain or gzip) is either a generic history CSV\n"
    "  product_id,date,price,quantity[,unit_cost][,segment][,floor][,ceiling][,map]\n"
    "or invoice lines in the UCI Online Retail layout\n"
    "  InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "(cancellations, non-product codes and non-positive quantities/prices skipped).\n\n"
    "options:\n"
    "  --objective revenue|margin   what to raise (default revenue)\n"
    "  --min-observations N         aggregated observations needed (default 8)\n"
    "  --min-prices N               distinct prices needed (default 3)\n"
    "  --max-change F               largest change per step, fraction (default 0.10)\n"
    "  --min-margin F               minimum margin (p-c)/p when the cost is known (0.20)\n"
    "  --unit-cost-ratio F          assume cost = F x price when unknown (default: unknown)\n"
    "  --min-r2 F, --max-slope-se F fit checks (defaults 0.10, 0.30)\n"
    "  --validation-share F         later share held out to validate (0.25; 0 = off)\n"
    "  --aggregate day|week|none    model period (default day; none = day)\n"
    "  --by-segment                 one result per product and segment (Country)\n"
    "  --no-pooling                 each product on its own (default: partial pooling of\n"
    "                               the elasticities across the run's products)\n"
    "  --config FILE                defaults from the \"pricing\" section\n"
    "output:\n"
    "  --json     JSON LINES: one object per product (suggestion or hold-back reason)\n"
    "  --summary  one JSON document: counts by status and reason, elasticity quantiles,\n"
    "             out-of-time validation across products\n"
    "  (default)  a readable table of the suggestions and the summary\n"
    "exit status: 0 ok, 2 bad input, 3 runtime failure.\n";

static int progress_cb(size_t done, size_t total, void *payload) {
  (void)payload;
  cli_progress("pricing", done, total);
  return 0;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double q(const double *v, size_t n, double p) {
  if (!n) return NAN;
  double h = (double)(n - 1) * p;
  size_t i = (size_t)h;
  return i + 1 < n ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

static void count(json_t *obj, const char *key) {
  json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

static bool num_arg(const char *s, double *v) {
  char *end;
  *v = strtod(s, &end);
  return end != s && !*end && isfinite(*v);
}

int cmd_price(int argc, char **argv) {
  static const struct option opts[] = {
      {"history", required_argument, 0, 'H'},     {"objective", required_argument, 0, 'o'},
      {"min-observations", required_argument, 0, 'n'}, {"min-prices", required_argument, 0, 'P'},
      {"max-change", required_argument, 0, 'x'},  {"min-margin", required_argument, 0, 'g'},
      {"unit-cost-ratio", required_argument, 0, 'u'}, {"min-r2", required_argument, 0, 'r'},
      {"max-slope-se", required_argument, 0, 's'}, {"aggregate", required_argument, 0, 'a'},
      {"by-segment", no_argument, 0, 'b'},        {"config", required_argument, 0, 'c'},
      {"validation-share", required_argument, 0, 'v'}, {"no-pooling", no_argument, 0, 'N'},
      {"json", no_argument, 0, 'j'},              {"summary", no_argument, 0, 'S'},
      {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
  struct { ecai_pricing_opt opt; const char *s; double d; int kind; } set[16];
  int nset = 0;
  const char *hist = NULL, *cfg = NULL;
  bool json = false, summary = false, by_segment = false, no_pooling = false;
  int c;
  double v;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "H:o:n:P:x:g:u:r:s:a:bc:v:jSh", opts, NULL)) != -1) {
    ecai_pricing_opt o = 0;
    int kind = 2;
    switch (c) {
    case 'H': hist = optarg; continue;
    case 'c': cfg = optarg; continue;
    case 'j': json = true; continue;
    case 'S': summary = true; continue;
    case 'b': by_segment = true; continue;
    case 'N': no_pooling = true; continue;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    case 'o': o = ECAI_PRICING_OPT_OBJECTIVE; kind = 0; break;
    case 'a': o = ECAI_PRICING_OPT_AGGREGATE; kind = 0; break;
    case 'n': o = ECAI_PRICING_OPT_MIN_OBSERVATIONS; kind = 1; break;
    case 'P': o = ECAI_PRICING_OPT_MIN_DISTINCT_PRICES; kind = 1; break;
    case 'x': o = ECAI_PRICING_OPT_MAX_CHANGE; break;
    case 'g': o = ECAI_PRICING_OPT_MIN_MARGIN; break;
    case 'u': o = ECAI_PRICING_OPT_UNIT_COST_RATIO; break;
    case 'r': o = ECAI_PRICING_OPT_MIN_R2; break;
    case 's': o = ECAI_PRICING_OPT_MAX_SLOPE_SE; break;
    case 'v': o = ECAI_PRICING_OPT_VALIDATION_SHARE; break;
    default: return cli_usage("price", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (kind && (!num_arg(optarg, &v) || (kind == 1 && v != floor(v)))) {
      const char *name = "?";
      for (const struct option *op = opts; op->name; op++)
        if (op->val == c) name = op->name;
      return cli_usage("price", "--%s needs a%s number (got '%s')", name, kind == 1 ? "n integer" : "", optarg);
    }
    set[nset].opt = o;
    set[nset].s = optarg;
    set[nset].d = kind ? v : 0;
    set[nset++].kind = kind;
    if (nset == 16) return cli_usage("price", "too many options");
  }
  if (optind < argc) return cli_usage("price", "unexpected argument '%s'", argv[optind]);
  if (!hist) return cli_usage("price", "--history FILE is required");
  if (json && summary) return cli_usage("price", "--json and --summary exclude each other");
  ecai_ctx *ctx = NULL;
  int rc = cfg ? cli_ctx("price", cfg, &ctx) : CLI_OK;
  if (rc) return rc;
  ecai_pricing *p = NULL;
  ecai_status st = ecai_pricing_new(&p, ctx);
  if (!st && by_segment) st = ecai_pricing_set_int(p, ECAI_PRICING_OPT_BY_SEGMENT, 1);
  if (!st && no_pooling) st = ecai_pricing_set_int(p, ECAI_PRICING_OPT_POOLING, 0);
  for (int i = 0; i < nset && !st; i++) {
    if (set[i].kind == 0) st = ecai_pricing_set_str(p, set[i].opt, set[i].s);
    else if (set[i].kind == 1) st = ecai_pricing_set_int(p, set[i].opt, (int64_t)set[i].d);
    else st = ecai_pricing_set_double(p, set[i].opt, set[i].d);
  }
  if (st) {
    rc = cli_fail("price", st, "bad option");
    goto out;
  }
  st = ecai_pricing_load_file(p, hist);
  if (st) {
    rc = cli_fail("price", st, "cannot load history");
    goto out;
  }
  char *lines = NULL;
  size_t len = 0;
  st = ecai_pricing_run(&lines, &len, p, progress_cb, NULL);
  cli_progress_end();
  if (st) {
    rc = cli_fail("price", st, "pricing failed");
    goto out;
  }
  if (json) {
    fwrite(lines, 1, len, stdout);
    ecai_free(lines);
    goto out;
  }
  /* summary and table */
  json_t *reasons = json_object(), *details = json_object(), *vstat = json_object(), *vfail = json_object(),
         *bases = json_object();
  size_t nprod = 0, nsug = 0, ncut = 0, nel = 0, nimp = 0, cap = 1024;
  double *el = malloc(cap * sizeof *el), *imp = malloc(cap * sizeof *imp);
  if (!el || !imp || !reasons || !details || !vstat || !vfail || !bases) {
    free(el);
    free(imp);
    json_decref(reasons);
    json_decref(details);
    json_decref(vstat);
    json_decref(vfail);
    json_decref(bases);
    ecai_free(lines);
    fprintf(stderr, "ecai price: out of memory\n");
    rc = CLI_RUNTIME;
    goto out;
  }
  if (!summary)
    printf("%-14s %-10s %10s %10s %8s %10s %s\n", "product", "segment", "price", "suggested", "change", "elasticity",
           "expected objective change");
  for (char *line = lines; line && *line;) {
    char *nl = strchr(line, '\n');
    size_t ll = nl ? (size_t)(nl - line) : strlen(line);
    json_t *j = json_loadb(line, ll, 0, NULL);
    line += ll + (nl ? 1 : 0);
    if (!j) continue;
    nprod++;
    const char *reason = json_string_value(json_object_get(j, "reason"));
    const char *detail = json_string_value(json_object_get(j, "reason_detail"));
    if (strcmp(reason, "ok")) count(reasons, reason);
    if (detail) {
      char key[160];
      snprintf(key, sizeof key, "%s:%s", reason, detail);
      count(details, key);
    }
    json_t *val = json_object_get(j, "validation"), *t = json_object_get(j, "tiers");
    const char *vs = json_string_value(json_object_get(val, "status")),
               *vd = json_string_value(json_object_get(val, "detail"));
    if (vs) count(vstat, vs);
    if (vd) count(vfail, vd);
    if (json_string_value(json_object_get(t, "basis"))) count(bases, json_string_value(json_object_get(t, "basis")));
    if (nel == cap || nimp == cap) {
      double *ne = realloc(el, 2 * cap * sizeof *el), *ni = ne ? realloc(imp, 2 * cap * sizeof *imp) : NULL;
      if (ne) el = ne;
      if (ni) imp = ni;
      if (!ne || !ni) break;
      cap *= 2;
    }
    double dmod = json_number_value(json_object_get(val, "deviance_model")),
           d0 = json_number_value(json_object_get(val, "deviance_no_change"));
    if (d0 > 0 && json_is_number(json_object_get(val, "deviance_model"))) imp[nimp++] = 1 - dmod / d0;
    json_t *e = json_object_get(j, "elasticity");
    bool fitted = strcmp(reason, "thin_data") && strcmp(reason, "few_prices") && strcmp(reason, "low_price_variation") &&
                  strcmp(reason, "not_identified");
    if (json_is_number(e) && fitted) el[nel++] = json_number_value(e);
    if (!strcmp(reason, "ok")) {
      nsug++;
      ncut += json_number_value(json_object_get(j, "change")) < 0;
      if (!summary) {
        json_t *seg = json_object_get(j, "segment");
        printf("%-14s %-10.10s %10.2f %10.2f %+7.1f%% %10.3f %+.1f%%\n", json_string_value(json_object_get(j, "product")),
               json_is_string(seg) ? json_string_value(seg) : "-", json_number_value(json_object_get(j, "current_price")),
               json_number_value(json_object_get(j, "suggested_price")),
               100 * json_number_value(json_object_get(j, "change")), json_number_value(e),
               100 * json_number_value(json_object_get(j, "expected_objective_change")));
      }
    }
    json_decref(j);
  }
  ecai_free(lines);
  qsort(el, nel, sizeof *el, cmp_d);
  json_t *qs = json_object();
  static const double P[] = {0.05, 0.25, 0.5, 0.75, 0.95};
  static const char *PN[] = {"p05", "p25", "p50", "p75", "p95"};
  for (int i = 0; i < 5; i++) json_object_set_new(qs, PN[i], nel ? json_real(q(el, nel, P[i])) : json_null());
  qsort(imp, nimp, sizeof *imp, cmp_d);
  json_t *sum = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:o,s:o,s:{s:o,s:o,s:o}}", "observations",
                          (json_int_t)ecai_pricing_count(p), "products", (json_int_t)nprod, "suggested",
                          (json_int_t)nsug, "suggested_cuts", (json_int_t)ncut, "suggested_raises",
                          (json_int_t)(nsug - ncut), "held_back", (json_int_t)(nprod - nsug), "held_back_by_reason",
                          reasons, "held_back_by_detail", details, "fitted", (json_int_t)nel,
                          "elasticity_quantiles_fitted", qs, "tiers_by_basis", bases, "validation", "by_status", vstat,
                          "by_detail", vfail, "median_deviance_improvement",
                          nimp ? json_real(q(imp, nimp, 0.5)) : json_null());
  free(el);
  free(imp);
  char *s = json_dumps(sum, (summary ? JSON_COMPACT : JSON_INDENT(2)) | JSON_REAL_PRECISION(6));
  if (!summary) printf("\n%zu of %zu products got a suggestion; summary:\n", nsug, nprod);
  if (s) printf("%s\n", s);
  free(s);
  json_decref(sum);
out:
  ecai_pricing_free(p);
  ecai_ctx_free(ctx);
  return rc;
}
