/* ecai abtest: two-variant test straight from a one-row-per-unit CSV file. */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai abtest --csv FILE --variant-column COL --metric-column COL\n"
    "                   [--metric proportion|mean] [--control NAME] [--json]\n\n"
    "A/B test from a CSV file with one row per unit (plain or gzip).\n"
    "  proportion (default): the metric column holds 0/1 or true/false (any case);\n"
    "                        two-proportion z-test with pooled SE, 95 % CI of the\n"
    "                        difference with unpooled SE.\n"
    "  mean:                 numbers; Welch's t-test (Welch-Satterthwaite df).\n"
    "The control is --control or the first variant name in byte order; the test\n"
    "compares the next variant (byte order) with it. The sample-ratio-mismatch check\n"
    "tests the group sizes against equal weights.\n"
    "--json prints one document:\n"
    "  {\"variants\":[{\"name\",\"n\",\"mean\",...}],\"lift\",\"statistic\",\"p_value\",\n"
    "   \"ci95\":[lo,hi],\"srm_p_value\",...}\n"
    "with lift as a FRACTION (-0.04312 = -4.312 %) and ci95 the interval of\n"
    "treatment - control.\n"
    "exit status: 0 ok, 2 bad input (missing file/column, bad value), 3 runtime failure.\n";

int cmd_abtest(int argc, char **argv) {
  static const struct option opts[] = {{"csv", required_argument, 0, 'f'},
                                       {"variant-column", required_argument, 0, 'v'},
                                       {"metric-column", required_argument, 0, 'm'},
                                       {"metric", required_argument, 0, 'k'},
                                       {"control", required_argument, 0, 'c'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *csv = NULL, *vcol = NULL, *mcol = NULL, *control = NULL;
  ecai_abtest_metric kind = ECAI_ABTEST_PROPORTION;
  bool json = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "f:v:m:k:c:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'f': csv = optarg; break;
    case 'v': vcol = optarg; break;
    case 'm': mcol = optarg; break;
    case 'c': control = optarg; break;
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
  char *js = NULL;
  size_t n = 0;
  ecai_status st = ecai_abtest_csv_json(&js, &n, csv, vcol, mcol, kind, control);
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
  double srm = json_number_value(json_object_get(j, "srm_p_value"));
  printf("%-20s chi2 %.3f, p %.4f%s\n", "sample ratio", json_number_value(json_object_get(j, "srm_chi2")), srm,
         srm < 0.01 ? "  WARNING: sample ratio mismatch (groups differ from 50/50 design)" : "");
  json_decref(j);
  return CLI_OK;
}
