/* ecai_recommend_evaluate: hide-one-item evaluation on a transactions file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recommend/reco.h"

typedef struct {
  char *id; /* first member: reco_smap key */
  char *customer;
  int64_t ts;
  uint32_t *items;
  uint32_t n, cap;
} ev_inv;

typedef struct {
  ecai_recommend *r;
  int64_t train_before, test_before;
  ev_inv *inv;
  size_t n_inv, cap_inv;
  reco_smap map;
} ev_ctx;

static ecai_status ev_row(const reco_row *row, void *payload) {
  ev_ctx *e = payload;
  if (row->ts >= e->test_before) return ECAI_OK;
  ecai_recommend *r = e->r;
  uint32_t it;
  ecai_status st = ecai__reco_item_get(r, row->product, strlen(row->product), &it);
  if (st) return st;
  if (row->title && !r->items[it].title && (st = ecai__reco_set_title(r, it, row->title))) return st;
  if (row->ts < e->train_before)
    return ecai__reco_add_line(r, row->order, row->customer, row->ts, row->product, row->title, row->price);
  /* a test invoice line */
  int64_t f = -1;
  {
    /* linear probing lookup on the invoice map */
    if (e->map.cap) {
      size_t mask = e->map.cap - 1, i = (size_t)XXH3_64bits(row->order, strlen(row->order)) & mask;
      while (e->map.slots[i]) {
        uint32_t v = e->map.slots[i] - 1;
        if (!strcmp(e->inv[v].id, row->order)) {
          f = v;
          break;
        }
        i = (i + 1) & mask;
      }
    }
  }
  if (f < 0) {
    if (e->n_inv == e->cap_inv) {
      size_t nc = e->cap_inv ? e->cap_inv * 2 : 256;
      ev_inv *ni = ecai__realloc(e->inv, nc * sizeof *ni);
      if (!ni) return ecai__err(ECAI_ENOMEM, "eval: out of memory");
      e->inv = ni;
      e->cap_inv = nc;
    }
    if ((e->n_inv + 1) * 2 > e->map.cap) {
      size_t nc = e->map.cap ? e->map.cap * 2 : 1024;
      uint32_t *ns = ecai__calloc(nc, sizeof *ns);
      if (!ns) return ecai__err(ECAI_ENOMEM, "eval: out of memory");
      for (size_t k = 0; k < e->n_inv; k++) {
        size_t i = (size_t)XXH3_64bits(e->inv[k].id, strlen(e->inv[k].id)) & (nc - 1);
        while (ns[i]) i = (i + 1) & (nc - 1);
        ns[i] = (uint32_t)k + 1;
      }
      ecai__free(e->map.slots);
      e->map.slots = ns;
      e->map.cap = nc;
    }
    ev_inv *v = &e->inv[e->n_inv];
    memset(v, 0, sizeof *v);
    v->id = ecai__strdup(row->order);
    v->customer = (row->customer && row->customer[0]) ? ecai__strdup(row->customer) : NULL;
    if (!v->id) return ecai__err(ECAI_ENOMEM, "eval: out of memory");
    v->ts = row->ts;
    size_t i = (size_t)XXH3_64bits(v->id, strlen(v->id)) & (e->map.cap - 1);
    while (e->map.slots[i]) i = (i + 1) & (e->map.cap - 1);
    e->map.slots[i] = (uint32_t)e->n_inv + 1;
    f = (int64_t)e->n_inv++;
  }
  ev_inv *v = &e->inv[f];
  for (uint32_t k = 0; k < v->n; k++)
    if (v->items[k] == it) return ECAI_OK;
  if (v->n == v->cap) {
    uint32_t nc = v->cap ? v->cap * 2 : 8;
    uint32_t *ni = ecai__realloc(v->items, nc * sizeof *ni);
    if (!ni) return ecai__err(ECAI_ENOMEM, "eval: out of memory");
    v->items = ni;
    v->cap = nc;
  }
  v->items[v->n++] = it;
  return ECAI_OK;
}

static int cmp_cust(const void *a, const void *b, void *rv) {
  const ecai_recommend *r = rv;
  const reco_order *x = &r->orders[*(const uint32_t *)a], *y = &r->orders[*(const uint32_t *)b];
  int c = strcmp(x->customer, y->customer);
  if (c) return c;
  return x->ts < y->ts ? -1 : (x->ts > y->ts);
}

