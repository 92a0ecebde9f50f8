/* Fuzz target: the reader of a store folder's updates.journal (src/index/journal.c): header
 * checks, record framing, checksums. Garbage must be ignored or skipped, never a crash. The
 * header's bind field is accepted as the store's, so records are reached. */
#include <stdio.h>
#include <sys/stat.h>

#include <ecai.h>

#include "fuzz_util.h"
#include "index/journal.h"

static int seen(void *arg, const char *json, size_t len, const float *vec, uint32_t dim) {
  size_t *n = arg;
  volatile char c = len ? json[len - 1] : 0;
  volatile float f = dim ? vec[dim - 1] : 0;
  (void)c, (void)f;
  ++*n;
  return (int)(len & 1); /* some "cannot be applied" */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char dir[256], path[300], bind[17] = "0";
  const char *t = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/ecai_fuzz_%ld_journal", t && *t ? t : "/tmp", (long)getpid());
  snprintf(path, sizeof path, "%s/updates.journal", dir);
  mkdir(dir, 0755);
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
  if (size >= 24) {
    unsigned long long b = 0;
    for (int i = 7; i >= 0; i--) b = (b << 8) | data[16 + i];
    snprintf(bind, sizeof bind, "%016llx", b);
  }
  ecai_ctx *ctx = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0) != ECAI_OK) abort();
  ecai__journal j;
  if (ecai__journal_init(&j, ctx, dir, bind) != ECAI_OK) abort();
  size_t n = 0;
  (void)ecai__journal_pending(&j);
  ecai__journal_apply(&j, seen, &n);
  ecai__journal_apply(&j, seen, &n); /* nothing new: nothing applied twice */
  ecai__journal_close(&j);
  ecai_ctx_free(ctx);
  unlink(path);
  return 0;
}
