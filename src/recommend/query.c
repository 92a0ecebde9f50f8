/* ecai_recommend: scoring (components, blend, filters, MMR, reasons) and the JSON query. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recommend/reco.h"

ecai_status ecai__reco_scores_init(reco_scores *s, size_t n, size_t dim) {
  memset(s, 0, sizeof *s);
  size_t m = n ? n : 1;
  s->n = n;
  s->pop = ecai__calloc(m * 7, sizeof(float));
  s->banned = ecai__calloc(m, 1);
  s->qv = ecai__calloc(dim ? dim : 1, sizeof(float));
  s->xq = ecai__calloc(dim ? dim : 1, sizeof(float));
  if (!s->pop || !s->banned || !s->qv || !s->xq) {
    ecai__reco_scores_free(s);
    return ecai__err(ECAI_ENOMEM, "recommend: out of memory (scores)");
  }
  s->raw = s->pop + m;
  s->cos = s->pop + 2 * m;
  s->ease = s->pop + 3 * m;
  s->content = s->pop + 4 * m;
  s->hist = s->pop + 5 * m;
  s->nbr = s->pop + 6 * m;
  return ECAI_OK;
}

void ecai__reco_scores_free(reco_scores *s) {
  ecai__free(s->pop);
  ecai__free(s->banned);
  ecai__free(s->qv);
  ecai__free(s->xq);
  memset(s, 0, sizeof *s);
}

/* Dot product with independent accumulators (lets the compiler vectorise without -ffast-math). */
/* Weight of history items (x recency) in the session vector beside a cart. */
#define RECO_HIST_SESSION 0.1

float ecai__reco_dot(const float *a, const float *b, size_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
    s4 += a[i + 4] * b[i + 4];
    s5 += a[i + 5] * b[i + 5];
    s6 += a[i + 6] * b[i + 6];
    s7 += a[i + 7] * b[i + 7];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}
#define dot ecai__reco_dot

/* Next segment of an "A > B" path: [*b, *e) trimmed; returns the position after it (NULL at the end). */
static const char *seg(const char *p, const char **b, const char **e) {
  while (*p == ' ' || *p == '\t') p++;
  const char *q = p;
  while (*q && *q != '>') q++;
  const char *t = q;
  while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
  *b = p;
  *e = t;
  return *q ? q + 1 : NULL;
}

bool ecai__reco_cat_match(const char *cat, const char *prefix) {
  if (!cat) return false;
  const char *pc = cat, *pp = prefix;
  bool any = false;
  while (pp) {
    const char *pb, *pe, *cb, *ce;
    pp = seg(pp, &pb, &pe);
    if (pb == pe && !pp) break; /* trailing ">" or empty prefix */
    if (!pc) return false;
    pc = seg(pc, &cb, &ce);
    if (pe - pb != ce - cb || strncasecmp(pb, cb, (size_t)(pe - pb)) != 0) return false;
    any = true;
  }
  return any;
}

static bool cat_ok(const ecai_recommend *r, uint32_t j, const reco_opts *o) {
  const char *c = r->items[j].category;
  for (size_t i = 0; i < o->n_cat_out; i++)
    if (ecai__reco_cat_match(c, o->cat_out[i])) return false;
  if (!o->n_cat_in) return true;
  for (size_t i = 0; i < o->n_cat_in; i++)
    if (ecai__reco_cat_match(c, o->cat_in[i])) return true;
  return false;
}


void ecai__reco_components(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s) {
  size_t n = s->n;
  memset(s->pop, 0, n * 6 * sizeof(float));
  /* `content` doubles as scratch for 1/sqrt(orders) until the content pass */
  float *isq = s->content;
  for (size_t j = 0; j < n; j++) {
    s->pop[j] = (float)r->items[j].orders;
    isq[j] = (float)(1.0 / sqrt(r->items[j].orders ? (double)r->items[j].orders : 1.0));
  }
  /* co-occurrence: raw and cosine (count / sqrt(orders_a * orders_b)) */
  for (size_t q = 0; q < nin; q++) {
    uint32_t i = in[q].item;
    if (!in[q].cart) s->hist[i] += (float)in[q].rec; /* re-order signal (used when history is not excluded) */
    if (!(in[q].w > 0)) continue;                     /* e.g. a customer's items at w_history 0 */
    const reco_nbr *nb = &r->nbr[i];
    float w = (float)in[q].w, wi = w * isq[i];
    for (uint32_t c = 0; c < nb->cap; c++) {
      uint32_t key = nb->keys[c];
      if (!key) continue;
      uint32_t j = key - 1;
      float cnt = nb->vals[c];
      s->raw[j] += w * cnt;
      s->cos[j] += wi * cnt * isq[j];
    }
  }
  /* EASE */
  if (r->ease_n) {
    for (size_t q = 0; q < nin; q++) {
      uint32_t i = in[q].item;
      if (!(in[q].w > 0) || i >= r->ease_pos_n || r->ease_pos[i] < 0) continue;
      const float *row = r->ease_b + (size_t)r->ease_pos[i] * r->ease_n;
      float w = (float)in[q].w;
      for (size_t c = 0; c < r->ease_n; c++) s->ease[r->ease_items[c]] += w * row[c];
    }
  }
  /* content: cosine to the weighted mean of the inputs' vectors */
  memset(s->content, 0, n * sizeof(float));
  s->has_q = false;
  if (r->chas) {
    memset(s->qv, 0, r->cdim * sizeof(float));
    bool any_cart = false;
    for (size_t q = 0; q < nin; q++) any_cart |= in[q].cart;
    for (size_t q = 0; q < nin; q++) {
      const float *v = ecai__reco_vec(r, in[q].item);
      /* the session vector: cart items (weight = quantity-free count) plus the browsing /
         purchase history at RECO_HIST_SESSION x its recency weight (half-life); without a
         cart the history is the session. Measured neutral on Online Retail (+-0.001
         hit@10, Oct/Sep 2011): the cart dominates "similar to what you are buying". */
      double w = in[q].cart || !any_cart ? in[q].w : RECO_HIST_SESSION * in[q].rec;
      if (!v || !(w > 0)) continue;
      for (size_t d = 0; d < r->cdim; d++) s->qv[d] += (float)w * v[d];
      s->has_q = true;
    }
    if (s->has_x) {
      for (size_t d = 0; d < r->cdim; d++) s->qv[d] += s->xq[d];
      s->has_q = true;
    }
    if (s->has_q) {
      /* candidates from the vector index (session vector), united with the co-purchase
         candidates (neighbours of the inputs) scored exactly; full scan without an index */
      size_t m = r->cand_m + nin; /* the inputs themselves are often the nearest */
      int64_t *ids = ecai__malloc(m * sizeof *ids);
      float *sc = ecai__malloc(m * sizeof *sc);
      size_t indexed = 0, got = (ids && sc) ? ecai__reco_cindex_search(r, s->qv, m, ids, sc, &indexed) : SIZE_MAX;
      size_t from = 0;
      if (got != SIZE_MAX) {
        for (size_t c = 0; c < got; c++) s->content[ids[c]] = sc[c];
        for (size_t j = 0; j < indexed && j < n; j++) {
          if (!(s->cos[j] > 0) || s->content[j] != 0) continue;
          const float *v = ecai__reco_vec(r, (uint32_t)j);
          if (v) s->content[j] = dot(v, s->qv, r->cdim);
        }
        from = indexed; /* items added after the last build: scanned */
      }
      ecai__free(ids);
      ecai__free(sc);
      for (size_t j = from; j < n; j++) {
        const float *v = ecai__reco_vec(r, (uint32_t)j);
        if (v) s->content[j] = dot(v, s->qv, r->cdim);
      }
      double qq = 0;
      for (size_t d = 0; d < r->cdim; d++) qq += (double)s->qv[d] * s->qv[d];
      if (qq > 0) {
        float inv = (float)(1.0 / sqrt(qq));
        for (size_t j = 0; j < n; j++) s->content[j] *= inv;
      }
    }
  }
}

