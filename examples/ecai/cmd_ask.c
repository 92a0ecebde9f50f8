/* ecai ask: answer customer questions from a knowledge base, or escalate them. */
#include <getopt.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai ask --kb PATH [--examples FILE] [--config FILE] [--json] [--conversation FILE]\n"
    "                [--context FILE] QUESTION\n"
    "       ecai ask --kb PATH [--examples FILE] [--config FILE] --batch FILE\n\n"
    "Answers a customer question from a knowledge base with citations, or escalates it to a\n"
    "human (guardrails: injection, PII, human requested, action required, frustration,\n"
    "grounding of every sentence, confidence). Without an LLM (llm.provider \"none\") the\n"
    "answer is the best supporting passage / FAQ answer.\n\n"
    "options:\n"
    "  --kb PATH            a folder of documents (.md .txt .html .json) or a FAQ JSON file\n"
    "                       (a list of {\"id\", \"question\", \"answer\"})\n"
    "  --examples FILE      labelled questions (resolved tickets), TSV 'question<TAB>expected'\n"
    "                       with expected = entry ids separated by commas or ESCALATE; they\n"
    "                       vote for their entry and fit the confidence (20+ questions)\n"
    "  --config FILE        libecai configuration (llm, guard, support sections)\n"
    "  --json               print the result JSON: {question, answer|null, escalated, reason,\n"
    "                       confidence, citations:[{source, section}], guards, ...}\n"
    "  --batch FILE         one question per line ('-' = stdin); prints one JSON object per line\n"
    "  --conversation FILE  the conversation so far (JSON array of strings or {role, content})\n"
    "  --context FILE       order / customer data (any JSON), given to the model as data\n\n"
    "exit status: 0 answered (always 0 with --batch), 1 escalated, 2 bad input or usage,\n"
    "             3 runtime failure.\n";

static char *slurp_n(const char *path, size_t *out_len);
static char *slurp(const char *path) { return slurp_n(path, NULL); }

/* Reads a whole file ('-' = stdin), NUL-terminated; *out_len = its length (may hold NULs). */
static char *slurp_n(const char *path, size_t *out_len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return NULL;
  size_t cap = 4096, n = 0, r;
  char *b = malloc(cap);
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
  if (b) b[n] = 0;
  if (out_len) *out_len = n;
  return b;
}

static void print_human(const char *js) {
  json_t *j = json_loads(js, 0, NULL);
  if (!j) return;
  if (json_is_true(json_object_get(j, "escalated"))) {
    printf("ESCALATED to a human agent (reason: %s)\n", json_string_value(json_object_get(j, "reason")));
  } else {
    printf("%s\n", json_string_value(json_object_get(j, "answer")));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(j, "citations"), i, c) {
      const char *sec = json_string_value(json_object_get(c, "section"));
      printf("  [source: %s%s%s]\n", json_string_value(json_object_get(c, "source")), sec && *sec ? " / " : "", sec ? sec : "");
    }
    printf("  (confidence %.2f)\n", json_real_value(json_object_get(j, "confidence")));
  }
  json_decref(j);
}

