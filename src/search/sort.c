/* Sort keys of search results other than relevance: price, popularity, catalog order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "search/search_internal.h"

static const char *NAMES[] = {"relevance", "price_asc", "price_desc", "popularity", "newest"};

int ecai__sort_parse(const char *s) {
  for (int i = 0; s && i < (int)(sizeof NAMES / sizeof *NAMES); i++)
    if (!strcmp(s, NAMES[i])) return i;
  return -1;
}

const char *ecai__sort_name(int kind) { return NAMES[kind]; }

typedef struct skey { double key; size_t rank; int missing; } skey;

static int cmp_key(const void *a, const void *b) {
  const skey *x = a, *y = b;
  if (x->missing != y->missing) return x->missing - y->missing; /* unknown keys last */
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->rank < y->rank ? -1 : x->rank > y->rank;
}

ecai_status ecai__sort_order(int kind, const ecai_catalog *cat, const float *pop, size_t npop, const int64_t *ids,
                             size_t n, size_t *order) {
  skey *k = ecai__malloc((n ? n : 1) * sizeof *k);
  if (!k) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  for (size_t i = 0; i < n; i++) {
    const ecai__product *p = ecai__catalog_product(cat, ids[i]);
    double v = 0;
    int missing = 0;
    switch (kind) {
    case ECAI__SORT_PRICE_ASC:
    case ECAI__SORT_PRICE_DESC:
      missing = !p || !isfinite(p->price);
      v = missing ? 0 : kind == ECAI__SORT_PRICE_ASC ? p->price : -p->price;
      break;
    case ECAI__SORT_POPULARITY: v = ids[i] >= 0 && (size_t)ids[i] < npop ? -(double)pop[ids[i]] : 0; break;
    case ECAI__SORT_NEWEST: v = -(double)ids[i]; break;
    default: v = 0;
    }
    k[i] = (skey){v, i, missing};
  }
  qsort(k, n, sizeof *k, cmp_key);
  for (size_t i = 0; i < n; i++) order[i] = k[i].rank;
  ecai__free(k);
  return ECAI_OK;
}
