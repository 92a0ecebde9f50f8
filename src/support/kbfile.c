/*
 * Knowledge-base files.
 *
 * ecai_kb_save writes the mapped layout: a container (catalog/ser.h, magic "ECAIKBM\0",
 * XXH3 checksum verified once per file per process) whose payload ecai_kb_open uses in
 * place through a read-only shared mapping: chunk texts, their analysed term ids and
 * counts (three fields), their vectors and the vocabulary are not parsed, tokenised or
 * embedded again, and N processes share one copy through the page cache. Per process stay
 * the small tables built on open: the chunk and document records (pointers into the
 * mapping), the vocabulary's hash map, document frequencies, and the examples (their saved
 * terms and vectors copied, their duplicate keys rebuilt). The confidence model fitted
 * before the save comes back with them, for an assistant whose input guard has the same
 * configuration (the screen id), so a process does not fit it again.
 *
 * Saved analyses are used only when they were made by the same analysis: the file records
 * the fingerprint of the tokenizer (ecai__text_fingerprint, with kb.c's own analysis
 * version and its filler and chat-spelling lists) and of the embedder (its identity). When either differs, the chunks' texts are
 * analysed again as the ECAIKB1 files are (slower, never stale), and the log says so.
 *
 * Payload (little-endian, offsets from the payload start, every section 8-aligned):
 *    0 u32 layout (2)          4 u32 dim
 *    8 u64 analysis fingerprint          16 u64 embedder fingerprint
 *   24 u32 ndocs  28 u32 nchunks  32 u32 nterms  36 u32 nexamples
 *   40 u64 docs      ndocs x {u32 source, u32 origin, u64 hash}       (string offsets)
 *   48 u64 chunks    nchunks x {u32 doc, section, text, faq, len, hlen, blen, nterms,
 *                    nhterms, nbterms, ids, 0}: sorted by doc; ids = index into the id
 *                    pool of terms[n], tfs[n], hterms[nh], htfs[nh], bterms[nb], btfs[nb]
 *   56 u64 vocab     nterms x u32 string offset (term i has id i)
 *   64 u64 examples  nexamples x {u32 source, u32 question, u32 nterms, u32 ids}: ids =
 *                    index into the id pool of its sorted content-term ids
 *   72 u64 ids       80 u64 n_ids (u32 each)
 *   88 u64 vectors   (nchunks + nexamples) x dim floats: the chunks', then the examples'
 *   96 u64 strings  104 u64 strings length: NUL-terminated strings, the last byte NUL
 *  112 u64 model     0, or the confidence model: {u64 screen id, u64 labelled questions
 *                    when fitted, u64 n, u64 npos, u32 fitted, u32 0, f64 w[7]}
 *
 * The older text files ("ECAIKB1 <xxh3>\n" + JSON, versions 1 and 2) are still read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support_internal.h"

#define KB_MAGIC_TEXT "ECAIKB1 "
static const char KB_MAGIC_MAP[8] = {'E', 'C', 'A', 'I', 'K', 'B', 'M', '\0'};
#define KB_LAYOUT 2u
/* Bump when kb.c analyses a chunk differently (its fields, tokenizer flags, index text). */
#define KB_ANALYSIS_VERSION 1u
#define HDR_BYTES 120u
#define DOC_BYTES 16u
#define CHUNK_WORDS 12u
#define EX_BYTES 16u
#define MODEL_BYTES (40u + 8u * ECAI__KB_NF)

/* ---- fingerprints ---------------------------------------------------------------------- */

static uint64_t analysis_fp(void) {
  uint64_t parts[3] = {ecai__text_fingerprint(), KB_ANALYSIS_VERSION, ecai__kb_lists_hash()};
  return XXH3_64bits(parts, sizeof parts);
}

static ecai_status embedder_fp(const ecai_kb *kb, uint64_t *fp) {
  char *id = NULL;
  size_t n = 0;
  ecai_status st = ecai_embedder_identity(&id, &n, kb->emb);
  if (st) return st;
  *fp = XXH3_64bits(id, n);
  ecai_free(id);
  return ECAI_OK;
}

/* ---- save ---------------------------------------------------------------------------------- */

typedef struct {
  ecai__buf docs, chunks, vocab, ex, ids, vecs, strings, model;
} writer;

