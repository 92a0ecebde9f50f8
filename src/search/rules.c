/* Merchandising rules and synonyms of a search engine (ecai_search_set_rules_json).
 *
 * A rules document is a JSON list of rules, or an object {"rules":[..],"synonyms":[..]}.
 * Rule: {"query": text, "match": "exact"|"contains", "pin": [id | {"id","position"}],
 * "boost": [ids], "bury": [ids], "hide": [ids]}. Queries are compared as token sequences
 * of the tokenizer (case, accents, punctuation and spacing do not matter; no stemming).
 * Synonyms: ["couch","sofa"] (two-way: each word also finds the others) or
 * {"from":"tv","to":["television"]} (one-way); one word each, expanded one step (never
 * transitively: "a"->"b"->"a" terminates by construction). Validation is complete before
 * anything is kept: a bad document leaves the engine's previous rules in place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "search/search_internal.h"
#include "text/text.h"

typedef struct rule {
  char *q;         /* normalised: tokens joined by one space */
  int contains;
  int64_t *ids;    /* pin[npin], boost, bury, hide, consecutive */
  size_t *pos;     /* pin positions, 0-based */
  size_t npin, nboost, nbury, nhide;
} rule;

struct ecai__rules {
  rule *r;
  size_t n, maxpins;
  ecai__smap syn;    /* query term (as parse_query looks it up) -> k */
  uint32_t **tgt;    /* tgt[k][0..ntgt[k]): index terms it also finds */
  size_t *ntgt, nsyn;
  json_t *doc;       /* the document as accepted (saved as rules.json) */
};

void ecai__rules_free(ecai__rules *R) {
  if (!R) return;
  for (size_t i = 0; i < R->n; i++) ecai__free(R->r[i].q), ecai__free(R->r[i].ids), ecai__free(R->r[i].pos);
  ecai__free(R->r);
  for (size_t k = 0; k < R->nsyn; k++) ecai__free(R->tgt[k]);
  ecai__free(R->tgt);
  ecai__free(R->ntgt);
  ecai__smap_free(&R->syn);
  json_decref(R->doc);
  ecai__free(R);
}

const json_t *ecai__rules_doc(const ecai__rules *R) { return R ? R->doc : NULL; }

/* Tokens of s joined by one space into b. */
static ecai_status normalise(ecai__tokenizer *tk, ecai__tokens *toks, const char *s, size_t len, ecai__buf *b) {
  b->len = 0;
  ecai_status st = ecai__tokenize(tk, s, len, 0, toks);
  for (size_t i = 0; !st && i < toks->n; i++) {
    if (i) ecai__buf_append(b, " ", 1);
    ecai__buf_append(b, toks->text + toks->off[i], toks->len[i]);
  }
  ecai__buf_append(b, "", 1);
  b->len--;
  if (!st && b->oom) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  return st;
}

const char *ecai__search_term(ecai__tokenizer *tk, const char *w, size_t wl, int kind, size_t *tl) {
  int word = kind == ECAI__TOK_WORD && wl >= 3;
  for (size_t j = 0; word && j < wl; j++)
    if (w[j] >= '0' && w[j] <= '9') word = 0;
  *tl = wl;
  return word ? ecai__stem(tk, w, wl, tl) : w;
}

/* The one query term of a synonym word into key (NUL-terminated). */
static ecai_status syn_word(ecai__tokenizer *tk, ecai__tokens *toks, const json_t *v, size_t idx, ecai__buf *key) {
  const char *w = json_string_value(v);
  if (!w) return ecai__err(ECAI_EINVAL, "rules: synonyms[%zu]: words must be strings", idx);
  ecai_status st = ecai__tokenize(tk, w, strlen(w), 0, toks);
  if (st) return st;
  if (toks->n != 1)
    return ecai__err(ECAI_EINVAL, "rules: synonyms[%zu]: \"%s\" must be exactly one word", idx, w);
  size_t tl;
  const char *t = ecai__search_term(tk, toks->text + toks->off[0], toks->len[0], toks->kind[0], &tl);
  if (!t) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  key->len = 0;
  ecai__buf_append(key, t, tl);
  ecai__buf_append(key, "", 1);
  return key->oom ? ecai__err(ECAI_ENOMEM, "search: out of memory") : ECAI_OK;
}

