/* Knowledge base: ingest (markdown, text, HTML, FAQ JSON), chunking, hybrid retrieval. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "support/support_internal.h"

#define BM25_K1 1.2
#define BM25_B 0.75

/* ---- small helpers ---------------------------------------------------------------- */

static size_t count_words(const char *s, size_t n) {
  size_t w = 0;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    bool sp = isspace((unsigned char)s[i]) != 0;
    if (!sp && !in) w++;
    in = !sp;
  }
  return w;
}

/* Optimal string alignment distance <= 1 (one insertion, deletion, substitution or
 * transposition of adjacent letters). */
static bool within_one_edit(const char *a, size_t la, const char *b, size_t lb) {
  if (la > lb + 1 || lb > la + 1) return false;
  size_t i = 0;
  while (i < la && i < lb && a[i] == b[i]) i++;
  if (i == la && i == lb) return true; /* equal */
  if (la == lb) {
    if (!strncmp(a + i + 1, b + i + 1, la - i - 1)) return true; /* substitution */
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && !strncmp(a + i + 2, b + i + 2, la - i - 2);
  }
  if (la > lb) return !strncmp(a + i + 1, b + i, la - i - 1);
  return !strncmp(a + i, b + i + 1, lb - i - 1);
}

static double idf_of(const ecai_kb *kb, uint32_t df) {
  double n = (double)kb->live_chunks;
  return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

/* Conversational words that carry no topic: they get no weight in the retrieval
 * strength (a wordy question is not less answerable than a terse one). Stemmed with the
 * shared tokenizer at creation. */
static const char FILLER[] =
    "hello hi hey thanks thank please cheers dear regards sorry excuse question questions quick "
    "wondering wonder want wanted like would could should might need needed know tell let "
    "help ask asking asked get got make sure really just also maybe actually possible way "
    "hope okay ok yes yeah guys team somebody someone anyone something anything thing things "
    "today yesterday tomorrow morning ago already still now soon long much many often";

uint64_t ecai__kb_lists_hash(void) { return XXH3_64bits_withSeed(FILLER, sizeof FILLER, ecai__kb_slang_hash()); }

/* ---- create / free ------------------------------------------------------------------ */

ecai_status ecai_kb_new(ecai_kb **out, ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  int64_t cw = ecai__cfg_int(ctx, "support.chunk_words", 120), ov = ecai__cfg_int(ctx, "support.chunk_overlap", 1);
  if (cw < 10 || cw > 100000) return ecai__err(ECAI_EINVAL, "kb: support.chunk_words must be in 10..100000 (got %lld)", (long long)cw);
  if (ov < 0 || ov > 10) return ecai__err(ECAI_EINVAL, "kb: support.chunk_overlap must be in 0..10 (got %lld)", (long long)ov);
  ecai_kb *kb = ecai__calloc(1, sizeof *kb);
  if (!kb) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  kb->ctx = ctx;
  ecai__smap_init_borrowed(&kb->doc_by_name);
  ecai__smap_init_borrowed(&kb->vocab);
  kb->chunk_words = (int)cw;
  kb->overlap = (int)ov;
  ecai_status st = ecai_embedder_new(&kb->emb, ctx);
  if (!st) st = ecai__tokenizer_new(&kb->tok);
  if (st) {
    ecai_kb_free(kb);
    return st;
  }
  kb->dim = ecai_embedder_dim(kb->emb);
  ecai__smap_init_borrowed(&kb->filler);
  st = ecai__tokenize(kb->tok, FILLER, strlen(FILLER), ECAI__TOKF_STEM, &kb->filler_toks);
  for (size_t i = 0; !st && i < kb->filler_toks.n; i++) {
    bool found;
    size_t v = 0;
    if (!ecai__smap_put(&kb->filler, kb->filler_toks.text + kb->filler_toks.off[i], kb->filler_toks.len[i], &v, &found))
      st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  if (!st) st = ecai__kb_slang_init(kb);
  const char *wn = ecai__cfg_str(ctx, "support.wordnet", "/usr/share/wordnet");
  if (!st && wn && *wn) {
    st = ecai__wn_open(&kb->wn, wn);
    if (st == ECAI_ENOTFOUND) {
      ecai__log(ctx, ECAI_LOG_DEBUG, "%s: no synonyms", ecai_last_error());
      st = ECAI_OK;
    }
  }
  if (st) {
    ecai_kb_free(kb);
    return st;
  }
  *out = kb;
  return ECAI_OK;
}

static void chunk_free(ecai__kb_chunk *c) {
  if (c->mapped) {
    memset(c, 0, sizeof *c);
    return;
  }
  ecai__free(c->section);
  ecai__free(c->text);
  ecai__free(c->terms);
  ecai__free(c->tfs);
  ecai__free(c->hterms);
  ecai__free(c->htfs);
  ecai__free(c->bterms);
  ecai__free(c->btfs);
  ecai__free(c->vec);
  memset(c, 0, sizeof *c);
}

void ecai_kb_free(ecai_kb *kb) {
  if (!kb) return;
  for (size_t i = 0; i < kb->ndocs; i++) {
    ecai__free(kb->docs[i].source);
    ecai__free(kb->docs[i].origin);
  }
  ecai__free(kb->docs);
  for (size_t i = 0; i < kb->nchunks; i++) chunk_free(&kb->chunks[i]);
  ecai__free(kb->chunks);
  for (size_t i = kb->nterms_mapped; i < kb->nterms; i++) ecai__free(kb->terms[i]);
  ecai__free(kb->terms);
  ecai__free(kb->df);
  ecai__smap_free(&kb->vocab);
  ecai__smap_free(&kb->doc_by_name);
  ecai__tokens_free(&kb->toks);
  ecai__smap_free(&kb->filler);
  ecai__tokens_free(&kb->filler_toks);
  ecai__smap_free(&kb->slang);
  ecai__wn_free(kb->wn);
  ecai__tokens_free(&kb->surf);
  ecai__kb_examples_free(kb);
  ecai__free(kb->exdf);
  ecai__tokenizer_free(kb->tok);
  ecai_embedder_free(kb->emb);
  ecai__blob_unmap(&kb->map);
  ecai__free(kb->ex_norm2);
  ecai__free(kb);
}

/* ---- parsing into pending chunks ---------------------------------------------------- */

typedef struct {
  char *source, *origin, *section, *text, *index_text;
  uint64_t hash;
  bool faq;
  /* filled by analyse() */
  uint32_t *terms, *tfs, *hterms, *htfs, *bterms, *btfs;
  size_t nterms, nhterms, nbterms;
  uint32_t len, hlen, blen;
  float *vec;
} pend;

typedef struct {
  pend *v;
  size_t n, cap;
} pendv;

static void pend_free(pend *p) {
  ecai__free(p->source);
  ecai__free(p->origin);
  ecai__free(p->section);
  ecai__free(p->text);
  ecai__free(p->index_text);
  ecai__free(p->terms);
  ecai__free(p->tfs);
  ecai__free(p->hterms);
  ecai__free(p->htfs);
  ecai__free(p->bterms);
  ecai__free(p->btfs);
  ecai__free(p->vec);
}

static void pendv_free(pendv *pv) {
  for (size_t i = 0; i < pv->n; i++) pend_free(&pv->v[i]);
  ecai__free(pv->v);
  memset(pv, 0, sizeof *pv);
}

static ecai_status pend_push(pendv *pv, const char *source, const char *origin, const char *section, const char *text,
                             size_t text_len, uint64_t hash, bool faq, const char *extra_index) {
  if (pv->n == pv->cap) {
    size_t nc = pv->cap ? pv->cap * 2 : 16;
    pend *nv = ecai__realloc(pv->v, nc * sizeof *nv);
    if (!nv) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    pv->v = nv;
    pv->cap = nc;
  }
  pend *p = &pv->v[pv->n];
  memset(p, 0, sizeof *p);
  p->source = ecai__strdup(source);
  p->origin = ecai__strdup(origin);
  p->section = ecai__strdup(section);
  p->text = ecai__strndup(text, text_len);
  ecai__buf ib = {0};
  if (extra_index) {
    ecai__buf_puts(&ib, extra_index);
    ecai__buf_puts(&ib, "\n");
  }
  ecai__buf_puts(&ib, section);
  ecai__buf_puts(&ib, "\n");
  ecai__buf_append(&ib, text, text_len);
  p->index_text = ib.oom ? NULL : ecai__buf_take(&ib, NULL);
  ecai__buf_free(&ib);
  p->hash = hash;
  p->faq = faq;
  pv->n++;
  if (!p->source || !p->origin || !p->section || !p->text || !p->index_text) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  return ECAI_OK;
}

/* HTML -> pseudo-markdown: headings become '#' lines, block tags paragraph breaks,
 * script/style dropped, common entities decoded. */
static char *html_to_md(const char *s, size_t n, size_t *out_len) {
  ecai__buf b = {0};
  size_t i = 0;
  while (i < n) {
    if (s[i] == '<') {
      size_t j = i + 1;
      bool close = j < n && s[j] == '/';
      if (close) j++;
      char name[16];
      size_t k = 0;
      while (j < n && k < sizeof name - 1 && isalnum((unsigned char)s[j])) name[k++] = (char)tolower((unsigned char)s[j++]);
      name[k] = 0;
      const char *gt = memchr(s + i, '>', n - i);
      size_t end = gt ? (size_t)(gt - s) + 1 : n;
      if (!strncmp(s + i, "<!--", 4 < n - i ? 4 : n - i)) {
        const char *e = NULL;
        for (size_t q = i + 4; q + 2 < n; q++)
          if (!memcmp(s + q, "-->", 3)) {
            e = s + q + 3;
            break;
          }
        i = e ? (size_t)(e - s) : n;
        continue;
      }
      if (!close && (!strcmp(name, "script") || !strcmp(name, "style"))) {
        /* skip to the closing tag */
        size_t q = end;
        while (q < n) {
          if (s[q] == '<' && q + 1 < n && s[q + 1] == '/' && !strncasecmp(s + q + 2, name, strlen(name))) break;
          q++;
        }
        const char *g2 = q < n ? memchr(s + q, '>', n - q) : NULL;
        i = g2 ? (size_t)(g2 - s) + 1 : n;
        continue;
      }
      if (k == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
        ecai__buf_puts(&b, "\n\n");
        if (!close)
          for (int h = 0; h < name[1] - '0'; h++) ecai__buf_puts(&b, "#");
        ecai__buf_puts(&b, close ? "\n\n" : " ");
      } else if (!strcmp(name, "p") || !strcmp(name, "div") || !strcmp(name, "section") || !strcmp(name, "tr") ||
                 !strcmp(name, "table") || !strcmp(name, "ul") || !strcmp(name, "ol") || !strcmp(name, "article")) {
        ecai__buf_puts(&b, "\n\n");
      } else if (!strcmp(name, "br") || !strcmp(name, "li")) {
        ecai__buf_puts(&b, "\n");
      } else {
        ecai__buf_puts(&b, " ");
      }
      i = end;
    } else if (s[i] == '&') {
      static const struct { const char *e, *r; } ent[] = {{"&amp;", "&"},  {"&lt;", "<"},   {"&gt;", ">"},
                                                         {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"},
                                                         {"&nbsp;", " "}};
      bool done = false;
      for (size_t e = 0; e < sizeof ent / sizeof ent[0]; e++) {
        size_t el = strlen(ent[e].e);
        if (n - i >= el && !strncmp(s + i, ent[e].e, el)) {
          ecai__buf_puts(&b, ent[e].r);
          i += el;
          done = true;
          break;
        }
      }
      if (!done && i + 2 < n && s[i + 1] == '#') {
        size_t j = i + 2;
        unsigned long cp = 0;
        bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
        if (hex) j++;
        size_t d0 = j;
        while (j < n && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])) && j - d0 < 7)
          cp = cp * (hex ? 16 : 10) + (unsigned long)(isdigit((unsigned char)s[j]) ? s[j] - '0' : (tolower((unsigned char)s[j]) - 'a' + 10)), j++;
        if (j > d0 && j < n && s[j] == ';' && cp > 0 && cp < 0x110000 && !(cp >= 0xD800 && cp < 0xE000)) {
          char u[4];
          size_t ul;
          if (cp < 0x80) u[0] = (char)cp, ul = 1;
          else if (cp < 0x800) u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), ul = 2;
          else if (cp < 0x10000)
            u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F)), ul = 3;
          else
            u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
            u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), ul = 4;
          ecai__buf_append(&b, u, ul);
          i = j + 1;
          done = true;
        }
      }
      if (!done) ecai__buf_append(&b, s + i++, 1);
    } else {
      ecai__buf_append(&b, s + i++, 1);
    }
  }
  if (b.oom) {
    ecai__buf_free(&b);
    return NULL;
  }
  if (!b.data) return ecai__strdup("");
  return ecai__buf_take(&b, out_len);
}

