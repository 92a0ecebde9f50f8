/* Learning to rank: judgments -> LambdaMART (XGBoost rank:ndcg) -> ranker.bin -> rerank. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>
#include <zlib.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"
#include "search/ltr.h"

static const char LTR_MAGIC[8] = {'E', 'C', 'A', 'I', 'L', 'T', 'R', 0};
#define LTR_LAYOUT 1u
#define PRIOR_M 3.0 /* smoothing: a product's prior counts as this many judgments of the mean */

/* What a learning run records per query. */
typedef struct collect {
  const int64_t *jid; /* the query's judged products (catalog ids) and gains */
  const float *jgain;
  size_t nj;
  float *X, *y;
  size_t rows, cap;
  unsigned *group;
  size_t ngroups, gcap, skipped;
} collect;

/* The queries learnt from (XXH3-64 of the text as given) and their judgments, so that a
 * query seen in training is ranked from the priors without its own judgments, exactly as
 * it was learnt (otherwise its judged products would look judged elsewhere too). */
typedef struct seen {
  uint64_t *h;    /* nq hashes, sorted */
  uint32_t *start; /* nq + 1 offsets into id/gain */
  int64_t *id;    /* catalog id (-1: removed since) */
  float *gain;
  size_t nq, nj;
} seen;

struct ecai__ltr {
  BoosterHandle bst; /* NULL while collecting */
  seen sn;
  ecai__ltr_prior pr;
  ecai__ltr_avg avg;
  size_t depth;
  uint64_t off; /* features left out (bit f: always 0) */
  collect *col;
};

/* XGBoost's last error, its first line only (a stack trace follows). */
static int xgb_msg_len(const char *m) {
  const char *nl = strchr(m, '\n');
  return nl ? (int)(nl - m) : (int)strlen(m);
}
static ecai_status xgb_err(const char *what) {
  const char *m = XGBGetLastError();
  return ecai__err(ECAI_ERROR, "search: xgboost %s: %.*s", what, xgb_msg_len(m), m);
}

void ecai__ltr_free(ecai__ltr *m) {
  if (!m) return;
  if (m->bst) XGBoosterFree(m->bst);
  ecai__free(m->pr.sum), ecai__free(m->pr.cnt);
  ecai__free(m->sn.h), ecai__free(m->sn.start), ecai__free(m->sn.id), ecai__free(m->sn.gain);
  ecai__free(m);
}

/* ---- reranking ------------------------------------------------------------------------ */

static int cmp_score(const void *a, const void *b) {
  const ecai__ltr_cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->orig < y->orig ? -1 : x->orig > y->orig;
}

static ecai_status predict(ecai__ltr *m, const float *X, size_t n, ecai__ltr_cand *c) {
  char arr[160];
  snprintf(arr, sizeof arr, "{\"data\":[%llu,true],\"shape\":[%zu,%d],\"typestr\":\"<f4\",\"version\":3}",
           (unsigned long long)(uintptr_t)X, n, (int)ECAI__LTR_NFEAT);
  static const char cfg[] = "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                            "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
  const bst_ulong *shape = NULL;
  bst_ulong dim = 0;
  const float *out = NULL;
  if (XGBoosterPredictFromDense(m->bst, arr, cfg, NULL, &shape, &dim, &out)) return xgb_err("predict");
  for (size_t i = 0; i < n; i++) c[i].score = out[i];
  return ECAI_OK;
}

/* Sets prediction to one thread and predicts once, so XGBoost configures the booster now
 * rather than in the first of several concurrent queries. */
static ecai_status ready(ecai__ltr *m) {
  float x[ECAI__LTR_NFEAT] = {0};
  ecai__ltr_cand c = {0};
  if (XGBoosterSetParam(m->bst, "nthread", "1") || XGBoosterSetParam(m->bst, "verbosity", "0"))
    return xgb_err("setup");
  return predict(m, x, 1, &c);
}

static ecai_status record(collect *col, const float *X, const ecai__ltr_cand *c, size_t n) {
  int useful = 0;
  if (col->rows + n > col->cap) {
    size_t cap = col->cap ? col->cap : 4096;
    while (cap < col->rows + n) cap *= 2;
    float *nx = ecai__realloc(col->X, cap * ECAI__LTR_NFEAT * sizeof *nx);
    if (nx) col->X = nx;
    float *ny = nx ? ecai__realloc(col->y, cap * sizeof *ny) : NULL;
    if (!ny) return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
    col->y = ny;
    col->cap = cap;
  }
  if (col->ngroups == col->gcap) {
    size_t cap = col->gcap ? col->gcap * 2 : 1024;
    unsigned *ng = ecai__realloc(col->group, cap * sizeof *ng);
    if (!ng) return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
    col->group = ng;
    col->gcap = cap;
  }
  for (size_t i = 0; i < n; i++) {
    float g = 0;
    for (size_t j = 0; j < col->nj; j++)
      if (col->jid[j] == c[i].id) g = col->jgain[j];
    /* XGBoost 1.7's rank:ndcg uses the integer part of a label as the exponent of the gain
     * 2^label - 1: gains 0..2 in thirds become labels 0..4 (halves rounded) */
    col->y[col->rows + i] = roundf(g * 2.0f);
    if (g > 0) useful = 1;
  }
  if (!useful) { /* nothing relevant among the candidates: no pair to learn from */
    col->skipped++;
    return ECAI_OK;
  }
  memcpy(col->X + col->rows * ECAI__LTR_NFEAT, X, n * ECAI__LTR_NFEAT * sizeof *X);
  col->rows += n;
  col->group[col->ngroups++] = (unsigned)n;
  return ECAI_OK;
}

