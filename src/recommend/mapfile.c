/*
 * ecai_recommend: the model file laid out for mapping (format version 3, container
 * `ECAIRCM\0` of catalog/ser.h). Every big array of the model (co-occurrence tables, EASE
 * weights, content vectors, order lines, id maps, the string pool) is a
 * little-endian section at a 64-byte aligned file offset; ecai_recommend_load maps the
 * file read-only and points the model into it. Per process only the arrays of small
 * structs holding those pointers are built (items, orders, customers: O(n), no hashing,
 * no parsing) and, once per file per process, the structure is checked (every index in
 * range, every table with an empty slot), so a damaged or hand-made file is
 * ECAI_ECORRUPT, never an out-of-range read.
 *
 * A mapped model is read-only: every call that changes it first calls ecai__reco_own,
 * which copies the whole model into private memory and drops the mapping (copy on the
 * first write; the title embedder is fitted again then, as loading a version 2 file did).
 *
 * Payload (file offset 32): rm_head (counts, flags, the section table: offset and byte
 * length of each section below), then the sections:
 *   pool      NUL-terminated strings; a string is its offset, UINT64_MAX = none
 *   items     n_items x rm_item (id, title, category, price sum and count, orders, last ts)
 *   nbr       n_items x rm_nbr: the item's co-occurrence table, `cap` slots from `start`
 *             of nkeys / nvals (open addressing as in recommend.c, load <= 3/4)
 *   nkeys     u32 key (item + 1, 0 = empty); nvals f32 count
 *   iord0     (n_items + 1) x u64 start, iord u32 order: the orders holding each item
 *   orders    n_orders x rm_order (id, customer, ts); oitems0 / oitems: their items
 *   custs     n_custs x u64 id; cord0 / cord: their orders
 *   imap, omap, cmap   the id maps' slots (index + 1, 0 = empty; XXH3 of the id)
 *   eitems    ease_n u32 item of each EASE row; epos ease_pos_n i32 row of each item or
 *             -1; ease ease_n x ease_n f32 (row = cart item, column = candidate)
 *   chas      n_items u8, cvec n_items x cdim f32: content vectors (absent with flag 2)
 * What is derived from the orders at fit and load (the sales trend, ecai__reco_trend_update)
 * is computed at load in private memory, as for the earlier formats (a loop over the order
 * lines, no hashing of the co-occurrence).
 */
#include <pthread.h>
#include <string.h>

#include "catalog/ser.h"
#include "recommend/reco.h"

#define RM_MAGIC "ECAIRCM" /* with its NUL: 8 bytes */
#define RM_VERSION 3u
#define RM_ALIGN 64

enum {
  S_POOL, S_ITEMS, S_NBR, S_NKEYS, S_NVALS, S_IORD0, S_IORD, S_ORDERS, S_OITEMS0, S_OITEMS, S_CUSTS, S_CORD0,
  S_CORD, S_IMAP, S_OMAP, S_CMAP, S_EITEMS, S_EPOS, S_EASE, S_CHAS, S_CVEC, S_N
};

enum { F_TEXT_FITTED = 1, F_NO_VECTORS = 2, F_EASE_STALE = 4, F_ALL = 7 };

typedef struct {
  uint64_t id, title, cat;
  double price_sum;
  uint32_t price_n, orders;
  int64_t last_ts;
} rm_item;
typedef struct {
  uint64_t start;
  uint32_t cap, len;
} rm_nbr;
typedef struct {
  uint64_t id, customer;
  int64_t ts;
} rm_order;
typedef struct {
  uint32_t version, flags, content_kind, nsec;
  uint64_t n_items, n_orders, n_custs, n_pairs, ease_n, ease_pos_n, cdim, imap_cap, omap_cap, cmap_cap, nbr_slots,
      pool_len, n_iord, n_oitems, n_cord;
  double ease_lambda;
  uint64_t title_cfg; /* XXH3 of the title embedder's configuration (the vectors' maker) */
  struct {
    uint64_t off, len;
  } sec[S_N];
} rm_head;

_Static_assert(sizeof(rm_item) == 48 && sizeof(rm_nbr) == 16 && sizeof(rm_order) == 24, "packed records");

/* The mapping a model points into. */
struct reco_mapping {
  ecai__map map;
};

int ecai__reco_save_version = 3;

bool ecai__reco_is_mapped(const ecai_recommend *r) { return r->mapping != NULL; }

static bool little_endian(void) { return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__; }

/* XXH3 of the title embedder's effective configuration: stored vectors are used only by a
   model whose title embedder is configured the same. */