typedef struct {
  size_t off, len;
} span;

/* Emits the chunks of one section: paragraphs packed up to chunk_words, with overlap. */
static ecai_status emit_section(ecai_kb *kb, pendv *pv, const char *source, uint64_t hash, const char *section,
                                const char *t, const span *paras, size_t np) {
  size_t i = 0;
  while (i < np) {
    size_t j = i, words = 0;
    while (j < np) {
      size_t w = count_words(t + paras[j].off, paras[j].len);
      if (j > i && words + w > (size_t)kb->chunk_words) break;
      words += w;
      j++;
    }
    ecai__buf b = {0};
    for (size_t q = i; q < j; q++) {
      if (q > i) ecai__buf_puts(&b, "\n\n");
      /* a single line break inside a paragraph is a space (markdown soft wrap); list
       * items and table rows keep their own lines */
      const char *p = t + paras[q].off;
      size_t pl = paras[q].len, from = 0;
      for (size_t x = 0; x < pl; x++) {
        if (p[x] != '\n') continue;
        size_t y = x + 1;
        while (y < pl && (p[y] == ' ' || p[y] == '\t')) y++;
        bool keep = y < pl && (((p[y] == '-' || p[y] == '*' || p[y] == '+') && y + 1 < pl && p[y + 1] == ' ') ||
                               p[y] == '|' || (isdigit((unsigned char)p[y]) && y + 1 < pl && p[y + 1] == '.'));
        size_t e = x;
        while (e > from && (p[e - 1] == ' ' || p[e - 1] == '\r')) e--;
        ecai__buf_append(&b, p + from, e - from);
        ecai__buf_puts(&b, keep ? "\n" : " ");
        from = y;
        x = y - 1;
      }
      ecai__buf_append(&b, p + from, pl - from);
    }
    if (b.oom) {
      ecai__buf_free(&b);
      return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    }
    ecai_status st = pend_push(pv, source, source, section, b.data ? b.data : "", b.len, hash, false, NULL);
    ecai__buf_free(&b);
    if (st) return st;
    if (j >= np) break;
    size_t ov = (size_t)kb->overlap;
    i = (j - i > ov) ? j - ov : j;
  }
  return ECAI_OK;
}

