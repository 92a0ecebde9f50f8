/* ecai_recommend: orders CSV loading (libcsv + zlib), model save/load. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <csv.h>
#include <zlib.h>

#include "catalog/ser.h"
#include "recommend/reco.h"

/* ---- CSV -------------------------------------------------------------------------- */

enum { C_ORDER, C_PRODUCT, C_TITLE, C_QTY, C_PRICE, C_DATE, C_CUSTOMER, C_N };

typedef struct {
  reco_row_fn fn;
  void *payload;
  ecai_status st;
  size_t line;
  bool header_done, retail;
  int col[C_N];
  size_t nf, row_nf;
  ecai__buf f[32];
  size_t skipped;
} csv_state;

static int col_of(const char *name) {
  static const struct { const char *n; int c; } names[] = {
      {"order_id", C_ORDER}, {"invoiceno", C_ORDER}, {"order", C_ORDER}, {"invoice", C_ORDER},
      {"product_id", C_PRODUCT}, {"stockcode", C_PRODUCT}, {"sku", C_PRODUCT}, {"product", C_PRODUCT},
      {"title", C_TITLE}, {"description", C_TITLE}, {"name", C_TITLE},
      {"quantity", C_QTY}, {"qty", C_QTY},
      {"price", C_PRICE}, {"unitprice", C_PRICE}, {"unit_price", C_PRICE},
      {"date", C_DATE}, {"invoicedate", C_DATE}, {"timestamp", C_DATE}, {"ts", C_DATE},
      {"customer", C_CUSTOMER}, {"customer_id", C_CUSTOMER}, {"customerid", C_CUSTOMER}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcasecmp(name, names[i].n)) return names[i].c;
  return -1;
}

static void on_field(void *s, size_t len, void *data) {
  csv_state *c = data;
  if (c->nf < 32) {
    ecai__buf *b = &c->f[c->nf];
    b->len = 0;
    if (!ecai__buf_append(b, s ? s : "", len)) c->st = ECAI_ENOMEM;
  }
  c->nf++;
}

static const char *fld(csv_state *c, int col) {
  int i = c->col[col];
  if (i < 0 || (size_t)i >= c->row_nf || (size_t)i >= 32 || !c->f[i].data) return "";
  return c->f[i].data;
}

