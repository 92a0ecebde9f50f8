/* Fuzz target: a knowledge base with examples. The input is an examples TSV (all or
 * nothing: a refused file adds no example), then a KB file after a NUL byte: a text file
 * (ECAIKB1, version 1 or 2) or the mapped layout ("ECAIKBM\0", opened both as given and
 * with its container length and checksum made right, so the checks of its offsets, counts
 * and term ids are fuzzed too). Either may be refused, never crash; what loads answers a
 * question. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ecai.h>
#include "catalog/ser.h"

#include "fuzz_util.h"

static size_t n_examples(ecai_kb *kb) {
  char *js = NULL;
  if (ecai_kb_search_json(&js, NULL, kb, "where is my parcel", 2) != ECAI_OK) abort();
  const char *p = strstr(js, "\"examples\":");
  size_t n = p ? strtoul(p + 11, NULL, 10) : 0;
  ecai_free(js);
  return n;
}

static void open_kb(ecai_ctx *ctx, const uint8_t *data, size_t size) {
  const char *path = fuzz_tmpfile("kb", data, size);
  ecai_kb *back = NULL;
  if (ecai_kb_open(&back, ctx, path) == ECAI_OK) (void)n_examples(back);
  else if (back) abort();
  ecai_kb_free(back);
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ecai_ctx *ctx;
  if (!ctx && ecai_ctx_new(&ctx, "{}", 2) != ECAI_OK) abort();
  if (size > 65536) return 0;
  const char *text = (const char *)data;
  const char *z = memchr(text, 0, size);
  size_t tlen = z ? (size_t)(z - text) : size;
  ecai_kb *kb = NULL;
  if (ecai_kb_new(&kb, ctx) != ECAI_OK) abort();
  const char *faq = "[{\"id\":\"faq03\",\"question\":\"How do I track my order?\",\"answer\":\"Open My orders.\"},"
                    "{\"id\":\"faq04\",\"question\":\"What is your return policy?\",\"answer\":\"30 days.\"}]";
  if (ecai_kb_add_text(NULL, kb, "faq.json", faq, strlen(faq), ECAI_KB_FAQ_JSON) != ECAI_OK) abort();
  size_t added = 0;
  if (ecai_kb_add_examples_tsv(&added, kb, text, tlen) != ECAI_OK && n_examples(kb) != 0) abort();
  ecai_support *s = NULL;
  if (ecai_support_new(&s, ctx, kb) != ECAI_OK) abort();
  char *out = NULL;
  if (ecai_support_answer(&out, NULL, s, "where is my parcel? and can I return it?", NULL, NULL) != ECAI_OK) abort();
  (void)ecai_support_resolve(s, out, "faq03");
  ecai_free(out);
  ecai_support_free(s);
  ecai_kb_free(kb);
  if (z) { /* the rest as a KB file */
    const uint8_t *file = (const uint8_t *)z + 1;
    size_t flen = size - tlen - 1;
    open_kb(ctx, file, flen);
    uint8_t *d = fuzz_resealed(file, flen, "ECAIKBM\0");
    if (d) open_kb(ctx, d, flen);
    free(d);
  }
  return 0;
}
