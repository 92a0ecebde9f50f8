/* The keyword delta: products whose text changed since the keyword index was built
 * (ecai_store_update_json) are masked out of the index's postings and scored from a small
 * in-memory side index instead (their terms and BM25F weights, recomputed from the
 * catalog at the first query after a change). Words the index has never seen get term ids
 * after its own; while there are any, the engine searches through an extended view of its
 * index (`ext`: the same postings, the term map, idf and posting starts grown by those
 * words, which have no postings of their own), so the query parser knows them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "index/index_internal.h"
#include "search/search_internal.h"
#include "text/text.h"

typedef struct dterm { uint32_t term; float w; } dterm;

typedef struct dentry {
  uint32_t doc;
  dterm *t; /* sorted by term */
  size_t n;
} dentry;

struct ecai__delta {
  uint64_t gen; /* the store's text generation it reflects */
  dentry *e;    /* in the order of the store's changed list */
  size_t n;
  double avg_title;
  ecai__bm25 *bm; /* the engine's own index */
  ecai_store *store;
  char **nw;      /* words new to bm's vocabulary (terms as indexed): ids bm->nterms + j */
  size_t nnew, capnew;
  ecai__smap nmap;        /* borrowed keys nw[j] -> j */
  ecai__bm25 *ext;        /* the view the engine uses while nnew > 0 (else NULL) */
  size_t ext_nnew;        /* words in ext's term map */
  float *ext_idf;         /* bm->nterms + nnew */
  uint32_t *ext_start;    /* bm->nterms + nnew + 1 */
};

/* Frees a view made by build_ext: its own term map and struct (the surface map, postings and
 * pools are bm's; idf and starts are the delta's). */
static void free_ext(ecai__bm25 *x) {
  if (!x) return;
  memset(&x->surf_map, 0, sizeof x->surf_map);
  ecai__bm25_free(x);
}

/* With the engine's index freed by ecai_search_free (the view when there is one). */
void ecai__delta_free(ecai__delta *dl) {
  if (!dl) return;
  for (size_t i = 0; i < dl->n; i++) ecai__free(dl->e[i].t);
  ecai__free(dl->e);
  if (dl->ext) { /* the engine freed the view (with the surface map it shared): free its own */
    memset(&dl->bm->surf_map, 0, sizeof dl->bm->surf_map);
    ecai__bm25_free(dl->bm);
  }
  for (size_t j = 0; j < dl->nnew; j++) ecai__free(dl->nw[j]);
  ecai__free(dl->nw);
  ecai__smap_free(&dl->nmap);
  ecai__free(dl->ext_idf);
  ecai__free(dl->ext_start);
  ecai__free(dl);
}

/* Term id of a word of a changed product: the index's, or a new one. -1 when out of memory. */
static int64_t term_id(ecai__delta *dl, const char *t, size_t len) {
  int64_t id = ecai__bm25_term(dl->bm, t, len);
  size_t j;
  if (id >= 0) return id;
  if (ecai__smap_get(&dl->nmap, t, len, &j)) return (int64_t)(dl->bm->nterms + j);
  if (dl->nnew == dl->capnew) {
    size_t nc = dl->capnew ? 2 * dl->capnew : 16;
    char **nn = ecai__realloc(dl->nw, nc * sizeof *nn);
    if (!nn) return -1;
    dl->nw = nn;
    dl->capnew = nc;
  }
  char *w = ecai__strndup(t, len);
  if (!w || !ecai__smap_set(&dl->nmap, w, len, dl->nnew)) {
    ecai__free(w);
    return -1;
  }
  dl->nw[dl->nnew] = w;
  return (int64_t)(dl->bm->nterms + dl->nnew++);
}

/* (Re)builds the extended view after a refresh: idf of the new words from the changed
 * products that have them, empty posting ranges, and (when words were added) the term map. */
