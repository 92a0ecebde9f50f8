/* ecai report: KPI report per variant, before/after a launch, chart per period. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai report --events FILE [--launch-date YYYY-MM-DD] [--control NAME]\n"
    "                   [--json] [--chart OUT.svg|OUT.html] [--metric NAME]\n"
    "                   [--period day|week|month]\n\n"
    "Reads KPI events (CSV with ts,unit,variant,event,value or JSON lines; gzip ok;\n"
    "events: exposure, add_to_cart, order, ticket_opened, ticket_bot_answered,\n"
    "ticket_escalated) and prints per variant: visitors, conversion rate, average\n"
    "order value, revenue per visitor, checkout abandonment, tickets and bot\n"
    "deflection; tests of each variant against the control (z-test on conversion,\n"
    "Welch and bootstrap on revenue per visitor), a sample-ratio check, and with\n"
    "--launch-date the same metrics before and after the launch.\n"
    "--json prints the report as one JSON document (ecai_kpi_report_json()).\n"
    "--chart writes an SVG (or an HTML page holding it) of --metric (default\n"
    "conversion_rate; also revenue_per_visitor, aov, checkout_abandonment,\n"
    "bot_deflection_rate, visitors) per variant over --period (default day; units\n"
    "are counted in the period of their first event), with the launch date marked.\n"
    "exit status: 0 ok, 2 bad input, 3 runtime failure.\n";

static bool parse_date(const char *s, int64_t *out) {
  int y, m, d;
  char tail;
  if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *out = (era * 146097 + (int64_t)doe - 719468) * 86400;
  return true;
}

static double num(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A number formatted into buf, or "-" when the rate is undefined (null). */
static const char *fmt(char *buf, size_t cap, const char *f, double x) {
  if (isnan(x)) return "-";
  snprintf(buf, cap, f, x);
  return buf;
}

static void row(const char *name, json_t *v) {
  char b1[32], b2[32], b3[32], b4[32], b5[32];
  printf("%-14s %9lld %9s %9s %9s %11s %7lld %10s\n", name, (long long)num(v, "visitors"),
         fmt(b1, sizeof b1, "%.4f", num(v, "conversion_rate")), fmt(b2, sizeof b2, "%.2f", num(v, "aov")),
         fmt(b3, sizeof b3, "%.3f", num(v, "revenue_per_visitor")),
         fmt(b4, sizeof b4, "%.4f", num(v, "checkout_abandonment")), (long long)num(v, "tickets"),
         fmt(b5, sizeof b5, "%.3f", num(v, "bot_deflection_rate")));
}

static void header(void) {
  printf("%-14s %9s %9s %9s %9s %11s %7s %10s\n", "group", "visitors", "conv", "aov", "rev/vis", "abandonment",
         "tickets", "deflection");
}

/* Prints s with the XML special characters escaped. */
static void xml_puts(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*s, f);
    }
  }
}

static const char *COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

/* Second panel: the sequential z statistic of the first comparison's conversion per look
 * with the +-boundary (mSPRT, alpha 0.05) it must cross, from y0 down to y0 + 260. */
