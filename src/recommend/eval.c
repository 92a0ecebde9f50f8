/* ecai_recommend_evaluate: hide-one-item evaluation on a transactions file, with the
   order value recovered, the blended weights tuned on the training months only, the
   customer-history slices, bundles and trending. */
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
  double *val; /* per item: sum of quantity x unit price of its lines */
  uint32_t n, cap;
} ev_inv;

typedef struct {
  ecai_recommend *r;
  int64_t train_before, test_before, min_ts;
  ev_inv *inv;
  size_t n_inv, cap_inv;
  reco_smap map;
} ev_ctx;

static ecai_status oom(void) { return ecai__err(ECAI_ENOMEM, "eval: out of memory"); }

static int64_t inv_find(const ev_ctx *e, const char *id) {
  if (!e->map.cap) return -1;
  size_t mask = e->map.cap - 1, i = (size_t)XXH3_64bits(id, strlen(id)) & mask;
  while (e->map.slots[i]) {
    uint32_t v = e->map.slots[i] - 1;
    if (!strcmp(e->inv[v].id, id)) return v;
    i = (i + 1) & mask;
  }
  return -1;
}

static ecai_status inv_new(ev_ctx *e, const reco_row *row, int64_t *out) {
  if (e->n_inv == e->cap_inv) {
    size_t nc = e->cap_inv ? e->cap_inv * 2 : 256;
    ev_inv *ni = ecai__realloc(e->inv, nc * sizeof *ni);
    if (!ni) return oom();
    e->inv = ni;
    e->cap_inv = nc;
  }
  if ((e->n_inv + 1) * 2 > e->map.cap) {
    size_t nc = e->map.cap ? e->map.cap * 2 : 1024;
    uint32_t *ns = ecai__calloc(nc, sizeof *ns);
    if (!ns) return oom();
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
  e->n_inv++; /* freed with the others even when a copy failed */
  if (!v->id || (row->customer && row->customer[0] && !v->customer)) return oom();
  v->ts = row->ts;
  size_t i = (size_t)XXH3_64bits(v->id, strlen(v->id)) & (e->map.cap - 1);
  while (e->map.slots[i]) i = (i + 1) & (e->map.cap - 1);
  e->map.slots[i] = (uint32_t)e->n_inv;
  *out = (int64_t)e->n_inv - 1;
  return ECAI_OK;
}

static ecai_status ev_row(const reco_row *row, void *payload) {
  ev_ctx *e = payload;
  if (row->ts >= e->test_before) return ECAI_OK;
  ecai_recommend *r = e->r;
  uint32_t it;
  ecai_status st = ecai__reco_item_get(r, row->product, strlen(row->product), &it);
  if (st) return st;
  if (row->title && !r->items[it].title && (st = ecai__reco_set_title(r, it, row->title))) return st;
  if (row->ts < e->train_before) {
    if (!e->min_ts || row->ts < e->min_ts) e->min_ts = row->ts;
    return ecai__reco_add_line(r, row->order, row->customer, row->ts, row->product, row->title, row->price);
  }
  /* a test invoice line */
  int64_t f = inv_find(e, row->order);
  if (f < 0 && (st = inv_new(e, row, &f))) return st;
  ev_inv *v = &e->inv[f];
  double value = row->qty * row->price;
  for (uint32_t k = 0; k < v->n; k++)
    if (v->items[k] == it) {
      v->val[k] += value;
      return ECAI_OK;
    }
  if (v->n == v->cap) {
    uint32_t nc = v->cap ? v->cap * 2 : 8;
    uint32_t *ni = ecai__realloc(v->items, nc * sizeof *ni);
    if (ni) v->items = ni;
    double *nv = ni ? ecai__realloc(v->val, nc * sizeof *nv) : NULL;
    if (!nv) return oom();
    v->val = nv;
    v->cap = nc;
  }
  v->val[v->n] = value;
  v->items[v->n++] = it;
  return ECAI_OK;
}

static void ev_free(ev_ctx *e) {
  for (size_t i = 0; i < e->n_inv; i++) {
    ecai__free(e->inv[i].id);
    ecai__free(e->inv[i].customer);
    ecai__free(e->inv[i].items);
    ecai__free(e->inv[i].val);
  }
  ecai__free(e->inv);
  ecai__free(e->map.slots);
  ecai_recommend_free(e->r);
  memset(e, 0, sizeof *e);
}

/* Reads the file: trains on [.., train_before), keeps the baskets of [train_before, test_before). */
static ecai_status ev_load(ev_ctx *e, const ecai_ctx *ctx, const char *path, int64_t train_before,
                           int64_t test_before) {
  memset(e, 0, sizeof *e);
  e->train_before = train_before;
  e->test_before = test_before;
  ecai_status st = ecai_recommend_new(&e->r, ctx);
  if (!st) st = ecai__reco_read_csv(path, ev_row, e);
  if (!st && !e->r->n_orders) st = ecai__err(ECAI_EINVAL, "eval: no training orders before the training cutoff");
  if (!st) st = ecai_recommend_fit(e->r);
  return st;
}

static uint32_t hidden_of(const ev_inv *v) { return v->items[XXH3_64bits(v->id, strlen(v->id)) % v->n]; }

static double basket_value(const ev_inv *v) {
  double s = 0;
  for (uint32_t q = 0; q < v->n; q++) s += v->val[q];
  return s;
}

/* Cart inputs: the basket without its hidden item (banned from the results). */
static size_t cart_inputs(const ev_inv *v, uint32_t hidden, reco_in *in, reco_scores *s, uint32_t *slot) {
  size_t nin = 0;
  memset(s->banned, 0, s->n);
  for (uint32_t q = 0; q < v->n; q++)
    if (v->items[q] != hidden) {
      in[nin] = (reco_in){.item = v->items[q], .w = 1, .rec = 0, .cart = true};
      s->banned[v->items[q]] = 1;
      if (slot) slot[v->items[q]] = (uint32_t)nin + 1;
      nin++;
    }
  return nin;
}

enum { EV_NM = 8, EV_BLENDED = 5 };
static const char *ev_names[EV_NM] = {"popularity", "cooccurrence", "cosine", "ease", "content", "blended",
                                      "blended_cart_only", "blended_untuned"};

typedef struct {
  double hit, ndcg, rev, chit, cndcg, hhit, hrev, nhit, nrev;
  uint8_t *seen;
  size_t distinct;
} ev_acc;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- tuning of the blended weights on the training months ---------------------------------- */

typedef struct {
  double w_rebuy, w_hist, w_recent, w_nbr, w_content;
} ev_w;

static const double TUNE_REBUY[] = {0, 0.1, 0.2, 0.35, 0.5, 1};
static const double TUNE_HIST[] = {0, 0.25};
static const double TUNE_RECENT[] = {0, 0.05, 0.1, 0.2};
static const double TUNE_NBR[] = {0, 0.05, 0.1};
static const double TUNE_CONTENT[] = {0.5, 1};
#define N_REBUY (sizeof TUNE_REBUY / sizeof TUNE_REBUY[0])
#define N_HIST (sizeof TUNE_HIST / sizeof TUNE_HIST[0])
#define N_RECENT (sizeof TUNE_RECENT / sizeof TUNE_RECENT[0])
#define N_NBR (sizeof TUNE_NBR / sizeof TUNE_NBR[0])
#define N_CONTENT (sizeof TUNE_CONTENT / sizeof TUNE_CONTENT[0])
#define N_GRID (N_REBUY * N_HIST * N_RECENT * N_NBR * N_CONTENT)
#define TUNE_MAX_BASKETS 1500
#define TUNE_MIN_BASKETS 200
#define TUNE_WINDOW (30 * 86400)

/* Scores each of the nw weight sets by hit-rate@k (hit[i] = hits, *used = baskets): a model
   trained before `from` ranks the baskets of [from, until) (a deterministic sample of at most
   TUNE_MAX_BASKETS). The cart's and the history's components are computed once per basket
   (EASE and co-occurrence are linear in the input weights); the content part comes from the
   cart. *used = 0 when there are no training orders or fewer than TUNE_MIN_BASKETS baskets. */
static ecai_status ev_grid(const ecai_ctx *ctx, const char *path, int64_t from, int64_t until, size_t k,
                           const ev_w *ws, size_t nw, double *hit, size_t *used) {
  ev_ctx e;
  ecai_status st = ev_load(&e, ctx, path, from, until);
  reco_in *in = NULL;
  reco_hit *hits = NULL;
  reco_scores s = {0}, sh = {0};
  uint32_t *slot = NULL;
  float *cart5 = NULL;
  size_t cand = 0;
  *used = 0;
  memset(hit, 0, nw * sizeof *hit);
  if (st == ECAI_EINVAL) { /* no training orders */
    ev_free(&e);
    return ECAI_OK;
  }
  if (st) goto done;
  ecai_recommend *r = e.r;
  for (size_t t = 0; t < e.n_inv; t++) cand += e.inv[t].n >= 2;
  if (cand < TUNE_MIN_BASKETS) goto done;
  size_t maxin = 16, n = r->n_items;
  for (size_t i = 0; i < e.n_inv; i++)
    if (e.inv[i].n > maxin) maxin = e.inv[i].n;
  in = ecai__malloc((maxin + n) * sizeof *in);
  hits = ecai__malloc(k * sizeof *hits);
  slot = ecai__calloc(n + 1, sizeof *slot);
  cart5 = ecai__malloc((n + 1) * 5 * sizeof *cart5); /* pop raw cos ease content of the cart */
  if (!in || !hits || !slot || !cart5 || (st = ecai__reco_scores_init(&s, n, r->cdim)) ||
      (st = ecai__reco_scores_init(&sh, n, r->cdim))) {
    if (!st) st = oom();
    goto done;
  }
  for (size_t t = 0; t < e.n_inv; t++) {
    ev_inv *v = &e.inv[t];
    if (v->n < 2 || XXH3_64bits_withSeed(v->id, strlen(v->id), 7) % cand >= TUNE_MAX_BASKETS) continue;
    ++*used;
    uint32_t hidden = hidden_of(v);
    size_t nin = cart_inputs(v, hidden, in, &s, slot);
    size_t ncart = nin;
    ecai__reco_components(r, in, nin, &s);
    memcpy(cart5, s.pop, n * 5 * sizeof *cart5);
    bool has_q = s.has_q;
    size_t orders = v->customer ? ecai__reco_customer_inputs(r, v->customer, v->ts - 1, in, &nin, slot) : 0;
    for (size_t q = 0; q < nin; q++) slot[in[q].item] = 0;
    if (orders == SIZE_MAX) {
      st = oom();
      goto done;
    }
    for (size_t q = ncart; q < nin; q++) in[q].w = in[q].rec; /* unit weight: scaled below */
    ecai__reco_components(r, in + ncart, nin - ncart, &sh);
    memset(s.nbr, 0, n * sizeof *s.nbr);
    double repeat = orders ? ecai__reco_repeat_factor(r, v->customer, v->ts - 1) : 1.0;
    if (!repeat ||
        (orders && ecai__reco_neighbours(r, v->customer, v->ts - 1, in + ncart, nin - ncart, s.nbr) == SIZE_MAX)) {
      st = oom();
      goto done;
    }
    for (size_t i = 0; i < nw; i++) {
      float wh = (float)ws[i].w_hist;
      memcpy(s.pop, cart5, n * 5 * sizeof *cart5);
      for (size_t j = 0; j < n; j++) {
        s.raw[j] += wh * sh.raw[j];
        s.cos[j] += wh * sh.cos[j];
        s.ease[j] += wh * sh.ease[j];
        s.hist[j] = sh.hist[j];
      }
      s.has_q = has_q;
      for (size_t q = ncart; q < nin; q++) in[q].w = wh * in[q].rec;
      r->w_rebuy = ws[i].w_rebuy;
      r->w_recent = ws[i].w_recent;
      r->w_nbr = ws[i].w_nbr;
      r->w_content = ws[i].w_content;
      reco_opts o = {.k = k, .strategy = RECO_S_MIXED, .method = RECO_M_BLENDED, .use_mmr = true,
                     .rebuy = orders > 0, .repeat = repeat, .min_price = -1, .max_price = -1};
      size_t nh = ecai__reco_rank(r, in, nin, &s, &o, hits);
      if (nh == SIZE_MAX) {
        st = oom();
        goto done;
      }
      for (size_t y = 0; y < nh; y++) hit[i] += hits[y].item == hidden;
    }
  }
done:
  ecai__free(in);
  ecai__free(hits);
  ecai__free(slot);
  ecai__free(cart5);
  ecai__reco_scores_free(&s);
  ecai__reco_scores_free(&sh);
  ev_free(&e);
  return st;
}

/* Chooses the blended weights (w_rebuy, w_history, w_recent, w_neighbours, w_content) on
   the training months alone.
   Tune: a model trained on the first half of them (before `mid`) ranks the baskets of the
   following TUNE_WINDOW; the best of the grid by hit-rate@k wins (ties: the first, smaller
   weights). Check: a model trained on all but the last TUNE_WINDOW of the training months
   ranks that window's baskets with the tuned and the configured weights; the tuned ones are
   kept only when they do better there, else the configured ones stay. */
static ecai_status ev_tune(ecai__buf *b, const ecai_ctx *ctx, const char *path, int64_t mid, int64_t train_before,
                           size_t k, ev_w *best) {
  ev_w grid[N_GRID], pair[2];
  double hit[N_GRID], chk[2];
  size_t g = 0, used = 0, cused = 0;
  for (size_t a = 0; a < N_REBUY; a++)
    for (size_t h = 0; h < N_HIST; h++)
      for (size_t x = 0; x < N_RECENT; x++)
        for (size_t y = 0; y < N_NBR; y++)
          for (size_t z = 0; z < N_CONTENT; z++)
            grid[g++] = (ev_w){TUNE_REBUY[a], TUNE_HIST[h], TUNE_RECENT[x], TUNE_NBR[y], TUNE_CONTENT[z]};
  int64_t until = mid + TUNE_WINDOW < train_before - TUNE_WINDOW ? mid + TUNE_WINDOW : train_before - TUNE_WINDOW;
  ecai_status st = until > mid ? ev_grid(ctx, path, mid, until, k, grid, N_GRID, hit, &used) : ECAI_OK;
  if (st) return st;
  if (used == 0) {
    ecai__buf_printf(b, "\"tuning\":{\"skipped\":\"fewer than %d baskets in the first half of the training months\"},",
                     TUNE_MIN_BASKETS);
    return ECAI_OK;
  }
  size_t bi = 0;
  for (size_t i = 1; i < N_GRID; i++)
    if (hit[i] > hit[bi]) bi = i;
  pair[0] = *best; /* the configured weights */
  pair[1] = grid[bi];
  st = ev_grid(ctx, path, train_before - TUNE_WINDOW, train_before, k, pair, 2, chk, &cused);
  if (st) return st;
  bool adopt = cused > 0 && chk[1] > chk[0];
  if (adopt) *best = grid[bi];
  double nu = (double)used, nc = cused ? (double)cused : 1;
  ecai__buf_printf(b,
                   "\"tuning\":{\"tune\":{\"train_before\":%lld,\"validate_until\":%lld,\"baskets\":%zu,"
                   "\"weight_sets\":%zu,\"best\":{\"w_rebuy\":%g,\"w_history\":%g,\"w_recent\":%g,"
                   "\"w_neighbours\":%g,\"w_content\":%g},"
                   "\"hit_rate@%zu\":%.4f},"
                   "\"check\":{\"train_before\":%lld,\"validate_until\":%lld,\"baskets\":%zu,"
                   "\"tuned_hit_rate@%zu\":%.4f,\"configured_hit_rate@%zu\":%.4f},"
                   "\"adopted\":\"%s\",\"w_rebuy\":%g,\"w_history\":%g,\"w_recent\":%g,\"w_neighbours\":%g,"
                   "\"w_content\":%g},",
                   (long long)mid, (long long)until, used, (size_t)N_GRID, grid[bi].w_rebuy, grid[bi].w_hist,
                   grid[bi].w_recent, grid[bi].w_nbr, grid[bi].w_content, k, hit[bi] / nu, (long long)(train_before - TUNE_WINDOW),
                   (long long)train_before, cused, k, chk[1] / nc, k, chk[0] / nc, adopt ? "tuned" : "configured",
                   best->w_rebuy, best->w_hist, best->w_recent, best->w_nbr, best->w_content);
  return ECAI_OK;
}

/* ---- bundles and trending ---------------------------------------------------------------- */

/* Runs one request through the public path; returns the parsed reply or NULL (status in *st). */
static json_t *ev_query(const ecai_recommend *r, json_t *req, ecai_status *st) {
  char *js = json_dumps(req, JSON_COMPACT), *out = NULL;
  json_decref(req);
  if (!js) {
    *st = oom();
    return NULL;
  }
  *st = ecai_recommend_query(&out, NULL, r, js, strlen(js));
  free(js); /* jansson's allocator */
  json_t *j = *st ? NULL : json_loads(out, 0, NULL);
  ecai_free(out);
  if (!*st && !j) *st = oom();
  return j;
}

static bool ev_in(const ecai_recommend *r, const char *id, const uint32_t *set, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(r->items[set[i]].id, id)) return true;
  return false;
}

