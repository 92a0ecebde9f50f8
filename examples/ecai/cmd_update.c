/* ecai update: live changes of a saved store's products (price, stock, text), seen by every
 * process that opened the store (ecai_store_update_json and the folder's updates.journal). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai update --index DIR --sku SKU --set JSON [--config FILE]\n"
    "       ecai update --index DIR --file FILE [--config FILE]\n\n"
    "Changes products of the store in DIR without a rebuild: JSON is an object of the fields\n"
    "to change ({\"price\": 19.99, \"in_stock\": false, \"stock\": 3, \"title\": \"...\",\n"
    "\"description\", \"category\", \"brand\": \"...\" or null}). The change is appended to\n"
    "DIR/updates.journal and every process that opened DIR (web workers) sees it at its next\n"
    "query. --file reads JSON lines {\"id\": SKU, <fields>} and applies them in order; it\n"
    "stops at the first bad line (named by its number), the lines before it stay applied.\n"
    "Each update is checked whole first: an unknown SKU, a negative or non-finite price, an\n"
    "unknown field or a wrong type changes nothing.\n"
    "exit status: 0 applied, 2 bad input (unknown SKU, bad fields, missing or damaged store,\n"
    "unwritable journal), 3 failure.\n";

/* Applies the lines of PATH ({"id": SKU, fields...}); returns an exit status. */
static int from_file(ecai_store *st, const char *path, size_t *done) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "ecai update: cannot open %s\n", path);
    return CLI_USAGE;
  }
  char *line = NULL;
  size_t cap = 0, no = 0;
  ssize_t n;
  int rc = CLI_OK;
  while (rc == CLI_OK && (n = getline(&line, &cap, f)) >= 0) {
    no++;
    if (n == 0 || strspn(line, " \t\r\n") == (size_t)n) continue;
    json_error_t e;
    json_t *o = json_loadb(line, (size_t)n, 0, &e);
    const char *sku = json_string_value(json_object_get(o, "id"));
    char *fields = NULL;
    if (sku) {
      json_t *rest = json_deep_copy(o);
      json_object_del(rest, "id");
      fields = json_dumps(rest, JSON_COMPACT);
      json_decref(rest);
    }
    char what[64];
    snprintf(what, sizeof what, "%s:%zu", path, no);
    if (!sku || !fields) {
      fprintf(stderr, "ecai update: %s: expected a JSON object with a string \"id\"\n", what);
      rc = CLI_USAGE;
    } else {
      ecai_status s = ecai_store_update_json(st, sku, fields);
      if (s) rc = cli_fail("update", s, what);
      else (*done)++;
    }
    free(fields);
    json_decref(o);
  }
  free(line);
  fclose(f);
  return rc;
}

int cmd_update(int argc, char **argv) {
  static const struct option opts[] = {{"index", required_argument, 0, 'i'}, {"sku", required_argument, 0, 's'},
                                       {"set", required_argument, 0, 'j'},   {"file", required_argument, 0, 'f'},
                                       {"config", required_argument, 0, 'C'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *dir = NULL, *sku = NULL, *set = NULL, *file = NULL, *cfg = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:s:j:f:C:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': dir = optarg; break;
    case 's': sku = optarg; break;
    case 'j': set = optarg; break;
    case 'f': file = optarg; break;
    case 'C': cfg = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("update", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("update", "unexpected argument '%s'", argv[optind]);
  if (!dir || (!file && (!sku || !set)) || (file && (sku || set)))
    return cli_usage("update", "--index DIR with --sku SKU --set JSON, or with --file FILE, is required");
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("update", cfg, &ctx);
  if (rc) return rc;
  ecai_store *st = NULL;
  ecai_status s = ecai_store_open(&st, ctx, dir);
  size_t done = 0;
  if (s) rc = cli_fail("update", s, "cannot open the store");
  else if (file) rc = from_file(st, file, &done);
  else if ((s = ecai_store_update_json(st, sku, set)) != ECAI_OK) rc = cli_fail("update", s, sku);
  else done = 1;
  if (st) printf("updated %zu product%s in %s\n", done, done == 1 ? "" : "s", dir);
  ecai_store_free(st);
  ecai_ctx_free(ctx);
  return rc;
}