static void sequential_panel(FILE *f, json_t *seq, double W, double y0) {
  json_t *zs = json_object_get(seq, "z_by_look"), *bs = json_object_get(seq, "boundaries");
  size_t n = json_array_size(zs), i;
  const double L = 70, R = 150, T = y0 + 40, B = y0 + 230;
  double top = 3;
  for (i = 0; i < n; i++) {
    double z = fabs(json_number_value(json_array_get(zs, i))), b = json_number_value(json_array_get(bs, i));
    if (z > top) top = z;
    if (json_is_number(json_array_get(bs, i)) && b > top && b < 10) top = b;
  }
  top *= 1.1;
#define SX(ii) (n > 1 ? L + (W - L - R) * (double)(ii) / (double)(n - 1) : L + (W - L - R) / 2)
#define SY(val) ((T + B) / 2 - ((B - T) / 2) * (val) / top)
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"14\">conversion: sequential z per look (daily) and the %s boundary</text>\n",
          L, y0 + 24, strstr(json_string_value(json_object_get(seq, "method")), "mSPRT") ? "mSPRT" : "sequential");
  fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, SY(0), W - R, SY(0));
  fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, T, L, B);
  fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%+.1f</text><text x=\"%.0f\" y=\"%.1f\" "
             "text-anchor=\"end\">%+.1f</text>\n", L - 6, SY(top) + 4, top, L - 6, SY(-top) + 4, -top);
  /* paths, not polylines: the polylines of the chart are its variants */
  for (int sign = -1; sign <= 1; sign += 2) {
    fputs("<path class=\"boundary\" fill=\"none\" stroke=\"gray\" stroke-dasharray=\"5 3\" d=\"", f);
    bool first = true;
    for (i = 0; i < n; i++) {
      json_t *b = json_array_get(bs, i);
      if (json_is_number(b) && json_number_value(b) < top)
        fprintf(f, "%s%.1f,%.1f ", first ? "M" : "L", SX(i), SY(sign * json_number_value(b))), first = false;
    }
    fputs("\"/>\n", f);
  }
  fputs("<path class=\"z\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" d=\"", f);
  for (i = 0; i < n; i++) fprintf(f, "%s%.1f,%.1f ", i ? "L" : "M", SX(i), SY(json_number_value(json_array_get(zs, i))));
  fprintf(f, "\"/>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"#d62728\">z</text><text x=\"%.0f\" y=\"%.0f\" "
             "fill=\"gray\">boundary</text>\n", W - R + 16, T + 12, W - R + 16, T + 30);
#undef SX
#undef SY
}

/* Writes the chart to path atomically (temp file + fsync + rename); with seq, a second
 * panel shows the sequential boundary. */
static int write_chart(const char *path, json_t *metrics, const char *metric, const char *launch, json_t *seq) {
  json_t *periods = json_object_get(metrics, "periods"), *vars = json_object_get(metrics, "variants");
  size_t np = json_array_size(periods);
  bool marked = false;
  double lo = INFINITY, hi = -INFINITY;
  size_t i, k;
  json_t *p, *v;
  json_array_foreach(periods, i, p) {
    json_array_foreach(json_object_get(p, "variants"), k, v) {
      double x = num(v, metric);
      if (isfinite(x)) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
  }
  if (!isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) hi = lo + 1;
  double pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  const double W = 800, H = 400, L = 70, R = 150, T = 40, B = 60;
  size_t plen = strlen(path);
  bool html = plen > 5 && !strcmp(path + plen - 5, ".html");
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  if (html)
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s per variant</title></head><body>\n",
            metric);
  bool panel = json_array_size(json_object_get(seq, "z_by_look")) > 0;
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
          "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
          "<text x=\"%.0f\" y=\"24\" font-size=\"16\">%s per variant</text>\n",
          W, panel ? H + 260 : H, L, metric);
  fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
  fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, T, L, H - B);
  for (int t = 0; t <= 4; t++) {
    double val = lo + (hi - lo) * t / 4, y = H - B - (H - B - T) * t / 4;
    fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", L - 6, y + 4, val);
  }
