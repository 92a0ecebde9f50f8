/*
 * Seeded simulations of ecai_abtest_csv_opts_json (run by tests/eval/eval_abtest.sh):
 *   1. A/A with 10 looks (conversion and revenue): rejection rate of the mSPRT and of the
 *      O'Brien-Fleming group-sequential design (sequential.reject) against stopping at the first fixed-horizon p < 0.05
 *      ("naive peeking") and the fixed-horizon test at the last look alone.
 *   2. A/B with a real effect sized for ~80 % fixed-horizon power: power of the mSPRT and
 *      the group-sequential design against the fixed-horizon test at the final look, and the mean stopping look.
 *   3. CUPED: revenue with a pre-period covariate correlated 0.7: mean variance
 *      reduction, A/A false-positive rate and A/B power with and without the covariate.
 *   4. Four variants, one with a real effect: family-wise error over the three null
 *      comparisons without adjustment and with Holm, and power on the real one.
 * Each figure is printed with its binomial standard error; exit 1 when an A/A rate
 * exceeds alpha by more than 2 standard errors or CUPED removes < 40 % of the variance.
 *   eval_abtest [--quick] [--trials N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ecai.h"

static uint64_t rng = 20260601;
static double u01(void) {
  rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
  return (double)((rng * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2 * log(1 - u01())) * cos(2 * M_PI * u01()); }

static char path[4096];
enum { LOOKS = 10 };

/* writes one experiment: nv variants x n units, looks 1..10 in arrival order */
static void write_exp(int nv, int n, int prop, double effect, int effect_variant, double rho) {
  FILE *f = fopen(path, "w");
  fputs("variant,y,pre,look\n", f);
  for (int i = 0; i < nv * n; i++) {
    int v = i % nv;
    double z = gauss(), e = v == effect_variant ? effect : 0;
    if (prop) fprintf(f, "v%d,%d,,%d\n", v, u01() < 0.10 + e, 1 + i * LOOKS / (nv * n));
    else {
      /* revenue-like: normal noise, a part (rho) explained by the pre-period value */
      double y = 40 + 15 * (rho * z + sqrt(1 - rho * rho) * gauss()) + e;
      fprintf(f, "v%d,%.6f,%.6f,%d\n", v, y, 100 + 20 * z, 1 + i * LOOKS / (nv * n));
    }
  }
  fclose(f);
}

static json_t *run(int prop, const char *opts) {
  char *js = NULL;
  if (ecai_abtest_csv_opts_json(&js, NULL, path, "variant", "y", prop ? ECAI_ABTEST_PROPORTION : ECAI_ABTEST_MEAN,
                                "v0", opts)) {
    fprintf(stderr, "eval_abtest: %s\n", ecai_last_error());
    exit(3);
  }
  json_t *j = json_loads(js, 0, NULL);
  ecai_free(js);
  return j;
}

/* naive peeking: the fixed-horizon test at every look, reject at the first p < 0.05 */
static int naive_peek(int prop) {
  for (int k = 1; k <= LOOKS; k++) {
    /* the same file cut at look k: rewrite a prefix */
    FILE *in = fopen(path, "r");
    char cut[4200];
    snprintf(cut, sizeof cut, "%s.cut", path);
    FILE *out = fopen(cut, "w");
    char line[256];
    while (fgets(line, sizeof line, in)) {
      char *c = strrchr(line, ',');
      if (c && atoi(c + 1) > k && line[0] == 'v') continue;
      fputs(line, out);
    }
    fclose(in);
    fclose(out);
    char *js = NULL;
    if (ecai_abtest_csv_opts_json(&js, NULL, cut, "variant", "y", prop ? ECAI_ABTEST_PROPORTION : ECAI_ABTEST_MEAN,
                                  "v0", NULL))
      exit(3);
    json_t *j = json_loads(js, 0, NULL);
    ecai_free(js);
    double p = json_number_value(json_object_get(j, "p_value"));
    json_decref(j);
    if (p < 0.05) return 1;
  }
  return 0;
}

static double se(double r, int n) { return sqrt(fmax(r * (1 - r), 0.05 * 0.95) / n); }