static ecai_status title_cfg(const ecai_recommend *r, uint64_t *out) { return ecai__cfg_hash(r->ectx, 0, out); }

/* ---- writing ---------------------------------------------------------------------------- */

static size_t nbr_cap_for(uint32_t len) { /* smallest power of two holding len at load <= 3/4 */
  if (!len) return 0;
  size_t cap = 2;
  while ((size_t)len * 4 > cap * 3) cap *= 2;
  return cap;
}

static uint64_t pool_put(char *pool, uint64_t *at, const char *s) {
  if (!s) return UINT64_MAX;
  size_t n = strlen(s) + 1;
  uint64_t off = *at;
  memcpy(pool + off, s, n);
  *at += n;
  return off;
}

static size_t str_bytes(const char *s) { return s ? strlen(s) + 1 : 0; }

static void copy(void *dst, const void *src, size_t n) { /* an empty list may have no array */
  if (n) memcpy(dst, src, n);
}

ecai_status ecai__reco_save_mapped(const ecai_recommend *r, const char *path) {
  if (!little_endian()) return ecai__err(ECAI_EUNSUPPORTED, "recommend: the mapped model format needs a little-endian host");
  rm_head h;
  memset(&h, 0, sizeof h);
  h.version = RM_VERSION;
  h.nsec = S_N;
  bool vectors = r->content_kind != RECO_CONTENT_FN && r->chas;
  h.content_kind = r->content_kind == RECO_CONTENT_MATRIX ? 1 : 0;
  h.flags = (ecai__reco_text_fitted(r) ? F_TEXT_FITTED : 0) | (vectors ? 0 : F_NO_VECTORS) |
            (r->ease_stale ? F_EASE_STALE : 0);
  h.n_items = r->n_items;
  h.n_orders = r->n_orders;
  h.n_custs = r->n_custs;
  h.n_pairs = r->n_pairs;
  h.ease_n = r->ease_n;
  h.ease_pos_n = r->ease_n ? r->ease_pos_n : 0;
  h.cdim = vectors ? r->cdim : 0;
  h.imap_cap = r->imap.cap;
  h.omap_cap = r->omap.cap;
  h.cmap_cap = r->cmap.cap;
  h.ease_lambda = r->ease_fit_lambda;
  ecai_status st = title_cfg(r, &h.title_cfg);
  if (st) return st;
  for (size_t i = 0; i < r->n_items; i++) {
    const reco_item *it = &r->items[i];
    h.pool_len += str_bytes(it->id) + str_bytes(it->title) + str_bytes(it->category);
    h.nbr_slots += nbr_cap_for(r->nbr[i].len);
    h.n_iord += r->iord[i].n;
  }
  for (size_t i = 0; i < r->n_orders; i++) {
    h.pool_len += str_bytes(r->orders[i].id) + str_bytes(r->orders[i].customer);
    h.n_oitems += r->orders[i].n;
  }
  for (size_t i = 0; i < r->n_custs; i++) {
    h.pool_len += str_bytes(r->custs[i].id);
    h.n_cord += r->custs[i].n;
  }
  const uint64_t ni = h.n_items, no = h.n_orders, nc = h.n_custs;
  const uint64_t len[S_N] = {
      [S_POOL] = h.pool_len, [S_ITEMS] = ni * sizeof(rm_item), [S_NBR] = ni * sizeof(rm_nbr),
      [S_NKEYS] = h.nbr_slots * 4, [S_NVALS] = h.nbr_slots * 4, [S_IORD0] = (ni + 1) * 8, [S_IORD] = h.n_iord * 4,
      [S_ORDERS] = no * sizeof(rm_order), [S_OITEMS0] = (no + 1) * 8, [S_OITEMS] = h.n_oitems * 4,
      [S_CUSTS] = nc * 8, [S_CORD0] = (nc + 1) * 8, [S_CORD] = h.n_cord * 4, [S_IMAP] = h.imap_cap * 4,
      [S_OMAP] = h.omap_cap * 4, [S_CMAP] = h.cmap_cap * 4, [S_EITEMS] = h.ease_n * 4,
      [S_EPOS] = h.ease_pos_n * 4, [S_EASE] = h.ease_n * h.ease_n * 4, [S_CHAS] = vectors ? ni : 0,
      [S_CVEC] = vectors ? ni * h.cdim * 4 : 0};
  uint64_t off = 32 + sizeof h;
  for (int s = 0; s < S_N; s++) {
    off = (off + RM_ALIGN - 1) / RM_ALIGN * RM_ALIGN;
    h.sec[s].off = off;
    h.sec[s].len = len[s];
    off += len[s];
  }
  if (off > SIZE_MAX / 2) return ecai__err(ECAI_ENOMEM, "recommend: save: model too large");
  char *f = ecai__calloc(1, (size_t)off);
  if (!f) return ecai__err(ECAI_ENOMEM, "recommend: save: out of memory (%llu bytes)", (unsigned long long)off);
#define SEC(s, T) ((T *)(f + h.sec[s].off))
  char *pool = SEC(S_POOL, char);
  uint64_t at = 0;
  rm_item *items = SEC(S_ITEMS, rm_item);
  rm_nbr *nbr = SEC(S_NBR, rm_nbr);
  uint32_t *nkeys = SEC(S_NKEYS, uint32_t);
  float *nvals = SEC(S_NVALS, float);
  uint64_t *iord0 = SEC(S_IORD0, uint64_t), slot = 0, k = 0;
  uint32_t *iord = SEC(S_IORD, uint32_t);
  for (size_t i = 0; i < r->n_items; i++) {
    const reco_item *it = &r->items[i];
    items[i] = (rm_item){pool_put(pool, &at, it->id), pool_put(pool, &at, it->title), pool_put(pool, &at, it->category),
                         it->price_sum, it->price_n, it->orders, it->last_ts};
    /* the item's co-occurrence table rehashed to load <= 3/4 (sums per item do not depend
       on the slot order) */
    const reco_nbr *b = &r->nbr[i];
    size_t cap = nbr_cap_for(b->len);
    nbr[i] = (rm_nbr){slot, (uint32_t)cap, b->len};
    for (uint32_t j = 0; j < b->cap; j++) {
      uint32_t key = b->keys[j];
      if (!key) continue;
      size_t p = (key * 2654435761u) & (cap - 1);
      while (nkeys[slot + p]) p = (p + 1) & (cap - 1);
      nkeys[slot + p] = key;
      nvals[slot + p] = b->vals[j];
    }
    slot += cap;
    iord0[i] = k;
    copy(iord + k, r->iord[i].o, (size_t)r->iord[i].n * 4);
    k += r->iord[i].n;
  }
  iord0[r->n_items] = k;
  rm_order *orders = SEC(S_ORDERS, rm_order);
  uint64_t *oitems0 = SEC(S_OITEMS0, uint64_t);
  uint32_t *oitems = SEC(S_OITEMS, uint32_t);
  k = 0;
  for (size_t i = 0; i < r->n_orders; i++) {
    const reco_order *o = &r->orders[i];
    orders[i] = (rm_order){pool_put(pool, &at, o->id), pool_put(pool, &at, o->customer), o->ts};
    oitems0[i] = k;
    copy(oitems + k, o->items, (size_t)o->n * 4);
    k += o->n;
  }
  oitems0[r->n_orders] = k;
  uint64_t *custs = SEC(S_CUSTS, uint64_t), *cord0 = SEC(S_CORD0, uint64_t);
  uint32_t *cord = SEC(S_CORD, uint32_t);
  k = 0;
  for (size_t i = 0; i < r->n_custs; i++) {
    custs[i] = pool_put(pool, &at, r->custs[i].id);
    cord0[i] = k;
    copy(cord + k, r->custs[i].orders, (size_t)r->custs[i].n * 4);
    k += r->custs[i].n;
  }
  cord0[r->n_custs] = k;
  if (h.imap_cap) memcpy(SEC(S_IMAP, char), r->imap.slots, h.imap_cap * 4);
  if (h.omap_cap) memcpy(SEC(S_OMAP, char), r->omap.slots, h.omap_cap * 4);
  if (h.cmap_cap) memcpy(SEC(S_CMAP, char), r->cmap.slots, h.cmap_cap * 4);
  if (h.ease_n) {
    memcpy(SEC(S_EITEMS, char), r->ease_items, h.ease_n * 4);
    memcpy(SEC(S_EPOS, char), r->ease_pos, h.ease_pos_n * 4);
    memcpy(SEC(S_EASE, char), r->ease_b, h.ease_n * h.ease_n * 4);
  }
  if (vectors && ni) {
    memcpy(SEC(S_CHAS, char), r->chas, ni);
    memcpy(SEC(S_CVEC, char), r->cvec, ni * h.cdim * 4);
  }
#undef SEC
  memcpy(f + 32, &h, sizeof h);
  st = ecai__blob_write2(path, RM_MAGIC, f, (size_t)off, NULL, 0, NULL);
  ecai__free(f);
  return st ? ecai__err_prefix(st, "recommend") : ECAI_OK;
}