static float max_of(const float *a, size_t n, const uint8_t *banned) {
  float m = 0;
  for (size_t j = 0; j < n; j++)
    if (!banned[j] && a[j] > m) m = a[j];
  return m;
}

static float sim(const ecai_recommend *r, uint32_t a, uint32_t b) {
  const float *va = ecai__reco_vec(r, a), *vb = ecai__reco_vec(r, b);
  if (va && vb) return dot(va, vb, r->cdim);
  double na = r->items[a].orders, nbb = r->items[b].orders;
  if (na <= 0 || nbb <= 0) return 0;
  return (float)(ecai__reco_cooc(r, a, b) / sqrt(na * nbb));
}

/* 1 for the same category path, 1/2 for the same department (first segment of
   "A > B"), 0 otherwise or without categories; segments compared as the category
   filters compare them (trimmed, case-insensitive). */
static double cat_affinity(const char *a, const char *b) {
  if (!a || !b) return 0;
  if (ecai__reco_cat_match(a, b) && ecai__reco_cat_match(b, a)) return 1;
  const char *ab, *ae, *bb, *be;
  seg(a, &ab, &ae);
  seg(b, &bb, &be);
  return ae > ab && ae - ab == be - bb && !strncasecmp(ab, bb, (size_t)(ae - ab)) ? 0.5 : 0;
}

typedef struct {
  uint32_t j;
  float s;
} cand;

static int cmp_cand(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return x->j < y->j ? -1 : (x->j > y->j);
}

/* Best explanation of item j from the inputs. */
static void explain(const ecai_recommend *r, const reco_in *in, size_t nin, const reco_scores *s, uint32_t j,
                    int method, reco_hit *h) {
  /* trending: "rising" only when the product sold in the window above its own earlier rate */
  h->why = method == RECO_M_TRENDING && j < s->trend_n && s->recent[j] > 0 && s->trend[j] > 1 ? 7 : 0;
  h->because = j;
  if (method == RECO_M_POPULARITY || method == RECO_M_TRENDING) return;
  if (s->hist[j] > 0) {
    h->why = 3;
    return;
  }
  double best = 0;
  int why = 0;
  uint32_t because = j;
  if (method != RECO_M_CONTENT) {
    for (size_t q = 0; q < nin; q++) {
      uint32_t i = in[q].item;
      double c = ecai__reco_cooc(r, i, j);
      double v = c > 0 ? in[q].w * c / sqrt((double)r->items[i].orders * r->items[j].orders) : 0;
      if (v <= 0 && r->ease_n && i < r->ease_pos_n && j < r->ease_pos_n && r->ease_pos[i] >= 0 && r->ease_pos[j] >= 0)
        v = 1e-3 * in[q].w * r->ease_b[(size_t)r->ease_pos[i] * r->ease_n + (size_t)r->ease_pos[j]];
      if (v > best) {
        best = v;
        why = 1;
        because = i;
      }
    }
  }
  if (why == 0) {
    for (size_t q = 0; q < nin; q++) {
      double v = in[q].w * sim(r, in[q].item, j);
      if (v > best) {
        best = v;
        why = 2;
        because = in[q].item;
      }
    }
  }
  if (method == RECO_M_BLENDED && r->w_category > 0 && (why == 0 || (why == 2 && best < 0.5))) {
    /* no co-purchase and at most a weak likeness: the shared category explains it */
    double bc = 0;
    uint32_t bq = because;
    for (size_t q = 0; q < nin; q++) {
      double a = in[q].cart ? cat_affinity(r->items[in[q].item].category, r->items[j].category) : 0;
      if (a > bc) bc = a, bq = in[q].item;
    }
    if (bc > 0) {
      why = bc >= 1 ? 5 : 6;
      because = bq;
    }
  }
  if (why == 0 && method == RECO_M_BLENDED && s->nbr[j] > 0) why = 8; /* from the customer's neighbours */
  if (why == 0 && s->has_x && method != RECO_M_POPULARITY) why = 4;
  h->why = why;
  h->because = because;
}

