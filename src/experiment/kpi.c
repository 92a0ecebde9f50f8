/* ecai_kpi: KPI event store, loaders (CSV / JSON lines), metrics and the A/B +
 * before/after report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ecai/experiment.h"
#include "experiment/exp_internal.h"

#define NONE_VARIANT "(none)"

typedef struct {
  int64_t ts;
  uint32_t unit, variant; /* variant 0 = none */
  uint8_t type;
  double value;
} kev;

struct ecai_kpi {
  kev *ev;
  size_t n, cap;
  ecai__smap units, variants;
  char **vnames; /* variant index -> name (owned) */
  size_t nvar, capvar;
  size_t nunits;
};

ecai_status ecai_kpi_new(ecai_kpi **out) {
  ECAI__CHECK_ARG(out);
  *out = ecai__calloc(1, sizeof **out);
  if (!*out) return ecai__err(ECAI_ENOMEM, "kpi: out of memory");
  return ECAI_OK;
}

void ecai_kpi_free(ecai_kpi *k) {
  if (!k) return;
  ecai__free(k->ev);
  ecai__smap_free(&k->units);
  ecai__smap_free(&k->variants);
  for (size_t i = 0; i < k->nvar; i++) ecai__free(k->vnames[i]);
  ecai__free(k->vnames);
  ecai__free(k);
}

size_t ecai_kpi_count(const ecai_kpi *k) { return k ? k->n : 0; }

static const char *EVNAMES[] = {NULL, "exposure", "add_to_cart", "order", "ticket_opened", "ticket_bot_answered",
                                "ticket_escalated"};

static int event_kind(const char *s) {
  for (int i = 1; i <= 6; i++)
    if (!strcasecmp(s, EVNAMES[i])) return i;
  return 0;
}

static ecai_status intern_variant(ecai_kpi *k, const char *v, uint32_t *out) {
  if (!v || !*v) v = NONE_VARIANT;
  size_t len = strlen(v), idx = k->nvar;
  if (len > 127) return ecai__err(ECAI_EINVAL, "kpi: variant name longer than 127 bytes");
  if (ecai__smap_get(&k->variants, v, len, &idx)) {
    *out = (uint32_t)idx;
    return ECAI_OK;
  }
  if (k->nvar >= 4096) return ecai__err(ECAI_EINVAL, "kpi: more than 4096 variants");
  if (k->nvar == k->capvar) {
    size_t nc = k->capvar ? k->capvar * 2 : 8;
    char **nn = ecai__realloc(k->vnames, nc * sizeof *nn);
    if (!nn) return ecai__err(ECAI_ENOMEM, "kpi: out of memory");
    k->vnames = nn;
    k->capvar = nc;
  }
  char *copy = ecai__strdup(v);
  bool found;
  if (!copy || !ecai__smap_put(&k->variants, v, len, &idx, &found)) {
    ecai__free(copy);
    return ecai__err(ECAI_ENOMEM, "kpi: out of memory");
  }
  k->vnames[k->nvar++] = copy;
  *out = (uint32_t)idx;
  return ECAI_OK;
}

ecai_status ecai_kpi_record(ecai_kpi *k, int64_t ts, const char *unit, const char *variant, ecai_kpi_event event,
                            double value) {
  ECAI__CHECK_ARG(k);
  ECAI__CHECK_ARG(unit);
  size_t ulen = strlen(unit);
  if (!ulen || ulen > 1024) return ecai__err(ECAI_EINVAL, "kpi: unit id must be 1..1024 bytes");
  if (event < ECAI_KPI_EXPOSURE || event > ECAI_KPI_TICKET_ESCALATED)
    return ecai__err(ECAI_EINVAL, "kpi: unknown event kind %d", (int)event);
  if (event == ECAI_KPI_ORDER && !(value >= 0 && isfinite(value)))
    return ecai__err(ECAI_EINVAL, "kpi: order value must be finite and >= 0");
  size_t bad;
  if (!ecai__utf8_valid(unit, ulen, &bad) || (variant && !ecai__utf8_valid(variant, strlen(variant), &bad)))
    return ecai__err(ECAI_EINVAL, "kpi: unit or variant is not valid UTF-8");
  if (k->n == k->cap) {
    size_t nc = k->cap ? k->cap * 2 : 1024;
    kev *ne = ecai__realloc(k->ev, nc * sizeof *ne);
    if (!ne) return ecai__err(ECAI_ENOMEM, "kpi: out of memory");
    k->ev = ne;
    k->cap = nc;
  }
  uint32_t vi = 0;
  ecai_status st = intern_variant(k, variant, &vi);
  if (st) return st;
  size_t ui = k->nunits;
  bool found;
  if (!ecai__smap_put(&k->units, unit, ulen, &ui, &found)) return ecai__err(ECAI_ENOMEM, "kpi: out of memory");
  if (!found) k->nunits++;
  k->ev[k->n++] = (kev){ts, (uint32_t)ui, vi, (uint8_t)event, event == ECAI_KPI_ORDER ? value : 0};
  return ECAI_OK;
}

