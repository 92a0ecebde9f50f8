/* ecai_search: BM25F + vector candidates, fusion, filters, explanations, facets, eval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "ecai/search.h"
#include "index/index_internal.h"
#include "search/ltr.h"
#include "search/search_internal.h"
#include "text/text.h"

static const char SRCH_MAGIC[8] = {'E', 'C', 'A', 'I', 'S', 'R', 'C', 0};

enum { M_BM25 = 0, M_VECTOR = 1, M_HYBRID = 2 };
enum { F_BLEND = 0, F_RRF = 1 };
#define MAXQ 32

struct ecai_search {
  ecai_store *store;
  ecai_ctx *ctx;
  ecai__bm25 *bm;
  ecai__delta *delta; /* products changed by ecai_store_update_json (delta.c) */
  ecai__dict dict; /* general words: never "corrected" */
  ecai__prefix *prefix; /* as-you-type vocabularies (prefix.c) */
  ecai__rules *rules;   /* merchandising rules and synonyms (rules.c); NULL = none */
  float *pop;           /* popularity per catalog id (orders), npop entries; NULL = none */
  size_t npop;
  double pop_norm;      /* log1p of the largest count */
  int mode, fusion, typo;
  double w_bm25, w_vec, w_cov, w_prec, w_head, w_pair, w_pop, rrf_k, min_conf;
  size_t ncand, nvec;
  ecai__ltr *ltr; /* learnt ranker (ltr.c) or NULL */
};

typedef struct qopts {
  size_t k;
  int mode, fusion, typo;
  const char *cat, *brand;
  double pmin, pmax;
  int in_stock, has_filter;
  ecai__ltr *ltr; /* rerank with it (hybrid mode), or NULL */
  int prefix; /* the last word is a prefix */
  size_t offset;  /* hits skipped (paging) */
  int sort, highlight;
} qopts;

typedef struct cand {
  int64_t id;
  float bm, cos, cov, prec, head, pair, score;
  uint32_t mask;
  int vec; /* came from the vector side */
  uint8_t rule; /* ECAI__RULE_* that placed it */
} cand;

typedef struct qterm {
  int64_t term;
  const uint32_t *alt; /* the shop's synonyms: other terms this word also finds (rules.c) */
  size_t nalt;
  int syn;             /* has synonyms; own = the word's own term or -1 */
  int64_t own;
  char word[64];  /* as typed (normalised) */
  char fixed[64]; /* correction, "" if none */
} qterm;

typedef struct result {
  cand *c;
  size_t n;
  qterm qt[MAXQ];
  size_t nq;
  double confidence, unknown_idf;
  int corrected;
  size_t pslot, npexp; /* prefix: query slot pslot stands for the terms pexp[0..npexp) */
  uint32_t pexp[ECAI__PREFIX_MAX];
} result;

/* Does index term t match query slot j (one term, or the completions of a prefix)? */
static int slot_has(const result *r, size_t j, uint32_t t) {
  if (r->npexp && j == r->pslot) {
    for (size_t e = 0; e < r->npexp; e++)
      if (r->pexp[e] == t) return 1;
    return 0;
  }
  for (size_t e = 0; e < r->qt[j].nalt; e++)
    if (r->qt[j].alt[e] == t) return 1;
  return (uint32_t)r->qt[j].term == t;
}

static int mode_of(const char *s) {
  return !s ? -1 : !strcmp(s, "bm25") ? M_BM25 : !strcmp(s, "vector") ? M_VECTOR : !strcmp(s, "hybrid") ? M_HYBRID : -1;
}
static const char *MODE_NAMES[] = {"bm25", "vector", "hybrid"};

static ecai_status init_common(ecai_search *s, ecai_store *store) {
  s->store = store;
  s->ctx = ecai__catalog_ctx(ecai_store_catalog(store));
  ecai_ctx *c = s->ctx;
  s->mode = mode_of(ecai__cfg_str(c, "search.mode", "hybrid"));
  const char *fu = ecai__cfg_str(c, "search.fusion", "blend");
  s->fusion = !strcmp(fu, "rrf") ? F_RRF : !strcmp(fu, "blend") ? F_BLEND : -1;
  if (s->mode < 0 || s->fusion < 0)
    return ecai__err(ECAI_EINVAL, "search: search.mode must be bm25|vector|hybrid and search.fusion blend|rrf");
  s->typo = ecai__cfg_bool(c, "search.typo", true);
  s->w_bm25 = ecai__cfg_double(c, "search.w_bm25", 1.0);
  s->w_vec = ecai__cfg_double(c, "search.w_vector", 1.5);
  s->w_cov = ecai__cfg_double(c, "search.w_coverage", 3.0);
  s->w_prec = ecai__cfg_double(c, "search.w_precision", 0.1);
  s->w_head = ecai__cfg_double(c, "search.w_head", 0.0);
  s->w_pair = ecai__cfg_double(c, "search.w_pair", 1.0);
  s->w_pop = ecai__cfg_double(c, "search.w_popularity", 0.0);
  s->rrf_k = ecai__cfg_double(c, "search.rrf_k", 60.0);
  s->min_conf = ecai__cfg_double(c, "search.min_confidence", 0.5);
  ecai_status pst = ecai__prefix_new(&s->prefix);
  if (pst) return pst;
  int64_t nc = ecai__cfg_int(c, "search.candidates", 200), nv = ecai__cfg_int(c, "search.vector_candidates", 0);
  if (nc < 1 || nc > 4096 || nv < 0 || nv > 4096)
    return ecai__err(ECAI_EINVAL, "search: search.candidates must be 1..4096, search.vector_candidates 0..4096");
  s->ncand = (size_t)nc;
  s->nvec = (size_t)nv;
  return s->typo ? ecai__dict_load(&s->dict, c, ecai__cfg_str(c, "search.dictionary", ECAI__SEARCH_DICT))
                 : ECAI_OK;
}

ecai_status ecai_search_new(ecai_search **out, ecai_store *store) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(store);
  ecai_search *s = ecai__calloc(1, sizeof *s);
  if (!s) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  ecai_status st = init_common(s, store);
  if (!st) {
    ecai_ctx *c = s->ctx;
    double wf[ECAI__NFIELDS] = {ecai__cfg_double(c, "search.w_title", 1.0), ecai__cfg_double(c, "search.w_brand", 0.5),
                                ecai__cfg_double(c, "search.w_category", 0.5), ecai__cfg_double(c, "search.w_desc", 0.2)};
    double k1 = ecai__cfg_double(c, "search.k1", 1.2), b = ecai__cfg_double(c, "search.b", 0.75);
    if (!(k1 > 0 && k1 < 100 && b >= 0 && b <= 1 && wf[0] >= 0 && wf[1] >= 0 && wf[2] >= 0 && wf[3] >= 0))
      st = ecai__err(ECAI_EINVAL, "search: need search.k1 > 0, 0 <= search.b <= 1, field weights >= 0");
    else
      st = ecai__bm25_build(&s->bm, ecai_store_catalog(store), k1, b, wf);
  }
  if (st) {
    ecai_search_free(s);
    return st;
  }
  *out = s;
  return ECAI_OK;
}

