/* ecai_index: FAISS (C API) behind an id map, tombstones, filtered search, persistence. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

#include "catalog/ser.h"
#include "index/index_internal.h"

static const char IDX_MAGIC[8] = {'E', 'C', 'A', 'I', 'I', 'D', 'X', 0}; /* FAISS layout */
static const char IDF_MAGIC[8] = {'E', 'C', 'A', 'I', 'I', 'D', 'F', 0}; /* Flat, mappable */
#define IDF_LAYOUT 1u
#define IDF_ALIGN 4096u

/* ---- int64 -> int64 map (open addressing; key -1 empty, -2 deleted) ------------ */

static inline size_t mix(int64_t k) {
  uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ull;
  return (size_t)(x ^ (x >> 29));
}

static int64_t imap_get(const ecai__imap *m, int64_t key) {
  if (!m->cap) return -1;
  size_t mask = m->cap - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    if (m->key[i] == -1) return -1;
    if (m->key[i] == key) return m->val[i];
  }
}

static int imap_reserve(ecai__imap *m, size_t extra) {
  if ((m->used + extra) * 10 < m->cap * 7) return 0;
  size_t nc = 64;
  while ((m->live + extra) * 10 >= nc * 5) nc *= 2;
  int64_t *k = ecai__malloc(nc * sizeof *k), *v = ecai__malloc(nc * sizeof *v);
  if (!k || !v) {
    ecai__free(k);
    ecai__free(v);
    return -1;
  }
  for (size_t i = 0; i < nc; i++) k[i] = -1;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->key[i] < 0) continue;
    size_t j = mix(m->key[i]) & (nc - 1);
    while (k[j] != -1) j = (j + 1) & (nc - 1);
    k[j] = m->key[i];
    v[j] = m->val[i];
  }
  ecai__free(m->key);
  ecai__free(m->val);
  m->key = k;
  m->val = v;
  m->cap = nc;
  m->used = m->live;
  return 0;
}

static void imap_put(ecai__imap *m, int64_t key, int64_t val) {
  size_t mask = m->cap - 1, tomb = SIZE_MAX;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    if (m->key[i] == key) {
      m->val[i] = val;
      return;
    }
    if (m->key[i] == -2 && tomb == SIZE_MAX) tomb = i;
    if (m->key[i] == -1) {
      size_t at = tomb != SIZE_MAX ? tomb : i;
      if (tomb == SIZE_MAX) m->used++;
      m->key[at] = key;
      m->val[at] = val;
      m->live++;
      return;
    }
  }
}

static void imap_del(ecai__imap *m, int64_t key) {
  if (!m->cap) return;
  size_t mask = m->cap - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    if (m->key[i] == -1) return;
    if (m->key[i] == key) {
      m->key[i] = -2;
      m->live--;
      return;
    }
  }
}

static void imap_free(ecai__imap *m) {
  ecai__free(m->key);
  ecai__free(m->val);
  memset(m, 0, sizeof *m);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static ecai_status backend(const char *what) {
  const char *m = faiss_get_last_error();
  return ecai__err(ECAI_EBACKEND, "index: %s: %s", what, m && *m ? m : "FAISS failure");
}

static void apply_params(ecai_index *x) {
  FaissParameterSpace *ps = NULL;
  if (!x->fi) return;
  if (faiss_ParameterSpace_new(&ps)) return;
  if (strstr(x->factory, "HNSW")) faiss_ParameterSpace_set_index_parameter(ps, x->fi, "efSearch", x->ef_search);
  if (strstr(x->factory, "IVF")) faiss_ParameterSpace_set_index_parameter(ps, x->fi, "nprobe", x->nprobe);
  faiss_ParameterSpace_free(ps);
}

static ecai_status idx_alloc(ecai_index **out, ecai_ctx *ctx, size_t dim, const char *factory) {
  ecai_index *x = ecai__calloc(1, sizeof *x);
  if (!x) return ecai__err(ECAI_ENOMEM, "index: out of memory");
  x->ctx = ctx;
  x->dim = dim;
  x->factory = ecai__strdup(factory);
  if (!x->factory) {
    ecai__free(x);
    return ecai__err(ECAI_ENOMEM, "index: out of memory");
  }
  x->ef_search = (int)ecai__cfg_int(ctx, "index.hnsw_ef_search", 64);
  x->nprobe = (int)ecai__cfg_int(ctx, "index.nprobe", 16);
  if (x->ef_search < 1) x->ef_search = 64;
  if (x->nprobe < 1) x->nprobe = 16;
  /* writers (add/remove) must not starve behind a steady stream of searches */
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&x->lock, &attr);
  pthread_rwlockattr_destroy(&attr);
  *out = x;
  return ECAI_OK;
}

