/* The support confidence: a logistic regression over retrieval features, fitted on the
 * knowledge base's examples by leave-one-question-out (each labelled question retrieved
 * with its own examples taken out, labelled by whether the best entry is one of its
 * entries). Few examples: not fitted, the fixed rule of support.c applies. */
#include <math.h>
#include <string.h>

#include "support/support_internal.h"

enum { MIN_QUESTIONS = 20, MIN_CLASS = 5, MAX_QUESTIONS = 2000, LAG_MIN_QUESTIONS = 200 };
static const double L2 = 1.0; /* ridge on the weights (not the bias): features lie in [0,1] */

static void feats_vec(const ecai__kb_feats *f, double *x) {
  x[0] = 1;
  x[1] = f->coverage;
  x[2] = f->cosine;
  x[3] = f->margin > 1 ? 1 : f->margin;
  x[4] = f->ex_top;
  x[5] = f->ex_esc;
  x[6] = (f->nterms < 8 ? (double)f->nterms : 8.0) / 8.0;
}

double ecai__kb_model_prob(const ecai__kb_model *m, const ecai__kb_feats *f) {
  double x[ECAI__KB_NF], z = 0;
  feats_vec(f, x);
  for (int i = 0; i < ECAI__KB_NF; i++) z += m->w[i] * x[i];
  double p = 1.0 / (1.0 + exp(-z));
  /* A question (nearly) the same as a resolved one: leave-one-question-out cannot see
   * this case (the question's own examples are out), so it is a rule, not a weight. */
  if (f->ex_top >= ECAI__KB_EX_TRUST && f->ex_top > f->ex_esc && f->ex_top > p) p = f->ex_top;
  return p;
}

/* Solves A x = b (n x n, row-major) by Gaussian elimination with partial pivoting. */
static bool solve(double *a, double *b, int n) {
  for (int c = 0; c < n; c++) {
    int p = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(a[r * n + c]) > fabs(a[p * n + c])) p = r;
    if (fabs(a[p * n + c]) < 1e-12) return false;
    if (p != c) {
      for (int k = 0; k < n; k++) {
        double t = a[c * n + k];
        a[c * n + k] = a[p * n + k];
        a[p * n + k] = t;
      }
      double t = b[c];
      b[c] = b[p];
      b[p] = t;
    }
    for (int r = c + 1; r < n; r++) {
      double f = a[r * n + c] / a[c * n + c];
      for (int k = c; k < n; k++) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (int c = n - 1; c >= 0; c--) {
    for (int k = c + 1; k < n; k++) b[c] -= a[c * n + k] * b[k];
    b[c] /= a[c * n + c];
  }
  return true;
}

/* Newton's method (IRLS) for the ridge-penalised logistic likelihood. */
static void fit_logistic(const double *x, const double *y, size_t n, double *w) {
  enum { F = ECAI__KB_NF };
  memset(w, 0, F * sizeof *w);
  for (int it = 0; it < 30; it++) {
    double h[F * F] = {0}, g[F] = {0};
    for (int i = 1; i < F; i++) h[i * F + i] = L2, g[i] = -L2 * w[i];
    for (size_t r = 0; r < n; r++) {
      const double *xr = x + r * F;
      double z = 0;
      for (int i = 0; i < F; i++) z += w[i] * xr[i];
      double p = 1.0 / (1.0 + exp(-z)), s = p * (1 - p);
      for (int i = 0; i < F; i++) {
        g[i] += (y[r] - p) * xr[i];
        for (int j = 0; j < F; j++) h[i * F + j] += s * xr[i] * xr[j];
      }
    }
    if (!solve(h, g, F)) return;
    double step = 0;
    for (int i = 0; i < F; i++) w[i] += g[i], step += fabs(g[i]);
    if (step < 1e-8) break;
  }
}

/* Whether the fitted model still serves: nothing changed, or only examples were added and
 * a large KB's labelled questions grew by less than 10 % since the fit (refitting
 * costs one retrieval per question against every example: seconds with thousands, which
 * an assistant learning from every resolved ticket would pay at each next answer; new
 * examples count as evidence at once either way, only the weights wait). */
bool ecai__kb_model_current(const ecai_kb *kb, uint64_t screen_id) {
  if (screen_id && kb->model_screen_id != screen_id) return false;
  if (!kb->model_dirty) return true;
  return !kb->model_docs_dirty && kb->model_groups >= LAG_MIN_QUESTIONS &&
         kb->ngroups * 10 < kb->model_groups * 11; /* less than 10 % more */
}

const ecai__kb_model *ecai__kb_model_get(ecai_kb *kb, ecai__kb_screen screen, void *arg, uint64_t screen_id) {
  if (ecai__kb_model_current(kb, screen ? screen_id : 0)) return &kb->model;
  memset(&kb->model, 0, sizeof kb->model);
  kb->model_dirty = kb->model_docs_dirty = false;
  kb->model_groups = kb->ngroups;
  kb->model_screen_id = screen ? screen_id : 0;
  if (kb->ngroups < MIN_QUESTIONS || kb->live_chunks == 0) return &kb->model;
  size_t stride = kb->ngroups > MAX_QUESTIONS ? (kb->ngroups + MAX_QUESTIONS - 1) / MAX_QUESTIONS : 1;
  double *x = ecai__malloc(kb->ngroups * ECAI__KB_NF * sizeof *x), *y = ecai__malloc(kb->ngroups * sizeof *y);
  bool *seen = ecai__calloc(kb->ngroups, sizeof *seen);
  size_t n = 0, npos = 0;
  for (size_t e = 0; x && y && seen && e < kb->nex; e++) {
    size_t g = kb->ex[e].group;
    if (seen[g] || g % stride) continue;
    seen[g] = true;
    /* the group's entries, and whether it is an escalation */
    bool esc = false, live = false;
    for (size_t o = e; o < kb->nex; o++)
      if (kb->ex[o].group == g) {
        if (kb->ex[o].doc == SIZE_MAX) esc = true;
        else if (kb->ex[o].doc != ECAI__KB_NODOC && kb->docs[kb->ex[o].doc].live) live = true;
      }
    if (!esc && !live) continue; /* its entries are gone: no label */
    if (screen && screen(arg, kb->ex[e].text)) continue; /* escalated before retrieval counts */
    ecai__kb_hit hit;
    size_t nh = 0;
    ecai__kb_feats f;
    if (ecai__kb_retrieve_ex(kb, kb->ex[e].text, strlen(kb->ex[e].text), 1, &hit, &nh, &f, g)) break;
    bool ok = false;
    if (nh && !esc)
      for (size_t o = e; o < kb->nex && !ok; o++)
        if (kb->ex[o].group == g && kb->ex[o].doc == kb->chunks[hit.chunk].doc) ok = true;
    if (!nh) continue; /* escalated by the rule anyway (nothing retrieved) */
    feats_vec(&f, x + n * ECAI__KB_NF);
    y[n++] = ok;
    npos += ok;
  }
  if (n >= MIN_QUESTIONS && npos >= MIN_CLASS && n - npos >= MIN_CLASS) {
    fit_logistic(x, y, n, kb->model.w);
    kb->model.fitted = true;
  }
  kb->model.n = n;
  kb->model.npos = npos;
  ecai__free(x);
  ecai__free(y);
  ecai__free(seen);
  return &kb->model;
}