int main(int argc, char **argv) {
  int trials = 1000, fail = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) trials = 200;
    else if (!strcmp(argv[i], "--trials") && i + 1 < argc) trials = atoi(argv[++i]);
  }
  snprintf(path, sizeof path, "%s/ecai_eval_abtest_%d.csv", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
  const char *seq = "{\"sequential\":true,\"look_column\":\"look\"}";
  const char *obf = "{\"sequential\":true,\"look_column\":\"look\",\"sequential_method\":\"obf\"}";
  const char *seq_cov = "{\"sequential\":true,\"look_column\":\"look\",\"covariate\":\"pre\"}";
  printf("A/B simulations, %d trials each, 10 looks, alpha 0.05 (seeded; figure +- binomial SE)\n", trials);

  /* 1. A/A */
  for (int prop = 1; prop >= 0; prop--) {
    int n = prop ? 2000 : 1000, s = 0, naive = 0, fixed = 0, g = 0;
    for (int t = 0; t < trials; t++) {
      write_exp(2, n, prop, 0, -1, 0);
      json_t *j = run(prop, seq);
      s += json_is_true(json_object_get(json_object_get(j, "sequential"), "reject"));
      fixed += json_number_value(json_object_get(j, "p_value")) < 0.05;
      json_decref(j);
      j = run(prop, obf);
      g += json_is_true(json_object_get(json_object_get(j, "sequential"), "reject"));
      json_decref(j);
      if (t < trials / 5) naive += naive_peek(prop); /* slower: on a fifth of the trials */
    }
    double rs = (double)s / trials, rf = (double)fixed / trials, rn = (double)naive / (trials / 5),
           rg = (double)g / trials;
    printf("A/A %-10s false-positive rate mSPRT %.3f +- %.3f, OBF group-sequential %.3f +- %.3f | fixed horizon "
           "at the last look %.3f | naive peeking (stop at first p<0.05, %d trials) %.3f\n",
           prop ? "conversion" : "revenue", rs, se(rs, trials), rg, se(rg, trials), rf, trials / 5, rn);
    if (rs > 0.05 + 2 * se(0.05, trials) || rg > 0.05 + 2 * se(0.05, trials)) fail = 1;
  }

  /* 2. A/B power: effect sized for ~80 % power of the fixed-horizon test */
  for (int prop = 1; prop >= 0; prop--) {
    int n = prop ? 2000 : 1000, s = 0, fixed = 0, g = 0;
    double eff = prop ? 2.8 * sqrt(2 * 0.1 * 0.9 / n) : 2.8 * sqrt(2 * 225.0 / n), stop_sum = 0, gstop = 0;
    for (int t = 0; t < trials; t++) {
      write_exp(2, n, prop, eff, 1, 0);
      json_t *j = run(prop, seq), *sq = json_object_get(j, "sequential");
      if (json_is_true(json_object_get(sq, "reject"))) {
        s++;
        stop_sum += (double)json_integer_value(json_object_get(sq, "stopped_at"));
      }
      fixed += json_number_value(json_object_get(j, "p_value")) < 0.05;
      json_decref(j);
      j = run(prop, obf), sq = json_object_get(j, "sequential");
      if (json_is_true(json_object_get(sq, "reject"))) {
        g++;
        gstop += (double)json_integer_value(json_object_get(sq, "stopped_at"));
      }
      json_decref(j);
    }
    printf("A/B %-10s effect %.4f: power mSPRT %.3f (mean stopping look %.1f of 10), OBF %.3f (%.1f) | fixed "
           "horizon at the last look %.3f\n",
           prop ? "conversion" : "revenue", eff, (double)s / trials, s ? stop_sum / s : 0, (double)g / trials,
           g ? gstop / g : 0, (double)fixed / trials);
  }

  /* 3. CUPED, rho 0.7 */
  {
    int n = 1000, aa_raw = 0, aa_cu = 0, pw_raw = 0, pw_cu = 0, seq_cu = 0;
    double vr = 0, vr2 = 0, eff = 2.0 * sqrt(2 * 225.0 / n); /* ~50 % power without CUPED */
    for (int t = 0; t < trials; t++) {
      for (int ab = 0; ab < 2; ab++) {
        write_exp(2, n, 0, ab ? eff : 0, 1, 0.7);
        json_t *r = run(0, NULL), *c = run(0, seq_cov);
        int rr = json_number_value(json_object_get(r, "p_value")) < 0.05,
            rc = json_number_value(json_object_get(c, "p_value")) < 0.05;
        if (ab) pw_raw += rr, pw_cu += rc, seq_cu += json_is_true(json_object_get(json_object_get(c, "sequential"), "reject"));
        else {
          aa_raw += rr, aa_cu += rc;
          double v = json_number_value(json_object_get(json_object_get(c, "cuped"), "variance_reduction"));
          vr += v, vr2 += v * v;
        }
        json_decref(r);
        json_decref(c);
      }
    }
    double m = vr / trials, sd = sqrt(fmax(0, vr2 / trials - m * m));
    printf("CUPED rho 0.7: variance reduction mean %.3f (sd %.3f; rho^2 = 0.49) | A/A false-positive rate "
           "raw %.3f, CUPED %.3f | A/B effect %.3f power raw %.3f, CUPED %.3f, CUPED + mSPRT %.3f\n",
           m, sd, (double)aa_raw / trials, (double)aa_cu / trials, eff, (double)pw_raw / trials,
           (double)pw_cu / trials, (double)seq_cu / trials);
    if (m < 0.40 || (double)aa_cu / trials > 0.05 + 2 * se(0.05, trials)) fail = 1;
  }

  /* 4. Four variants, v3 with a real effect */
  {
    int n = 2000, fwer_raw = 0, fwer_holm = 0, pw_holm = 0;
    double eff = 2.8 * sqrt(2 * 0.1 * 0.9 / n);
    for (int t = 0; t < trials; t++) {
      write_exp(4, n, 1, eff, 3, 0);
      json_t *j = run(1, NULL), *cs = json_object_get(j, "comparisons");
      int any_raw = 0, any_holm = 0;
      for (size_t i = 0; i < 2; i++) {
        json_t *c = json_array_get(cs, i);
        any_raw |= json_number_value(json_object_get(c, "p_value")) < 0.05;
        any_holm |= json_number_value(json_object_get(c, "p_adjusted")) < 0.05;
      }
      fwer_raw += any_raw, fwer_holm += any_holm;
      pw_holm += json_number_value(json_object_get(json_array_get(cs, 2), "p_adjusted")) < 0.05;
      json_decref(j);
    }
    double rh = (double)fwer_holm / trials;
    printf("4 variants (2 null comparisons + 1 real): family-wise error unadjusted %.3f, Holm %.3f +- %.3f | power "
           "on the real effect with Holm %.3f\n",
           (double)fwer_raw / trials, rh, se(rh, trials), (double)pw_holm / trials);
    if (rh > 0.05 + 2 * se(0.05, trials)) fail = 1;
  }
  remove(path);
  char cut[4200];
  snprintf(cut, sizeof cut, "%s.cut", path);
  remove(cut);
  return fail;
}
