/* ecai_store: catalog + embedder + index in step; saved to / opened from one folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "embed/embed_internal.h"
#include "index/index_internal.h"
#include "index/store_internal.h"

static const char MAN_MAGIC[8] = {'E', 'C', 'A', 'I', 'M', 'A', 'N', 0};
static const char CAT_MAGIC[8] = {'E', 'C', 'A', 'I', 'C', 'A', 'T', 0};
static const char EMB_MAGIC[8] = {'E', 'C', 'A', 'I', 'E', 'M', 'B', 0};
static const char HSH_MAGIC[8] = {'E', 'C', 'A', 'I', 'H', 'S', 'H', 0};

const char *ecai__store_catalog_sum(const ecai_store *s) { return s->catalog_sum; }

const char *ecai__store_folder(const ecai_store *s, const char *dir) {
  return s->opened_as && dir && strcmp(dir, s->opened_as) == 0 ? s->folder : dir;
}

ecai_status ecai_store_new(ecai_store **out, ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ecai_store *s = ecai__calloc(1, sizeof *s);
  if (!s) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  s->ctx = ctx;
  ecai_status st = ecai__store_live_init(s);
  if (!st) st = ecai_catalog_new(&s->cat, ctx);
  if (!st) st = ecai_embedder_new(&s->emb, ctx);
  if (st) {
    ecai_store_free(s);
    return st;
  }
  *out = s;
  return ECAI_OK;
}

void ecai_store_free(ecai_store *s) {
  if (!s) return;
  ecai_index_free(s->idx);
  ecai_embedder_free(s->emb);
  ecai_catalog_free(s->cat);
  ecai__free(s->done);
  ecai__free(s->opened_as);
  ecai__free(s->folder);
  ecai__store_live_free(s);
  ecai__free(s);
}

ecai_catalog *ecai_store_catalog(ecai_store *s) { return s ? s->cat : NULL; }
ecai_embedder *ecai_store_embedder(ecai_store *s) { return s ? s->emb : NULL; }
ecai_index *ecai_store_index(ecai_store *s) { return s ? s->idx : NULL; }

#define BATCH 256

ecai_status ecai_store_build(size_t *out_embedded, ecai_store *s, int refit, ecai_progress_fn progress,
                             void *payload) {
  if (out_embedded) *out_embedded = 0;
  ECAI__CHECK_ARG(s);
  ecai_status st = ECAI_OK;
  int fresh = refit || !s->idx;
  size_t slots = ecai__catalog_slots(s->cat);
  /* which products need embedding */
  int64_t *todo = ecai__malloc((slots ? slots : 1) * sizeof *todo);
  uint64_t *ndone = ecai__calloc(slots ? slots : 1, sizeof *ndone);
  float *vecs = NULL;
  ecai_index *nidx = NULL;
  ecai__buf *texts = NULL;
  if (!todo || !ndone) {
    st = ecai__err(ECAI_ENOMEM, "store: out of memory");
    goto out;
  }
  if (fresh && refit == 0 &&
      ((s->emb->kind == ECAI__EMB_BUILTIN && s->emb->idf == NULL) || ecai_embedder_dim(s->emb) == 0))
    refit = 1;
  if (refit) {
    st = ecai_embedder_fit(s->emb, s->cat);
    if (st) goto out;
    fresh = 1;
  }
  size_t ntodo = 0;
  for (size_t id = 0; id < slots; id++) {
    const ecai__product *p = ecai__catalog_product(s->cat, (int64_t)id);
    if (!p) continue;
    uint64_t h = p->hash ? p->hash : 1;
    if (fresh || id >= s->ndone || s->done[id] != h) todo[ntodo++] = (int64_t)id;
    else ndone[id] = h;
  }
  size_t dim = ecai_embedder_dim(s->emb);
  if (ntodo && dim == 0) {
    st = ecai__err(ECAI_EINVAL, "store: the embedder's dimension is unknown (set embedder.dim)");
    goto out;
  }
  vecs = ecai__malloc((ntodo ? ntodo : 1) * (dim ? dim : 1) * sizeof *vecs);
  texts = ecai__calloc(BATCH, sizeof *texts);
  if (!vecs || !texts) {
    st = ecai__err(ECAI_ENOMEM, "store: out of memory");
    goto out;
  }
  for (size_t b = 0; b < ntodo; b += BATCH) {
    size_t m = ntodo - b < BATCH ? ntodo - b : BATCH;
    const char *tp[BATCH];
    size_t tl[BATCH];
    for (size_t i = 0; i < m; i++) {
      texts[i].len = 0;
      ecai__product_text(ecai__catalog_product(s->cat, todo[b + i]), &texts[i]);
      if (texts[i].oom) {
        st = ecai__err(ECAI_ENOMEM, "store: out of memory");
        goto out;
      }
      tp[i] = texts[i].data;
      tl[i] = texts[i].len;
    }
    st = ecai_embedder_embed_batch(vecs + b * dim, s->emb, tp, tl, m);
    if (st) {
      ecai__err_prefix(st, "store: product '%s'", ecai__catalog_product(s->cat, todo[b])->sku);
      goto out;
    }
    if (progress && progress(b + m, ntodo, payload)) {
      st = ecai__err(ECAI_ECANCELED, "store: build cancelled by the progress callback");
      goto out;
    }
  }
  if (fresh) {
    st = ecai_index_new(&nidx, s->ctx, dim, s->idx ? ecai__index_factory(s->idx) : NULL);
    if (st) goto out;
    st = ecai_index_bind_embedder(nidx, s->emb);
    if (st) goto out;
    st = ecai_index_add(nidx, todo, vecs, ntodo);
    if (st) goto out;
    ecai_index_free(s->idx);
    s->idx = nidx;
    nidx = NULL;
  } else {
    st = ecai_index_check_embedder(s->idx, s->emb);
    if (st) goto out;
    st = ecai_index_add(s->idx, todo, vecs, ntodo);
    if (st) goto out;
    /* products removed from the catalog */
    for (size_t id = 0; id < s->ndone; id++)
      if (s->done[id] && !ecai__catalog_product(s->cat, (int64_t)id)) ecai_index_remove(s->idx, (int64_t)id);
  }
  for (size_t i = 0; i < ntodo; i++) {
    uint64_t h = ecai__catalog_product(s->cat, todo[i])->hash;
    ndone[todo[i]] = h ? h : 1;
  }
  ecai__free(s->done);
  s->done = ndone;
  s->ndone = slots;
  ndone = NULL;
  if (out_embedded) *out_embedded = ntodo;
