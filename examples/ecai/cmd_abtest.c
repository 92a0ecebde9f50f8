/* ecai abtest: A/B/n test straight from a one-row-per-unit CSV file (CUPED, mSPRT). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai abtest --csv FILE --variant-column COL --metric-column COL\n"
    "                   [--metric proportion|mean] [--control NAME] [--covariate COL]\n"
    "                   [--sequential --look-column COL [--sequential-method msprt|obf]]\n"
    "                   [--alpha X] [--json]\n\n"
    "A/B/n test from a CSV file with one row per unit (plain or gzip).\n"
    "  proportion (default): the metric column holds 0/1 or true/false (any case);\n"
    "                        two-proportion z-test with pooled SE, 95 % CI of the\n"
    "                        difference with unpooled SE.\n"
    "  mean:                 numbers; Welch's t-test (Welch-Satterthwaite df).\n"
    "The control is --control or the first variant name in byte order. Every other\n"
    "variant is compared with it (\"comparisons\", p-values Holm-adjusted over the\n"
    "comparisons, Bayesian P(beats control) and expected loss); the top-level figures\n"
    "describe the first comparison (the next variant in byte order). The\n"
    "sample-ratio-mismatch check tests the group sizes against equal weights.\n"
    "  --covariate COL   CUPED (Deng et al. 2013): adjust the metric by a pre-experiment\n"
    "                    value per unit; diff, ci95, p_value become the adjusted ones.\n"
    "                    Missing values (empty, NA) are imputed at the mean and counted.\n"
    "  --sequential --look-column COL\n"
    "                    mSPRT (Johari et al. 2017): each distinct value of COL (numbers\n"
    "                    or dates, in sorted order) is a look; always-valid p-value, valid\n"
    "                    however often you peek; decision at --alpha (default 0.05).\n"
    "  --sequential-method obf\n"
    "                    instead a group-sequential design with Lan-DeMets O'Brien-Fleming\n"
    "                    alpha spending over the looks in the file (more power; valid when\n"
    "                    the last look is the planned end), repeated p-value.\n"
    "--json prints one document:\n"
    "  {\"variants\":[{\"name\",\"n\",\"mean\",...}],\"lift\",\"statistic\",\"p_value\",\n"
    "   \"ci95\":[lo,hi],\"srm_p_value\",\"comparisons\":[{\"variant\",\"diff\",\"lift\",\"ci95\",\n"
    "   \"p_value\",\"p_adjusted\",\"p_beats_control\",\"expected_loss\"}],\n"
    "   \"cuped\":{\"theta\",\"variance_reduction\",...},\"sequential\":{\"reject\",\"looks\",\n"
    "   \"stopped_at\",\"always_valid_p\",\"method\",...},...}\n"
    "with lift as a FRACTION (-0.04312 = -4.312 %) and ci95 the interval of\n"
    "treatment - control.\n"
    "exit status: 0 ok, 2 bad input (missing file/column, bad value), 3 runtime failure.\n";

int cmd_abtest(int argc, char **argv) {
  static const struct option opts[] = {{"csv", required_argument, 0, 'f'},
                                       {"variant-column", required_argument, 0, 'v'},
                                       {"metric-column", required_argument, 0, 'm'},
                                       {"metric", required_argument, 0, 'k'},
                                       {"control", required_argument, 0, 'c'},
                                       {"covariate", required_argument, 0, 'x'},
                                       {"sequential", no_argument, 0, 's'},
                                       {"look-column", required_argument, 0, 'l'},
                                       {"alpha", required_argument, 0, 'a'},
                                       {"sequential-method", required_argument, 0, 'M'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *csv = NULL, *vcol = NULL, *mcol = NULL, *control = NULL, *cov = NULL, *look = NULL,
             *alpha = NULL, *smethod = NULL;
  ecai_abtest_metric kind = ECAI_ABTEST_PROPORTION;
  bool json = false, seq = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "f:v:m:k:c:x:sl:a:M:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'f': csv = optarg; break;
    case 'v': vcol = optarg; break;
    case 'm': mcol = optarg; break;
    case 'c': control = optarg; break;
    case 'x': cov = optarg; break;
    case 's': seq = true; break;
    case 'l': look = optarg; break;
    case 'a': alpha = optarg; break;
    case 'M':
      if (strcmp(optarg, "msprt") && strcmp(optarg, "obf"))
        return cli_usage("abtest", "--sequential-method must be msprt or obf (got '%s')", optarg);
      smethod = optarg;
      break;
    case 'k':
      if (!strcmp(optarg, "proportion")) kind = ECAI_ABTEST_PROPORTION;
      else if (!strcmp(optarg, "mean")) kind = ECAI_ABTEST_MEAN;
      else return cli_usage("abtest", "--metric must be proportion or mean (got '%s')", optarg);
      break;
    case 'j': json = true; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("abtest", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("abtest", "unexpected argument '%s'", argv[optind]);
  if (!csv || !vcol || !mcol) return cli_usage("abtest", "--csv, --variant-column and --metric-column are required");
  if (seq != (look != NULL)) return cli_usage("abtest", "--sequential and --look-column go together");
  if (smethod && !seq) return cli_usage("abtest", "--sequential-method needs --sequential");
  json_t *o = json_object();
  if (cov) json_object_set_new(o, "covariate", json_string(cov));
  if (smethod) json_object_set_new(o, "sequential_method", json_string(smethod));
  if (seq) json_object_set_new(o, "sequential", json_true()), json_object_set_new(o, "look_column", json_string(look));
  if (alpha) {
    char *end;
    double a = strtod(alpha, &end);
    if (*end || !(a > 0 && a < 1)) {
      json_decref(o);
      return cli_usage("abtest", "--alpha must be a number between 0 and 1 (got '%s')", alpha);
    }
    json_object_set_new(o, "alpha", json_real(a));
  }
  char *optj = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_abtest_csv_opts_json(&js, &n, csv, vcol, mcol, kind, control, optj);
  free(optj);
  if (st) return cli_fail("abtest", st, "test failed");
  if (json) {
    printf("%s\n", js);
    ecai_free(js);
    return CLI_OK;
  }
  json_t *j = json_loadb(js, n, 0, NULL);
  ecai_free(js);
  if (!j) {
    fprintf(stderr, "ecai abtest: cannot parse the library's JSON\n");
    return CLI_RUNTIME;
  }
  bool prop = kind == ECAI_ABTEST_PROPORTION;
  printf("%s on '%s' by '%s' (%s)\n\n", json_string_value(json_object_get(j, "test")), mcol, vcol, csv);
  printf("%-20s %10s %14s\n", "variant", "n", prop ? "rate" : "mean");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(j, "variants"), i, v) {
    printf("%-20s %10lld %14.6f%s\n", json_string_value(json_object_get(v, "name")),
           (long long)json_integer_value(json_object_get(v, "n")), json_number_value(json_object_get(v, "mean")),
           i == 0 ? "  (control)" : "");
  }
  json_t *ci = json_object_get(j, "ci95");
  printf("\n%-20s %+.4f %%\n", "lift", 100 * json_number_value(json_object_get(j, "lift")));
  printf("%-20s %.4f\n", prop ? "z" : "t", json_number_value(json_object_get(j, "statistic")));
  if (!prop) printf("%-20s %.1f\n", "df", json_number_value(json_object_get(j, "df")));
  printf("%-20s %.6g\n", "p-value (2-sided)", json_number_value(json_object_get(j, "p_value")));
  printf("%-20s [%.6f, %.6f]\n", "95% CI of diff", json_number_value(json_array_get(ci, 0)),
         json_number_value(json_array_get(ci, 1)));
  json_t *cs = json_object_get(j, "comparisons");
  if (json_array_size(cs) > 1) {
    printf("\n%-20s %10s %9s %11s %11s %9s %9s\n", "vs control", "diff", "lift %", "p", "p (Holm)", "P(beats)",
           "exp.loss");
    json_array_foreach(cs, i, v) {
      printf("%-20s %+10.5f %+9.3f %11.4g %11.4g %9.4f %9.3g\n", json_string_value(json_object_get(v, "variant")),
             json_number_value(json_object_get(v, "diff")), 100 * json_number_value(json_object_get(v, "lift")),
             json_number_value(json_object_get(v, "p_value")), json_number_value(json_object_get(v, "p_adjusted")),
             json_number_value(json_object_get(v, "p_beats_control")),
             json_number_value(json_object_get(v, "expected_loss")));
    }
  } else {
    v = json_array_get(cs, 0);
    printf("%-20s %.4f (expected loss %.3g)\n", "P(beats control)",
           json_number_value(json_object_get(v, "p_beats_control")),
           json_number_value(json_object_get(v, "expected_loss")));
  }
  json_t *cu = json_object_get(j, "cuped");
  if (cu)
    printf("%-20s theta %.4f, variance reduction %.1f %%, %lld missing covariate(s)\n", "CUPED",
           json_number_value(json_object_get(cu, "theta")),
           100 * json_number_value(json_object_get(cu, "variance_reduction")),
           (long long)json_integer_value(json_object_get(cu, "missing_covariate")));
  json_t *sq = json_object_get(j, "sequential");
  if (sq) {
    json_t *at = json_object_get(sq, "stopped_at");
    printf("%-20s %s: always-valid p %.4g over %lld looks", smethod && !strcmp(smethod, "obf") ? "sequential (OBF)" : "sequential (mSPRT)",
           json_is_true(json_object_get(sq, "reject")) ? "REJECT" : "continue",
           json_number_value(json_object_get(sq, "always_valid_p")),
           (long long)json_integer_value(json_object_get(sq, "looks")));
    if (json_is_integer(at)) printf(", boundary crossed at look %lld", (long long)json_integer_value(at));
    printf("\n");
  }
  double srm = json_number_value(json_object_get(j, "srm_p_value"));
  printf("%-20s chi2 %.3f, p %.4f%s\n", "sample ratio", json_number_value(json_object_get(j, "srm_chi2")), srm,
         srm < 0.01 ? "  WARNING: sample ratio mismatch (groups differ from 50/50 design)" : "");
  json_decref(j);
  return CLI_OK;
}