void ecai_search_free(ecai_search *s) {
  if (!s) return;
  ecai__bm25_free(s->bm);
  ecai__ltr_free(s->ltr);
  ecai__delta_free(s->delta);
  ecai__dict_free(&s->dict);
  ecai__prefix_free(s->prefix);
  ecai__rules_free(s->rules);
  ecai__free(s->pop);
  ecai__free(s);
}

/* catalog.bin checksum recorded in DIR/MANIFEST */
static ecai_status manifest_catalog_sum(const char *dir, char sum[17]) {
  char path[4096];
  snprintf(path, sizeof path, "%s/MANIFEST", dir);
  static const char MAN_MAGIC[8] = {'E', 'C', 'A', 'I', 'M', 'A', 'N', 0};
  char *data = NULL;
  size_t len = 0;
  ecai_status st = ecai__blob_read(path, MAN_MAGIC, &data, &len, NULL);
  if (st) return st == ECAI_EIO ? ecai__err(ECAI_ECORRUPT, "search: %s: no store MANIFEST", dir) : st;
  json_t *m = NULL;
  st = ecai__json_parse(&m, data, len, "MANIFEST");
  ecai__free(data);
  if (st) return ecai__err(ECAI_ECORRUPT, "search: %s/MANIFEST is damaged", dir);
  const char *v = json_string_value(json_object_get(json_object_get(m, "files"), "catalog.bin"));
  if (!v || strlen(v) != 16) st = ecai__err(ECAI_ECORRUPT, "search: %s/MANIFEST has no catalog checksum", dir);
  else memcpy(sum, v, 17);
  json_decref(m);
  return st;
}

ecai_status ecai_search_save(ecai_search *s, const char *dir) {
  ECAI__CHECK_ARG(s);
  ECAI__CHECK_ARG(dir);
  char sum[17];
  ecai_status st = manifest_catalog_sum(dir, sum);
  if (st) return st;
  ecai__bm25 *fresh = NULL; /* live text updates: the saved index holds the new texts */
  if ((st = ecai__delta_fresh(&fresh, &s->bm, s->store)) != ECAI_OK) return st;
  ecai__buf b = {0};
  ecai__buf_append(&b, sum, 16);
  ecai__bm25_write_mapped(fresh ? fresh : s->bm, &b);
  ecai__bm25_free(fresh);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "search: out of memory");
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/search.bin", dir);
  st = ecai__blob_write(path, SRCH_MAGIC, b.data, b.len, NULL);
  ecai__buf_free(&b);
  if (!st) st = ecai__rules_save(s->rules, dir);
  if (!st) st = ecai__popularity_save(s->pop, s->npop, dir);
  return st;
}

ecai_status ecai_search_set_rules_json(ecai_search *s, const char *json, size_t len) {
  ECAI__CHECK_ARG(s);
  if (!json && len) return ecai__err(ECAI_EINVAL, "search: NULL rules with length %zu", len);
  ecai__rules *R = NULL;
  if (json) {
    ecai_status st = ecai__rules_parse(&R, json, len, ecai_store_catalog(s->store), s->bm);
    if (st) return st; /* the previous rules stay */
  }
  ecai__rules_free(s->rules);
  s->rules = R;
  return ECAI_OK;
}

/* Reads search.bin at path, mapped (index.mmap) or read. The payload is the catalog sum,
 * then the keyword index: in the mapped layout (ecai__bm25_is_mapped_layout) it is used in
 * place and the engine keeps the mapping or buffer; an older layout is copied. */
static ecai_status load_bm25(ecai__bm25 **out, ecai_ctx *ctx, const char *path, const char sum[16]) {
  char *data = NULL;
  size_t len = 0;
  ecai__map m = {0};
  int mapped = ecai__cfg_bool(ctx, "index.mmap", true);
  ecai_status st = mapped ? ecai__blob_map(path, SRCH_MAGIC, &m, NULL) : ecai__blob_read(path, SRCH_MAGIC, &data, &len, NULL);
  if (st) return st;
  if (mapped) {
    data = (char *)m.base + 32;
    len = m.len - 32;
  }
  int view = len >= 16 && ecai__bm25_is_mapped_layout(data + 16, len - 16);
  if (len < 16 || memcmp(data, sum, 16) != 0)
    st = ecai__err(ECAI_ECORRUPT, "search_open: %s was written for another catalog version than the store's "
                                  "(was a new store published there since the store was opened?)", path);
  else if (view) st = ecai__bm25_view(out, data + 16, len - 16);
  else st = ecai__bm25_read(out, data + 16, len - 16);
  if (!st && view) { /* the engine keeps what it reads */
    if (mapped) (*out)->file = m;
    else (*out)->owned = data;
    return ECAI_OK;
  }
  if (mapped) ecai__blob_unmap(&m);
  else ecai__free(data);
  return st;
}

static void set_pop(ecai_search *s, float *pop, size_t n);
static ecai_status open_extras(ecai_search *s, const char *dir) {
  float *pop = NULL;
  size_t npop = 0;
  ecai_status st = ecai__popularity_open(&pop, &npop, s->bm->ndocs, dir);
  if (!st && pop) set_pop(s, pop, npop);
  if (!st) st = ecai__rules_load(&s->rules, dir, ecai_store_catalog(s->store), s->bm);
  return st;
}

ecai_status ecai_search_open(ecai_search **out, ecai_store *store, const char *dir) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(store);
  ECAI__CHECK_ARG(dir);
  dir = ecai__store_folder(store, dir); /* the version the store was read from */
  char path[4096], sum[17];
  snprintf(path, sizeof path, "%s/search.bin", dir);
  FILE *f = fopen(path, "rb");
  if (!f) return ecai__err(ECAI_ENOTFOUND, "search_open: %s does not exist", path);
  fclose(f);
  /* search.bin must belong to the store's own catalog version (not merely to DIR's: a store
   * published into DIR since the store was opened would pair an old catalog with a new index). */
  ecai_status st = ECAI_OK;
  if (*ecai__store_catalog_sum(store)) memcpy(sum, ecai__store_catalog_sum(store), 17);
  else if ((st = manifest_catalog_sum(dir, sum)) != ECAI_OK) return st;
  ecai_search *s = ecai__calloc(1, sizeof *s);
  if (!s) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  st = init_common(s, store);
  if (!st) st = load_bm25(&s->bm, s->ctx, path, sum);
  if (!st && s->bm->ndocs != ecai__catalog_slots(ecai_store_catalog(store)))
    st = ecai__err(ECAI_ECORRUPT, "search_open: %s does not match the catalog", path);
  ecai_status lst = st ? ECAI_OK : ecai__ltr_open(&s->ltr, ecai_store_catalog(store), dir);
  if (lst && lst != ECAI_ENOTFOUND) /* a damaged ranker: the unlearnt ranking, with a warning */
    ecai__log(s->ctx, ECAI_LOG_WARN, "search_open: learnt ranker not used (unlearnt ranking): %s", ecai_last_error());
  if (st) {
    if (st == ECAI_ECORRUPT) ecai__err_prefix(st, "%s", path);
    ecai_search_free(s);
    return st;
  }
  st = open_extras(s, dir); /* the shop's popularity and rules saved beside search.bin */
  if (st) {
    ecai_search_free(s);
    return st;
  }
  *out = s;
  return ECAI_OK;
}

/* ---- query ---------------------------------------------------------------------------- */

