/* ecai config: validate a configuration file, print the effective (redacted) settings. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai config [--config FILE] [--json]\n\n"
    "Validates a configuration file (the JSON document ecai_ctx_new() takes) and prints\n"
    "the effective settings: defaults, the file and environment overrides merged.\n"
    "Secrets (API keys) are shown as \"***\" with a <name>_set flag.\n"
    "Without --config the embedded defaults are shown.\n"
    "exit status: 0 valid, 2 unreadable or invalid (one line naming the key or offset).\n";

int cmd_config(int argc, char **argv) {
  static const struct option opts[] = {
      {"config", required_argument, 0, 'c'}, {"json", no_argument, 0, 'j'},
      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *path = NULL;
  bool json = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'c': path = optarg; break;
    case 'j': json = true; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("config", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("config", "unexpected argument '%s'", argv[optind]);
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("config", path, &ctx);
  if (rc) return rc;
  char *js = NULL;
  ecai_status st = ecai_ctx_config_json(&js, NULL, ctx);
  if (st) {
    ecai_ctx_free(ctx);
    return cli_fail("config", st, "cannot serialise");
  }
  if (json) printf("%s\n", js);
  else printf("configuration %s is valid\n%s\n", path ? path : "(defaults)", js);
  ecai_free(js);
  ecai_ctx_free(ctx);
  return CLI_OK;
}