/* The two best single recommendations for the cart in[0..nin) without MMR diversity, both
   in held[0..nh)? (s: scratch; its banned set is the cart's.) */
static bool ev_top2_held(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s,
                         const uint32_t *held, size_t nh, ecai_status *st) {
  reco_hit two[2];
  reco_opts o = {.k = 2, .strategy = RECO_S_MIXED, .method = RECO_M_BLENDED, .min_price = -1, .max_price = -1};
  ecai__reco_components(r, in, nin, s);
  size_t n = ecai__reco_rank(r, in, nin, s, &o, two);
  if (n == SIZE_MAX) *st = oom();
  bool a = false, b = false;
  for (size_t i = 0; n == 2 && i < nh; i++) a |= held[i] == two[0].item, b |= held[i] == two[1].item;
  return n == 2 && a && b;
}

/* Bundles: in every test basket of 4+ products, a hashed half (rounded down) is held out and
   the rest is the cart; a bundle "hits" when the held-out half holds all of its products.
   The peers: the pair of the two best single recommendations as served (MMR diversity on)
   and without MMR. */
static ecai_status ev_bundles(ecai__buf *b, const ecai_recommend *r, const ev_ctx *e) {
  size_t baskets = 0, with = 0, hit1 = 0, hit3 = 0, size1 = 0, peer = 0, peer2 = 0;
  double price1 = 0;
  reco_scores s = {0};
  reco_in *in = ecai__malloc(4096 * sizeof *in);
  ecai_status st = in ? ecai__reco_scores_init(&s, r->n_items, r->cdim) : oom();
  for (size_t t = 0; t < e->n_inv && !st; t++) {
    const ev_inv *v = &e->inv[t];
    if (v->n < 4) continue;
    baskets++;
    uint64_t seed = XXH3_64bits(v->id, strlen(v->id));
    uint32_t held[4096], nh = 0, nin = 0;
    json_t *cart = json_array(), *cart2 = json_array();
    memset(s.banned, 0, s.n);
    for (uint32_t q = 0; q < v->n; q++) { /* held out: the items of the lower half of hash keys */
      const char *id = r->items[v->items[q]].id;
      uint64_t key = XXH3_64bits_withSeed(id, strlen(id), seed);
      uint32_t below = 0;
      for (uint32_t z = 0; z < v->n; z++) {
        const char *o = r->items[v->items[z]].id;
        below += XXH3_64bits_withSeed(o, strlen(o), seed) < key;
      }
      if (below < v->n / 2 && nh < 4096) held[nh++] = v->items[q];
      else {
        json_array_append_new(cart, json_string(id));
        json_array_append_new(cart2, json_string(id));
        if (nin < 4096) in[nin++] = (reco_in){.item = v->items[q], .w = 1, .rec = 0, .cart = true};
        s.banned[v->items[q]] = 1;
      }
    }
    json_t *j = ev_query(r, json_pack("{s:o, s:s, s:i}", "cart", cart, "strategy", "bundle", "k", 3), &st);
    json_t *bs = json_object_get(j, "bundles"), *x;
    size_t i;
    with += json_array_size(bs) > 0;
    json_array_foreach(bs, i, x) {
      json_t *its = json_object_get(x, "items"), *y;
      size_t u;
      bool all = true;
      json_array_foreach(its, u, y) all &= ev_in(r, json_string_value(json_object_get(y, "id")), held, nh);
      if (i == 0) {
        size1 += json_array_size(its);
        price1 += json_number_value(json_object_get(x, "price"));
      }
      hit1 += all && i == 0;
      if (all) {
        hit3++;
        break;
      }
    }
    json_decref(j);
    if (st) {
      json_decref(cart2);
      break;
    }
    j = ev_query(r, json_pack("{s:o, s:i}", "cart", cart2, "k", 2), &st);
    json_t *its = json_object_get(j, "items");
    peer += json_array_size(its) == 2 &&
            ev_in(r, json_string_value(json_object_get(json_array_get(its, 0), "id")), held, nh) &&
            ev_in(r, json_string_value(json_object_get(json_array_get(its, 1), "id")), held, nh);
    json_decref(j);
    if (!st) peer2 += ev_top2_held(r, in, nin, &s, held, nh, &st);
  }
  ecai__reco_scores_free(&s);
  ecai__free(in);
  if (st) return st;
  double nb = baskets ? (double)baskets : 1, nw = with ? (double)with : 1;
  ecai__buf_printf(b,
                   "\"bundles\":{\"baskets\":%zu,\"with_bundle\":%zu,\"bundle_hit@1\":%.4f,\"bundle_hit@3\":%.4f,"
                   "\"top_bundle_size\":%.2f,\"top_bundle_price\":%.2f,\"peer_top2_pair_hit\":%.4f,"
                   "\"peer_top2_no_mmr_hit\":%.4f},",
                   baskets, with, hit1 / nb, hit3 / nb, size1 / nw, price1 / nw, peer / nb, peer2 / nb);
  return ECAI_OK;
}

