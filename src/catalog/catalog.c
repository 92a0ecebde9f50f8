/* ecai_catalog: products, SKU <-> dense ids, loaders (CSV/TSV/JSONL, gzip), persistence. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <zlib.h>

#include "catalog/catalog_internal.h"
#include "catalog/ser.h"

/* Why a row was skipped (lenient) or refused (strict): the keys of the load report. */
enum { R_MALFORMED, R_BAD_VALUE, R_UTF8, R_QUOTE, R_FIELD, R_RECORD, R_N };
static const char *const REASON[R_N] = {"malformed_row",      "bad_value",       "invalid_utf8",
                                        "unterminated_quote", "field_too_large", "record_too_large"};

typedef struct load_report {
  size_t loaded, skipped, by_reason[R_N];
  char *first_skip; /* "FILE:LINE: reason" of the first skipped row, or NULL */
} load_report;

struct ecai_catalog {
  ecai_ctx *ctx;
  ecai__product *p;
  size_t n, cap, live;
  ecai__smap map; /* SKU -> id; of a viewed catalog only the products added after the open */
  /* A catalog of the mapped layout (catalog_view): strings point into pool, the SKU table
   * is the file's; strings outside the pool are owned (changed or added products). */
  const char *pool;
  size_t pool_len;
  const uint32_t *tab; /* tmask + 1 ids, CAT_EMPTY = free slot; NULL when not viewed */
  size_t tmask;
  ecai__map fmap; /* the mapped file, or */
  char *copy;     /* the payload copied (ecai__catalog_read of a mapped layout) */
  load_report rep; /* of the last ecai_catalog_load() */
};

static const char CAT_MAGIC[8] = {'E', 'C', 'A', 'I', 'C', 'A', 'T', 0};

ecai_ctx *ecai__catalog_ctx(const ecai_catalog *cat) { return cat->ctx; }

/* Whether s is one of the catalog's own allocations (not in a viewed pool; cat may be NULL). */
static int owned(const ecai_catalog *cat, const char *s) {
  return s && !(cat && cat->pool && (uintptr_t)s >= (uintptr_t)cat->pool &&
                (uintptr_t)s < (uintptr_t)cat->pool + cat->pool_len);
}

void ecai__catalog_drop_str(const ecai_catalog *cat, char *s) {
  if (owned(cat, s)) ecai__free(s);
}

static void product_clear(const ecai_catalog *cat, ecai__product *p) {
  char *f[7] = {p->sku, p->title, p->desc, p->cat, p->brand, p->currency, p->attrs};
  for (int i = 0; i < 7; i++) ecai__catalog_drop_str(cat, f[i]);
  memset(p, 0, sizeof *p);
}

void ecai__product_text(const ecai__product *p, ecai__buf *b) {
  const char *parts[4] = {p->title, p->brand, p->cat, p->desc};
  int first = 1;
  for (int i = 0; i < 4; i++) {
    if (!parts[i] || !*parts[i]) continue;
    if (!first) ecai__buf_append(b, " | ", 3);
    ecai__buf_puts(b, parts[i]);
    first = 0;
  }
  if (!b->data) ecai__buf_append(b, "", 0);
}

static int product_hash(ecai__product *p) {
  ecai__buf b = {0};
  ecai__product_text(p, &b);
  if (b.oom) {
    ecai__buf_free(&b);
    return -1;
  }
  p->hash = XXH3_64bits(b.data ? b.data : "", b.len);
  ecai__buf_free(&b);
  return 0;
}

ecai_status ecai_catalog_new(ecai_catalog **out, ecai_ctx *ctx) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ecai_catalog *c = ecai__calloc(1, sizeof *c);
  if (!c) return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  c->ctx = ctx;
  ecai__smap_init_borrowed(&c->map); /* keys are the products' own sku strings */
  *out = c;
  return ECAI_OK;
}

void ecai_catalog_free(ecai_catalog *cat) {
  if (!cat) return;
  for (size_t i = 0; i < cat->n; i++) product_clear(cat, &cat->p[i]);
  ecai__free(cat->p);
  ecai__smap_free(&cat->map);
  ecai__blob_unmap(&cat->fmap);
  ecai__free(cat->copy);
  ecai__free(cat->rep.first_skip);
  ecai__free(cat);
}

size_t ecai_catalog_count(const ecai_catalog *cat) { return cat ? cat->live : 0; }
size_t ecai__catalog_slots(const ecai_catalog *cat) { return cat->n; }

const ecai__product *ecai__catalog_product(const ecai_catalog *cat, int64_t id) {
  if (!cat || id < 0 || (size_t)id >= cat->n || !cat->p[id].alive) return NULL;
  return &cat->p[id];
}

/* Makes room for `extra` products without any later allocation. */
static int reserve(ecai_catalog *cat, size_t extra) {
  if (cat->n + extra > cat->cap) {
    size_t nc = cat->cap ? cat->cap : 64;
    while (nc < cat->n + extra) nc *= 2;
    ecai__product *np = ecai__realloc(cat->p, nc * sizeof *np);
    if (!np) return -1;
    cat->p = np;
    cat->cap = nc;
  }
  return ecai__smap_reserve(&cat->map, extra) ? 0 : -1;
}

#define CAT_EMPTY UINT32_MAX /* a free slot of the mapped SKU table */

/* Dense id of a SKU, or -1: the side map, then a viewed file's table (linear probing over
 * XXH3 of the SKU), whose products may have been removed since. */
static int64_t find_id(const ecai_catalog *cat, const char *sku) {
  size_t id, len = strlen(sku);
  if (ecai__smap_get(&cat->map, sku, len, &id)) return (int64_t)id;
  if (!cat->tab) return -1;
  size_t h = (size_t)XXH3_64bits(sku, len) & cat->tmask;
  for (size_t k = 0; k <= cat->tmask; k++, h = (h + 1) & cat->tmask) {
    uint32_t e = cat->tab[h];
    if (e == CAT_EMPTY) break;
    const ecai__product *p = &cat->p[e];
    if (p->sku && strcmp(p->sku, sku) == 0) return p->alive ? (int64_t)e : -1;
  }
  return -1;
}

/* Moves *src into the catalog (reserve() done). Returns the id. */
static int64_t commit_one(ecai_catalog *cat, ecai__product *src) {
  int64_t id = find_id(cat, src->sku);
  if (id >= 0) {
    ecai__product *d = &cat->p[id];
    char *sku = d->sku;
    d->sku = NULL;
    product_clear(cat, d);
    *d = *src;
    ecai__free(d->sku);
    d->sku = sku;
  } else {
    id = (int64_t)cat->n++;
    cat->p[id] = *src;
    (void)ecai__smap_set(&cat->map, cat->p[id].sku, strlen(cat->p[id].sku), (size_t)id); /* reserved: cannot fail */
    cat->live++;
  }
  cat->p[id].alive = 1;
  memset(src, 0, sizeof *src);
  return id;
}

/* ---- fields ----------------------------------------------------------------- */

enum { F_ID, F_TITLE, F_DESC, F_CAT, F_BRAND, F_PRICE, F_CUR, F_STOCK, F_ATTRS, F_N };
static const char *const FIELD[F_N] = {"id", "title", "description", "category", "brand",
                                       "price", "currency", "in_stock", "attributes"};
