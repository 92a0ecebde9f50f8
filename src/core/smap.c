/* String -> size_t map (open addressing, XXH3, tombstones), shared by every module. */
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/internal.h"

static char TOMB; /* marks a deleted slot */
#define IS_TOMB(k) ((k) == &TOMB)

void ecai__smap_init_borrowed(ecai__smap *m) {
  memset(m, 0, sizeof *m);
  m->borrowed = true;
}

void ecai__smap_free(ecai__smap *m) {
  if (!m) return;
  if (!m->borrowed)
    for (size_t i = 0; i < m->cap; i++)
      if (m->keys[i] && !IS_TOMB(m->keys[i])) ecai__free(m->keys[i]);
  ecai__free(m->keys);
  ecai__free(m->lens);
  ecai__free(m->vals);
  bool b = m->borrowed;
  memset(m, 0, sizeof *m);
  m->borrowed = b;
}

/* The slot holding key, or (when absent) the slot where it would go: the first tombstone
 * on its probe path, else the empty slot ending it. */
static size_t slot_of(const ecai__smap *m, const char *key, size_t len, bool *hit) {
  size_t mask = m->cap - 1, i = (size_t)XXH3_64bits(key, len) & mask, tomb = SIZE_MAX;
  for (;;) {
    char *k = m->keys[i];
    if (!k) {
      *hit = false;
      return tomb != SIZE_MAX ? tomb : i;
    }
    if (IS_TOMB(k)) {
      if (tomb == SIZE_MAX) tomb = i;
    } else if (m->lens[i] == len && memcmp(k, key, len) == 0) {
      *hit = true;
      return i;
    }
    i = (i + 1) & mask;
  }
}

static bool rehash(ecai__smap *m, size_t ncap) {
  ecai__smap nm = {0};
  nm.keys = ecai__calloc(ncap, sizeof *nm.keys);
  nm.lens = ecai__calloc(ncap, sizeof *nm.lens);
  nm.vals = ecai__calloc(ncap, sizeof *nm.vals);
  if (!nm.keys || !nm.lens || !nm.vals) {
    ecai__free(nm.keys);
    ecai__free(nm.lens);
    ecai__free(nm.vals);
    return false;
  }
  nm.cap = ncap;
  nm.borrowed = m->borrowed;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i] || IS_TOMB(m->keys[i])) continue;
    bool hit;
    size_t j = slot_of(&nm, m->keys[i], m->lens[i], &hit);
    nm.keys[j] = m->keys[i];
    nm.lens[j] = m->lens[i];
    nm.vals[j] = m->vals[i];
  }
  nm.n = nm.used = m->n;
  ecai__free(m->keys);
  ecai__free(m->lens);
  ecai__free(m->vals);
  *m = nm;
  return true;
}

bool ecai__smap_reserve(ecai__smap *m, size_t extra) {
  if ((m->used + extra + 1) * 4 < m->cap * 3) return true;
  size_t ncap = 64;
  while ((m->n + extra + 1) * 4 >= ncap * 3) ncap *= 2;
  return rehash(m, ncap);
}

bool ecai__smap_get(const ecai__smap *m, const char *key, size_t len, size_t *val) {
  if (!m->cap) return false;
  bool hit;
  size_t i = slot_of(m, key, len, &hit);
  if (hit && val) *val = m->vals[i];
  return hit;
}

/* Stores key at slot i (absent before); false when the owned copy cannot be made. */
static bool store_new(ecai__smap *m, size_t i, const char *key, size_t len, size_t val) {
  char *k = m->borrowed ? (char *)key : ecai__strndup(key, len);
  if (!k) return false;
  if (!m->keys[i]) m->used++;
  m->keys[i] = k;
  m->lens[i] = len;
  m->vals[i] = val;
  m->n++;
  return true;
}

bool ecai__smap_put(ecai__smap *m, const char *key, size_t len, size_t *val_io, bool *found) {
  if (!ecai__smap_reserve(m, 1)) return false;
  bool hit;
  size_t i = slot_of(m, key, len, &hit);
  *found = hit;
  if (hit) {
    *val_io = m->vals[i];
    return true;
  }
  return store_new(m, i, key, len, *val_io);
}

bool ecai__smap_set(ecai__smap *m, const char *key, size_t len, size_t val) {
  if (!ecai__smap_reserve(m, 1)) return false;
  bool hit;
  size_t i = slot_of(m, key, len, &hit);
  if (!hit) return store_new(m, i, key, len, val);
  if (m->borrowed) m->keys[i] = (char *)key; /* the owner may have moved its copy */
  m->vals[i] = val;
  return true;
}

bool ecai__smap_del(ecai__smap *m, const char *key, size_t len) {
  if (!m->cap) return false;
  bool hit;
  size_t i = slot_of(m, key, len, &hit);
  if (!hit) return false;
  if (!m->borrowed) ecai__free(m->keys[i]);
  m->keys[i] = &TOMB;
  m->n--;
  return true;
}
