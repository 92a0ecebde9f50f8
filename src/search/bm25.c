/* BM25F keyword index over the shared tokenizer: build, persist, look up, correct typos. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "search/search_internal.h"
#include "text/text.h"

typedef struct tokrec { uint32_t term; uint8_t field; } tokrec;
typedef struct vec32 { uint32_t *v; size_t n, cap; } vec32;

static int v32_push(vec32 *a, uint32_t x) {
  if (a->n == a->cap) {
    size_t nc = a->cap ? a->cap * 2 : 1024;
    uint32_t *nv = ecai__realloc(a->v, nc * sizeof *nv);
    if (!nv) return -1;
    a->v = nv;
    a->cap = nc;
  }
  a->v[a->n++] = x;
  return 0;
}

/* Appends s (NUL-terminated copy) to a string pool; returns offset or -1. */
static int64_t pool_add(char **pool, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t nc = *cap ? *cap * 2 : 4096;
    while (nc < *len + n + 1) nc *= 2;
    char *np = ecai__realloc(*pool, nc);
    if (!np) return -1;
    *pool = np;
    *cap = nc;
  }
  memcpy(*pool + *len, s, n);
  (*pool)[*len + n] = 0;
  int64_t off = (int64_t)*len;
  *len += n + 1;
  return off;
}

void ecai__bm25_free(ecai__bm25 *x) {
  if (!x) return;
  ecai__smap_free(&x->map);
  ecai__smap_free(&x->surf_map);
  if (x->view) {
    ecai__blob_unmap(&x->file);
    ecai__free(x->owned);
    ecai__free(x);
    return;
  }
  ecai__free(x->terms);
  ecai__free(x->term_off);
  ecai__free(x->idf);
  ecai__free(x->post_start);
  ecai__free(x->post_doc);
  ecai__free(x->post_w);
  ecai__free(x->title_len);
  ecai__free(x->tstart);
  ecai__free(x->ttok);
  ecai__free(x->surf);
  ecai__free(x->surf_off);
  ecai__free(x->surf_term);
  ecai__free(x->surf_df);
  ecai__free(x);
}

int64_t ecai__bm25_term(const ecai__bm25 *x, const char *t, size_t len) {
  size_t v;
  return ecai__smap_get(&x->map, t, len, &v) ? (int64_t)v : -1;
}

static int letters_only(const char *w, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)w[i] >= '0' && (unsigned char)w[i] <= '9') return 0;
  return 1;
}

/* Rebuilds the two lookup maps from the pools (borrowed keys). */
static int build_maps(ecai__bm25 *x) {
  ecai__smap_init_borrowed(&x->map);
  ecai__smap_init_borrowed(&x->surf_map);
  if (!ecai__smap_reserve(&x->map, x->nterms + 1) || !ecai__smap_reserve(&x->surf_map, x->nsurf + 1)) return -1;
  for (size_t i = 0; i < x->nterms; i++) {
    const char *t = x->terms + x->term_off[i];
    if (!ecai__smap_set(&x->map, t, strlen(t), i)) return -1;
  }
  for (size_t i = 0; i < x->nsurf; i++) {
    const char *t = x->surf + x->surf_off[i];
    if (!ecai__smap_set(&x->surf_map, t, strlen(t), i)) return -1;
  }
  return 0;
}

static int cmp_tok(const void *a, const void *b) {
  const tokrec *x = a, *y = b;
  return x->term < y->term ? -1 : x->term > y->term ? 1 : x->field - y->field;
}