/* from -> to (a term of the index; words the catalog lacks find nothing and are left out). */
static ecai_status syn_add(ecai__rules *R, const ecai__bm25 *bm, const char *from, const char *to) {
  int64_t t = ecai__bm25_term(bm, to, strlen(to));
  if (t < 0 || !strcmp(from, to)) return ECAI_OK;
  size_t k = R->nsyn;
  bool found = false;
  if (!ecai__smap_put(&R->syn, from, strlen(from), &k, &found)) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  if (!found) {
    uint32_t **nt = ecai__realloc(R->tgt, (R->nsyn + 1) * sizeof *nt);
    if (nt) R->tgt = nt;
    size_t *nn = ecai__realloc(R->ntgt, (R->nsyn + 1) * sizeof *nn);
    if (nn) R->ntgt = nn;
    if (!nt || !nn) return ecai__err(ECAI_ENOMEM, "search: out of memory");
    R->tgt[k] = NULL;
    R->ntgt[k] = 0;
    R->nsyn++;
  }
  for (size_t i = 0; i < R->ntgt[k]; i++)
    if (R->tgt[k][i] == (uint32_t)t) return ECAI_OK;
  if (R->ntgt[k] >= ECAI__SYN_MAX) return ECAI_OK; /* bounded expansion */
  uint32_t *a = ecai__realloc(R->tgt[k], (R->ntgt[k] + 1) * sizeof *a);
  if (!a) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  a[R->ntgt[k]++] = (uint32_t)t;
  R->tgt[k] = a;
  return ECAI_OK;
}

static ecai_status parse_synonyms(ecai__rules *R, const ecai__bm25 *bm, ecai__tokenizer *tk, ecai__tokens *toks,
                                  const json_t *list) {
  if (!json_is_array(list)) return ecai__err(ECAI_EINVAL, "rules: \"synonyms\" must be a list");
  ecai__buf a = {0}, b = {0};
  ecai_status st = ECAI_OK;
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e) {
    if (st) break;
    if (json_is_array(e)) { /* two-way group */
      if (json_array_size(e) < 2) {
        st = ecai__err(ECAI_EINVAL, "rules: synonyms[%zu]: a group needs at least two words", i);
        break;
      }
      for (size_t x = 0; !st && x < json_array_size(e); x++)
        for (size_t y = 0; !st && y < json_array_size(e); y++) {
          if (x == y) continue;
          if (!(st = syn_word(tk, toks, json_array_get(e, x), i, &a)) &&
              !(st = syn_word(tk, toks, json_array_get(e, y), i, &b)))
            st = syn_add(R, bm, a.data, b.data);
        }
    } else if (json_is_object(e)) { /* one-way */
      const json_t *to = json_object_get(e, "to");
      if (json_object_size(e) != 2 || !json_object_get(e, "from") || !json_is_array(to) || !json_array_size(to)) {
        st = ecai__err(ECAI_EINVAL, "rules: synonyms[%zu]: expected {\"from\": word, \"to\": [words]}", i);
        break;
      }
      if ((st = syn_word(tk, toks, json_object_get(e, "from"), i, &a))) break;
      for (size_t y = 0; !st && y < json_array_size(to); y++)
        if (!(st = syn_word(tk, toks, json_array_get(to, y), i, &b))) st = syn_add(R, bm, a.data, b.data);
    } else {
      st = ecai__err(ECAI_EINVAL, "rules: synonyms[%zu]: expected a list of words or {\"from\",\"to\"}", i);
    }
  }
  ecai__buf_free(&a);
  ecai__buf_free(&b);
  return st;
}

/* Looks up product SKUs, collecting the unknown ones into miss. */
static int64_t product_id(const ecai_catalog *cat, const json_t *v, ecai__buf *miss, size_t *nmiss) {
  int64_t id = -1;
  const char *sku = json_string_value(v);
  if (sku && !ecai_catalog_id(&id, cat, sku)) return id;
  if ((*nmiss)++ < 10) ecai__buf_printf(miss, "%s\"%s\"", *nmiss > 1 ? ", " : "", sku ? sku : "?");
  return -1;
}