out:
  if (texts)
    for (size_t i = 0; i < BATCH; i++) ecai__buf_free(&texts[i]);
  ecai__free(texts);
  ecai_index_free(nidx);
  ecai__free(vecs);
  ecai__free(todo);
  ecai__free(ndone);
  return st;
}

ecai_status ecai_store_search(char **out, size_t *out_len, ecai_store *s, const char *query, size_t len,
                              size_t k) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(s);
  if (!query && len) return ecai__err(ECAI_EINVAL, "store_search: NULL query with length %zu", len);
  if (k == 0 || k > 100000) return ecai__err(ECAI_EINVAL, "store_search: k must be 1..100000 (got %zu)", k);
  if (!s->idx) return ecai__err(ECAI_ESTATE, "store_search: the store was never built");
  size_t dim = s->idx->dim;
  float *q = ecai__malloc(dim * sizeof *q);
  int64_t *ids = ecai__malloc(k * sizeof *ids);
  float *sc = ecai__malloc(k * sizeof *sc);
  ecai_status st = (!q || !ids || !sc) ? ecai__err(ECAI_ENOMEM, "store: out of memory") : ECAI_OK;
  size_t n = 0;
  if (!st) st = ecai_embedder_embed(q, dim, s->emb, query ? query : "", len);
  if (!st) st = ecai__store_read_begin(s, NULL, NULL, NULL); /* other processes' updates */
  if (st) goto done;                                        /* (no lock held) */
  st = ecai_index_search(&n, ids, sc, s->idx, q, k, NULL, 0, NULL, NULL);
  if (!st) {
    json_t *hits = json_array(), *o = json_object();
    int bad = !hits || !o || json_object_set(o, "hits", hits);
    for (size_t i = 0; i < n && !bad; i++) {
      const ecai__product *p = ecai__catalog_product(s->cat, ids[i]);
      if (!p) continue;
      json_t *h = json_object();
      bad |= !h || json_object_set_new(h, "id", json_string(p->sku)) ||
             json_object_set_new(h, "score", json_real((double)sc[i])) ||
             json_object_set_new(h, "title", json_string(p->title)) || json_array_append_new(hits, h);
    }
    char *js = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (js) {
      *out = ecai__strdup(js);
      if (*out && out_len) *out_len = strlen(*out);
      free(js);
    }
    st = *out ? ECAI_OK : ecai__err(ECAI_ENOMEM, "store: out of memory");
    json_decref(hits);
    json_decref(o);
  }
  ecai__store_read_end(s);