ecai_status ecai__bm25_build(ecai__bm25 **out, const ecai_catalog *cat, double k1, double b,
                             const double wf[ECAI__NFIELDS]) {
  *out = NULL;
  ecai__bm25 *x = ecai__calloc(1, sizeof *x);
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  vec32 stream = {0}, fields = {0}, dstart = {0}, tf = {0}; /* token stream: term<<2|field per doc */
  ecai__smap tmap = {0}, smap = {0};                       /* owned-key maps while building */
  char *tpool = NULL, *spool = NULL;
  size_t tlen = 0, tcap = 0, slen = 0, scap = 0;
  vec32 toff = {0}, soff = {0}, sterm = {0}, sdf = {0}, slast = {0};
  uint32_t *flen = NULL;
  tokrec *tr = NULL;
  uint32_t *cnt = NULL;
  ecai_status st = ECAI_OK;
  if (!x) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  x->k1 = k1;
  x->b = b;
  memcpy(x->wf, wf, sizeof x->wf);
  size_t slots = ecai__catalog_slots(cat);
  x->ndocs = slots;
  st = ecai__tokenizer_new(&tk);
  if (st) goto fail;
  flen = ecai__calloc((slots ? slots : 1) * ECAI__NFIELDS, sizeof *flen);
  x->title_len = ecai__calloc(slots ? slots : 1, sizeof *x->title_len);
  if (!flen || !x->title_len) goto oom;
  double avg[ECAI__NFIELDS] = {0};
  size_t alive = 0;
  for (size_t d = 0; d < slots; d++) {
    if (v32_push(&dstart, (uint32_t)stream.n)) goto oom;
    const ecai__product *p = ecai__catalog_product(cat, (int64_t)d);
    if (!p) continue;
    alive++;
    const char *fv[ECAI__NFIELDS] = {p->title, p->brand, p->cat, p->desc};
    for (int f = 0; f < ECAI__NFIELDS; f++) {
      if (!fv[f] || !*fv[f] || wf[f] <= 0) continue;
      st = ecai__tokenize(tk, fv[f], strlen(fv[f]), ECAI__TOKF_STOP, &toks);
      if (st) {
        ecai__err_prefix(st, "search: product '%s'", p->sku);
        goto fail;
      }
      for (size_t i = 0; i < toks.n; i++) {
        const char *w = toks.text + toks.off[i];
        size_t wl = toks.len[i];
        const char *term = w;
        size_t tl = wl;
        int surface = toks.kind[i] == ECAI__TOK_WORD && wl >= 3 && letters_only(w, wl);
        if (surface) {
          term = ecai__stem(tk, w, wl, &tl);
          if (!term) goto oom;
        }
        size_t id = toff.n;
        bool found = false;
        if (!ecai__smap_put(&tmap, term, tl, &id, &found)) goto oom;
        if (!found) {
          int64_t o = pool_add(&tpool, &tlen, &tcap, term, tl);
          if (o < 0 || v32_push(&toff, (uint32_t)o)) goto oom;
        }
        if (surface) {
          size_t sid = soff.n;
          bool sf = false;
          if (!ecai__smap_put(&smap, w, wl, &sid, &sf)) goto oom;
          if (!sf) {
            int64_t o = pool_add(&spool, &slen, &scap, w, wl);
            if (o < 0 || v32_push(&soff, (uint32_t)o) || v32_push(&sterm, (uint32_t)id) || v32_push(&sdf, 0) ||
                v32_push(&slast, UINT32_MAX))
              goto oom;
          }
          if (slast.v[sid] != (uint32_t)d) {
            slast.v[sid] = (uint32_t)d;
            sdf.v[sid]++;
          }
        }
        if (v32_push(&stream, (uint32_t)id) || v32_push(&fields, (uint32_t)f)) goto oom;
        flen[d * ECAI__NFIELDS + f]++;
      }
    }
    for (int f = 0; f < ECAI__NFIELDS; f++) avg[f] += flen[d * ECAI__NFIELDS + f];
    x->title_len[d] = (uint16_t)(flen[d * ECAI__NFIELDS] > 65535 ? 65535 : flen[d * ECAI__NFIELDS]);
  }
  if (v32_push(&dstart, (uint32_t)stream.n)) goto oom;
  for (int f = 0; f < ECAI__NFIELDS; f++) avg[f] = alive && avg[f] > 0 ? avg[f] / (double)alive : 1.0;
  size_t nterms = toff.n;
  /* per doc: group its tokens by term, compute the BM25F weight, count postings */
  cnt = ecai__calloc(nterms + 1, sizeof *cnt);
  tr = ecai__malloc((stream.n ? stream.n : 1) * sizeof *tr);
  vec32 pdoc = {0}, pterm = {0};
  float *pw = NULL;
  size_t npw = 0, pwcap = 0;
  if (!cnt || !tr) goto oom;
  for (size_t d = 0; d < slots; d++) {
    size_t a = dstart.v[d], e = dstart.v[d + 1];
    if (a == e) continue;
    for (size_t i = a; i < e; i++) tr[i - a] = (tokrec){stream.v[i], (uint8_t)fields.v[i]};
    qsort(tr, e - a, sizeof *tr, cmp_tok);
    size_t i = 0, n = e - a;
    while (i < n) {
      uint32_t t = tr[i].term;
      double tfw = 0;
      while (i < n && tr[i].term == t) {
        int f = tr[i].field;
        size_t c = 0;
        while (i < n && tr[i].term == t && tr[i].field == f) c++, i++;
        double norm = 1.0 - b + b * (double)flen[d * ECAI__NFIELDS + f] / avg[f];
        tfw += wf[f] * (double)c / norm;
      }
      if (npw == pwcap) {
        size_t nc = pwcap ? pwcap * 2 : 4096;
        float *np = ecai__realloc(pw, nc * sizeof *np);
        if (!np) {
          ecai__free(pdoc.v), ecai__free(pterm.v), ecai__free(pw);
          goto oom;
        }
        pw = np;
        pwcap = nc;
      }
      pw[npw++] = (float)((k1 + 1.0) * tfw / (k1 + tfw));
      if (v32_push(&pdoc, (uint32_t)d) || v32_push(&pterm, t)) {
        ecai__free(pdoc.v), ecai__free(pterm.v), ecai__free(pw);
        goto oom;
      }
      cnt[t]++;
    }
  }
  /* counting sort of postings by term (docs stay ascending) */
  x->nterms = nterms;
  x->npost = npw;
  x->post_start = ecai__malloc((nterms + 1) * sizeof *x->post_start);
  x->post_doc = ecai__malloc((npw ? npw : 1) * sizeof *x->post_doc);
  x->post_w = ecai__malloc((npw ? npw : 1) * sizeof *x->post_w);
  x->idf = ecai__malloc((nterms ? nterms : 1) * sizeof *x->idf);
  if (!x->post_start || !x->post_doc || !x->post_w || !x->idf) {
    ecai__free(pdoc.v), ecai__free(pterm.v), ecai__free(pw);
    goto oom;
  }
  uint32_t acc = 0;
  for (size_t t = 0; t < nterms; t++) {
    x->post_start[t] = acc;
    double df = cnt[t];
    x->idf[t] = (float)log(1.0 + ((double)alive - df + 0.5) / (df + 0.5));
    acc += cnt[t];
    cnt[t] = x->post_start[t];
  }
  x->post_start[nterms] = acc;
  for (size_t i = 0; i < npw; i++) {
    uint32_t pos = cnt[pterm.v[i]]++;
    x->post_doc[pos] = pdoc.v[i];
    x->post_w[pos] = pw[i];
  }
  ecai__free(pdoc.v);
  ecai__free(pterm.v);
  ecai__free(pw);
  /* title term streams (phrase features at query time) */
  x->tstart = ecai__malloc((slots + 1) * sizeof *x->tstart);
  x->ttok = ecai__malloc((stream.n ? stream.n : 1) * sizeof *x->ttok);
  if (!x->tstart || !x->ttok) goto oom;
  x->nttok = 0;
  for (size_t d = 0; d < slots; d++) {
    x->tstart[d] = (uint32_t)x->nttok;
    for (size_t i = dstart.v[d]; i < dstart.v[d + 1]; i++)
      if (fields.v[i] == 0) x->ttok[x->nttok++] = stream.v[i];
  }
  x->tstart[slots] = (uint32_t)x->nttok;
  /* hand the pools over */
  x->terms = tpool, x->terms_len = tlen, tpool = NULL;
  x->term_off = toff.v, toff.v = NULL;
  x->surf = spool, x->surf_len = slen, spool = NULL;
  x->nsurf = soff.n;
  x->surf_off = soff.v, soff.v = NULL;
  x->surf_term = sterm.v, sterm.v = NULL;
  x->surf_df = sdf.v, sdf.v = NULL;
  if (!x->terms) x->terms = ecai__calloc(1, 1);
  if (!x->surf) x->surf = ecai__calloc(1, 1);
  if (!x->terms || !x->surf || build_maps(x)) goto oom;
  goto out;
oom:
  st = ecai__err(ECAI_ENOMEM, "search: out of memory");
fail:
  ecai__bm25_free(x);
  x = NULL;
out:
  ecai__tokenizer_free(tk);
  ecai__tokens_free(&toks);
  ecai__free(stream.v), ecai__free(fields.v), ecai__free(dstart.v), ecai__free(tf.v);
  ecai__smap_free(&tmap);
  ecai__smap_free(&smap);
  ecai__free(tpool), ecai__free(spool);
  ecai__free(toff.v), ecai__free(soff.v), ecai__free(sterm.v), ecai__free(sdf.v), ecai__free(slast.v);
  ecai__free(flen), ecai__free(tr), ecai__free(cnt);
  *out = x;
  return st;
}