static ecai_status parse_rule(rule *r, size_t idx, const json_t *o, const ecai_catalog *cat, ecai__tokenizer *tk,
                              ecai__tokens *toks, ecai__buf *miss, size_t *nmiss) {
  if (!json_is_object(o)) return ecai__err(ECAI_EINVAL, "rules[%zu]: a rule must be an object", idx);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    if (!strcmp(key, "query") || !strcmp(key, "match")) {
      if (!json_is_string(v)) return ecai__err(ECAI_EINVAL, "rules[%zu]: \"%s\" must be a string", idx, key);
    } else if (!strcmp(key, "pin") || !strcmp(key, "boost") || !strcmp(key, "bury") || !strcmp(key, "hide")) {
      if (!json_is_array(v)) return ecai__err(ECAI_EINVAL, "rules[%zu]: \"%s\" must be a list of product ids", idx, key);
    } else {
      return ecai__err(ECAI_EINVAL, "rules[%zu]: unknown key \"%s\"", idx, key);
    }
  }
  const char *q = json_string_value(json_object_get(o, "query")), *m = json_string_value(json_object_get(o, "match"));
  if (!q) return ecai__err(ECAI_EINVAL, "rules[%zu]: \"query\" is required", idx);
  if (m && strcmp(m, "exact") && strcmp(m, "contains"))
    return ecai__err(ECAI_EINVAL, "rules[%zu]: \"match\" must be exact or contains", idx);
  r->contains = m && !strcmp(m, "contains");
  ecai__buf b = {0};
  ecai_status st = normalise(tk, toks, q, strlen(q), &b);
  if (st) {
    ecai__buf_free(&b);
    return st;
  }
  if (!b.len) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_EINVAL, "rules[%zu]: \"query\" has no words", idx);
  }
  r->q = ecai__buf_take(&b, NULL);
  const char *L[4] = {"pin", "boost", "bury", "hide"};
  size_t cnt[4], tot = 0;
  for (int l = 0; l < 4; l++) tot += cnt[l] = json_array_size(json_object_get(o, L[l]));
  r->ids = ecai__malloc((tot ? tot : 1) * sizeof *r->ids);
  r->pos = ecai__malloc((cnt[0] ? cnt[0] : 1) * sizeof *r->pos);
  if (!r->q || !r->ids || !r->pos) return ecai__err(ECAI_ENOMEM, "search: out of memory");
  size_t n = 0, next = 0;
  for (int l = 0; l < 4; l++) {
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(o, L[l]), i, e) {
      const json_t *idv = e;
      if (l == 0 && json_is_object(e)) { /* {"id": .., "position": 1-based} */
        json_int_t p = json_integer_value(json_object_get(e, "position"));
        idv = json_object_get(e, "id");
        if (json_object_size(e) != 2 || !json_is_integer(json_object_get(e, "position")) || p < 1 || p > 1000)
          return ecai__err(ECAI_EINVAL, "rules[%zu]: pin[%zu] must be an id or {\"id\": id, \"position\": 1..1000}",
                           idx, i);
        r->pos[i] = (size_t)p - 1;
      } else if (l == 0) {
        r->pos[i] = next;
      }
      if (l == 0) next = r->pos[i] + 1;
      if (!json_is_string(idv))
        return ecai__err(ECAI_EINVAL, "rules[%zu]: %s[%zu] must be a product id (string)", idx, L[l], i);
      int64_t id = product_id(cat, idv, miss, nmiss);
      for (size_t j = 0; id >= 0 && j < n; j++)
        if (r->ids[j] == id)
          return ecai__err(ECAI_EINVAL, "rules[%zu] (query \"%s\"): product \"%s\" is named twice (%s)", idx, q,
                           json_string_value(idv), L[l]);
      for (size_t j = 0; l == 0 && j < i; j++)
        if (r->pos[j] == r->pos[i])
          return ecai__err(ECAI_EINVAL, "rules[%zu] (query \"%s\"): two products pinned at position %zu", idx, q,
                           r->pos[i] + 1);
      r->ids[n++] = id;
    }
  }
  r->npin = cnt[0], r->nboost = cnt[1], r->nbury = cnt[2], r->nhide = cnt[3];
  return ECAI_OK;
}

