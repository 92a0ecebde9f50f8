/* Bounded best-k selection: a binary heap with the worst kept element at the root. */
#include <string.h>

#include "core/internal.h"

void ecai__topk_push(void *heap, size_t *n, size_t cap, size_t size, int (*cmp)(const void *, const void *),
                     const void *x) {
  char *h = heap;
#define AT(i) (h + (i) * size)
  if (!cap) return;
  if (*n < cap) { /* sift up: x passes every parent that ranks before it */
    size_t i = (*n)++;
    while (i && cmp(AT((i - 1) / 2), x) < 0) {
      memcpy(AT(i), AT((i - 1) / 2), size);
      i = (i - 1) / 2;
    }
    memcpy(AT(i), x, size);
    return;
  }
  if (cmp(x, AT(0)) >= 0) return; /* not better than the worst kept one */
  size_t i = 0;                    /* replace the root, sift down below worse children */
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, w = l;
    if (l >= *n) break;
    if (r < *n && cmp(AT(r), AT(l)) > 0) w = r;
    if (cmp(AT(w), x) <= 0) break;
    memcpy(AT(i), AT(w), size);
    i = w;
  }
  memcpy(AT(i), x, size);
#undef AT
}
