/* ecai version: library and tool versions; warns when the header and library differ. */
#include <string.h>

#include "cli.h"

int cmd_version(int argc, char **argv) {
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: ecai version [--json]\n\nPrints the version of the libecai library in use.\n");
      return CLI_OK;
    } else if (!strcmp(argv[i], "--json")) json = true;
    else return cli_usage("version", "unknown option '%s'", argv[i]);
  }
  if (json)
    printf("{\"library\":\"%s\",\"library_number\":%u,\"tool\":\"%s\"}\n", ecai_version_string(),
           ecai_version_number(), ECAI_VERSION_STRING);
  else
    printf("ecai %s (libecai %s)\n", ECAI_VERSION_STRING, ecai_version_string());
  if (ecai_version_number() / 10000 != ECAI_VERSION_MAJOR) {
    fprintf(stderr, "ecai version: library major %u differs from the tool's %d\n",
            ecai_version_number() / 10000, ECAI_VERSION_MAJOR);
    return CLI_FAILED;
  }
  return CLI_OK;
}
