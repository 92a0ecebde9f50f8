/* ecai eval-cache: hit rate and false-hit rate of the semantic cache on labelled questions. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai eval-cache --questions FILE [--threshold T] [--verify|--no-verify] [--sample K/M]\n"
    "                       [--half tune|check] [--warm-half tune|check] [--show-false]\n"
    "                       [--config FILE] [--json]\n\n"
    "Replays labelled questions through the semantic cache (builtin text vectors, one\n"
    "partition). FILE is a TSV with a header holding the columns `question` and `group`;\n"
    "questions of the same group may share an answer. In file order, each question looks\n"
    "the cache up and, on a miss, stores itself with its group as the answer.\n\n"
    "  --threshold T   cosine similarity threshold (default: cache.semantic_threshold)\n"
    "  --verify        verify candidate hits (numbers, codes, negation; the default)\n"
    "  --no-verify     serve the best candidate above the threshold unverified\n"
    "  --sample K/M    replay only the questions whose hash is K modulo M (the low 64 bits\n"
    "                  of ecai_cache_key_from_bytes() of the question): --sample 0/2 and\n"
    "                  1/2 split a file into two halves, one to tune on, one to check\n"
    "  --half H        the protocol's halves: XXH3-64 of the question text even = tune,\n"
    "                  odd = check (every default is fitted on tune, reported on check)\n"
    "  --warm-half H   first store every question of half H without counting it (a cache\n"
    "                  filled with one half, looked up by questions it never saw)\n"
    "  --show-false    print each false hit to stderr: question, group, cached question,\n"
    "                  its group, score (tab-separated)\n"
    "  --config FILE   configuration file (cache.* keys)\n"
    "  --json          one JSON object on stdout\n\n"
    "Output: lookups, hits, false_hits (hits on an entry of another group), hit_rate =\n"
    "hits/lookups, false_hit_rate = false_hits/hits (0 when there are no hits),\n"
    "false_hits_per_lookup = false_hits/lookups, verify_rejects, threshold, verify,\n"
    "label_conflicts (false hits whose two questions have the same words: the data gives\n"
    "one question two groups, no cache can serve both).\n"
    "exit status: 0 done, 2 bad input (missing file, missing column), 3 runtime failure.\n";

static char *next_line(char **p) {
  if (!**p) return NULL;
  char *s = *p, *nl = strchr(s, '\n');
  if (nl) {
    *nl = 0;
    *p = nl + 1;
  } else {
    *p = s + strlen(s);
  }
  size_t n = strlen(s);
  if (n && s[n - 1] == '\r') s[n - 1] = 0;
  return s;
}

/* Splits a line on tabs into at most max fields; returns the count. */
static int split(char *s, char **f, int max) {
  int n = 0;
  f[n++] = s;
  for (char *p = s; *p && n < max; p++)
    if (*p == '\t') {
      *p = 0;
      f[n++] = p + 1;
    }
  return n;
}

/* The same words in the same order, ignoring case, punctuation and spacing. */
static bool same_words(const char *a, const char *b) {
  for (;;) {
    while (*a && !isalnum((unsigned char)*a)) a++;
    while (*b && !isalnum((unsigned char)*b)) b++;
    if (!*a || !*b) return !*a && !*b;
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    a++, b++;
  }
}