static bool five_digits(const char *s) {
  for (int i = 0; i < 5; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

static void on_row(int term, void *data) {
  csv_state *c = data;
  (void)term;
  size_t nf = c->nf;
  c->row_nf = nf;
  c->nf = 0;
  c->line++;
  if (c->st) return;
  if (nf == 0) return;
  if (!c->header_done) {
    for (int i = 0; i < C_N; i++) c->col[i] = -1;
    for (size_t i = 0; i < nf && i < 32; i++) {
      char *name = c->f[i].data ? c->f[i].data : "";
      if (i == 0 && (unsigned char)name[0] == 0xEF) name += 3; /* UTF-8 BOM */
      int k = col_of(name);
      if (k >= 0 && c->col[k] < 0) c->col[k] = (int)i;
    }
    static const char *need[] = {"order (order_id|InvoiceNo)", "product (product_id|StockCode|sku)", NULL,
                                 "quantity", "price (price|UnitPrice)", "date (date|InvoiceDate)", NULL};
    for (int k = 0; k < C_N; k++)
      if (need[k] && c->col[k] < 0) {
        c->st = ecai__err(ECAI_EPARSE, "orders CSV: header has no %s column", need[k]);
        return;
      }
    c->retail = c->f[c->col[C_ORDER]].data && !strcasecmp(c->f[c->col[C_ORDER]].data, "InvoiceNo") &&
                c->f[c->col[C_PRODUCT]].data && !strcasecmp(c->f[c->col[C_PRODUCT]].data, "StockCode");
    c->header_done = true;
    return;
  }
  reco_row row;
  row.order = fld(c, C_ORDER);
  row.product = fld(c, C_PRODUCT);
  row.title = c->col[C_TITLE] >= 0 ? fld(c, C_TITLE) : NULL;
  row.customer = c->col[C_CUSTOMER] >= 0 ? fld(c, C_CUSTOMER) : NULL;
  char *e1 = NULL, *e2 = NULL;
  const char *q = fld(c, C_QTY), *p = fld(c, C_PRICE);
  row.qty = strtod(q, &e1);
  row.price = strtod(p, &e2);
  if (!row.order[0] || !row.product[0] || e1 == q || e2 == p || !isfinite(row.qty) || !isfinite(row.price)) {
    c->skipped++;
    return;
  }
  if (row.qty <= 0 || row.price <= 0) {
    c->skipped++;
    return;
  }
  if (c->retail && (row.order[0] == 'C' || row.order[0] == 'c' || !five_digits(row.product))) {
    c->skipped++;
    return;
  }
  const char *d = fld(c, C_DATE);
  if (ecai_recommend_parse_date(&row.ts, d) != ECAI_OK) {
    c->st = ecai__err(ECAI_EPARSE, "orders CSV: line %zu: bad date '%.40s'", c->line, d);
    return;
  }
  c->st = c->fn(&row, c->payload);
}

ecai_status ecai__reco_read_csv(const char *path, reco_row_fn fn, void *payload) {
  gzFile gz = gzopen(path, "rb");
  if (!gz) return ecai__err(ECAI_EIO, "orders CSV: cannot open '%s': %s", path, strerror(errno ? errno : ENOENT));
  struct csv_parser p;
  if (csv_init(&p, CSV_APPEND_NULL) != 0) {
    gzclose(gz);
    return ecai__err(ECAI_ENOMEM, "orders CSV: out of memory");
  }
  csv_state c;
  memset(&c, 0, sizeof c);
  c.fn = fn;
  c.payload = payload;
  char buf[65536];
  int n = 0;
  while (c.st == ECAI_OK && (n = gzread(gz, buf, sizeof buf)) > 0) {
    if (csv_parse(&p, buf, (size_t)n, on_field, on_row, &c) != (size_t)n && c.st == ECAI_OK)
      c.st = ecai__err(ECAI_EPARSE, "orders CSV '%s': %s near line %zu", path, csv_strerror(csv_error(&p)), c.line + 1);
  }
  int gzerr = 0;
  if (c.st == ECAI_OK && n < 0) {
    const char *m = gzerror(gz, &gzerr);
    c.st = ecai__err(ECAI_EIO, "orders CSV '%s': read error: %s", path, m);
  }
  if (c.st == ECAI_OK) csv_fini(&p, on_field, on_row, &c);
  if (c.st == ECAI_OK && !c.header_done) c.st = ecai__err(ECAI_EPARSE, "orders CSV '%s': empty file (no header)", path);
  csv_free(&p);
  gzclose(gz);
  for (int i = 0; i < 32; i++) ecai__buf_free(&c.f[i]);
  if (c.st == ECAI_ENOMEM && !*ecai_last_error()) ecai__err(ECAI_ENOMEM, "orders CSV: out of memory");
  return c.st;
}

typedef struct {
  ecai_recommend *r;
  int64_t before;
} load_ctx;

static ecai_status load_row(const reco_row *row, void *payload) {
  load_ctx *l = payload;
  if (l->before && row->ts >= l->before) return ECAI_OK;
  return ecai__reco_add_line(l->r, row->order, row->customer, row->ts, row->product, row->title, row->price);
}

ecai_status ecai_recommend_load_orders(ecai_recommend *r, const char *path, int64_t before_ts) {
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(path);
  ecai_status st = ecai__reco_own(r);
  if (st) return st;
  load_ctx l = {r, before_ts};
  return ecai__reco_read_csv(path, load_row, &l);
}

/* ---- save / load ------------------------------------------------------------------------ */

/* Versions 1 and 2: the model serialised (magic "ECAIRECO", u32 version, u32 0, fields,
   XXH3 at the end) and rebuilt at load by replaying the orders. Version 3 is the mapped
   layout of mapfile.c (container "ECAIRCM\0"); ecai_recommend_save writes it on
   little-endian hosts, version 2 elsewhere. */
#define RECO_MAGIC "ECAIRECO"
#define RECO_VERSION 2u /* 2: item categories and flags; version 1 files are still read */
#define RECO_MAP_MAGIC "ECAIRCM" /* with its NUL */

/* Flags saved after the content block: bit 0 = the built-in title embedder was fitted. */
static uint32_t reco_save_flags(const ecai_recommend *r) { return ecai__reco_text_fitted(r) ? 1u : 0u; }
static ecai_status reco_load_flags(ecai_recommend *r, uint32_t flags) {
  return (flags & 1u) ? ecai__reco_text_fit(r) : ECAI_OK;
}

static void put(ecai__buf *b, const void *p, size_t n) { ecai__buf_append(b, p, n); }
static void put_u32(ecai__buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(ecai__buf *b, uint64_t v) { put(b, &v, 8); }
static void put_f64(ecai__buf *b, double v) { put(b, &v, 8); }
static void put_str(ecai__buf *b, const char *s) {
  if (!s) {
    put_u32(b, UINT32_MAX);
    return;
  }
  uint32_t n = (uint32_t)strlen(s);
  put_u32(b, n);
  put(b, s, n);
}

static ecai_status save_v2(const ecai_recommend *r, const char *path) {
  ecai__buf b = {0};
  put(&b, RECO_MAGIC, 8);
  put_u32(&b, RECO_VERSION);
  put_u32(&b, 0);
  put_u64(&b, r->n_items);
  for (size_t i = 0; i < r->n_items; i++) {
    const reco_item *it = &r->items[i];
    put_str(&b, it->id);
    put_str(&b, it->title);
    put_str(&b, it->category);
    put_f64(&b, it->price_sum);
    put_u32(&b, it->price_n);
  }
  put_u64(&b, r->n_orders);
  for (size_t i = 0; i < r->n_orders; i++) {
    const reco_order *o = &r->orders[i];
    put_str(&b, o->id);
    put_str(&b, o->customer);
    put_u64(&b, (uint64_t)o->ts);
    put_u32(&b, o->n);
    put(&b, o->items, (size_t)o->n * 4);
  }
  put_u64(&b, r->ease_n);
  if (r->ease_n) {
    put_f64(&b, r->ease_fit_lambda);
    put_u32(&b, r->ease_stale ? 1 : 0);
    put(&b, r->ease_items, r->ease_n * 4);
    put(&b, r->ease_b, r->ease_n * r->ease_n * 4);
  }
  put_u32(&b, r->content_kind == RECO_CONTENT_MATRIX ? 1 : 0);
  if (r->content_kind == RECO_CONTENT_MATRIX) {
    put_u64(&b, r->cdim);
    put(&b, r->chas, r->n_items);
    for (size_t i = 0; i < r->n_items; i++)
      if (r->chas[i]) put(&b, r->cvec + i * r->cdim, r->cdim * 4);
  }
  put_u32(&b, reco_save_flags(r));
  if (!b.oom) put_u64(&b, XXH3_64bits(b.data, b.len));
  return ecai__buf_write_atomic(&b, path, "recommend: save");
}

ecai_status ecai_recommend_save(const ecai_recommend *r, const char *path) {
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(path);
  if (ecai__reco_save_version >= 3 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) return ecai__reco_save_mapped(r, path);
  return save_v2(r, path);
}

typedef struct {
  const unsigned char *p, *end;
  bool bad;
} rd;

static bool get(rd *d, void *out, size_t n) {
  if (d->bad || (size_t)(d->end - d->p) < n) {
    d->bad = true;
    return false;
  }
  memcpy(out, d->p, n);
  d->p += n;
  return true;
}
static uint32_t get_u32(rd *d) {
  uint32_t v = 0;
  get(d, &v, 4);
  return v;
}
static uint64_t get_u64(rd *d) {
  uint64_t v = 0;
  get(d, &v, 8);
  return v;
}
static double get_f64(rd *d) {
  double v = 0;
  get(d, &v, 8);
  return v;
}
/* Returns a pointer into the buffer (not NUL-terminated) or NULL for a null string. */
static const char *get_str(rd *d, uint32_t *len) {
  *len = get_u32(d);
  if (d->bad || *len == UINT32_MAX) return NULL;
  if ((size_t)(d->end - d->p) < *len) {
    d->bad = true;
    return NULL;
  }
  const char *s = (const char *)d->p;
  d->p += *len;
  return s;
}

static ecai_status corrupt(const char *path, const char *what) {
  return ecai__err(ECAI_ECORRUPT, "recommend: '%s' is not a valid model file (%s)", path, what);
}

static ecai_status parse_model(ecai_recommend *r, const unsigned char *data, size_t len, const char *path,
                               uint32_t ver) {
  rd d = {data + 16, data + len - 8, false};
  char tmp[4096];
  uint64_t ni = get_u64(&d);
  if (d.bad || ni > len) return corrupt(path, "item count");
  for (uint64_t i = 0; i < ni; i++) {
    uint32_t l1, l2;
    const char *id = get_str(&d, &l1);
    if (d.bad || !id || !l1) return corrupt(path, "item id");
    uint32_t it;
    ecai_status st = ecai__reco_item_get(r, id, l1, &it);
    if (st) return st;
    if (it != i) return corrupt(path, "duplicate item id");
    const char *title = get_str(&d, &l2);
    if (d.bad) return corrupt(path, "item title");
    if (title) {
      size_t n = l2 < sizeof tmp - 1 ? l2 : sizeof tmp - 1;
      memcpy(tmp, title, n);
      tmp[n] = '\0';
      if ((st = ecai__reco_set_title(r, it, tmp))) return st;
    }
    if (ver >= 2) {
      const char *cat = get_str(&d, &l2);
      if (d.bad) return corrupt(path, "item category");
      if (cat && (st = ecai__reco_set_category(r, it, cat, l2))) return st;
    }
    r->items[it].price_sum = get_f64(&d);
    r->items[it].price_n = get_u32(&d);
  }
  uint64_t no = get_u64(&d);
  if (d.bad || no > len) return corrupt(path, "order count");
  for (uint64_t i = 0; i < no; i++) {
    uint32_t l1, l2;
    const char *id = get_str(&d, &l1);
    const char *cu = get_str(&d, &l2);
    int64_t ts = (int64_t)get_u64(&d);
    uint32_t n = get_u32(&d);
    if (d.bad || !id || !l1 || l1 >= sizeof tmp || (size_t)(d.end - d.p) / 4 < n) return corrupt(path, "order");
    char oid[4096], cid[4096];
    memcpy(oid, id, l1);
    oid[l1] = '\0';
    if (cu) {
      if (l2 >= sizeof cid) return corrupt(path, "customer");
      memcpy(cid, cu, l2);
      cid[l2] = '\0';
    }
    for (uint32_t j = 0; j < n; j++) {
      uint32_t it = get_u32(&d);
      if (it >= ni) return corrupt(path, "order line");
      ecai_status st = ecai__reco_add_line(r, oid, cu ? cid : NULL, ts, r->items[it].id, NULL, -1);
      if (st) return st;
    }
  }
  uint64_t en = get_u64(&d);
  if (d.bad || en > ni || en > 100000) return corrupt(path, "EASE size");
  if (en) {
    double lam = get_f64(&d);
    uint32_t stale = get_u32(&d);
    uint32_t *items = ecai__malloc(en * 4);
    int32_t *pos = ecai__malloc((ni ? ni : 1) * 4);
    float *b = ecai__malloc(en * en * 4);
    if (!items || !pos || !b) {
      ecai__free(items);
      ecai__free(pos);
      ecai__free(b);
      return ecai__err(ECAI_ENOMEM, "recommend: out of memory loading EASE");
    }
    get(&d, items, en * 4);
    get(&d, b, en * en * 4);
    for (uint64_t i = 0; i < ni; i++) pos[i] = -1;
    bool ok = !d.bad;
    for (uint64_t i = 0; ok && i < en; i++) {
      if (items[i] >= ni || pos[items[i]] >= 0) ok = false;
      else pos[items[i]] = (int32_t)i;
    }
    if (!ok) {
      ecai__free(items);
      ecai__free(pos);
      ecai__free(b);
      return corrupt(path, "EASE block");
    }
    r->ease_items = items;
    r->ease_pos = pos;
    r->ease_pos_n = ni;
    r->ease_b = b;
    r->ease_n = en;
    r->ease_fit_lambda = lam;
    r->ease_stale = stale != 0;
  }
  uint32_t ck = get_u32(&d);
  if (d.bad || ck > 1) return corrupt(path, "content kind");
  if (ck == 1) {
    uint64_t dim = get_u64(&d);
    if (d.bad || !dim || dim > 65536) return corrupt(path, "content dim");
    if (ni == 0) return corrupt(path, "content without items");
    unsigned char *has = ecai__malloc(ni);
    if (!has) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
    get(&d, has, ni);
    size_t rows = 0;
    for (uint64_t i = 0; i < ni; i++) rows += has[i] != 0;
    if (d.bad || (size_t)(d.end - d.p) != rows * dim * 4 + (ver >= 2 ? 4 : 0)) {
      ecai__free(has);
      return corrupt(path, "content block");
    }
    const char **ids = ecai__malloc(rows * sizeof *ids + 1);
    float *mat = ecai__malloc(rows * dim * 4 + 4);
    if (!ids || !mat) {
      ecai__free(has);
      ecai__free(ids);
      ecai__free(mat);
      return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
    }
    size_t k = 0;
    for (uint64_t i = 0; i < ni; i++)
      if (has[i]) {
        ids[k] = r->items[i].id;
        get(&d, mat + k * dim, dim * 4);
        k++;
      }
    ecai_status st = rows ? ecai_recommend_set_content(r, ids, mat, rows, dim) : ECAI_OK;
    ecai__free(has);
    ecai__free(ids);
    ecai__free(mat);
    if (st) return st;
  }
  uint32_t flags = ver >= 2 ? get_u32(&d) : 0;
  if (d.bad || d.p != d.end) return corrupt(path, "trailing or missing bytes");
  if (flags > 1) return corrupt(path, "flags");
  return reco_load_flags(r, flags);
  return ECAI_OK;
}

ecai_status ecai_recommend_load(ecai_recommend **out, const ecai_ctx *ctx, const char *path) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(path);
  char magic[8];
  ecai_status st = ecai__blob_peek(path, magic);
  if (st == ECAI_OK && !memcmp(magic, RECO_MAP_MAGIC, 8)) return ecai__reco_load_mapped(out, ctx, path);
  if (st == ECAI_EIO) return ecai__err_prefix(st, "recommend: load");
  ecai__buf file;
  st = ecai__read_file(&file, path, SIZE_MAX, ECAI_EIO, "recommend: load");
  if (st) return st;
  const unsigned char *data = (const unsigned char *)file.data;
  size_t len = file.len;
  if (len < 16 + 8 + 8 || memcmp(data, RECO_MAGIC, 8) != 0) st = corrupt(path, "bad magic or too short");
  else {
    uint32_t ver;
    uint64_t sum;
    memcpy(&ver, data + 8, 4);
    memcpy(&sum, data + len - 8, 8);
    if (ver != RECO_VERSION && ver != 1) st = ecai__err(ECAI_ECORRUPT, "recommend: '%s' has format version %u, this library reads %u", path, ver, RECO_VERSION);
    else if (XXH3_64bits(data, len - 8) != sum) st = corrupt(path, "checksum mismatch");
    else {
      ecai_recommend *r = NULL;
      st = ecai_recommend_new(&r, ctx);
      if (st == ECAI_OK) {
        st = parse_model(r, data, len, path, ver);
        if (!st && !r->cidx && !r->cidx_n) st = ecai__reco_cindex_build(r);
        if (!st) st = ecai__reco_trend_update(r);
        if (st) ecai_recommend_free(r);
        else *out = r;
      }
    }
  }
  ecai__buf_free(&file);
  return st;
}