/* ---- checking --------------------------------------------------------------------------- */

static ecai_status bad(const char *path, const char *what) {
  return ecai__err(ECAI_ECORRUPT, "recommend: '%s' is not a valid model file (%s)", path, what);
}

static bool mul_ok(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_mul_overflow(a, b, out); }

/* Section sizes implied by the counts, each checked against the table. */
static ecai_status check_sections(const rm_head *h, size_t file_len, const char *path) {
  uint64_t ni = h->n_items, no = h->n_orders, nc = h->n_custs, e2 = 0, vec = 0;
  if (!mul_ok(h->ease_n, h->ease_n, &e2) || !mul_ok(e2, 4, &e2) || !mul_ok(ni, h->cdim, &vec) || !mul_ok(vec, 4, &vec))
    return bad(path, "sizes");
  bool vectors = !(h->flags & F_NO_VECTORS);
  const uint64_t want[S_N] = {
      [S_POOL] = h->pool_len, [S_ITEMS] = ni * sizeof(rm_item), [S_NBR] = ni * sizeof(rm_nbr),
      [S_NKEYS] = h->nbr_slots * 4, [S_NVALS] = h->nbr_slots * 4, [S_IORD0] = (ni + 1) * 8, [S_IORD] = h->n_iord * 4,
      [S_ORDERS] = no * sizeof(rm_order), [S_OITEMS0] = (no + 1) * 8, [S_OITEMS] = h->n_oitems * 4,
      [S_CUSTS] = nc * 8, [S_CORD0] = (nc + 1) * 8, [S_CORD] = h->n_cord * 4, [S_IMAP] = h->imap_cap * 4,
      [S_OMAP] = h->omap_cap * 4, [S_CMAP] = h->cmap_cap * 4, [S_EITEMS] = h->ease_n * 4,
      [S_EPOS] = h->ease_pos_n * 4, [S_EASE] = e2, [S_CHAS] = vectors ? ni : 0, [S_CVEC] = vectors ? vec : 0};
  for (int s = 0; s < S_N; s++) {
    uint64_t off = h->sec[s].off, len = h->sec[s].len;
    if (len != want[s] || off % 8 || off < 32 + sizeof *h || off > file_len || len > file_len - off)
      return bad(path, "section table");
  }
  return ECAI_OK;
}