static ecai_status build_ext(ecai__delta *dl) {
  const ecai__bm25 *bm = dl->bm;
  size_t nt = bm->nterms + dl->nnew;
  float *idf = ecai__malloc(nt * sizeof *idf);
  uint32_t *start = ecai__malloc((nt + 1) * sizeof *start), *df = ecai__calloc(dl->nnew, sizeof *df);
  ecai__bm25 *x = NULL;
  if (!idf || !start || !df) goto oom;
  memcpy(idf, bm->idf, bm->nterms * sizeof *idf);
  memcpy(start, bm->post_start, (bm->nterms + 1) * sizeof *start);
  for (size_t i = bm->nterms + 1; i <= nt; i++) start[i] = (uint32_t)bm->npost;
  for (size_t i = 0; i < dl->n; i++)
    for (size_t k = 0; k < dl->e[i].n; k++)
      if (dl->e[i].t[k].term >= bm->nterms) df[dl->e[i].t[k].term - bm->nterms]++;
  for (size_t j = 0; j < dl->nnew; j++)
    idf[bm->nterms + j] = (float)log(1.0 + ((double)bm->ndocs - df[j] + 0.5) / (df[j] + 0.5));
  ecai__free(df);
  df = NULL;
  if (dl->ext && dl->ext_nnew == dl->nnew) { /* same words: new figures only */
    dl->ext->idf = idf;
    dl->ext->post_start = start;
  } else {
    if (!(x = ecai__calloc(1, sizeof *x))) goto oom;
    *x = *bm;
    x->view = 1;
    memset(&x->file, 0, sizeof x->file);
    x->owned = NULL;
    x->nterms = nt;
    x->idf = idf;
    x->post_start = start;
    ecai__smap_init_borrowed(&x->map); /* bm's terms (keys in its pool) and the new words */
    if (!ecai__smap_reserve(&x->map, nt + 1)) goto oom;
    for (size_t t = 0; t < bm->nterms; t++) {
      const char *k = bm->terms + bm->term_off[t];
      if (!ecai__smap_set(&x->map, k, strlen(k), t)) goto oom;
    }
    for (size_t j = 0; j < dl->nnew; j++)
      if (!ecai__smap_set(&x->map, dl->nw[j], strlen(dl->nw[j]), bm->nterms + j)) goto oom;
    free_ext(dl->ext);
    dl->ext = x;
    dl->ext_nnew = dl->nnew;
  }
  ecai__free(dl->ext_idf);
  ecai__free(dl->ext_start);
  dl->ext_idf = idf;
  dl->ext_start = start;
  return ECAI_OK;
oom:
  if (x) ecai__smap_free(&x->map);
  ecai__free(x);
  ecai__free(idf), ecai__free(start), ecai__free(df);
  return ecai__err(ECAI_ENOMEM, "search: out of memory");
}

static int cmp_dterm(const void *a, const void *b) {
  const dterm *x = a, *y = b;
  return x->term < y->term ? -1 : x->term > y->term;
}

static int letters_only(const char *w, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (w[i] >= '0' && w[i] <= '9') return 0;
  return 1;
}

/* Terms of product d (as bm25.c indexes them) with their BM25F weights. The title's length
 * is normalised by the index's average title length; the other fields count as of
 * average length (the index does not keep their averages). */
