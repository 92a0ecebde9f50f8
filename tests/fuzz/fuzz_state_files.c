/* Fuzz target: the readers of a saved store's files (catalog, embedder, index, keyword
 * index payloads after their checksummed header). Garbage must give a status, never a crash. */
#include <ecai.h>

#include "catalog/catalog_internal.h"
#include "index/index_internal.h"
#include "search/search_internal.h"

ecai_status ecai__embedder_read(ecai_embedder **out, ecai_ctx *ctx, const char *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ecai_ctx *ctx = NULL;
  if (ecai_ctx_new(&ctx, NULL, 0) != ECAI_OK) abort();
  const char *d = (const char *)data;
  ecai_catalog *cat = NULL;
  if (ecai__catalog_read(&cat, ctx, d, size) == ECAI_OK) ecai_catalog_free(cat);
  else if (cat) abort();
  ecai_embedder *emb = NULL;
  if (ecai__embedder_read(&emb, ctx, d, size) == ECAI_OK) ecai_embedder_free(emb);
  else if (emb) abort();
  ecai_index *idx = NULL;
  if (ecai__index_read(&idx, ctx, d, size) == ECAI_OK) ecai_index_free(idx);
  else if (idx) abort();
  if (ecai__index_read_flat(&idx, ctx, d, size) == ECAI_OK) ecai_index_free(idx);
  else if (idx) abort();
  ecai__bm25 *bm = NULL;
  if (ecai__bm25_read(&bm, d, size) == ECAI_OK) ecai__bm25_free(bm);
  else if (bm) abort();
  if (ecai__bm25_view(&bm, d, size) == ECAI_OK) ecai__bm25_free(bm);
  else if (bm) abort();
  ecai_ctx_free(ctx);
  return 0;
}