size_t ecai__reco_rank(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s, const reco_opts *o,
                       reco_hit *hits) {
  size_t n = s->n;
  if (!n || !o->k) return 0;
  float *f = ecai__malloc(n * sizeof *f);
  cand *cs = ecai__malloc(n * sizeof *cs);
  if (!f || !cs) {
    ecai__free(f);
    ecai__free(cs);
    return SIZE_MAX;
  }
  const uint8_t *ban = s->banned;
  switch (o->method) {
  case RECO_M_POPULARITY: memcpy(f, s->pop, n * sizeof *f); break;
  case RECO_M_RAW: memcpy(f, s->raw, n * sizeof *f); break;
  case RECO_M_COSINE: memcpy(f, s->cos, n * sizeof *f); break;
  case RECO_M_EASE: memcpy(f, s->ease, n * sizeof *f); break;
  case RECO_M_CONTENT: memcpy(f, s->content, n * sizeof *f); break;
  case RECO_M_TRENDING: /* recent, rising sales plus popularity (ecai__reco_trend) */
    for (size_t j = 0; j < n; j++) f[j] = j < s->trend_n ? s->hot[j] : 0;
    break;
  case RECO_M_BLENDED: {
    float me = max_of(s->ease, n, ban), mc = max_of(s->cos, n, ban), mp = max_of(s->pop, n, ban);
    float mh = max_of(s->hist, n, ban);
    double we = me > 0 ? r->w_ease / me : 0, wc = mc > 0 ? r->w_cooc / mc : 0;
    double wh = (mh > 0 && !o->exclude_history) ? r->w_rebuy / mh : 0;
    float mn = r->w_nbr > 0 ? max_of(s->nbr, n, ban) : 0;
    double wn = mn > 0 ? r->w_nbr / mn : 0;
    /* the customer's orders: hist is a share of them, in [0, 1]; x the customer's repeat propensity */
    if (o->rebuy) wh = r->w_rebuy * (o->repeat > 0 ? o->repeat : 1.0);
    float mr = 0;
    for (size_t j = 0; r->w_recent > 0 && j < r->trend_n; j++)
      if (!ban[j] && r->recent[j] > mr) mr = r->recent[j];
    double wr = mr > 0 ? r->w_recent / mr : 0;
    double wt = s->has_q ? r->w_content : 0;
    if (!(me > 0) && mc > 0) wc = (r->w_ease + r->w_cooc) / mc; /* no EASE fit: cosine takes its place */
    if (o->strategy == RECO_S_COMPLEMENTARY) wt *= 0.5;         /* complements come from co-purchases */
    if (o->strategy == RECO_S_SIMILAR) {
      we *= 0.1;
      wc *= 0.1;
      wt = s->has_q ? 1.0 : 0;
      if (!s->has_q) wc = mc > 0 ? 1.0 / mc : 0;
    }
    /* Content weight of a candidate = w_content x its lack of order evidence,
       c0 / (c0 + orders) with c0 = cold_orders (1 without orders, 1/2 at c0, -> 0 for
       best-sellers), x (1 + cold_cart_boost x the share of the cart's weight on items
       with fewer than c0 orders): the less order history there is on either side, the
       more content similarity decides. */
    double c0 = r->cold_orders ? (double)r->cold_orders : 1.0, sw = 0, swarm = 0;
    for (size_t q = 0; q < nin; q++) {
      double oq = r->items[in[q].item].orders;
      sw += in[q].w;
      swarm += in[q].w * (oq >= c0 ? 1.0 : oq / c0);
    }
    double cart_boost = 1.0 + r->cold_cart_boost * (sw > 0 ? 1.0 - swarm / sw : 0.0);
    /* the cart's categories: products of the same category or department go with it */
    bool any_cat = false;
    for (size_t q = 0; q < nin && r->w_category > 0; q++) any_cat |= in[q].cart && r->items[in[q].item].category;
    for (size_t j = 0; j < n; j++) {
      double v = we * (s->ease[j] > 0 ? s->ease[j] : 0) + wc * s->cos[j] + wh * s->hist[j] + wn * s->nbr[j];
      double c = s->content[j] > 0 ? s->content[j] : 0;
      double g = c0 / (c0 + r->items[j].orders) * cart_boost;
      double a = 0;
      for (size_t q = 0; any_cat && !ban[j] && q < nin; q++)
        if (in[q].cart) {
          double x = in[q].w * cat_affinity(r->items[in[q].item].category, r->items[j].category);
          if (x > a) a = x;
        }
      if (o->strategy == RECO_S_SIMILAR) v += wt * c;
      else v += (wt * c + r->w_category * (a > 1 ? 1 : a)) * g;
      if (o->strategy == RECO_S_COMPLEMENTARY && c > 0.9) v *= 0.5; /* not a second sofa */
      if (wr > 0 && j < r->trend_n) v += wr * r->recent[j];  /* selling now (season) */
      v += 1e-3 * (mp > 0 ? s->pop[j] / mp : 0);            /* tie-break toward popular */
      f[j] = (float)v;
    }
    break;
  }
  }
  /* price sanity: complements not far above the priciest cart item */
  double cart_max = -1;
  if (o->method == RECO_M_BLENDED && o->strategy != RECO_S_SIMILAR && !o->allow_pricier && r->price_ratio > 0)
    for (size_t q = 0; q < nin; q++)
      if (in[q].cart) {
        double p = ecai__reco_price(r, in[q].item);
        if (p > cart_max) cart_max = p;
      }
  size_t nc = 0;
  for (size_t j = 0; j < n; j++) {
    if (ban[j] || !(f[j] > 0)) continue;
    if ((o->n_cat_in || o->n_cat_out) && !cat_ok(r, (uint32_t)j, o)) continue;
    if (o->min_price >= 0 || o->max_price >= 0 || cart_max > 0) {
      double p = ecai__reco_price(r, (uint32_t)j);
      if ((o->min_price >= 0 || o->max_price >= 0) && p < 0) continue;
      if (o->min_price >= 0 && p < o->min_price) continue;
      if (o->max_price >= 0 && p > o->max_price) continue;
      if (cart_max > 0 && p > cart_max * r->price_ratio) continue;
    }
    cs[nc].j = (uint32_t)j;
    cs[nc].s = f[j];
    nc++;
  }
  ecai__free(f);
  /* keep the best M by partial selection, then sort them */
  size_t m = o->k * 5 < 50 ? 50 : o->k * 5;
  if (nc > m) { /* keep the best m, in place at the front of cs (hn <= c), then sort them */
    size_t hn = 0;
    for (size_t c = 0; c < nc; c++) {
      cand x = cs[c];
      ecai__topk_push(cs, &hn, m, sizeof *cs, cmp_cand, &x);
    }
    nc = hn;
  }
  qsort(cs, nc, sizeof *cs, cmp_cand);
  /* stock filter, lazily over the ranked candidates */
  if (r->stock_fn && o->in_stock) {
    size_t w = 0;
    for (size_t c = 0; c < nc; c++)
      if (r->stock_fn(r->items[cs[c].j].id, r->stock_payload) == 1) cs[w++] = cs[c];
    nc = w;
  }
  size_t out = 0;
  if (o->use_mmr && o->method == RECO_M_BLENDED && r->mmr < 1 && nc > 1) {
    float top = cs[0].s;
    float *maxsim = ecai__calloc(nc, sizeof *maxsim);
    uint8_t *used = ecai__calloc(nc, 1);
    if (maxsim && used) {
      while (out < o->k && out < nc) {
        double best = -1e30;
        size_t bi = 0;
        for (size_t c = 0; c < nc; c++) {
          if (used[c]) continue;
          double v = r->mmr * cs[c].s / top - (1 - r->mmr) * (out ? maxsim[c] : 0);
          if (v > best) {
            best = v;
            bi = c;
          }
        }
        used[bi] = 1;
        hits[out].item = cs[bi].j;
        hits[out].score = cs[bi].s;
        out++;
        for (size_t c = 0; c < nc; c++)
          if (!used[c]) {
            float sv = sim(r, cs[bi].j, cs[c].j);
            if (sv > maxsim[c]) maxsim[c] = sv;
          }
      }
    }
    ecai__free(maxsim);
    ecai__free(used);
  }
  if (!out)
    for (; out < o->k && out < nc; out++) {
      hits[out].item = cs[out].j;
      hits[out].score = cs[out].s;
    }
  ecai__free(cs);
  for (size_t h = 0; h < out; h++) explain(r, in, nin, s, hits[h].item, o->method, &hits[h]);
  return out;
}

/* ---- the customer's own orders ------------------------------------------------------------ */

static int cmp_order_newest(const void *a, const void *b, void *rv) {
  const ecai_recommend *r = rv;
  int64_t x = r->orders[*(const uint32_t *)a].ts, y = r->orders[*(const uint32_t *)b].ts;
  return x > y ? -1 : (x < y);
}