static int passes(const ecai_search *s, int64_t id, const qopts *o) {
  const ecai__product *p = ecai__catalog_product(ecai_store_catalog(s->store), id);
  if (!p) return 0;
  if (!o->has_filter) return 1;
  if (o->cat && (!p->cat || strncasecmp(p->cat, o->cat, strlen(o->cat)) != 0)) return 0;
  if (o->brand && (!p->brand || strcasecmp(p->brand, o->brand) != 0)) return 0;
  if (!isnan(o->pmin) && !(p->price >= o->pmin)) return 0;
  if (!isnan(o->pmax) && !(p->price <= o->pmax)) return 0;
  if (o->in_stock && p->in_stock != 1) return 0;
  return 1;
}

typedef struct fpay { const ecai_search *s; const qopts *o; } fpay;
static int filter_cb(int64_t id, void *payload) {
  fpay *f = payload;
  return passes(f->s, id, f->o);
}

static int cmp_bm(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->bm != y->bm) return x->bm > y->bm ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}
static int cmp_cos(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->cos != y->cos) return x->cos > y->cos ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}
static int cmp_score(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Parses the query into terms (with typo correction). */
static ecai_status parse_query(ecai_search *s, ecai__tokenizer *tk, ecai__tokens *toks, const char *q, size_t len,
                               int typo, result *r) {
  ecai_status st = ecai__tokenize(tk, q, len, ECAI__TOKF_STOP, toks);
  if (st) return st;
  if (toks->n == 0) {
    st = ecai__tokenize(tk, q, len, 0, toks);
    if (st) return st;
  }
  r->nq = 0;
  for (size_t i = 0; i < toks->n && r->nq < MAXQ; i++) {
    const char *w = toks->text + toks->off[i];
    size_t wl = toks->len[i];
    const char *term = w;
    size_t tl = wl;
    int word = toks->kind[i] == ECAI__TOK_WORD && wl >= 3;
    for (size_t j = 0; word && j < wl; j++)
      if (w[j] >= '0' && w[j] <= '9') word = 0;
    if (word) {
      term = ecai__stem(tk, w, wl, &tl);
      if (!term) return ecai__err(ECAI_ENOMEM, "search: out of memory");
    }
    int64_t t = ecai__bm25_term(s->bm, term, tl);
    const char *fixed = NULL;
    const uint32_t *syn = NULL;
    size_t nsyn = ecai__rules_synonyms(s->rules, term, tl, &syn);
    if (nsyn) { /* the shop's synonyms: never "corrected"; a word the catalog lacks stands for them */
      int dup = 0;
      for (size_t j = 0; j < r->nq; j++)
        if (r->qt[j].term == (t >= 0 ? t : syn[0])) dup = 1;
      if (dup) continue;
      qterm *qt = &r->qt[r->nq++];
      qt->term = t >= 0 ? t : syn[0];
      qt->alt = t >= 0 ? syn : syn + 1;
      qt->nalt = t >= 0 ? nsyn : nsyn - 1;
      qt->syn = 1;
      qt->own = t;
      snprintf(qt->word, sizeof qt->word, "%.*s", (int)(wl < 63 ? wl : 63), w);
      qt->fixed[0] = 0;
      continue;
    }
    if (t < 0 && word && typo && wl >= 6 && wl < 64 && r->nq + 1 < MAXQ) {
      /* a glued compound ("doorknob" -> "door knob"): two catalog words, best rarer part */
      size_t best = 0, lv, rv;
      uint32_t bestdf = 0;
      for (size_t p = 3; p + 3 <= wl; p++)
        if (ecai__smap_get(&s->bm->surf_map, w, p, &lv) && ecai__smap_get(&s->bm->surf_map, w + p, wl - p, &rv)) {
          uint32_t df = s->bm->surf_df[lv] < s->bm->surf_df[rv] ? s->bm->surf_df[lv] : s->bm->surf_df[rv];
          if (df > bestdf) bestdf = df, best = p;
        }
      if (best && !ecai__smap_get(&s->bm->surf_map, w, wl, &lv) && !ecai__dict_has(&s->dict, w, wl)) {
        ecai__smap_get(&s->bm->surf_map, w, best, &lv);
        ecai__smap_get(&s->bm->surf_map, w + best, wl - best, &rv);
        int64_t parts[2] = {s->bm->surf_term[lv], s->bm->surf_term[rv]};
        for (int k = 0; k < 2; k++) {
          int dup = 0;
          for (size_t j = 0; j < r->nq; j++)
            if (r->qt[j].term == parts[k]) dup = 1;
          if (dup) continue;
          qterm *qt = &r->qt[r->nq++];
          qt->term = parts[k];
          snprintf(qt->word, sizeof qt->word, "%.*s", (int)wl, w);
          snprintf(qt->fixed, sizeof qt->fixed, "%.*s %.*s", (int)best, w, (int)(wl - best), w + best);
        }
        r->corrected++;
        continue;
      }
    }
    if (t < 0 && word && typo && wl >= 4 && wl < 64) {
      size_t sv;
      if (!ecai__smap_get(&s->bm->surf_map, w, wl, &sv) && !ecai__dict_has(&s->dict, w, wl))
        t = ecai__bm25_correct(s->bm, w, wl, wl >= 8 ? 2 : 1, &fixed);
    }
    if (t < 0) { /* a word the catalog does not know lowers the confidence */
      r->unknown_idf += log(1.0 + (double)s->bm->ndocs);
      continue;
    }
    int dup = 0;
    for (size_t j = 0; j < r->nq; j++)
      if (r->qt[j].term == t) dup = 1;
    if (dup) continue;
    qterm *qt = &r->qt[r->nq++];
    qt->term = t;
    snprintf(qt->word, sizeof qt->word, "%.*s", (int)(wl < 63 ? wl : 63), w);
    qt->fixed[0] = 0;
    if (fixed) {
      snprintf(qt->fixed, sizeof qt->fixed, "%s", fixed);
      r->corrected++;
    }
  }
  return ECAI_OK;
}

/* Learning to rank (ltr.c): the ranker reorders the first fused candidates (or records them). */
static ecai_status ltr_hook(ecai_search *s, ecai__ltr *m, const char *q, size_t len, const result *r, cand *c,
                            size_t nc) {
  ecai__ltr_cand *lc = ecai__malloc(nc * sizeof *lc);
  cand *was = ecai__malloc(nc * sizeof *was);
  int64_t terms[MAXQ];
  ecai_status st = lc && was ? ECAI_OK : ecai__err(ECAI_ENOMEM, "search: out of memory");
  for (size_t i = 0; !st && i < nc; i++)
    lc[i] = (ecai__ltr_cand){c[i].id, c[i].bm, c[i].cos, c[i].cov, c[i].score, c[i].vec, i};
  for (size_t j = 0; j < r->nq; j++) terms[j] = r->qt[j].term;
  ecai__ltr_query lq = {q, len, terms, r->nq, (size_t)(r->unknown_idf / log(1.0 + (double)s->bm->ndocs) + 0.5)};
  if (!st) st = ecai__ltr_apply(m, s->bm, ecai_store_catalog(s->store), &lq, lc, nc);
  if (!st) memcpy(was, c, nc * sizeof *c);
  for (size_t i = 0; !st && i < nc; i++) c[i] = was[lc[i].orig], c[i].score = lc[i].score;
  ecai__free(lc), ecai__free(was);
  return st;
}

/* Adds the prefix slot for the trailing word q[0..len) of a query (prefix.c); tokens the
 * run splits into before the last ("60in" -> "60" "in") are looked up as whole words. */
static ecai_status add_prefix(ecai_search *s, ecai__tokenizer *tk, ecai__tokens *toks, const char *q, size_t len,
                              result *r) {
  ecai_status st = ecai__tokenize(tk, q, len, 0, toks);
  for (size_t i = 0; !st && i < toks->n && r->nq < MAXQ; i++) {
    const char *w = toks->text + toks->off[i];
    size_t wl = toks->len[i];
    qterm *qt = &r->qt[r->nq];
    if (i + 1 < toks->n) {
      int64_t t = ecai__bm25_term(s->bm, w, wl);
      if (t < 0) continue;
      qt->term = t;
    } else {
      st = ecai__prefix_expand(s->prefix, s->bm, w, wl, r->pexp, ECAI__PREFIX_MAX, &r->npexp);
      if (st || !r->npexp) { /* nothing starts with it: an unknown word */
        r->unknown_idf += log(1.0 + (double)s->bm->ndocs);
        continue;
      }
      r->pslot = r->nq;
      qt->term = r->pexp[0];
    }
    snprintf(qt->word, sizeof qt->word, "%.*s%s", (int)(wl < 60 ? wl : 60), w, i + 1 < toks->n ? "" : "*");
    qt->fixed[0] = 0;
    r->nq++;
  }
  return st;
}

/* Length of the trailing word of q (letters, digits, any non-ASCII byte); 0 when q ends
 * with a space or punctuation: then every word is complete. */
static size_t trailing_word(const char *q, size_t len) {
  size_t n = 0;
  while (n < len) {
    unsigned char ch = (unsigned char)q[len - n - 1];
    if (!(ch >= 0x80 || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))) break;
    n++;
  }
  return n;
}