/* ---- loading ------------------------------------------------------------------------- */

static int find_col(const ecai__csv *c, const char *const *names) {
  for (; *names; names++) {
    int i = ecai__csv_col(c, *names);
    if (i >= 0) return i;
  }
  return -1;
}

static const char *const TS_NAMES[] = {"ts", "time", "timestamp", "date", NULL};
static const char *const UNIT_NAMES[] = {"unit", "unit_id", "user", "user_id", "visitor", "visitor_id", NULL};
static const char *const EV_NAMES[] = {"event", "type", "event_type", NULL};
static const char *const VAR_NAMES[] = {"variant", "group", NULL};
static const char *const VAL_NAMES[] = {"value", "amount", "revenue", NULL};

static ecai_status one_event(ecai_kpi *k, size_t line, const char *ts, const char *unit, const char *event,
                             const char *variant, const char *value, double numval) {
  int64_t t;
  if (!ecai__parse_time(ts, &t)) return ecai__err(ECAI_EPARSE, "kpi: line %zu: bad time '%.40s'", line, ts ? ts : "");
  int kind = event ? event_kind(event) : 0;
  if (!kind) return ecai__err(ECAI_EPARSE, "kpi: line %zu: unknown event '%.40s'", line, event ? event : "");
  double v = numval;
  if (value && *value && !ecai__parse_double(value, &v))
    return ecai__err(ECAI_EPARSE, "kpi: line %zu: bad value '%.40s'", line, value);
  if (!unit || !*unit) return ecai__err(ECAI_EPARSE, "kpi: line %zu: empty unit", line);
  ecai_status st = ecai_kpi_record(k, t, unit, variant, (ecai_kpi_event)kind, kind == ECAI_KPI_ORDER ? v : 0);
  if (st == ECAI_EINVAL) return ecai__err_prefix(ECAI_EPARSE, "line %zu", line);
  return st;
}

static ecai_status load_csv(ecai_kpi *k, ecai__csv *c) {
  int r = ecai__csv_next(c);
  if (r < 0) return (ecai_status)r;
  if (r == 0) return ECAI_OK;
  int cts = find_col(c, TS_NAMES), cu = find_col(c, UNIT_NAMES), ce = find_col(c, EV_NAMES),
      cv = find_col(c, VAR_NAMES), cval = find_col(c, VAL_NAMES);
  if (cts < 0 || cu < 0 || ce < 0)
    return ecai__err(ECAI_EPARSE, "kpi: CSV header needs ts, unit and event columns");
  while ((r = ecai__csv_next(c)) == 1) {
    if (c->nfields == 1 && !c->fields[0][0]) continue;
    int need = cts > cu ? cts : cu;
    if (ce > need) need = ce;
    if ((int)c->nfields <= need) return ecai__err(ECAI_EPARSE, "kpi: line %zu: too few fields", c->lineno);
    const char *var = cv >= 0 && cv < (int)c->nfields ? c->fields[cv] : NULL;
    const char *val = cval >= 0 && cval < (int)c->nfields ? c->fields[cval] : NULL;
    ecai_status st = one_event(k, c->lineno, c->fields[cts], c->fields[cu], c->fields[ce], var, val, 0);
    if (st) return st;
  }
  return r < 0 ? (ecai_status)r : ECAI_OK;
}

static const char *jstr(json_t *o, const char *const *names, char *buf, size_t cap) {
  for (; *names; names++) {
    json_t *v = json_object_get(o, *names);
    if (!v) continue;
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
      snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
      return buf;
    }
    if (json_is_real(v)) {
      snprintf(buf, cap, "%.17g", json_real_value(v));
      return buf;
    }
  }
  return NULL;
}