/* Markdown (and converted HTML / plain text): sections at '#' headings, paragraphs at
 * blank lines. */
static ecai_status parse_markdown(ecai_kb *kb, pendv *pv, const char *source, uint64_t hash, const char *t, size_t n,
                                  bool headings) {
  char *path[6] = {0};
  span *paras = NULL;
  size_t np = 0, capp = 0;
  ecai__buf sec = {0};
  ecai_status st = ECAI_OK;
  size_t pstart = SIZE_MAX, plen_end = 0;
  size_t pos = 0;
#define FLUSH_PARA()                                                                  \
  do {                                                                                \
    if (pstart != SIZE_MAX) {                                                         \
      if (np == capp) {                                                               \
        size_t nc = capp ? capp * 2 : 16;                                             \
        span *ns = ecai__realloc(paras, nc * sizeof *ns);                             \
        if (!ns) {                                                                    \
          st = ecai__err(ECAI_ENOMEM, "kb: out of memory");                           \
          goto done;                                                                  \
        }                                                                             \
        paras = ns;                                                                   \
        capp = nc;                                                                    \
      }                                                                               \
      paras[np].off = pstart;                                                         \
      paras[np].len = plen_end - pstart;                                              \
      np++;                                                                           \
      pstart = SIZE_MAX;                                                              \
    }                                                                                 \
  } while (0)
#define FLUSH_SECTION()                                                                            \
  do {                                                                                             \
    FLUSH_PARA();                                                                                  \
    if (np) {                                                                                      \
      sec.len = 0;                                                                                 \
      if (sec.data) sec.data[0] = 0;                                                               \
      for (int h = 0; h < 6; h++)                                                                  \
        if (path[h]) {                                                                             \
          if (sec.len) ecai__buf_puts(&sec, " > ");                                                \
          ecai__buf_puts(&sec, path[h]);                                                           \
        }                                                                                          \
      if (sec.oom) {                                                                               \
        st = ecai__err(ECAI_ENOMEM, "kb: out of memory");                                          \
        goto done;                                                                                 \
      }                                                                                            \
      st = emit_section(kb, pv, source, hash, sec.data ? sec.data : "", t, paras, np);             \
      if (st) goto done;                                                                           \
      np = 0;                                                                                      \
    }                                                                                              \
  } while (0)
  while (pos < n) {
    const char *nl = memchr(t + pos, '\n', n - pos);
    size_t le = nl ? (size_t)(nl - t) : n;
    size_t a = pos, e = le;
    while (a < e && (t[a] == ' ' || t[a] == '\t' || t[a] == '\r')) a++;
    while (e > a && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r')) e--;
    size_t lvl = 0;
    while (headings && a + lvl < e && t[a + lvl] == '#') lvl++;
    if (lvl >= 1 && lvl <= 6 && (a + lvl == e || t[a + lvl] == ' ')) {
      FLUSH_SECTION();
      size_t hs = a + lvl, he = e;
      while (hs < he && t[hs] == ' ') hs++;
      while (he > hs && t[he - 1] == '#') he--;
      while (he > hs && t[he - 1] == ' ') he--;
      for (size_t h = lvl - 1; h < 6; h++) {
        ecai__free(path[h]);
        path[h] = NULL;
      }
      if (he > hs) {
        path[lvl - 1] = ecai__strndup(t + hs, he - hs);
        if (!path[lvl - 1]) {
          st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
          goto done;
        }
      }
    } else if (a == e) {
      FLUSH_PARA();
    } else {
      if (pstart == SIZE_MAX) pstart = a;
      plen_end = e;
    }
    pos = nl ? le + 1 : n;
  }
  FLUSH_SECTION();
done:
#undef FLUSH_PARA
#undef FLUSH_SECTION
  for (int h = 0; h < 6; h++) ecai__free(path[h]);
  ecai__free(paras);
  ecai__buf_free(&sec);
  return st;
}

static ecai_status parse_faq(pendv *pv, const char *source, const char *t, size_t n) {
  json_t *j = NULL;
  ecai_status st = ecai__json_parse(&j, t, n, "kb: FAQ JSON");
  if (st) return st;
  if (!json_is_array(j)) {
    json_decref(j);
    return ecai__err(ECAI_EPARSE, "kb: %s: a FAQ file must be a JSON list of {id, question, answer}", source);
  }
  size_t i;
  json_t *e;
  json_array_foreach(j, i, e) {
    const char *id = json_string_value(json_object_get(e, "id"));
    const char *q = json_string_value(json_object_get(e, "question"));
    const char *a = json_string_value(json_object_get(e, "answer"));
    if (!id || !*id || !q || !a) {
      json_decref(j);
      return ecai__err(ECAI_EPARSE, "kb: %s: entry %zu lacks a string id, question or answer", source, i);
    }
    XXH64_state_t hs;
    XXH64_reset(&hs, 0);
    XXH64_update(&hs, q, strlen(q) + 1);
    XXH64_update(&hs, a, strlen(a));
    /* the question is indexed twice: it is phrased like the customers' questions */
    st = pend_push(pv, id, source, q, a, strlen(a), XXH64_digest(&hs), true, q);
    if (st) {
      json_decref(j);
      return st;
    }
  }
  json_decref(j);
  return ECAI_OK;
}

ecai_status ecai__kb_term_id(ecai_kb *kb, const char *w, size_t wl, uint32_t *out) {
  size_t id;
  if (ecai__smap_get(&kb->vocab, w, wl, &id)) {
    *out = (uint32_t)id;
    return ECAI_OK;
  }
  if (kb->nterms == kb->capterms) {
    size_t nc = kb->capterms ? kb->capterms * 2 : 256;
    char **nt = ecai__realloc(kb->terms, nc * sizeof *nt);
    if (!nt) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    kb->terms = nt;
    uint32_t *nd = ecai__realloc(kb->df, nc * sizeof *nd);
    if (!nd) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    kb->df = nd;
    uint32_t *ne = ecai__realloc(kb->exdf, nc * sizeof *ne);
    if (!ne) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    kb->exdf = ne;
    kb->capterms = nc;
  }
  char *copy = ecai__strndup(w, wl);
  if (!copy) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  id = kb->nterms;
  bool found;
  if (!ecai__smap_put(&kb->vocab, copy, wl, &id, &found)) {
    ecai__free(copy);
    return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  kb->terms[kb->nterms] = copy;
  kb->df[kb->nterms] = 0;
  kb->exdf[kb->nterms] = 0;
  *out = (uint32_t)kb->nterms++;
  return ECAI_OK;
}

bool ecai__kb_is_filler(const ecai_kb *kb, const char *w, size_t wl) { return ecai__smap_get(&kb->filler, w, wl, NULL); }

/* The sorted unique term ids of a text with their counts (vocabulary grows); *len = tokens. */
static ecai_status term_list(ecai_kb *kb, const char *text, uint32_t **terms, uint32_t **tfs, size_t *nterms,
                             uint32_t *len) {
  ecai_status st = ecai__tokenize(kb->tok, text, strlen(text), ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks);
  if (st) return st;
  size_t n = kb->toks.n;
  uint32_t *t = *terms = ecai__malloc((n ? n : 1) * sizeof *t), *f = *tfs = ecai__malloc((n ? n : 1) * sizeof *f);
  if (!t || !f) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  for (size_t i = 0; i < n; i++) {
    uint32_t x;
    if ((st = ecai__kb_term_id(kb, kb->toks.text + kb->toks.off[i], kb->toks.len[i], &x))) return st;
    size_t j = i; /* insertion sort */
    while (j > 0 && t[j - 1] > x) t[j] = t[j - 1], j--;
    t[j] = x;
  }
  size_t u = 0;
  for (size_t i = 0; i < n; i++) {
    if (u && t[u - 1] == t[i]) f[u - 1]++;
    else t[u] = t[i], f[u++] = 1;
  }
  *nterms = u;
  *len = (uint32_t)n;
  return ECAI_OK;
}

/* Tokenises and embeds a pending chunk, adding its terms to the vocabulary: all its
 * indexed text (document frequencies, coverage), and its two fields apart: the heading
 * (FAQ: the entry's question) and the passage (FAQ: the answer). */
static ecai_status analyse(ecai_kb *kb, pend *p) {
  ecai_status st = term_list(kb, p->index_text, &p->terms, &p->tfs, &p->nterms, &p->len);
  if (!st) st = term_list(kb, p->section, &p->hterms, &p->htfs, &p->nhterms, &p->hlen);
  if (!st) st = term_list(kb, p->text, &p->bterms, &p->btfs, &p->nbterms, &p->blen);
  if (st) return st;
  p->vec = ecai__malloc((kb->dim ? kb->dim : 1) * sizeof *p->vec);
  if (!p->vec) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  return ecai_embedder_embed(p->vec, kb->dim, kb->emb, p->index_text, strlen(p->index_text));
}

static void remove_doc_chunks(ecai_kb *kb, size_t d) {
  for (size_t i = 0; i < kb->nchunks; i++) {
    ecai__kb_chunk *c = &kb->chunks[i];
    if (!c->live || c->doc != d) continue;
    for (size_t t = 0; t < c->nterms; t++) kb->df[c->terms[t]]--;
    kb->total_len -= c->len;
    kb->total_hlen -= c->hlen;
    kb->total_blen -= c->blen;
    kb->live_chunks--;
    chunk_free(c);
  }
  if (kb->docs[d].live) kb->live_docs--;
  kb->docs[d].live = false;
  kb->model_dirty = kb->model_docs_dirty = true;
  kb->changes++;
}

/* Appends a document taking source and origin (room reserved); examples saved for it count again. */
static size_t new_doc(ecai_kb *kb, char *source, char *origin) {
  size_t d = kb->ndocs++;
  memset(&kb->docs[d], 0, sizeof kb->docs[d]);
  kb->docs[d].source = source;
  kb->docs[d].origin = origin;
  bool found;
  size_t v = d;
  ecai__smap_put(&kb->doc_by_name, source, strlen(source), &v, &found);
  for (size_t x = 0; x < kb->nex; x++) /* saved examples waiting for this document */
    if (kb->ex[x].doc == ECAI__KB_NODOC && !strcmp(kb->ex[x].source, source)) kb->ex[x].doc = d;
  return d;
}

/* Appends an analysed chunk (room reserved, term ids in the vocabulary): it becomes live
 * and counts in the document frequencies and lengths. */
static void commit_chunk(ecai_kb *kb, const ecai__kb_chunk *src) {
  ecai__kb_chunk *c = &kb->chunks[kb->nchunks++];
  *c = *src;
  c->live = true;
  for (size_t t = 0; t < c->nterms; t++) kb->df[c->terms[t]]++;
  kb->total_len += c->len;
  kb->total_hlen += c->hlen;
  kb->total_blen += c->blen;
  kb->live_chunks++;
  kb->model_dirty = kb->model_docs_dirty = true;
  kb->changes++;
}

static ecai_kb_format format_of(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot) return ECAI_KB_TEXT;
  if (!strcasecmp(dot, ".md") || !strcasecmp(dot, ".markdown")) return ECAI_KB_MARKDOWN;
  if (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm")) return ECAI_KB_HTML;
  if (!strcasecmp(dot, ".json")) return ECAI_KB_FAQ_JSON;
  if (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".text")) return ECAI_KB_TEXT;
  return (ecai_kb_format)-1;
}

/* Makes room for `chunks` more chunks and `docs` more documents (nothing changes on failure). */
static ecai_status reserve(ecai_kb *kb, size_t chunks, size_t docs) {
  if (kb->nchunks + chunks > kb->capchunks) {
    size_t nc = kb->capchunks ? kb->capchunks : 64;
    while (nc < kb->nchunks + chunks) nc *= 2;
    ecai__kb_chunk *ncs = ecai__realloc(kb->chunks, nc * sizeof *ncs);
    if (!ncs) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    kb->chunks = ncs, kb->capchunks = nc;
  }
  if (kb->ndocs + docs > kb->capdocs) {
    size_t nc = kb->capdocs ? kb->capdocs : 16;
    while (nc < kb->ndocs + docs) nc *= 2;
    ecai__kb_doc *nd = ecai__realloc(kb->docs, nc * sizeof *nd);
    if (!nd) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    kb->docs = nd, kb->capdocs = nc;
  }
  if (!ecai__smap_reserve(&kb->doc_by_name, docs)) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  return ECAI_OK;
}

/* The document of a pending chunk, made live with its hash (its old chunks removed, or a
 * new document taking p's source and origin). Room is reserved. */
static size_t commit_doc(ecai_kb *kb, pend *p) {
  size_t d;
  if (ecai__smap_get(&kb->doc_by_name, p->source, strlen(p->source), &d)) {
    remove_doc_chunks(kb, d);
    ecai__free(kb->docs[d].origin);
    kb->docs[d].origin = p->origin;
  } else {
    d = new_doc(kb, p->source, p->origin);
    p->source = NULL;
  }
  p->origin = NULL;
  kb->docs[d].hash = p->hash;
  kb->docs[d].live = true;
  kb->live_docs++;
  return d;
}

/* Analyses and commits pending chunks (grouped by source); a failure leaves the KB
 * unchanged. faq_text: the FAQ file (its vanished entries are removed), or NULL. Takes pv. */
static ecai_status ingest_pending(size_t *out_changed, ecai_kb *kb, pendv *pvp, const char *source, const char *faq_text,
                                  size_t len) {
  pendv pv = *pvp;
  memset(pvp, 0, sizeof *pvp);
  ecai_status st = ECAI_OK;
  size_t d;
  /* drop unchanged FAQ entries */
  size_t keep = 0;
  for (size_t i = 0; !st && i < pv.n; i++) {
    pend *p = &pv.v[i];
    bool same = p->faq && ecai__smap_get(&kb->doc_by_name, p->source, strlen(p->source), &d) && kb->docs[d].live &&
                kb->docs[d].hash == p->hash;
    if (same) pend_free(p);
    else pv.v[keep++] = *p;
  }
  if (!st) pv.n = keep;
  for (size_t i = 0; !st && i < pv.n; i++) st = analyse(kb, &pv.v[i]);
  /* reserve everything before touching the KB, so a failure leaves it unchanged */
  if (!st) st = reserve(kb, pv.n, pv.n + 1);
  if (st) {
    pendv_free(&pv);
    return st;
  }
  /* FAQ file: entries that disappeared from it are removed */
  if (faq_text) {
    json_t *j = json_loadb(faq_text, len, 0, NULL);
    for (size_t dd = 0; dd < kb->ndocs; dd++) {
      if (!kb->docs[dd].live || strcmp(kb->docs[dd].origin, source)) continue;
      bool present = false;
      size_t i;
      json_t *e;
      json_array_foreach(j, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        if (id && !strcmp(id, kb->docs[dd].source)) present = true;
      }
      if (j && !present) {
        remove_doc_chunks(kb, dd);
        if (out_changed) (*out_changed)++;
      }
    }
    json_decref(j);
  }
  /* commit */
  size_t changed = 0;
  const char *cur_source = NULL;
  size_t cur_doc = 0;
  for (size_t i = 0; i < pv.n; i++) {
    pend *p = &pv.v[i];
    if (!cur_source || strcmp(cur_source, p->source)) {
      cur_doc = commit_doc(kb, p);
      cur_source = kb->docs[cur_doc].source;
      changed++;
    }
    ecai__kb_chunk c = {.doc = cur_doc, .section = p->section, .text = p->text, .terms = p->terms, .tfs = p->tfs,
                        .nterms = p->nterms, .len = p->len, .hterms = p->hterms, .htfs = p->htfs,
                        .nhterms = p->nhterms, .hlen = p->hlen, .bterms = p->bterms, .btfs = p->btfs,
                        .nbterms = p->nbterms, .blen = p->blen, .vec = p->vec, .faq = p->faq};
    commit_chunk(kb, &c);
    p->section = p->text = NULL;
    p->terms = p->tfs = p->hterms = p->htfs = p->bterms = p->btfs = NULL;
    p->vec = NULL;
  }
  if (pv.n == 0 && !faq_text) {
    /* an empty document still counts (so an unchanged empty file is skipped) */
    if (ecai__smap_get(&kb->doc_by_name, source, strlen(source), &d)) remove_doc_chunks(kb, d);
  }
  pendv_free(&pv);
  if (out_changed) *out_changed += changed;
  return ECAI_OK;
}

ecai_status ecai__kb_restore_doc(ecai_kb *kb, const char *source, const char *origin, uint64_t hash,
                                 const ecai__kb_saved *chunks, size_t n) {
  pendv pv = {0};
  for (size_t i = 0; i < n; i++) {
    const ecai__kb_saved *c = &chunks[i];
    ecai_status st = pend_push(&pv, source, origin, c->section, c->text, strlen(c->text), hash, c->faq,
                               c->faq ? c->section : NULL);
    if (st) {
      pendv_free(&pv);
      return st;
    }
  }
  return ingest_pending(NULL, kb, &pv, source, NULL, 0);
}

ecai_status ecai__kb_adopt_vocab(ecai_kb *kb, char *const *terms, size_t n) {
  size_t cap = n < 256 ? 256 : n;
  kb->terms = ecai__malloc(cap * sizeof *kb->terms);
  kb->df = ecai__calloc(cap, sizeof *kb->df);
  kb->exdf = ecai__calloc(cap, sizeof *kb->exdf);
  if (!kb->terms || !kb->df || !kb->exdf || !ecai__smap_reserve(&kb->vocab, n))
    return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  kb->capterms = cap;
  for (size_t i = 0; i < n; i++) {
    size_t id = i;
    bool found;
    if (!ecai__smap_put(&kb->vocab, terms[i], strlen(terms[i]), &id, &found) || found)
      return ecai__err(ECAI_ECORRUPT, "kb: term %zu is a duplicate", i);
    kb->terms[i] = terms[i];
    kb->nterms = kb->nterms_mapped = i + 1;
  }
  return ECAI_OK;
}

ecai_status ecai__kb_adopt_doc(ecai_kb *kb, const char *source, const char *origin, uint64_t hash,
                               const ecai__kb_chunk *chunks, size_t n) {
  if (ecai__smap_get(&kb->doc_by_name, source, strlen(source), NULL))
    return ecai__err(ECAI_ECORRUPT, "kb: document %s is there twice", source);
  ecai_status st = reserve(kb, n, 1);
  if (st) return st;
  char *s = ecai__strdup(source), *o = ecai__strdup(origin);
  if (!s || !o) {
    ecai__free(s);
    ecai__free(o);
    return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  size_t d = new_doc(kb, s, o);
  kb->docs[d].hash = hash;
  kb->docs[d].live = true;
  kb->live_docs++;
  for (size_t i = 0; i < n; i++) {
    ecai__kb_chunk c = chunks[i];
    c.doc = d;
    commit_chunk(kb, &c);
  }
  return ECAI_OK;
}

ecai_status ecai_kb_add_text(size_t *out_changed, ecai_kb *kb, const char *source, const char *text, size_t len,
                             ecai_kb_format format) {
  if (out_changed) *out_changed = 0;
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(source);
  ECAI__CHECK_ARG(text);
  if (!*source) return ecai__err(ECAI_EINVAL, "kb: empty source name");
  if (format == ECAI_KB_AUTO) format = format_of(source);
  if (format < ECAI_KB_TEXT || format > ECAI_KB_FAQ_JSON)
    return ecai__err(ECAI_EINVAL, "kb: %s: unknown document format", source);
  size_t bad;
  if (!ecai__utf8_valid(text, len, &bad)) return ecai__err(ECAI_EPARSE, "kb: %s: invalid UTF-8 at byte %zu", source, bad);
  uint64_t hash = XXH3_64bits(text, len) ^ (uint64_t)format;
  size_t d;
  if (format != ECAI_KB_FAQ_JSON && ecai__smap_get(&kb->doc_by_name, source, strlen(source), &d) && kb->docs[d].live &&
      kb->docs[d].hash == hash)
    return ECAI_OK; /* unchanged */
  pendv pv = {0};
  ecai_status st;
  if (format == ECAI_KB_FAQ_JSON) st = parse_faq(&pv, source, text, len);
  else if (format == ECAI_KB_HTML) {
    size_t ml = 0;
    char *md = html_to_md(text, len, &ml);
    if (!md) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    st = parse_markdown(kb, &pv, source, hash, md, ml, true);
    ecai__free(md);
  } else
    st = parse_markdown(kb, &pv, source, hash, text, len, format == ECAI_KB_MARKDOWN);
  if (st) {
    pendv_free(&pv);
    return st;
  }
  return ingest_pending(out_changed, kb, &pv, source, format == ECAI_KB_FAQ_JSON ? text : NULL, len);
}

static ecai_status add_file(size_t *changed, ecai_kb *kb, const char *path, const char *name) {
  ecai__buf b;
  ecai_status rs = ecai__read_file(&b, path, SIZE_MAX, ECAI_EIO, "kb");
  if (rs) return rs;
  size_t c = 0;
  ecai_status st = ecai_kb_add_text(&c, kb, name, b.data ? b.data : "", b.len, ECAI_KB_AUTO);
  ecai__buf_free(&b);
  if (st) return ecai__err_prefix(st, "%s", path);
  *changed += c;
  return ECAI_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

ecai_status ecai_kb_add_path(size_t *out_changed, ecai_kb *kb, const char *path) {
  if (out_changed) *out_changed = 0;
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(path);
  struct stat sb;
  if (stat(path, &sb) != 0) return ecai__err(ECAI_EIO, "kb: cannot open %s: %s", path, strerror(errno));
  size_t changed = 0;
  ecai_status st = ECAI_OK;
  if (!S_ISDIR(sb.st_mode)) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if ((int)format_of(base) < 0) return ecai__err(ECAI_EINVAL, "kb: %s: unknown document format (extension)", path);
    st = add_file(&changed, kb, path, base);
  } else {
    DIR *dir = opendir(path);
    if (!dir) return ecai__err(ECAI_EIO, "kb: cannot open %s: %s", path, strerror(errno));
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
      if (de->d_name[0] == '.' || (int)format_of(de->d_name) < 0) continue;
      if (nn == cap) {
        size_t nc = cap ? cap * 2 : 16;
        char **x = ecai__realloc(names, nc * sizeof *x);
        if (!x) {
          st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
          break;
        }
        names = x;
        cap = nc;
      }
      if (!(names[nn] = ecai__strdup(de->d_name))) {
        st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
        break;
      }
      nn++;
    }
    closedir(dir);
    if (nn) qsort(names, nn, sizeof *names, cmp_str);
    size_t files = 0;
    for (size_t i = 0; !st && i < nn; i++) {
      char full[4096];
      snprintf(full, sizeof full, "%s/%s", path, names[i]);
      struct stat fs;
      if (stat(full, &fs) != 0 || !S_ISREG(fs.st_mode)) continue;
      files++;
      st = add_file(&changed, kb, full, names[i]);
    }
    for (size_t i = 0; i < nn; i++) ecai__free(names[i]);
    ecai__free(names);
    if (!st && files == 0) st = ecai__err(ECAI_ENOTFOUND, "kb: no document (.md .txt .html .json) in %s", path);
  }
  if (out_changed) *out_changed = changed;
  return st;
}

ecai_status ecai_kb_remove(ecai_kb *kb, const char *source) {
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(source);
  size_t d;
  bool any = false;
  if (ecai__smap_get(&kb->doc_by_name, source, strlen(source), &d) && kb->docs[d].live) {
    remove_doc_chunks(kb, d);
    any = true;
  }
  /* a FAQ file name removes its entries */
  for (size_t i = 0; i < kb->ndocs; i++)
    if (kb->docs[i].live && kb->docs[i].origin && !strcmp(kb->docs[i].origin, source)) {
      remove_doc_chunks(kb, i);
      any = true;
    }
  return any ? ECAI_OK : ecai__err(ECAI_ENOTFOUND, "kb: no document named %s", source);
}

ecai_status ecai_kb_stats(size_t *n_docs, size_t *n_chunks, const ecai_kb *kb) {
  ECAI__CHECK_ARG(kb);
  if (n_docs) *n_docs = kb->live_docs;
  if (n_chunks) *n_chunks = kb->live_chunks;
  return ECAI_OK;
}

/* ---- retrieval ------------------------------------------------------------------------ */

typedef struct {
  uint32_t term;
  double idf, weight; /* weight: 1 exact, 0.8 corrected */
  bool known;
} qterm;

static bool looks_like_id(const char *w, size_t n) {
  if (n < 5) return false;
  for (size_t i = 0; i < n; i++)
    if (isdigit((unsigned char)w[i])) return true;
  return false;
}

/* Tunables of retrieval with examples, fitted on the tune half of the visible FAQ
 * questions (tests/eval/eval_support.py): weight of the example evidence added to a
 * chunk's score, and the share of word overlap (vs embedding cosine) in an example's
 * similarity. */
static const double g_exw = 0.6, g_lexw = 0.5, g_floor = 0.5;
/* BM25F field weights (heading = FAQ question or section path, passage = answer or text)
 * and the power of IDF in the keyword score (> 1: rare words count more). */
static const double g_wh = 2.0, g_wb = 1.0, g_idfexp = 1.0;

static double tf_of(const uint32_t *terms, const uint32_t *tfs, size_t n, uint32_t term) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (terms[mid] < term) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && terms[lo] == term ? tfs[lo] : 0;
}