/* log(1 + orders) / log(1 + most orders): 0..1 */
static double pop_feature(const ecai_search *s, int64_t id) {
  if (!s->pop || s->pop_norm <= 0 || id < 0 || (size_t)id >= s->npop) return 0;
  return log1p((double)s->pop[id]) / s->pop_norm;
}

static void set_pop(ecai_search *s, float *pop, size_t n) {
  ecai__free(s->pop);
  s->pop = pop;
  s->npop = n;
  float mx = 0;
  for (size_t i = 0; i < n; i++) mx = pop[i] > mx ? pop[i] : mx;
  s->pop_norm = log1p((double)mx);
}

ecai_status ecai_search_set_popularity_csv(ecai_search *s, const char *path, size_t *out_products) {
  if (out_products) *out_products = 0;
  ECAI__CHECK_ARG(s);
  float *pop = NULL;
  size_t n = 0, matched = 0;
  if (path) {
    ecai_status st = ecai__popularity_load(&pop, &n, &matched, ecai_store_catalog(s->store), path);
    if (st) return st; /* the previous counts stay */
  }
  set_pop(s, pop, n);
  if (out_products) *out_products = matched;
  return ECAI_OK;
}

static ecai_status run(ecai_search *s, const char *q, size_t len, const qopts *o, result *r) {
  memset(r, 0, sizeof *r);
  ecai__bm25 *bm = s->bm;
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  float *acc = NULL, *qv = NULL, *vs = NULL;
  uint32_t *mask = NULL, *touched = NULL;
  int64_t *ids = NULL;
  cand *c = NULL;
  size_t nt = 0, nc = 0;
  ecai_status st = ecai__tokenizer_new(&tk);
  if (st) return st;
  size_t pw = o->prefix ? trailing_word(q, len) : 0;
  st = parse_query(s, tk, &toks, q, len - pw, o->typo, r);
  if (!st && pw) st = add_prefix(s, tk, &toks, q + len - pw, pw, r);
  if (st) goto out;
  if (o->prefix && !r->nq && r->unknown_idf == 0) goto out; /* an empty search box: no hits */
  double idfsum = 0;
  for (size_t i = 0; i < r->nq; i++) idfsum += bm->idf[r->qt[i].term];
  size_t reach = o->k + o->offset; /* a page is a slice of the ranking up to reach */
  size_t want = o->mode == M_VECTOR ? 0 : (s->ncand > reach ? s->ncand : reach);
  size_t cap = want + (s->nvec > reach ? s->nvec : reach) + 1;
  c = ecai__calloc(cap, sizeof *c);
  if (!c) goto oom;
  if (o->mode != M_VECTOR && r->nq) {
    acc = ecai__calloc(bm->ndocs ? bm->ndocs : 1, sizeof *acc);
    mask = ecai__calloc(bm->ndocs ? bm->ndocs : 1, sizeof *mask);
    size_t tot = 0;
    for (size_t i = 0; i < r->nq; i++)
      tot += bm->post_start[r->qt[i].term + 1] - bm->post_start[r->qt[i].term];
    for (size_t e = 1; e < r->npexp; e++) tot += bm->post_start[r->pexp[e] + 1] - bm->post_start[r->pexp[e]];
    for (size_t i = 0; i < r->nq; i++)
      for (size_t e = 0; e < r->qt[i].nalt; e++) tot += bm->post_start[r->qt[i].alt[e] + 1] - bm->post_start[r->qt[i].alt[e]];
    touched = ecai__malloc((tot ? tot : 1) * sizeof *touched);
    if (!acc || !mask || !touched) goto oom;
    for (size_t i = 0; i < r->nq; i++) {
      uint32_t t = (uint32_t)r->qt[i].term;
      float idf = bm->idf[t];
      if (r->npexp && i == r->pslot) { /* a prefix: its best completion in each product */
        if ((st = ecai__prefix_accumulate(bm, r->pexp, r->npexp, (unsigned)i, acc, mask, touched, &nt))) goto out;
        continue;
      }
      if (r->qt[i].nalt) { /* a word and its synonyms: the best of them in each product */
        uint32_t lst[1 + ECAI__SYN_MAX];
        lst[0] = t;
        memcpy(lst + 1, r->qt[i].alt, r->qt[i].nalt * sizeof *lst);
        if ((st = ecai__prefix_accumulate(bm, lst, 1 + r->qt[i].nalt, (unsigned)i, acc, mask, touched, &nt))) goto out;
        continue;
      }
      for (uint32_t p = bm->post_start[t]; p < bm->post_start[t + 1]; p++) {
        uint32_t d = bm->post_doc[p];
        if (!mask[d]) touched[nt++] = d;
        acc[d] += idf * bm->post_w[p];
        mask[d] |= 1u << i;
      }
    }
    if (ecai__delta_rescore(s->delta, bm, &r->qt[0].term, sizeof r->qt[0], r->nq, acc, mask, &touched, &nt)) goto oom;
    /* top `want` by bm25 among filtered docs, kept in a bounded heap: frequent words
     * (tens of thousands of postings) cost n log want, not a sort of every match */
    for (size_t i = 0; i < nt && want; i++) {
      uint32_t d = touched[i];
      if (!passes(s, d, o)) continue;
      cand x = {.id = d, .bm = acc[d], .mask = mask[d]};
      ecai__topk_push(c, &nc, want, sizeof *c, cmp_bm, &x);
    }
    qsort(c, nc, sizeof *c, cmp_bm);
  }
  /* vector side */
  ecai_index *idx = ecai_store_index(s->store);
  int need_vec = o->mode == M_VECTOR || (o->mode == M_HYBRID && (s->w_vec != 0 || s->fusion == F_RRF));
  if (need_vec) {
    if (!idx) {
      st = ecai__err(ECAI_ESTATE, "search: vector and hybrid modes need a built store");
      goto out;
    }
    size_t dim = ecai_index_dim(idx);
    qv = ecai__malloc(dim * sizeof *qv);
    size_t nv = o->mode == M_VECTOR ? reach : (nc < reach ? reach : s->nvec);
    size_t vcap = 2 * nc + nv + 1;
    ids = ecai__malloc(vcap * sizeof *ids);
    vs = ecai__malloc(vcap * sizeof *vs);
    if (!qv || !ids || !vs) goto oom;
    st = ecai_embedder_embed(qv, dim, ecai_store_embedder(s->store), q, len);
    if (st) goto out;
    fpay fp = {s, o};
    if (nc) { /* exact cosine for the keyword candidates */
      for (size_t i = 0; i < nc; i++) ids[i] = c[i].id;
      size_t got = 0;
      st = ecai_index_search(&got, ids + nc, vs, idx, qv, nc, ids, nc, NULL, NULL);
      if (st) goto out;
      for (size_t i = 0; i < got; i++)
        for (size_t j = 0; j < nc; j++)
          if (c[j].id == ids[nc + i]) { c[j].cos = vs[i]; break; }
    }
    if (nv) {
      size_t got = 0;
      st = ecai_index_search(&got, ids, vs, idx, qv, nv, NULL, 0, o->has_filter ? filter_cb : NULL, &fp);
      if (st) goto out;
      size_t base = nc;
      for (size_t i = 0; i < got; i++) {
        int dup = 0;
        for (size_t j = 0; j < base; j++)
          if (c[j].id == ids[i]) { c[j].vec = 1; dup = 1; break; }
        if (dup) continue;
        cand x = {.id = ids[i], .cos = vs[i], .vec = 1};
        if (acc && (size_t)ids[i] < bm->ndocs) { x.bm = acc[ids[i]]; x.mask = mask[ids[i]]; }
        c[nc++] = x;
      }
    }
  }
  /* features and fusion */
  float maxbm = 0;
  for (size_t i = 0; i < nc; i++) if (c[i].bm > maxbm) maxbm = c[i].bm;
  for (size_t i = 0; i < nc; i++) {
    double cov = 0;
    int nm = 0;
    for (size_t j = 0; j < r->nq; j++)
      if (c[i].mask & (1u << j)) cov += bm->idf[r->qt[j].term], nm++;
    c[i].cov = idfsum > 0 ? (float)(cov / idfsum) : 0;
    uint16_t tl = (size_t)c[i].id < bm->ndocs ? bm->title_len[c[i].id] : 0;
    c[i].prec = tl ? (float)(nm > tl ? 1.0 : (double)nm / tl) : 0;
    c[i].head = r->nq && (c[i].mask & (1u << (r->nq - 1))) ? 1.0f : 0.0f;
    if (r->nq > 1 && (size_t)c[i].id < bm->ndocs) { /* adjacent query pairs found adjacent in the title */
      const uint32_t *tt = bm->ttok + bm->tstart[c[i].id];
      size_t tn = bm->tstart[c[i].id + 1] - bm->tstart[c[i].id], hits = 0;
      for (size_t j = 0; j + 1 < r->nq; j++) {
        if ((c[i].mask & (3u << j)) != (3u << j)) continue;
        for (size_t u = 0; u + 1 < tn; u++)
          if (slot_has(r, j, tt[u]) && slot_has(r, j + 1, tt[u + 1])) { hits++; break; }
      }
      c[i].pair = (float)hits / (float)(r->nq - 1);
    }
  }
  if (o->mode == M_BM25) {
    for (size_t i = 0; i < nc; i++) c[i].score = c[i].bm;
  } else if (o->mode == M_VECTOR) {
    for (size_t i = 0; i < nc; i++) c[i].score = c[i].cos;
  } else if (o->fusion == F_RRF) {
    qsort(c, nc, sizeof *c, cmp_bm);
    for (size_t i = 0; i < nc; i++) c[i].score = c[i].bm > 0 ? (float)(1.0 / (s->rrf_k + (double)i + 1)) : 0;
    qsort(c, nc, sizeof *c, cmp_cos);
    for (size_t i = 0; i < nc; i++) c[i].score += (float)(1.0 / (s->rrf_k + (double)i + 1));
  } else {
    for (size_t i = 0; i < nc; i++)
      c[i].score = (float)(s->w_bm25 * (maxbm > 0 ? c[i].bm / maxbm : 0) + s->w_cov * c[i].cov +
                           s->w_prec * c[i].prec + s->w_head * c[i].head + s->w_pair * c[i].pair +
                           s->w_vec * c[i].cos + s->w_pop * pop_feature(s, c[i].id));
  }
  qsort(c, nc, sizeof *c, cmp_score);
  if (o->ltr && o->mode == M_HYBRID && !o->prefix && nc && (st = ltr_hook(s, o->ltr, q, len, r, c, nc)) != ECAI_OK)
    goto out;
  /* confidence: idf-weighted share of the query's words (unknown ones included) that the
   * best hit contains; the cosine in vector mode */
  if (nc) r->confidence = o->mode == M_VECTOR ? c[0].cos : idfsum > 0 ? c[0].cov * (idfsum / (idfsum + r->unknown_idf)) : 0;
  r->c = c;
  r->n = nc;
  c = NULL;
  goto out;
oom:
  st = ecai__err(ECAI_ENOMEM, "search: out of memory");
out:
  ecai__tokenizer_free(tk);
  ecai__tokens_free(&toks);
  ecai__free(acc), ecai__free(mask), ecai__free(touched), ecai__free(qv), ecai__free(vs), ecai__free(ids);
  ecai__free(c);
  return st;
}

