/* Fuzz target: merchandising rules and synonyms (ecai_search_set_rules_json) and a query
 * they apply to (prefix, sort, offset, highlight), over a small fixed catalog. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ecai.h>

#include "fuzz_util.h"

static ecai_search *S;

static void setup(void) {
  static ecai_ctx *c;
  static ecai_store *st;
  static const char CFG[] = "{\"embedder\":{\"dim\":32}}";
  if (ecai_ctx_new(&c, CFG, sizeof CFG - 1) || ecai_store_new(&st, c)) abort();
  static const char *rows[] = {"{\"id\":\"S-1\",\"title\":\"Grey sofa\",\"price\":499}",
                               "{\"id\":\"S-2\",\"title\":\"Compact loveseat sofa\",\"price\":299}",
                               "{\"id\":\"T-1\",\"title\":\"Oak dining table\"}",
                               "{\"id\":\"L-1\",\"title\":\"Brass floor lamp <b>\",\"price\":89}"};
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
    if (ecai_catalog_upsert_json(NULL, ecai_store_catalog(st), rows[i], strlen(rows[i]))) abort();
  if (ecai_store_build(NULL, st, 0, NULL, NULL) || ecai_search_new(&S, st)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  if (!S) setup();
  if (ecai_search_set_rules_json(S, (const char *)data, size) != ECAI_OK) return 0;
  static const char *const q[4] = {"sofa", "grey sofa", "oak ta", "lamp"};
  static const char *const o[4] = {"{\"mode\":\"bm25\",\"highlight\":true}", "{\"mode\":\"bm25\",\"prefix\":true}",
                                   "{\"mode\":\"bm25\",\"sort\":\"price_asc\",\"offset\":1}",
                                   "{\"mode\":\"hybrid\",\"k\":2,\"offset\":2}"};
  for (int i = 0; i < 4; i++) {
    char *out = NULL;
    if (ecai_search_query(&out, NULL, S, q[i], strlen(q[i]), o[(i + size) & 3]) == ECAI_OK) ecai_free(out);
  }
  ecai_search_set_rules_json(S, NULL, 0);
  return 0;
}