int cmd_ask(int argc, char **argv) {
  static const struct option opts[] = {{"kb", required_argument, NULL, 'k'},
                                       {"config", required_argument, NULL, 'c'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"batch", required_argument, NULL, 'b'},
                                       {"conversation", required_argument, NULL, 'v'},
                                       {"context", required_argument, NULL, 'x'},
                                       {"examples", required_argument, NULL, 'e'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *kbp = NULL, *cfg = NULL, *batch = NULL, *convp = NULL, *ctxp = NULL, *exp = NULL;
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "k:c:jb:v:x:e:h", opts, NULL)) != -1) {
    switch (c) {
    case 'k': kbp = optarg; break;
    case 'c': cfg = optarg; break;
    case 'j': json = 1; break;
    case 'b': batch = optarg; break;
    case 'v': convp = optarg; break;
    case 'x': ctxp = optarg; break;
    case 'e': exp = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("ask", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!kbp) return cli_usage("ask", "--kb PATH is required");
  if (batch && optind != argc) return cli_usage("ask", "--batch takes no QUESTION argument");
  if (!batch && optind != argc - 1) return cli_usage("ask", optind < argc ? "expected exactly one QUESTION" : "missing QUESTION");
  char *conv = NULL, *cx = NULL;
  if (convp && !(conv = slurp(convp))) return cli_usage("ask", "cannot read conversation file '%s'", convp);
  if (ctxp && !(cx = slurp(ctxp))) {
    free(conv);
    return cli_usage("ask", "cannot read context file '%s'", ctxp);
  }
  ecai_ctx *ctx = NULL;
  ecai_kb *kb = NULL;
  ecai_support *s = NULL;
  int rc = cli_ctx("ask", cfg, &ctx);
  if (rc) goto out;
  ecai_status st = ecai_kb_new(&kb, ctx);
  if (st) {
    rc = cli_fail("ask", st, "knowledge base");
    goto out;
  }
  st = ecai_kb_add_path(NULL, kb, kbp);
  if (st) {
    rc = (st == ECAI_EIO || st == ECAI_EPARSE || st == ECAI_ENOTFOUND || st == ECAI_EINVAL) ? (cli_fail("ask", st, "knowledge base"), CLI_USAGE)
                                                                                             : cli_fail("ask", st, "knowledge base");
    goto out;
  }
  if (exp) {
    size_t len = 0;
    struct stat sb;
    if (strcmp(exp, "-") && stat(exp, &sb) == 0 && sb.st_size > ECAI_KB_EXAMPLES_MAX_BYTES) {
      rc = cli_usage("ask", "examples file '%s' is larger than %d bytes", exp, ECAI_KB_EXAMPLES_MAX_BYTES);
      goto out;
    }
    char *ex = slurp_n(exp, &len);
    if (!ex) {
      rc = cli_usage("ask", "cannot read examples file '%s'", exp);
      goto out;
    }
    st = ecai_kb_add_examples_tsv(NULL, kb, ex, len);
    free(ex);
    if (st) {
      fprintf(stderr, "ecai ask: examples file '%s': %s\n", exp, ecai_last_error());
      rc = st == ECAI_ENOMEM ? CLI_RUNTIME : CLI_USAGE;
      goto out;
    }
  }
  st = ecai_support_new(&s, ctx, kb);
  if (st) {
    rc = cli_fail("ask", st, "assistant");
    goto out;
  }
  if (batch) {
    char *all = slurp(batch);
    if (!all) {
      rc = cli_usage("ask", "cannot read batch file '%s'", batch);
      goto out;
    }
    char *save = NULL;
    for (char *line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      size_t l = strlen(line);
      while (l && (line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = 0;
      if (!l) continue;
      char *js = NULL;
      st = ecai_support_answer(&js, NULL, s, line, NULL, cx);
      if (st == ECAI_EINVAL || st == ECAI_EPARSE) {
        /* a bad line does not stop the batch: report it as a JSON error object */
        json_t *e = json_pack("{s:s,s:s}", "question", "", "error", ecai_last_error());
        char *es = json_dumps(e, JSON_COMPACT);
        printf("%s\n", es ? es : "{}");
        free(es);
        json_decref(e);
        continue;
      }
      if (st) {
        free(all);
        rc = cli_fail("ask", st, "answer");
        goto out;
      }
      printf("%s\n", js);
      fflush(stdout);
      ecai_free(js);
    }
    free(all);
    rc = CLI_OK;
  } else {
    char *js = NULL;
    st = ecai_support_answer(&js, NULL, s, argv[optind], conv, cx);
    if (st) {
      rc = (st == ECAI_EINVAL || st == ECAI_EPARSE) ? (cli_fail("ask", st, "answer"), CLI_USAGE) : cli_fail("ask", st, "answer");
      goto out;
    }
    if (json) printf("%s\n", js);
    else print_human(js);
    rc = strstr(js, "\"escalated\":true") ? CLI_FAILED : CLI_OK;
    ecai_free(js);
  }
out:
  ecai_support_free(s);
  ecai_kb_free(kb);
  ecai_ctx_free(ctx);
  free(conv);
  free(cx);
  return rc;
}