#define XOF(ii) (np > 1 ? L + (W - L - R) * (double)(ii) / (double)(np - 1) : L + (W - L - R) / 2)
#define YOF(val) (H - B - (H - B - T) * ((val) - lo) / (hi - lo))
  json_array_foreach(periods, i, p) {
    if (np <= 12 || i % ((np + 11) / 12) == 0)
      fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", XOF(i), H - B + 18,
              json_string_value(json_object_get(p, "period")));
    const char *lab = json_string_value(json_object_get(p, "period"));
    if (launch && !marked && strncmp(lab, launch, strlen(lab)) >= 0) {
      marked = true;
      fprintf(f,
              "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"gray\" stroke-dasharray=\"4 3\"/>"
              "<text x=\"%.1f\" y=\"%.0f\" fill=\"gray\">launch %s</text>\n",
              XOF(i), T, XOF(i), H - B, XOF(i) + 4, T + 12, launch);
    }
  }
  json_array_foreach(vars, k, v) {
    const char *name = json_string_value(json_object_get(v, "name")), *col = COLORS[k % 6];
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
    json_array_foreach(periods, i, p) {
      size_t m;
      json_t *pv;
      json_array_foreach(json_object_get(p, "variants"), m, pv) {
        if (!strcmp(json_string_value(json_object_get(pv, "name")), name) && isfinite(num(pv, metric)))
          fprintf(f, "%.1f,%.1f ", XOF(i), YOF(num(pv, metric)));
      }
    }
    fprintf(f, "\"/>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
               "<text x=\"%.0f\" y=\"%.0f\">",
            W - R + 16, T + 20.0 * (double)k, col, W - R + 34, T + 20.0 * (double)k + 11);
    xml_puts(f, name);
    fputs("</text>\n", f);
  }
  if (panel) sequential_panel(f, seq, W, H);
  fprintf(f, "</svg>\n");
  if (html) fprintf(f, "</body></html>\n");
  bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