size_t ecai__reco_customer_inputs(const ecai_recommend *r, const char *customer, int64_t now, reco_in *in,
                                  size_t *nin, uint32_t *slot) {
  const reco_cust *c = ecai__reco_customer(r, customer);
  if (!c || !c->n) return 0;
  uint32_t *sel = ecai__malloc(c->n * sizeof *sel);
  if (!sel) return SIZE_MAX;
  size_t m = 0;
  for (uint32_t i = 0; i < c->n; i++)
    if (r->orders[c->orders[i]].ts <= now) sel[m++] = c->orders[i];
  if (m > RECO_MAX_CUSTOMER_ORDERS) { /* the most recent ones */
    qsort_r(sel, m, sizeof *sel, cmp_order_newest, (void *)r);
    m = RECO_MAX_CUSTOMER_ORDERS;
  }
  double tw = 0;
  size_t first = *nin;
  for (size_t i = 0; i < m; i++) {
    const reco_order *o = &r->orders[sel[i]];
    double w = pow(0.5, (double)(now - o->ts) / 86400.0 / r->half_life);
    tw += w;
    for (uint32_t q = 0; q < o->n; q++) {
      uint32_t it = o->items[q];
      if (!slot[it]) {
        in[*nin] = (reco_in){.item = it, .w = 0, .rec = 0, .cart = false};
        slot[it] = (uint32_t)++*nin;
      }
      reco_in *x = &in[slot[it] - 1];
      if (!x->cart && slot[it] > first) x->rec += w;
    }
  }
  /* the recency-weighted share of the customer's orders holding the item, in [0, 1]: as
     comparable between a customer with 2 orders and one with 200 as it is between items */
  for (size_t q = first; q < *nin; q++) {
    in[q].rec = tw > 0 ? in[q].rec / tw : 0;
    in[q].w = r->w_hist * in[q].rec;
  }
  ecai__free(sel);
  return m;
}

void ecai__reco_repeat_counts(const ecai_recommend *r, const reco_cust *c, int64_t now, uint8_t *mark,
                              double *repeats, double *lines) {
  uint32_t first = c->n, m = 0; /* the most recent RECO_MAX_CUSTOMER_ORDERS dated up to now: [first, n) */
  while (first > 0 && m < RECO_MAX_CUSTOMER_ORDERS)
    if (r->orders[c->orders[--first]].ts <= now) m++;
  bool earlier = false;
  for (uint32_t i = first; i < c->n; i++) {
    const reco_order *o = &r->orders[c->orders[i]];
    if (o->ts > now) continue;
    for (uint32_t q = 0; earlier && q < o->n; q++) *repeats += mark[o->items[q]];
    if (earlier) *lines += o->n;
    for (uint32_t q = 0; q < o->n; q++) mark[o->items[q]] = 1;
    earlier = true;
  }
  for (uint32_t i = first; i < c->n; i++) {
    const reco_order *o = &r->orders[c->orders[i]];
    for (uint32_t q = 0; q < o->n; q++) mark[o->items[q]] = 0;
  }
}

double ecai__reco_repeat_factor(const ecai_recommend *r, const char *customer, int64_t now) {
  const reco_cust *c = ecai__reco_customer(r, customer);
  if (!c || !(r->repeat_prior > 0)) return 1.0;
  uint8_t *mark = ecai__calloc(r->n_items ? r->n_items : 1, 1);
  if (!mark) return 0;
  double rep = 0, lines = 0, a = RECO_REPEAT_PRIOR_LINES;
  ecai__reco_repeat_counts(r, c, now, mark, &rep, &lines);
  ecai__free(mark);
  return (rep + a * r->repeat_prior) / (lines + a) / r->repeat_prior;
}

typedef struct {
  uint32_t c;
  float s;
} nbr_cand;

static int cmp_nbr(const void *a, const void *b) {
  const nbr_cand *x = a, *y = b;
  if (x->s != y->s) return x->s > y->s ? -1 : 1;
  return x->c < y->c ? -1 : (x->c > y->c);
}

static uint32_t order_customer(const ecai_recommend *r, uint32_t oi) {
  if (oi < r->ocust_n) return r->ocust[oi];
  const reco_cust *c = r->orders[oi].customer ? ecai__reco_customer(r, r->orders[oi].customer) : NULL;
  return c ? (uint32_t)(c - r->custs) + 1 : 0;
}

size_t ecai__reco_neighbours(const ecai_recommend *r, const char *customer, int64_t now, const reco_in *in,
                             size_t nin, float *out) {
  memset(out, 0, r->n_items * sizeof *out);
  const reco_cust *self = ecai__reco_customer(r, customer);
  if (!self || !nin || !r->n_custs) return 0;
  float *cs = ecai__calloc(r->n_custs, sizeof *cs);
  uint32_t *stamp = ecai__calloc(r->n_custs, sizeof *stamp); /* history slot + 1 that last counted the customer */
  uint32_t *mark = ecai__calloc(r->n_items ? r->n_items : 1, sizeof *mark);
  nbr_cand *top = ecai__malloc((nin > RECO_NBR_K ? nin : RECO_NBR_K) * sizeof *top);
  size_t found = 0, nt = 0;
  if (!cs || !stamp || !mark || !top) {
    found = SIZE_MAX;
    goto done;
  }
  /* the customer's RECO_NBR_ITEMS most bought items (recency share) */
  for (size_t q = 0; q < nin; q++)
    if (in[q].rec > 0) {
      nbr_cand x = {(uint32_t)q, (float)in[q].rec};
      ecai__topk_push(top, &nt, RECO_NBR_ITEMS, sizeof *top, cmp_nbr, &x);
    }
  uint32_t selfi = (uint32_t)(self - r->custs) + 1;
  double no = r->n_orders ? (double)r->n_orders : 1;
  for (size_t t = 0; t < nt; t++) {
    const reco_in *x = &in[top[t].c];
    const reco_plist *pl = &r->iord[x->item];
    float a = (float)(x->rec * log(1.0 + no / (pl->n ? pl->n : 1)));
    for (uint32_t k = pl->n, seen = 0; k > 0 && seen < RECO_NBR_ORDERS; k--) {
      uint32_t oi = pl->o[k - 1];
      if (r->orders[oi].ts > now) continue;
      seen++;
      uint32_t ci = order_customer(r, oi);
      if (!ci || ci == selfi || stamp[ci - 1] == t + 1) continue;
      stamp[ci - 1] = (uint32_t)t + 1;
      cs[ci - 1] += a;
    }
  }
  /* the RECO_NBR_K most alike: shared items over the square root of their order count */
  nt = 0;
  for (uint32_t c = 0; c < r->n_custs; c++)
    if (cs[c] > 0) {
      uint32_t m = r->custs[c].n < RECO_MAX_CUSTOMER_ORDERS ? r->custs[c].n : RECO_MAX_CUSTOMER_ORDERS;
      nbr_cand x = {c, (float)(cs[c] / sqrt(m ? (double)m : 1.0))};
      ecai__topk_push(top, &nt, RECO_NBR_K, sizeof *top, cmp_nbr, &x);
    }
  for (size_t t = 0; t < nt; t++) { /* each adds its similarity to the items of its recent orders */
    const reco_cust *c = &r->custs[top[t].c];
    found++;
    for (uint32_t k = c->n, used = 0; k > 0 && used < RECO_NBR_CUST_ORDERS; k--) {
      const reco_order *o = &r->orders[c->orders[k - 1]];
      if (o->ts > now) continue;
      used++;
      for (uint32_t z = 0; z < o->n; z++)
        if (mark[o->items[z]] != t + 1) {
          mark[o->items[z]] = (uint32_t)t + 1;
          out[o->items[z]] += top[t].s;
        }
    }
  }
done:
  ecai__free(cs);
  ecai__free(stamp);
  ecai__free(mark);
  ecai__free(top);
  return found;
}

/* ---- bundles ------------------------------------------------------------------------------- */

typedef struct {
  uint8_t a, b, c; /* candidate positions; c = 0xFF for a pair */
  float n;         /* orders holding all of them (with a cart item) */
  float w;         /* the order: ecai__reco_bundle_weight of the set */
} reco_bundle;