ecai_status ecai__rules_parse(ecai__rules **out, const char *json, size_t len, const ecai_catalog *cat,
                              const ecai__bm25 *bm) {
  *out = NULL;
  json_t *doc = NULL;
  ecai_status st = ecai__json_parse(&doc, json, len, "rules");
  if (st) return st;
  const json_t *rules = doc, *syn = NULL;
  if (json_is_object(doc)) {
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
      if (strcmp(key, "rules") && strcmp(key, "synonyms")) {
        st = ecai__err(ECAI_EINVAL, "rules: unknown key \"%s\" (expected \"rules\" and \"synonyms\")", key);
        json_decref(doc); /* after the message: key lives in doc */
        return st;
      }
    rules = json_object_get(doc, "rules");
    syn = json_object_get(doc, "synonyms");
  }
  if ((rules && !json_is_array(rules)) || (!rules && !json_is_object(doc))) {
    json_decref(doc);
    return ecai__err(ECAI_EINVAL, "rules: expected a list of rules or {\"rules\": [..], \"synonyms\": [..]}");
  }
  ecai__rules *R = ecai__calloc(1, sizeof *R);
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  ecai__buf miss = {0};
  size_t nmiss = 0;
  if (!R) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  if (!st) st = ecai__tokenizer_new(&tk);
  size_t nr = rules ? json_array_size(rules) : 0;
  if (!st && nr && !(R->r = ecai__calloc(nr, sizeof *R->r))) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  for (size_t i = 0; !st && i < nr; i++) {
    st = parse_rule(&R->r[i], i, json_array_get(rules, i), cat, tk, &toks, &miss, &nmiss);
    R->n = i + 1;
    for (size_t j = 0; !st && j < i; j++)
      if (R->r[j].contains == R->r[i].contains && !strcmp(R->r[j].q, R->r[i].q))
        st = ecai__err(ECAI_EINVAL, "rules[%zu]: the same query and match as rules[%zu] (\"%s\")", i, j, R->r[i].q);
    if (!st) R->maxpins += R->r[i].npin;
  }
  if (!st && nmiss)
    st = ecai__err(ECAI_EINVAL, "rules: %zu unknown product%s: %s%s", nmiss, nmiss > 1 ? "s" : "",
                   miss.data ? miss.data : "", nmiss > 10 ? ", ..." : "");
  if (!st && syn) st = parse_synonyms(R, bm, tk, &toks, syn);
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(tk);
  ecai__buf_free(&miss);
  if (st) {
    ecai__rules_free(R);
    json_decref(doc);
    return st;
  }
  R->doc = doc;
  *out = R;
  return ECAI_OK;
}

size_t ecai__rules_synonyms(const ecai__rules *R, const char *term, size_t len, const uint32_t **out) {
  size_t k;
  if (!R || !R->nsyn || !ecai__smap_get(&R->syn, term, len, &k)) return 0;
  *out = R->tgt[k];
  return R->ntgt[k];
}

size_t ecai__rules_max_pins(const ecai__rules *R) { return R ? R->maxpins : 0; }

/* Is the rule's token sequence the whole query (exact) or a run of its tokens (contains)? */
static int matches(const rule *r, const char *q, size_t ql) {
  size_t rl = strlen(r->q);
  if (!r->contains) return rl == ql && !memcmp(r->q, q, ql);
  for (const char *p = q; (p = strstr(p, r->q)) != NULL; p++)
    if ((p == q || p[-1] == ' ') && (p[rl] == 0 || p[rl] == ' ')) return 1;
  return 0;
}

static int in(const int64_t *a, size_t n, int64_t id) {
  for (size_t i = 0; i < n; i++)
    if (a[i] == id) return 1;
  return 0;
}