/* Inner product of two float vectors in double, in four independent sums (the additions
 * no longer wait on one another). */
static double dot(const float *a, const float *b, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t d = 0;
  for (; d + 4 <= n; d += 4) {
    s0 += (double)a[d] * b[d];
    s1 += (double)a[d + 1] * b[d + 1];
    s2 += (double)a[d + 2] * b[d + 2];
    s3 += (double)a[d + 3] * b[d + 3];
  }
  for (; d < n; d++) s0 += (double)a[d] * b[d];
  return (s0 + s1) + (s2 + s3);
}

static double ex_idf(const ecai_kb *kb, uint32_t dfa) {
  double n = (double)(kb->live_chunks + kb->nex);
  return log(1.0 + (n - dfa + 0.5) / (dfa + 0.5));
}

/* Similarity of the query (terms qt, vector qv) to one example in [0,1]: the mean of an
 * IDF-weighted cosine of their word sets and the embedding cosine. */
static double example_norm2(const ecai_kb *kb, const ecai__kb_example *e) {
  double en2 = 0;
  for (size_t t = 0; t < e->nterms; t++) {
    double w = ex_idf(kb, kb->df[e->terms[t]] + kb->exdf[e->terms[t]]);
    en2 += w * w;
  }
  return en2;
}

/* The examples' squared IDF norms (example_norm2), computed again only after the KB
 * changed: they depend on every document frequency. NULL when out of memory. */