/* Trending against popularity for an empty cart: the top 10 of each (as of the end of the
   training window) against every test basket: share of baskets holding one of them (all,
   and new visitors: no customer or no training order), share of the test value. */
static ecai_status ev_trending(ecai__buf *b, const ecai_recommend *r, const ev_ctx *e) {
  enum { K = 10, NL = 3 };
  static const char *names[NL] = {"trending", "popularity", "recent_popularity"};
  uint32_t lists[NL][K];
  size_t len[NL] = {0};
  ecai_status st = ECAI_OK;
  for (int l = 0; l < 2; l++) {
    json_t *j = ev_query(r, l == 0 ? json_pack("{s:s, s:i}", "strategy", "trending", "k", K) :
                                     json_pack("{s:s, s:i}", "method", "popularity", "k", K), &st);
    if (st) return st;
    json_t *its = json_object_get(j, "items"), *x;
    size_t i;
    json_array_foreach(its, i, x) {
      const char *id = json_string_value(json_object_get(x, "id"));
      int64_t it = id ? ecai__reco_item_find(r, id, strlen(id)) : -1;
      if (it >= 0 && len[l] < K) lists[l][len[l]++] = (uint32_t)it;
    }
    json_decref(j);
  }
  for (size_t j = 0; j < r->trend_n; j++) { /* orders in the trend window, most first */
    if (!(r->recent[j] > 0)) continue;
    size_t p = len[2] < K ? len[2]++ : K;
    while (p > 0 && r->recent[lists[2][p - 1]] < r->recent[j]) {
      if (p < K) lists[2][p] = lists[2][p - 1];
      p--;
    }
    if (p < K) lists[2][p] = (uint32_t)j;
  }
  double hit[NL] = {0}, nhit[NL] = {0}, val[NL] = {0}, total = 0;
  size_t baskets = 0, newv = 0;
  for (size_t t = 0; t < e->n_inv; t++) {
    const ev_inv *v = &e->inv[t];
    baskets++;
    const reco_cust *cu = v->customer ? ecai__reco_customer(r, v->customer) : NULL;
    bool known = false;
    for (uint32_t c = 0; cu && c < cu->n && !known; c++) known = r->orders[cu->orders[c]].ts < v->ts;
    newv += !known;
    total += basket_value(v);
    for (int l = 0; l < NL; l++) {
      bool any = false;
      for (uint32_t q = 0; q < v->n; q++)
        for (size_t i = 0; i < len[l]; i++)
          if (lists[l][i] == v->items[q]) any = true, val[l] += v->val[q];
      hit[l] += any;
      nhit[l] += any && !known;
    }
  }
  ecai__buf_printf(b, "\"trending\":{\"baskets\":%zu,\"new_visitor_baskets\":%zu,\"k\":%d", baskets, newv, K);
  for (int l = 0; l < NL; l++)
    ecai__buf_printf(b, ",\"%s\":{\"basket_hit_rate\":%.4f,\"new_visitor_hit_rate\":%.4f,\"revenue_share\":%.4f}",
                     names[l], baskets ? hit[l] / (double)baskets : 0.0, newv ? nhit[l] / (double)newv : 0.0,
                     total > 0 ? val[l] / total : 0.0);
  ecai__buf_puts(b, "},");
  return ECAI_OK;
}