static void writer_free(writer *w) {
  ecai__buf *all[] = {&w->docs, &w->chunks, &w->vocab, &w->ex, &w->ids, &w->vecs, &w->strings, &w->model};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ecai__buf_free(all[i]);
}

/* Appends a NUL-terminated string to the pool and its offset to dst. */
static void put_string(writer *w, ecai__buf *dst, const char *s) {
  ecai__put_u32(dst, (uint32_t)w->strings.len);
  ecai__buf_append(&w->strings, s, strlen(s) + 1);
}

static void put_ids(writer *w, const uint32_t *terms, const uint32_t *tfs, size_t n) {
  ecai__buf_append(&w->ids, terms, n * sizeof *terms);
  ecai__buf_append(&w->ids, tfs, n * sizeof *tfs);
}

static void put_chunk(writer *w, const ecai_kb *kb, const ecai__kb_chunk *c, uint32_t doc) {
  uint32_t ids = (uint32_t)(w->ids.len / sizeof(uint32_t));
  ecai__put_u32(&w->chunks, doc);
  put_string(w, &w->chunks, c->section);
  put_string(w, &w->chunks, c->text);
  uint32_t rest[] = {c->faq, c->len, c->hlen, c->blen, (uint32_t)c->nterms, (uint32_t)c->nhterms,
                     (uint32_t)c->nbterms, ids, 0};
  for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) ecai__put_u32(&w->chunks, rest[i]);
  put_ids(w, c->terms, c->tfs, c->nterms);
  put_ids(w, c->hterms, c->htfs, c->nhterms);
  put_ids(w, c->bterms, c->btfs, c->nbterms);
  ecai__buf_append(&w->vecs, c->vec, kb->dim * sizeof *c->vec);
}

static void put_example(writer *w, const ecai_kb *kb, const ecai__kb_example *e) {
  put_string(w, &w->ex, e->source);
  put_string(w, &w->ex, e->text);
  ecai__put_u32(&w->ex, (uint32_t)e->nterms);
  ecai__put_u32(&w->ex, (uint32_t)(w->ids.len / sizeof(uint32_t)));
  ecai__buf_append(&w->ids, e->terms, e->nterms * sizeof *e->terms);
}

/* The confidence model when it serves the KB as saved (not when documents changed since). */
static void put_model(writer *w, const ecai_kb *kb) {
  if (!kb->model_screen_id || !ecai__kb_model_current(kb, kb->model_screen_id)) return;
  const ecai__kb_model *m = &kb->model;
  uint64_t head[4] = {kb->model_screen_id, kb->model_groups, m->n, m->npos};
  for (size_t i = 0; i < 4; i++) ecai__put_u64(&w->model, head[i]);
  ecai__put_u32(&w->model, m->fitted);
  ecai__put_u32(&w->model, 0);
  for (size_t i = 0; i < ECAI__KB_NF; i++) ecai__put_f64(&w->model, m->w[i]);
}

/* The live chunks' indexes grouped by document, documents in order, each document's chunks
 * in commit order (a counting sort: saving is linear in chunks). *n = how many. */
static size_t *chunk_order(const ecai_kb *kb, size_t *n) {
  size_t *at = ecai__calloc(kb->ndocs + 1, sizeof *at), *order = ecai__malloc((kb->nchunks ? kb->nchunks : 1) * sizeof *order);
  if (!at || !order) {
    ecai__free(at);
    ecai__free(order);
    return NULL;
  }
  for (size_t i = 0; i < kb->nchunks; i++)
    if (kb->chunks[i].live && kb->docs[kb->chunks[i].doc].live) at[kb->chunks[i].doc + 1]++;
  for (size_t d = 0; d < kb->ndocs; d++) at[d + 1] += at[d];
  *n = at[kb->ndocs];
  for (size_t i = 0; i < kb->nchunks; i++)
    if (kb->chunks[i].live && kb->docs[kb->chunks[i].doc].live) order[at[kb->chunks[i].doc]++] = i;
  ecai__free(at);
  return order;
}