static ecai_status index_doc(ecai__delta *dl, ecai__tokenizer *tk, ecai__tokens *toks, uint32_t d, dentry *out) {
  const ecai__bm25 *bm = dl->bm;
  const ecai__product *p = ecai__catalog_product(ecai_store_catalog(dl->store), d);
  out->doc = d;
  out->n = 0;
  if (!p) return ECAI_OK;
  const char *fv[ECAI__NFIELDS] = {p->title, p->brand, p->cat, p->desc};
  dterm *tf = NULL; /* (term, field) counts, field in the low bits of w while counting */
  size_t n = 0, cap = 0;
  size_t flen[ECAI__NFIELDS] = {0};
  uint8_t *field = NULL;
  for (int f = 0; f < ECAI__NFIELDS; f++) {
    if (!fv[f] || !*fv[f] || bm->wf[f] <= 0) continue;
    ecai_status st = ecai__tokenize(tk, fv[f], strlen(fv[f]), ECAI__TOKF_STOP, toks);
    if (st) {
      ecai__free(tf), ecai__free(field);
      return st;
    }
    for (size_t i = 0; i < toks->n; i++) {
      const char *w = toks->text + toks->off[i];
      size_t wl = toks->len[i], tl = wl;
      const char *term = w;
      if (toks->kind[i] == ECAI__TOK_WORD && wl >= 3 && letters_only(w, wl)) term = ecai__stem(tk, w, wl, &tl);
      flen[f]++;
      int64_t t = term ? term_id(dl, term, tl) : -1;
      if (t < 0) {
        ecai__free(tf), ecai__free(field);
        return ecai__err(ECAI_ENOMEM, "search: out of memory");
      }
      if (n == cap) {
        cap = cap ? 2 * cap : 64;
        dterm *nt = ecai__realloc(tf, cap * sizeof *nt);
        uint8_t *nf = nt ? ecai__realloc(field, cap) : NULL;
        if (nt) tf = nt;
        if (!nf) {
          ecai__free(tf), ecai__free(field);
          return ecai__err(ECAI_ENOMEM, "search: out of memory");
        }
        field = nf;
      }
      tf[n].term = (uint32_t)t;
      tf[n].w = 1;
      field[n++] = (uint8_t)f;
    }
  }
  /* tf~ per term = sum over its occurrences of wf / norm(field) */
  for (size_t i = 0; i < n; i++) {
    int f = field[i];
    double avg = f == 0 ? dl->avg_title : (double)flen[f];
    double norm = 1.0 - bm->b + bm->b * (avg > 0 ? (double)flen[f] / avg : 1.0);
    tf[i].w = (float)(bm->wf[f] / norm);
  }
  ecai__free(field);
  qsort(tf, n, sizeof *tf, cmp_dterm);
  size_t m = 0;
  for (size_t i = 0; i < n;) {
    uint32_t t = tf[i].term;
    double s = 0;
    for (; i < n && tf[i].term == t; i++) s += tf[i].w;
    tf[m].term = t;
    tf[m++].w = (float)((bm->k1 + 1.0) * s / (bm->k1 + s));
  }
  out->t = tf;
  out->n = m;
  return ECAI_OK;
}

typedef struct sync_arg { ecai__delta **dl; ecai__bm25 **bm; ecai_store *store; } sync_arg;

/* Under the store's exclusive lock: re-indexes the products changed since dl->gen. */
static ecai_status refresh(void *arg) {
  sync_arg *a = arg;
  ecai__delta *dl = *a->dl;
  uint64_t gen = ecai__store_text_gen(a->store);
  if (dl && dl->gen == gen) return ECAI_OK;
  if (!dl) {
    if (!(dl = ecai__calloc(1, sizeof *dl))) return ecai__err(ECAI_ENOMEM, "search: out of memory");
    dl->bm = *a->bm;
    dl->store = a->store;
    ecai__smap_init_borrowed(&dl->nmap);
    double sum = 0;
    size_t nt = 0;
    for (size_t d = 0; d < dl->bm->ndocs; d++)
      if (dl->bm->title_len[d]) sum += dl->bm->title_len[d], nt++;
    dl->avg_title = nt ? sum / (double)nt : 1.0;
    *a->dl = dl;
  }
  const uint32_t *ids;
  const uint64_t *gens;
  size_t n = ecai__store_changed(a->store, &ids, &gens);
  if (n > dl->n) {
    dentry *ne = ecai__realloc(dl->e, n * sizeof *ne);
    if (!ne) return ecai__err(ECAI_ENOMEM, "search: out of memory");
    memset(ne + dl->n, 0, (n - dl->n) * sizeof *ne);
    dl->e = ne;
  }
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  ecai_status st = ecai__tokenizer_new(&tk);
  for (size_t i = 0; !st && i < n; i++) {
    if (i < dl->n && gens[i] <= dl->gen) continue;
    if (ids[i] >= dl->bm->ndocs) continue; /* a product added after the index was built */
    dentry e = {0};
    st = index_doc(dl, tk, &toks, ids[i], &e);
    if (st) break;
    ecai__free(dl->e[i].t);
    dl->e[i] = e;
  }
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(tk);
  if (!st) {
    dl->n = n;
    if (dl->nnew) st = build_ext(dl);
  }
  if (st) return st;
  *a->bm = dl->ext ? dl->ext : dl->bm; /* no query runs: the lock is held exclusively */
  dl->gen = gen;
  return ECAI_OK;
}