ecai_status ecai__ltr_apply(ecai__ltr *m, const ecai__bm25 *bm, const ecai_catalog *cat, const ecai__ltr_query *q,
                            ecai__ltr_cand *c, size_t n) {
  if (n > m->depth) n = m->depth;
  if (!n) return ECAI_OK;
  float *X = ecai__malloc(n * ECAI__LTR_NFEAT * sizeof *X), *own = NULL;
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  /* a tokenizer only when a candidate has a text field besides its title */
  int fields = 0;
  for (size_t i = 0; i < n && !fields; i++) {
    const ecai__product *p = ecai__catalog_product(cat, c[i].id);
    fields = p && ((p->brand && *p->brand) || (p->cat && *p->cat) || (p->desc && *p->desc) || (p->attrs && *p->attrs));
  }
  ecai_status st = !X ? ecai__err(ECAI_ENOMEM, "search: out of memory") : fields ? ecai__tokenizer_new(&tk) : ECAI_OK;
  /* the query's own training judgments: those being learnt, or those of a query seen */
  const int64_t *jid = NULL;
  const float *jgain = NULL;
  size_t nj = 0;
  if (m->col) jid = m->col->jid, jgain = m->col->jgain, nj = m->col->nj;
  else if (m->sn.nq) {
    uint64_t h = XXH3_64bits(q->text, q->len);
    size_t lo = 0, hi = m->sn.nq;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (m->sn.h[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    if (lo < m->sn.nq && m->sn.h[lo] == h) {
      jid = m->sn.id + m->sn.start[lo], jgain = m->sn.gain + m->sn.start[lo];
      nj = m->sn.start[lo + 1] - m->sn.start[lo];
    }
  }
  if (!st && nj) {
    own = ecai__malloc(n * sizeof *own);
    if (!own) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
    for (size_t i = 0; own && i < n; i++) {
      own[i] = NAN;
      for (size_t j = 0; j < nj; j++)
        if (jid[j] == c[i].id) own[i] = jgain[j];
    }
  }
  if (!st) st = ecai__ltr_features(X, bm, cat, &m->pr, &m->avg, q, c, n, own, tk, &toks);
  for (size_t i = 0; !st && m->off && i < n; i++)
    for (int f = 0; f < ECAI__LTR_NFEAT; f++)
      if (m->off >> f & 1) X[i * ECAI__LTR_NFEAT + f] = 0;
  if (!st && m->col) st = record(m->col, X, c, n);
  else if (!st) {
    st = predict(m, X, n, c);
    if (!st) qsort(c, n, sizeof *c, cmp_score);
  }
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(tk);
  ecai__free(X), ecai__free(own);
  return st;
}

/* ---- the ranker file -------------------------------------------------------------------- */

/* ranker.bin: container "ECAILTR\0" (ser.h: XXH3 checksum, atomic write) whose payload is
 * u32 layout (1), u32 feature count, the feature names (str), u64 depth, f64 average title
 * length and the four other field lengths, f64 prior mean and smoothing, u64 priors, per
 * prior str SKU + f64 gain sum + f64 count, u64 length + the XGBoost model (UBJSON). */
static ecai_status save(const ecai__ltr *m, const ecai_catalog *cat, const char *dir) {
  bst_ulong len = 0;
  const char *raw = NULL;
  if (XGBoosterSaveModelToBuffer(m->bst, "{\"format\":\"ubj\"}", &len, &raw)) return xgb_err("save");
  ecai__buf b = {0};
  ecai__put_u32(&b, LTR_LAYOUT);
  ecai__put_u32(&b, ECAI__LTR_NFEAT);
  for (int f = 0; f < ECAI__LTR_NFEAT; f++) ecai__put_str(&b, ecai__ltr_feature_names[f]);
  ecai__put_u64(&b, m->depth);
  ecai__put_u64(&b, m->off);
  ecai__put_f64(&b, m->avg.title);
  for (int f = 0; f < 4; f++) ecai__put_f64(&b, m->avg.f[f]);
  ecai__put_f64(&b, m->pr.mean);
  ecai__put_f64(&b, m->pr.m);
  size_t np = 0;
  for (size_t i = 0; i < m->pr.n; i++) np += m->pr.cnt[i] > 0;
  ecai__put_u64(&b, np);
  for (size_t i = 0; i < m->pr.n; i++) {
    if (!(m->pr.cnt[i] > 0)) continue;
    ecai__put_str(&b, ecai_catalog_sku(cat, (int64_t)i));
    ecai__put_f64(&b, m->pr.sum[i]);
    ecai__put_f64(&b, m->pr.cnt[i]);
  }
  ecai__put_u64(&b, m->sn.nq);
  for (size_t i = 0; i < m->sn.nq; i++) {
    ecai__put_u64(&b, m->sn.h[i]);
    ecai__put_u32(&b, m->sn.start[i + 1] - m->sn.start[i]);
    for (uint32_t k = m->sn.start[i]; k < m->sn.start[i + 1]; k++) {
      ecai__put_str(&b, ecai_catalog_sku(cat, m->sn.id[k]));
      ecai__put_f64(&b, m->sn.gain[k]);
    }
  }
  ecai__put_u64(&b, len);
  ecai__buf_append(&b, raw, len);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/ranker.bin", dir);
  ecai_status st = ecai__blob_write(path, LTR_MAGIC, b.data, b.len, NULL);
  ecai__buf_free(&b);
  return st;
}

static ecai_status prior_alloc(ecai__ltr_prior *pr, size_t n) {
  pr->n = n;
  pr->sum = ecai__calloc(n ? n : 1, sizeof *pr->sum);
  pr->cnt = ecai__calloc(n ? n : 1, sizeof *pr->cnt);
  return pr->sum && pr->cnt ? ECAI_OK : ecai__err(ECAI_ENOMEM, "search: out of memory");
}

static ecai_status seen_alloc(seen *sn, size_t nq, size_t nj) {
  sn->nq = nq, sn->nj = nj;
  sn->h = ecai__malloc((nq ? nq : 1) * sizeof *sn->h);
  sn->start = ecai__calloc(nq + 1, sizeof *sn->start);
  sn->id = ecai__malloc((nj ? nj : 1) * sizeof *sn->id);
  sn->gain = ecai__malloc((nj ? nj : 1) * sizeof *sn->gain);
  return sn->h && sn->start && sn->id && sn->gain ? ECAI_OK : ecai__err(ECAI_ENOMEM, "search: out of memory");
}

static ecai_status read_seen(seen *sn, ecai__rd *r, const ecai_catalog *cat, size_t len) {
  uint64_t nq = ecai__get_u64(r);
  if (r->bad || nq > len / 12) return ECAI_ECORRUPT;
  ecai_status st = seen_alloc(sn, (size_t)nq, len / 12 < UINT32_MAX ? len / 12 : UINT32_MAX);
  size_t k = 0;
  for (size_t i = 0; !st && i < nq && !r->bad; i++) {
    sn->h[i] = ecai__get_u64(r);
    uint32_t n = ecai__get_u32(r);
    if (r->bad || (i && sn->h[i] <= sn->h[i - 1]) || n > sn->nj - k) r->bad = 1;
    for (uint32_t j = 0; j < n && !r->bad; j++, k++) {
      char *sku = ecai__get_str(r);
      double g = ecai__get_f64(r);
      if (!sku || !isfinite(g)) r->bad = 1;
      if (!sku || ecai_catalog_id(&sn->id[k], cat, sku) != ECAI_OK) sn->id[k] = -1;
      sn->gain[k] = (float)g;
      ecai__free(sku);
    }
    sn->start[i + 1] = (uint32_t)k;
  }
  sn->nj = k;
  return st ? st : r->bad ? ECAI_ECORRUPT : ECAI_OK;
}

static ecai_status parse(ecai__ltr *m, const ecai_catalog *cat, const char *data, size_t len, const char *path) {
  ecai__rd r = {data, len, 0, 0};
  if (ecai__get_u32(&r) != LTR_LAYOUT)
    return ecai__err(ECAI_ECORRUPT, "%s: unknown ranker layout (written by another version: run ecai learn again)", path);
  if (ecai__get_u32(&r) != ECAI__LTR_NFEAT)
    return ecai__err(ECAI_ECORRUPT, "%s: the ranker was learnt on other features: run ecai learn again", path);
  for (int f = 0; f < ECAI__LTR_NFEAT && !r.bad; f++) {
    char *name = ecai__get_str(&r);
    int same = name && !strcmp(name, ecai__ltr_feature_names[f]);
    ecai__free(name);
    if (!same && !r.bad)
      return ecai__err(ECAI_ECORRUPT, "%s: the ranker was learnt on other features: run ecai learn again", path);
  }
  m->depth = (size_t)ecai__get_u64(&r);
  m->off = ecai__get_u64(&r);
  m->avg.title = ecai__get_f64(&r);
  for (int f = 0; f < 4; f++) m->avg.f[f] = ecai__get_f64(&r);
  m->pr.mean = ecai__get_f64(&r);
  m->pr.m = ecai__get_f64(&r);
  uint64_t np = ecai__get_u64(&r);
  if (r.bad || m->depth < 1 || m->depth > 4096 || !isfinite(m->pr.mean) || !(m->pr.m > 0) || np > len)
    return ecai__err(ECAI_ECORRUPT, "%s: damaged ranker header", path);
  ecai_status st = prior_alloc(&m->pr, ecai__catalog_slots(cat));
  for (uint64_t i = 0; !st && i < np && !r.bad; i++) {
    char *sku = ecai__get_str(&r);
    double s = ecai__get_f64(&r), c = ecai__get_f64(&r);
    int64_t id;
    if (!r.bad && (!sku || !isfinite(s) || !(c > 0))) r.bad = 1;
    /* a product removed since learning has no prior */
    if (!r.bad && ecai_catalog_id(&id, cat, sku) == ECAI_OK && (size_t)id < m->pr.n)
      m->pr.sum[id] = (float)s, m->pr.cnt[id] = (float)c;
    ecai__free(sku);
  }
  if (st) return st;
  st = read_seen(&m->sn, &r, cat, len);
  if (st) return st == ECAI_ECORRUPT ? ecai__err(st, "%s: damaged ranker (queries learnt from)", path) : st;
  uint64_t ml = ecai__get_u64(&r);
  const void *model = r.bad || ml > len ? NULL : ecai__get_bytes(&r, (size_t)ml);
  if (!model || r.bad || r.pos != len) return ecai__err(ECAI_ECORRUPT, "%s: damaged ranker", path);
  if (XGBoosterCreate(NULL, 0, &m->bst) || XGBoosterLoadModelFromBuffer(m->bst, model, ml))
    return ecai__err(ECAI_ECORRUPT, "%s: the learnt model does not load: %.*s", path,
                     xgb_msg_len(XGBGetLastError()), XGBGetLastError());
  return ready(m);
}

ecai_status ecai__ltr_open(ecai__ltr **out, const ecai_catalog *cat, const char *dir) {
  *out = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/ranker.bin", dir);
  FILE *f = fopen(path, "rb");
  if (!f) return ECAI_ENOTFOUND;
  fclose(f);
  char *data = NULL;
  size_t len = 0;
  ecai_status st = ecai__blob_read(path, LTR_MAGIC, &data, &len, NULL);
  if (st) return st;
  ecai__ltr *m = ecai__calloc(1, sizeof *m);
  st = m ? parse(m, cat, data, len, path) : ecai__err(ECAI_ENOMEM, "search: out of memory");
  ecai__free(data);
  if (st) {
    ecai__ltr_free(m);
    return st;
  }
  *out = m;
  return ECAI_OK;
}

/* ---- reading the judgments ------------------------------------------------------------ */

/* Reads a whole (optionally gzip-compressed) text file into b, NUL-terminated. */
static ecai_status slurp(ecai__buf *b, const char *path) {
  memset(b, 0, sizeof *b);
  gzFile g = gzopen(path, "rb");
  if (!g) return ecai__err(ECAI_EIO, "search_learn: cannot open %s", path);
  char chunk[65536];
  int n;
  while ((n = gzread(g, chunk, sizeof chunk)) > 0) ecai__buf_append(b, chunk, (size_t)n);
  int bad = n < 0;
  gzclose(g);
  ecai__buf_append(b, "", 1);
  if (bad) {
    ecai__buf_free(b);
    return ecai__err(ECAI_EIO, "search_learn: cannot read %s", path);
  }
  if (b->oom) {
    ecai__buf_free(b);
    return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
  }
  b->len--;
  return ECAI_OK;
}

/* Calls fn for every data line of a TSV file split into up to 3 fields (the header line
 * starting "query_id" and empty lines skipped); the fields point into the buffer. */
typedef ecai_status (*line_fn)(char **f, size_t nf, size_t lineno, void *p);
static ecai_status each_line(ecai__buf *b, const char *path, size_t want, line_fn fn, void *p) {
  char *s = b->data, *end = b->data + b->len;
  size_t no = 0;
  while (s && s < end) {
    char *nl = memchr(s, '\n', (size_t)(end - s));
    if (nl) *nl = 0;
    no++;
    size_t l = strlen(s);
    if (l && s[l - 1] == '\r') s[--l] = 0;
    char *f[3];
    size_t nf = 0;
    for (char *q = s; q && nf < 3;) {
      f[nf++] = q;
      q = strchr(q, '\t');
      if (q) *q++ = 0;
    }
    if (l && !(no == 1 && !strcmp(f[0], "query_id"))) {
      if (nf < want)
        return ecai__err(ECAI_EPARSE, "search_learn: %s:%zu: expected %zu tab-separated fields", path, no, want);
      ecai_status st = fn(f, nf, no, p);
      if (st) return st;
    }
    s = nl ? nl + 1 : NULL;
  }
  return ECAI_OK;
}

typedef struct query { char *qid, *text; int half, rel; size_t first, n; } query;
typedef struct judg { size_t q; int64_t id; double v; } judg;

typedef struct learn_in {
  const ecai_catalog *cat;
  const char *qpath, *lpath;
  int counts;
  query *q;
  size_t nq, qcap;
  ecai__smap qmap; /* qid -> index */
  judg *j;
  size_t nj, jcap;
  size_t unknown_q, unknown_p;
  char ex_q[3][64], ex_p[3][64];
} learn_in;

static ecai_status add_query(char **f, size_t nf, size_t no, void *p) {
  (void)nf;
  learn_in *in = p;
  if (ecai__smap_get(&in->qmap, f[0], strlen(f[0]), NULL))
    return ecai__err(ECAI_EINVAL, "search_learn: %s:%zu: query id \"%s\" appears twice", in->qpath, no, f[0]);
  if (in->nq == in->qcap) {
    size_t cap = in->qcap ? in->qcap * 2 : 256;
    query *nv = ecai__realloc(in->q, cap * sizeof *nv);
    if (!nv) return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
    in->q = nv;
    in->qcap = cap;
  }
  query *q = &in->q[in->nq];
  memset(q, 0, sizeof *q);
  q->qid = f[0];
  q->text = f[1];
  q->half = (int)(XXH3_64bits(f[1], strlen(f[1])) & 1);
  if (!ecai__smap_set(&in->qmap, f[0], strlen(f[0]), in->nq)) return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
  in->nq++;
  return ECAI_OK;
}

static void example(char ex[3][64], size_t count, const char *v) {
  if (count <= 3) snprintf(ex[count - 1], 64, "%s", v);
}

static ecai_status add_judgment(char **f, size_t nf, size_t no, void *p) {
  (void)nf;
  learn_in *in = p;
  char *end;
  double v = strtod(f[2], &end);
  while (*end == ' ') end++;
  if (end == f[2] || *end || !isfinite(v))
    return ecai__err(ECAI_EPARSE, "search_learn: %s:%zu: \"%s\" is not a number", in->lpath, no, f[2]);
  if (!in->counts && (v < 1 || v > 3))
    return ecai__err(ECAI_EINVAL, "search_learn: %s:%zu: grade %s is outside 1..3 (counts need \"labels\": \"counts\")",
                     in->lpath, no, f[2]);
  if (in->counts && v < 0)
    return ecai__err(ECAI_EINVAL, "search_learn: %s:%zu: count %s is negative", in->lpath, no, f[2]);
  size_t qi;
  int64_t id;
  int okq = ecai__smap_get(&in->qmap, f[0], strlen(f[0]), &qi);
  if (!okq) example(in->ex_q, ++in->unknown_q, f[0]);
  if (ecai_catalog_id(&id, in->cat, f[1]) != ECAI_OK) {
    example(in->ex_p, ++in->unknown_p, f[1]);
    return ECAI_OK;
  }
  if (!okq) return ECAI_OK;
  if (in->nj == in->jcap) {
    size_t cap = in->jcap ? in->jcap * 2 : 1024;
    judg *nv = ecai__realloc(in->j, cap * sizeof *nv);
    if (!nv) return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
    in->j = nv;
    in->jcap = cap;
  }
  in->j[in->nj++] = (judg){qi, id, v};
  return ECAI_OK;
}

static int cmp_judg(const void *a, const void *b) {
  const judg *x = a, *y = b;
  if (x->q != y->q) return x->q < y->q ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Reads both files and checks them; on return in->j is sorted by query, each query's
 * judgments are j[first .. first + n) and v holds the gain (grade - 1, 0..2). */
static ecai_status read_judgments(learn_in *in, ecai__buf *qb, ecai__buf *lb) {
  ecai_status st = slurp(qb, in->qpath);
  if (!st) st = slurp(lb, in->lpath);
  if (!st) st = each_line(qb, in->qpath, 2, add_query, in);
  if (!st && in->nq == 0) st = ecai__err(ECAI_EINVAL, "search_learn: %s has no queries", in->qpath);
  if (!st) st = each_line(lb, in->lpath, 3, add_judgment, in);
  if (st) return st;
  if (in->unknown_q)
    return ecai__err(ECAI_EINVAL, "search_learn: %zu judgment(s) in %s name queries that are not in %s (e.g. %s%s%s%s%s)",
                     in->unknown_q, in->lpath, in->qpath, in->ex_q[0], in->unknown_q > 1 ? ", " : "", in->ex_q[1],
                     in->unknown_q > 2 ? ", " : "", in->ex_q[2]);
  if (in->unknown_p)
    return ecai__err(ECAI_EINVAL, "search_learn: %zu judgment(s) in %s name products that are not in the catalog (e.g. %s%s%s%s%s)",
                     in->unknown_p, in->lpath, in->ex_p[0], in->unknown_p > 1 ? ", " : "", in->ex_p[1],
                     in->unknown_p > 2 ? ", " : "", in->ex_p[2]);
  if (in->nj == 0) return ecai__err(ECAI_EINVAL, "search_learn: %s has no judgments", in->lpath);
  qsort(in->j, in->nj, sizeof *in->j, cmp_judg);
  for (size_t i = 0; i < in->nj;) {
    size_t e = i;
    double mx = 0;
    while (e < in->nj && in->j[e].q == in->j[i].q) {
      if (e > i && in->j[e].id == in->j[e - 1].id)
        return ecai__err(ECAI_EINVAL, "search_learn: %s: query %s judges product %s twice", in->lpath,
                         in->q[in->j[e].q].qid, ecai_catalog_sku(in->cat, in->j[e].id));
      if (in->j[e].v > mx) mx = in->j[e].v;
      e++;
    }
    in->q[in->j[i].q].first = i;
    in->q[in->j[i].q].n = e - i;
    /* counts -> grades: the query's most clicked (bought) product 3, an unclicked one 1,
     * in between on a log scale: grade = 1 + 2 log(1 + c) / log(1 + max c of the query) */
    for (size_t k = i; k < e; k++)
      in->j[k].v = in->counts ? (mx > 0 ? 2 * log1p(in->j[k].v) / log1p(mx) : 0) : in->j[k].v - 1;
    i = e;
  }
  return ECAI_OK;
}

/* ---- learning -------------------------------------------------------------------------- */

typedef struct lopts {
  int counts, split; /* split: -1 all, 0 tune (even hash), 1 test */
  size_t depth, rounds, min_queries, max_depth;
  uint64_t off;
  double eta;
  int threads;
} lopts;

static ecai_status opt_int(json_t *v, const char *key, size_t lo, size_t hi, size_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo || json_integer_value(v) > (json_int_t)hi)
    return ecai__err(ECAI_EINVAL, "search_learn: \"%s\" must be an integer %zu..%zu", key, lo, hi);
  *out = (size_t)json_integer_value(v);
  return ECAI_OK;
}

static ecai_status learn_opts(const char *options, lopts *o) {
  *o = (lopts){.split = -1, .depth = 50, .rounds = 100, .min_queries = 20, .max_depth = 4, .eta = 0.1};
  json_t *j = NULL, *v;
  ecai_status st = ecai__json_options(&j, options, "search_learn options");
  const char *key;
  size_t t;
  if (!st && j) json_object_foreach(j, key, v) {
    const char *s = json_string_value(v);
    if (!strcmp(key, "labels")) {
      if (!s || (strcmp(s, "grades") && strcmp(s, "counts")))
        st = ecai__err(ECAI_EINVAL, "search_learn: \"labels\" must be \"grades\" or \"counts\"");
      else o->counts = !strcmp(s, "counts");
    } else if (!strcmp(key, "split")) {
      if (!s || (strcmp(s, "all") && strcmp(s, "tune") && strcmp(s, "test")))
        st = ecai__err(ECAI_EINVAL, "search_learn: \"split\" must be all, tune or test");
      else o->split = !strcmp(s, "all") ? -1 : !strcmp(s, "tune") ? 0 : 1;
    } else if (!strcmp(key, "candidates")) st = opt_int(v, key, 10, 1000, &o->depth);
    else if (!strcmp(key, "rounds")) st = opt_int(v, key, 1, 5000, &o->rounds);
    else if (!strcmp(key, "min_queries")) st = opt_int(v, key, 1, 1000000, &o->min_queries);
    else if (!strcmp(key, "max_depth")) st = opt_int(v, key, 1, 16, &o->max_depth);
    else if (!strcmp(key, "threads")) st = opt_int(v, key, 0, 256, &t), o->threads = (int)t;
    else if (!strcmp(key, "eta")) {
      if (!json_is_number(v) || !(json_number_value(v) > 0 && json_number_value(v) <= 1))
        st = ecai__err(ECAI_EINVAL, "search_learn: \"eta\" must be a number in (0, 1]");
      else o->eta = json_number_value(v);
    } else if (!strcmp(key, "without")) {
      size_t i;
      json_t *e;
      if (!json_is_array(v)) st = ecai__err(ECAI_EINVAL, "search_learn: \"without\" must be a list of feature names");
      json_array_foreach(v, i, e) {
        int f = 0;
        while (f < ECAI__LTR_NFEAT && (!json_is_string(e) || strcmp(json_string_value(e), ecai__ltr_feature_names[f]))) f++;
        if (f == ECAI__LTR_NFEAT) {
          st = ecai__err(ECAI_EINVAL, "search_learn: \"without\": unknown feature %s", json_is_string(e) ? json_string_value(e) : "(not a string)");
          break;
        }
        o->off |= 1ull << f;
      }
    } else st = ecai__err(ECAI_EINVAL, "search_learn: unknown option \"%s\"", key);
    if (st) break;
  }
  json_decref(j);
  return st;
}

typedef struct hq { uint64_t h; size_t q; } hq;
static int cmp_hq(const void *a, const void *b) {
  const hq *x = a, *y = b;
  return x->h < y->h ? -1 : x->h > y->h;
}

/* The table of the queries learnt from (several queries with one text are merged). */
static ecai_status seen_build(seen *sn, const learn_in *in, size_t used, size_t judged) {
  hq *v = ecai__malloc((used ? used : 1) * sizeof *v);
  if (!v) return ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
  size_t n = 0;
  for (size_t i = 0; i < in->nq; i++)
    if (in->q[i].n) v[n++] = (hq){XXH3_64bits(in->q[i].text, strlen(in->q[i].text)), i};
  qsort(v, n, sizeof *v, cmp_hq);
  size_t distinct = 0;
  for (size_t i = 0; i < n; i++) distinct += !i || v[i].h != v[i - 1].h;
  ecai_status st = seen_alloc(sn, distinct, judged);
  size_t k = 0, d = 0;
  for (size_t i = 0; !st && i < n; i++) {
    if (i && v[i].h == v[i - 1].h) d--; /* same text: one entry */
    sn->h[d] = v[i].h;
    const query *q = &in->q[v[i].q];
    for (size_t j = 0; j < q->n; j++, k++) sn->id[k] = in->j[q->first + j].id, sn->gain[k] = (float)in->j[q->first + j].v;
    sn->start[++d] = (uint32_t)k;
  }
  ecai__free(v);
  return st;
}

static ecai_status train(ecai__ltr *m, const collect *col, const lopts *o, double *train_ndcg) {
  DMatrixHandle dm = NULL;
  ecai_status st = ECAI_OK;
  char buf[64];
  if (XGDMatrixCreateFromMat(col->X, col->rows, ECAI__LTR_NFEAT, NAN, &dm) ||
      XGDMatrixSetFloatInfo(dm, "label", col->y, col->rows) ||
      XGDMatrixSetUIntInfo(dm, "group", col->group, col->ngroups) || XGBoosterCreate(&dm, 1, &m->bst)) {
    st = xgb_err("setup");
    goto out;
  }
  snprintf(buf, sizeof buf, "%d", o->threads);
  const char *params[][2] = {{"objective", "rank:ndcg"}, {"eval_metric", "ndcg@10"}, {"verbosity", "0"},
                             {"seed", "1"}, {"subsample", "0.8"}, {"colsample_bytree", "0.8"},
                             {"min_child_weight", "1"}, {"tree_method", "hist"}};
  for (size_t i = 0; i < sizeof params / sizeof *params; i++)
    if (XGBoosterSetParam(m->bst, params[i][0], params[i][1])) {
      st = xgb_err("parameters");
      goto out;
    }
  if (o->threads && XGBoosterSetParam(m->bst, "nthread", buf)) st = xgb_err("parameters");
  snprintf(buf, sizeof buf, "%zu", o->max_depth);
  if (!st && XGBoosterSetParam(m->bst, "max_depth", buf)) st = xgb_err("parameters");
  snprintf(buf, sizeof buf, "%.17g", o->eta);
  if (!st && XGBoosterSetParam(m->bst, "eta", buf)) st = xgb_err("parameters");
  for (size_t it = 0; !st && it < o->rounds; it++)
    if (XGBoosterUpdateOneIter(m->bst, (int)it, dm)) st = xgb_err("training");
  const char *names[] = {"train"}, *ev = NULL;
  if (!st && XGBoosterEvalOneIter(m->bst, (int)o->rounds, &dm, names, 1, &ev)) st = xgb_err("evaluation");
  const char *at = ev ? strstr(ev, "ndcg@10:") : NULL;
  *train_ndcg = at ? strtod(at + 8, NULL) : NAN;
  if (!st) st = ready(m); /* prediction: one thread per query */
out:
  if (dm) XGDMatrixFree(dm);
  return st;
}

ecai_status ecai_search_learn(char **out, size_t *out_len, ecai_search *s, const char *dir, const char *queries,
                              const char *labels, const char *options) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(s);
  ECAI__CHECK_ARG(queries);
  ECAI__CHECK_ARG(labels);
  lopts o;
  ecai_status st = learn_opts(options, &o);
  if (st) return st;
  const ecai_catalog *cat = ecai_store_catalog(ecai__search_store(s));
  const ecai__bm25 *bm = ecai__search_bm25(s);
  learn_in in = {.cat = cat, .qpath = queries, .lpath = labels, .counts = o.counts};
  ecai__buf qb = {0}, lb = {0};
  ecai__smap_init_borrowed(&in.qmap);
  collect col = {0};
  ecai__ltr *m = ecai__calloc(1, sizeof *m);
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  size_t used = 0, judged = 0;
  double tndcg = NAN;
  if (!m) st = ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
  if (!st) st = read_judgments(&in, &qb, &lb);
  if (st) goto out;
  /* the queries learnt from: judged, in the split, with at least one relevant product */
  for (size_t i = 0; i < in.nq; i++) {
    query *q = &in.q[i];
    int rel = 0;
    for (size_t k = 0; k < q->n; k++) rel |= in.j[q->first + k].v > 0;
    if (!q->n || (o.split >= 0 && q->half != o.split)) q->n = 0;
    else used++, judged += q->n, q->rel = rel;
  }
  size_t relevant = 0;
  for (size_t i = 0; i < in.nq; i++) relevant += in.q[i].n && in.q[i].rel;
  if (relevant < o.min_queries) {
    st = ecai__err(ECAI_EINVAL, "search_learn: too few labelled queries to learn from: %zu with a relevant product "
                   "(grade > 1)%s, at least %zu needed (option \"min_queries\")", relevant,
                   o.split < 0 ? "" : " in this split", o.min_queries);
    goto out;
  }
  /* priors from the training judgments; field length averages over the catalog */
  m->depth = o.depth;
  m->off = o.off;
  m->pr.m = PRIOR_M;
  if ((st = prior_alloc(&m->pr, ecai__catalog_slots(cat))) != ECAI_OK) goto out;
  double gsum = 0;
  for (size_t i = 0; i < in.nq; i++)
    for (size_t k = 0; k < in.q[i].n; k++) {
      judg *jg = &in.j[in.q[i].first + k];
      m->pr.sum[jg->id] += (float)jg->v, m->pr.cnt[jg->id] += 1, gsum += jg->v;
    }
  m->pr.mean = judged ? gsum / (double)judged : 0;
  if ((st = seen_build(&m->sn, &in, used, judged)) != ECAI_OK) goto out;
  if ((st = ecai__tokenizer_new(&tk)) != ECAI_OK) goto out;
  size_t live = 0;
  double tl = 0;
  for (size_t d = 0; d < ecai__catalog_slots(cat); d++) {
    if (!ecai__catalog_product(cat, (int64_t)d)) continue;
    live++;
    tl += d < bm->ndocs ? bm->tstart[d + 1] - bm->tstart[d] : 0;
    ecai__ltr_field_lengths(m->avg.f, cat, (int64_t)d, tk, &toks);
  }
  m->avg.title = live ? tl / (double)live : 0;
  for (int f = 0; f < 4; f++) m->avg.f[f] = live ? m->avg.f[f] / (double)live : 0;
  /* the candidates of every training query, as the engine ranks them today */
  m->col = &col;
  int64_t *jid = NULL;
  float *jgain = NULL;
  for (size_t i = 0; !st && i < in.nq; i++) {
    query *q = &in.q[i];
    if (!q->n || !q->rel) continue;
    ecai__free(jid), ecai__free(jgain);
    jid = ecai__malloc(q->n * sizeof *jid);
    jgain = ecai__malloc(q->n * sizeof *jgain);
    if (!jid || !jgain) {
      st = ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
      break;
    }
    for (size_t k = 0; k < q->n; k++) jid[k] = in.j[q->first + k].id, jgain[k] = (float)in.j[q->first + k].v;
    col.jid = jid, col.jgain = jgain, col.nj = q->n;
    st = ecai__search_probe(s, m, q->text, strlen(q->text));
  }
  ecai__free(jid), ecai__free(jgain);
  m->col = NULL;
  if (!st && col.ngroups < o.min_queries)
    st = ecai__err(ECAI_EINVAL, "search_learn: too few labelled queries to learn from: %zu have a relevant product "
                   "among their candidates, at least %zu needed (option \"min_queries\")", col.ngroups, o.min_queries);
  if (!st) st = train(m, &col, &o, &tndcg);
  if (!st && dir) st = save(m, cat, dir);
  if (st) goto out;
  json_t *rep = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "labels", o.counts ? "counts" : "grades",
                          "split", o.split < 0 ? "all" : o.split ? "test" : "tune", "queries", (json_int_t)used,
                          "judgments", (json_int_t)judged, "learnt_from", (json_int_t)col.ngroups,
                          "no_relevant_candidate", (json_int_t)col.skipped, "rows", (json_int_t)col.rows,
                          "candidates", (json_int_t)o.depth, "rounds", (json_int_t)o.rounds, "features",
                          (int)ECAI__LTR_NFEAT);
  if (rep && isfinite(tndcg)) json_object_set_new(rep, "train_ndcg@10", json_real(tndcg));
  if (rep) json_object_set_new(rep, "file", dir ? json_sprintf("%s/ranker.bin", dir) : json_null());
  st = rep ? ecai__json_dump(out, out_len, rep) : ecai__err(ECAI_ENOMEM, "search_learn: out of memory");
  json_decref(rep);
  if (st) goto out;
  ecai__ltr_free(ecai__search_set_ltr(s, m));
  m = NULL;
out:
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(tk);
  ecai__free(col.X), ecai__free(col.y), ecai__free(col.group);
  ecai__ltr_free(m);
  ecai__smap_free(&in.qmap);
  ecai__free(in.q), ecai__free(in.j);
  ecai__buf_free(&qb), ecai__buf_free(&lb);
  return st;
}
