/* Fuzz target: catalog import (CSV through libcsv, TSV, JSONL), strict and lenient, with
 * the default size limits and with tiny ones (so short inputs reach the limit paths).
 * Checks the all-or-nothing promise (a failed load leaves the catalog as it was) and that
 * the load report adds up: read = loaded + skipped = loaded + the sum over reasons. */
#include <ecai.h>
#include <jansson.h>

#include "fuzz_util.h"

static void check_report(const ecai_catalog *cat, ecai_status st, size_t loaded, size_t skipped, uint32_t flags) {
  char *js = NULL;
  size_t n = 0;
  if (ecai_catalog_load_report_json(&js, &n, cat) != ECAI_OK) abort();
  json_t *r = json_loadb(js, n, 0, NULL);
  ecai_free(js);
  if (!r) abort();
  json_int_t read = json_integer_value(json_object_get(r, "read"));
  json_int_t lo = json_integer_value(json_object_get(r, "loaded"));
  json_int_t sk = json_integer_value(json_object_get(r, "skipped"));
  json_int_t sum = 0;
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(r, "skipped_by_reason"), key, v) sum += json_integer_value(v);
  if (read != lo + sk || sum != sk) abort();
  if (st == ECAI_OK && ((size_t)lo != loaded || (size_t)sk != skipped)) abort();
  if (st != ECAI_OK && (lo || sk)) abort();                       /* a failed load reports nothing */
  if (!(flags & ECAI_CATALOG_LENIENT) && sk) abort();             /* strict mode never skips */
  if (sk && !json_is_string(json_object_get(r, "first_skip"))) abort();
  json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *tags[] = {"c.csv", "c.tsv", "c.jsonl"};
  static const ecai_catalog_format fmts[] = {ECAI_CATALOG_CSV, ECAI_CATALOG_TSV, ECAI_CATALOG_JSONL};
  static const char *cfgs[] = {NULL, "{\"catalog\":{\"max_field_bytes\":12,\"max_record_bytes\":40}}"};
  for (int c = 0; c < 2; c++) {
    ecai_ctx *ctx = NULL;
    if (ecai_ctx_new(&ctx, cfgs[c], cfgs[c] ? strlen(cfgs[c]) : 0) != ECAI_OK) abort();
    for (int f = 0; f < 3; f++) {
      const char *path = fuzz_tmpfile(tags[f], data, size);
      for (uint32_t flags = 0; flags <= ECAI_CATALOG_LENIENT; flags += ECAI_CATALOG_LENIENT) {
        ecai_catalog *cat = NULL;
        if (ecai_catalog_new(&cat, ctx) != ECAI_OK) abort();
        const char *seed = "{\"id\":\"keep-1\",\"title\":\"kept\"}";
        if (ecai_catalog_upsert_json(NULL, cat, seed, strlen(seed)) != ECAI_OK) abort();
        size_t loaded = 0, skipped = 0;
        ecai_status st = ecai_catalog_load(&loaded, &skipped, cat, path, fmts[f], NULL, flags);
        if (st != ECAI_OK && ecai_catalog_count(cat) != 1) abort(); /* a failed load changed the catalog */
        check_report(cat, st, loaded, skipped, flags);
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
  }
  return 0;
}