enum { EV_NM = 7 };
static const char *ev_names[EV_NM] = {"popularity", "cooccurrence", "cosine", "ease", "content", "blended", "blended_cart_only"};

typedef struct {
  double hit, ndcg, chit, cndcg;
  uint8_t *seen;
  size_t distinct;
} ev_acc;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

ecai_status ecai_recommend_evaluate(char **out, size_t *out_len, const ecai_ctx *ctx, const char *path,
                                    int64_t train_before, int64_t test_before, size_t k) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(path);
  if (train_before >= test_before) return ecai__err(ECAI_EINVAL, "eval: --train-before must be before --test-before");
  if (k < 1 || k > 1000) return ecai__err(ECAI_EINVAL, "eval: k must be 1..1000");
  ev_ctx e;
  memset(&e, 0, sizeof e);
  e.train_before = train_before;
  e.test_before = test_before;
  ecai_status st = ecai_recommend_new(&e.r, ctx);
  uint32_t *byc = NULL;
  reco_in *in = NULL;
  reco_hit *hits = NULL;
  reco_scores s = {0};
  ev_acc acc[EV_NM];
  memset(acc, 0, sizeof acc);
  ecai__buf b = {0};
  if (st) return st;
  ecai_recommend *r = e.r;
  double t0 = now_s();
  if ((st = ecai__reco_read_csv(path, ev_row, &e))) goto done;
  double t1 = now_s();
  if (!r->n_orders) {
    st = ecai__err(ECAI_EINVAL, "eval: no training orders before the training cutoff");
    goto done;
  }
  if ((st = ecai_recommend_fit(r))) goto done;
  double t2 = now_s();
  /* customers' training orders, sorted by customer then date */
  size_t nby = 0;
  byc = ecai__malloc((r->n_orders + 1) * sizeof *byc);
  if (!byc) {
    st = ecai__err(ECAI_ENOMEM, "eval: out of memory");
    goto done;
  }
  for (size_t i = 0; i < r->n_orders; i++)
    if (r->orders[i].customer) byc[nby++] = (uint32_t)i;
  qsort_r(byc, nby, sizeof *byc, cmp_cust, r);
  size_t maxin = 16;
  for (size_t i = 0; i < e.n_inv; i++)
    if (e.inv[i].n > maxin) maxin = e.inv[i].n;
  in = ecai__malloc((maxin + r->n_items) * sizeof *in);
  hits = ecai__malloc(k * sizeof *hits);
  if (!in || !hits || (st = ecai__reco_scores_init(&s, r->n_items, r->cdim))) {
    if (!st) st = ecai__err(ECAI_ENOMEM, "eval: out of memory");
    goto done;
  }
  for (int m = 0; m < EV_NM; m++) {
    acc[m].seen = ecai__calloc(r->n_items ? r->n_items : 1, 1);
    if (!acc[m].seen) {
      st = ecai__err(ECAI_ENOMEM, "eval: out of memory");
      goto done;
    }
  }
  size_t tests = 0, cold = 0, in_hist = 0;
  for (size_t t = 0; t < e.n_inv; t++) {
    ev_inv *v = &e.inv[t];
    if (v->n < 2) continue;
    tests++;
    uint32_t hidden = v->items[XXH3_64bits(v->id, strlen(v->id)) % v->n];
    bool is_cold = r->items[hidden].orders < r->cold_orders;
    cold += is_cold;
    size_t nin = 0;
    memset(s.banned, 0, s.n);
    for (uint32_t q = 0; q < v->n; q++)
      if (v->items[q] != hidden) {
        in[nin].item = v->items[q];
        in[nin].w = 1;
        in[nin].rec = 0;
        in[nin].cart = true;
        s.banned[v->items[q]] = 1;
        nin++;
      }
    size_t ncart = nin;
    ecai__reco_components(r, in, nin, &s);
    for (int m = 0; m < EV_NM; m++) {
      if (m == 5) { /* add the customer's history (recency-weighted) and recompute */
        if (v->customer) {
          size_t lo = 0, hi = nby;
          while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(r->orders[byc[mid]].customer, v->customer) < 0) lo = mid + 1;
            else hi = mid;
          }
          for (size_t c = lo; c < nby && !strcmp(r->orders[byc[c]].customer, v->customer); c++) {
            const reco_order *o = &r->orders[byc[c]];
            if (o->ts >= v->ts) break;
            double age = (double)(v->ts - o->ts) / 86400.0;
            double w = pow(0.5, age / r->half_life);
            for (uint32_t q = 0; q < o->n; q++) {
              uint32_t it = o->items[q];
              size_t z = 0;
              while (z < nin && in[z].item != it) z++;
              if (z == nin) {
                in[nin].item = it;
                in[nin].w = 0;
                in[nin].rec = 0;
                in[nin].cart = false;
                nin++;
              }
              if (!in[z].cart) {
                in[z].w += r->w_hist * w;
                in[z].rec += w;
              }
            }
          }
        }
        for (size_t z = ncart; z < nin; z++) in_hist += in[z].item == hidden;
        ecai__reco_components(r, in, nin, &s);
      }
      if (m == 6) {
        nin = ncart;
        ecai__reco_components(r, in, nin, &s);
      }
      reco_opts o = {.k = k, .strategy = RECO_S_MIXED, .method = (reco_method)(m >= 5 ? RECO_M_BLENDED : m),
                     .use_mmr = m >= 5, .min_price = -1, .max_price = -1};
      size_t nh = ecai__reco_rank(r, in, nin, &s, &o, hits);
      if (nh == SIZE_MAX) {
        st = ecai__err(ECAI_ENOMEM, "eval: out of memory");
        goto done;
      }
      for (size_t h = 0; h < nh; h++) {
        if (!acc[m].seen[hits[h].item]) {
          acc[m].seen[hits[h].item] = 1;
          acc[m].distinct++;
        }
        if (hits[h].item == hidden) {
          double g = 1.0 / log2((double)h + 2.0);
          acc[m].hit += 1;
          acc[m].ndcg += g;
          if (is_cold) {
            acc[m].chit += 1;
            acc[m].cndcg += g;
          }
        }
      }
    }
  }
  double t3 = now_s();
  size_t cat = r->n_items;
  ecai__buf_printf(&b, "{\"test_baskets\":%zu,\"k\":%zu,\"train_orders\":%zu,\"catalog_items\":%zu,"
                       "\"ease_items\":%zu,\"ease_lambda\":%g,\"cold_start_baskets\":%zu,"
                       "\"hidden_in_history\":%zu,\"methods\":{",
                   tests, k, r->n_orders, cat, r->ease_n, r->ease_fit_lambda, cold, in_hist);
  for (int m = 0; m < EV_NM; m++) {
    double nt = tests ? (double)tests : 1, nc = cold ? (double)cold : 1;
    if (m == EV_NM - 1) ecai__buf_puts(&b, "},\"ablations\":{"); /* not a method: blended without history */
    ecai__buf_printf(&b,
                     "%s\"%s\":{\"hit_rate@%zu\":%.4f,\"ndcg@%zu\":%.4f,\"coverage\":%.4f,"
                     "\"cold_start\":{\"baskets\":%zu,\"hit_rate@%zu\":%.4f,\"ndcg@%zu\":%.4f}}",
                     (m && m != EV_NM - 1) ? "," : "", ev_names[m], k, acc[m].hit / nt, k, acc[m].ndcg / nt,
                     cat ? (double)acc[m].distinct / (double)cat : 0.0, cold, k, acc[m].chit / nc, k,
                     acc[m].cndcg / nc);
  }
  ecai__buf_printf(&b, "},\"seconds\":{\"load\":%.2f,\"ease_fit\":%.2f,\"evaluate\":%.2f}}", t1 - t0, t2 - t1, t3 - t2);
  if (b.oom) {
    st = ecai__err(ECAI_ENOMEM, "eval: out of memory");
    goto done;
  }
  *out = ecai__buf_take(&b, out_len);
done:
  ecai__buf_free(&b);
  for (int m = 0; m < EV_NM; m++) ecai__free(acc[m].seen);
  ecai__reco_scores_free(&s);
  ecai__free(in);
  ecai__free(hits);
  ecai__free(byc);
  for (size_t i = 0; i < e.n_inv; i++) {
    ecai__free(e.inv[i].id);
    ecai__free(e.inv[i].customer);
    ecai__free(e.inv[i].items);
  }
  ecai__free(e.inv);
  ecai__free(e.map.slots);
  ecai_recommend_free(r);
  return st;
}
