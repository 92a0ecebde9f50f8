/* ecai compact: fold a published store's live updates into a new version and publish it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai compact --link LINK --out DIR [--config FILE]\n\n"
    "Folds the live updates of the store that the symbolic link LINK points to (its\n"
    "updates.journal, written by 'ecai update' and ecai_store_update_json) into a new version:\n"
    "1. seals the journal: from now on an update through the old version, in any process,\n"
    "   fails with ECAI_ESTATE ('open the published store again'), so none is lost;\n"
    "2. saves the store with every update applied into DIR (a new folder) with its search\n"
    "   index, rules and popularity rebuilt for it, and copies ranker.bin and recommend.bin;\n"
    "3. publishes DIR as LINK (the checks of 'ecai publish').\n"
    "Every process picks DIR up at its next open; DIR starts without a journal. On failure the\n"
    "journal is unsealed and LINK is left as it was. Remove the old folder once no process\n"
    "holds it. Prints 'compacted the updates of OLD into DIR'.\n"
    "exit status: 0 compacted and published, 2 bad input (LINK is not a link to a store, DIR\n"
    "exists, a damaged journal), 3 failure.\n";

/* Copies SRC/NAME to DST/NAME when it exists (temporary file, fsync, rename). */
static int copy_beside(const char *src, const char *dst, const char *name) {
  char from[PATH_MAX + 64], to[PATH_MAX + 64], tmp[PATH_MAX + 80];
  snprintf(from, sizeof from, "%s/%s", src, name);
  snprintf(to, sizeof to, "%s/%s", dst, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", to);
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return errno == ENOENT ? 0 : -1;
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = out < 0 ? -1 : 0;
  char buf[1 << 16];
  ssize_t n;
  while (!rc && (n = read(in, buf, sizeof buf)) != 0) {
    if (n < 0 || write(out, buf, (size_t)n) != n) rc = -1;
  }
  if (out >= 0 && (fsync(out) || close(out))) rc = -1;
  close(in);
  if (!rc && rename(tmp, to)) rc = -1;
  if (rc) {
    fprintf(stderr, "ecai compact: cannot copy %s to %s: %s\n", from, to, strerror(errno));
    unlink(tmp);
  }
  return rc;
}

/* Saves the store (and its search index when the old folder has one, opened before the
 * store is saved: it belongs to the old catalog version) into DIR. */
static int save_version(ecai_store *store, const char *old, const char *dir) {
  char sb[PATH_MAX + 16];
  snprintf(sb, sizeof sb, "%s/search.bin", old);
  ecai_search *s = NULL;
  ecai_status st = access(sb, F_OK) == 0 ? ecai_search_open(&s, store, old) : ECAI_OK;
  if (st) return cli_fail("compact", st, "search index");
  st = ecai_store_save(store, dir);
  int rc = st ? cli_fail("compact", st, dir) : CLI_OK;
  if (!rc && s && (st = ecai_search_save(s, dir)) != ECAI_OK) rc = cli_fail("compact", st, "search index");
  ecai_search_free(s);
  if (!rc && (copy_beside(old, dir, "ranker.bin") || copy_beside(old, dir, "recommend.bin"))) rc = CLI_RUNTIME;
  return rc;
}

static int compact(ecai_ctx *ctx, const char *link, const char *dir) {
  struct stat sb;
  if (lstat(link, &sb) != 0 || !S_ISLNK(sb.st_mode)) {
    fprintf(stderr, "ecai compact: %s is not a symbolic link to a store (see 'ecai publish')\n", link);
    return CLI_USAGE;
  }
  if (access(dir, F_OK) == 0) {
    fprintf(stderr, "ecai compact: %s exists: give a new folder\n", dir);
    return CLI_USAGE;
  }
  char old[PATH_MAX];
  if (!realpath(link, old)) {
    fprintf(stderr, "ecai compact: %s: %s\n", link, strerror(errno));
    return CLI_USAGE;
  }
  ecai_store *store = NULL;
  ecai_status st = ecai_store_open(&store, ctx, old);
  if (st) return cli_fail("compact", st, old);
  int rc = CLI_OK;
  st = ecai_store_seal(store, 1);
  if (st) rc = cli_fail("compact", st, "sealing the journal");
  if (!rc) rc = save_version(store, old, dir);
  if (!rc) rc = cli_publish("compact", ctx, dir, link);
  if (rc && !st && (st = ecai_store_seal(store, 0)) != ECAI_OK)
    fprintf(stderr, "ecai compact: %s stays sealed: %s\n", old, ecai_last_error());
  if (!rc) printf("compacted the updates of %s into %s\n", old, dir);
  ecai_store_free(store);
  return rc;
}

int cmd_compact(int argc, char **argv) {
  static const struct option opts[] = {{"link", required_argument, 0, 'l'}, {"out", required_argument, 0, 'o'},
                                       {"config", required_argument, 0, 'C'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *link = NULL, *dir = NULL, *cfg = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "l:o:C:h", opts, NULL)) != -1) {
    switch (c) {
    case 'l': link = optarg; break;
    case 'o': dir = optarg; break;
    case 'C': cfg = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("compact", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("compact", "unexpected argument '%s'", argv[optind]);
  if (!link || !dir) return cli_usage("compact", "--link LINK and --out DIR are required");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("compact", cfg, &ctx);
  if (rc) return rc;
  rc = compact(ctx, link, dir);
  ecai_ctx_free(ctx);
  return rc;
}