int cmd_report(int argc, char **argv) {
  static const struct option opts[] = {{"events", required_argument, 0, 'e'}, {"launch-date", required_argument, 0, 'l'},
                                       {"control", required_argument, 0, 'c'}, {"json", no_argument, 0, 'j'},
                                       {"chart", required_argument, 0, 'o'},   {"metric", required_argument, 0, 'm'},
                                       {"period", required_argument, 0, 'p'},  {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *events = NULL, *launch = NULL, *control = NULL, *chart = NULL, *metric = "conversion_rate",
             *period = "day";
  bool json = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "e:l:c:jo:m:p:h", opts, NULL)) != -1) {
    switch (c) {
    case 'e': events = optarg; break;
    case 'l': launch = optarg; break;
    case 'c': control = optarg; break;
    case 'j': json = true; break;
    case 'o': chart = optarg; break;
    case 'm': metric = optarg; break;
    case 'p': period = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("report", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("report", "unexpected argument '%s'", argv[optind]);
  if (!events) return cli_usage("report", "--events FILE is required");
  static const char *METRICS[] = {"conversion_rate", "revenue_per_visitor", "aov", "checkout_abandonment",
                                  "bot_deflection_rate", "visitors", NULL};
  bool known = false;
  for (int i = 0; METRICS[i]; i++) known |= !strcmp(METRICS[i], metric);
  if (!known) return cli_usage("report", "unknown --metric '%s'", metric);
  int64_t launch_ts = INT64_MIN;
  if (launch && !parse_date(launch, &launch_ts)) return cli_usage("report", "--launch-date must be YYYY-MM-DD (got '%s')", launch);
  if (chart) {
    size_t n = strlen(chart);
    if (!(n > 4 && !strcmp(chart + n - 4, ".svg")) && !(n > 5 && !strcmp(chart + n - 5, ".html")))
      return cli_usage("report", "--chart must end in .svg or .html");
  }
  ecai_kpi *k = NULL;
  ecai_status st = ecai_kpi_new(&k);
  if (!st) st = ecai_kpi_load_file(k, events);
  if (st) {
    ecai_kpi_free(k);
    return cli_fail("report", st, "cannot load events");
  }
  char *js = NULL, *mjs = NULL;
  size_t n = 0, mn = 0;
  st = ecai_kpi_report_json(&js, &n, k, control, launch_ts);
  if (!st && chart) st = ecai_kpi_metrics_json(&mjs, &mn, k, period);
  ecai_kpi_free(k);
  if (st) {
    ecai_free(js);
    return cli_fail("report", st, "report failed");
  }
  int rc = CLI_OK;
  if (chart) {
    json_t *m = json_loadb(mjs, mn, 0, NULL), *r = json_loadb(js, n, 0, NULL);
    json_t *seq = json_object_get(json_object_get(json_array_get(json_object_get(r, "comparisons"), 0), "conversion"),
                                  "sequential");
    int wr = m ? write_chart(chart, m, metric, launch, seq) : -1;
    json_decref(r);
    if (wr != 0) {
      fprintf(stderr, "ecai report: cannot write chart '%s'\n", chart);
      rc = CLI_RUNTIME;
    }
    json_decref(m);
  }
  ecai_free(mjs);
  if (json) {
    printf("%s\n", js);
    ecai_free(js);
    return rc;
  }
  json_t *j = json_loadb(js, n, 0, NULL);
  ecai_free(js);
  if (!j) return CLI_RUNTIME;
  size_t i;
  json_t *v;
  printf("KPI report: %s (%lld events; control %s)\n\n", events, (long long)num(j, "events"),
         json_string_value(json_object_get(j, "control")));
  header();
  json_array_foreach(json_object_get(j, "variants"), i, v) row(json_string_value(json_object_get(v, "name")), v);
  json_array_foreach(json_object_get(j, "comparisons"), i, v) {
    json_t *cv = json_object_get(v, "conversion"), *rv = json_object_get(v, "revenue_per_visitor");
    printf("\n%s vs control:\n", json_string_value(json_object_get(v, "variant")));
    if (json_is_object(cv))
      printf("  conversion  diff %+.4f (lift %+.2f %%), z %.3f, p %.4g, 95%% CI [%.4f, %.4f]\n", num(cv, "diff"),
             100 * num(cv, "lift"), num(cv, "z"), num(cv, "p_value"), json_number_value(json_array_get(json_object_get(cv, "ci"), 0)),
             json_number_value(json_array_get(json_object_get(cv, "ci"), 1)));
    if (json_is_object(rv))
      printf("  rev/visitor diff %+.4f, Welch t %.3f (df %.1f), p %.4g, bootstrap 95%% CI [%.4f, %.4f]\n",
             num(rv, "diff"), num(rv, "t"), num(rv, "df"), num(rv, "p_value"),
             json_number_value(json_array_get(json_object_get(rv, "bootstrap_ci"), 0)),
             json_number_value(json_array_get(json_object_get(rv, "bootstrap_ci"), 1)));
    json_t *sq = json_object_get(cv, "sequential");
    if (json_is_object(sq))
      printf("  sequential  conversion, mSPRT over %lld daily looks: always-valid p %.4g, %s\n",
             (long long)json_integer_value(json_object_get(sq, "looks")), num(sq, "always_valid_p"),
             json_is_true(json_object_get(sq, "reject")) ? "REJECT (boundary crossed)" : "continue");
    size_t gi;
    json_t *g;
    json_array_foreach(json_object_get(v, "guardrails"), gi, g) {
      if (!json_is_true(json_object_get(g, "flag"))) continue;
      const char *m = json_string_value(json_object_get(g, "metric"));
      json_t *o = json_object_get(v, m);
      printf("  GUARDRAIL   %s moved the wrong way: diff %+.4f, p (Holm) %.4g\n", m, num(o, "diff"),
             num(o, "p_adjusted"));
    }
  }
  json_t *srm = json_object_get(j, "srm");
  if (json_is_object(srm))
    printf("\nsample ratio: chi2 %.3f, p %.4g%s\n", num(srm, "chi2"), num(srm, "p_value"),
           json_is_true(json_object_get(srm, "flag")) ? "  WARNING: sample ratio mismatch" : "");
  json_t *ba = json_object_get(j, "before_after");
  if (json_is_object(ba)) {
    printf("\nbefore/after launch %s:\n", json_string_value(json_object_get(ba, "launch_date")));
    header();
    row("before", json_object_get(ba, "before"));
    row("after", json_object_get(ba, "after"));
    json_t *cv = json_object_get(json_object_get(ba, "tests"), "conversion");
    if (json_is_object(cv))
      printf("  conversion after vs before: diff %+.4f, z %.3f, p %.4g\n", num(cv, "diff"), num(cv, "z"),
             num(cv, "p_value"));
  }
  if (chart) printf("\nchart written to %s\n", chart);
  json_decref(j);
  return rc;
}