static bool str_ok(const rm_head *h, uint64_t off, bool may_be_none) {
  return off == UINT64_MAX ? may_be_none : off < h->pool_len;
}

/* CSR starts: from 0, never decreasing, ending at total; every value below `below`. */
static bool csr_ok(const uint64_t *start, uint64_t n, const uint32_t *val, uint64_t total, uint64_t below) {
  if (start[0] != 0 || start[n] != total) return false;
  for (uint64_t i = 0; i < n; i++)
    if (start[i + 1] < start[i]) return false;
  uint32_t mx = 0;
  for (uint64_t i = 0; i < total; i++) mx = val[i] > mx ? val[i] : mx;
  return !total || mx < below;
}

/* An id map: a power-of-two table of item + 1 with at least one empty slot. */
static bool smap_ok(const uint32_t *slots, uint64_t cap, uint64_t n) {
  if (!cap) return n == 0;
  if (cap & (cap - 1) || cap > UINT32_MAX) return false;
  uint64_t empty = 0;
  for (uint64_t i = 0; i < cap; i++) {
    if (slots[i] > n) return false;
    empty += !slots[i];
  }
  return empty > 0;
}

static ecai_status check_structure(const rm_head *h, const char *b, const char *path) {
#define SEC(s, T) ((const T *)(b + h->sec[s].off))
  if (h->pool_len && b[h->sec[S_POOL].off + h->pool_len - 1] != '\0') return bad(path, "string pool");
  const rm_item *items = SEC(S_ITEMS, rm_item);
  for (uint64_t i = 0; i < h->n_items; i++)
    if (!str_ok(h, items[i].id, false) || !str_ok(h, items[i].title, true) || !str_ok(h, items[i].cat, true))
      return bad(path, "item strings");
  const rm_order *orders = SEC(S_ORDERS, rm_order);
  for (uint64_t i = 0; i < h->n_orders; i++)
    if (!str_ok(h, orders[i].id, false) || !str_ok(h, orders[i].customer, true)) return bad(path, "order strings");
  const uint64_t *custs = SEC(S_CUSTS, uint64_t);
  for (uint64_t i = 0; i < h->n_custs; i++)
    if (!str_ok(h, custs[i], false)) return bad(path, "customer strings");
  const rm_nbr *nbr = SEC(S_NBR, rm_nbr);
  const uint32_t *nkeys = SEC(S_NKEYS, uint32_t);
  for (uint64_t i = 0; i < h->n_items; i++) {
    uint64_t cap = nbr[i].cap, used = 0;
    if (cap & (cap - 1) || nbr[i].start > h->nbr_slots || cap > h->nbr_slots - nbr[i].start ||
        (cap ? nbr[i].len >= cap : nbr[i].len != 0))
      return bad(path, "co-occurrence table");
    const uint32_t *k = nkeys + nbr[i].start;
    uint32_t mx = 0;
    for (uint64_t j = 0; j < cap; j++) {
      used += k[j] != 0;
      mx = k[j] > mx ? k[j] : mx;
    }
    if (used != nbr[i].len || mx > h->n_items) return bad(path, "co-occurrence keys");
  }
  if (!csr_ok(SEC(S_IORD0, uint64_t), h->n_items, SEC(S_IORD, uint32_t), h->n_iord, h->n_orders))
    return bad(path, "orders of the items");
  if (!csr_ok(SEC(S_OITEMS0, uint64_t), h->n_orders, SEC(S_OITEMS, uint32_t), h->n_oitems, h->n_items))
    return bad(path, "order lines");
  if (!csr_ok(SEC(S_CORD0, uint64_t), h->n_custs, SEC(S_CORD, uint32_t), h->n_cord, h->n_orders))
    return bad(path, "orders of the customers");
  const uint64_t *s0[3] = {SEC(S_IORD0, uint64_t), SEC(S_OITEMS0, uint64_t), SEC(S_CORD0, uint64_t)};
  const uint64_t sn[3] = {h->n_items, h->n_orders, h->n_custs};
  for (int t = 0; t < 3; t++) /* each list's length is a u32 in memory */
    for (uint64_t i = 0; i < sn[t]; i++)
      if (s0[t][i + 1] - s0[t][i] >= UINT32_MAX) return bad(path, "list length");
  if (!smap_ok(SEC(S_IMAP, uint32_t), h->imap_cap, h->n_items) ||
      !smap_ok(SEC(S_OMAP, uint32_t), h->omap_cap, h->n_orders) ||
      !smap_ok(SEC(S_CMAP, uint32_t), h->cmap_cap, h->n_custs))
    return bad(path, "id map");
  const uint32_t *eitems = SEC(S_EITEMS, uint32_t);
  const int32_t *epos = SEC(S_EPOS, int32_t);
  for (uint64_t i = 0; i < h->ease_n; i++)
    if (eitems[i] >= h->n_items) return bad(path, "EASE items");
  for (uint64_t i = 0; i < h->ease_pos_n; i++)
    if (epos[i] < -1 || epos[i] >= (int64_t)h->ease_n) return bad(path, "EASE rows");
#undef SEC
  return ECAI_OK;
}