/* header names recognised without a mapping */
static const char *const ALIASES[F_N][4] = {
    {"product_id", "id", "sku", NULL}, {"title", "name", "product_title", NULL},
    {"description", "product_description", NULL, NULL}, {"category", "category_path", NULL, NULL},
    {"brand", NULL, NULL, NULL}, {"price", NULL, NULL, NULL}, {"currency", NULL, NULL, NULL},
    {"in_stock", "stock", NULL, NULL}, {"attributes", NULL, NULL, NULL}};

typedef struct mapping {
  char *name[F_N]; /* header name per field, from the --columns string (or NULL) */
} mapping;

static void mapping_free(mapping *m) {
  for (int i = 0; i < F_N; i++) ecai__free(m->name[i]);
}

static ecai_status parse_mapping(mapping *m, const char *s) {
  memset(m, 0, sizeof *m);
  if (!s || !*s) return ECAI_OK;
  const char *p = s;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    if (!eq || eq == p || eq + 1 == p + n) {
      mapping_free(m);
      return ecai__err(ECAI_EINVAL, "catalog: column mapping entry '%.*s' is not field=column", (int)n, p);
    }
    int f = -1;
    for (int i = 0; i < F_N; i++)
      if (strlen(FIELD[i]) == (size_t)(eq - p) && strncasecmp(FIELD[i], p, (size_t)(eq - p)) == 0) f = i;
    if (f < 0 && (size_t)(eq - p) == 5 && strncasecmp(p, "stock", 5) == 0) f = F_STOCK;
    if (f < 0) {
      ecai_status st = ecai__err(ECAI_EINVAL,
                                 "catalog: unknown field '%.*s' in column mapping (fields: id, title, "
                                 "description, category, brand, price, currency, in_stock, attributes)",
                                 (int)(eq - p), p);
      mapping_free(m);
      return st;
    }
    ecai__free(m->name[f]);
    m->name[f] = ecai__strndup(eq + 1, (size_t)(p + n - eq - 1));
    if (!m->name[f]) {
      mapping_free(m);
      return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
    }
    p += n;
    if (*p == ',') p++;
  }
  return ECAI_OK;
}

/* Field of a header name: mapping first, then aliases; -1 for an extra column. */
static int field_of(const mapping *m, const char *name) {
  int mapped = 0;
  for (int i = 0; i < F_N; i++) {
    if (m->name[i]) {
      mapped = 1;
      if (strcasecmp(m->name[i], name) == 0) return i;
    }
  }
  for (int i = 0; i < F_N; i++) {
    if (m->name[i]) continue; /* explicitly mapped elsewhere */
    for (int a = 0; a < 4 && ALIASES[i][a]; a++)
      if (strcasecmp(ALIASES[i][a], name) == 0) return i;
  }
  (void)mapped;
  return -1;
}

static int parse_bool(const char *s, int *out) {
  if (!s || !*s) {
    *out = -1;
    return 0;
  }
  static const char *const T[] = {"1", "true", "yes", "y", "in stock", "instock", "t", NULL};
  static const char *const F[] = {"0", "false", "no", "n", "out of stock", "outofstock", "f", NULL};
  for (int i = 0; T[i]; i++)
    if (strcasecmp(s, T[i]) == 0) { *out = 1; return 0; }
  for (int i = 0; F[i]; i++)
    if (strcasecmp(s, F[i]) == 0) { *out = 0; return 0; }
  return -1;
}

static int parse_price(const char *s, double *out) {
  if (!s || !*s) {
    *out = NAN;
    return 0;
  }
  while (*s == ' ' || *s == '$') s++;
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  while (end && *end == ' ') end++;
  if (end == s || (end && *end) || errno || !isfinite(v) || v < 0) return -1;
  *out = v;
  return 0;
}

/* ---- staging -------------------------------------------------------------------- */

typedef struct stage {
  ecai__product *p;
  size_t n, cap;
  size_t skipped, by_reason[R_N];
  char *first_skip;
  int lenient;
  size_t max_field, max_record; /* catalog.max_field_bytes, catalog.max_record_bytes */
  const char *file;
  size_t line;     /* the line errors name: where the row starts */
  ecai_status err; /* first strict failure */
} stage;

static void stage_free(stage *s) {
  for (size_t i = 0; i < s->n; i++) product_clear(NULL, &s->p[i]);
  ecai__free(s->p);
  s->p = NULL;
  s->n = 0;
  ecai__free(s->first_skip);
  s->first_skip = NULL;
}

/* Records a bad row: strict -> error "FILE:LINE: msg", lenient -> counted under its
 * reason (the first one's message kept for the report). Returns 0 to continue. */
static int row_error(stage *s, ecai_status st, int reason, const char *fmt, ...) ECAI__PRINTF(4, 5);
static int row_error(stage *s, ecai_status st, int reason, const char *fmt, ...) {
  if (st == ECAI_ENOMEM) {
    s->err = ecai__err(ECAI_ENOMEM, "catalog: out of memory");
    return -1;
  }
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!s->lenient) {
    s->err = ecai__err(st, "%s:%zu: %s", s->file, s->line, msg);
    return -1;
  }
  s->skipped++;
  s->by_reason[reason]++;
  if (!s->first_skip) {
    size_t n = strlen(s->file) + strlen(msg) + 32;
    s->first_skip = ecai__malloc(n);
    if (s->first_skip) snprintf(s->first_skip, n, "%s:%zu: %s", s->file, s->line, msg);
  }
  return 0;
}

/* A stage with the size limits of the catalog's context. */
static ecai_status stage_init(stage *s, const ecai_catalog *cat, const char *file, int lenient) {
  memset(s, 0, sizeof *s);
  s->file = file;
  s->lenient = lenient;
  int64_t f = ecai__cfg_int(cat->ctx, "catalog.max_field_bytes", 1048576);
  int64_t r = ecai__cfg_int(cat->ctx, "catalog.max_record_bytes", 8388608);
  if (f < 1 || r < 1)
    return ecai__err(ECAI_EINVAL, "catalog: catalog.%s must be at least 1 (got %lld)",
                     f < 1 ? "max_field_bytes" : "max_record_bytes", (long long)(f < 1 ? f : r));
  s->max_field = (size_t)f;
  s->max_record = (size_t)r;
  return ECAI_OK;
}

static ecai__product *stage_push(stage *s) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 256;
    ecai__product *np = ecai__realloc(s->p, nc * sizeof *np);
    if (!np) return NULL;
    s->p = np;
    s->cap = nc;
  }
  ecai__product *p = &s->p[s->n++];
  memset(p, 0, sizeof *p);
  p->price = NAN;
  p->in_stock = -1;
  return p;
}