/* Reads options JSON into o. */
static ecai_status parse_opts(const ecai_search *s, const char *options, qopts *o, json_t **keep) {
  memset(o, 0, sizeof *o);
  o->k = 10;
  o->mode = s->mode;
  o->fusion = s->fusion;
  o->typo = s->typo;
  o->pmin = o->pmax = NAN;
  o->ltr = s->ltr;
  ecai_status st = ecai__json_options(keep, options, "search options");
  json_t *j = *keep;
  if (st || !j) return st;
  const char *key;
  json_t *v;
  json_object_foreach(j, key, v) {
    if (!strcmp(key, "k")) {
      if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 10000)
        return ecai__err(ECAI_EINVAL, "search: \"k\" must be an integer 1..10000");
      o->k = (size_t)json_integer_value(v);
    } else if (!strcmp(key, "mode")) {
      if ((o->mode = mode_of(json_string_value(v))) < 0)
        return ecai__err(ECAI_EINVAL, "search: \"mode\" must be bm25, vector or hybrid");
    } else if (!strcmp(key, "fusion")) {
      const char *f = json_string_value(v);
      if (!f || (strcmp(f, "rrf") && strcmp(f, "blend"))) return ecai__err(ECAI_EINVAL, "search: \"fusion\" must be blend or rrf");
      o->fusion = !strcmp(f, "rrf") ? F_RRF : F_BLEND;
    } else if (!strcmp(key, "typo")) {
      if (!json_is_boolean(v)) return ecai__err(ECAI_EINVAL, "search: \"typo\" must be a boolean");
      o->typo = json_is_true(v);
    } else if (!strcmp(key, "rerank")) {
      if (!json_is_boolean(v)) return ecai__err(ECAI_EINVAL, "search: \"rerank\" must be a boolean");
      if (!json_is_true(v)) o->ltr = NULL;
    } else if (!strcmp(key, "prefix")) {
      if (!json_is_boolean(v)) return ecai__err(ECAI_EINVAL, "search: \"prefix\" must be a boolean");
      o->prefix = json_is_true(v);
    } else if (!strcmp(key, "offset")) {
      if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 10000)
        return ecai__err(ECAI_EINVAL, "search: \"offset\" must be an integer 0..10000");
      o->offset = (size_t)json_integer_value(v);
    } else if (!strcmp(key, "sort")) {
      if ((o->sort = ecai__sort_parse(json_string_value(v))) < 0)
        return ecai__err(ECAI_EINVAL, "search: \"sort\" must be relevance, price_asc, price_desc, popularity or newest");
    } else if (!strcmp(key, "highlight")) {
      if (!json_is_boolean(v)) return ecai__err(ECAI_EINVAL, "search: \"highlight\" must be a boolean");
      o->highlight = json_is_true(v);
    } else if (!strcmp(key, "split")) {
      /* eval only; checked there */
    } else if (!strcmp(key, "filters")) {
      if (!json_is_object(v)) return ecai__err(ECAI_EINVAL, "search: \"filters\" must be an object");
      const char *fk;
      json_t *fv;
      json_object_foreach(v, fk, fv) {
        o->has_filter = 1;
        if (!strcmp(fk, "category") && json_is_string(fv)) o->cat = json_string_value(fv);
        else if (!strcmp(fk, "brand") && json_is_string(fv)) o->brand = json_string_value(fv);
        else if (!strcmp(fk, "price_min") && json_is_number(fv)) o->pmin = json_number_value(fv);
        else if (!strcmp(fk, "price_max") && json_is_number(fv)) o->pmax = json_number_value(fv);
        else if (!strcmp(fk, "in_stock") && json_is_boolean(fv)) o->in_stock = json_is_true(fv);
        else return ecai__err(ECAI_EINVAL, "search: unknown or mistyped filter \"%s\"", fk);
      }
    } else {
      return ecai__err(ECAI_EINVAL, "search: unknown option \"%s\"", key);
    }
  }
  return ECAI_OK;
}

