/* Fuzz target: the readers of a saved store's files (catalog in both layouts, embedder,
 * index, keyword index payloads after their checksummed header). Garbage must give a
 * status, never a crash. */
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
  if (ecai__catalog_read(&cat, ctx, d, size) == ECAI_OK) {
    /* what opened is read only inside the payload (the mapped layout's strings point into it) */
    for (int64_t id = -1; ecai_catalog_next(&id, cat, id) == ECAI_OK;) {
      char *js = NULL;
      int64_t back = -1;
      const char *sku = ecai_catalog_sku(cat, id);
      if (!sku) abort();
      if (ecai_catalog_get_json(&js, NULL, cat, sku) == ECAI_OK) ecai_free(js);
      (void)ecai_catalog_id(&back, cat, sku);
      if (ecai_catalog_text(&js, NULL, cat, id) == ECAI_OK) ecai_free(js);
    }
    ecai_catalog_free(cat);
  } else if (cat) {
    abort();
  }
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