ecai_status ecai_index_new(ecai_index **out, ecai_ctx *ctx, size_t dim, const char *factory) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  if (dim == 0 || dim > 65536) return ecai__err(ECAI_EINVAL, "index: dim must be 1..65536 (got %zu)", dim);
  if (!factory) factory = ecai__cfg_str(ctx, "index.type", "Flat");
  if (!*factory) return ecai__err(ECAI_EINVAL, "index: empty factory string");
  ecai_index *x = NULL;
  ecai_status st = idx_alloc(&x, ctx, dim, factory);
  if (st) return st;
  if (faiss_index_factory(&x->fi, (int)dim, factory, METRIC_INNER_PRODUCT)) {
    st = ecai__err(ECAI_EBACKEND, "index: FAISS rejects the index type '%s': %s", factory,
                   faiss_get_last_error() ? faiss_get_last_error() : "?");
    x->fi = NULL;
    ecai_index_free(x);
    return st;
  }
  apply_params(x);
  *out = x;
  return ECAI_OK;
}

void ecai_index_free(ecai_index *x) {
  if (!x) return;
  if (x->fi) faiss_Index_free(x->fi);
  ecai__blob_unmap(&x->file);
  ecai__free(x->xvec);
  imap_free(&x->map);
  ecai__free(x->pos_id);
  ecai__free(x->factory);
  ecai__free(x->emb_id);
  pthread_rwlock_destroy(&x->lock);
  ecai__free(x);
}

size_t ecai_index_count(const ecai_index *x) {
  if (!x) return 0;
  pthread_rwlock_rdlock((pthread_rwlock_t *)&x->lock);
  size_t n = x->map.live;
  pthread_rwlock_unlock((pthread_rwlock_t *)&x->lock);
  return n;
}
size_t ecai_index_dim(const ecai_index *x) { return x ? x->dim : 0; }
const char *ecai__index_factory(const ecai_index *x) { return x->factory; }
size_t ecai__index_positions(const ecai_index *x) { return x->npos; }

static int finite_vecs(const float *v, size_t n, size_t *bad) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) {
      *bad = i;
      return 0;
    }
  return 1;
}

/* ---- the vectors: FAISS, or a mapped Flat file scanned by ecai__flat_search ------------- */

int ecai__index_is_mapped(const ecai_index *x) { return x->vec != NULL; }

static int reconstruct(const ecai_index *x, size_t pos, float *v) {
  if (!x->vec) return faiss_Index_reconstruct(x->fi, (idx_t)pos, v);
  memcpy(v, pos < x->nmap ? x->vec + pos * x->dim : x->xvec + (pos - x->nmap) * x->dim, x->dim * sizeof *v);
  return 0;
}

/* Merges two best-first lists of kk (scores, positions; -1 after the last) per query into
 * D/L; on equal scores the lower position (a is all below b) comes first, as the kernel's. */
static void merge_hits(size_t nq, size_t kk, const float *Da, const idx_t *La, const float *Db, const idx_t *Lb,
                       float *D, idx_t *L) {
  for (size_t q = 0; q < nq; q++) {
    size_t i = 0, j = 0, o = q * kk;
    for (size_t m = 0; m < kk; m++) {
      int ta = i < kk && La[o + i] >= 0, tb = j < kk && Lb[o + j] >= 0;
      if (ta && (!tb || Da[o + i] >= Db[o + j])) D[o + m] = Da[o + i], L[o + m] = La[o + i], i++;
      else if (tb) D[o + m] = Db[o + j], L[o + m] = Lb[o + j], j++;
      else D[o + m] = -INFINITY, L[o + m] = -1;
    }
  }
}

/* The rows of a FAISS index that is a plain Flat (IndexFlatIP, one row per position), or 0. */
static int faiss_flat_rows(const ecai_index *x, const float **rows) {
  FaissIndexFlat *f = strcmp(x->factory, "Flat") ? NULL : faiss_IndexFlat_cast(x->fi);
  float *xb = NULL;
  size_t n = 0;
  if (!f) return 0;
  faiss_IndexFlat_xb(f, &xb, &n);
  if (n != x->npos * x->dim) return 0;
  *rows = xb;
  return 1;
}

/* Below this many queries FAISS's IndexFlatIP scores each row in its reference order, which
 * ecai__flat_search reproduces bit for bit, only faster; from it on FAISS goes through BLAS
 * (faiss::distance_compute_blas_threshold), whose results it keeps. */
#define FAISS_BLAS_QUERIES 20

static ecai_status run_search(const ecai_index *x, size_t nq, const float *q, size_t kk, float *D, idx_t *L) {
  const float *rows;
  if (!x->vec && nq < FAISS_BLAS_QUERIES && faiss_flat_rows(x, &rows))
    return ecai__flat_search(rows, x->npos, x->dim, q, nq, kk, D, L) ? ecai__err(ECAI_ENOMEM, "index: out of memory")
                                                                       : ECAI_OK;
  if (!x->vec)
    return faiss_Index_search(x->fi, (idx_t)nq, q, (idx_t)kk, D, L) ? backend("search failed") : ECAI_OK;
  if (x->npos == x->nmap)
    return ecai__flat_search(x->vec, x->nmap, x->dim, q, nq, kk, D, L) ? ecai__err(ECAI_ENOMEM, "index: out of memory")
                                                                       : ECAI_OK;
  /* the mapped rows and the rows added since, each scanned exactly, merged */
  float *D2 = ecai__malloc(2 * nq * kk * sizeof *D2);
  idx_t *L2 = ecai__malloc(2 * nq * kk * sizeof *L2);
  int bad = !D2 || !L2 || ecai__flat_search(x->vec, x->nmap, x->dim, q, nq, kk, D2, L2) ||
            ecai__flat_search(x->xvec, x->npos - x->nmap, x->dim, q, nq, kk, D2 + nq * kk, L2 + nq * kk);
  if (!bad) {
    for (size_t i = nq * kk; i < 2 * nq * kk; i++)
      if (L2[i] >= 0) L2[i] += (idx_t)x->nmap;
    merge_hits(nq, kk, D2, L2, D2 + nq * kk, L2 + nq * kk, D, L);
  }
  ecai__free(D2);
  ecai__free(L2);
  return bad ? ecai__err(ECAI_ENOMEM, "index: out of memory") : ECAI_OK;
}

