/* Popularity of products from the shop's orders (ecai_search_set_popularity_csv): a sort
 * key and a small ranking feature (search.w_popularity). Orders come as the recommender's
 * CSV (src/recommend/io.c reads it: order, product, quantity, price, date columns; Online
 * Retail's InvoiceNo/StockCode layout, cancellations skipped) -- each order line counts
 * once -- or as "sku,count" lines under a "sku,count" header. Kept per catalog id and
 * saved beside search.bin as popularity.bin (container ECAIPOP\0: u64 n, n float32). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "recommend/reco.h"
#include "search/search_internal.h"

static const char POP_MAGIC[8] = {'E', 'C', 'A', 'I', 'P', 'O', 'P', 0};

typedef struct popc {
  const ecai_catalog *cat;
  float *pop;
  size_t n;
} popc;

static void count(popc *c, const char *sku, double v) {
  int64_t id = -1;
  if (ecai_catalog_id(&id, c->cat, sku) == ECAI_OK && id >= 0 && (size_t)id < c->n) c->pop[id] += (float)v;
  /* products no longer in the catalog: orders outlive products, not an error */
}

static ecai_status order_row(const reco_row *row, void *p) {
  count(p, row->product, 1.0);
  return ECAI_OK;
}

/* "sku,count" lines after the header. */
static ecai_status read_counts(gzFile g, const char *path, popc *c) {
  char line[4096];
  size_t no = 1;
  while (gzgets(g, line, sizeof line)) {
    no++;
    size_t l = strlen(line);
    if (l == sizeof line - 1 && line[l - 1] != '\n') return ecai__err(ECAI_EPARSE, "popularity: %s:%zu: line too long", path, no);
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
    if (!l) continue;
    char *comma = strrchr(line, ',');
    char *end = NULL;
    double v = comma ? strtod(comma + 1, &end) : NAN;
    if (!comma || comma == line || end == comma + 1 || *end || !isfinite(v) || v < 0)
      return ecai__err(ECAI_EPARSE, "popularity: %s:%zu: expected 'sku,count' with a count >= 0", path, no);
    *comma = 0;
    count(c, line, v);
  }
  return ECAI_OK;
}

ecai_status ecai__popularity_load(float **out, size_t *nout, size_t *matched, const ecai_catalog *cat,
                                  const char *path) {
  *out = NULL;
  *nout = *matched = 0;
  popc c = {cat, NULL, ecai__catalog_slots(cat)};
  c.pop = ecai__calloc(c.n ? c.n : 1, sizeof *c.pop);
  if (!c.pop) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  gzFile g = gzopen(path, "rb");
  if (!g) {
    ecai__free(c.pop);
    return ecai__err(ECAI_EIO, "popularity: cannot open '%s': %s", path, strerror(errno ? errno : ENOENT));
  }
  char head[256] = "";
  gzgets(g, head, sizeof head);
  size_t hl = strlen(head);
  while (hl && isspace((unsigned char)head[hl - 1])) head[--hl] = 0;
  ecai_status st;
  if (!strcasecmp(head, "sku,count") || !strcasecmp(head, "product_id,count")) {
    st = read_counts(g, path, &c);
    gzclose(g);
  } else {
    gzclose(g);
    st = ecai__reco_read_csv(path, order_row, &c);
  }
  if (st) {
    ecai__free(c.pop);
    return st;
  }
  for (size_t i = 0; i < c.n; i++) *matched += c.pop[i] > 0;
  *out = c.pop;
  *nout = c.n;
  return ECAI_OK;
}

ecai_status ecai__popularity_save(const float *pop, size_t n, const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/popularity.bin", dir);
  if (!pop) {
    if (remove(path) != 0 && errno != ENOENT) return ecai__err(ECAI_EIO, "search: cannot remove %s", path);
    return ECAI_OK;
  }
  ecai__buf b = {0};
  ecai__put_u64(&b, n);
  ecai__buf_append(&b, pop, n * sizeof *pop);
  ecai_status st = b.oom ? ecai__err(ECAI_ENOMEM, "search: out of memory") : ecai__blob_write(path, POP_MAGIC, b.data, b.len, NULL);
  ecai__buf_free(&b);
  return st;
}

ecai_status ecai__popularity_open(float **out, size_t *nout, size_t slots, const char *dir) {
  *out = NULL;
  *nout = 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/popularity.bin", dir);
  FILE *f = fopen(path, "rb");
  if (!f) return ECAI_OK;
  fclose(f);
  char *data = NULL;
  size_t len = 0;
  ecai_status st = ecai__blob_read(path, POP_MAGIC, &data, &len, NULL);
  if (st) return st;
  ecai__rd r = {data, len, 0, 0};
  uint64_t n = ecai__get_u64(&r);
  const void *v = !r.bad && n == slots && len - r.pos == n * sizeof(float) ? ecai__get_bytes(&r, n * sizeof(float)) : NULL;
  float *pop = v ? ecai__malloc((n ? n : 1) * sizeof *pop) : NULL;
  if (!v) st = ecai__err(ECAI_ECORRUPT, "search: %s does not match the catalog", path);
  else if (!pop) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  else {
    memcpy(pop, v, n * sizeof *pop);
    for (size_t i = 0; i < n; i++)
      if (!isfinite(pop[i]) || pop[i] < 0) st = ecai__err(ECAI_ECORRUPT, "search: %s: bad count", path);
  }
  ecai__free(data);
  if (st) {
    ecai__free(pop);
    return st;
  }
  *out = pop;
  *nout = n;
  return ECAI_OK;
}
