/* ecai search: open a saved state folder and search it (bm25, vector or hybrid). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai search --index DIR [--k N] [--mode bm25|vector|hybrid] [--options JSON] [--json]\n"
    "                   [--prefix] [--rules FILE] [--config FILE] QUERY\n"
    "       ecai search --index DIR --queries FILE [--k N] [--mode bm25|vector|hybrid] --json\n\n"
    "Opens a folder written by 'ecai index' (nothing is re-embedded; the keyword index is\n"
    "read from DIR/search.bin, or built from the catalog when the folder has none) and prints\n"
    "the N best products (default 10) for QUERY: 'score<TAB>id<TAB>title<TAB>why' lines, or\n"
    "with --json the full result of ecai_search_query(): hits with scores and explanations,\n"
    "typo corrections, confidence and no_confident_match, facet counts.\n"
    "--options passes a JSON object of query options, e.g. '{\"filters\":{\"category\":\"Sofas\",\n"
    "\"price_max\":500,\"in_stock\":true},\"fusion\":\"rrf\"}'.\n"
    "--queries FILE reads 'query_id<TAB>query' lines (a 'query_id' header line is skipped)\n"
    "and prints one JSON line per query: {\"query_id\":\"...\",\"hits\":[{\"id\":\"...\",\"score\":...},...]}.\n"
    "--mode: bm25 (keywords), vector (embeddings) or hybrid (default: search.mode, hybrid).\n"
    "--prefix: search as you type: the last word of QUERY is the start of a word (\"cordless dri\");\n"
    "a QUERY ending in a space has no partial word (option \"prefix\": true).\n"
    "--rules FILE: merchandising rules and synonyms for this run instead of DIR/rules.json\n"
    "(a JSON list of {\"query\",\"match\",\"pin\",\"boost\",\"bury\",\"hide\"} or {\"rules\",\"synonyms\"};\n"
    "see ecai_search_set_rules_json; 'ecai index --rules FILE' saves them with the index).\n"
    "Sorting, paging and highlights go in --options: {\"sort\":\"price_asc\",\"offset\":10,\"highlight\":true}.\n"
    "exit status: 0 ok, 2 bad input (missing, truncated or damaged DIR; bad query), 3 runtime failure.\n";

static void warn_line(ecai_log_level level, const char *msg, void *cmd) {
  (void)level;
  fprintf(stderr, "ecai %s: warning: %s\n", (const char *)cmd, msg);
}

/* Reads a rules file (JSON, at most 64 MiB) into the engine; CLI_USAGE when unreadable. */
int cli_search_rules(const char *cmd, ecai_search *s, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "ecai %s: cannot open the rules file %s\n", cmd, path);
    return CLI_USAGE;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  do {
    if (len + 65536 > cap) {
      char *nb = realloc(buf, cap = cap * 2 + 65536);
      if (!nb) break;
      buf = nb;
    }
    n = fread(buf + len, 1, cap - len, f);
    len += n;
  } while (n > 0 && len < ((size_t)64 << 20));
  fclose(f);
  ecai_status st = buf ? ecai_search_set_rules_json(s, buf, len) : ECAI_ENOMEM;
  free(buf);
  return st ? cli_fail(cmd, st, "bad rules file") : CLI_OK;
}

/* Opens the store and its search engine (warnings, e.g. a damaged ranker.bin, on stderr). */
int cli_open_search(const char *cmd, ecai_ctx *ctx, const char *dir, ecai_store **store, ecai_search **srch) {
  ecai_ctx_set_log(ctx, ECAI_LOG_WARN, warn_line, (void *)cmd);
  ecai_status st = ecai_store_open(store, ctx, dir);
  if (st) return cli_fail(cmd, st, "cannot open the index");
  st = ecai_search_open(srch, *store, dir);
  if (st == ECAI_ENOTFOUND) st = ecai_search_new(srch, *store);
  if (st) return cli_fail(cmd, st, "cannot open the keyword index");
  return CLI_OK;
}

