/* Fuzz target: the learnt search ranker file (ranker.bin, read by ecai_search_open through
 * ecai__ltr_open), against the catalog of tests/data/ltr_catalog.jsonl's first products. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ecai.h>

#include "fuzz_util.h"
#include "search/ltr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  static ecai_catalog *cat;
  if (!ctx) {
    if (ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK || ecai_catalog_new(&cat, ctx) != ECAI_OK) abort();
    for (int i = 28; i < 34; i++) {
      char js[128];
      int n = snprintf(js, sizeof js, "{\"id\":\"W-%02d\",\"title\":\"Blue widget model %02d\"}", i, i);
      if (ecai_catalog_upsert_json(NULL, cat, js, (size_t)n) != ECAI_OK) abort();
    }
  }
  const char *path = fuzz_tmpfile("ranker.bin", data, size);
  char dir[256];
  snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
  /* ecai__ltr_open reads DIR/ranker.bin: give it a folder of its own */
  char sub[300], file[320];
  snprintf(sub, sizeof sub, "%s/ecai_fuzz_ranker_%ld", dir, (long)getpid());
  snprintf(file, sizeof file, "%s/ranker.bin", sub);
  mkdir(sub, 0700);
  if (rename(path, file) != 0) abort();
  ecai__ltr *m = NULL;
  ecai_status st = ecai__ltr_open(&m, cat, sub);
  if (st == ECAI_OK && !m) abort();
  if (st != ECAI_OK && m) abort();
  ecai__ltr_free(m);
  unlink(file);
  rmdir(sub);
  return 0;
}