static const double *example_norms(ecai_kb *kb) {
  if (kb->ex_norm2_at == kb->changes && kb->ex_norm2_n == kb->nex) return kb->ex_norm2;
  double *n2 = ecai__realloc(kb->ex_norm2, (kb->nex ? kb->nex : 1) * sizeof *n2);
  if (!n2) return NULL;
  kb->ex_norm2 = n2;
  for (size_t x = 0; x < kb->nex; x++) n2[x] = example_norm2(kb, &kb->ex[x]);
  kb->ex_norm2_n = kb->nex;
  kb->ex_norm2_at = kb->changes;
  return n2;
}

static double example_sim(const ecai_kb *kb, const qterm *qt, size_t nq, double qnorm2, const float *qv,
                          const ecai__kb_example *e, double en2) {
  double dt = 0;
  for (size_t j = 0; j < nq; j++) {
    if (!qt[j].known) continue;
    size_t lo = 0, hi = e->nterms;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (e->terms[mid] < qt[j].term) lo = mid + 1;
      else hi = mid;
    }
    if (lo < e->nterms && e->terms[lo] == qt[j].term) {
      double w = ex_idf(kb, kb->df[qt[j].term] + kb->exdf[qt[j].term]);
      dt += qt[j].weight * w * w;
    }
  }
  double lex = (qnorm2 > 0 && en2 > 0) ? dt / sqrt(qnorm2 * en2) : 0;
  double cs = dot(qv, e->vec, kb->dim);
  if (cs < 0) cs = 0;
  if (lex > 1) lex = 1;
  if (cs > 1) cs = 1;
  double sim = g_lexw * lex + (1 - g_lexw) * cs;
  return sim > g_floor ? (sim - g_floor) / (1 - g_floor) : 0;
}

