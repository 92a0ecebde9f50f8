/* Knowledge base examples: labelled customer questions (from resolved tickets or a TSV
 * file) that vote for their entry, or for escalation; chat spellings of questions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "support/support_internal.h"

/* Chat spellings -> the word meant ("" = carries no topic, like the filler words). Only
 * spellings that are not English words of their own, so a right word is never changed. */
static const char *const SLANG[][2] = {
    {"u", ""},          {"ur", ""},         {"r", ""},          {"pls", ""},        {"plz", ""},
    {"pleez", ""},      {"thx", ""},        {"thanx", ""},      {"ty", ""},         {"tnx", ""},
    {"btw", ""},        {"asap", ""},       {"lol", ""},        {"hiya", ""},       {"hii", ""},
    {"ya", ""},         {"yall", ""},       {"wanna", ""},      {"gonna", ""},      {"gotta", ""},
    {"coz", ""},        {"cuz", ""},        {"bc", ""},         {"k", ""},          {"kk", ""},
    {"pleaseee", ""},   {"hw", ""},         {"wat", ""},        {"wut", ""},        {"abt", ""},
    {"thru", ""},       {"tmrw", ""},       {"ppl", ""},        {"idk", ""},        {"imo", ""},
    {"acct", "account"}, {"pwd", "password"}, {"passwd", "password"}, {"addr", "address"},
    {"pkg", "package"}, {"qty", "quantity"}, {"msg", "message"},  {"pmt", "payment"},
    {"dlvry", "delivery"}, {"rcvd", "received"}, {"recvd", "received"}, {"bday", "birthday"},
    {"xmas", "christmas"}, {"b4", "before"}, {"2day", "today"}, {"info", "information"},
};

uint64_t ecai__kb_slang_hash(void) {
  XXH3_state_t h;
  XXH3_64bits_reset(&h);
  for (size_t i = 0; i < sizeof SLANG / sizeof SLANG[0]; i++)
    for (int k = 0; k < 2; k++) XXH3_64bits_update(&h, SLANG[i][k], strlen(SLANG[i][k]) + 1);
  return XXH3_64bits_digest(&h);
}

ecai_status ecai__kb_slang_init(ecai_kb *kb) {
  size_t n = sizeof SLANG / sizeof SLANG[0];
  kb->slang_rep = ecai__calloc(n, sizeof *kb->slang_rep);
  if (!kb->slang_rep) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  for (size_t i = 0; i < n; i++) {
    ecai_status st = ecai__tokenize(kb->tok, SLANG[i][1], strlen(SLANG[i][1]), ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks);
    if (st) return st;
    kb->slang_rep[kb->nslang] = ecai__strdup(kb->toks.n ? kb->toks.text + kb->toks.off[0] : "");
    if (!kb->slang_rep[kb->nslang]) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    if ((st = ecai__tokenize(kb->tok, SLANG[i][0], strlen(SLANG[i][0]), ECAI__TOKF_STEM, &kb->toks))) return st;
    if (kb->toks.n != 1) { /* the tokenizer splits it (b4 -> b 4): not reachable as one word */
      ecai__free(kb->slang_rep[kb->nslang]);
      kb->slang_rep[kb->nslang] = NULL;
      continue;
    }
    size_t v = kb->nslang;
    bool found;
    if (!ecai__smap_put(&kb->slang, kb->toks.text + kb->toks.off[0], kb->toks.len[0], &v, &found))
      return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    if (!found) kb->nslang++;
    else {
      ecai__free(kb->slang_rep[kb->nslang]);
      kb->slang_rep[kb->nslang] = NULL;
    }
  }
  return ECAI_OK;
}

const char *ecai__kb_slang_lookup(const ecai_kb *kb, const char *w, size_t wl) {
  size_t v;
  return ecai__smap_get(&kb->slang, w, wl, &v) ? kb->slang_rep[v] : NULL;
}

size_t ecai__kb_content_words(ecai_kb *kb, const char *text, size_t len) {
  if (ecai__tokenize(kb->tok, text, len, ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks)) return 0;
  size_t n = 0;
  for (size_t i = 0; i < kb->toks.n; i++) {
    const char *w = kb->toks.text + kb->toks.off[i];
    size_t wl = kb->toks.len[i];
    const char *rep = ecai__kb_slang_lookup(kb, w, wl);
    if (rep && !*rep) continue;
    if (!ecai__kb_is_filler(kb, rep ? rep : w, rep ? strlen(rep) : wl)) n++;
  }
  return n;
}