/* ---- persistence ---------------------------------------------------------------------- */

static uint32_t *get_arr32(ecai__rd *r, size_t n) {
  if (n > r->len / 4 + 1) { r->bad = 1; return NULL; }
  uint32_t *a = ecai__malloc((n ? n : 1) * sizeof *a);
  if (!a) return NULL;
  for (size_t i = 0; i < n; i++) a[i] = ecai__get_u32(r);
  return a;
}

static char *get_pool(ecai__rd *r, size_t n) {
  const void *p = ecai__get_bytes(r, n);
  if (!p || (n && ((const char *)p)[n - 1] != 0)) { r->bad = 1; return NULL; }
  char *s = ecai__malloc(n ? n : 1);
  if (s) {
    if (n) memcpy(s, p, n);
    else s[0] = 0;
  }
  return s;
}

/* Offsets inside the pools, postings sorted and in range, title terms known. */
static int structure_ok(const ecai__bm25 *x) {
  for (size_t i = 0; i < x->nterms; i++)
    if (x->term_off[i] >= x->terms_len || !isfinite(x->idf[i]) || x->post_start[i] > x->post_start[i + 1]) return 0;
  if (x->post_start[0] != 0 || x->post_start[x->nterms] != x->npost) return 0;
  for (size_t i = 0; i < x->npost; i++)
    if (x->post_doc[i] >= x->ndocs || !isfinite(x->post_w[i])) return 0;
  if (x->tstart[0] != 0 || x->tstart[x->ndocs] != x->nttok) return 0;
  for (size_t i = 0; i < x->ndocs; i++)
    if (x->tstart[i] > x->tstart[i + 1]) return 0;
  for (size_t i = 0; i < x->nttok; i++)
    if (x->ttok[i] >= x->nterms) return 0;
  for (size_t i = 0; i < x->nsurf; i++)
    if (x->surf_off[i] >= x->surf_len || x->surf_term[i] >= x->nterms) return 0;
  return 1;
}

