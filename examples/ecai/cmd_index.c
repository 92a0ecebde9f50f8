/* ecai index: load a catalog, embed it, build the vector index, save the state folder. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai index --catalog FILE [--format csv|tsv|jsonl] [--columns id=COL,title=COL,...]\n"
    "                  [--embedder builtin|openai] [--index-type FACTORY] [--lenient]\n"
    "                  [--rules FILE] [--config FILE] --out DIR [--publish LINK]\n\n"
    "Loads a product catalog (CSV, TSV or JSONL, optionally .gz), embeds every product and\n"
    "builds the vector index and the BM25F keyword index (search.bin), then saves catalog,\n"
    "embedder state and indexes into DIR so that\n"
    "'ecai search --index DIR' (or ecai_store_open()) never re-embeds.\n"
    "A header naming product_id (or id, sku) and title (or name), optionally description,\n"
    "category, brand, price, currency, in_stock, attributes, works without --columns; other\n"
    "columns become attributes. --columns maps fields to header names, e.g.\n"
    "  --columns id=stock_code,title=description,price=median_unit_price\n"
    "--index-type is a FAISS factory string: Flat (default), HNSW32, IVF256,SQ8, IVF256,PQ16.\n"
    "--lenient skips malformed rows (counted by reason in the summary) instead of failing on\n"
    "the first one. A CSV quote left open at the end of the file, a field over\n"
    "catalog.max_field_bytes (1 MiB) or a row over catalog.max_record_bytes (8 MiB) is such a row.\n"
    "--rules FILE: merchandising rules and synonyms (see 'ecai search --help'), checked against\n"
    "the catalog and saved as DIR/rules.json.\n"
    "--publish LINK then verifies DIR and points the symlink LINK at it atomically (see\n"
    "'ecai publish --help'); DIR should be a new folder, never the one LINK points at.\n"
    "exit status: 0 saved, 2 bad input (file, row, mapping), 3 runtime failure.\n";

/* "indexed N products: R rows read, L loaded, S skipped (reason n, ...)" from the load report,
 * plus the first skipped row when there is one. */
static void print_summary(const ecai_catalog *cat, const char *outdir, double secs) {
  char *js = NULL;
  json_t *r = ecai_catalog_load_report_json(&js, NULL, cat) == ECAI_OK ? json_loads(js, 0, NULL) : NULL;
  ecai_free(js);
  json_int_t skipped = json_integer_value(json_object_get(r, "skipped"));
  printf("indexed %zu products: %lld rows read, %lld loaded, %lld skipped", ecai_catalog_count(cat),
         (long long)json_integer_value(json_object_get(r, "read")),
         (long long)json_integer_value(json_object_get(r, "loaded")), (long long)skipped);
  if (skipped) {
    const char *sep = " (", *key;
    json_t *n;
    json_object_foreach(json_object_get(r, "skipped_by_reason"), key, n) {
      if (!json_integer_value(n)) continue;
      printf("%s%s %lld", sep, key, (long long)json_integer_value(n));
      sep = ", ";
    }
    printf(")");
  }
  printf(" into %s in %.2f s\n", outdir, secs);
  const char *first = json_string_value(json_object_get(r, "first_skip"));
  if (first) printf("first skipped row: %s\n", first);
  json_decref(r);
}

static int progress(size_t done, size_t total, void *payload) {
  (void)payload;
  cli_progress("embedding", done, total);
  return 0;
}

/* Builds a context from --config plus the command-line overrides. */
static int make_ctx(const char *cmd, const char *cfg, const char *embedder, const char *itype, ecai_ctx **out) {
  json_t *doc = NULL;
  if (cfg) {
    json_error_t je;
    doc = json_load_file(cfg, JSON_REJECT_DUPLICATES, &je);
    if (!doc || !json_is_object(doc)) {
      json_decref(doc);
      return cli_ctx(cmd, cfg, out); /* reports the problem in the library's words */
    }
  } else {
    doc = json_object();
  }
  if (embedder || itype) {
    const char *sec[2] = {"embedder", "index"}, *key[2] = {"kind", "type"}, *val[2] = {embedder, itype};
    for (int i = 0; i < 2; i++) {
      if (!val[i]) continue;
      json_t *o = json_object_get(doc, sec[i]);
      if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(doc, sec[i], o);
      }
      json_object_set_new(o, key[i], json_string(val[i]));
    }
  }
  char *s = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  if (!s) {
    fprintf(stderr, "ecai %s: out of memory\n", cmd);
    return CLI_RUNTIME;
  }
  ecai_status st = ecai_ctx_new(out, s, strlen(s));
  free(s);
  return st ? cli_fail(cmd, st, "configuration") : CLI_OK;
}