static void example_free(ecai__kb_example *e) {
  ecai__free(e->source);
  ecai__free(e->text);
  ecai__free(e->terms);
  ecai__free(e->vec);
}

void ecai__kb_examples_free(ecai_kb *kb) {
  for (size_t i = 0; i < kb->nex; i++) example_free(&kb->ex[i]);
  ecai__free(kb->ex);
  if (kb->slang_rep) /* calloc'd with one slot per table row */
    for (size_t i = 0; i < sizeof SLANG / sizeof SLANG[0]; i++) ecai__free(kb->slang_rep[i]);
  ecai__free(kb->slang_rep);
  kb->slang_rep = NULL;
  kb->ex = NULL;
  kb->nex = kb->capex = 0;
  ecai__smap_free(&kb->exkeys);
}

ecai_status ecai__kb_example_analyse(ecai_kb *kb, const char *text, ecai__kb_example *e) {
  ecai_status st = ecai__tokenize(kb->tok, text, strlen(text), ECAI__TOKF_STEM | ECAI__TOKF_STOP, &kb->toks);
  if (st) return st;
  e->terms = ecai__malloc((kb->toks.n ? kb->toks.n : 1) * sizeof *e->terms);
  e->vec = ecai__malloc((kb->dim ? kb->dim : 1) * sizeof *e->vec);
  if (!e->terms || !e->vec) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  /* the vocabulary may grow below; take the tokens first */
  ecai__tokens toks = kb->toks;
  memset(&kb->toks, 0, sizeof kb->toks);
  size_t n = 0;
  for (size_t i = 0; !st && i < toks.n; i++) {
    const char *w = toks.text + toks.off[i];
    size_t wl = toks.len[i];
    bool digit = false;
    for (size_t c = 0; c < wl; c++) digit |= isdigit((unsigned char)w[c]) != 0;
    if (wl >= 5 && digit) continue; /* order numbers */
    const char *rep = ecai__kb_slang_lookup(kb, w, wl);
    if (rep) {
      if (!*rep) continue;
      w = rep, wl = strlen(rep);
    }
    if (ecai__kb_is_filler(kb, w, wl)) continue;
    uint32_t id;
    if ((st = ecai__kb_term_id(kb, w, wl, &id))) break;
    size_t j = n;
    while (j > 0 && e->terms[j - 1] > id) j--;
    if (j > 0 && e->terms[j - 1] == id) continue;
    memmove(e->terms + j + 1, e->terms + j, (n - j) * sizeof *e->terms);
    e->terms[j] = id;
    n++;
  }
  ecai__tokens_free(&kb->toks);
  kb->toks = toks;
  e->nterms = n;
  if (st) return st;
  return ecai_embedder_embed(e->vec, kb->dim, kb->emb, text, strlen(text));
}

/* The text compared for duplicates: case-folded words separated by single spaces. */
static uint64_t norm_hash(const char *t) {
  XXH3_state_t s;
  XXH3_64bits_reset(&s);
  bool sp = false, any = false;
  for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
    if (isspace(*p) || *p == '?' || *p == '!' || *p == '.') {
      sp = any;
      continue;
    }
    if (sp) XXH3_64bits_update(&s, " ", 1);
    sp = false;
    any = true;
    char c = (char)tolower(*p);
    XXH3_64bits_update(&s, &c, 1);
  }
  return XXH3_64bits_digest(&s);
}

/* Checks one example; *doc = its document or SIZE_MAX for ESCALATE. what: names the
 * place for messages ("" or "examples line 7: "). */
static ecai_status check_example(ecai_kb *kb, const char *source, const char *q, size_t *doc, const char *what) {
  size_t bad, d;
  if (!*source) return ecai__err(ECAI_EINVAL, "kb: %sempty entry id", what);
  if (!ecai__utf8_valid(q, strlen(q), &bad)) return ecai__err(ECAI_EPARSE, "kb: %squestion: invalid UTF-8 at byte %zu", what, bad);
  if (strlen(q) > ECAI_KB_EXAMPLE_MAX)
    return ecai__err(ECAI_EINVAL, "kb: %squestion longer than %d bytes", what, ECAI_KB_EXAMPLE_MAX);
  ecai_status st = ecai__tokenize(kb->tok, q, strlen(q), 0, &kb->toks);
  if (st) return st;
  if (kb->toks.n == 0) return ecai__err(ECAI_EINVAL, "kb: %squestion without a word (empty, or only emoji / punctuation)", what);
  if (!strcmp(source, ECAI_KB_ESCALATE)) {
    *doc = SIZE_MAX;
    return ECAI_OK;
  }
  if (!ecai__smap_get(&kb->doc_by_name, source, strlen(source), &d) || !kb->docs[d].live)
    return ecai__err(ECAI_ENOTFOUND, "kb: %sunknown entry id '%s' (not a document or FAQ id of this knowledge base)", what,
                     source);
  *doc = d;
  return ECAI_OK;
}