/* WordNet synonyms: senses of a word used, and the weight of a synonym's match (a typo
 * correction weighs 0.8). Two senses: +1 right entry of 36 on the tune half; three senses
 * and synonyms of known words too: -1 (eval_support.py protocol, README). */
enum { WN_SENSES = 2 };
#define WN_WEIGHT 0.7

typedef struct {
  ecai_kb *kb;
  uint32_t term; /* the first synonym (sense order) the KB's passages contain */
} wn_pick;

static void wn_cb(const char *w, size_t wl, void *arg) {
  wn_pick *pk = arg;
  char low[64];
  if (pk->term != UINT32_MAX || wl >= sizeof low) return;
  for (size_t i = 0; i < wl; i++) low[i] = (char)((w[i] >= 'A' && w[i] <= 'Z') ? w[i] + 32 : w[i]);
  size_t sl = 0, id;
  const char *st = ecai__stem(pk->kb->tok, low, wl, &sl);
  if (st && ecai__smap_get(&pk->kb->vocab, st, sl, &id) && pk->kb->df[id] > 0 &&
      !ecai__smap_get(&pk->kb->filler, st, sl, NULL))
    pk->term = (uint32_t)id;
}

ecai_status ecai__kb_retrieve(ecai_kb *kb, const char *q, size_t len, size_t k, ecai__kb_hit *hits, size_t *n_hits,
                              double *strength) {
  ecai__kb_feats f;
  ecai_status st = ecai__kb_retrieve_ex(kb, q, len, k, hits, n_hits, &f, SIZE_MAX);
  *strength = f.strength;
  return st;
}