static ecai_status load_jsonl(ecai_kpi *k, ecai__csv *c) {
  char *line;
  size_t len;
  int r;
  while ((r = ecai__csv_rawline(c, &line, &len)) == 1) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == len) continue;
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    if (!o || !json_is_object(o)) {
      json_decref(o);
      return ecai__err(ECAI_EPARSE, "kpi: line %zu: not a JSON object (%s)", c->lineno, o ? "" : je.text);
    }
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    const char *ts = jstr(o, TS_NAMES, b1, sizeof b1), *u = jstr(o, UNIT_NAMES, b2, sizeof b2),
               *ev = jstr(o, EV_NAMES, b3, sizeof b3), *var = jstr(o, VAR_NAMES, b4, sizeof b4),
               *val = jstr(o, VAL_NAMES, b5, sizeof b5);
    ecai_status st = one_event(k, c->lineno, ts, u, ev, var, val, 0);
    json_decref(o);
    if (st) return st;
  }
  return r < 0 ? (ecai_status)r : ECAI_OK;
}

static ecai_status load_any(ecai_kpi *k, ecai__csv *c, int first) {
  size_t before = k->n;
  ecai_status st = first == '{' ? load_jsonl(k, c) : load_csv(k, c);
  if (st) k->n = before;
  return st;
}

ecai_status ecai_kpi_load_buffer(ecai_kpi *k, const char *data, size_t len) {
  ECAI__CHECK_ARG(k);
  if (!data && len) return ecai__err(ECAI_EINVAL, "%s: argument 'data' is NULL", __func__);
  size_t i = 0;
  while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
  ecai__csv c;
  ecai__csv_open_mem(&c, data, len);
  ecai_status st = load_any(k, &c, i < len ? data[i] : 0);
  ecai__csv_close(&c);
  return st;
}

ecai_status ecai_kpi_load_file(ecai_kpi *k, const char *path) {
  ECAI__CHECK_ARG(k);
  ECAI__CHECK_ARG(path);
  ecai__csv c;
  ecai_status st = ecai__csv_open_file(&c, path);
  if (st) return st;
  int ch;
  while ((ch = gzgetc(c.gz)) == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
  }
  if (ch != -1) gzungetc(ch, c.gz);
  st = load_any(k, &c, ch);
  ecai__csv_close(&c);
  if (st) return ecai__err_prefix(st, "%s", path);
  return ECAI_OK;
}

/* ---- aggregation ----------------------------------------------------------------------- */

typedef struct {
  uint32_t key, unit;
  int64_t first_ts;
  uint8_t exposed, carted;
  uint32_t orders, tickets, bot, esc;
  double revenue;
} urec;

typedef struct {
  double visitors, converters, orders, revenue, carters, abandoners, tickets, bot, esc;
} agg;

typedef struct {
  urec *r;
  size_t n;
  size_t nkeys;
  bool *key_exposed; /* per key: any exposure -> population = exposed units */
} urecs;

static void urecs_free(urecs *u) {
  ecai__free(u->r);
  ecai__free(u->key_exposed);
}

/* mode 0: key = variant (events without variant inherit the unit's exposure variant);
 * mode 1: key = 0 before launch, 1 from launch on. */
