/* Fuzz target: catalog import (CSV through libcsv, TSV, JSONL), strict and lenient.
 * Checks the all-or-nothing promise: a failed load leaves the catalog as it was. */
#include <ecai.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *tags[] = {"c.csv", "c.tsv", "c.jsonl"};
  static const ecai_catalog_format fmts[] = {ECAI_CATALOG_CSV, ECAI_CATALOG_TSV, ECAI_CATALOG_JSONL};
  ecai_ctx *ctx = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0) != ECAI_OK) abort();
  for (int f = 0; f < 3; f++) {
    const char *path = fuzz_tmpfile(tags[f], data, size);
    for (uint32_t flags = 0; flags <= ECAI_CATALOG_LENIENT; flags += ECAI_CATALOG_LENIENT) {
      ecai_catalog *cat = NULL;
      if (ecai_catalog_new(&cat, ctx) != ECAI_OK) abort();
      const char *seed = "{\"id\":\"keep-1\",\"title\":\"kept product\"}";
      if (ecai_catalog_upsert_json(NULL, cat, seed, strlen(seed)) != ECAI_OK) abort();
      size_t loaded = 0, skipped = 0;
      ecai_status st = ecai_catalog_load(&loaded, &skipped, cat, path, fmts[f], NULL, flags);
      if (st != ECAI_OK && ecai_catalog_count(cat) != 1) abort(); /* a failed load changed the catalog */
      for (int64_t id = -1; ecai_catalog_next(&id, cat, id) == ECAI_OK;) {
        char *js = NULL;
        const char *sku = ecai_catalog_sku(cat, id);
        if (!sku || ecai_catalog_get_json(&js, NULL, cat, sku) != ECAI_OK) abort();
        ecai_free(js);
      }
      ecai_catalog_free(cat);
    }
    remove(path);
  }
  ecai_ctx_free(ctx);
  return 0;
}
