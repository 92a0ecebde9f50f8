/*
 * Shared helpers of the `ecai` command-line tool (public libecai API only).
 *
 * Exit status convention (documented in `ecai --help` and README):
 *   0  success
 *   1  a check failed (e.g. an evaluation target missed, a verification failed)
 *   2  bad input or usage error (unknown option, missing/corrupt file, malformed data)
 *   3  runtime failure (remote endpoint, timeout, out of memory, budget)
 * Every failure prints exactly one line to stderr: "ecai <command>: <reason>".
 */
#ifndef ECAI_CLI_H
#define ECAI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <ecai.h>

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_RUNTIME = 3 };

typedef int (*cli_fn)(int argc, char **argv);
typedef struct {
  const char *name;    /* subcommand */
  const char *summary; /* one line for `ecai --help` */
  cli_fn fn;           /* argv[0] is the subcommand name */
} cli_cmd;

/* Prints "ecai CMD: message (try 'ecai CMD --help')" and returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "ecai CMD: WHAT: <ecai_last_error() or status name>" and returns the exit
 * status for the status: 2 for bad input (EINVAL, EPARSE, ENOTFOUND, EIO, ECORRUPT),
 * 3 otherwise. */
int cli_fail(const char *cmd, ecai_status st, const char *what);
/* Exit status for a library status (see cli_fail) without printing. */
int cli_exit_for(ecai_status st);
/* True when argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);
/* Creates a context from --config FILE (or the embedded defaults when path is NULL). */
int cli_ctx(const char *cmd, const char *path, ecai_ctx **out);
/* Progress bar on stderr, only when stderr is a terminal: cli_progress("indexing", i, n). */
void cli_progress(const char *what, size_t done, size_t total);
void cli_progress_end(void);
/* Verifies the store folder DIR and points the symlink LINK at it atomically (cmd_publish.c);
 * returns an exit status, having printed one line either way. */
int cli_publish(const char *cmd, ecai_ctx *ctx, const char *dir, const char *link);
/* Reads a merchandising rules file (JSON) into the engine (cmd_search.c); an exit status. */
int cli_search_rules(const char *cmd, ecai_search *s, const char *path);

#endif