static ecai_status check_head(const rm_head *h, size_t file_len, const char *path) {
  if (h->version != RM_VERSION)
    return ecai__err(ECAI_ECORRUPT, "recommend: '%s' has mapped layout version %u, this library reads %u", path,
                     h->version, RM_VERSION);
  if (h->nsec != S_N || h->flags & ~(uint32_t)F_ALL || h->content_kind > 1) return bad(path, "header");
  if (h->n_items >= UINT32_MAX || h->n_orders >= UINT32_MAX || h->n_custs >= UINT32_MAX ||
      h->ease_n > h->n_items || h->ease_pos_n > h->n_items || (h->ease_n && !h->ease_pos_n) ||
      (!(h->flags & F_NO_VECTORS) && (!h->cdim || h->cdim > 65536)) || ((h->flags & F_NO_VECTORS) && h->cdim) ||
      h->nbr_slots > file_len || h->n_iord > file_len || h->n_oitems > file_len || h->n_cord > file_len ||
      h->imap_cap > file_len || h->omap_cap > file_len || h->cmap_cap > file_len || h->pool_len > file_len)
    return bad(path, "counts");
  return check_sections(h, file_len, path);
}

/* Files whose structure was checked in this process, by checksum and length: the content
   a checksum names was verified by ecai__blob_map, so its structure needs no new check. */
static struct {
  uint64_t sum, len;
} checked[16];
static unsigned nchecked;
static pthread_mutex_t checked_mu = PTHREAD_MUTEX_INITIALIZER;

static bool was_checked(uint64_t sum, uint64_t len) {
  bool hit = false;
  pthread_mutex_lock(&checked_mu);
  for (unsigned i = 0; i < 16 && !hit; i++) hit = checked[i].len == len && checked[i].sum == sum;
  pthread_mutex_unlock(&checked_mu);
  return hit;
}
static void remember_checked(uint64_t sum, uint64_t len) {
  pthread_mutex_lock(&checked_mu);
  checked[nchecked++ % 16].sum = sum;
  checked[(nchecked - 1) % 16].len = len;
  pthread_mutex_unlock(&checked_mu);
}