/* The live documents and their chunks grouped by document (in document order). */
static ecai_status write_docs(writer *w, const ecai_kb *kb, uint32_t *ndocs, uint32_t *nchunks) {
  size_t nc = 0, *order = chunk_order(kb, &nc);
  uint32_t *newid = ecai__malloc((kb->ndocs ? kb->ndocs : 1) * sizeof *newid);
  if (!order || !newid) {
    ecai__free(order);
    ecai__free(newid);
    return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  uint32_t nd = 0;
  for (size_t d = 0; d < kb->ndocs; d++) {
    if (!kb->docs[d].live) continue;
    newid[d] = nd++;
    put_string(w, &w->docs, kb->docs[d].source);
    put_string(w, &w->docs, kb->docs[d].origin ? kb->docs[d].origin : kb->docs[d].source);
    ecai__put_u64(&w->docs, kb->docs[d].hash);
  }
  for (size_t k = 0; k < nc; k++) put_chunk(w, kb, &kb->chunks[order[k]], newid[kb->chunks[order[k]].doc]);
  ecai__free(order);
  ecai__free(newid);
  *ndocs = nd;
  *nchunks = (uint32_t)nc;
  return ECAI_OK;
}

static void pad8(ecai__buf *b) {
  static const char zero[8];
  if (b->len % 8) ecai__buf_append(b, zero, 8 - b->len % 8);
}

/* Header and sections into one payload (after a 32-byte room for the container header). */
static ecai_status assemble(ecai__buf *out, writer *w, const uint32_t counts[4], uint32_t dim, uint64_t efp) {
  ecai__buf *sec[] = {&w->docs, &w->chunks, &w->vocab, &w->ex, &w->ids, &w->vecs, &w->strings, &w->model};
  enum { NSEC = sizeof sec / sizeof *sec };
  uint64_t off[NSEC], at = HDR_BYTES;
  for (size_t i = 0; i < NSEC; i++) {
    off[i] = at;
    at += (sec[i]->len + 7) / 8 * 8;
  }
  char room[32] = {0};
  ecai__buf_append(out, room, sizeof room);
  ecai__put_u32(out, KB_LAYOUT);
  ecai__put_u32(out, dim);
  ecai__put_u64(out, analysis_fp());
  ecai__put_u64(out, efp);
  for (size_t i = 0; i < 4; i++) ecai__put_u32(out, counts[i]);
  for (size_t i = 0; i < 4; i++) ecai__put_u64(out, off[i]);
  ecai__put_u64(out, off[4]);
  ecai__put_u64(out, w->ids.len / sizeof(uint32_t));
  ecai__put_u64(out, off[5]);
  ecai__put_u64(out, off[6]);
  ecai__put_u64(out, w->strings.len);
  ecai__put_u64(out, w->model.len ? off[7] : 0);
  for (size_t i = 0; i < NSEC; i++) {
    ecai__buf_append(out, sec[i]->data ? sec[i]->data : "", sec[i]->len);
    pad8(out);
  }
  bool oom = out->oom;
  for (size_t i = 0; i < NSEC; i++) oom |= sec[i]->oom;
  return oom ? ecai__err(ECAI_ENOMEM, "kb: out of memory") : ECAI_OK;
}

ecai_status ecai_kb_save(const ecai_kb *kb, const char *path) {
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(path);
  uint64_t efp = 0;
  ecai_status st = embedder_fp(kb, &efp);
  if (st) return st;
  writer w = {0};
  uint32_t counts[4] = {0, 0, (uint32_t)kb->nterms, (uint32_t)kb->nex};
  st = write_docs(&w, kb, &counts[0], &counts[1]);
  for (size_t i = 0; !st && i < kb->nterms; i++) put_string(&w, &w.vocab, kb->terms[i]);
  for (size_t i = 0; !st && i < kb->nex; i++) put_example(&w, kb, &kb->ex[i]);
  for (size_t i = 0; !st && i < kb->nex; i++) ecai__buf_append(&w.vecs, kb->ex[i].vec, kb->dim * sizeof(float));
  if (!st) put_model(&w, kb);
  if (!st && w.strings.len > UINT32_MAX) st = ecai__err(ECAI_EINVAL, "kb: save: more than 4 GB of text");
  ecai__buf out = {0};
  if (!st) st = assemble(&out, &w, counts, (uint32_t)kb->dim, efp);
  writer_free(&w);
  if (!st) st = ecai__blob_write2(path, KB_MAGIC_MAP, out.data, out.len, NULL, 0, NULL);
  ecai__buf_free(&out);
  return st;
}

/* ---- open: the mapped layout ------------------------------------------------------------------ */

typedef struct {
  const char *p; /* payload */
  size_t len;
  uint32_t dim, ndocs, nchunks, nterms, nex;
  uint64_t afp, efp, docs, chunks, vocab, ex, ids, nids, vecs, strings, nstrings, model;
  const char *path;
} mview;

static uint32_t u32_at(const char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
static uint64_t u64_at(const char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* True when [off, off + n * size) lies inside the payload and off is 8-aligned. */
static bool section_ok(const mview *v, uint64_t off, uint64_t n, uint64_t size) {
  return off % 8 == 0 && off <= v->len && n <= (v->len - off) / (size ? size : 1);
}

static ecai_status read_header(mview *v) {
  const char *h = v->p;
  if (v->len < HDR_BYTES || u32_at(h) != KB_LAYOUT)
    return ecai__err(ECAI_ECORRUPT, "kb: %s: unsupported mapped layout", v->path);
  v->dim = u32_at(h + 4), v->afp = u64_at(h + 8), v->efp = u64_at(h + 16);
  v->ndocs = u32_at(h + 24), v->nchunks = u32_at(h + 28), v->nterms = u32_at(h + 32), v->nex = u32_at(h + 36);
  v->docs = u64_at(h + 40), v->chunks = u64_at(h + 48), v->vocab = u64_at(h + 56), v->ex = u64_at(h + 64);
  v->ids = u64_at(h + 72), v->nids = u64_at(h + 80), v->vecs = u64_at(h + 88);
  v->strings = u64_at(h + 96), v->nstrings = u64_at(h + 104), v->model = u64_at(h + 112);
  bool ok = section_ok(v, v->docs, v->ndocs, DOC_BYTES) && section_ok(v, v->chunks, v->nchunks, CHUNK_WORDS * 4) &&
            section_ok(v, v->vocab, v->nterms, 4) && section_ok(v, v->ex, v->nex, EX_BYTES) &&
            section_ok(v, v->ids, v->nids, 4) && v->dim <= 1u << 20 &&
            section_ok(v, v->vecs, (uint64_t)v->nchunks + v->nex, (uint64_t)v->dim * sizeof(float)) &&
            (!v->model || section_ok(v, v->model, 1, MODEL_BYTES)) &&
            section_ok(v, v->strings, v->nstrings, 1) && v->nstrings > 0 && v->p[v->strings + v->nstrings - 1] == 0;
  return ok ? ECAI_OK : ecai__err(ECAI_ECORRUPT, "kb: %s: a section lies outside the file", v->path);
}

/* The string at pool offset off, or NULL when off is outside the pool. */
static const char *str_at(const mview *v, uint32_t off) {
  return off < v->nstrings ? v->p + v->strings + off : NULL;
}

/* A slice of the id pool of n words starting at *at (advanced), or NULL when outside. */
static uint32_t *ids_at(const mview *v, uint64_t *at, uint64_t n) {
  if (*at > v->nids || n > v->nids - *at) return NULL;
  uint32_t *p = (uint32_t *)(uintptr_t)(v->p + v->ids) + *at;
  *at += n;
  return p;
}

static bool finite_vec(const float *x, uint32_t dim) {
  for (uint32_t d = 0; d < dim; d++)
    if (!isfinite(x[d])) return false; /* scores must stay numbers */
  return true;
}

static bool ids_ok(const uint32_t *ids, size_t n, uint32_t nterms) {
  for (size_t t = 0; t < n; t++)
    if (ids[t] >= nterms) return false;
  return true;
}

/* Row r of the vectors: the chunks', then the examples'. */
static const float *vec_at(const mview *v, uint64_t r) { return (const float *)(uintptr_t)(v->p + v->vecs) + r * v->dim; }

/* Chunk i as a KB chunk borrowing the mapping; false when it is malformed. */
static bool view_chunk(const mview *v, uint32_t i, ecai__kb_chunk *c) {
  const char *r = v->p + v->chunks + (uint64_t)i * CHUNK_WORDS * 4;
  uint32_t w[CHUNK_WORDS];
  memcpy(w, r, sizeof w);
  memset(c, 0, sizeof *c);
  c->doc = w[0];
  c->section = (char *)(uintptr_t)str_at(v, w[1]);
  c->text = (char *)(uintptr_t)str_at(v, w[2]);
  c->faq = w[3] != 0, c->len = w[4], c->hlen = w[5], c->blen = w[6];
  c->nterms = w[7], c->nhterms = w[8], c->nbterms = w[9];
  uint64_t at = w[10];
  c->terms = ids_at(v, &at, c->nterms), c->tfs = ids_at(v, &at, c->nterms);
  c->hterms = ids_at(v, &at, c->nhterms), c->htfs = ids_at(v, &at, c->nhterms);
  c->bterms = ids_at(v, &at, c->nbterms), c->btfs = ids_at(v, &at, c->nbterms);
  c->vec = (float *)(uintptr_t)vec_at(v, i);
  c->mapped = true;
  return c->section && c->text && c->terms && c->tfs && c->hterms && c->htfs && c->bterms && c->btfs &&
         finite_vec(c->vec, v->dim) && ids_ok(c->terms, c->nterms, v->nterms) &&
         ids_ok(c->hterms, c->nhterms, v->nterms) && ids_ok(c->bterms, c->nbterms, v->nterms);
}

static ecai_status load_vocab(ecai_kb *kb, const mview *v) {
  char **terms = ecai__malloc((v->nterms ? v->nterms : 1) * sizeof *terms);
  if (!terms) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  ecai_status st = ECAI_OK;
  for (uint32_t i = 0; !st && i < v->nterms; i++)
    if (!(terms[i] = (char *)(uintptr_t)str_at(v, u32_at(v->p + v->vocab + 4 * (uint64_t)i))))
      st = ecai__err(ECAI_ECORRUPT, "kb: %s: term %u is malformed", v->path, i);
  if (!st) st = ecai__kb_adopt_vocab(kb, terms, v->nterms);
  ecai__free(terms);
  return st;
}

/* Adds document d with its chunks [*next, ...) (those whose doc is d; *next advanced),
 * from their saved analyses (reuse) or analysing their texts again. */
static ecai_status load_doc(ecai_kb *kb, const mview *v, uint32_t d, uint32_t *next, bool reuse, ecai__kb_chunk *scratch,
                            ecai__kb_saved *saved) {
  const char *r = v->p + v->docs + (uint64_t)d * DOC_BYTES;
  const char *src = str_at(v, u32_at(r)), *org = str_at(v, u32_at(r + 4));
  if (!src || !*src || !org) return ecai__err(ECAI_ECORRUPT, "kb: %s: document %u is malformed", v->path, d);
  size_t n = 0;
  while (*next < v->nchunks) {
    ecai__kb_chunk *c = &scratch[n];
    if (!view_chunk(v, *next, c)) return ecai__err(ECAI_ECORRUPT, "kb: %s: chunk %u is malformed", v->path, *next);
    if (c->doc < d) return ecai__err(ECAI_ECORRUPT, "kb: %s: chunk %u is out of order", v->path, *next);
    if (c->doc > d) break;
    saved[n] = (ecai__kb_saved){c->section, c->text, c->faq};
    n++, (*next)++;
  }
  uint64_t hash = u64_at(r + 8);
  return reuse ? ecai__kb_adopt_doc(kb, src, org, hash, scratch, n) : ecai__kb_restore_doc(kb, src, org, hash, saved, n);
}

/* Whether the saved analyses are this library's, with the KB's embedder. */
static ecai_status reusable(const ecai_kb *kb, const mview *v, bool *reuse) {
  uint64_t efp = 0;
  ecai_status st = embedder_fp(kb, &efp);
  if (st) return st;
  *reuse = v->afp == analysis_fp() && v->efp == efp && v->dim == kb->dim;
  if (!*reuse)
    ecai__log(kb->ctx, ECAI_LOG_INFO,
              "kb: %s was analysed by another tokenizer or embedder; analysing its %u chunks again "
              "(save it again to skip this)",
              v->path, v->nchunks);
  return ECAI_OK;
}

/* Example i, with its saved terms and vector (reuse) or analysed again. */
static ecai_status load_example(ecai_kb *kb, const mview *v, uint32_t i, bool reuse) {
  const char *r = v->p + v->ex + (uint64_t)i * EX_BYTES;
  const char *src = str_at(v, u32_at(r)), *q = str_at(v, u32_at(r + 4));
  uint64_t at = u32_at(r + 12), n = u32_at(r + 8);
  const uint32_t *terms = ids_at(v, &at, n);
  const float *vec = vec_at(v, (uint64_t)v->nchunks + i);
  if (!src || !*src || !q || !terms || !ids_ok(terms, n, v->nterms) || !finite_vec(vec, v->dim))
    return ecai__err(ECAI_ECORRUPT, "kb: %s: example %u is malformed", v->path, i);
  return reuse ? ecai__kb_example_restore(kb, src, q, terms, n, vec) : ecai__kb_example_restore(kb, src, q, NULL, 0, NULL);
}

/* The confidence model as fitted before the save, when the examples it was fitted on are
 * the KB's (more added since: it waits as after any addition, see calib.c). */
static ecai_status load_model(ecai_kb *kb, const mview *v) {
  const char *r = v->p + v->model;
  uint64_t screen = u64_at(r), groups = u64_at(r + 8);
  ecai__kb_model m = {.n = u64_at(r + 16), .npos = u64_at(r + 24), .fitted = u32_at(r + 32) != 0};
  for (size_t i = 0; i < ECAI__KB_NF; i++) {
    uint64_t bits = u64_at(r + 40 + 8 * i);
    memcpy(&m.w[i], &bits, sizeof m.w[i]);
    if (!isfinite(m.w[i])) return ecai__err(ECAI_ECORRUPT, "kb: %s: the confidence model is malformed", v->path);
  }
  if (!screen || groups > kb->ngroups || m.npos > m.n) return ecai__err(ECAI_ECORRUPT, "kb: %s: the confidence model is malformed", v->path);
  kb->model = m;
  kb->model_screen_id = screen;
  kb->model_groups = (size_t)groups;
  kb->model_docs_dirty = false;
  kb->model_dirty = groups != kb->ngroups;
  return ECAI_OK;
}

static ecai_status load_mapped(ecai_kb *kb, const mview *v) {
  bool reuse = false;
  ecai_status st = reusable(kb, v, &reuse);
  if (!st && reuse) st = load_vocab(kb, v);
  ecai__kb_chunk *scratch = ecai__malloc((v->nchunks ? v->nchunks : 1) * sizeof *scratch);
  ecai__kb_saved *saved = ecai__malloc((v->nchunks ? v->nchunks : 1) * sizeof *saved);
  if (!st && (!scratch || !saved)) st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
  uint32_t next = 0;
  for (uint32_t d = 0; !st && d < v->ndocs; d++) st = load_doc(kb, v, d, &next, reuse, scratch, saved);
  if (!st && next != v->nchunks) st = ecai__err(ECAI_ECORRUPT, "kb: %s: chunk %u has no document", v->path, next);
  ecai__free(scratch);
  ecai__free(saved);
  for (uint32_t i = 0; !st && i < v->nex; i++) st = load_example(kb, v, i, reuse);
  if (!st && reuse && v->model) st = load_model(kb, v);
  return st;
}

static ecai_status open_mapped(ecai_kb **out, ecai_ctx *ctx, const char *path) {
  ecai__map m;
  ecai_status st = ecai__blob_map(path, KB_MAGIC_MAP, &m, NULL);
  if (st) return st;
  mview v = {.p = m.base + 32, .len = m.len - 32, .path = path};
  st = read_header(&v);
  ecai_kb *kb = NULL;
  if (!st) st = ecai_kb_new(&kb, ctx);
  if (st) {
    ecai__blob_unmap(&m);
    return st;
  }
  kb->map = m; /* unmapped with the KB */
  if ((st = load_mapped(kb, &v))) {
    ecai_kb_free(kb);
    return st;
  }
  *out = kb;
  return ECAI_OK;
}

/* ---- open: the text files of versions 1 and 2 -------------------------------------------------- */

static ecai_status load_text_doc(ecai_kb *kb, json_t *d, size_t i, const char *path) {
  const char *src = json_string_value(json_object_get(d, "source"));
  const char *org = json_string_value(json_object_get(d, "origin"));
  const char *hx = json_string_value(json_object_get(d, "hash"));
  if (!src || !*src || !org || !hx) return ecai__err(ECAI_ECORRUPT, "kb: %s: document %zu is malformed", path, i);
  json_t *chunks = json_object_get(d, "chunks");
  size_t n = json_array_size(chunks), k;
  ecai__kb_saved *saved = ecai__malloc((n ? n : 1) * sizeof *saved);
  if (!saved) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  ecai_status st = ECAI_OK;
  json_t *c;
  json_array_foreach(chunks, k, c) {
    saved[k] = (ecai__kb_saved){json_string_value(json_object_get(c, "section")),
                                json_string_value(json_object_get(c, "text")), json_is_true(json_object_get(c, "faq"))};
    if (!saved[k].section || !saved[k].text) {
      st = ecai__err(ECAI_ECORRUPT, "kb: %s: chunk %zu of %s is malformed", path, k, src);
      break;
    }
  }
  if (!st) st = ecai__kb_restore_doc(kb, src, org, strtoull(hx, NULL, 16), saved, n);
  ecai__free(saved);
  return st;
}

static ecai_status load_text(ecai_kb *kb, json_t *docs, json_t *exs, const char *path) {
  ecai_status st = ECAI_OK;
  size_t i;
  json_t *d;
  json_array_foreach(docs, i, d) {
    if ((st = load_text_doc(kb, d, i, path))) return st;
  }
  /* version 2: the examples (an example of a document no longer present is kept) */
  json_array_foreach(exs, i, d) {
    const char *src = json_string_value(json_object_get(d, "source"));
    const char *q = json_string_value(json_object_get(d, "question"));
    if (!src || !*src || !q) return ecai__err(ECAI_ECORRUPT, "kb: %s: example %zu is malformed", path, i);
    if ((st = ecai__kb_example_restore(kb, src, q, NULL, 0, NULL))) return st;
  }
  return ECAI_OK;
}

static ecai_status open_text(ecai_kb **out, ecai_ctx *ctx, const char *path) {
  ecai__buf b;
  ecai_status rs = ecai__read_file(&b, path, SIZE_MAX, ECAI_EIO, "kb");
  if (rs) return rs;
  size_t hl = strlen(KB_MAGIC_TEXT) + 17;
  unsigned long long want = 0;
  if (b.len < hl || memcmp(b.data, KB_MAGIC_TEXT, strlen(KB_MAGIC_TEXT)) || b.data[hl - 1] != '\n' ||
      sscanf(b.data + strlen(KB_MAGIC_TEXT), "%16llx", &want) != 1 || XXH3_64bits(b.data + hl, b.len - hl) != want) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ECORRUPT, "kb: %s is not a knowledge-base file or is damaged (checksum)", path);
  }
  json_t *root = json_loadb(b.data + hl, b.len - hl, 0, NULL);
  ecai__buf_free(&b);
  json_t *docs = json_object_get(root, "docs"), *exs = json_object_get(root, "examples");
  json_int_t ver = json_integer_value(json_object_get(root, "version"));
  if (!json_is_array(docs) || ver < 1 || ver > 2 || (ver == 2 && !json_is_array(exs))) {
    json_decref(root);
    return ecai__err(ECAI_ECORRUPT, "kb: %s: unsupported format or version", path);
  }
  ecai_kb *kb = NULL;
  ecai_status st = ecai_kb_new(&kb, ctx);
  if (!st) st = load_text(kb, docs, exs, path);
  json_decref(root);
  if (st) {
    ecai_kb_free(kb);
    return st;
  }
  *out = kb;
  return ECAI_OK;
}

ecai_status ecai_kb_open(ecai_kb **out, ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(path);
  char magic[8];
  ecai_status st = ecai__blob_peek(path, magic);
  if (st == ECAI_EIO) return st; /* missing, unreadable, not a regular file */
  if (!st && !memcmp(magic, KB_MAGIC_MAP, 8)) return open_mapped(out, ctx, path);
  return open_text(out, ctx, path);
}