/* Copies the vectors of a mapped index (the mapping and the rows added since) into a
 * FAISS index of its own (same positions) and lets the mapping go. Caller holds the write
 * lock (or the index is not shared yet). */
static ecai_status materialise(ecai_index *x) {
  if (!x->vec) return ECAI_OK;
  FaissIndex *fi = NULL;
  if (faiss_index_factory(&fi, (int)x->dim, x->factory, METRIC_INNER_PRODUCT)) return backend("cannot create");
  if ((x->nmap && faiss_Index_add(fi, (idx_t)x->nmap, x->vec)) ||
      (x->npos > x->nmap && faiss_Index_add(fi, (idx_t)(x->npos - x->nmap), x->xvec))) {
    faiss_Index_free(fi);
    return backend("cannot copy the mapped vectors");
  }
  x->fi = fi;
  x->vec = NULL;
  ecai__blob_unmap(&x->file);
  ecai__free(x->xvec);
  x->xvec = NULL;
  x->nmap = x->xcap = 0;
  apply_params(x);
  return ECAI_OK;
}

/* Adds n rows to a mapped index without copying the mapping: they go after it, in memory
 * (a replaced id's mapped row becomes a tombstone). Caller holds the write lock. */
static ecai_status add_beside_map(ecai_index *x, const float *vecs, size_t n) {
  size_t have = x->npos - x->nmap;
  if (have + n > x->xcap) {
    size_t nc = x->xcap ? x->xcap : 16;
    while (nc < have + n) nc *= 2;
    float *nv = ecai__realloc(x->xvec, nc * x->dim * sizeof *nv);
    if (!nv) return ecai__err(ECAI_ENOMEM, "index: out of memory");
    x->xvec = nv;
    x->xcap = nc;
  }
  memcpy(x->xvec + have * x->dim, vecs, n * x->dim * sizeof *vecs);
  return ECAI_OK;
}

/* Rebuilds the FAISS structure without deleted positions once they outnumber the live
 * ones (and exceed 1024), so that tombstones never dominate search cost. Needs
 * reconstruct() (Flat, HNSW, SQ; IVF after make_direct_map is not done here): when the
 * index cannot reconstruct, the tombstones stay (still filtered out of results).
 * Caller holds the write lock. Failure leaves the index as it was. */
static void maybe_compact(ecai_index *x) {
  size_t live = x->map.live;
  if (x->ndeleted <= 1024 || x->ndeleted <= live) return;
  float *v = ecai__malloc((live ? live : 1) * x->dim * sizeof *v);
  int64_t *ids = ecai__malloc((live ? live : 1) * sizeof *ids);
  FaissIndex *ni = NULL;
  if (!v || !ids) goto out;
  size_t m = 0;
  for (size_t p = 0; p < x->npos; p++) {
    if (x->pos_id[p] < 0) continue;
    if (reconstruct(x, p, v + m * x->dim)) goto out;
    ids[m++] = x->pos_id[p];
  }
  if (faiss_index_factory(&ni, (int)x->dim, x->factory, METRIC_INNER_PRODUCT)) {
    ni = NULL;
    goto out;
  }
  if (!faiss_Index_is_trained(ni) && (m == 0 || faiss_Index_train(ni, (idx_t)m, v))) goto out;
  if (m && faiss_Index_add(ni, (idx_t)m, v)) goto out;
  if (x->fi) faiss_Index_free(x->fi);
  x->fi = ni;
  ni = NULL;
  x->vec = NULL;
  ecai__blob_unmap(&x->file);
  ecai__free(x->xvec);
  x->xvec = NULL;
  x->nmap = x->xcap = 0;
  for (size_t i = 0; i < m; i++) {
    x->pos_id[i] = ids[i];
    imap_put(&x->map, ids[i], (int64_t)i);
  }
  x->npos = m;
  x->ndeleted = 0;
  apply_params(x);
out:
  if (ni) faiss_Index_free(ni);
  ecai__free(v);
  ecai__free(ids);
}