/* Builds a product from (field -> value) strings plus extra attributes. Values borrowed. */
static int stage_row(stage *s, const char *v[F_N], json_t *extra) {
  if (!v[F_ID] || !*v[F_ID]) return row_error(s, ECAI_EPARSE, R_BAD_VALUE, "empty product id");
  if (!v[F_TITLE] || !*v[F_TITLE])
    return row_error(s, ECAI_EPARSE, R_BAD_VALUE, "product '%s' has an empty title", v[F_ID]);
  double price;
  if (parse_price(v[F_PRICE], &price))
    return row_error(s, ECAI_EPARSE, R_BAD_VALUE, "product '%s': bad price '%s'", v[F_ID], v[F_PRICE]);
  int stock;
  if (parse_bool(v[F_STOCK], &stock))
    return row_error(s, ECAI_EPARSE, R_BAD_VALUE, "product '%s': bad in_stock '%s'", v[F_ID], v[F_STOCK]);
  json_t *attrs = NULL;
  if (v[F_ATTRS] && *v[F_ATTRS]) {
    json_error_t je;
    attrs = json_loads(v[F_ATTRS], JSON_REJECT_DUPLICATES, &je);
    if (!attrs || !json_is_object(attrs)) {
      json_decref(attrs);
      return row_error(s, ECAI_EPARSE, R_BAD_VALUE, "product '%s': attributes are not a JSON object", v[F_ID]);
    }
  }
  if (extra && json_object_size(extra)) {
    if (!attrs) attrs = json_object();
    if (!attrs || json_object_update_missing(attrs, extra)) {
      json_decref(attrs);
      return row_error(s, ECAI_ENOMEM, 0, "oom");
    }
  }
  ecai__product *p = stage_push(s);
  if (!p) {
    json_decref(attrs);
    return row_error(s, ECAI_ENOMEM, 0, "oom");
  }
  p->price = price;
  p->in_stock = stock;
  int oom = 0;
#define DUP(dst, f) do { if (v[f] && *v[f]) { dst = ecai__strdup(v[f]); if (!dst) oom = 1; } } while (0)
  DUP(p->sku, F_ID);
  DUP(p->title, F_TITLE);
  DUP(p->desc, F_DESC);
  DUP(p->cat, F_CAT);
  DUP(p->brand, F_BRAND);
  DUP(p->currency, F_CUR);
#undef DUP
  if (attrs) {
    char *js = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
    if (js) {
      p->attrs = ecai__strdup(js);
      free(js);
    }
    if (!p->attrs) oom = 1;
    json_decref(attrs);
  }
  if (oom || product_hash(p)) {
    product_clear(NULL, p);
    s->n--;
    return row_error(s, ECAI_ENOMEM, 0, "oom");
  }
  return 0;
}

/* ---- delimited files -------------------------------------------------------------- */

typedef struct rowset {
  char **f;
  size_t n, cap;
  int oom;
} rowset;

typedef struct dsv {
  stage *s;
  const mapping *m;
  int col[F_N];     /* column index per field, -1 none */
  int *is_extra;    /* per column: 1 when stored as an attribute */
  char **header;
  size_t ncols;
  int have_header;
  rowset row;
  size_t rec_bytes; /* bytes of the current record's fields so far */
  int too_large;    /* lenient: R_FIELD or R_RECORD once the current record broke a size limit
                       (it is discarded up to its end and counted there), else 0 */
  char too_large_msg[320];
  int stop;
} dsv;

static void rowset_clear(rowset *r) {
  for (size_t i = 0; i < r->n; i++) ecai__free(r->f[i]);
  r->n = 0;
}

static void dsv_free(dsv *d) {
  rowset_clear(&d->row);
  ecai__free(d->row.f);
  for (size_t i = 0; i < d->ncols; i++) ecai__free(d->header[i]);
  ecai__free(d->header);
  ecai__free(d->is_extra);
}

/* The current record broke a size limit in column c (0-based): strict -> error naming the
 * line, column number and header name; lenient -> the record is discarded up to its end
 * and counted there. A header that breaks a limit is always an error. */
static void too_large(dsv *d, int reason, size_t c, const char *hint) {
  if (d->too_large || d->stop) return;
  char col[160], msg[sizeof d->too_large_msg];
  if (d->have_header && c < d->ncols) snprintf(col, sizeof col, "column %zu (%.100s)", c + 1, d->header[c]);
  else snprintf(col, sizeof col, "%scolumn %zu", d->have_header ? "" : "header ", c + 1);
  if (reason == R_FIELD)
    snprintf(msg, sizeof msg, "field in %s is larger than catalog.max_field_bytes (%zu bytes)%s", col,
             d->s->max_field, hint);
  else
    snprintf(msg, sizeof msg, "record is larger than catalog.max_record_bytes (%zu bytes) at %s%s",
             d->s->max_record, col, hint);
  if (!d->have_header || !d->s->lenient) {
    d->s->err = ecai__err(ECAI_EPARSE, "%s:%zu: %s", d->s->file, d->s->line, msg);
    d->stop = 1;
    return;
  }
  d->too_large = reason;
  memcpy(d->too_large_msg, msg, sizeof msg);
}

static void cb_field(void *data, size_t len, void *payload) {
  dsv *d = payload;
  rowset *r = &d->row;
  if (r->oom || d->stop || d->too_large) return;
  d->rec_bytes += len;
  if (len > d->s->max_field || d->rec_bytes > d->s->max_record) {
    too_large(d, len > d->s->max_field ? R_FIELD : R_RECORD, r->n, "");
    return;
  }
  if (r->n == r->cap) {
    size_t nc = r->cap ? r->cap * 2 : 16;
    char **nf = ecai__realloc(r->f, nc * sizeof *nf);
    if (!nf) { r->oom = 1; return; }
    r->f = nf;
    r->cap = nc;
  }
  char *v = ecai__strndup(data ? data : "", data ? len : 0);
  if (!v) { r->oom = 1; return; }
  /* trim surrounding spaces and a trailing CR */
  size_t n = strlen(v);
  while (n && (v[n - 1] == '\r' || v[n - 1] == ' ')) v[--n] = 0;
  size_t b = 0;
  while (v[b] == ' ') b++;
  if (b) memmove(v, v + b, n - b + 1);
  r->f[r->n++] = v;
}

static int dsv_header(dsv *d) {
  rowset *r = &d->row;
  d->ncols = r->n;
  d->header = r->f;
  r->f = NULL;
  r->n = r->cap = 0;
  d->is_extra = ecai__calloc(d->ncols ? d->ncols : 1, sizeof *d->is_extra);
  if (!d->is_extra) return row_error(d->s, ECAI_ENOMEM, 0, "oom");
  for (int i = 0; i < F_N; i++) d->col[i] = -1;
  for (size_t c = 0; c < d->ncols; c++) {
    int f = field_of(d->m, d->header[c]);
    if (f >= 0 && d->col[f] < 0) d->col[f] = (int)c;
    else d->is_extra[c] = 1;
  }
  for (int i = 0; i < F_N; i++)
    if (d->m->name[i] && d->col[i] < 0) {
      d->s->err = ecai__err(ECAI_EINVAL, "%s: column '%s' (mapped to %s) is not in the header", d->s->file,
                            d->m->name[i], FIELD[i]);
      return -1;
    }
  if (d->col[F_ID] < 0 || d->col[F_TITLE] < 0) {
    d->s->err = ecai__err(ECAI_EINVAL,
                          "%s: the header names no %s column (expected product_id/id/sku and title/name, or "
                          "a mapping like id=COL,title=COL)",
                          d->s->file, d->col[F_ID] < 0 ? "id" : "title");
    return -1;
  }
  d->have_header = 1;
  return 0;
}