/* ---- loading ---------------------------------------------------------------------------- */

/* Points r into the mapping: builds the per-process arrays of small structs. */
static ecai_status attach(ecai_recommend *r, const rm_head *h, const char *b) {
#define SEC(s, T) ((T *)(b + h->sec[s].off))
  size_t ni = h->n_items, no = h->n_orders, nc = h->n_custs;
  char *pool = SEC(S_POOL, char);
#define STR(o) ((o) == UINT64_MAX ? NULL : pool + (o))
  r->items = ecai__malloc((ni ? ni : 1) * sizeof *r->items);
  r->nbr = ecai__malloc((ni ? ni : 1) * sizeof *r->nbr);
  r->iord = ecai__malloc((ni ? ni : 1) * sizeof *r->iord);
  r->orders = ecai__malloc((no ? no : 1) * sizeof *r->orders);
  r->custs = ecai__malloc((nc ? nc : 1) * sizeof *r->custs);
  if (!r->items || !r->nbr || !r->iord || !r->orders || !r->custs)
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory loading the model");
  const rm_item *items = SEC(S_ITEMS, const rm_item);
  const rm_nbr *nbr = SEC(S_NBR, const rm_nbr);
  uint32_t *nkeys = SEC(S_NKEYS, uint32_t), *iord = SEC(S_IORD, uint32_t);
  float *nvals = SEC(S_NVALS, float);
  const uint64_t *iord0 = SEC(S_IORD0, const uint64_t);
  for (size_t i = 0; i < ni; i++) {
    const rm_item *m = &items[i];
    r->items[i] = (reco_item){STR(m->id), STR(m->title), STR(m->cat), m->price_sum, m->price_n, m->orders, m->last_ts};
    r->nbr[i] = (reco_nbr){nkeys + nbr[i].start, nvals + nbr[i].start, nbr[i].cap, nbr[i].len};
    uint32_t n = (uint32_t)(iord0[i + 1] - iord0[i]);
    r->iord[i] = (reco_plist){iord + iord0[i], n, n};
  }
  const rm_order *orders = SEC(S_ORDERS, const rm_order);
  const uint64_t *oitems0 = SEC(S_OITEMS0, const uint64_t);
  uint32_t *oitems = SEC(S_OITEMS, uint32_t);
  for (size_t i = 0; i < no; i++) {
    uint32_t n = (uint32_t)(oitems0[i + 1] - oitems0[i]);
    r->orders[i] = (reco_order){STR(orders[i].id), STR(orders[i].customer), orders[i].ts, oitems + oitems0[i], n, n};
  }
  const uint64_t *custs = SEC(S_CUSTS, const uint64_t), *cord0 = SEC(S_CORD0, const uint64_t);
  uint32_t *cord = SEC(S_CORD, uint32_t);
  for (size_t i = 0; i < nc; i++) {
    uint32_t n = (uint32_t)(cord0[i + 1] - cord0[i]);
    r->custs[i] = (reco_cust){STR(custs[i]), cord + cord0[i], n, n};
  }
#undef STR
  r->n_items = r->cap_items = ni;
  r->n_orders = r->cap_orders = no;
  r->n_custs = r->cap_custs = nc;
  r->n_pairs = h->n_pairs;
  r->imap = (reco_smap){SEC(S_IMAP, uint32_t), h->imap_cap, ni};
  r->omap = (reco_smap){SEC(S_OMAP, uint32_t), h->omap_cap, no};
  r->cmap = (reco_smap){SEC(S_CMAP, uint32_t), h->cmap_cap, nc};
  if (h->ease_n) {
    r->ease_items = SEC(S_EITEMS, uint32_t);
    r->ease_pos = SEC(S_EPOS, int32_t);
    r->ease_b = SEC(S_EASE, float);
  }
  r->ease_n = h->ease_n;
  r->ease_pos_n = h->ease_pos_n;
  r->ease_fit_lambda = h->ease_lambda;
  r->ease_stale = (h->flags & F_EASE_STALE) != 0;
  r->content_kind = h->content_kind ? RECO_CONTENT_MATRIX : RECO_CONTENT_TEXT;
  r->text_fitted = (h->flags & F_TEXT_FITTED) != 0;
  if (!(h->flags & F_NO_VECTORS)) {
    r->cdim = h->cdim;
    r->chas = SEC(S_CHAS, uint8_t);
    r->cvec = SEC(S_CVEC, float);
  }
#undef SEC
  return ECAI_OK;
}