/* Under the store's lock (shared): whether the delta reflects every text change. */
static int current(void *arg) {
  sync_arg *a = arg;
  uint64_t gen = ecai__store_text_gen(a->store);
  return *a->dl ? (*a->dl)->gen == gen : gen == 0;
}

ecai_status ecai__delta_begin(ecai__delta **dl, ecai__bm25 **bm, ecai_store *store) {
  sync_arg a = {dl, bm, store};
  return ecai__store_read_begin(store, current, refresh, &a);
}

void ecai__delta_end(ecai_store *store) { ecai__store_read_end(store); }

static float weight(const dentry *e, uint32_t t) {
  size_t lo = 0, hi = e->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (e->t[mid].term < t) lo = mid + 1;
    else hi = mid;
  }
  return lo < e->n && e->t[lo].term == t ? e->t[lo].w : 0;
}

ecai_status ecai__delta_rescore(const ecai__delta *dl, const ecai__bm25 *bm, const int64_t *term0, size_t stride,
                                size_t nq, float *acc, uint32_t *mask, uint32_t **touched, size_t *nt) {
  if (!dl || !dl->n) return ECAI_OK;
  int dropped = 0;
  for (size_t i = 0; i < dl->n; i++) {
    const dentry *e = &dl->e[i];
    if (e->doc >= bm->ndocs) continue;
    uint32_t d = e->doc, old = mask[d], m = 0;
    float s = 0;
    for (size_t j = 0; j < nq && j < 32; j++) {
      int64_t t = *(const int64_t *)(const void *)((const char *)term0 + j * stride);
      float w = t >= 0 ? weight(e, (uint32_t)t) : 0;
      if (w > 0) s += bm->idf[t] * w, m |= 1u << j;
    }
    acc[d] = s;
    mask[d] = m;
    if (m && !old) { /* now matches: one more touched doc */
      uint32_t *nt2 = ecai__realloc(*touched, (*nt + 1) * sizeof *nt2);
      if (!nt2) return ecai__err(ECAI_ENOMEM, "search: out of memory");
      *touched = nt2;
      (*touched)[(*nt)++] = d;
    } else if (!m && old) {
      dropped = 1;
    }
  }
  if (dropped) { /* products that no longer match leave the touched list */
    size_t k = 0;
    for (size_t i = 0; i < *nt; i++)
      if (mask[(*touched)[i]]) (*touched)[k++] = (*touched)[i];
    *nt = k;
  }
  return ECAI_OK;
}

ecai_status ecai__delta_fresh(ecai__bm25 **fresh, ecai__bm25 *const *bmp, ecai_store *store) {
  *fresh = NULL;
  ecai_status st = ecai__store_read_begin(store, NULL, NULL, NULL);
  if (st) return st;
  const uint32_t *ids;
  const uint64_t *gens;
  const ecai__bm25 *bm = *bmp; /* read under the lock: a query may swap in an extended view */
  if (ecai__store_changed(store, &ids, &gens) > 0) /* the postings miss the changed texts */
    st = ecai__bm25_build(fresh, ecai_store_catalog(store), bm->k1, bm->b, bm->wf);
  ecai__store_read_end(store);
  return st;
}