double ecai__reco_bundle_weight(const float *rel, const float *lift, int n) {
  double w = 1;
  for (int x = 0; x < n; x++) {
    double v = rel[x];
    for (int y = 0; y < n; y++)
      if (y != x) v += RECO_BUNDLE_LIFT * lift[y * n + x];
    v *= RECO_BUNDLE_CALIBRATION;
    w *= v > 1 ? 1 : v > 0 ? v : 0;
  }
  return w;
}

/* lift[a][b]: what the blend adds to candidate b's score when a joins the cart, in the
   blend's units (EASE weight b of row a over the largest EASE score, plus cosine
   co-occurrence over the largest cosine score, as ecai__reco_rank weighs them). */
static void bundle_lifts(const ecai_recommend *r, const reco_scores *s, const reco_hit *top, size_t nc,
                         float lift[RECO_BUNDLE_CANDIDATES][RECO_BUNDLE_CANDIDATES]) {
  float me = max_of(s->ease, s->n, s->banned), mc = max_of(s->cos, s->n, s->banned);
  double we = me > 0 ? r->w_ease / me : 0, wc = mc > 0 ? r->w_cooc / mc : 0;
  if (!(me > 0) && mc > 0) wc = (r->w_ease + r->w_cooc) / mc; /* no EASE fit: as in the blend */
  for (size_t a = 0; a < nc; a++)
    for (size_t b = 0; b < nc; b++) {
      uint32_t ia = top[a].item, ib = top[b].item;
      double v = 0;
      if (a != b && r->ease_n && ia < r->ease_pos_n && ib < r->ease_pos_n && r->ease_pos[ia] >= 0 &&
          r->ease_pos[ib] >= 0) {
        float e = r->ease_b[(size_t)r->ease_pos[ia] * r->ease_n + (size_t)r->ease_pos[ib]];
        if (e > 0) v += we * e;
      }
      double c = a != b ? ecai__reco_cooc(r, ia, ib) : 0, na = r->items[ia].orders, nbb = r->items[ib].orders;
      if (c > 0 && na > 0 && nbb > 0) v += wc * c / sqrt(na * nbb);
      lift[a][b] = (float)v;
    }
}

static int cmp_bundle(const void *x, const void *y) {
  const reco_bundle *p = x, *q = y;
  if (p->w != q->w) return p->w > q->w ? -1 : 1;
  if (p->n != q->n) return p->n > q->n ? -1 : 1;
  if ((p->c != 0xFF) != (q->c != 0xFF)) return p->c != 0xFF ? -1 : 1; /* same support: the bigger set */
  return memcmp(p, q, 3);
}

ecai_status ecai__reco_bundles(const ecai_recommend *r, const reco_in *in, size_t nin, reco_scores *s,
                               const reco_opts *o, json_t *arr) {
  enum { M = RECO_BUNDLE_CANDIDATES };
  reco_hit top[M];
  reco_opts co = *o;
  co.k = M;
  co.use_mmr = false;
  co.strategy = RECO_S_MIXED;
  size_t nc = ecai__reco_rank(r, in, nin, s, &co, top);
  if (nc == SIZE_MAX) return ecai__err(ECAI_ENOMEM, "recommend: out of memory (bundles)");
  size_t n = r->n_items ? r->n_items : 1;
  uint8_t *pos = ecai__calloc(n, 1);
  float *cnt = ecai__calloc((size_t)M * M * M, sizeof *cnt); /* [a][b][a] = pair, [a][b][c] = triple, a < b < c */
  reco_bundle *bs = ecai__malloc((size_t)M * M * M * sizeof *bs);
  ecai_status st = ECAI_OK;
  if (!pos || !cnt || !bs) {
    st = ecai__err(ECAI_ENOMEM, "recommend: out of memory (bundles)");
    goto done;
  }
  bool any_cart = false;
  for (size_t q = 0; q < nin; q++) any_cart |= in[q].cart;
  for (size_t c = 0; c < nc; c++) pos[top[c].item] = (uint8_t)(c + 1);
  /* the orders to count in: the most recent RECO_BUNDLE_MAX_ORDERS holding a cart item (taken
     round-robin from the end of each cart item's order list, each once), or without a cart
     the most recent orders */
  size_t anchors = 0, nlist = 0;
  uint32_t *olist = NULL, *next = NULL;
  uint8_t *seen = NULL;
  if (any_cart) {
    olist = ecai__malloc(RECO_BUNDLE_MAX_ORDERS * sizeof *olist);
    next = ecai__malloc((nin ? nin : 1) * sizeof *next);
    seen = ecai__calloc(r->n_orders ? r->n_orders : 1, 1);
    if (!olist || !next || !seen) {
      ecai__free(olist);
      ecai__free(next);
      ecai__free(seen);
      st = ecai__err(ECAI_ENOMEM, "recommend: out of memory (bundles)");
      goto done;
    }
    for (size_t q = 0; q < nin; q++) next[q] = in[q].cart ? r->iord[in[q].item].n : 0;
    for (bool more = true; more && nlist < RECO_BUNDLE_MAX_ORDERS;) {
      more = false;
      for (size_t q = 0; q < nin && nlist < RECO_BUNDLE_MAX_ORDERS; q++) {
        if (!next[q]) continue;
        uint32_t oi = r->iord[in[q].item].o[--next[q]];
        more = true;
        if (!seen[oi]) seen[oi] = 1, olist[nlist++] = oi;
      }
    }
    ecai__free(next);
    ecai__free(seen);
  }
  size_t nord = any_cart ? nlist : (r->n_orders < RECO_BUNDLE_MAX_ORDERS ? r->n_orders : RECO_BUNDLE_MAX_ORDERS);
  for (size_t i = 0; i < nord; i++) {
    const reco_order *od = &r->orders[any_cart ? olist[i] : r->n_orders - 1 - i];
    uint8_t l[M];
    size_t m = 0;
    for (uint32_t q = 0; q < od->n; q++) {
      uint32_t it = od->items[q];
      if (pos[it] && m < M) l[m++] = (uint8_t)(pos[it] - 1);
    }
    anchors++;
    if (m < 2) continue;
    for (size_t x = 1; x < m; x++) /* sort the few positions */
      for (size_t y = x; y > 0 && l[y - 1] > l[y]; y--) {
        uint8_t t = l[y];
        l[y] = l[y - 1];
        l[y - 1] = t;
      }
    for (size_t x = 0; x < m; x++)
      for (size_t y = x + 1; y < m; y++) {
        cnt[((size_t)l[x] * M + l[y]) * M + l[x]] += 1;
        for (size_t z = y + 1; z < m; z++) cnt[((size_t)l[x] * M + l[y]) * M + l[z]] += 1;
      }
  }
  size_t nb = 0;
  for (size_t a = 0; a < nc; a++)
    for (size_t b = a + 1; b < nc; b++) {
      float pn = cnt[(a * M + b) * M + a];
      if (pn >= RECO_BUNDLE_MIN_ORDERS) bs[nb++] = (reco_bundle){(uint8_t)a, (uint8_t)b, 0xFF, pn, 0};
      for (size_t c = b + 1; c < nc && pn >= RECO_BUNDLE_MIN_ORDERS; c++) {
        float tn = cnt[(a * M + b) * M + c];
        if (tn >= RECO_BUNDLE_MIN_ORDERS) bs[nb++] = (reco_bundle){(uint8_t)a, (uint8_t)b, (uint8_t)c, tn, 0};
      }
    }
  /* order: the chance that the whole set joins the cart (ecai__reco_bundle_weight); the
     co-purchase count only admits a set */
  float lift[M][M];
  bundle_lifts(r, s, top, nc, lift);
  double t0 = nc && top[0].score > 0 ? top[0].score : 1;
  for (size_t i = 0; i < nb; i++) {
    uint8_t ps[3] = {bs[i].a, bs[i].b, bs[i].c};
    float rel[3], lf[9]; /* sz x sz, row = the member that joins the cart */
    int sz = bs[i].c == 0xFF ? 2 : 3;
    for (int x = 0; x < sz; x++) {
      rel[x] = (float)(top[ps[x]].score / t0);
      for (int y = 0; y < sz; y++) lf[y * sz + x] = lift[ps[y]][ps[x]];
    }
    bs[i].w = (float)ecai__reco_bundle_weight(rel, lf, sz);
  }
  ecai__free(olist);
  qsort(bs, nb, sizeof *bs, cmp_bundle);
  const char *anchor_title = NULL;
  size_t ncart = 0;
  for (size_t q = 0; q < nin; q++)
    if (in[q].cart) {
      ncart++;
      const reco_item *ci = &r->items[in[q].item];
      anchor_title = ci->title ? ci->title : ci->id;
    }
  for (size_t i = 0; i < nb && i < o->k; i++) {
    json_t *b = json_object(), *its = json_array();
    if (!b || !its) {
      json_decref(b);
      json_decref(its);
      st = ecai__err(ECAI_ENOMEM, "recommend: out of memory (bundles)");
      goto done;
    }
    uint8_t ps[3] = {bs[i].a, bs[i].b, bs[i].c};
    double price = 0;
    bool priced = true;
    for (int x = 0; x < 3 && ps[x] != 0xFF; x++) {
      const reco_item *it = &r->items[top[ps[x]].item];
      double p = ecai__reco_price(r, top[ps[x]].item);
      json_t *e = json_pack("{s:s}", "id", it->id);
      if (e && it->title) json_object_set_new(e, "title", json_string(it->title));
      if (e && p >= 0) json_object_set_new(e, "price", json_real(p));
      json_array_append_new(its, e);
      if (p >= 0) price += p;
      else priced = false;
    }
    char reason[400];
    if (!any_cart)
      snprintf(reason, sizeof reason, "often bought together: %.0f orders held all of them", (double)bs[i].n);
    else if (ncart == 1)
      snprintf(reason, sizeof reason, "bought together with %.280s in %.0f of its %zu orders", anchor_title,
               (double)bs[i].n, anchors);
    else
      snprintf(reason, sizeof reason, "bought together with items in your cart in %.0f of %zu orders",
               (double)bs[i].n, anchors);
    json_object_set_new(b, "items", its);
    json_object_set_new(b, "price", priced ? json_real(price) : json_null());
    json_object_set_new(b, "orders", json_integer((json_int_t)bs[i].n));
    json_object_set_new(b, "score", json_real(anchors ? bs[i].n / (double)anchors : 0));
    json_object_set_new(b, "reason", json_string(reason));
    json_array_append_new(arr, b);
  }
done:
  ecai__free(pos);
  ecai__free(cnt);
  ecai__free(bs);
  return st;
}