/* ---- the evaluation ------------------------------------------------------------------------ */


ecai_status ecai_recommend_evaluate(char **out, size_t *out_len, const ecai_ctx *ctx, const char *path,
                                    int64_t train_before, int64_t test_before, size_t k) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(path);
  if (train_before >= test_before) return ecai__err(ECAI_EINVAL, "eval: --train-before must be before --test-before");
  if (k < 1 || k > 1000) return ecai__err(ECAI_EINVAL, "eval: k must be 1..1000");
  ev_ctx e;
  reco_in *in = NULL;
  reco_hit *hits = NULL;
  reco_scores s = {0};
  uint32_t *slot = NULL;
  ev_acc acc[EV_NM];
  memset(acc, 0, sizeof acc);
  ecai__buf b = {0}, tb = {0};
  double t0 = now_s();
  ecai_status st = ev_load(&e, ctx, path, train_before, test_before);
  ecai_recommend *r = e.r;
  if (st) goto done;
  double t1 = now_s();
  /* the blended weights: chosen on the training months (first half -> later months) */
  ev_w conf = {r->w_rebuy, r->w_hist, r->w_recent, r->w_nbr, r->w_content}, w = conf;
  int64_t mid = e.min_ts + (train_before - e.min_ts) / 2;
  mid -= mid % 86400;
  if ((st = ev_tune(&tb, ctx, path, mid, train_before, k, &w))) goto done;
  double t2 = now_s();
  size_t maxin = 16;
  for (size_t i = 0; i < e.n_inv; i++)
    if (e.inv[i].n > maxin) maxin = e.inv[i].n;
  in = ecai__malloc((maxin + r->n_items) * sizeof *in);
  hits = ecai__malloc(k * sizeof *hits);
  slot = ecai__calloc(r->n_items + 1, sizeof *slot);
  if (!in || !hits || !slot || (st = ecai__reco_scores_init(&s, r->n_items, r->cdim))) {
    if (!st) st = oom();
    goto done;
  }
  for (int m = 0; m < EV_NM; m++)
    if (!(acc[m].seen = ecai__calloc(r->n_items ? r->n_items : 1, 1))) {
      st = oom();
      goto done;
    }
  size_t tests = 0, cold = 0, in_hist = 0, with_hist = 0;
  double hv_all = 0, bv_all = 0, hv_hist = 0;
  for (size_t t = 0; t < e.n_inv; t++) {
    ev_inv *v = &e.inv[t];
    if (v->n < 2) continue;
    tests++;
    uint32_t hidden = hidden_of(v);
    double hv = 0;
    for (uint32_t q = 0; q < v->n; q++)
      if (v->items[q] == hidden) hv = v->val[q];
    hv_all += hv;
    bv_all += basket_value(v);
    bool is_cold = r->items[hidden].orders < r->cold_orders;
    cold += is_cold;
    size_t nin = cart_inputs(v, hidden, in, &s, slot), ncart = nin;
    bool has_hist = false;
    const reco_cust *cu = v->customer ? ecai__reco_customer(r, v->customer) : NULL;
    for (uint32_t c = 0; cu && c < cu->n && !has_hist; c++) has_hist = r->orders[cu->orders[c]].ts < v->ts;
    with_hist += has_hist;
    hv_hist += has_hist ? hv : 0;
    ecai__reco_components(r, in, nin, &s);
    double repeat = 1.0; /* the customer's repeat propensity (blended with history) */
    for (int m = 0; m < EV_NM; m++) {
      if (m == EV_BLENDED || m == EV_BLENDED + 2) { /* the customer's earlier orders as history */
        for (size_t q = ncart; q < nin; q++) slot[in[q].item] = 0;
        nin = ncart;
        ev_w x = m == EV_BLENDED ? w : conf;
        r->w_rebuy = x.w_rebuy;
        r->w_hist = x.w_hist;
        r->w_recent = x.w_recent;
        r->w_nbr = x.w_nbr;
        r->w_content = x.w_content;
        size_t used = v->customer ? ecai__reco_customer_inputs(r, v->customer, v->ts - 1, in, &nin, slot) : 0;
        if (used == SIZE_MAX) {
          st = oom();
          goto done;
        }
        if (m == EV_BLENDED)
          for (size_t z = ncart; z < nin; z++) in_hist += in[z].item == hidden;
        memset(s.nbr, 0, r->n_items * sizeof *s.nbr);
        repeat = used ? ecai__reco_repeat_factor(r, v->customer, v->ts - 1) : 1.0;
        if (!repeat || (used && r->w_nbr > 0 &&
            ecai__reco_neighbours(r, v->customer, v->ts - 1, in + ncart, nin - ncart, s.nbr) == SIZE_MAX)) {
          st = oom();
          goto done;
        }
        ecai__reco_components(r, in, nin, &s);
      }
      if (m == EV_BLENDED + 1) {
        for (size_t q = ncart; q < nin; q++) slot[in[q].item] = 0;
        memset(s.nbr, 0, r->n_items * sizeof *s.nbr);
        nin = ncart;
        ecai__reco_components(r, in, nin, &s);
      }
      reco_opts o = {.k = k, .strategy = RECO_S_MIXED, .method = (reco_method)(m >= EV_BLENDED ? RECO_M_BLENDED : m),
                     .use_mmr = m >= EV_BLENDED, .rebuy = nin > ncart, .repeat = repeat, .min_price = -1,
                     .max_price = -1};
      size_t nh = ecai__reco_rank(r, in, nin, &s, &o, hits);
      if (nh == SIZE_MAX) {
        st = oom();
        goto done;
      }
      for (size_t h = 0; h < nh; h++) {
        if (!acc[m].seen[hits[h].item]) {
          acc[m].seen[hits[h].item] = 1;
          acc[m].distinct++;
        }
        if (hits[h].item != hidden) continue;
        double g = 1.0 / log2((double)h + 2.0);
        acc[m].hit += 1;
        acc[m].ndcg += g;
        acc[m].rev += hv;
        if (is_cold) {
          acc[m].chit += 1;
          acc[m].cndcg += g;
        }
        if (has_hist) {
          acc[m].hhit += 1;
          acc[m].hrev += hv;
        } else {
          acc[m].nhit += 1;
          acc[m].nrev += hv;
        }
      }
    }
    for (size_t q = 0; q < nin; q++) slot[in[q].item] = 0;
  }
  r->w_rebuy = w.w_rebuy; /* the tuned weights for the sections below */
  r->w_hist = w.w_hist;
  r->w_recent = w.w_recent;
  r->w_nbr = w.w_nbr;
  r->w_content = w.w_content;
  double t3 = now_s();
  size_t cat = r->n_items;
  ecai__buf_printf(&b, "{\"test_baskets\":%zu,\"k\":%zu,\"train_orders\":%zu,\"catalog_items\":%zu,"
                       "\"ease_items\":%zu,\"ease_lambda\":%g,\"cold_start_baskets\":%zu,"
                       "\"hidden_in_history\":%zu,\"history_baskets\":%zu,\"hidden_value\":%.2f,"
                       "\"basket_value\":%.2f,",
                   tests, k, r->n_orders, cat, r->ease_n, r->ease_fit_lambda, cold, in_hist, with_hist, hv_all,
                   bv_all);
  ecai__buf_append(&b, tb.data ? tb.data : "", tb.len);
  ecai__buf_puts(&b, "\"methods\":{");
  double nt = tests ? (double)tests : 1, nc = cold ? (double)cold : 1;
  size_t no_hist = tests - with_hist;
  for (int m = 0; m < EV_NM; m++) {
    if (m == EV_BLENDED + 1) ecai__buf_puts(&b, "},\"ablations\":{"); /* not methods: blended variants */
    ecai__buf_printf(&b,
                     "%s\"%s\":{\"hit_rate@%zu\":%.4f,\"ndcg@%zu\":%.4f,\"coverage\":%.4f,"
                     "\"cold_start\":{\"baskets\":%zu,\"hit_rate@%zu\":%.4f,\"ndcg@%zu\":%.4f},"
                     "\"revenue@%zu\":%.4f,\"aov_lift_bound\":%.4f,"
                     "\"with_history\":{\"baskets\":%zu,\"hit_rate@%zu\":%.4f,\"revenue@%zu\":%.4f},"
                     "\"without_history\":{\"baskets\":%zu,\"hit_rate@%zu\":%.4f,\"revenue@%zu\":%.4f}}",
                     (m && m != EV_BLENDED + 1) ? "," : "", ev_names[m], k, acc[m].hit / nt, k, acc[m].ndcg / nt,
                     cat ? (double)acc[m].distinct / (double)cat : 0.0, cold, k, acc[m].chit / nc, k,
                     acc[m].cndcg / nc, k, hv_all > 0 ? acc[m].rev / hv_all : 0.0,
                     bv_all > 0 ? acc[m].rev / bv_all : 0.0, with_hist, k,
                     with_hist ? acc[m].hhit / (double)with_hist : 0.0, k, hv_hist > 0 ? acc[m].hrev / hv_hist : 0.0,
                     no_hist, k, no_hist ? acc[m].nhit / (double)no_hist : 0.0, k,
                     hv_all - hv_hist > 0 ? acc[m].nrev / (hv_all - hv_hist) : 0.0);
  }
  ecai__buf_puts(&b, "},");
  double t4 = now_s();
  if ((st = ev_bundles(&b, r, &e)) || (st = ev_trending(&b, r, &e))) goto done;
  ecai__buf_printf(&b, "\"seconds\":{\"load\":%.2f,\"tune\":%.2f,\"evaluate\":%.2f,\"sections\":%.2f}}", t1 - t0,
                   t2 - t1, t3 - t2, now_s() - t4);
  if (b.oom || tb.oom) {
    st = oom();
    goto done;
  }
  *out = ecai__buf_take(&b, out_len);
done:
  ecai__buf_free(&b);
  ecai__buf_free(&tb);
  for (int m = 0; m < EV_NM; m++) ecai__free(acc[m].seen);
  ecai__reco_scores_free(&s);
  ecai__free(in);
  ecai__free(hits);
  ecai__free(slot);
  ev_free(&e);
  return st;
}