static ecai_status collect(const ecai_kpi *k, int mode, int64_t launch, urecs *out) {
  memset(out, 0, sizeof *out);
  out->nkeys = mode == 0 ? (k->nvar ? k->nvar : 1) : 2;
  uint32_t *uvar = NULL;
  ecai__smap m = {0};
  out->r = ecai__malloc((k->n ? k->n : 1) * sizeof *out->r);
  out->key_exposed = ecai__calloc(out->nkeys, sizeof *out->key_exposed);
  if (mode == 0) uvar = ecai__malloc((k->nunits ? k->nunits : 1) * sizeof *uvar);
  if (!out->r || !out->key_exposed || (mode == 0 && !uvar)) goto oom;
  uint32_t none = UINT32_MAX;
  size_t tmp;
  if (ecai__smap_get(&k->variants, NONE_VARIANT, strlen(NONE_VARIANT), &tmp)) none = (uint32_t)tmp;
  if (mode == 0) {
    for (size_t i = 0; i < k->nunits; i++) uvar[i] = UINT32_MAX;
    for (size_t i = 0; i < k->n; i++)
      if (k->ev[i].type == ECAI_KPI_EXPOSURE && k->ev[i].variant != none && uvar[k->ev[i].unit] == UINT32_MAX)
        uvar[k->ev[i].unit] = k->ev[i].variant;
  }
  for (size_t i = 0; i < k->n; i++) {
    const kev *e = &k->ev[i];
    uint32_t key;
    if (mode == 0) key = (e->variant == none && uvar[e->unit] != UINT32_MAX) ? uvar[e->unit] : e->variant;
    else key = e->ts >= launch;
    uint32_t kb[2] = {key, e->unit};
    size_t idx = out->n;
    bool found;
    if (!ecai__smap_put(&m, (const char *)kb, sizeof kb, &idx, &found)) goto oom;
    urec *r = &out->r[idx];
    if (!found) {
      memset(r, 0, sizeof *r);
      r->key = key;
      r->unit = e->unit;
      r->first_ts = e->ts;
      out->n++;
    }
    if (e->ts < r->first_ts) r->first_ts = e->ts;
    switch (e->type) {
    case ECAI_KPI_EXPOSURE: r->exposed = 1; out->key_exposed[key] = true; break;
    case ECAI_KPI_ADD_TO_CART: r->carted = 1; break;
    case ECAI_KPI_ORDER: r->orders++; r->revenue += e->value; break;
    case ECAI_KPI_TICKET_OPENED: r->tickets++; break;
    case ECAI_KPI_TICKET_BOT_ANSWERED: r->bot++; break;
    case ECAI_KPI_TICKET_ESCALATED: r->esc++; break;
    default: break;
    }
  }
  ecai__smap_free(&m);
  ecai__free(uvar);
  return ECAI_OK;
oom:
  ecai__smap_free(&m);
  ecai__free(uvar);
  urecs_free(out);
  return ecai__err(ECAI_ENOMEM, "kpi: out of memory");
}

static bool in_pop(const urecs *u, const urec *r) { return !u->key_exposed[r->key] || r->exposed; }

static void agg_add(agg *a, const urec *r) {
  a->visitors += 1;
  a->converters += r->orders > 0;
  a->orders += r->orders;
  a->revenue += r->revenue;
  a->carters += r->carted;
  a->abandoners += r->carted && !r->orders;
  a->tickets += r->tickets;
  a->bot += r->bot;
  a->esc += r->esc;
}

static double ratio(double a, double b) { return b > 0 ? a / b : NAN; }

static json_t *agg_json(const char *name, const agg *a) {
  double defl = a->tickets > 0 ? 1 - a->esc / a->tickets : NAN;
  if (defl < 0) defl = 0;
  return json_pack("{s:s,s:I,s:I,s:f,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o}", "name", name, "visitors",
                   (json_int_t)a->visitors, "orders", (json_int_t)a->orders, "revenue", a->revenue,
                   "conversion_rate", ecai__jnum(ratio(a->converters, a->visitors)), "aov",
                   ecai__jnum(ratio(a->revenue, a->orders)), "revenue_per_visitor",
                   ecai__jnum(ratio(a->revenue, a->visitors)), "checkout_abandonment",
                   ecai__jnum(ratio(a->abandoners, a->carters)), "tickets", (json_int_t)a->tickets,
                   "tickets_per_1000_visitors", ecai__jnum(ratio(1000 * a->tickets, a->visitors)),
                   "bot_deflection_rate", ecai__jnum(defl), "bot_answer_rate", ecai__jnum(ratio(a->bot, a->tickets)));
}

static int period_mode(const char *p) {
  if (!p || !strcmp(p, "day")) return 1;
  if (!strcmp(p, "week")) return 2;
  if (!strcmp(p, "month")) return 3;
  if (!strcmp(p, "none")) return 0;
  return -1;
}

