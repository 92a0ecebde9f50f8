/* ecai publish: verify a saved store folder and switch a symlink to it atomically. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai publish --store DIR --link LINK [--config FILE]\n\n"
    "Verifies the store folder DIR (every checksum of MANIFEST, catalog, embedder and index,\n"
    "and search.bin when present) and then points the symbolic link LINK at it atomically\n"
    "(a new link renamed over the old one): every process that opens LINK afterwards gets the\n"
    "new version, processes that hold the old one keep serving it, and a damaged or\n"
    "half-copied DIR is refused while LINK keeps pointing at the previous version.\n"
    "Protocol for many servers: build a new folder ('ecai index ... --out store-v42'), copy it to\n"
    "each server beside the old ones, then run 'ecai publish --store store-v42 --link current'\n"
    "on each (or 'ecai index ... --publish LINK' where the store is built). Never write into\n"
    "a folder that is published; remove old folders once no process holds them.\n"
    "exit status: 0 published, 2 DIR is not a complete store or LINK is not a link, 3 failure.\n";

/* Opens DIR as a store (and its search index when present): the checksums are verified. */
static int verify(const char *cmd, ecai_ctx *ctx, const char *dir, size_t *products) {
  ecai_store *store = NULL;
  ecai_status st = ecai_store_open(&store, ctx, dir);
  if (st) return cli_fail(cmd, st, "refusing to publish");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/search.bin", dir);
  if (access(path, F_OK) == 0) {
    ecai_search *s = NULL;
    st = ecai_search_open(&s, store, dir);
    ecai_search_free(s);
  }
  *products = ecai_catalog_count(ecai_store_catalog(store));
  ecai_store_free(store);
  return st ? cli_fail(cmd, st, "refusing to publish") : CLI_OK;
}

/* Points LINK at the absolute path of DIR: a temporary link renamed over LINK, then the
 * folder holding LINK is synced so the switch survives a crash. */
static int switch_link(const char *cmd, const char *dir, const char *link) {
  struct stat sb;
  if (lstat(link, &sb) == 0 && !S_ISLNK(sb.st_mode)) {
    fprintf(stderr, "ecai %s: %s exists and is not a symbolic link (move it aside first)\n", cmd, link);
    return CLI_USAGE;
  }
  char *target = realpath(dir, NULL);
  if (!target) {
    fprintf(stderr, "ecai %s: %s: %s\n", cmd, dir, strerror(errno));
    return CLI_USAGE;
  }
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", link, (long)getpid());
  unlink(tmp);
  int rc = CLI_OK;
  if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
    fprintf(stderr, "ecai %s: cannot switch %s to %s: %s\n", cmd, link, target, strerror(errno));
    unlink(tmp);
    rc = CLI_RUNTIME;
  } else {
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", link);
    int fd = open(dirname(parent), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      fsync(fd);
      close(fd);
    }
  }
  free(target);
  return rc;
}

int cli_publish(const char *cmd, ecai_ctx *ctx, const char *dir, const char *link) {
  size_t products = 0;
  int rc = verify(cmd, ctx, dir, &products);
  if (!rc) rc = switch_link(cmd, dir, link);
  if (!rc) printf("published %s (%zu products) as %s\n", dir, products, link);
  return rc;
}

int cmd_publish(int argc, char **argv) {
  static const struct option opts[] = {{"store", required_argument, 0, 's'}, {"link", required_argument, 0, 'l'},
                                       {"config", required_argument, 0, 'C'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *dir = NULL, *link = NULL, *cfg = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "s:l:C:h", opts, NULL)) != -1) {
    switch (c) {
    case 's': dir = optarg; break;
    case 'l': link = optarg; break;
    case 'C': cfg = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("publish", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("publish", "unexpected argument '%s'", argv[optind]);
  if (!dir || !link) return cli_usage("publish", "--store DIR and --link LINK are required");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("publish", cfg, &ctx);
  if (rc) return rc;
  rc = cli_publish("publish", ctx, dir, link);
  ecai_ctx_free(ctx);
  return rc;
}