static int run_queries(ecai_search *srch, const char *path, const char *opts) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "ecai search: cannot open %s\n", path);
    return CLI_USAGE;
  }
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  ssize_t n;
  int rc = CLI_OK;
  while (rc == CLI_OK && (n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (n == 0) continue;
    char *tab = strchr(line, '\t');
    if (!tab) {
      fprintf(stderr, "ecai search: %s:%zu: expected 'query_id<TAB>query'\n", path, lineno);
      rc = CLI_USAGE;
      break;
    }
    *tab = 0;
    if (lineno == 1 && !strcmp(line, "query_id")) continue;
    char *js = NULL;
    size_t jl = 0;
    ecai_status st = ecai_search_query(&js, &jl, srch, tab + 1, strlen(tab + 1), opts);
    if (st) {
      rc = cli_fail("search", st, "query failed");
      break;
    }
    json_t *doc = json_loadb(js, jl, 0, NULL), *h, *hits = json_array();
    size_t i;
    json_array_foreach(json_object_get(doc, "hits"), i, h)
      json_array_append_new(hits, json_pack("{s:O,s:O}", "id", json_object_get(h, "id"), "score",
                                            json_object_get(h, "score")));
    json_t *o = json_pack("{s:s,s:o}", "query_id", line, "hits", hits);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (s) puts(s);
    free(s);
    json_decref(o);
    json_decref(doc);
    ecai_free(js);
  }
  free(line);
  fclose(f);
  return rc;
}

int cmd_search(int argc, char **argv) {
  static const struct option opts[] = {
      {"index", required_argument, 0, 'i'}, {"k", required_argument, 0, 'k'}, {"json", no_argument, 0, 'j'},
      {"queries", required_argument, 0, 'q'}, {"config", required_argument, 0, 'C'},
      {"mode", required_argument, 0, 'm'}, {"options", required_argument, 0, 'o'},
      {"prefix", no_argument, 0, 'p'}, {"rules", required_argument, 0, 'r'},
      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *dir = NULL, *queries = NULL, *cfg = NULL, *mode = NULL, *extra = NULL, *rules = NULL;
  long k = 10;
  int json = 0, prefix = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:k:jq:C:m:o:pr:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': dir = optarg; break;
    case 'k': {
      char *end;
      k = strtol(optarg, &end, 10);
      if (*end || k < 1 || k > 10000) return cli_usage("search", "--k must be 1..10000 (got '%s')", optarg);
      break;
    }
    case 'j': json = 1; break;
    case 'q': queries = optarg; break;
    case 'C': cfg = optarg; break;
    case 'm':
      if (strcmp(optarg, "bm25") && strcmp(optarg, "vector") && strcmp(optarg, "hybrid"))
        return cli_usage("search", "--mode must be bm25, vector or hybrid (got '%s')", optarg);
      mode = optarg;
      break;
    case 'o': extra = optarg; break;
    case 'p': prefix = 1; break;
    case 'r': rules = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("search", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!dir) return cli_usage("search", "--index DIR is required");
  if (!queries && optind != argc - 1) return cli_usage("search", "expected one QUERY argument");
  if (queries && optind != argc) return cli_usage("search", "QUERY and --queries exclude each other");
  json_t *oj = extra ? json_loads(extra, 0, NULL) : json_object();
  if (!json_is_object(oj)) {
    json_decref(oj);
    return cli_usage("search", "--options must be a JSON object");
  }
  json_object_set_new(oj, "k", json_integer(k));
  if (mode) json_object_set_new(oj, "mode", json_string(mode));
  if (prefix) json_object_set_new(oj, "prefix", json_true());
  char *optstr = json_dumps(oj, JSON_COMPACT);
  json_decref(oj);
  ecai_ctx *ctx = NULL;
  ecai_store *store = NULL;
  ecai_search *srch = NULL;
  int rc = cli_ctx("search", cfg, &ctx);
  if (rc) {
    free(optstr);
    return rc;
  }
  rc = cli_open_search("search", ctx, dir, &store, &srch);
  if (!rc && rules) rc = cli_search_rules("search", srch, rules);
  if (rc) goto out;
  if (queries) {
    rc = run_queries(srch, queries, optstr);
    goto out;
  }
  char *js = NULL;
  size_t jl = 0;
  ecai_status st = ecai_search_query(&js, &jl, srch, argv[optind], strlen(argv[optind]), optstr);
  if (st) {
    rc = cli_fail("search", st, "query failed");
    goto out;
  }
  if (json) {
    puts(js);
  } else {
    json_t *doc = json_loadb(js, jl, 0, NULL), *h;
    size_t i;
    if (json_is_true(json_object_get(doc, "no_confident_match")))
      printf("# no confident match (confidence %.2f)\n", json_real_value(json_object_get(doc, "confidence")));
    json_array_foreach(json_object_get(doc, "hits"), i, h)
      printf("%.4f\t%s\t%s\t%s\n", json_real_value(json_object_get(h, "score")),
             json_string_value(json_object_get(h, "id")), json_string_value(json_object_get(h, "title")),
             json_string_value(json_object_get(h, "why")));
    json_decref(doc);
  }
  ecai_free(js);
out:
  free(optstr);
  ecai_search_free(srch);
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  return rc;
}