/* "title: sofa, grey; brand: acme" for the query terms found in the product's fields */
static void explain(ecai_search *s, ecai__tokenizer *tk, ecai__tokens *toks, const cand *c, const result *r, ecai__buf *b) {
  const ecai__product *p = ecai__catalog_product(ecai_store_catalog(s->store), c->id);
  static const char *FN[ECAI__NFIELDS] = {"title", "brand", "category", "description"};
  static const char *RULE[4] = {"", "pinned", "boosted", "buried"};
  const char *fv[ECAI__NFIELDS] = {p->title, p->brand, p->cat, p->desc};
  int any = 0;
  for (int f = 0; f < ECAI__NFIELDS && c->mask; f++) {
    if (!fv[f] || !*fv[f]) continue;
    if (ecai__tokenize(tk, fv[f], strlen(fv[f]), ECAI__TOKF_STOP, toks)) continue;
    uint32_t seen = 0;
    for (size_t i = 0; i < toks->n; i++) {
      const char *w = toks->text + toks->off[i];
      size_t tl, wl = toks->len[i];
      const char *term = ecai__search_term(tk, w, wl, toks->kind[i], &tl);
      int64_t t = term ? ecai__bm25_term(s->bm, term, tl) : -1;
      for (size_t j = 0; j < r->nq; j++)
        if (t >= 0 && slot_has(r, j, (uint32_t)t) && !(seen & (1u << j))) {
          ecai__buf_printf(b, "%s%s%s", seen ? ", " : (any ? "; " : ""), seen ? "" : FN[f], seen ? "" : ": ");
          if (r->qt[j].syn && t != r->qt[j].own) /* found through a synonym */
            ecai__buf_printf(b, "%.*s (synonym of %s)", (int)wl, w, r->qt[j].word);
          else ecai__buf_puts(b, r->qt[j].fixed[0] ? r->qt[j].fixed : r->qt[j].word);
          seen |= 1u << j;
          any = 1;
        }
    }
  }
  if (c->cos > 0 && (c->vec || !any)) ecai__buf_printf(b, "%ssemantic neighbour (%.2f)", any ? "; " : "", c->cos);
  if (c->rule) ecai__buf_printf(b, "%s%s by a merchandising rule", b->len ? "; " : "", RULE[c->rule]);
  if (b->len == 0) ecai__buf_puts(b, "no term matched");
}

/* "sort" other than relevance: the candidates that match the query as well as the best
 * one (same idf-weighted coverage; every fused candidate in vector mode or when nothing
 * matched a word), ordered by the key (sort.c), ties by relevance. */
static ecai_status apply_sort(ecai_search *s, const qopts *o, result *r) {
  if (o->sort == ECAI__SORT_RELEVANCE || !r->n) return ECAI_OK;
  float best = 0;
  for (size_t i = 0; i < r->n; i++) best = r->c[i].cov > best ? r->c[i].cov : best;
  size_t m = 0;
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].cov >= best - 1e-6f) r->c[m++] = r->c[i];
  r->n = m;
  int64_t *ids = ecai__malloc(m * sizeof *ids);
  size_t *order = ecai__malloc(m * sizeof *order);
  cand *c = ecai__malloc(m * sizeof *c);
  ecai_status st = !ids || !order || !c ? ecai__err(ECAI_ENOMEM, "search: out of memory") : ECAI_OK;
  for (size_t i = 0; !st && i < m; i++) ids[i] = r->c[i].id;
  if (!st) st = ecai__sort_order(o->sort, ecai_store_catalog(s->store), s->pop, s->npop, ids, m, order);
  if (!st) {
    for (size_t i = 0; i < m; i++) c[i] = r->c[order[i]];
    ecai__free(r->c);
    r->c = c;
    c = NULL;
  }
  ecai__free(ids), ecai__free(order), ecai__free(c);
  return st;
}

static int rule_ok(int64_t id, const void *arg) {
  const fpay *f = arg;
  return passes(f->s, id, f->o);
}

