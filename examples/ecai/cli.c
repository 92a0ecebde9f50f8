/* Shared helpers of the `ecai` command-line tool. */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "ecai %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (try 'ecai %s --help')\n", cmd);
  return CLI_USAGE;
}

int cli_exit_for(ecai_status st) {
  switch (st) {
  case ECAI_OK: return CLI_OK;
  case ECAI_EINVAL: case ECAI_EPARSE: case ECAI_ENOTFOUND: case ECAI_EIO: case ECAI_ECORRUPT:
  case ECAI_EUNSUPPORTED:
    return CLI_USAGE;
  default:
    return CLI_RUNTIME;
  }
}

int cli_fail(const char *cmd, ecai_status st, const char *what) {
  const char *msg = ecai_last_error();
  fprintf(stderr, "ecai %s: %s: %s\n", cmd, what, (msg && *msg) ? msg : ecai_status_str(st));
  return cli_exit_for(st);
}

bool cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
  }
  return false;
}

int cli_ctx(const char *cmd, const char *path, ecai_ctx **out) {
  ecai_status st = path ? ecai_ctx_new_from_file(out, path) : ecai_ctx_new(out, NULL, 0);
  return st == ECAI_OK ? CLI_OK : cli_fail(cmd, st, "configuration");
}

static bool progress_shown;

void cli_progress(const char *what, size_t done, size_t total) {
  if (!isatty(STDERR_FILENO) || total == 0) return;
  int width = 30, fill = (int)((double)done / (double)total * width);
  if (fill > width) fill = width;
  fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", what, fill, "##############################", width - fill, "",
          done, total);
  progress_shown = true;
}

void cli_progress_end(void) {
  if (progress_shown) fputc('\n', stderr);
  progress_shown = false;
}