/* The common end of both readers: X read WHOLE (every byte used, pools terminated) must also
 * pass the structure check; then its term maps are built and it goes to *out. X is freed on
 * any failure. */
static ecai_status finish_read(ecai__bm25 **out, ecai__bm25 *x, int whole) {
  if (!whole || !structure_ok(x)) {
    ecai__bm25_free(x);
    return ecai__err(ECAI_ECORRUPT, "search: the keyword index is damaged");
  }
  if (build_maps(x)) {
    ecai__bm25_free(x);
    return ecai__err(ECAI_ENOMEM, "search: out of memory");
  }
  *out = x;
  return ECAI_OK;
}

ecai_status ecai__bm25_read(ecai__bm25 **out, const char *data, size_t len) {
  *out = NULL;
  ecai__rd r = {data, len, 0, 0};
  ecai__bm25 *x = ecai__calloc(1, sizeof *x);
  if (!x) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  x->ndocs = ecai__get_u64(&r);
  x->nterms = ecai__get_u64(&r);
  x->npost = ecai__get_u64(&r);
  x->nsurf = ecai__get_u64(&r);
  x->terms_len = ecai__get_u64(&r);
  x->surf_len = ecai__get_u64(&r);
  x->k1 = ecai__get_f64(&r);
  x->b = ecai__get_f64(&r);
  for (int f = 0; f < ECAI__NFIELDS; f++) x->wf[f] = ecai__get_f64(&r);
  int oom = 0;
  if (r.bad || x->ndocs > len || x->nterms > len || x->npost > len || x->nsurf > len || x->terms_len > len ||
      x->surf_len > len)
    goto corrupt;
#define RD(field, expr) do { if (!r.bad) { field = expr; if (!field && !r.bad) oom = 1; } } while (0)
  RD(x->terms, get_pool(&r, x->terms_len));
  RD(x->surf, get_pool(&r, x->surf_len));
  RD(x->term_off, get_arr32(&r, x->nterms));
  RD(x->idf, (float *)get_arr32(&r, x->nterms));
  RD(x->post_start, get_arr32(&r, x->nterms + 1));
  RD(x->post_doc, get_arr32(&r, x->npost));
  RD(x->post_w, (float *)get_arr32(&r, x->npost));
  uint32_t *tl = NULL;
  RD(tl, get_arr32(&r, x->ndocs));
  x->nttok = ecai__get_u64(&r);
  if (x->nttok > len) r.bad = 1;
  RD(x->tstart, get_arr32(&r, x->ndocs + 1));
  RD(x->ttok, get_arr32(&r, x->nttok));
  RD(x->surf_off, get_arr32(&r, x->nsurf));
  RD(x->surf_term, get_arr32(&r, x->nsurf));
  RD(x->surf_df, get_arr32(&r, x->nsurf));
#undef RD
  if (tl && !oom && !r.bad) {
    x->title_len = ecai__malloc((x->ndocs ? x->ndocs : 1) * sizeof *x->title_len);
    if (!x->title_len) oom = 1;
    else
      for (size_t i = 0; i < x->ndocs; i++) x->title_len[i] = (uint16_t)(tl[i] > 65535 ? 65535 : tl[i]);
  }
  ecai__free(tl);
  if (oom) {
    ecai__bm25_free(x);
    return ecai__err(ECAI_ENOMEM, "search: out of memory");
  }
  return finish_read(out, x, !r.bad && r.pos == len);
corrupt:
  return finish_read(out, x, 0);
}