static void period_label(int64_t ts, int mode, char *buf, size_t cap) {
  int64_t day = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
  if (mode == 2) {
    int64_t wd = ((day % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: Monday = 0 */
    day -= wd;
  }
  int y;
  unsigned m, d;
  ecai__civil_from_days(day, &y, &m, &d);
  if (mode == 3) snprintf(buf, cap, "%04d-%02u", y, m);
  else snprintf(buf, cap, "%04d-%02u-%02u", y, m, d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Variants with a non-empty population, sorted by name, control first when given.
 * *nout receives their number. */
static size_t *variant_order(const ecai_kpi *k, const urecs *u, size_t control, size_t *nout) {
  size_t *ord = ecai__malloc((k->nvar ? k->nvar : 1) * sizeof *ord);
  bool *has = ecai__calloc(k->nvar ? k->nvar : 1, sizeof *has);
  if (!ord || !has) {
    ecai__free(ord);
    ecai__free(has);
    return NULL;
  }
  for (size_t i = 0; i < u->n; i++)
    if (in_pop(u, &u->r[i])) has[u->r[i].key] = true;
  size_t n = 0;
  for (size_t i = 0; i < k->nvar; i++)
    if (has[i] || i == control) ord[n++] = i;
  ecai__free(has);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(k->vnames[ord[j - 1]], k->vnames[ord[j]]) > 0; j--) {
      size_t t = ord[j];
      ord[j] = ord[j - 1];
      ord[j - 1] = t;
    }
  if (control < k->nvar)
    for (size_t i = 0; i < n; i++)
      if (ord[i] == control) {
        memmove(ord + 1, ord, i * sizeof *ord);
        ord[0] = control;
        break;
      }
  *nout = n;
  return ord;
}

static json_t *metrics_obj(const ecai_kpi *k, const urecs *u, const size_t *ord, size_t nord, int pmode,
                           ecai_status *st) {
  json_t *root = json_object(), *vars = json_array();
  agg *a = ecai__calloc(u->nkeys, sizeof *a);
  if (!root || !vars || !a) goto oom;
  for (size_t i = 0; i < u->n; i++)
    if (in_pop(u, &u->r[i])) agg_add(&a[u->r[i].key], &u->r[i]);
  for (size_t i = 0; i < nord; i++) json_array_append_new(vars, agg_json(k->vnames[ord[i]], &a[ord[i]]));
  json_object_set_new(root, "events", json_integer((json_int_t)k->n));
  json_object_set_new(root, "variants", vars);
  vars = NULL;
  if (pmode > 0) {
    /* periods: label -> index */
    ecai__smap pm = {0};
    char **labels = NULL;
    size_t np = 0, capl = 0;
    size_t *rp = ecai__malloc((u->n ? u->n : 1) * sizeof *rp);
    if (!rp) goto oom;
    bool bad = false;
    for (size_t i = 0; i < u->n && !bad; i++) {
      char lab[32];
      period_label(u->r[i].first_ts, pmode, lab, sizeof lab);
      size_t idx = np;
      bool found;
      if (!ecai__smap_put(&pm, lab, strlen(lab), &idx, &found)) bad = true;
      else if (!found) {
        if (np == capl) {
          size_t nc = capl ? capl * 2 : 16;
          char **nl = ecai__realloc(labels, nc * sizeof *nl);
          if (!nl) {
            bad = true;
            break;
          }
          labels = nl;
          capl = nc;
        }
        labels[np] = ecai__strdup(lab);
        if (!labels[np]) bad = true;
        np++;
      }
      rp[i] = idx;
    }
    agg *pa = bad ? NULL : ecai__calloc(np * u->nkeys + 1, sizeof *pa);
    char **sorted = bad ? NULL : ecai__malloc((np + 1) * sizeof *sorted);
    if (pa && sorted) {
      for (size_t i = 0; i < u->n; i++)
        if (in_pop(u, &u->r[i])) agg_add(&pa[rp[i] * u->nkeys + u->r[i].key], &u->r[i]);
      if (np) memcpy(sorted, labels, np * sizeof *sorted);
      qsort(sorted, np, sizeof *sorted, cmp_str);
      json_t *parr = json_array();
      for (size_t s = 0; s < np; s++) {
        size_t pi;
        ecai__smap_get(&pm, sorted[s], strlen(sorted[s]), &pi);
        json_t *pv = json_array();
        for (size_t i = 0; i < nord; i++) {
          const agg *x = &pa[pi * u->nkeys + ord[i]];
          if (x->visitors > 0) json_array_append_new(pv, agg_json(k->vnames[ord[i]], x));
        }
        json_array_append_new(parr, json_pack("{s:s,s:o}", "period", sorted[s], "variants", pv));
      }
      json_object_set_new(root, "periods", parr);
    } else bad = true;
    ecai__free(pa);
    ecai__free(sorted);
    for (size_t i = 0; i < np; i++) ecai__free(labels[i]);
    ecai__free(labels);
    ecai__free(rp);
    ecai__smap_free(&pm);
    if (bad) goto oom;
  }
  ecai__free(a);
  return root;
oom:
  ecai__free(a);
  json_decref(vars);
  json_decref(root);
  *st = ecai__err(ECAI_ENOMEM, "kpi: out of memory");
  return NULL;
}

ecai_status ecai_kpi_metrics_json(char **out, size_t *out_len, const ecai_kpi *k, const char *period) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(k);
  int pmode = period_mode(period);
  if (pmode < 0) return ecai__err(ECAI_EINVAL, "kpi: unknown period '%s' (day|week|month|none)", period);
  urecs u;
  ecai_status st = collect(k, 0, 0, &u);
  if (st) return st;
  size_t nord = 0, *ord = variant_order(k, &u, SIZE_MAX, &nord);
  json_t *j = ord ? metrics_obj(k, &u, ord, nord, pmode, &st) : NULL;
  if (!ord) st = ecai__err(ECAI_ENOMEM, "kpi: out of memory");
  ecai__free(ord);
  urecs_free(&u);
  if (!j) return st;
  st = ecai__json_dump(out, out_len, j);
  json_decref(j);
  return st;
}

/* Tests of key b against key a over the population records. */
static json_t *compare(const urecs *u, uint32_t ka, uint32_t kb, ecai_status *st) {
  agg a = {0}, b = {0};
  size_t na = 0, nb = 0;
  for (size_t i = 0; i < u->n; i++) {
    if (!in_pop(u, &u->r[i])) continue;
    if (u->r[i].key == ka) agg_add(&a, &u->r[i]), na++;
    else if (u->r[i].key == kb) agg_add(&b, &u->r[i]), nb++;
  }
  double *ra = ecai__malloc((na ? na : 1) * sizeof *ra), *rb = ecai__malloc((nb ? nb : 1) * sizeof *rb);
  if (!ra || !rb) {
    ecai__free(ra);
    ecai__free(rb);
    *st = ecai__err(ECAI_ENOMEM, "kpi: out of memory");
    return NULL;
  }
  size_t ia = 0, ib = 0;
  for (size_t i = 0; i < u->n; i++) {
    if (!in_pop(u, &u->r[i])) continue;
    if (u->r[i].key == ka) ra[ia++] = u->r[i].revenue;
    else if (u->r[i].key == kb) rb[ib++] = u->r[i].revenue;
  }
  json_t *conv = json_null(), *rpv = json_null();
  if (na > 0 && nb > 0) {
    ecai__prop_test p;
    ecai__prop_ztest(&p, a.converters, a.visitors, b.converters, b.visitors, 0.95);
    conv = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:[o,o]}", "control_rate", ecai__jnum(p.p_c), "rate", ecai__jnum(p.p_t),
                     "diff", ecai__jnum(p.diff), "lift", ecai__jnum(p.lift), "z", ecai__jnum(p.z), "p_value",
                     ecai__jnum(p.p_value), "ci", ecai__jnum(p.ci_lo), ecai__jnum(p.ci_hi));
  }
  if (na > 1 && nb > 1) {
    double ma, va, mb, vb, lo = NAN, hi = NAN;
    ecai__mean_var(ra, na, &ma, &va);
    ecai__mean_var(rb, nb, &mb, &vb);
    ecai__welch w;
    ecai__welch_summary(&w, (double)na, ma, va, (double)nb, mb, vb, 0.95);
    if (ecai__bootstrap_diff(ra, na, rb, nb, 1000, 0.95, 42, &lo, &hi) == ECAI_ENOMEM) {
      json_decref(conv);
      ecai__free(ra);
      ecai__free(rb);
      *st = ECAI_ENOMEM;
      return NULL;
    }
    rpv = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:[o,o],s:[o,o]}", "control", ecai__jnum(ma), "value",
                    ecai__jnum(mb), "diff", ecai__jnum(w.diff), "lift", ecai__jnum(w.lift), "t", ecai__jnum(w.t),
                    "df", ecai__jnum(w.df), "p_value", ecai__jnum(w.p_value), "ci", ecai__jnum(w.ci_lo),
                    ecai__jnum(w.ci_hi), "bootstrap_ci", ecai__jnum(lo), ecai__jnum(hi));
  }
  /* guardrails: checkout abandonment (units with a cart) and tickets per visitor */
  json_t *aband = json_null(), *tick = json_null();
  if (a.carters > 0 && b.carters > 0) {
    ecai__prop_test p;
    ecai__prop_ztest(&p, a.abandoners, a.carters, b.abandoners, b.carters, 0.95);
    if (!(p.se_pooled > 0)) p.p_value = p.diff == 0 ? 1 : 0;
    aband = json_pack("{s:o,s:o,s:o,s:o,s:[o,o]}", "control_rate", ecai__jnum(p.p_c), "rate", ecai__jnum(p.p_t),
                      "diff", ecai__jnum(p.diff), "p_value", ecai__jnum(p.p_value), "ci", ecai__jnum(p.ci_lo),
                      ecai__jnum(p.ci_hi));
  }
  if (na > 1 && nb > 1) {
    ia = ib = 0;
    for (size_t i = 0; i < u->n; i++) {
      if (!in_pop(u, &u->r[i])) continue;
      if (u->r[i].key == ka) ra[ia++] = u->r[i].tickets;
      else if (u->r[i].key == kb) rb[ib++] = u->r[i].tickets;
    }
    double ma, va, mb, vb;
    ecai__mean_var(ra, na, &ma, &va);
    ecai__mean_var(rb, nb, &mb, &vb);
    ecai__welch w;
    ecai__welch_summary(&w, (double)na, ma, va, (double)nb, mb, vb, 0.95);
    if (!(w.se > 0)) w.p_value = w.diff == 0 ? 1 : 0, w.ci_lo = w.ci_hi = w.diff;
    tick = json_pack("{s:o,s:o,s:o,s:o,s:[o,o]}", "control", ecai__jnum(ma), "value", ecai__jnum(mb), "diff",
                     ecai__jnum(w.diff), "p_value", ecai__jnum(w.p_value), "ci", ecai__jnum(w.ci_lo),
                     ecai__jnum(w.ci_hi));
  }
  ecai__free(ra);
  ecai__free(rb);
  return json_pack("{s:o,s:o,s:o,s:o}", "conversion", conv, "revenue_per_visitor", rpv, "checkout_abandonment",
                   aband, "tickets_per_visitor", tick);
}