ecai_status ecai__reco_load_mapped(ecai_recommend **out, const ecai_ctx *ctx, const char *path) {
  if (!little_endian()) return ecai__err(ECAI_EUNSUPPORTED, "recommend: '%s': the mapped model format needs a little-endian host", path);
  ecai__map m;
  uint64_t sum = 0;
  ecai_status st = ecai__blob_map(path, RM_MAGIC, &m, &sum);
  if (st == ECAI_ECORRUPT) return ecai__err_prefix(st, "recommend: '%s' is not a valid model file", path);
  if (st) return ecai__err_prefix(st, "recommend: load");
  const rm_head *h = (const rm_head *)(m.base + 32);
  if (m.len < 32 + sizeof *h) st = bad(path, "truncated header");
  else if (!(st = check_head(h, m.len, path)) && !was_checked(sum, m.len)) {
    st = check_structure(h, m.base, path);
    if (!st) remember_checked(sum, m.len);
  }
  ecai_recommend *r = NULL;
  if (!st) st = ecai_recommend_new(&r, ctx);
  if (st) {
    ecai__blob_unmap(&m);
    return st;
  }
  uint64_t cfg = 0;
  bool remake = (h->flags & F_NO_VECTORS) ||
                (h->content_kind == 0 && (title_cfg(r, &cfg) || cfg != h->title_cfg || h->cdim != r->cdim));
  r->mapping = ecai__calloc(1, sizeof *r->mapping);
  if (!r->mapping) {
    ecai__blob_unmap(&m);
    ecai_recommend_free(r);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  }
  r->mapping->map = m;
  st = attach(r, h, m.base);
  if (!st && remake) {
    /* vectors from a callback (not saved) or a title embedder configured differently:
       the titles are embedded again in private memory, as a version 2 file was loaded */
    r->chas = NULL, r->cvec = NULL;
    r->cdim = ecai_embedder_dim(r->emb);
    st = ecai__reco_own(r);
    if (!st && !r->text_fitted) st = ecai_recommend_set_content_fn(r, 0, NULL, NULL);
  }
  if (!st) st = ecai__reco_cindex_build(r);
  if (!st) st = ecai__reco_trend_update(r); /* derived, in private memory (as version 2 loads) */
  if (st) {
    ecai_recommend_free(r);
    return st;
  }
  *out = r;
  return ECAI_OK;
}

/* ---- copy on the first write ------------------------------------------------------------ */

void ecai__reco_unmap(ecai_recommend *r) {
  if (!r->mapping) return;
  ecai__free(r->items);
  ecai__free(r->nbr);
  ecai__free(r->iord);
  ecai__free(r->orders);
  ecai__free(r->custs);
  r->items = NULL, r->nbr = NULL, r->iord = NULL, r->orders = NULL, r->custs = NULL;
  r->n_items = r->cap_items = r->n_orders = r->cap_orders = r->n_custs = r->cap_custs = 0;
  r->imap = r->omap = r->cmap = (reco_smap){0};
  r->ease_items = NULL, r->ease_pos = NULL, r->ease_b = NULL;
  r->ease_n = r->ease_pos_n = 0;
  r->cvec = NULL, r->chas = NULL;
  ecai__blob_unmap(&r->mapping->map);
  ecai__free(r->mapping);
  r->mapping = NULL;
}

static void *dup_mem(const void *p, size_t n, bool *oom) {
  if (!n) return NULL;
  void *d = ecai__malloc(n);
  if (!d) *oom = true;
  else memcpy(d, p, n);
  return d;
}
static char *dup_str(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = ecai__strdup(s);
  if (!d) *oom = true;
  return d;
}