/* ---- JSON query --------------------------------------------------------------------------- */

static ecai_status bad(const char *field, const char *what) {
  return ecai__err(ECAI_EINVAL, "recommend request: \"%s\" %s", field, what);
}

static ecai_status read_bool(json_t *req, const char *key, bool *out) {
  json_t *v = json_object_get(req, key);
  if (!v) return ECAI_OK;
  if (!json_is_boolean(v)) return bad(key, "must be true or false");
  *out = json_is_true(v);
  return ECAI_OK;
}

static ecai_status read_num(json_t *req, const char *key, double *out) {
  json_t *v = json_object_get(req, key);
  if (!v || json_is_null(v)) return ECAI_OK;
  if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
    return bad(key, "must be a non-negative number");
  *out = json_number_value(v);
  return ECAI_OK;
}

/* A list of category paths (strings borrowed from req; the array is ecai__malloc'ed). */
static ecai_status read_cats(json_t *req, const char *key, const char ***out, size_t *n) {
  json_t *v = json_object_get(req, key);
  *n = 0;
  if (!v || json_is_null(v)) return ECAI_OK;
  if (json_is_string(v)) { /* one path */
    *out = ecai__malloc(sizeof **out);
    if (!*out) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
    (*out)[(*n)++] = json_string_value(v);
    return ECAI_OK;
  }
  if (!json_is_array(v)) return bad(key, "must be a category path or an array of them");
  *out = ecai__malloc((json_array_size(v) + 1) * sizeof **out);
  if (!*out) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) {
    if (!json_is_string(e) || !json_string_value(e)[0]) return bad(key, "must hold non-empty category paths");
    (*out)[(*n)++] = json_string_value(e);
  }
  return ECAI_OK;
}

/* The trend the "trending" strategy ranks by: the model's (as of its last fit) or, with
 * "now" given or none stored, one as of now (the newest order when now < 0) in *tfree,
 * which the caller frees. */
static ecai_status use_trend(const ecai_recommend *r, reco_scores *s, double now, float **tfree) {
  if (now < 0 && r->recent) {
    s->recent = r->recent;
    s->trend = r->trend;
    s->hot = r->hot;
    s->trend_n = r->trend_n;
    return ECAI_OK;
  }
  int64_t tn = (int64_t)now;
  for (size_t i = 0; now < 0 && i < r->n_orders; i++)
    if (i == 0 || r->orders[i].ts > tn) tn = r->orders[i].ts;
  float *t = *tfree = ecai__malloc((r->n_items ? r->n_items : 1) * 3 * sizeof *t);
  if (!t) return ecai__err(ECAI_ENOMEM, "recommend: out of memory");
  ecai__reco_trend(r, tn, t, t + r->n_items, t + 2 * r->n_items);
  s->recent = t;
  s->trend = t + r->n_items;
  s->hot = t + 2 * r->n_items;
  s->trend_n = r->n_items;
  return ECAI_OK;
}

/* One recommended item as JSON: id, score, reason (why it was chosen), title. */
static json_t *hit_json(const ecai_recommend *r, const reco_hit *hit, const reco_scores *s) {
  json_t *it = json_object();
  char reason[320];
  const reco_item *b = &r->items[hit->because];
  const char *bt = b->title ? b->title : b->id;
  switch (hit->why) {
  case 1: snprintf(reason, sizeof reason, "often bought with %.280s", bt); break;
  case 2: snprintf(reason, sizeof reason, "similar to %.280s", bt); break;
  case 3: snprintf(reason, sizeof reason, "you ordered this before"); break;
  case 4: snprintf(reason, sizeof reason, "similar to items in your cart"); break;
  case 5: snprintf(reason, sizeof reason, "goes with %.280s (same category)", bt); break;
  case 6: snprintf(reason, sizeof reason, "goes with %.280s (same department)", bt); break;
  case 8: snprintf(reason, sizeof reason, "bought by customers who buy what you buy"); break;
  case 7:
    snprintf(reason, sizeof reason, "trending: %.0f orders in the last %d days, %.1fx its earlier rate",
             (double)s->recent[hit->item], RECO_TREND_DAYS, (double)s->trend[hit->item]);
    break;
  default: snprintf(reason, sizeof reason, "popular with other shoppers"); break;
  }
  json_object_set_new(it, "id", json_string(r->items[hit->item].id));
  json_object_set_new(it, "score", json_real(hit->score));
  json_object_set_new(it, "reason", json_string(reason));
  if (r->items[hit->item].title) json_object_set_new(it, "title", json_string(r->items[hit->item].title));
  return it;
}