ecai_status ecai_index_add(ecai_index *x, const int64_t *ids, const float *vecs, size_t n) {
  ECAI__CHECK_ARG(x);
  if (n == 0) return ECAI_OK;
  ECAI__CHECK_ARG(ids);
  ECAI__CHECK_ARG(vecs);
  for (size_t i = 0; i < n; i++)
    if (ids[i] < 0) return ecai__err(ECAI_EINVAL, "index_add: id %lld (row %zu) is negative", (long long)ids[i], i);
  size_t bad;
  if (!finite_vecs(vecs, n * x->dim, &bad))
    return ecai__err(ECAI_EINVAL, "index_add: vector %zu has a NaN or infinite component (%zu)", bad / x->dim,
                     bad % x->dim);
  pthread_rwlock_wrlock(&x->lock);
  ecai_status st = ECAI_OK;
  if (x->npos + n > x->cap_pos) {
    size_t nc = x->cap_pos ? x->cap_pos : 1024;
    while (nc < x->npos + n) nc *= 2;
    int64_t *np = ecai__realloc(x->pos_id, nc * sizeof *np);
    if (!np) {
      st = ecai__err(ECAI_ENOMEM, "index: out of memory");
      goto out;
    }
    x->pos_id = np;
    x->cap_pos = nc;
  }
  if (imap_reserve(&x->map, n)) {
    st = ecai__err(ECAI_ENOMEM, "index: out of memory");
    goto out;
  }
  if (x->vec) { /* mapped (Flat): the shared mapping stays, the new rows go beside it */
    st = add_beside_map(x, vecs, n);
    if (st) goto out;
  } else {
    int trained = faiss_Index_is_trained(x->fi);
    if (!trained && faiss_Index_train(x->fi, (idx_t)n, vecs)) {
      st = backend("training failed");
      goto out;
    }
    if (!trained) apply_params(x);
    if (faiss_Index_add(x->fi, (idx_t)n, vecs)) {
      st = backend("add failed");
      goto out;
    }
  }
  for (size_t i = 0; i < n; i++) {
    int64_t old = imap_get(&x->map, ids[i]);
    if (old >= 0) {
      x->pos_id[old] = -1;
      x->ndeleted++;
    }
    x->pos_id[x->npos] = ids[i];
    imap_put(&x->map, ids[i], (int64_t)x->npos);
    x->npos++;
  }
  maybe_compact(x);
out:
  pthread_rwlock_unlock(&x->lock);
  return st;
}

ecai_status ecai_index_remove(ecai_index *x, int64_t id) {
  ECAI__CHECK_ARG(x);
  pthread_rwlock_wrlock(&x->lock);
  int64_t pos = imap_get(&x->map, id);
  if (pos >= 0) {
    x->pos_id[pos] = -1;
    x->ndeleted++;
    imap_del(&x->map, id);
    maybe_compact(x);
  }
  pthread_rwlock_unlock(&x->lock);
  return pos >= 0 ? ECAI_OK : ecai__err(ECAI_ENOTFOUND, "index: no id %lld", (long long)id);
}

ecai_status ecai_index_set_int(ecai_index *x, ecai_index_opt opt, int64_t v) {
  ECAI__CHECK_ARG(x);
  if (opt != ECAI_INDEX_OPT_EF_SEARCH && opt != ECAI_INDEX_OPT_NPROBE) {
    if ((int)opt >= 100 && (int)opt < 200) return ecai__err(ECAI_EUNSUPPORTED, "index: unknown option %d", (int)opt);
    if ((int)opt >= 1 && (int)opt < 300) return ecai__err(ECAI_EINVAL, "index: option %d is not an integer", (int)opt);
    return ecai__err(ECAI_EUNSUPPORTED, "index: unknown option %d", (int)opt);
  }
  if (v < 1 || v > 1000000) return ecai__err(ECAI_EINVAL, "index: option value %lld out of range 1..1000000", (long long)v);
  pthread_rwlock_wrlock(&x->lock);
  if (opt == ECAI_INDEX_OPT_EF_SEARCH) x->ef_search = (int)v;
  else x->nprobe = (int)v;
  apply_params(x);
  pthread_rwlock_unlock(&x->lock);
  return ECAI_OK;
}

/* ---- search --------------------------------------------------------------------------- */

typedef struct hit {
  float s;
  int64_t id;
} hit;

/* min-heap of the best k hits */
static void heap_push(hit *h, size_t *n, size_t k, float s, int64_t id) {
  if (*n < k) {
    size_t i = (*n)++;
    h[i].s = s;
    h[i].id = id;
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (h[p].s <= h[i].s) break;
      hit t = h[p];
      h[p] = h[i];
      h[i] = t;
      i = p;
    }
    return;
  }
  if (s <= h[0].s) return;
  h[0].s = s;
  h[0].id = id;
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < *n && h[l].s < h[m].s) m = l;
    if (r < *n && h[r].s < h[m].s) m = r;
    if (m == i) break;
    hit t = h[m];
    h[m] = h[i];
    h[i] = t;
    i = m;
  }
}