static void cb_row(int c, void *payload) {
  (void)c;
  dsv *d = payload;
  rowset *r = &d->row;
  d->rec_bytes = 0;
  if (d->stop) return;
  if (d->too_large) {
    int reason = d->too_large;
    d->too_large = 0;
    rowset_clear(r);
    if (row_error(d->s, ECAI_EPARSE, reason, "%s", d->too_large_msg)) d->stop = 1;
    return;
  }
  if (r->oom) {
    d->stop = row_error(d->s, ECAI_ENOMEM, 0, "oom") ? 1 : 0;
    rowset_clear(r);
    return;
  }
  if (r->n == 1 && r->f[0][0] == 0) { /* blank line */
    rowset_clear(r);
    return;
  }
  if (!d->have_header) {
    if (dsv_header(d)) d->stop = 1;
    return;
  }
  if (r->n != d->ncols) {
    if (row_error(d->s, ECAI_EPARSE, R_MALFORMED, "expected %zu fields, got %zu", d->ncols, r->n)) d->stop = 1;
    rowset_clear(r);
    return;
  }
  const char *v[F_N] = {0};
  for (int i = 0; i < F_N; i++)
    if (d->col[i] >= 0) v[i] = r->f[d->col[i]];
  json_t *extra = NULL;
  for (size_t c2 = 0; c2 < d->ncols; c2++) {
    if (!d->is_extra[c2] || !r->f[c2][0]) continue;
    if (!extra) extra = json_object();
    if (!extra || json_object_set_new(extra, d->header[c2], json_string(r->f[c2]))) {
      r->oom = 1;
      break;
    }
  }
  if (r->oom) {
    json_decref(extra);
    d->stop = row_error(d->s, ECAI_ENOMEM, 0, "oom") ? 1 : 0;
  } else if (stage_row(d->s, v, extra)) {
    d->stop = 1;
  }
  json_decref(extra);
  rowset_clear(r);
}

/* A line with invalid UTF-8: strict -> error with the byte offset; lenient -> skipped and
 * counted (count = 0: already counted in an earlier pass). 1 valid, 0 skip, -1 stop. */
static int line_utf8_ok(stage *s, const char *line, size_t n, size_t file_off, int count) {
  size_t bad;
  if (ecai__utf8_valid(line, n, &bad)) return 1;
  if (s->lenient && !count) return 0;
  return row_error(s, ECAI_EPARSE, R_UTF8, "invalid UTF-8 at byte %zu of the file", file_off + bad) ? -1 : 0;
}

/* One TSV line: no quoting (a quote is an ordinary character, a field never spans lines),
 * split on tabs here (libcsv would trim tabs as spaces). */
static void tsv_line(dsv *d, const char *ln, size_t n) {
  size_t e = n;
  while (e && (ln[e - 1] == '\n' || ln[e - 1] == '\r')) e--;
  size_t a = 0;
  for (size_t i = 0; i <= e; i++) {
    if (i == e || ln[i] == '\t') {
      cb_field((void *)(ln + a), i - a, d);
      a = i + 1;
    }
  }
  cb_row('\n', d);
}

#define CSV_CHUNK ((size_t)1 << 16) /* bytes fed to libcsv at once: bounds its buffer past a limit */
#define CSV_ROW_NOT_BEGUN 0         /* struct csv_parser.pstate between records (libcsv.c) */
#define CSV_OPTS (CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) /* STRICT_FINI: an open quote at EOF fails */

/* Feeds one CSV line (number `line`) to libcsv in chunks, checking the field being read
 * against the size limits between chunks. Returns 0, or -1 on a CSV syntax error. */
static int csv_line(dsv *d, struct csv_parser *p, const char *ln, size_t n, size_t line) {
  for (size_t off = 0; off < n && !d->stop;) {
    size_t k = n - off < CSV_CHUNK ? n - off : CSV_CHUNK;
    if (csv_parse(p, ln + off, k, cb_field, cb_row, d) != k) return -1;
    off += k;
    if (!d->too_large) {
      char hint[128] = "";
      if (p->quoted && line > d->s->line)
        snprintf(hint, sizeof hint, " (quoted from line %zu to line %zu so far: is a closing quote missing?)",
                 d->s->line, line);
      if (p->entry_pos > d->s->max_field) too_large(d, R_FIELD, d->row.n, hint);
      else if (d->rec_bytes + p->entry_pos > d->s->max_record) too_large(d, R_RECORD, d->row.n, hint);
    }
    /* drop the discarded field's bytes (libcsv needs entry_pos >= spaces) */
    if (d->too_large) p->entry_pos = p->spaces;
  }
  return 0;
}

/* A fresh parser for reading again from another line (lenient mode). */
static int csv_restart(dsv *d, struct csv_parser *p) {
  csv_free(p);
  rowset_clear(&d->row);
  d->rec_bytes = 0;
  d->too_large = 0;
  if (csv_init(p, CSV_OPTS)) {
    d->s->err = ecai__err(ECAI_ENOMEM, "catalog: cannot initialise the CSV parser");
    return -1;
  }
  return 0;
}

/* Offset just past the line that starts at pos. */
static size_t line_end(const char *buf, size_t len, size_t pos) {
  const char *nl = memchr(buf + pos, '\n', len - pos);
  return nl ? (size_t)(nl - buf) + 1 : len;
}

/* CSV and TSV. Each record's first line is remembered: errors name it, and in lenient mode
 * a record that cannot be read (unterminated quote at the end of the file, syntax error in a
 * record spanning lines) is counted and the lines after its first line are read again, so
 * no row is swallowed silently by a stray quote. */
static ecai_status load_dsv(stage *s, const char *buf, size_t len, int tsv, const mapping *m) {
  dsv d;
  memset(&d, 0, sizeof d);
  d.s = s;
  d.m = m;
  struct csv_parser p;
  if (csv_init(&p, CSV_OPTS)) return ecai__err(ECAI_ENOMEM, "catalog: cannot initialise the CSV parser");
  size_t pos = 0, line = 0;
  size_t rec_line = 1, rec_pos = 0; /* where the record being read starts */
  size_t utf8_upto = 0;             /* lines already checked for UTF-8 (so a re-read counts none twice) */
  for (;;) {
    while (pos < len && !d.stop && !s->err) {
      size_t n = line_end(buf, len, pos) - pos;
      s->line = ++line;
      int ok = line_utf8_ok(s, buf + pos, n, pos, line > utf8_upto);
      if (line > utf8_upto) utf8_upto = line;
      if (ok < 0) break;
      if (ok == 0 || tsv) {
        if (ok) tsv_line(&d, buf + pos, n);
        pos += n;
        continue;
      }
      if (p.pstate == CSV_ROW_NOT_BEGUN) {
        rec_line = line;
        rec_pos = pos;
      }
      s->line = rec_line;
      if (csv_line(&d, &p, buf + pos, n, line) == 0) {
        pos += n;
        continue;
      }
      int e = csv_error(&p);
      if (e == CSV_ENOMEM) {
        row_error(s, ECAI_ENOMEM, 0, "oom");
        break;
      }
      int r = rec_line == line
                  ? row_error(s, ECAI_EPARSE, R_MALFORMED, "malformed CSV: %s", csv_strerror(e))
                  : row_error(s, ECAI_EPARSE, R_MALFORMED,
                              "record starting here runs into malformed CSV on line %zu (is a closing quote "
                              "missing?): %s",
                              line, csv_strerror(e));
      if (r || csv_restart(&d, &p)) break;
      /* lenient: read again after the bad line, or after the record's first line */
      pos = rec_line == line ? pos + n : line_end(buf, len, rec_pos);
      line = rec_line;
    }
    if (tsv || d.stop || s->err) break;
    if (csv_fini(&p, cb_field, cb_row, &d) == 0) break;
    if (csv_error(&p) == CSV_ENOMEM) {
      row_error(s, ECAI_ENOMEM, 0, "oom");
      break;
    }
    /* a quoted field still open at the end of the file */
    s->line = rec_line;
    if (!d.have_header) {
      s->err = ecai__err(ECAI_EPARSE, "%s:%zu: unterminated quoted field starting here", s->file, rec_line);
      break;
    }
    if (row_error(s, ECAI_EPARSE, R_QUOTE, "unterminated quoted field starting here") || csv_restart(&d, &p)) break;
    pos = line_end(buf, len, rec_pos);
    line = rec_line;
  }
  csv_free(&p);
  if (!s->err && !d.have_header) s->err = ecai__err(ECAI_EPARSE, "%s: empty file (no header line)", s->file);
  dsv_free(&d);
  return s->err;
}