/* ---- typo correction ------------------------------------------------------------------ */

int ecai__edit_distance(const char *a, size_t al, const char *b, size_t bl, int maxd) {
  if (al > 63 || bl > 63) return maxd + 1;
  if ((al > bl ? al - bl : bl - al) > (size_t)maxd) return maxd + 1;
  int prev[64], cur[64];
  for (size_t j = 0; j <= bl; j++) prev[j] = (int)j;
  for (size_t i = 1; i <= al; i++) {
    cur[0] = (int)i;
    int best = cur[0];
    for (size_t j = 1; j <= bl; j++) {
      int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
      if (prev[j] + 1 < c) c = prev[j] + 1;
      if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
      cur[j] = c;
      if (c < best) best = c;
    }
    if (best > maxd) return maxd + 1;
    memcpy(prev, cur, (bl + 1) * sizeof *prev);
  }
  return prev[bl];
}

int64_t ecai__bm25_correct(const ecai__bm25 *x, const char *w, size_t len, int maxd, const char **fixed) {
  int64_t best = -1;
  int bestd = maxd + 1;
  uint32_t bestdf = 0;
  for (size_t i = 0; i < x->nsurf; i++) {
    const char *s = x->surf + x->surf_off[i];
    size_t sl = strlen(s);
    if ((sl > len ? sl - len : len - sl) > (size_t)maxd) continue;
    if (s[0] != w[0] && (len < 2 || sl < 2 || s[1] != w[1])) continue; /* first or second letter kept */
    int d = ecai__edit_distance(w, len, s, sl, maxd);
    if (d <= maxd && (d < bestd || (d == bestd && x->surf_df[i] > bestdf))) {
      best = (int64_t)i;
      bestd = d;
      bestdf = x->surf_df[i];
    }
  }
  if (best < 0) return -1;
  if (fixed) *fixed = x->surf + x->surf_off[best];
  return (int64_t)x->surf_term[best];
}

/* ---- the mapped layout ------------------------------------------------------------------
 * u32 layout (1), u32 0xFFFFFFFF (as the first u64 of the older layout, ndocs, it is
 * impossibly large, so the two are told apart), u64 ndocs, nterms, npost, nsurf, terms_len, surf_len, nttok,
 * f64 k1, b, wf[ECAI__NFIELDS], then little-endian arrays: u32 term_off[nterms],
 * f32 idf[nterms], u32 post_start[nterms + 1], u32 post_doc[npost], f32 post_w[npost],
 * u32 tstart[ndocs + 1], u32 ttok[nttok], u32 surf_off[nsurf], u32 surf_term[nsurf],
 * u32 surf_df[nsurf], u16 title_len[ndocs] (+ 2 bytes of padding when ndocs is odd),
 * char terms[terms_len], char surf[surf_len]. Written and read on little-endian hosts. */

#define BM25_LAYOUT 1u