int cmd_index(int argc, char **argv) {
  static const struct option opts[] = {
      {"catalog", required_argument, 0, 'c'}, {"format", required_argument, 0, 'f'},
      {"columns", required_argument, 0, 'm'}, {"embedder", required_argument, 0, 'e'},
      {"index-type", required_argument, 0, 't'}, {"out", required_argument, 0, 'o'},
      {"config", required_argument, 0, 'C'}, {"lenient", no_argument, 0, 'l'},
      {"publish", required_argument, 0, 'p'}, {"rules", required_argument, 0, 'r'},
      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *catalog = NULL, *format = NULL, *columns = NULL, *embedder = NULL, *itype = NULL, *outdir = NULL,
             *cfg = NULL, *publish = NULL, *rules = NULL;
  int lenient = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:f:m:e:t:o:C:p:r:lh", opts, NULL)) != -1) {
    switch (c) {
    case 'c': catalog = optarg; break;
    case 'f': format = optarg; break;
    case 'm': columns = optarg; break;
    case 'e': embedder = optarg; break;
    case 't': itype = optarg; break;
    case 'o': outdir = optarg; break;
    case 'C': cfg = optarg; break;
    case 'l': lenient = 1; break;
    case 'p': publish = optarg; break;
    case 'r': rules = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("index", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("index", "unexpected argument '%s'", argv[optind]);
  if (!catalog) return cli_usage("index", "--catalog FILE is required");
  if (!outdir) return cli_usage("index", "--out DIR is required");
  ecai_catalog_format fmt = ECAI_CATALOG_AUTO;
  if (format) {
    if (!strcmp(format, "csv")) fmt = ECAI_CATALOG_CSV;
    else if (!strcmp(format, "tsv")) fmt = ECAI_CATALOG_TSV;
    else if (!strcmp(format, "jsonl")) fmt = ECAI_CATALOG_JSONL;
    else return cli_usage("index", "--format must be csv, tsv or jsonl (got '%s')", format);
  }
  if (embedder && strcmp(embedder, "builtin") && strcmp(embedder, "openai"))
    return cli_usage("index", "--embedder must be builtin or openai (got '%s')", embedder);
  ecai_ctx *ctx = NULL;
  int rc = make_ctx("index", cfg, embedder, itype, &ctx);
  if (rc) return rc;
  if (itype) {
    /* validate the factory string before loading anything */
    ecai_index *probe = NULL;
    double pdim = 256;
    if (ecai_ctx_get_number(&pdim, ctx, "embedder.dim") != ECAI_OK || pdim < 1) pdim = 256;
    ecai_status pst = ecai_index_new(&probe, ctx, (size_t)pdim, itype);
    ecai_index_free(probe);
    if (pst) {
      ecai_ctx_free(ctx);
      return cli_usage("index", "--index-type '%s' is not a FAISS factory string FAISS accepts", itype);
    }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ecai_store *store = NULL;
  size_t loaded = 0, skipped = 0, embedded = 0;
  ecai_status st = ecai_store_new(&store, ctx);
  if (st) {
    rc = cli_fail("index", st, "cannot create the store");
    goto out;
  }
  st = ecai_catalog_load(&loaded, &skipped, ecai_store_catalog(store), catalog, fmt, columns,
                         lenient ? ECAI_CATALOG_LENIENT : 0);
  if (st) {
    rc = cli_fail("index", st, "cannot load the catalog");
    goto out;
  }
  st = ecai_store_build(&embedded, store, 0, progress, NULL);
  cli_progress_end();
  if (st) {
    rc = cli_fail("index", st, "cannot build the index");
    goto out;
  }
  st = ecai_store_save(store, outdir);
  if (st) {
    rc = cli_fail("index", st, "cannot save");
    goto out;
  }
  {
    ecai_search *srch = NULL;
    st = ecai_search_new(&srch, store);
    if (!st && rules && (rc = cli_search_rules("index", srch, rules)) != CLI_OK) {
      ecai_search_free(srch);
      goto out;
    }
    if (!st) st = ecai_search_save(srch, outdir);
    ecai_search_free(srch);
    if (st) {
      rc = cli_fail("index", st, "cannot build the keyword index");
      goto out;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  print_summary(ecai_store_catalog(store), outdir,
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  if (publish) rc = cli_publish("index", ctx, outdir, publish);
out:
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  return rc;
}