/* A saved analysis of an example (ecai_kb_open), or NULL: analyse it. */
typedef struct {
  const uint32_t *terms;
  size_t nterms;
  const float *vec;
} saved_analysis;

static ecai_status add_new(ecai_kb *kb, const char *source, size_t doc, const char *q, uint64_t h, size_t g,
                           const saved_analysis *pre);

/* Adds a checked example; *added = 0 for a duplicate (same text and source). */
static ecai_status add_checked(ecai_kb *kb, const char *source, size_t doc, const char *q, bool *added,
                               const saved_analysis *pre) {
  *added = false;
  uint64_t h = norm_hash(q);
  /* keys: "<hash>" -> its group, "<hash>\x1f<source>" -> present */
  char gk[17], *dk = ecai__malloc(18 + strlen(source));
  if (!dk) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  snprintf(gk, sizeof gk, "%016llx", (unsigned long long)h);
  sprintf(dk, "%s\x1f%s", gk, source);
  size_t group = SIZE_MAX, one = 1;
  bool found = ecai__smap_get(&kb->exkeys, dk, strlen(dk), NULL);
  if (!found) ecai__smap_get(&kb->exkeys, gk, 16, &group);
  if (found || !ecai__smap_put(&kb->exkeys, dk, strlen(dk), &one, &found)) {
    ecai__free(dk);
    return found ? ECAI_OK : ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  size_t g = group != SIZE_MAX ? group : kb->ngroups;
  if (group == SIZE_MAX && !ecai__smap_put(&kb->exkeys, gk, 16, &g, &found)) {
    ecai__smap_del(&kb->exkeys, dk, strlen(dk));
    ecai__free(dk);
    return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  }
  ecai_status st = add_new(kb, source, doc, q, h, g, pre);
  if (st) {
    ecai__smap_del(&kb->exkeys, dk, strlen(dk));
    if (group == SIZE_MAX) ecai__smap_del(&kb->exkeys, gk, 16);
  } else {
    if (group == SIZE_MAX) kb->ngroups++;
    *added = true;
  }
  ecai__free(dk);
  return st;
}

/* Copies a saved analysis into e. */
static ecai_status adopt_analysis(const ecai_kb *kb, const saved_analysis *pre, ecai__kb_example *e) {
  e->terms = ecai__malloc((pre->nterms ? pre->nterms : 1) * sizeof *e->terms);
  e->vec = ecai__malloc((kb->dim ? kb->dim : 1) * sizeof *e->vec);
  if (!e->terms || !e->vec) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  memcpy(e->terms, pre->terms, pre->nterms * sizeof *e->terms);
  memcpy(e->vec, pre->vec, kb->dim * sizeof *e->vec);
  e->nterms = pre->nterms;
  return ECAI_OK;
}

/* Appends a new example of group g, analysed now or from pre. */
static ecai_status add_new(ecai_kb *kb, const char *source, size_t doc, const char *q, uint64_t h, size_t g,
                           const saved_analysis *pre) {
  if (kb->nex == kb->capex) {
    size_t nc = kb->capex ? kb->capex * 2 : 64;
    ecai__kb_example *nx = ecai__realloc(kb->ex, nc * sizeof *nx);
    if (!nx) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
    kb->ex = nx;
    kb->capex = nc;
  }
  ecai__kb_example e = {0};
  e.source = ecai__strdup(source);
  e.text = ecai__strdup(q);
  e.doc = doc;
  e.nhash = h;
  e.group = g;
  ecai_status st = !(e.source && e.text) ? ecai__err(ECAI_ENOMEM, "kb: out of memory")
                   : pre                    ? adopt_analysis(kb, pre, &e)
                                            : ecai__kb_example_analyse(kb, q, &e);
  if (st) {
    example_free(&e);
    return st;
  }
  for (size_t t = 0; t < e.nterms; t++) kb->exdf[e.terms[t]]++;
  kb->ex[kb->nex++] = e;
  kb->model_dirty = true;
  kb->changes++;
  return ECAI_OK;
}

ecai_status ecai_kb_add_example(ecai_kb *kb, const char *source, const char *question) {
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(source);
  ECAI__CHECK_ARG(question);
  size_t doc;
  ecai_status st = check_example(kb, source, question, &doc, "");
  bool added;
  return st ? st : add_checked(kb, source, doc, question, &added, NULL);
}

ecai_status ecai__kb_example_restore(ecai_kb *kb, const char *source, const char *question, const uint32_t *terms,
                                     size_t nterms, const float *vec) {
  size_t doc = SIZE_MAX;
  bool added;
  if (strcmp(source, ECAI_KB_ESCALATE) && !ecai__smap_get(&kb->doc_by_name, source, strlen(source), &doc)) {
    doc = ECAI__KB_NODOC; /* kept; it counts again when its document is added */
  }
  saved_analysis pre = {terms, nterms, vec};
  return add_checked(kb, source, doc, question, &added, terms && vec ? &pre : NULL);
}

ecai_status ecai_kb_add_examples_tsv(size_t *out_added, ecai_kb *kb, const char *text, size_t len) {
  if (out_added) *out_added = 0;
  ECAI__CHECK_ARG(kb);
  ECAI__CHECK_ARG(text);
  if (len > ECAI_KB_EXAMPLES_MAX_BYTES)
    return ecai__err(ECAI_EINVAL, "kb: examples: %zu bytes is more than the limit of %d", len, ECAI_KB_EXAMPLES_MAX_BYTES);
  size_t bad;
  if (!ecai__utf8_valid(text, len, &bad)) return ecai__err(ECAI_EPARSE, "kb: examples: invalid UTF-8 at byte %zu", bad);
  const char *nul = memchr(text, 0, len);
  if (nul) return ecai__err(ECAI_EPARSE, "kb: examples: NUL byte at byte %zu", (size_t)(nul - text));
  /* pass 1 checks every line, pass 2 adds: a bad line adds nothing */
  ecai_status st = ECAI_OK;
  size_t lines = 0, added = 0;
  for (int pass = 0; pass < 2 && !st; pass++) {
    size_t pos = 0, lineno = 0;
    while (pos < len && !st) {
      const char *nl = memchr(text + pos, '\n', len - pos);
      size_t end = nl ? (size_t)(nl - text) : len, e = end;
      lineno++;
      while (e > pos && (text[e - 1] == '\r' || text[e - 1] == ' ')) e--;
      char *line = ecai__strndup(text + pos, e - pos);
      pos = end + 1;
      if (!line) {
        st = ecai__err(ECAI_ENOMEM, "kb: out of memory");
        break;
      }
      char *tab = strchr(line, '\t');
      if (!line[0] || (lineno == 1 && !strncmp(line, "question\t", 9))) {
        ecai__free(line);
        continue;
      }
      char what[48];
      snprintf(what, sizeof what, "examples line %zu: ", lineno);
      if (!tab) {
        st = ecai__err(ECAI_EPARSE, "kb: %sexpected 'question<TAB>expected' (entry ids separated by commas, or ESCALATE)",
                       what);
        ecai__free(line);
        break;
      }
      *tab = 0;
      char *q = line, *exp = tab + 1;
      if (strchr(exp, '\t')) {
        st = ecai__err(ECAI_EPARSE, "kb: %smore than two tab-separated fields", what);
        ecai__free(line);
        break;
      }
      while (*q == ' ') q++;
      char *save = NULL;
      bool any = false;
      for (char *id = strtok_r(exp, ",", &save); id && !st; id = strtok_r(NULL, ",", &save)) {
        while (*id == ' ') id++;
        size_t il = strlen(id);
        while (il && id[il - 1] == ' ') id[--il] = 0;
        size_t doc;
        any = true;
        st = check_example(kb, id, q, &doc, what);
        if (!st && pass == 1) {
          bool a;
          st = add_checked(kb, id, doc, q, &a, NULL);
          added += a;
        }
      }
      if (!st && !any) st = ecai__err(ECAI_EINVAL, "kb: %sempty entry id", what);
      lines += pass == 0;
      ecai__free(line);
    }
  }
  if (!st && lines == 0) st = ecai__err(ECAI_EINVAL, "kb: examples: no example lines (expected 'question<TAB>expected')");
  if (out_added) *out_added = added;
  return st;
}