/* The private copy of a mapped model's arrays, in c (freed with ecai_recommend_free on failure). */
static bool copy_model(ecai_recommend *c, const ecai_recommend *r) {
  bool oom = false;
  size_t ni = r->n_items, cap = ni ? ni : 1;
  c->items = ecai__malloc(cap * sizeof *c->items);
  c->nbr = ecai__malloc(cap * sizeof *c->nbr);
  c->iord = ecai__malloc(cap * sizeof *c->iord);
  c->cvec = ecai__calloc(cap * (r->cdim ? r->cdim : 1), sizeof *c->cvec);
  c->chas = ecai__calloc(cap, 1);
  c->orders = ecai__malloc((r->n_orders ? r->n_orders : 1) * sizeof *c->orders);
  c->custs = ecai__malloc((r->n_custs ? r->n_custs : 1) * sizeof *c->custs);
  if (!c->items || !c->nbr || !c->iord || !c->cvec || !c->chas || !c->orders || !c->custs) return false;
  c->cap_items = ni;
  for (size_t i = 0; i < ni && !oom; i++) {
    const reco_item *it = &r->items[i];
    c->items[i] = *it;
    c->items[i].id = c->items[i].title = c->items[i].category = NULL;
    memset(&c->nbr[i], 0, sizeof c->nbr[i]);
    memset(&c->iord[i], 0, sizeof c->iord[i]);
    c->n_items = i + 1; /* freed from here on */
    c->items[i].id = dup_str(it->id, &oom);
    c->items[i].title = dup_str(it->title, &oom);
    c->items[i].category = dup_str(it->category, &oom);
    const reco_nbr *b = &r->nbr[i];
    c->nbr[i] = (reco_nbr){dup_mem(b->keys, (size_t)b->cap * 4, &oom), dup_mem(b->vals, (size_t)b->cap * 4, &oom),
                           b->cap, b->len};
    c->iord[i] = (reco_plist){dup_mem(r->iord[i].o, (size_t)r->iord[i].n * 4, &oom), r->iord[i].n, r->iord[i].n};
  }
  for (size_t i = 0; i < r->n_orders && !oom; i++) {
    const reco_order *o = &r->orders[i];
    c->orders[i] = (reco_order){NULL, NULL, o->ts, NULL, o->n, o->n};
    c->n_orders = c->cap_orders = i + 1;
    c->orders[i].id = dup_str(o->id, &oom);
    c->orders[i].customer = dup_str(o->customer, &oom);
    c->orders[i].items = dup_mem(o->items, (size_t)o->n * 4, &oom);
  }
  for (size_t i = 0; i < r->n_custs && !oom; i++) {
    const reco_cust *u = &r->custs[i];
    c->custs[i] = (reco_cust){NULL, NULL, u->n, u->n};
    c->n_custs = c->cap_custs = i + 1;
    c->custs[i].id = dup_str(u->id, &oom);
    c->custs[i].orders = dup_mem(u->orders, (size_t)u->n * 4, &oom);
  }
  const reco_smap *ms[3] = {&r->imap, &r->omap, &r->cmap};
  reco_smap *md[3] = {&c->imap, &c->omap, &c->cmap};
  for (int t = 0; t < 3 && !oom; t++) *md[t] = (reco_smap){dup_mem(ms[t]->slots, ms[t]->cap * 4, &oom), ms[t]->cap, ms[t]->n};
  if (!oom && r->ease_n) {
    c->ease_items = dup_mem(r->ease_items, r->ease_n * 4, &oom);
    c->ease_pos = dup_mem(r->ease_pos, r->ease_pos_n * 4, &oom);
    c->ease_b = dup_mem(r->ease_b, r->ease_n * r->ease_n * 4, &oom);
  }
  if (!oom && r->chas && ni) {
    memcpy(c->cvec, r->cvec, ni * r->cdim * sizeof *c->cvec);
    memcpy(c->chas, r->chas, ni);
  }
  return !oom;
}

ecai_status ecai__reco_own(ecai_recommend *r) {
  if (!r->mapping) return ECAI_OK;
  ecai_recommend *c = ecai__calloc(1, sizeof *c);
  if (!c || !copy_model(c, r)) {
    ecai_recommend_free(c);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory copying the mapped model before a change");
  }
  size_t ease_n = r->ease_n, ease_pos_n = r->ease_pos_n;
  ecai__reco_unmap(r);
  r->items = c->items, r->nbr = c->nbr, r->iord = c->iord;
  r->n_items = c->n_items, r->cap_items = c->cap_items;
  r->orders = c->orders, r->n_orders = c->n_orders, r->cap_orders = c->cap_orders;
  r->custs = c->custs, r->n_custs = c->n_custs, r->cap_custs = c->cap_custs;
  r->imap = c->imap, r->omap = c->omap, r->cmap = c->cmap;
  r->ease_items = c->ease_items, r->ease_pos = c->ease_pos, r->ease_b = c->ease_b;
  r->ease_n = ease_n, r->ease_pos_n = ease_pos_n;
  r->cvec = c->cvec, r->chas = c->chas;
  ecai__free(c);
  if (!r->text_fitted) return ECAI_OK;
  /* the title embedder's fitted IDF is not in the file: fitted again on the titles, which
     embeds them again (the vectors a version 2 load computed) */
  r->text_fitted = false;
  ecai_status st = ecai__reco_text_fit(r);
  return st ? st : ecai__reco_cindex_build(r); /* as a version 2 load built it: after the fit */
}