int cmd_eval_cache(int argc, char **argv) {
  static const struct option opts[] = {
      {"questions", required_argument, 0, 'q'}, {"threshold", required_argument, 0, 't'},
      {"verify", no_argument, 0, 'v'}, {"no-verify", no_argument, 0, 'n'}, {"config", required_argument, 0, 'c'},
      {"json", no_argument, 0, 'j'}, {"sample", required_argument, 0, 's'}, {"half", required_argument, 0, 'H'},
      {"show-false", no_argument, 0, 'F'}, {"warm-half", required_argument, 0, 'W'}, {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *qpath = NULL, *cpath = NULL;
  double threshold = 0;
  int have_th = 0, verify = -1;
  unsigned long long sk = 0, sm = 1;
  bool json = false, show_false = false;
  int c, half = -1, warm = -1;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "q:t:vnc:js:hH:FW:", opts, NULL)) != -1) {
    switch (c) {
    case 'q': qpath = optarg; break;
    case 't': {
      char *e = NULL;
      errno = 0;
      threshold = strtod(optarg, &e);
      if (errno || !e || *e || !(threshold >= -1 && threshold <= 1))
        return cli_usage("eval-cache", "--threshold must be a number in [-1, 1] (got '%s')", optarg);
      have_th = 1;
      break;
    }
    case 'v': verify = 1; break;
    case 'n': verify = 0; break;
    case 'c': cpath = optarg; break;
    case 's': {
      int used = 0;
      if (sscanf(optarg, "%llu/%llu%n", &sk, &sm, &used) != 2 || optarg[used] || sm < 1 || sk >= sm)
        return cli_usage("eval-cache", "--sample must be K/M with 0 <= K < M (got '%s')", optarg);
      break;
    }
    case 'H':
      if (!strcmp(optarg, "tune")) half = 0;
      else if (!strcmp(optarg, "check")) half = 1;
      else return cli_usage("eval-cache", "--half must be tune or check (got '%s')", optarg);
      break;
    case 'W':
      if (!strcmp(optarg, "tune")) warm = 0;
      else if (!strcmp(optarg, "check")) warm = 1;
      else return cli_usage("eval-cache", "--warm-half must be tune or check (got '%s')", optarg);
      break;
    case 'F': show_false = true; break;
    case 'j': json = true; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("eval-cache", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage("eval-cache", "unexpected argument '%s'", argv[optind]);
  if (!qpath) return cli_usage("eval-cache", "--questions FILE is required");
  FILE *f = fopen(qpath, "rb");
  if (!f) {
    fprintf(stderr, "ecai eval-cache: cannot open %s: %s\n", qpath, strerror(errno));
    return CLI_USAGE;
  }
  size_t cap = 1 << 16, len = 0, r;
  char *data = malloc(cap + 1);
  while (data && (r = fread(data + len, 1, cap - len, f)) > 0) {
    len += r;
    if (len == cap) {
      char *nd = realloc(data, cap * 2 + 1);
      if (!nd) { free(data); data = NULL; break; }
      data = nd;
      cap *= 2;
    }
  }
  fclose(f);
  if (!data) {
    fprintf(stderr, "ecai eval-cache: out of memory reading %s\n", qpath);
    return CLI_RUNTIME;
  }
  data[len] = 0;
  char *p = data, *hdr = next_line(&p), *fields[64];
  int qcol = -1, gcol = -1, nf = hdr ? split(hdr, fields, 64) : 0;
  for (int i = 0; i < nf; i++) {
    if (!strcmp(fields[i], "question")) qcol = i;
    if (!strcmp(fields[i], "group")) gcol = i;
  }
  if (qcol < 0 || gcol < 0) {
    free(data);
    fprintf(stderr, "ecai eval-cache: %s: the header needs the columns 'question' and 'group'\n", qpath);
    return CLI_USAGE;
  }
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("eval-cache", cpath, &ctx);
  if (rc) {
    free(data);
    return rc;
  }
  ecai_semcache *sc = NULL;
  ecai_status st = ecai_semcache_new(&sc, ctx, 0);
  if (!st && have_th) st = ecai_semcache_set_double(sc, ECAI_SEMCACHE_OPT_THRESHOLD, threshold);
  if (!st && verify >= 0) st = ecai_semcache_set_int(sc, ECAI_SEMCACHE_OPT_VERIFY, verify);
  if (st) {
    free(data);
    ecai_semcache_free(sc);
    ecai_ctx_free(ctx);
    return cli_fail("eval-cache", st, "semantic cache");
  }
  unsigned long long lookups = 0, hits = 0, false_hits = 0, conflicts = 0, lineno = 1;
  char *line;
  rc = CLI_OK;
  /* the rows first (question, group), so that --warm-half can take two passes */
  size_t nrows = 0, rcap = 1024;
  const char **rows = malloc(rcap * 2 * sizeof *rows);
  while (rows && (line = next_line(&p)) != NULL) {
    lineno++;
    if (!*line) continue;
    nf = split(line, fields, 64);
    if (nf <= qcol || nf <= gcol) {
      fprintf(stderr, "ecai eval-cache: %s line %llu: expected %d columns, found %d\n", qpath, lineno,
              (qcol > gcol ? qcol : gcol) + 1, nf);
      rc = CLI_USAGE;
      break;
    }
    if (!*fields[qcol]) continue;
    if (nrows == rcap) {
      const char **nr = realloc(rows, rcap * 4 * sizeof *rows);
      if (!nr) {
        free(rows);
        rows = NULL;
        break;
      }
      rows = nr;
      rcap *= 2;
    }
    rows[2 * nrows] = fields[qcol];
    rows[2 * nrows + 1] = fields[gcol];
    nrows++;
  }
  if (!rows) {
    fprintf(stderr, "ecai eval-cache: out of memory\n");
    rc = CLI_RUNTIME;
  }
  for (int pass = warm >= 0 ? 0 : 1; rc == CLI_OK && pass < 2; pass++)
    for (size_t ri = 0; ri < nrows; ri++) {
      const char *q = rows[2 * ri], *g = rows[2 * ri + 1];
      int qh = (int)(XXH3_64bits(q, strlen(q)) & 1);
      if (pass == 0 ? qh != warm : half >= 0 && qh != half) continue;
      if (pass == 1 && sm > 1) {
        uint8_t key[ECAI_CACHE_KEY_SIZE];
        ecai_cache_key_from_bytes(key, q, strlen(q));
        unsigned long long lo = 0;
        for (int i = 8; i < 16; i++) lo = (lo << 8) | key[i];
        if (lo % sm != sk) continue;
      }
      void *v = NULL;
      size_t vn = 0;
      float score = 0;
      st = ECAI_ENOTFOUND;
      if (pass == 1) {
        lookups++;
        st = ecai_semcache_lookup_text(&v, &vn, &score, sc, "eval", q, strlen(q));
      }
      if (st == ECAI_OK) {
        hits++;
        const char *vs = v, *tab = strchr(vs, '\t'); /* the value is "group<TAB>question" */
        size_t gl = tab ? (size_t)(tab - vs) : strlen(vs);
        if (gl != strlen(g) || memcmp(vs, g, gl) != 0) {
          false_hits++;
          if (tab && same_words(q, tab + 1)) conflicts++;
          if (show_false) fprintf(stderr, "%s\t%s\t%s\t%.4f\n", q, g, vs, score);
        }
        ecai_free(v);
        continue;
      }
      if (st == ECAI_ENOTFOUND) {
        size_t gl = strlen(g), ql = strlen(q);
        char *val = malloc(gl + ql + 2);
        if (!val) {
          st = ECAI_ENOMEM;
        } else {
          memcpy(val, g, gl);
          val[gl] = '\t';
          memcpy(val + gl + 1, q, ql + 1);
          st = ecai_semcache_put_text(sc, "eval", q, ql, val, gl + ql + 1);
          free(val);
        }
      }
      if (st) {
        rc = cli_fail("eval-cache", st, q);
        break;
      }
    }
  free(rows);
  if (rc == CLI_OK) {
    char *stats = NULL;
    st = ecai_semcache_stats_json(&stats, NULL, sc);
    double th = 0;
    int vf = 1;
    unsigned long long rejects = 0;
    if (stats) { /* read back the effective settings */
      const char *t = strstr(stats, "\"threshold\":");
      if (t) th = strtod(t + 12, NULL);
      vf = strstr(stats, "\"verify\":true") != NULL;
      const char *rj = strstr(stats, "\"verify_rejects\":");
      if (rj) rejects = strtoull(rj + 17, NULL, 10);
    }
    ecai_free(stats);
    double hr = lookups ? (double)hits / (double)lookups : 0, fr = hits ? (double)false_hits / (double)hits : 0;
    double fpl = lookups ? (double)false_hits / (double)lookups : 0;
    if (json)
      printf("{\"lookups\":%llu,\"hits\":%llu,\"false_hits\":%llu,\"hit_rate\":%.6f,\"false_hit_rate\":%.6f,"
             "\"false_hits_per_lookup\":%.6f,\"threshold\":%.6g,\"verify\":%s,\"verify_rejects\":%llu,"
             "\"label_conflicts\":%llu}\n",
             lookups, hits, false_hits, hr, fr, fpl, th, vf ? "true" : "false", rejects, conflicts);
    else
      printf("lookups %llu, hits %llu (%.2f %%), false hits %llu (%.2f %% of hits, %.3f %% of lookups)\n"
             "threshold %.4g, verification %s, candidates rejected by verification %llu\n",
             lookups, hits, 100 * hr, false_hits, 100 * fr, 100 * fpl, th, vf ? "on" : "off", rejects);
  }
  free(data);
  ecai_semcache_free(sc);
  ecai_ctx_free(ctx);
  return rc;
}
