/*
 * ecai — the libecai command-line tool. Subcommands are dispatched from one table;
 * each lives in its own cmd_*.c file and uses only the public API.
 */
#include <string.h>

#include "cli.h"

int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
/* catalog/index/search commands: */
int cmd_index(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* llm commands: */
int cmd_chat(int argc, char **argv);

/* cache commands: */
int cmd_eval_cache(int argc, char **argv);

/* experiment/pricing commands: */
int cmd_abtest(int argc, char **argv);
int cmd_price(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* recommend/support commands: */
int cmd_recommend(int argc, char **argv);
int cmd_eval_recommend(int argc, char **argv);
int cmd_guard(int argc, char **argv);
int cmd_ask(int argc, char **argv);


static const cli_cmd COMMANDS[] = {
  {"version", "print the library and tool version", cmd_version},
  {"config", "validate a configuration file and print the effective settings", cmd_config},
  /* catalog/index/search: */
  {"index", "load a catalog, embed it and save the vector index (--out DIR)", cmd_index},
  {"publish", "verify a store folder and switch a symlink to it atomically (--store DIR --link LINK)", cmd_publish},
  {"compact", "fold a published store's live updates into a new version and publish it (--link LINK --out DIR)",
   cmd_compact},
  {"update", "change price, stock or text of products in a saved store, seen by every process (--index DIR)", cmd_update},
  {"search", "search a saved index (--index DIR) for a query or a file of queries", cmd_search},
  {"eval", "nDCG@10, MRR@10, recall@100 of bm25/vector/hybrid search on judged queries", cmd_eval},
  {"learn", "learn a ranker from judged queries or click counts and save it with the index", cmd_learn},
  {"bench", "search latency p50/p99 and queries per second on one thread", cmd_bench},

  /* llm: */
  {"chat", "send one chat request to the configured LLM provider", cmd_chat},

  /* cache: */
  {"eval-cache", "semantic cache hit and false-hit rates on labelled questions", cmd_eval_cache},

  /* experiment/pricing: */
  {"abtest", "A/B test from a CSV file (z-test for proportions, Welch for means)", cmd_abtest},
  {"price", "batch price suggestions from price/quantity history, with guardrails", cmd_price},
  {"report", "KPI report per variant and before/after a launch, with an SVG/HTML chart", cmd_report},

  /* recommend/support: */
  {"recommend", "recommend products for a cart and browsing history from order history", cmd_recommend},
  {"eval-recommend", "evaluate the recommenders on real transactions (hide one item per basket)", cmd_eval_recommend},
  {"guard", "run the guardrail checks on a message or an answer, redact PII", cmd_guard},
  {"ask", "answer a customer question from a knowledge base with citations, or escalate it", cmd_ask},

};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
  fprintf(f,
          "usage: ecai [--version] [--help] <command> [options]\n\n"
          "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-16s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fprintf(f,
          "\n'ecai <command> --help' describes a command. Commands that print results take\n"
          "--json for one JSON document (or one per line) on stdout.\n\n"
          "exit status: 0 success, 1 a check failed, 2 bad input or usage error,\n"
          "             3 runtime failure (remote endpoint, timeout, memory, budget).\n"
          "Errors are one line on stderr: 'ecai <command>: <reason>'.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
    if (argc > 2 && strcmp(name, "help") == 0) {
      for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(COMMANDS[i].name, argv[2])) {
          char *hv[] = {argv[2], "--help", NULL};
          return COMMANDS[i].fn(2, hv);
        }
    }
    usage(stdout);
    return CLI_OK;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "-V")) name = "version";
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(COMMANDS[i].name, name)) return COMMANDS[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "ecai: unknown command '%s' (try 'ecai --help')\n", name);
  return CLI_USAGE;
}