void ecai__bm25_write_mapped(const ecai__bm25 *x, ecai__buf *b) {
  ecai__put_u32(b, BM25_LAYOUT);
  ecai__put_u32(b, UINT32_MAX);
  const size_t n[7] = {x->ndocs, x->nterms, x->npost, x->nsurf, x->terms_len, x->surf_len, x->nttok};
  for (int i = 0; i < 7; i++) ecai__put_u64(b, n[i]);
  ecai__put_f64(b, x->k1);
  ecai__put_f64(b, x->b);
  for (int f = 0; f < ECAI__NFIELDS; f++) ecai__put_f64(b, x->wf[f]);
  ecai__buf_append(b, x->term_off, x->nterms * 4);
  ecai__buf_append(b, x->idf, x->nterms * 4);
  ecai__buf_append(b, x->post_start, (x->nterms + 1) * 4);
  ecai__buf_append(b, x->post_doc, x->npost * 4);
  ecai__buf_append(b, x->post_w, x->npost * 4);
  ecai__buf_append(b, x->tstart, (x->ndocs + 1) * 4);
  ecai__buf_append(b, x->ttok, x->nttok * 4);
  ecai__buf_append(b, x->surf_off, x->nsurf * 4);
  ecai__buf_append(b, x->surf_term, x->nsurf * 4);
  ecai__buf_append(b, x->surf_df, x->nsurf * 4);
  ecai__buf_append(b, x->title_len, x->ndocs * 2);
  if (x->ndocs % 2) ecai__buf_append(b, "\0", 2);
  ecai__buf_append(b, x->terms, x->terms_len);
  ecai__buf_append(b, x->surf, x->surf_len);
}

int ecai__bm25_is_mapped_layout(const char *data, size_t len) {
  ecai__rd r = {data, len, 0, 0};
  uint32_t layout = ecai__get_u32(&r);
  return ecai__get_u32(&r) == UINT32_MAX && !r.bad && layout == BM25_LAYOUT;
}

/* n elements of elem bytes at the reader's position, in place */
static void *view_arr(ecai__rd *r, size_t n, size_t elem) {
  if (r->bad || n > (r->len - r->pos) / elem) {
    r->bad = 1;
    return NULL;
  }
  return (void *)ecai__get_bytes(r, n * elem);
}

ecai_status ecai__bm25_view(ecai__bm25 **out, const char *data, size_t len) {
  *out = NULL;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  return ecai__err(ECAI_EUNSUPPORTED, "search: mapped keyword indexes are little-endian; this host is not");
#endif
  if ((uintptr_t)data % 4) return ecai__err(ECAI_EINVAL, "search: keyword index data not 4-byte aligned");
  ecai__rd r = {data, len, 0, 0};
  if (!ecai__bm25_is_mapped_layout(data, len))
    return ecai__err(ECAI_ECORRUPT, "search: keyword index of an unknown layout (this library reads %u)", BM25_LAYOUT);
  ecai__get_bytes(&r, 8); /* layout, marker */
  ecai__bm25 *x = ecai__calloc(1, sizeof *x);
  if (!x) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  x->view = 1;
  uint64_t n[7];
  for (int i = 0; i < 7; i++) {
    n[i] = ecai__get_u64(&r);
    if (n[i] > len) r.bad = 1;
  }
  x->k1 = ecai__get_f64(&r);
  x->b = ecai__get_f64(&r);
  for (int f = 0; f < ECAI__NFIELDS; f++) x->wf[f] = ecai__get_f64(&r);
  if (r.bad) goto corrupt;
  x->ndocs = n[0];
  x->nterms = n[1];
  x->npost = n[2];
  x->nsurf = n[3];
  x->terms_len = n[4];
  x->surf_len = n[5];
  x->nttok = n[6];
  x->term_off = view_arr(&r, x->nterms, 4);
  x->idf = view_arr(&r, x->nterms, 4);
  x->post_start = view_arr(&r, x->nterms + 1, 4);
  x->post_doc = view_arr(&r, x->npost, 4);
  x->post_w = view_arr(&r, x->npost, 4);
  x->tstart = view_arr(&r, x->ndocs + 1, 4);
  x->ttok = view_arr(&r, x->nttok, 4);
  x->surf_off = view_arr(&r, x->nsurf, 4);
  x->surf_term = view_arr(&r, x->nsurf, 4);
  x->surf_df = view_arr(&r, x->nsurf, 4);
  x->title_len = view_arr(&r, x->ndocs, 2);
  if (x->ndocs % 2) ecai__get_bytes(&r, 2);
  x->terms = view_arr(&r, x->terms_len, 1);
  x->surf = view_arr(&r, x->surf_len, 1);
  int whole = !r.bad && r.pos == len && !(x->terms_len && x->terms[x->terms_len - 1]) &&
              !(x->surf_len && x->surf[x->surf_len - 1]);
  if (whole && !x->terms_len) x->terms = (char *)"";
  if (whole && !x->surf_len) x->surf = (char *)"";
  return finish_read(out, x, whole);
corrupt:
  return finish_read(out, x, 0);
}