ecai_status ecai__kb_retrieve_ex(ecai_kb *kb, const char *q, size_t len, size_t k, ecai__kb_hit *hits, size_t *n_hits,
                                 ecai__kb_feats *f, size_t skip_group) {
  *n_hits = 0;
  memset(f, 0, sizeof *f);
  if (kb->live_chunks == 0 || k == 0) return ECAI_OK;
  ecai_status st = kb->wn ? ecai__tokenize(kb->tok, q, len, ECAI__TOKF_STOP, &kb->surf) : ECAI_OK;
  if (!st) st = ecai__tokenize(kb->tok, q, len, ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks);
  if (st) return st;
  bool surf = kb->wn && kb->surf.n == kb->toks.n;
  size_t nq = 0;
  qterm *qt = ecai__malloc((kb->toks.n ? kb->toks.n : 1) * sizeof *qt);
  float *qv = ecai__malloc((kb->dim ? kb->dim : 1) * sizeof *qv);
  ecai__kb_hit *all = ecai__malloc((kb->nchunks ? kb->nchunks : 1) * sizeof *all);
  double *ev = ecai__calloc(kb->ndocs ? kb->ndocs : 1, sizeof *ev);
  if (!qt || !qv || !all || !ev) {
    st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
    goto done;
  }
  double unknown_idf = idf_of(kb, 0), qnorm2 = 0;
  for (size_t i = 0; i < kb->toks.n; i++) {
    const char *w = kb->toks.text + kb->toks.off[i];
    size_t wl = kb->toks.len[i], id;
    if (looks_like_id(w, wl)) continue; /* order numbers etc. are not KB content */
    const char *rep = ecai__kb_slang_lookup(kb, w, wl);
    if (rep) {
      if (!*rep) continue; /* chat filler ("u", "pls") */
      w = rep, wl = strlen(rep);
    }
    if (ecai__smap_get(&kb->filler, w, wl, NULL)) continue;
    qterm t = {0, unknown_idf, 1.0, false};
    if (ecai__smap_get(&kb->vocab, w, wl, &id) && (kb->df[id] > 0 || kb->exdf[id] > 0)) {
      t.term = (uint32_t)id;
      t.idf = kb->df[id] > 0 ? idf_of(kb, kb->df[id]) : unknown_idf;
      t.known = true;
    } else if (wl >= 3 && kb->toks.kind[i] == ECAI__TOK_WORD) {
      uint32_t best = UINT32_MAX, bdf = 0;
      for (size_t v = 0; v < kb->nterms; v++) {
        if (kb->df[v] <= bdf) continue;
        size_t vl = strlen(kb->terms[v]);
        /* one typo, or the same stem with another suffix ("deliv" / "deliveri") */
        bool pre = (vl >= 5 && vl < wl && !strncmp(w, kb->terms[v], vl)) ||
                   (vl > wl && vl <= wl + 4 && !strncmp(w, kb->terms[v], wl));
        if (vl >= 4 && (pre || (wl >= 5 && within_one_edit(w, wl, kb->terms[v], vl)))) best = (uint32_t)v, bdf = kb->df[v];
      }
      if (best != UINT32_MAX) {
        t.term = best;
        t.idf = idf_of(kb, bdf);
        t.weight = 0.8;
        t.known = true;
      } else if (surf && kb->toks.kind[i] == ECAI__TOK_WORD) {
        /* a WordNet synonym the KB uses ("parcel" -> "package"), first senses only */
        wn_pick pk = {kb, UINT32_MAX};
        ecai__wn_synonyms(kb->wn, kb->surf.text + kb->surf.off[i], kb->surf.len[i], WN_SENSES, wn_cb, &pk);
        if (pk.term != UINT32_MAX) {
          t.term = pk.term;
          t.idf = idf_of(kb, kb->df[pk.term]);
          t.weight = WN_WEIGHT;
          t.known = true;
        }
      }
    }
    bool dup = false;
    for (size_t j = 0; j < nq; j++)
      if (qt[j].known && t.known && qt[j].term == t.term) dup = true;
    if (dup) continue;
    double wx = t.known ? ex_idf(kb, kb->df[t.term] + kb->exdf[t.term]) : ex_idf(kb, 0);
    qnorm2 += wx * wx;
    qt[nq++] = t;
  }
  f->nterms = nq;
  st = ecai_embedder_embed(qv, kb->dim, kb->emb, q, len);
  if (st) goto done;
  /* examples: each entry's evidence is its most similar example; ESCALATE examples apart */
  double esc = 0;
  const double *norms = example_norms(kb);
  if (!norms && kb->nex) {
    st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
    goto done;
  }
  for (size_t x = 0; x < kb->nex; x++) {
    const ecai__kb_example *e = &kb->ex[x];
    if (e->group == skip_group || e->doc == ECAI__KB_NODOC || (e->doc != SIZE_MAX && !kb->docs[e->doc].live)) continue;
    double s = example_sim(kb, qt, nq, qnorm2, qv, e, norms[x]);
    if (e->doc == SIZE_MAX) {
      if (s > esc) esc = s;
    } else if (s > ev[e->doc]) {
      ev[e->doc] = s;
    }
  }
  double avgh = kb->total_hlen / (double)kb->live_chunks, avgb = kb->total_blen / (double)kb->live_chunks;
  double max_bm = 0, wsum = 0;
  if (avgh <= 0) avgh = 1;
  if (avgb <= 0) avgb = 1;
  for (size_t j = 0; j < nq; j++) wsum += qt[j].idf;
  size_t na = 0;
  for (size_t c = 0; c < kb->nchunks; c++) {
    const ecai__kb_chunk *ch = &kb->chunks[c];
    if (!ch->live) continue;
    double bm = 0, cov = 0;
    double nh = 1 - BM25_B + BM25_B * ch->hlen / avgh, nb = 1 - BM25_B + BM25_B * ch->blen / avgb;
    for (size_t j = 0; j < nq; j++) {
      if (!qt[j].known) continue;
      /* BM25F: the field frequencies, weighted and length-normalised, then saturated */
      double tf = g_wh * tf_of(ch->hterms, ch->htfs, ch->nhterms, qt[j].term) / nh +
                  g_wb * tf_of(ch->bterms, ch->btfs, ch->nbterms, qt[j].term) / nb;
      if (tf > 0) {
        bm += qt[j].weight * pow(qt[j].idf, g_idfexp) * tf * (BM25_K1 + 1) / (tf + BM25_K1);
        cov += qt[j].weight * qt[j].idf;
      }
    }
    double cs = dot(qv, ch->vec, kb->dim);
    if (cs < 0) cs = 0;
    all[na].chunk = c;
    all[na].bm25 = bm;
    all[na].cosine = cs;
    all[na].coverage = wsum > 0 ? cov / wsum : 0;
    all[na].example = ev[ch->doc];
    na++;
    if (bm > max_bm) max_bm = bm;
  }
  for (size_t i = 0; i < na; i++)
    all[i].score = 0.6 * (max_bm > 0 ? all[i].bm25 / max_bm : 0) + 0.4 * all[i].cosine + g_exw * all[i].example;
  /* partial selection sort of the top k */
  size_t nk = k < na ? k : na;
  for (size_t i = 0; i < nk; i++) {
    size_t b = i;
    for (size_t j = i + 1; j < na; j++)
      if (all[j].score > all[b].score || (all[j].score == all[b].score && all[j].chunk < all[b].chunk)) b = j;
    ecai__kb_hit t = all[i];
    all[i] = all[b];
    all[b] = t;
    hits[i] = all[i];
  }
  /* nothing matched at all: no hit */
  if (nk && hits[0].score <= 0) nk = 0;
  *n_hits = nk;
  f->ex_esc = esc;
  if (nk) {
    f->coverage = hits[0].coverage;
    f->cosine = hits[0].cosine;
    f->strength = 0.5 * hits[0].coverage + 0.5 * hits[0].cosine;
    f->ex_top = hits[0].example;
    size_t d0 = kb->chunks[hits[0].chunk].doc;
    double second = 0;
    for (size_t i = 0; i < na; i++)
      if (kb->chunks[all[i].chunk].doc != d0 && all[i].score > second) second = all[i].score;
    f->margin = hits[0].score - second;
  }
done:
  ecai__free(qt);
  ecai__free(qv);
  ecai__free(all);
  ecai__free(ev);
  return st;
}