done:
  ecai__free(q);
  ecai__free(ids);
  ecai__free(sc);
  return st;
}

/* ---- folder ------------------------------------------------------------------------- */

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = ecai__malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static ecai_status read_blob(const char *dir, const char *name, const char magic[8], char **data, size_t *len,
                             uint64_t *sum) {
  char *p = join(dir, name);
  if (!p) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  ecai_status st = ecai__blob_read(p, magic, data, len, sum);
  ecai__free(p);
  return st;
}

static ecai_status write_blob(const char *dir, const char *name, const char magic[8], ecai__buf *b,
                              uint64_t *sum) {
  if (b->oom) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  char *p = join(dir, name);
  if (!p) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  ecai_status st = ecai__blob_write(p, magic, b->data ? b->data : "", b->len, sum);
  ecai__free(p);
  return st;
}

ecai_status ecai_store_save(ecai_store *s, const char *dir) {
  ECAI__CHECK_ARG(s);
  ECAI__CHECK_ARG(dir);
  if (!s->idx) return ecai__err(ECAI_ESTATE, "store_save: the store was never built");
  if (mkdir(dir, 0755) && errno != EEXIST)
    return ecai__err(ECAI_EIO, "store_save: cannot create %s: %s", dir, strerror(errno));
  uint64_t sums[4] = {0};
  ecai_status st = ECAI_OK;
  ecai__buf b = {0};
  char *p = NULL;
  /* catalog */
  ecai__catalog_write(s->cat, &b);
  st = write_blob(dir, "catalog.bin", CAT_MAGIC, &b, &sums[0]);
  ecai__buf_free(&b);
  if (st) return st;
  /* the embedder through its own saver, then read back the checksum */
  p = join(dir, "embedder.bin");
  if (!p) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  st = ecai_embedder_save(s->emb, p);
  if (!st) {
    FILE *f = fopen(p, "rb");
    unsigned char hdr[32];
    if (!f || fread(hdr, 1, 32, f) != 32 || memcmp(hdr, EMB_MAGIC, 8) != 0) st = ecai__err(ECAI_EIO, "store_save: cannot re-read %s", p);
    else
      for (int k = 7; k >= 0; k--) sums[1] = (sums[1] << 8) | hdr[24 + k];
    if (f) fclose(f);
  }
  ecai__free(p);
  if (st) return st;
  p = join(dir, "index.bin");
  if (!p) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  st = ecai__index_save(s->idx, p, &sums[2]);
  ecai__free(p);
  if (st) return st;
  /* embedded content hashes */
  ecai__put_u64(&b, s->ndone);
  for (size_t i = 0; i < s->ndone; i++) ecai__put_u64(&b, s->done[i]);
  st = write_blob(dir, "embedded.bin", HSH_MAGIC, &b, &sums[3]);
  ecai__buf_free(&b);
  if (st) return st;
  /* a saved version starts without updates (they are in catalog.bin now) */
  p = join(dir, ECAI__JOURNAL_NAME);
  if (!p) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  if (unlink(p) && errno != ENOENT) st = ecai__err(ECAI_EIO, "store_save: cannot remove %s: %s", p, strerror(errno));
  ecai__free(p);
  if (st) return st;
  /* manifest last */
  char *ident = NULL;
  st = ecai_embedder_identity(&ident, NULL, s->emb);
  if (st) return st;
  ecai__buf_printf(&b,
                   "{\"format\":%u,\"library\":\"%s\",\"products\":%zu,\"index_type\":\"%s\",\"embedder\":%s,"
                   "\"files\":{\"catalog.bin\":\"%016llx\",\"embedder.bin\":\"%016llx\",\"index.bin\":\"%016llx\","
                   "\"embedded.bin\":\"%016llx\"}}",
                   ECAI__FORMAT_VERSION, ECAI_VERSION_STRING, ecai_catalog_count(s->cat), ecai__index_factory(s->idx),
                   ident, (unsigned long long)sums[0], (unsigned long long)sums[1], (unsigned long long)sums[2],
                   (unsigned long long)sums[3]);
  ecai__free(ident);
  st = write_blob(dir, "MANIFEST", MAN_MAGIC, &b, NULL);
  ecai__buf_free(&b);
  if (!st) snprintf(s->catalog_sum, sizeof s->catalog_sum, "%016llx", (unsigned long long)sums[0]);
  if (!st) st = ecai__store_live_saved(s, dir);
  return st;
}