/* mSPRT on conversion with a look per UTC day of the units' first event, into conv. */
static ecai_status conversion_sequential(json_t *conv, const urecs *u, uint32_t ka, uint32_t kb) {
  size_t na = 0, nb = 0;
  for (size_t i = 0; i < u->n; i++)
    if (in_pop(u, &u->r[i])) na += u->r[i].key == ka, nb += u->r[i].key == kb;
  double *y = ecai__malloc((na + nb + 1) * sizeof *y), *l = ecai__malloc((na + nb + 1) * sizeof *l);
  ecai_status st = ECAI_OK;
  if (!y || !l) st = ecai__err(ECAI_ENOMEM, "kpi: out of memory");
  else {
    size_t ia = 0, ib = na;
    for (size_t i = 0; i < u->n; i++) {
      const urec *r = &u->r[i];
      if (!in_pop(u, r) || (r->key != ka && r->key != kb)) continue;
      size_t at = r->key == ka ? ia++ : ib++;
      y[at] = r->orders > 0;
      l[at] = floor((double)r->first_ts / 86400);
    }
    st = ecai__ab_sequential(conv, y, l, na, y + na, l + na, nb, true, 0.05, 0, false);
  }
  ecai__free(y);
  ecai__free(l);
  return st;
}

/* Holm over the variants per metric ("p_adjusted") and the guardrail verdicts: a metric
 * is flagged when it moved the wrong way with p_adjusted < 0.05. */
