/* Internal view of the catalog for the embedder, index and store. */
#ifndef ECAI_CATALOG_INTERNAL_H
#define ECAI_CATALOG_INTERNAL_H

#include "ecai/catalog.h"
#include "core/internal.h"

typedef struct ecai__product {
  char *sku, *title, *desc, *cat, *brand, *currency, *attrs; /* attrs: JSON object text or NULL */
  double price;   /* NaN when unknown */
  int in_stock;   /* 1, 0, or -1 unknown */
  int alive;
  uint64_t hash;  /* XXH3 of the embeddable text */
} ecai__product;

/* NULL for ids out of range or removed. */
const ecai__product *ecai__catalog_product(const ecai_catalog *cat, int64_t id);
/* Number of id slots (max id + 1), including removed ones. */
size_t ecai__catalog_slots(const ecai_catalog *cat);
/* Writes the embeddable text into b (appends). */
void ecai__product_text(const ecai__product *p, ecai__buf *b);
/* Serialises into b / restores from r (used by the store file). */
void ecai__catalog_write(const ecai_catalog *cat, ecai__buf *b);
ecai_status ecai__catalog_read(ecai_catalog **out, ecai_ctx *ctx, const char *data, size_t len);
ecai_ctx *ecai__catalog_ctx(const ecai_catalog *cat);

#endif
