/* ecai guard: run the guardrail checks on a message or an answer, redact PII. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai guard [--input | --output | --redact] [options] TEXT\n\n"
    "Runs libecai's model-free guardrails and prints the verdict (TEXT '-' reads stdin).\n\n"
    "modes:\n"
    "  --input           (default) check a customer message: injection / jailbreak, other\n"
    "                    customers' data, human requested, action required, frustration,\n"
    "                    length, PII present\n"
    "  --output          check an answer against its sources: every sentence supported,\n"
    "                    numbers / prices / durations / policy terms / negations as in the\n"
    "                    supporting passage, SKUs and prices in the catalog, no PII leak,\n"
    "                    banned phrases, system-prompt leakage, length\n"
    "  --redact          replace PII with placeholders; prints {\"text\":..., \"mapping\":...}\n\n"
    "options:\n"
    "  --sources FILE    a source for --output (repeatable): a FAQ JSON list of {id, answer}\n"
    "                    (one source per entry), a markdown file (one source per heading\n"
    "                    section, id FILE#heading) or any text file (one source)\n"
    "  --history FILE    --input: the earlier messages as a JSON array (repeat detection)\n"
    "  --system-prompt FILE  --output: the system prompt that must not leak\n"
    "  --catalog FILE    --output: JSON object {\"SKU\": price, ...} used as the catalog lookup\n"
    "  --banned PHRASE   a banned phrase (repeatable)\n"
    "  --config FILE     libecai configuration (the \"guard\" section sets thresholds)\n"
    "  --json            print the verdict JSON (default: a one-line summary + failed checks)\n\n"
    "exit status: 0 passed (no escalation), 1 blocked or escalated, 2 bad input or usage,\n"
    "             3 runtime failure.\n";

static char *read_file(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  size_t r;
  while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n < 2) {
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap *= 2;
    }
  }
  if (f != stdin) fclose(f);
  if (!b) return NULL;
  b[n] = 0;
  if (len) *len = n;
  return b;
}

typedef struct {
  char **ids, **texts;
  size_t n, cap;
} sources;

static int add_source(sources *s, const char *id, const char *text, size_t tlen) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
    s->texts = realloc(s->texts, s->cap * sizeof *s->texts);
    if (!s->ids || !s->texts) return -1;
  }
  s->ids[s->n] = strdup(id);
  s->texts[s->n] = strndup(text, tlen);
  s->n++;
  return 0;
}

static int load_sources(sources *s, const char *path) {
  size_t len;
  char *t = read_file(path, &len);
  if (!t) return -1;
  json_error_t je;
  json_t *j = NULL;
  size_t i = 0;
  while (i < len && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) i++;
  if (i < len && t[i] == '[') j = json_loadb(t, len, 0, &je);
  if (j && json_is_array(j)) {
    size_t k;
    json_t *e;
    json_array_foreach(j, k, e) {
      const char *id = json_string_value(json_object_get(e, "id"));
      const char *ans = json_string_value(json_object_get(e, "answer"));
      if (!ans) ans = json_string_value(json_object_get(e, "text"));
      if (!id || !ans) {
        json_decref(j);
        free(t);
        return -2;
      }
      add_source(s, id, ans, strlen(ans));
    }
    json_decref(j);
    free(t);
    return 0;
  }
  json_decref(j);
  size_t pl = strlen(path);
  if (pl > 3 && !strcmp(path + pl - 3, ".md")) {
    /* one source per heading section */
    size_t start = 0;
    char heading[160] = "";
    for (size_t p = 0; p <= len; p++) {
      bool line_start = p == 0 || t[p - 1] == '\n';
      if (p == len || (line_start && t[p] == '#')) {
        if (p > start) {
          char id[512];
          snprintf(id, sizeof id, "%s#%s", path, heading[0] ? heading : "top");
          add_source(s, id, t + start, p - start);
        }
        if (p == len) break;
        size_t e = p;
        while (e < len && t[e] == '#') e++;
        while (e < len && t[e] == ' ') e++;
        size_t h = 0;
        while (e < len && t[e] != '\n' && h < sizeof heading - 1) heading[h++] = t[e++];
        heading[h] = 0;
        start = p;
      }
    }
    free(t);
    return 0;
  }
  add_source(s, path, t, len);
  free(t);
  return 0;
}

static json_t *g_catalog;

static int catalog_lookup(const char *sku, double *price, void *payload) {
  (void)payload;
  json_t *v = json_object_get(g_catalog, sku);
  if (!v) return 0;
  *price = json_is_number(v) ? json_number_value(v) : -1;
  return 1;
}