static int cmp_cand_id(const void *a, const void *b) {
  const cand *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* The shop's merchandising rules (rules.c) on the ranked list: hide, boost, bury, pin. */
static ecai_status apply_rules(ecai_search *s, const qopts *o, const char *q, size_t len, result *r) {
  if (!s->rules) return ECAI_OK;
  size_t cap = r->n + ecai__rules_max_pins(s->rules), n = r->n;
  int64_t *ids = ecai__malloc((cap ? cap : 1) * sizeof *ids);
  uint8_t *tags = ecai__calloc(cap ? cap : 1, 1);
  cand *byid = ecai__malloc((r->n ? r->n : 1) * sizeof *byid), *c = ecai__calloc(cap ? cap : 1, sizeof *c);
  ecai_status st = !ids || !tags || !byid || !c ? ecai__err(ECAI_ENOMEM, "search: out of memory") : ECAI_OK;
  if (!st) {
    for (size_t i = 0; i < r->n; i++) ids[i] = r->c[i].id;
    fpay fp = {s, o};
    st = ecai__rules_apply(s->rules, q, len, o->sort == ECAI__SORT_RELEVANCE, ids, tags, &n, rule_ok, &fp);
  }
  if (!st) {
    memcpy(byid, r->c, r->n * sizeof *byid);
    qsort(byid, r->n, sizeof *byid, cmp_cand_id);
    for (size_t i = 0; i < n; i++) {
      cand key = {.id = ids[i]}, *f = bsearch(&key, byid, r->n, sizeof *byid, cmp_cand_id);
      c[i] = f ? *f : key; /* a pinned product the query did not find */
      c[i].rule = tags[i];
    }
    ecai__free(r->c);
    r->c = c;
    r->n = n;
    c = NULL;
  }
  ecai__free(ids), ecai__free(tags), ecai__free(byid), ecai__free(c);
  return st;
}

static int hl_match(const void *arg, uint32_t t) {
  const result *r = arg;
  for (size_t j = 0; j < r->nq; j++)
    if (slot_has(r, j, t)) return 1;
  return 0;
}

static void facet_add(json_t *obj, const char *v) {
  if (!v || !*v) return;
  json_t *n = json_object_get(obj, v);
  json_object_set_new(obj, v, json_integer(n ? json_integer_value(n) + 1 : 1));
}

static ecai_status query_locked(char **out, size_t *out_len, ecai_search *s, const char *query, size_t len,
                                const char *options) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(s);
  if (!query && len) return ecai__err(ECAI_EINVAL, "search: NULL query with length %zu", len);
  if (!query) query = "";
  qopts o;
  json_t *keep = NULL;
  ecai_status st = parse_opts(s, options, &o, &keep);
  result r;
  memset(&r, 0, sizeof r);
  if (!st) st = run(s, query, len, &o, &r);
  if (!st) st = apply_sort(s, &o, &r);
  if (!st) st = apply_rules(s, &o, query, len, &r);
  if (st) {
    ecai__free(r.c);
    json_decref(keep);
    return st;
  }
  ecai_catalog *cat = ecai_store_catalog(s->store);
  json_t *doc = json_object(), *hits = json_array(), *fc = json_object(), *fb = json_object(), *cor = json_object();
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  ecai__buf why = {0};
  st = ecai__tokenizer_new(&tk);
  if (!st && (!doc || !hits || !fc || !fb || !cor)) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  if (!st) {
    for (size_t i = 0; i < r.nq; i++)
      if (r.qt[i].fixed[0]) json_object_set_new(cor, r.qt[i].word, json_string(r.qt[i].fixed));
    for (size_t i = 0; i < r.n; i++) {
      const ecai__product *p = ecai__catalog_product(cat, r.c[i].id);
      facet_add(fc, p->cat);
      facet_add(fb, p->brand);
      if (i < o.offset || i >= o.offset + o.k) continue;
      why.len = 0;
      explain(s, tk, &toks, &r.c[i], &r, &why);
      json_t *h = json_object();
      json_object_set_new(h, "id", json_string(p->sku));
      json_object_set_new(h, "score", json_real(r.c[i].score));
      json_object_set_new(h, "title", json_string(p->title ? p->title : ""));
      json_object_set_new(h, "why", json_stringn(why.data ? why.data : "", why.len));
      if (o.highlight) json_object_set_new(h, "highlight", ecai__highlight(s->bm, tk, &toks, p->title, hl_match, &r));
      json_array_append_new(hits, h);
    }
    json_t *facets = json_object();
    json_object_set(facets, "category", fc);
    json_object_set(facets, "brand", fb);
    json_object_set(doc, "hits", hits); /* first: the vector-only output began {"hits":[ */
    json_object_set_new(doc, "query", json_stringn(query, len));
    json_object_set_new(doc, "mode", json_string(MODE_NAMES[o.mode]));
    json_object_set(doc, "corrected", cor);
    json_object_set_new(doc, "confidence", json_real(r.confidence));
    json_object_set_new(doc, "no_confident_match", json_boolean(r.confidence < s->min_conf));
    json_object_set_new(doc, "total", json_integer((json_int_t)r.n));
    json_object_set_new(doc, "learnt", json_boolean(o.ltr && o.mode == M_HYBRID && !o.prefix));
    if (o.offset) json_object_set_new(doc, "offset", json_integer((json_int_t)o.offset));
    if (o.sort) json_object_set_new(doc, "sort", json_string(ecai__sort_name(o.sort)));
    json_object_set_new(doc, "facets", facets);
    st = ecai__json_dump(out, out_len, doc);
  }
  ecai__buf_free(&why);
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(tk);
  json_decref(doc), json_decref(hits), json_decref(fc), json_decref(fb), json_decref(cor);
  json_decref(keep);
  ecai__free(r.c);
  return st;
}

/* Under the store's lock, after live updates (other processes' too) were applied. */
ecai_status ecai_search_query(char **out, size_t *out_len, ecai_search *s, const char *query, size_t len,
                              const char *options) {
  if (!out || !s) return query_locked(out, out_len, s, query, len, options); /* the argument errors */
  *out = NULL;
  ecai_status st = ecai__delta_begin(&s->delta, &s->bm, s->store);
  if (st) return st;
  st = query_locked(out, out_len, s, query, len, options);
  ecai__delta_end(s->store);
  return st;
}

/* ---- eval ------------------------------------------------------------------------------ */

typedef struct lab { char *qid, *pid; double g; } lab;

static int cmp_lab(const void *a, const void *b) {
  const lab *x = a, *y = b;
  return strcmp(x->qid, y->qid);
}

/* Splits a TSV line in place into up to n fields; returns the count. */
static size_t split_tsv(char *line, char **f, size_t n) {
  size_t k = 0;
  char *p = line;
  while (k < n) {
    f[k++] = p;
    char *t = strchr(p, '\t');
    if (!t) break;
    *t = 0;
    p = t + 1;
  }
  size_t l = strlen(f[k - 1]);
  while (l && (f[k - 1][l - 1] == '\n' || f[k - 1][l - 1] == '\r')) f[k - 1][--l] = 0;
  return k;
}

static ecai_status read_lines(const char *path, size_t nf, ecai_status (*fn)(char **f, size_t n, void *p), void *p) {
  gzFile g = gzopen(path, "rb");
  if (!g) return ecai__err(ECAI_EIO, "eval: cannot open %s", path);
  char *line = ecai__malloc(1 << 16);
  if (!line) {
    gzclose(g);
    return ecai__err(ECAI_ENOMEM, "eval: out of memory");
  }
  ecai_status st = ECAI_OK;
  size_t no = 0;
  while (!st && gzgets(g, line, 1 << 16)) {
    no++;
    if (line[0] == '\n' || line[0] == 0) continue;
    char *f[4];
    size_t n = split_tsv(line, f, nf);
    if (no == 1 && !strcmp(f[0], "query_id")) continue;
    if (n < nf) st = ecai__err(ECAI_EPARSE, "eval: %s:%zu: expected %zu tab-separated fields", path, no, nf);
    else st = fn(f, n, p);
  }
  ecai__free(line);
  gzclose(g);
  return st;
}

