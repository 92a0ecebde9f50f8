/* ecai chat: send one chat request through the configured LLM provider. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static const char HELP[] =
    "usage: ecai chat [--config FILE] [--json] [--system TEXT] MESSAGE\n\n"
    "Sends one chat request to the provider of the configuration's \"llm\" section\n"
    "(openai, anthropic or none), with its retries, timeouts, budget and downgrade chain.\n"
    "The API key comes from the environment variable named by llm.api_key_env (or\n"
    "ECAI_LLM_API_KEY) and is never printed.\n\n"
    "  --config FILE   the context JSON, e.g. {\"llm\": {\"provider\": \"openai\",\n"
    "                  \"base_url\": \"...\", \"model\": \"...\", \"api_key_env\": \"NAME\"}}\n"
    "  --json          print one JSON object: text, finish_reason, model, usage, cost,\n"
    "                  attempts, retries, latency_ms, downgrade, cached\n"
    "  --system TEXT   a system message sent before MESSAGE\n\n"
    "exit status: 0 ok; 2 usage or configuration error (provider none, bad key);\n"
    "             3 runtime failure (HTTP status, timeout, budget, unparsable reply).\n";

int cmd_chat(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, 0, 'c'}, {"json", no_argument, 0, 'j'},
                                       {"system", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *path = NULL, *system = NULL;
  bool json = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:js:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': path = optarg; break;
    case 'j': json = true; break;
    case 's': system = optarg; break;
    case 'h': fputs(HELP, stdout); return CLI_OK;
    default: return cli_usage("chat", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) return cli_usage("chat", "missing MESSAGE");
  if (optind + 1 < argc) return cli_usage("chat", "unexpected argument '%s' (quote the message)", argv[optind + 1]);
  const char *message = argv[optind];
  ecai_ctx *ctx = NULL;
  int rc = cli_ctx("chat", path, &ctx);
  if (rc) return rc;
  ecai_llm *llm = NULL;
  ecai_prompt *p = NULL;
  ecai_llm_reply *r = NULL;
  char *js = NULL;
  ecai_status st = ecai_llm_new(&llm, ctx);
  const char *what = "configuration";
  if (!st) {
    what = "prompt";
    st = ecai_prompt_new(&p);
  }
  if (!st && system) st = ecai_prompt_add(p, ECAI_LLM_SYSTEM, system, strlen(system));
  if (!st) st = ecai_prompt_add(p, ECAI_LLM_USER, message, strlen(message));
  if (!st) {
    what = "request failed";
    st = ecai_llm_chat(&r, llm, p);
  }
  if (!st && json) st = ecai_llm_reply_json(&js, NULL, r);
  if (st) {
    const char *msg = ecai_last_error();
    fprintf(stderr, "ecai chat: %s: %s\n", what, (msg && *msg) ? msg : ecai_status_str(st));
    rc = (st == ECAI_EINVAL || st == ECAI_EUNSUPPORTED) ? CLI_USAGE : CLI_RUNTIME;
  } else if (json) {
    printf("%s\n", js);
  } else {
    size_t n = 0;
    const char *t = ecai_llm_reply_text(r, &n);
    fwrite(t, 1, n, stdout);
    fputc('\n', stdout);
  }
  ecai_free(js);
  ecai_llm_reply_free(r);
  ecai_prompt_free(p);
  ecai_llm_free(llm);
  ecai_ctx_free(ctx);
  return rc;
}
