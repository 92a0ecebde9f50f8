/* Internal view of the catalog for the embedder, index and store. */
#ifndef ECAI_CATALOG_INTERNAL_H
#define ECAI_CATALOG_INTERNAL_H

#include "ecai/catalog.h"
#include "catalog/ser.h"
#include "core/internal.h"

typedef struct ecai__product {
  char *sku, *title, *desc, *cat, *brand, *currency, *attrs; /* attrs: JSON object text or NULL */
  double price;   /* NaN when unknown */
  int in_stock;   /* 1, 0, or -1 unknown */
  int alive;
  uint64_t hash;  /* XXH3 of the embeddable text */
} ecai__product;

/* Products of a catalog opened from the mapped layout point into the file's string pool
 * (read-only memory): never write into a product's strings, and release a replaced one
 * with ecai__catalog_drop_str (frees it unless it is the file's). */

/* NULL for ids out of range or removed. */
const ecai__product *ecai__catalog_product(const ecai_catalog *cat, int64_t id);
/* Number of id slots (max id + 1), including removed ones. */
size_t ecai__catalog_slots(const ecai_catalog *cat);
/* Writes the embeddable text into b (appends). */
void ecai__product_text(const ecai__product *p, ecai__buf *b);
/* Frees s unless it lies in the catalog's mapped string pool (NULL allowed). */
void ecai__catalog_drop_str(const ecai_catalog *cat, char *s);
/* Serialises into b (the mapped layout on little-endian hosts, else layout 1) / restores
 * from data (either layout; a mapped-layout payload is copied once, strings are not). */
void ecai__catalog_write(const ecai_catalog *cat, ecai__buf *b);
void ecai__catalog_write_v1(const ecai_catalog *cat, ecai__buf *b); /* layout 1 (tests, big-endian) */
ecai_status ecai__catalog_read(ecai_catalog **out, ecai_ctx *ctx, const char *data, size_t len);
/* As ecai__catalog_read over the payload of a mapped ECAICAT file (ecai__blob_map). Takes
 * *m in every case: a mapped-layout catalog keeps it until ecai_catalog_free, layout 1 is
 * parsed and unmapped. ECAI_ECORRUPT for a damaged structure (the caller names the file). */
ecai_status ecai__catalog_map(ecai_catalog **out, ecai_ctx *ctx, ecai__map *m);
ecai_ctx *ecai__catalog_ctx(const ecai_catalog *cat);

#endif