typedef struct labset { lab *v; size_t n, cap; } labset;
static ecai_status add_label(char **f, size_t n, void *p) {
  (void)n;
  labset *L = p;
  char *end;
  double g = strtod(f[2], &end);
  if (end == f[2] || !isfinite(g)) return ecai__err(ECAI_EPARSE, "eval: bad grade '%s'", f[2]);
  if (L->n == L->cap) {
    size_t nc = L->cap ? L->cap * 2 : 1024;
    lab *nv = ecai__realloc(L->v, nc * sizeof *nv);
    if (!nv) return ecai__err(ECAI_ENOMEM, "eval: out of memory");
    L->v = nv;
    L->cap = nc;
  }
  lab *l = &L->v[L->n];
  l->qid = ecai__strdup(f[0]);
  l->pid = ecai__strdup(f[1]);
  l->g = g;
  if (!l->qid || !l->pid) {
    ecai__free(l->qid), ecai__free(l->pid);
    return ecai__err(ECAI_ENOMEM, "eval: out of memory");
  }
  L->n++;
  return ECAI_OK;
}

typedef struct evst {
  ecai_search *s;
  qopts o;
  labset *L;
  int split; /* 0 all, 1 tune (even hash), 2 test (odd) */
  size_t nq, labelled, flagged, corrected;
  double ndcg, mrr, rec;
} evst;

static ecai_status eval_query(char **f, size_t n, void *p) {
  (void)n;
  evst *e = p;
  lab key = {f[0], NULL, 0};
  lab *hit = bsearch(&key, e->L->v, e->L->n, sizeof *e->L->v, cmp_lab);
  if (!hit) return ECAI_OK;
  while (hit > e->L->v && !strcmp(hit[-1].qid, f[0])) hit--;
  size_t nl = 0;
  while (hit + nl < e->L->v + e->L->n && !strcmp(hit[nl].qid, f[0])) nl++;
  if (e->split) {
    uint64_t h = XXH3_64bits(f[1], strlen(f[1]));
    if ((int)(h & 1) != e->split - 1) return ECAI_OK;
  }
  e->labelled++;
  double ideal[10] = {0}, idcg = 0;
  size_t nrel = 0;
  for (size_t i = 0; i < nl; i++) {
    if (hit[i].g > 1) nrel++;
    double gv = hit[i].g - 1;
    for (int j = 0; j < 10; j++)
      if (gv > ideal[j]) {
        memmove(ideal + j + 1, ideal + j, (size_t)(9 - j) * sizeof *ideal);
        ideal[j] = gv;
        break;
      }
  }
  for (int j = 0; j < 10; j++) idcg += ideal[j] / log2(j + 2.0);
  if (nrel == 0 || idcg <= 0) return ECAI_OK;
  result r;
  ecai_status st = run(e->s, f[1], strlen(f[1]), &e->o, &r);
  if (st) return st;
  e->nq++;
  if (r.confidence < e->s->min_conf) e->flagged++;
  if (r.corrected) e->corrected++;
  ecai_catalog *cat = ecai_store_catalog(e->s->store);
  double dcg = 0, rr = 0;
  size_t found = 0;
  for (size_t i = 0; i < r.n && i < 100; i++) {
    const char *sku = ecai_catalog_sku(cat, r.c[i].id);
    for (size_t j = 0; sku && j < nl; j++)
      if (!strcmp(hit[j].pid, sku)) {
        if (i < 10) dcg += (hit[j].g - 1) / log2((double)i + 2);
        if (hit[j].g > 1) {
          found++;
          if (i < 10 && rr == 0) rr = 1.0 / ((double)i + 1);
        }
        break;
      }
  }
  e->ndcg += dcg / idcg;
  e->mrr += rr;
  e->rec += (double)found / (double)nrel;
  ecai__free(r.c);
  return ECAI_OK;
}

ecai_status ecai_search_eval(char **out, size_t *out_len, ecai_search *s, const char *queries, const char *labels,
                             const char *options) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(s);
  ECAI__CHECK_ARG(queries);
  ECAI__CHECK_ARG(labels);
  evst e;
  memset(&e, 0, sizeof e);
  e.s = s;
  json_t *keep = NULL;
  ecai_status st = parse_opts(s, options, &e.o, &keep);
  if (!st && keep) {
    const char *sp = json_string_value(json_object_get(keep, "split"));
    if (json_object_get(keep, "split") && !sp) st = ecai__err(ECAI_EINVAL, "eval: \"split\" must be all, tune or test");
    else if (sp) {
      if (!strcmp(sp, "all")) e.split = 0;
      else if (!strcmp(sp, "tune")) e.split = 1;
      else if (!strcmp(sp, "test")) e.split = 2;
      else st = ecai__err(ECAI_EINVAL, "eval: \"split\" must be all, tune or test");
    }
  }
  e.o.k = 100;
  labset L = {0};
  e.L = &L;
  if (!st) st = read_lines(labels, 3, add_label, &L);
  if (!st) {
    qsort(L.v, L.n, sizeof *L.v, cmp_lab);
    st = read_lines(queries, 2, eval_query, &e);
  }
  if (!st) {
    double n = e.nq ? (double)e.nq : 1;
    ecai__buf b = {0};
    ecai__buf_printf(&b,
                     "{\"mode\":\"%s\",\"fusion\":\"%s\",\"split\":\"%s\",\"queries\":%zu,\"labelled\":%zu,"
                     "\"ndcg@10\":%.4f,\"mrr@10\":%.4f,\"recall@100\":%.4f,\"flagged\":%.4f,\"typo_corrected\":%zu}",
                     MODE_NAMES[e.o.mode], e.o.fusion == F_RRF ? "rrf" : "blend",
                     e.split == 0 ? "all" : e.split == 1 ? "tune" : "test", e.nq, e.labelled, e.ndcg / n, e.mrr / n,
                     e.rec / n, (double)e.flagged / n, e.corrected);
    if (b.oom) st = ecai__err(ECAI_ENOMEM, "eval: out of memory");
    else {
      size_t l = 0;
      *out = ecai__buf_take(&b, &l);
      if (out_len) *out_len = l;
    }
    ecai__buf_free(&b);
  }
  for (size_t i = 0; i < L.n; i++) ecai__free(L.v[i].qid), ecai__free(L.v[i].pid);
  ecai__free(L.v);
  json_decref(keep);
  return st;
}

/* ---- for the learner (ltr.c) ------------------------------------------------------------ */

ecai_status ecai__search_probe(ecai_search *s, ecai__ltr *m, const char *query, size_t len) {
  qopts o;
  json_t *keep = NULL;
  result r;
  ecai_status st = parse_opts(s, NULL, &o, &keep);
  o.mode = M_HYBRID;
  o.ltr = m;
  if (!st) st = run(s, query, len, &o, &r);
  if (!st) ecai__free(r.c);
  return st;
}
ecai_store *ecai__search_store(const ecai_search *s) { return s->store; }
const ecai__bm25 *ecai__search_bm25(const ecai_search *s) { return s->bm; }
ecai__ltr *ecai__search_set_ltr(ecai_search *s, ecai__ltr *m) {
  ecai__ltr *old = s->ltr;
  s->ltr = m;
  return old;
}