static ecai_status open_folder(ecai_store **out, ecai_ctx *ctx, const char *real, const char *name);

static int sum_ok(json_t *files, const char *name, uint64_t sum) {
  const char *v = json_string_value(json_object_get(files, name));
  char want[17];
  snprintf(want, sizeof want, "%016llx", (unsigned long long)sum);
  return v && strcmp(v, want) == 0;
}

ecai_status ecai_store_open(ecai_store **out, ecai_ctx *ctx, const char *dir) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(dir);
  struct stat sb;
  errno = 0;
  if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
    return ecai__err(ECAI_EIO, "store_open: %s is not a folder: %s", dir, errno ? strerror(errno) : "not a directory");
  /* A published store is a symlink swapped atomically to a new folder: resolve it once, so
   * every file comes from one version even when the link moves while we read. */
  char *real = realpath(dir, NULL);
  if (!real) return ecai__err(ECAI_EIO, "store_open: %s: %s", dir, strerror(errno));
  ecai_status st = open_folder(out, ctx, real, dir);
  if (!st && (!((*out)->folder = ecai__strdup(real)) || !((*out)->opened_as = ecai__strdup(dir))))
    st = ecai__err(ECAI_ENOMEM, "store: out of memory");
  else if (!st)
    st = ecai__store_live_attach(*out, real); /* the shared update log: journal or Redis */
  if (st && *out) {
    ecai_store_free(*out);
    *out = NULL;
  }
  free(real);
  return st;
}

/* Maps file NAME of folder dir into *m; *mismatch set (and nothing mapped) when its
 * checksum is not the MANIFEST's. *path: the file's path (caller frees). */
static ecai_status map_file(ecai__map *m, char **path, const char *dir, const char *name, const char magic[8],
                            json_t *files, int *mismatch) {
  uint64_t sum = 0;
  *path = join(dir, name);
  if (!*path) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  ecai_status st = ecai__blob_map(*path, magic, m, &sum);
  if (!st && !sum_ok(files, name, sum)) {
    ecai__blob_unmap(m);
    *mismatch = 1;
  }
  return st;
}

/* catalog.bin of folder dir mapped, its strings used in place. */
static ecai_status open_catalog(ecai_catalog **out, ecai_ctx *ctx, const char *dir, json_t *files, int *mismatch) {
  ecai__map m;
  char *p = NULL;
  ecai_status st = map_file(&m, &p, dir, "catalog.bin", CAT_MAGIC, files, mismatch);
  if (!st && !*mismatch) {
    st = ecai__catalog_map(out, ctx, &m);
    if (st == ECAI_ECORRUPT) ecai__err_prefix(st, "store_open: %s", p);
  }
  ecai__free(p);
  return st;
}

/* embedder.bin of folder dir mapped, its fitted weights used in place. */
static ecai_status open_embedder(ecai_embedder **out, ecai_ctx *ctx, const char *dir, json_t *files, int *mismatch) {
  ecai__map m;
  char *p = NULL;
  ecai_status st = map_file(&m, &p, dir, "embedder.bin", EMB_MAGIC, files, mismatch);
  if (!st && !*mismatch) {
    st = ecai__embedder_map(out, ctx, &m);
    if (st == ECAI_ECORRUPT) ecai__err_prefix(st, "store_open: %s", p);
  }
  ecai__free(p);
  return st;
}