int cmd_guard(int argc, char **argv) {
  static const struct option opts[] = {
      {"input", no_argument, 0, 'i'}, {"output", no_argument, 0, 'o'}, {"redact", no_argument, 0, 'r'},
      {"sources", required_argument, 0, 's'}, {"history", required_argument, 0, 'H'},
      {"system-prompt", required_argument, 0, 'p'}, {"catalog", required_argument, 0, 'C'},
      {"banned", required_argument, 0, 'b'}, {"config", required_argument, 0, 'c'},
      {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int mode = 'i', c, rc = CLI_OK;
  bool json = false;
  const char *hist_path = NULL, *prompt_path = NULL, *cat_path = NULL, *cfg = NULL;
  sources src = {0};
  char *banned = NULL;
  size_t banned_len = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "iors:H:p:C:b:c:jh", opts, NULL)) != -1) {
    switch (c) {
    case 'i': case 'o': case 'r': mode = c; break;
    case 's': {
      int r = load_sources(&src, optarg);
      if (r == -1) return cli_usage("guard", "cannot read sources file '%s'", optarg);
      if (r == -2) return cli_usage("guard", "sources file '%s': each entry needs \"id\" and \"answer\"", optarg);
      break;
    }
    case 'H': hist_path = optarg; break;
    case 'p': prompt_path = optarg; break;
    case 'C': cat_path = optarg; break;
    case 'b': {
      size_t l = strlen(optarg);
      banned = realloc(banned, banned_len + l + 2);
      memcpy(banned + banned_len, optarg, l);
      banned_len += l;
      banned[banned_len++] = '\n';
      banned[banned_len] = 0;
      break;
    }
    case 'c': cfg = optarg; break;
    case 'j': json = true; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("guard", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) return cli_usage("guard", optind < argc ? "expected exactly one TEXT argument" : "missing TEXT");
  size_t tlen;
  char *text = strcmp(argv[optind], "-") ? strdup(argv[optind]) : read_file("-", &tlen);
  if (!text) return cli_usage("guard", "cannot read TEXT from stdin");
  tlen = strlen(text);

  ecai_ctx *ctx = NULL;
  ecai_guard *g = NULL;
  ecai_guard_verdict *v = NULL;
  char *hist = NULL, *out = NULL;
  size_t hlen = 0;
  ecai_status st;
  if ((rc = cli_ctx("guard", cfg, &ctx))) goto done;
  if (mode == 'r') {
    ecai_guard_pii *m = NULL;
    char *red = NULL, *mj = NULL;
    if ((st = ecai_guard_pii_new(&m)) || (st = ecai_guard_redact(&red, NULL, m, text, tlen)) ||
        (st = ecai_guard_pii_json(&mj, NULL, m))) {
      rc = cli_fail("guard", st, "redaction failed");
    } else {
      json_t *o = json_pack("{s:s,s:o}", "text", red, "mapping", json_loads(mj, 0, NULL));
      char *d = json_dumps(o, JSON_COMPACT);
      if (json) printf("%s\n", d);
      else printf("%s\n", red);
      free(d);
      json_decref(o);
    }
    ecai_free(red);
    ecai_free(mj);
    ecai_guard_pii_free(m);
    goto done;
  }
  if ((st = ecai_guard_new(&g, ctx))) {
    rc = cli_fail("guard", st, "cannot create the guard");
    goto done;
  }
  if (banned && (st = ecai_guard_set_str(g, ECAI_GUARD_OPT_BANNED_PHRASES, banned))) {
    rc = cli_fail("guard", st, "banned phrases");
    goto done;
  }
  if (mode == 'i') {
    if (hist_path && !(hist = read_file(hist_path, &hlen))) {
      rc = cli_usage("guard", "cannot read history file '%s'", hist_path);
      goto done;
    }
    st = ecai_guard_check_input(&v, g, text, tlen, hist, hlen);
  } else {
    if (prompt_path) {
      char *p = read_file(prompt_path, NULL);
      if (!p) {
        rc = cli_usage("guard", "cannot read system prompt file '%s'", prompt_path);
        goto done;
      }
      st = ecai_guard_set_str(g, ECAI_GUARD_OPT_SYSTEM_PROMPT, p);
      free(p);
      if (st) {
        rc = cli_fail("guard", st, "system prompt");
        goto done;
      }
    }
    if (cat_path) {
      json_error_t je;
      g_catalog = json_load_file(cat_path, 0, &je);
      if (!json_is_object(g_catalog)) {
        rc = cli_usage("guard", "catalog '%s' must be a JSON object {\"SKU\": price}", cat_path);
        goto done;
      }
      ecai_guard_set_catalog(g, catalog_lookup, NULL);
    }
    st = ecai_guard_check_output(&v, g, text, tlen, (const char *const *)src.ids, (const char *const *)src.texts,
                                 src.n);
  }
  if (st) {
    rc = cli_fail("guard", st, "check failed");
    goto done;
  }
  if ((st = ecai_guard_verdict_json(&out, NULL, v))) {
    rc = cli_fail("guard", st, "cannot serialise the verdict");
    goto done;
  }
  int pass = ecai_guard_verdict_pass(v), esc = ecai_guard_verdict_escalate(v);
  if (json) {
    printf("%s\n", out);
  } else {
    printf("%s%s%s (score %.3f)\n", pass ? (esc ? "ESCALATE" : "PASS") : "BLOCKED",
           ecai_guard_verdict_reason(v)[0] ? ": " : "", ecai_guard_verdict_reason(v), ecai_guard_verdict_score(v));
    json_t *j = json_loads(out, 0, NULL);
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(j, "checks"), k, e) {
      if (json_is_true(json_object_get(e, "pass"))) continue;
      printf("  %-20s %-22s %s\n", json_string_value(json_object_get(e, "name")),
             json_string_value(json_object_get(e, "reason")), json_string_value(json_object_get(e, "detail")));
    }
    json_decref(j);
  }
  rc = (pass && !esc) ? CLI_OK : CLI_FAILED;
done:
  for (size_t i = 0; i < src.n; i++) {
    free(src.ids[i]);
    free(src.texts[i]);
  }
  free(src.ids);
  free(src.texts);
  free(banned);
  free(text);
  free(hist);
  ecai_free(out);
  ecai_guard_verdict_free(v);
  ecai_guard_free(g);
  ecai_ctx_free(ctx);
  json_decref(g_catalog);
  g_catalog = NULL;
  return rc;
}