static void guardrails(json_t *cmp) {
  static const struct {
    const char *metric;
    int better; /* +1 higher is better, -1 lower is better */
  } M[] = {{"conversion", 1}, {"revenue_per_visitor", 1}, {"checkout_abandonment", -1}, {"tickets_per_visitor", -1}};
  size_t n = json_array_size(cmp);
  double *p = ecai__malloc((n ? n : 1) * sizeof *p), *adj = ecai__malloc((n ? n : 1) * sizeof *adj);
  size_t *at = ecai__malloc((n ? n : 1) * sizeof *at);
  if (!p || !adj || !at) goto done;
  for (size_t c = 0; c < n; c++) json_object_set_new(json_array_get(cmp, c), "guardrails", json_array());
  for (size_t m = 0; m < sizeof M / sizeof *M; m++) {
    size_t k = 0;
    for (size_t c = 0; c < n; c++) {
      json_t *o = json_object_get(json_array_get(cmp, c), M[m].metric), *pv = json_object_get(o, "p_value");
      if (json_is_number(pv)) p[k] = json_number_value(pv), at[k++] = c;
    }
    ecai__holm(p, adj, k);
    for (size_t i = 0; i < k; i++) {
      json_t *c = json_array_get(cmp, at[i]), *o = json_object_get(c, M[m].metric);
      json_object_set_new(o, "p_adjusted", json_real(adj[i]));
      double d = json_number_value(json_object_get(o, "diff"));
      bool worse = d * M[m].better < 0 && adj[i] < 0.05;
      json_array_append_new(json_object_get(c, "guardrails"),
                            json_pack("{s:s,s:s,s:b}", "metric", M[m].metric, "better",
                                      M[m].better > 0 ? "higher" : "lower", "flag", worse));
    }
  }
done:
  ecai__free(p);
  ecai__free(adj);
  ecai__free(at);
}