/* Opens the store in folder REAL (resolved); NAME is the caller's path, for messages. */
static ecai_status open_folder(ecai_store **out, ecai_ctx *ctx, const char *real, const char *name) {
  const char *dir = real;
  char *data = NULL;
  size_t len = 0;
  uint64_t sum = 0;
  json_t *man = NULL, *files = NULL;
  ecai_store *s = ecai__calloc(1, sizeof *s);
  if (!s) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  s->ctx = ctx;
  ecai_status st = ecai__store_live_init(s);
  if (!st) st = read_blob(dir, "MANIFEST", MAN_MAGIC, &data, &len, NULL);
  if (st) goto fail;
  if (ecai__json_parse(&man, data, len, "MANIFEST") != ECAI_OK || !json_is_object(man) ||
      json_integer_value(json_object_get(man, "format")) != ECAI__FORMAT_VERSION ||
      !json_is_object(files = json_object_get(man, "files"))) {
    st = ecai__err(ECAI_ECORRUPT, "store_open: %s/MANIFEST is damaged or of another format", dir);
    goto fail;
  }
  ecai__free(data);
  data = NULL;
  /* catalog: mapped, its strings used in place */
  int bad_sum = 0;
  st = open_catalog(&s->cat, ctx, dir, files, &bad_sum);
  if (bad_sum) goto mismatch;
  if (st) goto fail;
  /* embedder: mapped, its fitted weights used in place */
  st = open_embedder(&s->emb, ctx, dir, files, &bad_sum);
  if (bad_sum) goto mismatch;
  if (st) goto fail;
  /* index: a Flat one is mapped, not read (index.mmap) */
  char *ip = join(dir, "index.bin");
  if (!ip) {
    st = ecai__err(ECAI_ENOMEM, "store: out of memory");
    goto fail;
  }
  st = ecai__index_open_file(&s->idx, ctx, ip, &sum);
  ecai__free(ip);
  if (st) goto fail;
  if (!sum_ok(files, "index.bin", sum)) goto mismatch;
  /* embedded hashes */
  st = read_blob(dir, "embedded.bin", HSH_MAGIC, &data, &len, &sum);
  if (st) goto fail;
  if (!sum_ok(files, "embedded.bin", sum)) goto mismatch;
  {
    ecai__rd r = {data, len, 0, 0};
    uint64_t n = ecai__get_u64(&r);
    if (r.bad || n != (len - 8) / 8 || len != 8 + n * 8 || n > ecai__catalog_slots(s->cat)) {
      st = ecai__err(ECAI_ECORRUPT, "store_open: %s/embedded.bin is damaged", dir);
      goto fail;
    }
    s->done = ecai__malloc((n ? n : 1) * sizeof *s->done);
    if (!s->done) {
      st = ecai__err(ECAI_ENOMEM, "store: out of memory");
      goto fail;
    }
    for (uint64_t i = 0; i < n; i++) s->done[i] = ecai__get_u64(&r);
    s->ndone = (size_t)n;
  }
  ecai__free(data);
  data = NULL;
  st = ecai_index_check_embedder(s->idx, s->emb);
  if (st) {
    st = ecai__err(ECAI_ECORRUPT, "store_open: %s: index and embedder do not belong together", dir);
    goto fail;
  }
  snprintf(s->catalog_sum, sizeof s->catalog_sum, "%s", json_string_value(json_object_get(files, "catalog.bin")));
  json_decref(man);
  *out = s;
  return ECAI_OK;
mismatch:
  st = ecai__err(ECAI_ECORRUPT, "store_open: %s: files are from different saves (checksum differs from MANIFEST)", dir);
fail:
  if (st == ECAI_ECORRUPT && !strstr(ecai_last_error(), dir)) ecai__err_prefix(st, "store_open: %s", name);
  ecai__free(data);
  json_decref(man);
  ecai_store_free(s);
  return st;
}
