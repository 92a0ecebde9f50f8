/* Fuzz target: the put annotations JSON (tags, products, ttl) that the cache parses and
 * that travels through Redis values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_internal.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstr(data, size);
  ecai__cmeta m;
  memset(&m, 0, sizeof m);
  if (ecai__cmeta_parse(&m, s) == ECAI_OK) {
    for (uint32_t i = 0; i < m.ntags; i++)
      if (!m.tags[i]) abort();
    for (uint32_t i = 0; i < m.nprods; i++)
      if (!m.prods[i].sku) abort();
  }
  ecai__cmeta_free(&m);
  free(s);
  return 0;
}