/* reply as compact JSON in *out (the library's allocator) and its length. */
static ecai_status dump_reply(const json_t *reply, char **out, size_t *out_len) {
  char *js = json_dumps(reply, JSON_COMPACT | JSON_REAL_PRECISION(6));
  size_t jn = js ? strlen(js) : 0;
  *out = js ? ecai__strndup(js, jn) : NULL;
  free(js); /* jansson's allocator */
  if (!*out) return ecai__err(ECAI_ENOMEM, "recommend: out of memory serialising the reply");
  if (out_len) *out_len = jn;
  return ECAI_OK;
}

/* The request's "customer" (a non-empty string, or an integer written into buf), or NULL. */
static ecai_status read_customer(json_t *j, char *buf, size_t cap, const char **customer) {
  json_t *cj = json_object_get(j, "customer");
  *customer = NULL;
  if (json_is_string(cj) && json_string_value(cj)[0]) *customer = json_string_value(cj);
  else if (json_is_integer(cj)) snprintf(buf, cap, "%lld", (long long)json_integer_value(cj)), *customer = buf;
  else if (cj && !json_is_null(cj)) return bad("customer", "must be a customer id (non-empty string or integer)");
  return ECAI_OK;
}

/* Reads the request's options (every key checked, ranges and enums validated) into *o,
 * "now" into *now (unchanged when absent) and the category lists (the caller frees them). */
static ecai_status read_opts(json_t *j, reco_opts *o, double *now, const char ***cat_in, const char ***cat_out) {
  if (!json_is_object(j)) return ecai__err(ECAI_EINVAL, "recommend request: must be a JSON object");
  static const char *known[] = {"cart", "history", "k", "strategy", "exclude", "min_price", "max_price",
                                "allow_pricier", "now", "exclude_history", "in_stock", "method", "categories",
                                "exclude_categories", "customer", NULL};
  const char *key;
  json_t *val;
  json_object_foreach(j, key, val) {
    bool ok = false;
    for (int i = 0; known[i]; i++) ok |= !strcmp(known[i], key);
    if (!ok) return ecai__err(ECAI_EINVAL, "recommend request: unknown field \"%s\"", key);
  }
  json_t *kj = json_object_get(j, "k");
  if (kj) {
    if (!json_is_integer(kj) || json_integer_value(kj) < 1 || json_integer_value(kj) > 1000)
      return bad("k", "must be an integer in 1..1000");
    o->k = (size_t)json_integer_value(kj);
  }
  json_t *sj = json_object_get(j, "strategy");
  if (sj) {
    const char *sv = json_string_value(sj);
    if (sv && !strcmp(sv, "mixed")) o->strategy = RECO_S_MIXED;
    else if (sv && !strcmp(sv, "complementary")) o->strategy = RECO_S_COMPLEMENTARY;
    else if (sv && !strcmp(sv, "similar")) o->strategy = RECO_S_SIMILAR;
    else if (sv && !strcmp(sv, "trending")) o->strategy = RECO_S_TRENDING;
    else if (sv && !strcmp(sv, "bundle")) o->strategy = RECO_S_BUNDLE;
    else return bad("strategy", "must be \"mixed\", \"complementary\", \"similar\", \"trending\" or \"bundle\"");
  }
  json_t *mj = json_object_get(j, "method");
  if (mj) {
    static const char *ms[] = {"popularity", "cooccurrence", "cosine", "ease", "content", "blended"};
    const char *mv = json_string_value(mj);
    int found = -1;
    for (int i = 0; mv && i < 6; i++)
      if (!strcmp(ms[i], mv)) found = i;
    if (found < 0) return bad("method", "must be popularity|cooccurrence|cosine|ease|content|blended");
    o->method = (reco_method)found;
  }
  ecai_status st;
  if ((st = read_bool(j, "exclude_history", &o->exclude_history)) ||
      (st = read_bool(j, "allow_pricier", &o->allow_pricier)) || (st = read_bool(j, "in_stock", &o->in_stock)) ||
      (st = read_num(j, "min_price", &o->min_price)) || (st = read_num(j, "max_price", &o->max_price)) ||
      (st = read_num(j, "now", now)))
    return st;
  if ((st = read_cats(j, "categories", cat_in, &o->n_cat_in)) ||
      (st = read_cats(j, "exclude_categories", cat_out, &o->n_cat_out)))
    return st;
  return ECAI_OK;
}