/* ---- JSONL ------------------------------------------------------------------------- */

static int json_row(stage *s, const mapping *m, json_t *o) {
  const char *v[F_N] = {0};
  char idbuf[32], pricebuf[64];
  json_t *extra = json_object();
  if (!extra) return row_error(s, ECAI_ENOMEM, 0, "oom");
  char *attrs = NULL;
  int rc = 0;
  const char *key;
  json_t *val;
  json_object_foreach(o, key, val) {
    if (json_is_string(val) && json_string_length(val) > s->max_field) {
      rc = row_error(s, ECAI_EPARSE, R_FIELD, "field '%.100s' is larger than catalog.max_field_bytes (%zu bytes)", key,
                     s->max_field);
      goto out;
    }
    int f = field_of(m, key);
    if (f < 0) {
      if (json_object_set(extra, key, val)) { rc = row_error(s, ECAI_ENOMEM, 0, "oom"); goto out; }
      continue;
    }
    if (f == F_ATTRS) {
      if (!json_is_object(val)) {
        rc = row_error(s, ECAI_EPARSE, R_BAD_VALUE, "'%s' must be an object", key);
        goto out;
      }
      free(attrs);
      attrs = json_dumps(val, JSON_COMPACT | JSON_SORT_KEYS);
      if (!attrs) { rc = row_error(s, ECAI_ENOMEM, 0, "oom"); goto out; }
      v[f] = attrs;
    } else if (f == F_ID && json_is_integer(val)) {
      snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(val));
      v[f] = idbuf;
    } else if (f == F_PRICE && json_is_number(val)) {
      snprintf(pricebuf, sizeof pricebuf, "%.17g", json_number_value(val));
      v[f] = pricebuf;
    } else if (f == F_STOCK && json_is_boolean(val)) {
      v[f] = json_is_true(val) ? "1" : "0";
    } else if (json_is_string(val)) {
      v[f] = json_string_value(val);
    } else if (json_is_null(val)) {
      v[f] = NULL;
    } else {
      rc = row_error(s, ECAI_EPARSE, R_BAD_VALUE, "field '%s' has the wrong type", key);
      goto out;
    }
  }
  rc = stage_row(s, v, extra);
out:
  free(attrs);
  json_decref(extra);
  return rc;
}

static ecai_status load_jsonl(stage *s, const char *buf, size_t len, const mapping *m) {
  size_t pos = 0;
  s->line = 0;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - buf - pos) : len - pos;
    s->line++;
    const char *ln = buf + pos;
    size_t ln_off = pos;
    pos += n + (nl ? 1 : 0);
    size_t k = 0;
    while (k < n && isspace((unsigned char)ln[k])) k++;
    if (k == n) continue;
    if (n > s->max_record) {
      if (row_error(s, ECAI_EPARSE, R_RECORD, "line is larger than catalog.max_record_bytes (%zu bytes)",
                    s->max_record))
        break;
      continue;
    }
    int ok = line_utf8_ok(s, ln, n, ln_off, 1);
    if (ok < 0) break;
    if (ok == 0) continue;
    json_error_t je;
    json_t *o = json_loadb(ln, n, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
      int r = row_error(s, ECAI_EPARSE, R_MALFORMED, "%s", o ? "not a JSON object" : je.text);
      json_decref(o);
      if (r) break;
      continue;
    }
    int r = json_row(s, m, o);
    json_decref(o);
    if (r) break;
  }
  return s->err;
}

/* ---- file reading -------------------------------------------------------------------- */

static ecai_status read_file(const char *path, char **out, size_t *out_len) {
  *out = NULL;
  FILE *probe = fopen(path, "rb");
  if (!probe) return ecai__err(ECAI_EIO, "catalog: cannot open %s: %s", path, strerror(errno));
  fclose(probe);
  gzFile gz = gzopen(path, "rb");
  if (!gz) return ecai__err(ECAI_EIO, "catalog: cannot open %s", path);
  gzbuffer(gz, 1 << 17);
  ecai__buf b = {0};
  char chunk[1 << 16];
  for (;;) {
    int r = gzread(gz, chunk, sizeof chunk);
    if (r < 0) {
      int en;
      const char *m = gzerror(gz, &en);
      ecai_status st = ecai__err(ECAI_EIO, "catalog: cannot read %s: %s", path, m);
      gzclose(gz);
      ecai__buf_free(&b);
      return st;
    }
    if (r == 0) break;
    if (!ecai__buf_append(&b, chunk, (size_t)r)) {
      gzclose(gz);
      ecai__buf_free(&b);
      return ecai__err(ECAI_ENOMEM, "catalog: out of memory reading %s", path);
    }
  }
  gzclose(gz);
  if (!b.data && !ecai__buf_append(&b, "", 0)) return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  *out = b.data;
  *out_len = b.len;
  return ECAI_OK;
}