static int cmp_hit_desc(const void *a, const void *b) {
  const hit *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? 1 : -1;
  return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct filt {
  const ecai__imap *allowed;
  ecai_index_filter_fn fn;
  void *payload;
} filt;

static int keep(const filt *f, int64_t id) {
  if (id < 0) return 0;
  if (f->allowed && imap_get(f->allowed, id) < 0) return 0;
  if (f->fn && !f->fn(id, f->payload)) return 0;
  return 1;
}

/* Exact scoring of a small candidate set through reconstruct(); 1 if done, 0 if the
 * index cannot reconstruct (caller falls back), -1 on OOM. */
static int exact_subset(ecai_index *x, const float *q, const int64_t *allowed, size_t na, const filt *f, hit *h,
                        size_t *nh, size_t k) {
  float *v = ecai__malloc(x->dim * sizeof *v);
  if (!v) return -1;
  for (size_t i = 0; i < na; i++) {
    int64_t pos = imap_get(&x->map, allowed[i]);
    if (pos < 0) continue;
    if (f->fn && !f->fn(allowed[i], f->payload)) continue;
    if (reconstruct(x, (size_t)pos, v)) {
      ecai__free(v);
      return 0;
    }
    double s = 0;
    for (size_t d = 0; d < x->dim; d++) s += (double)q[d] * v[d];
    /* an id listed twice must not appear twice */
    int dup = 0;
    for (size_t j = 0; j < *nh; j++)
      if (h[j].id == allowed[i]) dup = 1;
    if (!dup) heap_push(h, nh, k, (float)s, allowed[i]);
  }
  ecai__free(v);
  return 1;
}

ecai_status ecai_index_search(size_t *out_n, int64_t *out_ids, float *out_scores, ecai_index *x, const float *q,
                              size_t k, const int64_t *allowed, size_t n_allowed, ecai_index_filter_fn fn,
                              void *payload) {
  ECAI__CHECK_ARG(out_n);
  *out_n = 0;
  ECAI__CHECK_ARG(out_ids);
  ECAI__CHECK_ARG(x);
  ECAI__CHECK_ARG(q);
  if (k == 0) return ecai__err(ECAI_EINVAL, "index_search: k must be >= 1");
  if (!allowed && n_allowed) return ecai__err(ECAI_EINVAL, "index_search: NULL allowed with n_allowed %zu", n_allowed);
  size_t bad;
  if (!finite_vecs(q, x->dim, &bad))
    return ecai__err(ECAI_EINVAL, "index_search: query component %zu is NaN or infinite", bad);
  hit *h = ecai__malloc(k * sizeof *h);
  if (!h) return ecai__err(ECAI_ENOMEM, "index: out of memory");
  size_t nh = 0;
  ecai_status st = ECAI_OK;
  ecai__imap aset = {0};
  float *D = NULL;
  idx_t *L = NULL;
  filt f = {NULL, fn, payload};
  pthread_rwlock_rdlock(&x->lock);
  size_t ntotal = x->npos;
  if (allowed) {
    if (n_allowed == 0 || x->map.live == 0) goto done;
    if (n_allowed <= 4096 || n_allowed * 16 <= x->map.live) {
      int r = exact_subset(x, q, allowed, n_allowed, &f, h, &nh, k);
      if (r < 0) {
        st = ecai__err(ECAI_ENOMEM, "index: out of memory");
        goto done;
      }
      if (r == 1) goto done;
      nh = 0;
    }
    if (imap_reserve(&aset, n_allowed)) {
      st = ecai__err(ECAI_ENOMEM, "index: out of memory");
      goto done;
    }
    for (size_t i = 0; i < n_allowed; i++)
      if (allowed[i] >= 0) imap_put(&aset, allowed[i], 1);
    f.allowed = &aset;
  }
  if (ntotal == 0) goto done;
  size_t kk = k + x->ndeleted;
  if (f.allowed || f.fn) kk = 4 * k + x->ndeleted;
  if (kk > ntotal) kk = ntotal;
  for (;;) {
    float *nD = ecai__realloc(D, kk * sizeof *D);
    if (nD) D = nD;
    idx_t *nL = nD ? ecai__realloc(L, kk * sizeof *L) : NULL;
    if (nL) L = nL;
    if (!nD || !nL) {
      st = ecai__err(ECAI_ENOMEM, "index: out of memory");
      break;
    }
    if ((st = run_search(x, 1, q, kk, D, L))) break;
    nh = 0;
    for (size_t i = 0; i < kk && nh < k; i++) {
      if (L[i] < 0 || (size_t)L[i] >= x->npos) continue;
      int64_t id = x->pos_id[L[i]];
      if (!keep(&f, id)) continue;
      h[nh].s = D[i];
      h[nh].id = id;
      nh++;
    }
    if (nh >= k || kk >= ntotal) break;
    kk = kk * 4 > ntotal ? ntotal : kk * 4;
  }
  /* results from FAISS are already sorted; keep them as a heap-free array */
  for (size_t i = 0; i < nh; i++) {
    out_ids[i] = h[i].id;
    if (out_scores) out_scores[i] = h[i].s;
  }
  *out_n = nh;
  nh = 0; /* copied */
done:
  pthread_rwlock_unlock(&x->lock);
  if (nh) { /* exact path: heap -> sorted */
    qsort(h, nh, sizeof *h, cmp_hit_desc);
    for (size_t i = 0; i < nh; i++) {
      out_ids[i] = h[i].id;
      if (out_scores) out_scores[i] = h[i].s;
    }
    *out_n = nh;
  }
  imap_free(&aset);
  ecai__free(D);
  ecai__free(L);
  ecai__free(h);
  return st;
}

ecai_status ecai_index_search_batch(int64_t *out_ids, float *out_scores, ecai_index *x, const float *qs, size_t nq,
                                    size_t k) {
  ECAI__CHECK_ARG(out_ids);
  ECAI__CHECK_ARG(x);
  if (nq == 0) return ECAI_OK;
  ECAI__CHECK_ARG(qs);
  if (k == 0) return ecai__err(ECAI_EINVAL, "index_search_batch: k must be >= 1");
  size_t bad;
  if (!finite_vecs(qs, nq * x->dim, &bad))
    return ecai__err(ECAI_EINVAL, "index_search_batch: query %zu has a NaN or infinite component", bad / x->dim);
  for (size_t i = 0; i < nq * k; i++) {
    out_ids[i] = -1;
    if (out_scores) out_scores[i] = -INFINITY;
  }
  pthread_rwlock_rdlock(&x->lock);
  ecai_status st = ECAI_OK;
  size_t kk = k + x->ndeleted;
  if (kk > x->npos) kk = x->npos;
  float *D = NULL;
  idx_t *L = NULL;
  if (kk == 0) goto out;
  D = ecai__malloc(nq * kk * sizeof *D);
  L = ecai__malloc(nq * kk * sizeof *L);
  if (!D || !L) {
    st = ecai__err(ECAI_ENOMEM, "index: out of memory");
    goto out;
  }
  if ((st = run_search(x, nq, qs, kk, D, L))) goto out;
  for (size_t qi = 0; qi < nq; qi++) {
    size_t m = 0;
    for (size_t i = 0; i < kk && m < k; i++) {
      idx_t l = L[qi * kk + i];
      if (l < 0 || (size_t)l >= x->npos || x->pos_id[l] < 0) continue;
      out_ids[qi * k + m] = x->pos_id[l];
      if (out_scores) out_scores[qi * k + m] = D[qi * kk + i];
      m++;
    }
  }
out:
  pthread_rwlock_unlock(&x->lock);
  ecai__free(D);
  ecai__free(L);
  return st;
}

/* ---- embedder identity ------------------------------------------------------------------- */

ecai_status ecai_index_bind_embedder(ecai_index *x, const ecai_embedder *emb) {
  ECAI__CHECK_ARG(x);
  ECAI__CHECK_ARG(emb);
  if (ecai_embedder_dim(emb) != x->dim)
    return ecai__err(ECAI_EINVAL, "index: embedder dim %zu differs from the index's %zu", ecai_embedder_dim(emb),
                     x->dim);
  char *id = NULL;
  ecai_status st = ecai_embedder_identity(&id, NULL, emb);
  if (st) return st;
  pthread_rwlock_wrlock(&x->lock);
  ecai__free(x->emb_id);
  x->emb_id = id;
  pthread_rwlock_unlock(&x->lock);
  return ECAI_OK;
}

ecai_status ecai_index_check_embedder(const ecai_index *x, const ecai_embedder *emb) {
  ECAI__CHECK_ARG(x);
  ECAI__CHECK_ARG(emb);
  char *id = NULL;
  ecai_status st = ecai_embedder_identity(&id, NULL, emb);
  if (st) return st;
  pthread_rwlock_rdlock((pthread_rwlock_t *)&x->lock);
  if (!x->emb_id || strcmp(id, x->emb_id) != 0) {
    st = ecai__err(ECAI_EINVAL, "index: built with embedder %s, queried with embedder %s",
                   x->emb_id ? x->emb_id : "(none recorded)", id);
  }
  pthread_rwlock_unlock((pthread_rwlock_t *)&x->lock);
  ecai__free(id);
  return st;
}

const char *ecai__index_embedder_id(const ecai_index *x) { return x->emb_id; }

/* ---- persistence --------------------------------------------------------------------------
 * Two layouts in the checksummed container of catalog/ser.h:
 *   ECAIIDX (every index type): head, u64 length, FAISS's own serialisation.
 *   ECAIIDF (Flat, written on little-endian hosts): u32 layout (1), head, u64 vec_off,
 *     zero padding, then at file offset vec_off (a multiple of 4096) npos * dim float32
 *     little-endian, row p = position p, up to the end of the file. Opened by mapping it
 *     (index.mmap, default) and searched in place by ecai__flat_search.
 * head: u32 dim, str factory, str embedder identity, u64 npos, npos x i64 id (-1 deleted). */

static void put_head(ecai__buf *b, const ecai_index *x) {
  ecai__put_u32(b, (uint32_t)x->dim);
  ecai__put_str(b, x->factory);
  ecai__put_str(b, x->emb_id);
  ecai__put_u64(b, x->npos);
  for (size_t i = 0; i < x->npos; i++) ecai__put_u64(b, (uint64_t)x->pos_id[i]);
}

/* The vectors to save in the ECAIIDF layout, or 0 when the index is not a plain Flat;
 * *owned (freed by the caller) holds them when they had to be put together (a mapped index
 * with rows added beside the mapping), -1 when that copy could not be allocated. */
static int flat_vectors(const ecai_index *x, const float **vecs, float **owned) {
  *owned = NULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (strcmp(x->factory, "Flat") != 0) return 0;
  if (x->vec && x->npos > x->nmap) {
    if (!(*owned = ecai__malloc(x->npos * x->dim * sizeof **owned))) return -1;
    memcpy(*owned, x->vec, x->nmap * x->dim * sizeof **owned);
    memcpy(*owned + x->nmap * x->dim, x->xvec, (x->npos - x->nmap) * x->dim * sizeof **owned);
    *vecs = *owned;
    return 1;
  }
  if (x->vec) {
    *vecs = x->vec;
    return 1;
  }
  return faiss_flat_rows(x, vecs);
#else
  (void)x;
  (void)vecs;
  return 0;
#endif
}

static ecai_status save_flat(const ecai_index *x, const float *vecs, const char *path, uint64_t *sum) {
  static const char zero[64] = {0};
  ecai__buf b = {0};
  ecai__buf_append(&b, zero, 32); /* the container header, filled in by ecai__blob_write2 */
  ecai__put_u32(&b, IDF_LAYOUT);
  put_head(&b, x);
  size_t voff = (b.len + 8 + IDF_ALIGN - 1) / IDF_ALIGN * IDF_ALIGN;
  ecai__put_u64(&b, voff);
  while (b.len < voff && !b.oom) ecai__buf_append(&b, zero, voff - b.len < 64 ? voff - b.len : 64);
  ecai_status st = b.oom ? ecai__err(ECAI_ENOMEM, "index: out of memory")
                         : ecai__blob_write2(path, IDF_MAGIC, b.data, b.len, vecs, x->npos * x->dim * sizeof *vecs, sum);
  ecai__buf_free(&b);
  return st;
}

static ecai_status save_faiss(const ecai_index *x, const char *path, uint64_t *sum) {
  char *fbuf = NULL;
  size_t flen = 0;
  ecai_status st = ECAI_OK;
  ecai__buf b = {0};
  FILE *f = open_memstream(&fbuf, &flen);
  if (!f) return ecai__err(ECAI_ENOMEM, "index: out of memory");
  int rc = faiss_write_index(x->fi, f);
  fclose(f);
  if (rc) {
    st = backend("cannot serialise");
    goto out;
  }
  put_head(&b, x);
  ecai__put_u64(&b, flen);
  ecai__buf_append(&b, fbuf, flen);
  if (b.oom) {
    st = ecai__err(ECAI_ENOMEM, "index: out of memory");
    goto out;
  }
  st = ecai__blob_write(path, IDX_MAGIC, b.data, b.len, sum);
out:
  free(fbuf);
  ecai__buf_free(&b);
  return st;
}

ecai_status ecai__index_save(ecai_index *x, const char *path, uint64_t *sum) {
  pthread_rwlock_rdlock(&x->lock);
  const float *vecs = NULL;
  float *owned = NULL;
  int flat = flat_vectors(x, &vecs, &owned);
  ecai_status st = flat < 0 ? ecai__err(ECAI_ENOMEM, "index: out of memory")
                   : flat   ? save_flat(x, vecs, path, sum)
                            : save_faiss(x, path, sum);
  pthread_rwlock_unlock(&x->lock);
  ecai__free(owned);
  return st;
}

ecai_status ecai_index_save(ecai_index *x, const char *path) {
  ECAI__CHECK_ARG(x);
  ECAI__CHECK_ARG(path);
  return ecai__index_save(x, path, NULL);
}

/* Reads the head into a new index (ids mapped, no vectors yet). */
static ecai_status read_head(ecai_index **out, ecai_ctx *ctx, ecai__rd *r) {
  *out = NULL;
  uint32_t dim = ecai__get_u32(r);
  char *factory = ecai__get_str(r);
  char *emb_id = ecai__get_str(r);
  uint64_t npos = ecai__get_u64(r);
  ecai_index *x = NULL;
  ecai_status st = ECAI_OK;
  if (r->bad == 2) {
    st = ecai__err(ECAI_ENOMEM, "index: out of memory");
    goto fail;
  }
  if (r->bad || !factory || dim == 0 || dim > 65536 || npos > (r->len - r->pos) / 8) goto corrupt;
  st = idx_alloc(&x, ctx, dim, factory);
  if (st) goto fail;
  x->emb_id = emb_id;
  emb_id = NULL;
  x->cap_pos = npos ? (size_t)npos : 1;
  x->pos_id = ecai__malloc(x->cap_pos * sizeof *x->pos_id);
  if (!x->pos_id || imap_reserve(&x->map, (size_t)npos)) {
    st = ecai__err(ECAI_ENOMEM, "index: out of memory");
    goto fail;
  }
  for (uint64_t i = 0; i < npos; i++) {
    int64_t id = (int64_t)ecai__get_u64(r);
    if (r->bad || id < -1) goto corrupt;
    x->pos_id[i] = id;
    if (id < 0) {
      x->ndeleted++;
      continue;
    }
    if (imap_get(&x->map, id) >= 0) goto corrupt;
    imap_put(&x->map, id, (int64_t)i);
  }
  x->npos = (size_t)npos;
  ecai__free(factory);
  *out = x;
  return ECAI_OK;
corrupt:
  st = ecai__err(ECAI_ECORRUPT, "index: saved index is damaged");
fail:
  ecai__free(factory);
  ecai__free(emb_id);
  ecai_index_free(x);
  return st;
}

ecai_status ecai__index_read(ecai_index **out, ecai_ctx *ctx, const char *data, size_t len) {
  *out = NULL;
  ecai__rd r = {data, len, 0, 0};
  ecai_index *x = NULL;
  ecai_status st = read_head(&x, ctx, &r);
  if (st) return st;
  uint64_t flen = ecai__get_u64(&r);
  if (r.bad || flen != len - r.pos) goto corrupt;
  FILE *f = fmemopen((void *)(data + r.pos), (size_t)flen, "rb");
  if (!f) {
    st = ecai__err(ECAI_ENOMEM, "index: out of memory");
    goto fail;
  }
  int rc = faiss_read_index(f, 0, &x->fi);
  fclose(f);
  if (rc) {
    x->fi = NULL;
    st = ecai__err(ECAI_ECORRUPT, "index: FAISS cannot read the saved index: %s",
                   faiss_get_last_error() ? faiss_get_last_error() : "?");
    goto fail;
  }
  if ((uint32_t)faiss_Index_d(x->fi) != x->dim || (uint64_t)faiss_Index_ntotal(x->fi) != x->npos ||
      faiss_Index_metric_type(x->fi) != METRIC_INNER_PRODUCT)
    goto corrupt;
  apply_params(x);
  *out = x;
  return ECAI_OK;
corrupt:
  st = ecai__err(ECAI_ECORRUPT, "index: saved index is damaged");
fail:
  ecai_index_free(x);
  return st;
}

/* Parses an ECAIIDF payload (data = file offset 32); x->vec points into data. */
static ecai_status parse_flat(ecai_index **out, ecai_ctx *ctx, const char *data, size_t len) {
  *out = NULL;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  return ecai__err(ECAI_EUNSUPPORTED, "index: Flat index files hold little-endian floats; this host is not");
#endif
  ecai__rd r = {data, len, 0, 0};
  uint32_t layout = ecai__get_u32(&r);
  if (r.bad || layout != IDF_LAYOUT)
    return ecai__err(ECAI_ECORRUPT, "index: Flat index file of unknown layout %u (this library reads %u)", layout,
                     IDF_LAYOUT);
  ecai_index *x = NULL;
  ecai_status st = read_head(&x, ctx, &r);
  if (st) return st;
  uint64_t voff = ecai__get_u64(&r);
  size_t row = x->dim * sizeof(float);
  if (r.bad || strcmp(x->factory, "Flat") != 0 || voff % IDF_ALIGN || voff < 32 + r.pos || voff - 32 > len ||
      (len - (voff - 32)) % row || (len - (voff - 32)) / row != x->npos) {
    ecai_index_free(x);
    return ecai__err(ECAI_ECORRUPT, "index: saved index is damaged");
  }
  x->vec = (const float *)(const void *)(data + (voff - 32));
  x->nmap = x->npos;
  *out = x;
  return ECAI_OK;
}

ecai_status ecai__index_read_flat(ecai_index **out, ecai_ctx *ctx, const char *data, size_t len) {
  ecai_status st = parse_flat(out, ctx, data, len);
  if (!st) st = materialise(*out); /* copies the vectors into FAISS: data may go */
  if (st && *out) {
    (*out)->vec = NULL;
    ecai_index_free(*out);
    *out = NULL;
  }
  return st;
}

static ecai_status open_file(ecai_index **out, ecai_ctx *ctx, const char *path, uint64_t *sum) {
  char magic[8];
  ecai_status st = ecai__blob_peek(path, magic);
  if (st) return st;
  int flat = memcmp(magic, IDF_MAGIC, 8) == 0;
  if (flat && ecai__cfg_bool(ctx, "index.mmap", true)) {
    ecai__map m;
    st = ecai__blob_map(path, IDF_MAGIC, &m, sum);
    if (st) return st;
    st = parse_flat(out, ctx, m.base + 32, m.len - 32);
    if (st) ecai__blob_unmap(&m);
    else (*out)->file = m;
    return st;
  }
  char *data = NULL;
  size_t len = 0;
  st = ecai__blob_read(path, flat ? IDF_MAGIC : IDX_MAGIC, &data, &len, sum);
  if (st) return st;
  st = flat ? ecai__index_read_flat(out, ctx, data, len) : ecai__index_read(out, ctx, data, len);
  ecai__free(data);
  return st;
}

ecai_status ecai__index_open_file(ecai_index **out, ecai_ctx *ctx, const char *path, uint64_t *sum) {
  *out = NULL;
  ecai_status st = open_file(out, ctx, path, sum);
  if (st == ECAI_ECORRUPT && !strstr(ecai_last_error(), path)) return ecai__err_prefix(st, "%s", path);
  return st;
}

ecai_status ecai_index_open(ecai_index **out, ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(path);
  return ecai__index_open_file(out, ctx, path, NULL);
}