ecai_status ecai_recommend_query(char **out, size_t *out_len, const ecai_recommend *r, const char *req, size_t len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(r);
  ECAI__CHECK_ARG(req);
  json_t *j = NULL;
  ecai_status st = ecai__json_parse(&j, req, len, "recommend request");
  if (st) return st;
  reco_in *in = NULL;
  reco_hit *hits = NULL;
  reco_scores s = {0};
  float *tfree = NULL;
  json_t *reply = NULL, *unknown = json_array();
  const char **cat_in = NULL, **cat_out = NULL;
  reco_opts o = {.k = 10, .strategy = RECO_S_MIXED, .method = RECO_M_BLENDED, .exclude_history = true,
                 .in_stock = true, .use_mmr = true, .min_price = -1, .max_price = -1};
  double now = -1;
  if ((st = read_opts(j, &o, &now, &cat_in, &cat_out))) goto done;
  o.cat_in = cat_in;
  o.cat_out = cat_out;
  json_t *cart = json_object_get(j, "cart"), *hist = json_object_get(j, "history"), *excl = json_object_get(j, "exclude");
  if ((cart && !json_is_array(cart)) || (hist && !json_is_array(hist)) || (excl && !json_is_array(excl))) {
    st = ecai__err(ECAI_EINVAL, "recommend request: \"cart\", \"history\" and \"exclude\" must be arrays");
    goto done;
  }
  char cbuf[32];
  const char *customer = NULL;
  if ((st = read_customer(j, cbuf, sizeof cbuf, &customer))) goto done;
  size_t ncart = cart ? json_array_size(cart) : 0, nhist = hist ? json_array_size(hist) : 0;
  in = ecai__malloc((ncart + nhist + 1 + (customer ? r->n_items : 0)) * sizeof *in);
  hits = ecai__malloc(o.k * sizeof *hits);
  if (!in || !hits || !unknown) {
    st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
    goto done;
  }
  if ((st = ecai__reco_scores_init(&s, r->n_items, r->cdim))) goto done;
  size_t nin = 0;
  /* timestamps of history items: recency relative to `now` (default: the newest one) */
  if (now < 0)
    for (size_t i = 0; i < nhist; i++) {
      json_t *t = json_object_get(json_array_get(hist, i), "ts");
      if (json_is_number(t) && json_number_value(t) > now) now = json_number_value(t);
    }
  for (int pass = 0; pass < 2; pass++) {
    json_t *arr = pass == 0 ? cart : hist;
    size_t na = pass == 0 ? ncart : nhist;
    for (size_t i = 0; i < na; i++) {
      json_t *e = json_array_get(arr, i), *idj = e;
      double w = 1.0;
      if (json_is_object(e)) {
        idj = json_object_get(e, "id");
        json_t *t = json_object_get(e, "ts");
        if (pass == 1 && t) {
          if (!json_is_number(t)) {
            st = bad("history", "entries' \"ts\" must be numbers");
            goto done;
          }
          double age_days = (now - json_number_value(t)) / 86400.0;
          if (age_days < 0) age_days = 0;
          w *= pow(0.5, age_days / r->half_life);
        }
        json_t *qj = json_object_get(e, "qty");
        if (qj && (!json_is_number(qj) || !(json_number_value(qj) > 0))) {
          st = bad(pass == 0 ? "cart" : "history", "entries' \"qty\" must be positive numbers");
          goto done;
        }
      }
      const char *id = json_string_value(idj);
      if (!id || !id[0]) {
        st = bad(pass == 0 ? "cart" : "history", "entries must be product ids or {\"id\": ...} objects");
        goto done;
      }
      int64_t it = ecai__reco_item_find(r, id, strlen(id));
      if (it < 0) {
        json_array_append_new(unknown, json_string(id));
        /* a product the model has never seen: its content vector can still steer the request */
        if (pass == 0 && r->content_kind == RECO_CONTENT_FN && r->vec_fn) {
          float *v = ecai__malloc(r->cdim * sizeof *v);
          if (!v) {
            st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
            goto done;
          }
          if (r->vec_fn(v, r->cdim, id, r->vec_payload) == 1) {
            double ss = 0;
            for (size_t d = 0; d < r->cdim; d++) ss += (double)v[d] * v[d];
            if (ss > 0 && isfinite(ss)) {
              for (size_t d = 0; d < r->cdim; d++) s.xq[d] += (float)(v[d] / sqrt(ss));
              s.has_x = true;
            }
          }
          ecai__free(v);
        }
        continue;
      }
      if (pass == 0) s.banned[it] = 1;
      else if (o.exclude_history) s.banned[it] = 1;
      /* merge duplicates */
      size_t q = 0;
      while (q < nin && in[q].item != (uint32_t)it) q++;
      if (q == nin) {
        in[nin].item = (uint32_t)it;
        in[nin].w = 0;
        in[nin].rec = 0;
        in[nin].cart = pass == 0;
        nin++;
      }
      if (pass == 0) in[q].w += w;
      else if (!in[q].cart) {
        in[q].w += r->w_hist * w;
        in[q].rec += w;
      }
    }
  }
  /* the customer's own orders: purchase history (re-orders allowed unless "exclude_history" is true) */
  size_t cust_orders = 0;
  if (customer) {
    const reco_cust *cu = ecai__reco_customer(r, customer);
    uint32_t *slot = cu ? ecai__calloc(r->n_items ? r->n_items : 1, sizeof *slot) : NULL;
    if (cu && !slot) {
      st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
      goto done;
    }
    for (size_t q = 0; slot && q < nin; q++) slot[in[q].item] = (uint32_t)q + 1;
    int64_t cnow = (int64_t)now;
    if (cu && now < 0) /* default: the customer's newest order */
      for (uint32_t i = 0; i < cu->n; i++)
        if (i == 0 || r->orders[cu->orders[i]].ts > cnow) cnow = r->orders[cu->orders[i]].ts;
    size_t first = nin;
    cust_orders = cu ? ecai__reco_customer_inputs(r, customer, cnow, in, &nin, slot) : 0;
    ecai__free(slot);
    if (cust_orders == SIZE_MAX) {
      st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
      goto done;
    }
    if (cust_orders && r->w_nbr > 0 && ecai__reco_neighbours(r, customer, cnow, in + first, nin - first, s.nbr) == SIZE_MAX) {
      st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
      goto done;
    }
    if (cust_orders && !json_object_get(j, "exclude_history")) o.rebuy = true;
    if (o.rebuy && !(o.repeat = ecai__reco_repeat_factor(r, customer, cnow))) {
      st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
      goto done;
    }
    for (size_t q = first; q < nin && o.exclude_history && !o.rebuy; q++) s.banned[in[q].item] = 1;
  }
  bool any_cart = false;
  for (size_t q = 0; q < nin; q++) any_cart |= in[q].cart;
  if (!any_cart) /* browsing history alone: it is the session */
    for (size_t q = 0; q < nin; q++) in[q].w = in[q].rec;
  for (size_t i = 0; excl && i < json_array_size(excl); i++) {
    const char *id = json_string_value(json_array_get(excl, i));
    if (!id) {
      st = bad("exclude", "must hold product ids");
      goto done;
    }
    int64_t it = ecai__reco_item_find(r, id, strlen(id));
    if (it >= 0) s.banned[it] = 1;
  }
  ecai__reco_components(r, in, nin, &s);
  if (nin == 0 && !s.has_x && o.method != RECO_M_POPULARITY) o.method = RECO_M_POPULARITY; /* nothing known: popular items */
  if (o.strategy == RECO_S_TRENDING) { /* the model's trend (as of its last fit) or one as of "now" */
    o.method = RECO_M_TRENDING;
    o.use_mmr = false;
    if ((st = use_trend(r, &s, now, &tfree))) goto done;
  }
  reply = json_object();
  json_t *items = json_array(), *bund = o.strategy == RECO_S_BUNDLE ? json_array() : NULL;
  if (!reply || !items || (o.strategy == RECO_S_BUNDLE && !bund)) {
    json_decref(items);
    json_decref(bund);
    st = ecai__err(ECAI_ENOMEM, "recommend: out of memory");
    goto done;
  }
  json_object_set_new(reply, "items", items);
  size_t nh = 0;
  if (bund) {
    json_object_set_new(reply, "bundles", bund);
    st = ecai__reco_bundles(r, in, nin, &s, &o, bund);
    if (st) goto done;
  } else if ((nh = ecai__reco_rank(r, in, nin, &s, &o, hits)) == SIZE_MAX) {
    st = ecai__err(ECAI_ENOMEM, "recommend: out of memory (ranking)");
    goto done;
  }
  static const char *snames[] = {"mixed", "complementary", "similar", "trending", "bundle"};
  for (size_t h = 0; h < nh; h++) json_array_append_new(items, hit_json(r, &hits[h], &s));
  json_object_set_new(reply, "strategy", json_string(snames[o.strategy]));
  json_object_set(reply, "unknown", unknown);
  if (customer)
    json_object_set_new(reply, "customer", json_pack("{s:s, s:b, s:I}", "id", customer, "known",
                                                     ecai__reco_customer(r, customer) != NULL, "orders_used",
                                                     (json_int_t)cust_orders));
  st = dump_reply(reply, out, out_len);
done:
  ecai__free(cat_in);
  ecai__free(cat_out);
  json_decref(reply);
  json_decref(unknown);
  json_decref(j);
  ecai__free(in);
  ecai__free(hits);
  ecai__free(tfree);
  ecai__reco_scores_free(&s);
  return st;
}