static int ends_with(const char *s, size_t n, const char *suf) {
  size_t k = strlen(suf);
  return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

ecai_status ecai_catalog_load(size_t *out_loaded, size_t *out_skipped, ecai_catalog *cat, const char *path,
                              ecai_catalog_format format, const char *columns, uint32_t flags) {
  if (out_loaded) *out_loaded = 0;
  if (out_skipped) *out_skipped = 0;
  ECAI__CHECK_ARG(cat);
  ECAI__CHECK_ARG(path);
  ecai__free(cat->rep.first_skip);
  memset(&cat->rep, 0, sizeof cat->rep); /* a failed load reports nothing loaded */
  if (flags & ~(uint32_t)ECAI_CATALOG_LENIENT) return ecai__err(ECAI_EINVAL, "catalog_load: unknown flags 0x%x", flags);
  if (format == ECAI_CATALOG_AUTO) {
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz")) n -= 3;
    if (ends_with(path, n, ".tsv") || ends_with(path, n, ".tab")) format = ECAI_CATALOG_TSV;
    else if (ends_with(path, n, ".csv")) format = ECAI_CATALOG_CSV;
    else if (ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson") || ends_with(path, n, ".json"))
      format = ECAI_CATALOG_JSONL;
    else
      return ecai__err(ECAI_EINVAL, "catalog_load: cannot tell the format of %s (use csv, tsv or jsonl)", path);
  }
  if (format != ECAI_CATALOG_CSV && format != ECAI_CATALOG_TSV && format != ECAI_CATALOG_JSONL)
    return ecai__err(ECAI_EINVAL, "catalog_load: unknown format %d", (int)format);
  stage s;
  ecai_status st = stage_init(&s, cat, path, (flags & ECAI_CATALOG_LENIENT) != 0);
  if (st) return st;
  mapping m;
  st = parse_mapping(&m, columns);
  if (st) return st;
  char *buf = NULL;
  size_t len = 0;
  st = read_file(path, &buf, &len);
  if (st) {
    mapping_free(&m);
    return st;
  }
  /* skip a UTF-8 byte order mark */
  size_t skip = (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
  if (format == ECAI_CATALOG_JSONL) st = load_jsonl(&s, buf + skip, len - skip, &m);
  else st = load_dsv(&s, buf + skip, len - skip, format == ECAI_CATALOG_TSV, &m);
  ecai__free(buf);
  mapping_free(&m);
  if (st == ECAI_OK && reserve(cat, s.n)) st = ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  if (st) {
    stage_free(&s);
    return st;
  }
  for (size_t i = 0; i < s.n; i++) commit_one(cat, &s.p[i]);
  if (out_loaded) *out_loaded = s.n;
  if (out_skipped) *out_skipped = s.skipped;
  cat->rep.loaded = s.n;
  cat->rep.skipped = s.skipped;
  memcpy(cat->rep.by_reason, s.by_reason, sizeof s.by_reason);
  cat->rep.first_skip = s.first_skip;
  s.first_skip = NULL;
  stage_free(&s);
  return ECAI_OK;
}

ecai_status ecai_catalog_load_report_json(char **out, size_t *out_len, const ecai_catalog *cat) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(cat);
  const load_report *r = &cat->rep;
  json_t *o = json_object(), *why = json_object();
  int bad = !o || !why;
  for (int i = 0; i < R_N && !bad; i++)
    bad |= json_object_set_new(why, REASON[i], json_integer((json_int_t)r->by_reason[i]));
  if (!bad) {
    bad |= json_object_set_new(o, "read", json_integer((json_int_t)(r->loaded + r->skipped)));
    bad |= json_object_set_new(o, "loaded", json_integer((json_int_t)r->loaded));
    bad |= json_object_set_new(o, "skipped", json_integer((json_int_t)r->skipped));
    bad |= json_object_set_new(o, "skipped_by_reason", why);
    why = NULL;
    bad |= json_object_set_new(o, "first_skip", r->first_skip ? json_string(r->first_skip) : json_null());
  }
  json_decref(why);
  ecai_status st = bad ? ecai__err(ECAI_ENOMEM, "catalog: out of memory") : ecai__json_dump(out, out_len, o);
  json_decref(o);
  return st;
}

ecai_status ecai_catalog_upsert_json(int64_t *out_id, ecai_catalog *cat, const char *json, size_t len) {
  if (out_id) *out_id = -1;
  ECAI__CHECK_ARG(cat);
  ECAI__CHECK_ARG(json);
  json_t *o = NULL;
  ecai_status st = ecai__json_parse(&o, json, len, "product");
  if (st) return st;
  if (!json_is_object(o)) {
    json_decref(o);
    return ecai__err(ECAI_EINVAL, "product: must be a JSON object");
  }
  mapping m;
  memset(&m, 0, sizeof m);
  stage s;
  st = stage_init(&s, cat, "product", 0);
  if (st) {
    json_decref(o);
    return st;
  }
  s.line = 1;
  json_row(&s, &m, o);
  json_decref(o);
  if (s.err) {
    stage_free(&s);
    return s.err == ECAI_EPARSE ? ecai__err(ECAI_EINVAL, "%s", ecai_last_error() + strlen("product:1: ")) : s.err;
  }
  if (reserve(cat, 1)) {
    stage_free(&s);
    return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  }
  int64_t id = commit_one(cat, &s.p[0]);
  stage_free(&s);
  if (out_id) *out_id = id;
  return ECAI_OK;
}

ecai_status ecai_catalog_remove(ecai_catalog *cat, const char *sku) {
  ECAI__CHECK_ARG(cat);
  ECAI__CHECK_ARG(sku);
  int64_t id = find_id(cat, sku);
  if (id < 0) return ecai__err(ECAI_ENOTFOUND, "catalog: no product '%s'", sku);
  ecai__smap_del(&cat->map, sku, strlen(sku));
  product_clear(cat, &cat->p[id]);
  cat->p[id].alive = 0;
  cat->live--;
  return ECAI_OK;
}

ecai_status ecai_catalog_id(int64_t *out, const ecai_catalog *cat, const char *sku) {
  ECAI__CHECK_ARG(out);
  *out = -1;
  ECAI__CHECK_ARG(cat);
  ECAI__CHECK_ARG(sku);
  int64_t id = find_id(cat, sku);
  if (id < 0) return ecai__err(ECAI_ENOTFOUND, "catalog: no product '%s'", sku);
  *out = id;
  return ECAI_OK;
}

const char *ecai_catalog_sku(const ecai_catalog *cat, int64_t id) {
  const ecai__product *p = ecai__catalog_product(cat, id);
  return p ? p->sku : NULL;
}

const char *ecai_catalog_title(const ecai_catalog *cat, int64_t id) {
  const ecai__product *p = ecai__catalog_product(cat, id);
  return p ? p->title : NULL;
}

ecai_status ecai_catalog_next(int64_t *out_id, const ecai_catalog *cat, int64_t after) {
  ECAI__CHECK_ARG(out_id);
  *out_id = -1;
  ECAI__CHECK_ARG(cat);
  for (size_t i = after < 0 ? 0 : (size_t)after + 1; i < cat->n; i++)
    if (cat->p[i].alive) {
      *out_id = (int64_t)i;
      return ECAI_OK;
    }
  return ECAI_ENOTFOUND;
}

ecai_status ecai_catalog_content_hash(uint64_t *out, const ecai_catalog *cat, int64_t id) {
  ECAI__CHECK_ARG(out);
  ECAI__CHECK_ARG(cat);
  const ecai__product *p = ecai__catalog_product(cat, id);
  if (!p) return ecai__err(ECAI_ENOTFOUND, "catalog: no product with internal id %lld", (long long)id);
  *out = p->hash;
  return ECAI_OK;
}

ecai_status ecai_catalog_text(char **out, size_t *out_len, const ecai_catalog *cat, int64_t id) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(cat);
  const ecai__product *p = ecai__catalog_product(cat, id);
  if (!p) return ecai__err(ECAI_ENOTFOUND, "catalog: no product with internal id %lld", (long long)id);
  ecai__buf b = {0};
  ecai__product_text(p, &b);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

/* Whether a product read from a file (unchecked text: a crafted file with a valid
 * checksum) has a string that is not UTF-8 or attributes that are not a JSON object. */
static int product_damaged(const ecai__product *p) {
  const char *s[7] = {p->sku, p->title, p->desc, p->cat, p->brand, p->currency, p->attrs};
  size_t at;
  for (int k = 0; k < 7; k++)
    if (s[k] && !ecai__utf8_valid(s[k], strlen(s[k]), &at)) return 1;
  json_t *a = p->attrs ? json_loads(p->attrs, 0, NULL) : NULL;
  int bad = p->attrs && !json_is_object(a);
  json_decref(a);
  return bad;
}

ecai_status ecai_catalog_get_json(char **out, size_t *out_len, const ecai_catalog *cat, const char *sku) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(cat);
  ECAI__CHECK_ARG(sku);
  int64_t id = find_id(cat, sku);
  if (id < 0) return ecai__err(ECAI_ENOTFOUND, "catalog: no product '%s'", sku);
  const ecai__product *p = &cat->p[id];
  json_t *o = json_object();
  if (!o) return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  int bad = 0;
  bad |= json_object_set_new(o, "id", json_string(p->sku));
  bad |= json_object_set_new(o, "internal_id", json_integer(id));
  bad |= json_object_set_new(o, "title", json_string(p->title));
  if (p->desc) bad |= json_object_set_new(o, "description", json_string(p->desc));
  if (p->cat) bad |= json_object_set_new(o, "category", json_string(p->cat));
  if (p->brand) bad |= json_object_set_new(o, "brand", json_string(p->brand));
  if (!isnan(p->price)) bad |= json_object_set_new(o, "price", json_real(p->price));
  if (p->currency) bad |= json_object_set_new(o, "currency", json_string(p->currency));
  if (p->in_stock >= 0) bad |= json_object_set_new(o, "in_stock", json_boolean(p->in_stock));
  if (p->attrs) bad |= json_object_set_new(o, "attributes", json_loads(p->attrs, 0, NULL));
  ecai_status st = !bad ? ecai__json_dump(out, out_len, o)
                   : product_damaged(p) ? ecai__err(ECAI_ECORRUPT, "catalog: product %lld is damaged (invalid UTF-8 or attributes)", (long long)id)
                                        : ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  json_decref(o);
  return st;
}

/* ---- persistence ------------------------------------------------------------------
 * Two payload layouts in the ECAICAT container (docs/ARCHITECTURE.md, store folder format).
 * Layout 1 (read everywhere, written on big-endian hosts): u64 slots, then per slot u32
 * alive and, for a live product, 7 length-prefixed strings, f64 price, u32 stock + 1.
 * Layout 2 (mapped, little-endian): a CAT_HEAD-byte header (u32 layout 2, u32 0xFFFFFFFF,
 * so that read as layout 1's slot count it is impossibly large; u64 slots, live products,
 * SKU table size, pool bytes), one crec per slot, the SKU table (u32 ids, CAT_EMPTY for a
 * free slot; linear probing from XXH3 of the SKU), then the string pool: NUL-terminated
 * strings (identical ones stored once), its last byte a NUL. Opening it allocates only the
 * product array: its strings point into the pool, lookups by SKU probe the file's table. */

#define CAT_LAYOUT 2u
#define CAT_HEAD 40
typedef struct crec {
  uint32_t str[7]; /* pool offsets of sku, title, desc, cat, brand, currency, attrs; CAT_EMPTY: none */
  uint32_t flags;  /* bit 0 alive, bits 1-2 in_stock + 1 */
  double price;
  uint64_t hash; /* XXH3 of the embeddable text */
} crec;
_Static_assert(sizeof(crec) == 48, "crec is 48 bytes without padding");

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CAT_LE 1
#else
#define CAT_LE 0
#endif

void ecai__catalog_write_v1(const ecai_catalog *cat, ecai__buf *b) {
  ecai__put_u64(b, cat->n);
  for (size_t i = 0; i < cat->n; i++) {
    const ecai__product *p = &cat->p[i];
    ecai__put_u32(b, (uint32_t)p->alive);
    if (!p->alive) continue;
    ecai__put_str(b, p->sku);
    ecai__put_str(b, p->title);
    ecai__put_str(b, p->desc);
    ecai__put_str(b, p->cat);
    ecai__put_str(b, p->brand);
    ecai__put_str(b, p->currency);
    ecai__put_str(b, p->attrs);
    ecai__put_f64(b, p->price);
    ecai__put_u32(b, (uint32_t)(p->in_stock + 1));
  }
}

/* The record of live product p, its strings added to the pool (seen: string -> offset). 0,
 * -1 when the pool outgrows 32-bit offsets, -2 out of memory. */
static int pool_record(crec *r, const ecai__product *p, ecai__buf *pool, ecai__smap *seen) {
  const char *s[7] = {p->sku, p->title, p->desc, p->cat, p->brand, p->currency, p->attrs};
  for (int k = 0; k < 7; k++) {
    r->str[k] = CAT_EMPTY;
    if (!s[k]) continue;
    size_t len = strlen(s[k]), off = pool->len;
    bool found;
    if (!ecai__smap_put(seen, s[k], len, &off, &found)) return -2;
    if (!found && !ecai__buf_append(pool, s[k], len + 1)) return -2;
    if (off >= CAT_EMPTY || pool->len >= CAT_EMPTY) return -1;
    r->str[k] = (uint32_t)off;
  }
  r->flags = 1u | (uint32_t)(p->in_stock + 1) << 1;
  r->price = p->price;
  r->hash = p->hash;
  return 0;
}

/* Layout 2 appended to b. 0; -1 when it cannot hold the catalog (nothing appended); -2 out
 * of memory (b->oom set). */
static int write_mapped(const ecai_catalog *cat, ecai__buf *b) {
  if (cat->n >= CAT_EMPTY) return -1;
  size_t tsize = 8;
  while (tsize < 2 * cat->live) tsize *= 2;
  ecai__buf pool = {0};
  ecai__smap seen;
  ecai__smap_init_borrowed(&seen); /* keys: the products' strings */
  crec *recs = ecai__calloc(cat->n ? cat->n : 1, sizeof *recs);
  uint32_t *tab = ecai__malloc(tsize * sizeof *tab);
  int rc = recs && tab ? 0 : -2;
  if (tab) memset(tab, 0xFF, tsize * sizeof *tab);
  for (size_t i = 0; i < cat->n && !rc; i++) {
    const ecai__product *p = &cat->p[i];
    for (int k = 0; k < 7; k++) recs[i].str[k] = CAT_EMPTY;
    if (!p->alive) continue;
    rc = pool_record(&recs[i], p, &pool, &seen);
    size_t h = (size_t)XXH3_64bits(p->sku, strlen(p->sku)) & (tsize - 1);
    while (tab[h] != CAT_EMPTY) h = (h + 1) & (tsize - 1);
    tab[h] = (uint32_t)i;
  }
  if (!rc) {
    ecai__put_u32(b, CAT_LAYOUT);
    ecai__put_u32(b, UINT32_MAX);
    ecai__put_u64(b, cat->n);
    ecai__put_u64(b, cat->live);
    ecai__put_u64(b, tsize);
    ecai__put_u64(b, pool.len);
    ecai__buf_append(b, recs, cat->n * sizeof *recs);
    ecai__buf_append(b, tab, tsize * sizeof *tab);
    ecai__buf_append(b, pool.data, pool.len);
  } else if (rc == -2) {
    b->oom = true;
  }
  ecai__free(recs);
  ecai__free(tab);
  ecai__buf_free(&pool);
  ecai__smap_free(&seen);
  return rc;
}

void ecai__catalog_write(const ecai_catalog *cat, ecai__buf *b) {
  if (CAT_LE && write_mapped(cat, b) != -1) return;
  ecai__catalog_write_v1(cat, b);
}

static ecai_status corrupt(const char *why) {
  return ecai__err(ECAI_ECORRUPT, "catalog: saved catalog is damaged (%s)", why);
}

static ecai_status read_v1(ecai_catalog *cat, const char *data, size_t len) {
  ecai__rd r = {data, len, 0, 0};
  uint64_t n = ecai__get_u64(&r);
  if (r.bad || n > len) return corrupt("slot count"); /* each slot takes at least 4 bytes */
  if (reserve(cat, (size_t)n)) goto oom;
  for (uint64_t i = 0; i < n; i++) {
    ecai__product *p = &cat->p[cat->n];
    memset(p, 0, sizeof *p);
    uint32_t alive = ecai__get_u32(&r);
    if (r.bad || alive > 1) return corrupt("product record");
    cat->n++;
    if (!alive) continue;
    p->sku = ecai__get_str(&r);
    p->title = ecai__get_str(&r);
    p->desc = ecai__get_str(&r);
    p->cat = ecai__get_str(&r);
    p->brand = ecai__get_str(&r);
    p->currency = ecai__get_str(&r);
    p->attrs = ecai__get_str(&r);
    p->price = ecai__get_f64(&r);
    uint32_t stock = ecai__get_u32(&r);
    if (r.bad == 2) goto oom;
    if (r.bad || !p->sku || !p->title || stock > 2 || ecai__smap_get(&cat->map, p->sku, strlen(p->sku), NULL))
      return corrupt("product record");
    p->in_stock = (int)stock - 1;
    p->alive = 1;
    if (product_hash(p)) goto oom;
    (void)ecai__smap_set(&cat->map, p->sku, strlen(p->sku), (size_t)i); /* reserved: cannot fail */
    cat->live++;
  }
  if (r.pos != len) return corrupt("trailing bytes");
  return ECAI_OK;
oom:
  return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
}

static int is_mapped_layout(const char *data, size_t len) {
  ecai__rd r = {data, len, 0, 0};
  uint32_t layout = ecai__get_u32(&r);
  return ecai__get_u32(&r) == UINT32_MAX && !r.bad && layout == CAT_LAYOUT;
}

/* Layout 2 in place: data (8-byte aligned) stays valid and unchanged while cat lives. The
 * structure is checked (sizes, every offset and id in range, the pool ends with a NUL,
 * the table holds exactly the live products), so a damaged file cannot make a read stray;
 * the strings themselves are not touched. */
static ecai_status catalog_view(ecai_catalog *cat, const char *data, size_t len) {
  if (!CAT_LE) return ecai__err(ECAI_EUNSUPPORTED, "catalog: mapped catalogs are little-endian; this host is not");
  if ((uintptr_t)data % 8) return ecai__err(ECAI_EINVAL, "catalog: catalog data not 8-byte aligned");
  ecai__rd r = {data, len, 8, 0};
  uint64_t n = ecai__get_u64(&r), live = ecai__get_u64(&r), tsize = ecai__get_u64(&r), plen = ecai__get_u64(&r);
  if (r.bad || n >= CAT_EMPTY || n > len / sizeof(crec) || tsize > len / 4 || plen > len || live > n ||
      tsize <= live || (tsize & (tsize - 1)) || CAT_HEAD + n * sizeof(crec) + tsize * 4 + plen != len)
    return corrupt("sizes");
  const crec *rec = (const crec *)(data + CAT_HEAD);
  const uint32_t *tab = (const uint32_t *)(rec + n);
  const char *pool = (const char *)(tab + tsize);
  if (plen && pool[plen - 1]) return corrupt("string pool not terminated");
  cat->pool = pool; /* from here the pool's strings are not the catalog's to free */
  cat->pool_len = (size_t)plen;
  cat->p = ecai__malloc((n ? n : 1) * sizeof *cat->p);
  if (!cat->p) return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  cat->cap = n ? (size_t)n : 1;
  size_t nlive = 0;
  for (size_t i = 0; i < n; i++) {
    const crec *c = &rec[i];
    ecai__product *p = &cat->p[i];
    uint32_t fl = c->flags;
    if ((fl & ~7u) || (fl >> 1) == 3) return corrupt("product flags");
    if (!(fl & 1)) {
      memset(p, 0, sizeof *p);
      continue;
    }
    char *s[7];
    for (int k = 0; k < 7; k++) {
      uint32_t o = c->str[k];
      if (o != CAT_EMPTY && o >= plen) return corrupt("string offset out of range");
      s[k] = o == CAT_EMPTY ? NULL : (char *)pool + o;
    }
    if (!s[0] || !s[1]) return corrupt("product without SKU or title");
    *p = (ecai__product){s[0], s[1], s[2], s[3], s[4], s[5], s[6], c->price, (int)(fl >> 1) - 1, 1, c->hash};
    nlive++;
  }
  size_t used = 0;
  for (size_t h = 0; h < tsize; h++) {
    uint32_t e = tab[h];
    if (e == CAT_EMPTY) continue;
    if (e >= n || !cat->p[e].alive) return corrupt("SKU table");
    used++;
  }
  if (nlive != live || used != live) return corrupt("live product count");
  cat->n = (size_t)n;
  cat->live = nlive;
  cat->tab = tab;
  cat->tmask = (size_t)tsize - 1;
  return ECAI_OK;
}

/* A new catalog over a payload of either layout; src: the mapping that owns data (moved
 * into the catalog when it views it, unmapped otherwise), or NULL to copy a layout 2
 * payload. */
static ecai_status catalog_from(ecai_catalog **out, ecai_ctx *ctx, const char *data, size_t len, ecai__map *src) {
  *out = NULL;
  ecai_catalog *cat = NULL;
  ecai_status st = ecai_catalog_new(&cat, ctx);
  if (!st && is_mapped_layout(data, len)) {
    if (src) {
      cat->fmap = *src;
      memset(src, 0, sizeof *src);
    } else if ((cat->copy = ecai__malloc(len)) != NULL) {
      memcpy(cat->copy, data, len);
      data = cat->copy;
    } else {
      st = ecai__err(ECAI_ENOMEM, "catalog: out of memory");
    }
    if (!st) st = catalog_view(cat, data, len);
  } else if (!st) {
    st = read_v1(cat, data, len);
  }
  if (src) ecai__blob_unmap(src);
  if (st) {
    ecai_catalog_free(cat);
    return st;
  }
  *out = cat;
  return ECAI_OK;
}

ecai_status ecai__catalog_read(ecai_catalog **out, ecai_ctx *ctx, const char *data, size_t len) {
  return catalog_from(out, ctx, data, len, NULL);
}

ecai_status ecai__catalog_map(ecai_catalog **out, ecai_ctx *ctx, ecai__map *m) {
  return catalog_from(out, ctx, m->base + 32, m->len - 32, m);
}

ecai_status ecai_catalog_save(const ecai_catalog *cat, const char *path) {
  ECAI__CHECK_ARG(cat);
  ECAI__CHECK_ARG(path);
  ecai__buf b = {0};
  ecai__catalog_write(cat, &b);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "catalog: out of memory");
  }
  ecai_status st = ecai__blob_write(path, CAT_MAGIC, b.data, b.len, NULL);
  ecai__buf_free(&b);
  return st;
}

ecai_status ecai_catalog_open(ecai_catalog **out, ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(ctx);
  ECAI__CHECK_ARG(path);
  ecai__map m;
  ecai_status st = ecai__blob_map(path, CAT_MAGIC, &m, NULL);
  if (st) return st;
  st = ecai__catalog_map(out, ctx, &m);
  if (st == ECAI_ECORRUPT) ecai__err_prefix(st, "%s", path);
  return st;
}