ecai_status ecai_kpi_report_json(char **out, size_t *out_len, const ecai_kpi *k, const char *control,
                                 int64_t launch_ts) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(k);
  if (!k->n) return ecai__err(ECAI_EINVAL, "kpi: no events");
  size_t ctl = SIZE_MAX;
  if (control && !ecai__smap_get(&k->variants, control, strlen(control), &ctl))
    return ecai__err(ECAI_ENOTFOUND, "kpi: control variant '%s' not found", control);
  urecs u;
  ecai_status st = collect(k, 0, 0, &u);
  if (st) return st;
  size_t nord = 0, *ord = variant_order(k, &u, ctl, &nord);
  json_t *root = NULL;
  if (!ord) {
    st = ecai__err(ECAI_ENOMEM, "kpi: out of memory");
    goto done;
  }
  ctl = ord[0];
  root = metrics_obj(k, &u, ord, nord, 1, &st);
  if (!root) goto done;
  json_object_set_new(root, "control", json_string(k->vnames[ctl]));
  json_t *cmp = json_array();
  json_object_set_new(root, "comparisons", cmp);
  double counts[4096];
  for (size_t i = 0; i < k->nvar; i++) counts[i] = 0;
  for (size_t i = 0; i < u.n; i++)
    if (in_pop(&u, &u.r[i])) counts[u.r[i].key] += 1;
  for (size_t i = 1; i < nord; i++) {
    json_t *c = compare(&u, (uint32_t)ctl, (uint32_t)ord[i], &st);
    if (!c) goto fail;
    json_t *cv = json_object_get(c, "conversion");
    if (json_is_object(cv) && (st = conversion_sequential(cv, &u, (uint32_t)ctl, (uint32_t)ord[i]))) {
      json_decref(c);
      goto fail;
    }
    json_object_set_new(c, "variant", json_string(k->vnames[ord[i]]));
    json_array_append_new(cmp, c);
  }
  guardrails(cmp);
  if (nord >= 2) {
    double sc[4096], chi2, df, p;
    for (size_t i = 0; i < nord; i++) sc[i] = counts[ord[i]];
    ecai__srm(sc, NULL, nord, &chi2, &df, &p);
    json_object_set_new(root, "srm", json_pack("{s:o,s:f,s:o,s:b}", "chi2", ecai__jnum(chi2), "df", df, "p_value",
                                               ecai__jnum(p), "flag", p < 0.01));
  }
  if (launch_ts != INT64_MIN) {
    urecs ub;
    st = collect(k, 1, launch_ts, &ub);
    if (st) goto fail;
    agg a[2];
    memset(a, 0, sizeof a);
    for (size_t i = 0; i < ub.n; i++)
      if (in_pop(&ub, &ub.r[i])) agg_add(&a[ub.r[i].key], &ub.r[i]);
    json_t *cmpba = compare(&ub, 0, 1, &st);
    urecs_free(&ub);
    if (!cmpba) goto fail;
    char lab[32];
    period_label(launch_ts, 1, lab, sizeof lab);
    json_object_set_new(root, "before_after",
                        json_pack("{s:I,s:s,s:o,s:o,s:o}", "launch_ts", (json_int_t)launch_ts, "launch_date", lab,
                                  "before", agg_json("before", &a[0]), "after", agg_json("after", &a[1]), "tests",
                                  cmpba));
  }
  st = ecai__json_dump(out, out_len, root);
  json_decref(root);
  goto done;
fail:
  json_decref(root);
  if (!st) st = ecai__err(ECAI_ENOMEM, "kpi: out of memory");
done:
  urecs_free(&u);
  ecai__free(ord);
  return st;
}