ecai_status ecai_kb_search_json(char **out, size_t *out_len, ecai_kb *kb, const char *query, size_t k) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(query);
  if (k < 1 || k > 100) return ecai__err(ECAI_EINVAL, "kb: k must be in 1..100 (got %zu)", k);
  ecai__kb_hit *hits = ecai__malloc(k * sizeof *hits);
  if (!hits) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  size_t n = 0;
  ecai__kb_feats f;
  ecai_status st = ecai__kb_retrieve_ex(kb, query, strlen(query), k, hits, &n, &f, SIZE_MAX);
  if (st) {
    ecai__free(hits);
    return st;
  }
  json_t *res = json_array();
  for (size_t i = 0; i < n; i++) {
    const ecai__kb_chunk *c = &kb->chunks[hits[i].chunk];
    json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:f}", "source", kb->docs[c->doc].source, "section",
                                         c->section, "text", c->text, "score", hits[i].score, "bm25", hits[i].bm25,
                                         "cosine", hits[i].cosine, "coverage", hits[i].coverage, "example",
                                         hits[i].example));
  }
  const ecai__kb_model *m = ecai__kb_model_get(kb, NULL, NULL, 0);
  json_t *j = json_pack("{s:s,s:f,s:f,s:f,s:I,s:o,s:o}", "query", query, "strength", f.strength, "escalate_example",
                        f.ex_esc, "margin", f.margin, "examples", (json_int_t)kb->nex, "confidence",
                        (m && m->fitted && n) ? json_real(ecai__kb_model_prob(m, &f)) : json_null(), "results", res);
  ecai__free(hits);
  if (!j) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  st = ecai__json_dump(out, out_len, j);
  json_decref(j);
  return st;
}

/* The extractive answer from a passage: the sentences that carry the most of the
 * question's words (IDF-weighted, filler ignored), up to 3 in their original order, each
 * scoring at least half of the best one. FAQ answers are returned whole. */
ecai_status ecai__kb_extract(ecai_kb *kb, const char *q, size_t qlen, size_t chunk, char **out) {
  *out = NULL;
  const ecai__kb_chunk *c = &kb->chunks[chunk];
  if (c->faq) {
    *out = ecai__strdup(c->text);
    return *out ? ECAI_OK : ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  ecai_status st = ecai__tokenize(kb->tok, q, qlen, ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks);
  if (st) return st;
  size_t nq = 0;
  uint32_t *qid = ecai__malloc((kb->toks.n ? kb->toks.n : 1) * sizeof *qid);
  enum { MAXS = 64 };
  size_t so[MAXS], sl[MAXS];
  double sc[MAXS];
  if (!qid) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  for (size_t i = 0; i < kb->toks.n; i++) {
    size_t id;
    const char *w = kb->toks.text + kb->toks.off[i];
    if (ecai__smap_get(&kb->filler, w, kb->toks.len[i], NULL)) continue;
    if (ecai__smap_get(&kb->vocab, w, kb->toks.len[i], &id)) qid[nq++] = (uint32_t)id;
  }
  /* split into sentences */
  const char *t = c->text;
  size_t n = strlen(t), ns = 0, start = 0;
  for (size_t i = 0; i <= n && ns < MAXS; i++) {
    bool end = i == n || t[i] == '\n' ||
               ((t[i] == '.' || t[i] == '!' || t[i] == '?') && (i + 1 == n || t[i + 1] == ' ' || t[i + 1] == '\n'));
    if (!end) continue;
    size_t e = (i < n && t[i] != '\n') ? i + 1 : i;
    while (start < e && (t[start] == ' ' || t[start] == '\n')) start++;
    if (e > start) {
      so[ns] = start;
      sl[ns] = e - start;
      ns++;
    }
    start = e;
  }
  double best = 0;
  for (size_t s = 0; s < ns; s++) {
    sc[s] = 0;
    st = ecai__tokenize(kb->tok, t + so[s], sl[s], ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks);
    if (st) {
      ecai__free(qid);
      return st;
    }
    for (size_t j = 0; j < nq; j++) {
      bool has = false;
      for (size_t k = 0; k < kb->toks.n && !has; k++) {
        size_t id;
        if (ecai__smap_get(&kb->vocab, kb->toks.text + kb->toks.off[k], kb->toks.len[k], &id) && id == qid[j]) has = true;
      }
      bool dup = false;
      for (size_t k = 0; k < j; k++)
        if (qid[k] == qid[j]) dup = true;
      if (has && !dup) sc[s] += idf_of(kb, kb->df[qid[j]]);
    }
    if (sc[s] > best) best = sc[s];
  }
  ecai__free(qid);
  if (best <= 0) {
    *out = ecai__strdup(c->text);
    return *out ? ECAI_OK : ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  ecai__buf b = {0};
  int taken = 0;
  for (int pass = 0; pass < 1; pass++) {
    /* the 3 best qualifying sentences, in text order */
    bool pick[MAXS] = {false};
    for (int k = 0; k < 3; k++) {
      size_t bi = ns;
      for (size_t s = 0; s < ns; s++)
        if (!pick[s] && sc[s] >= 0.5 * best && (bi == ns || sc[s] > sc[bi])) bi = s;
      if (bi == ns) break;
      pick[bi] = true;
    }
    for (size_t s = 0; s < ns; s++)
      if (pick[s]) {
        if (taken++) ecai__buf_puts(&b, " ");
        ecai__buf_append(&b, t + so[s], sl[s]);
      }
  }
  if (b.oom || !b.data) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  *out = ecai__buf_take(&b, NULL);
  return ECAI_OK;
}