ecai_status ecai__rules_apply(const ecai__rules *R, const char *q, size_t len, int relevance, int64_t *ids,
                              uint8_t *tags, size_t *n, int (*ok)(int64_t, const void *), const void *arg) {
  if (!R || !R->n) return ECAI_OK;
  ecai__tokenizer *tk = NULL;
  ecai__tokens toks = {0};
  ecai__buf b = {0};
  ecai_status st = ecai__tokenizer_new(&tk);
  if (!st) st = normalise(tk, &toks, q, len, &b);
  ecai__tokens_free(&toks);
  ecai__tokenizer_free(tk);
  size_t nm = 0;
  const rule **m = st ? NULL : ecai__malloc(R->n * sizeof *m);
  if (!st && !m) st = ecai__err(ECAI_ENOMEM, "search: out of memory");
  for (size_t i = 0; !st && i < R->n; i++)
    if (matches(&R->r[i], b.data ? b.data : "", b.len)) m[nm++] = &R->r[i];
  ecai__buf_free(&b);
  if (st || !nm) {
    ecai__free(m);
    return st;
  }
  /* hide, then (relevance order only) boosted first, buried last, pins at their places */
  size_t k = 0;
  for (size_t i = 0; i < *n; i++) {
    int hidden = 0, tag = 0;
    for (size_t j = 0; j < nm && !hidden; j++) {
      const rule *r = m[j];
      const int64_t *boost = r->ids + r->npin, *bury = boost + r->nboost, *hide = bury + r->nbury;
      hidden = in(hide, r->nhide, ids[i]) || (relevance && in(r->ids, r->npin, ids[i]));
      if (!tag && in(boost, r->nboost, ids[i])) tag = ECAI__RULE_BOOST;
      if (!tag && in(bury, r->nbury, ids[i])) tag = ECAI__RULE_BURY;
    }
    if (hidden) continue; /* (pinned ones are placed below) */
    ids[k] = ids[i];
    tags[k++] = relevance ? (uint8_t)tag : 0;
  }
  *n = k;
  if (relevance) { /* stable: boosted, plain, buried */
    int64_t *tmp = ecai__malloc((k ? k : 1) * sizeof *tmp);
    if (!tmp) {
      ecai__free(m);
      return ecai__err(ECAI_ENOMEM, "search: out of memory");
    }
    size_t o = 0;
    const uint8_t order[3] = {ECAI__RULE_BOOST, 0, ECAI__RULE_BURY};
    for (int g = 0; g < 3; g++)
      for (size_t i = 0; i < k; i++)
        if (tags[i] == order[g]) tmp[o++] = ids[i];
    memcpy(ids, tmp, k * sizeof *ids);
    for (int g = 0, i = 0; g < 3; g++) /* the tags in the new order */
      for (size_t c = 0; c < k; c++)
        if (tags[c] == order[g]) tmp[i++] = order[g];
    for (size_t i = 0; i < k; i++) tags[i] = (uint8_t)tmp[i];
    ecai__free(tmp);
    /* pins, in position order: each one inserted at its place (or at the end) */
    for (size_t pos = 0; pos < 1000; pos++) {
      int64_t id = -1;
      for (size_t j = 0; j < nm && id < 0; j++)
        for (size_t p = 0; p < m[j]->npin; p++)
          if (m[j]->pos[p] == pos) {
            id = m[j]->ids[p];
            int hidden = 0;
            for (size_t h = 0; h < nm; h++) {
              const int64_t *hide = m[h]->ids + m[h]->npin + m[h]->nboost + m[h]->nbury;
              hidden |= in(hide, m[h]->nhide, id);
            }
            if (hidden || in(ids, *n, id) || !ok(id, arg)) id = -1; /* hidden, pinned twice, or filtered out */
            break;
          }
      int more = 0;
      for (size_t j = 0; j < nm; j++)
        for (size_t p = 0; p < m[j]->npin; p++) more |= m[j]->pos[p] > pos;
      if (id >= 0) {
        size_t at = pos < *n ? pos : *n;
        memmove(ids + at + 1, ids + at, (*n - at) * sizeof *ids);
        memmove(tags + at + 1, tags + at, (*n - at) * sizeof *tags);
        ids[at] = id;
        tags[at] = ECAI__RULE_PIN;
        (*n)++;
      }
      if (!more) break;
    }
  }
  ecai__free(m);
  return ECAI_OK;
}

ecai_status ecai__rules_save(const ecai__rules *R, const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/rules.json", dir);
  if (!R) { /* no rules: none must come back at the next open */
    if (remove(path) != 0 && errno != ENOENT) return ecai__err(ECAI_EIO, "search: cannot remove %s", path);
    return ECAI_OK;
  }
  char *txt = NULL;
  size_t n = 0;
  ecai_status st = ecai__json_dump(&txt, &n, R->doc);
  if (st) return st;
  st = ecai__write_atomic(path, txt, n, "\n", 1, "search: rules.json");
  ecai__free(txt);
  return st;
}

ecai_status ecai__rules_load(ecai__rules **out, const char *dir, const ecai_catalog *cat, const ecai__bm25 *bm) {
  *out = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/rules.json", dir);
  ecai__buf b;
  ecai_status st = ecai__read_file(&b, path, 64 << 20, ECAI_ENOTFOUND, "search: rules");
  if (st == ECAI_ENOTFOUND) return ECAI_OK;
  if (st) return st;
  st = ecai__rules_parse(out, b.data ? b.data : "", b.len, cat, bm);
  ecai__buf_free(&b);
  if (st) ecai__err_prefix(st, "%s", path);
  return st;
}
