/* ecai_experiment: deterministic weighted assignment, holdout, exposure log. */
#include <math.h>
#include <string.h>

#include "ecai/experiment.h"
#include "experiment/exp_internal.h"

#define HOLDOUT_NAME "holdout"

typedef struct {
  char *name;
  double weight, cum;
  size_t exposures, units;
} variant;

typedef struct {
  int64_t ts;
  size_t unit;     /* index into units */
  int variant;     /* -1 = holdout */
} exposure;

struct ecai_experiment {
  char *name, *salt, *hsalt;
  double holdout;
  variant *v;
  size_t nv;
  bool frozen;
  exposure *log;
  size_t nlog, caplog;
  ecai__smap units;  /* unit -> index */
  size_t nunits;
  size_t hold_exposures, hold_units;
};

static double point(const char *salt, size_t slen, const char *unit, size_t ulen) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, salt, slen);
  XXH3_64bits_update(&st, "", 1);
  XXH3_64bits_update(&st, unit, ulen);
  uint64_t h = XXH3_64bits_digest(&st);
  return (double)(h >> 11) * 0x1.0p-53;
}

ecai_status ecai_experiment_hash_point(double *out_u, const char *salt, const char *unit, size_t unit_len) {
  ECAI__CHECK_ARG(out_u);
  *out_u = NAN;
  ECAI__CHECK_ARG(salt);
  if (!unit && unit_len) return ecai__err(ECAI_EINVAL, "%s: argument 'unit' is NULL", __func__);
  *out_u = point(salt, strlen(salt), unit ? unit : "", unit_len);
  return ECAI_OK;
}

ecai_status ecai_experiment_new(ecai_experiment **out, const char *name, const char *salt) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(name);
  ECAI__CHECK_ARG(salt);
  if (!*name || !*salt) return ecai__err(ECAI_EINVAL, "experiment: name and salt must be non-empty");
  ecai_experiment *e = ecai__calloc(1, sizeof *e);
  if (!e) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  e->name = ecai__strdup(name);
  e->salt = ecai__strdup(salt);
  if (!e->name || !e->salt) {
    ecai_experiment_free(e);
    return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  }
  *out = e;
  return ECAI_OK;
}

void ecai_experiment_free(ecai_experiment *e) {
  if (!e) return;
  for (size_t i = 0; i < e->nv; i++) ecai__free(e->v[i].name);
  ecai__free(e->v);
  ecai__free(e->log);
  ecai__smap_free(&e->units);
  ecai__free(e->name);
  ecai__free(e->salt);
  ecai__free(e->hsalt);
  ecai__free(e);
}

ecai_status ecai_experiment_add_variant(ecai_experiment *e, const char *name, double weight) {
  ECAI__CHECK_ARG(e);
  ECAI__CHECK_ARG(name);
  if (e->frozen) return ecai__err(ECAI_ESTATE, "experiment '%s': variants cannot change after an assignment", e->name);
  size_t n = strlen(name);
  if (!n || n > 127 || !strcmp(name, HOLDOUT_NAME))
    return ecai__err(ECAI_EINVAL, "experiment: variant name must be 1..127 bytes and not \"holdout\"");
  if (!(weight > 0) || !isfinite(weight)) return ecai__err(ECAI_EINVAL, "experiment: variant weight must be > 0");
  if (e->nv >= 1000) return ecai__err(ECAI_EINVAL, "experiment: at most 1000 variants");
  for (size_t i = 0; i < e->nv; i++)
    if (!strcmp(e->v[i].name, name)) return ecai__err(ECAI_EINVAL, "experiment: duplicate variant '%s'", name);
  variant *nv = ecai__realloc(e->v, (e->nv + 1) * sizeof *nv);
  if (!nv) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  e->v = nv;
  memset(&e->v[e->nv], 0, sizeof *e->v);
  e->v[e->nv].name = ecai__strdup(name);
  if (!e->v[e->nv].name) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  e->v[e->nv].weight = weight;
  e->nv++;
  double w = 0, c = 0;
  for (size_t i = 0; i < e->nv; i++) w += e->v[i].weight;
  for (size_t i = 0; i < e->nv; i++) {
    c += e->v[i].weight;
    e->v[i].cum = c / w;
  }
  return ECAI_OK;
}

ecai_status ecai_experiment_set_holdout(ecai_experiment *e, double fraction, const char *holdout_salt) {
  ECAI__CHECK_ARG(e);
  if (e->frozen) return ecai__err(ECAI_ESTATE, "experiment '%s': holdout cannot change after an assignment", e->name);
  if (!(fraction >= 0 && fraction < 1)) return ecai__err(ECAI_EINVAL, "experiment: holdout fraction must be in [0, 1)");
  char *hs = NULL;
  if (holdout_salt) {
    if (!*holdout_salt) return ecai__err(ECAI_EINVAL, "experiment: holdout salt must be non-empty");
    hs = ecai__strdup(holdout_salt);
  } else {
    size_t n = strlen(e->salt);
    hs = ecai__malloc(n + 9);
    if (hs) {
      memcpy(hs, e->salt, n);
      memcpy(hs + n, "#holdout", 9);
    }
  }
  if (!hs) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  ecai__free(e->hsalt);
  e->hsalt = hs;
  e->holdout = fraction;
  return ECAI_OK;
}

static int pick(const ecai_experiment *e, const char *unit, size_t len) {
  if (e->holdout > 0 && point(e->hsalt, strlen(e->hsalt), unit, len) < e->holdout) return -1;
  double u = point(e->salt, strlen(e->salt), unit, len);
  for (size_t i = 0; i < e->nv; i++)
    if (u < e->v[i].cum) return (int)i;
  return (int)e->nv - 1;
}

ecai_status ecai_experiment_assign(const char **out_variant, ecai_experiment *e, const char *unit, size_t unit_len) {
  ECAI__CHECK_ARG(out_variant);
  *out_variant = NULL;
  ECAI__CHECK_ARG(e);
  if (!unit && unit_len) return ecai__err(ECAI_EINVAL, "%s: argument 'unit' is NULL", __func__);
  if (!e->nv) return ecai__err(ECAI_ESTATE, "experiment '%s' has no variant", e->name);
  e->frozen = true;
  int i = pick(e, unit ? unit : "", unit_len);
  *out_variant = i < 0 ? HOLDOUT_NAME : e->v[i].name;
  return ECAI_OK;
}

ecai_status ecai_experiment_expose(const char **out_variant, ecai_experiment *e, const char *unit, size_t unit_len,
                                   int64_t ts) {
  if (out_variant) *out_variant = NULL;
  ECAI__CHECK_ARG(e);
  ECAI__CHECK_ARG(unit);
  if (unit_len == 0 || unit_len > 1024) return ecai__err(ECAI_EINVAL, "experiment: unit id must be 1..1024 bytes");
  size_t bad;
  if (!ecai__utf8_valid(unit, unit_len, &bad))
    return ecai__err(ECAI_EINVAL, "experiment: unit id is not valid UTF-8 (byte %zu)", bad);
  if (!e->nv) return ecai__err(ECAI_ESTATE, "experiment '%s' has no variant", e->name);
  e->frozen = true;
  int vi = pick(e, unit, unit_len);
  if (e->nlog == e->caplog) {
    size_t nc = e->caplog ? e->caplog * 2 : 64;
    exposure *nl = ecai__realloc(e->log, nc * sizeof *nl);
    if (!nl) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
    e->log = nl;
    e->caplog = nc;
  }
  size_t idx = e->nunits;
  bool found;
  if (!ecai__smap_put(&e->units, unit, unit_len, &idx, &found)) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  if (!found) {
    e->nunits++;
    if (vi < 0) e->hold_units++;
    else e->v[vi].units++;
  }
  e->log[e->nlog++] = (exposure){ts, idx, vi};
  if (vi < 0) e->hold_exposures++;
  else e->v[vi].exposures++;
  if (out_variant) *out_variant = vi < 0 ? HOLDOUT_NAME : e->v[vi].name;
  return ECAI_OK;
}

ecai_status ecai_experiment_summary_json(char **out, size_t *out_len, const ecai_experiment *e) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(e);
  json_t *arr = json_array();
  double counts[1024], weights[1024];
  size_t k = 0, total = 0;
  for (size_t i = 0; i < e->nv; i++) {
    json_array_append_new(arr, json_pack("{s:s,s:f,s:I,s:I}", "name", e->v[i].name, "weight", e->v[i].weight,
                                         "exposures", (json_int_t)e->v[i].exposures, "units",
                                         (json_int_t)e->v[i].units));
    if (k < 1024) {
      counts[k] = (double)e->v[i].units;
      weights[k++] = e->v[i].weight;
    }
    total += e->v[i].units;
  }
  double chi2 = NAN, df, p = NAN;
  if (k >= 2 && total > 0) ecai__srm(counts, weights, k, &chi2, &df, &p);
  json_t *j = json_pack("{s:s,s:s,s:f,s:I,s:o,s:I,s:I,s:o,s:o}", "experiment", e->name, "salt", e->salt, "holdout",
                        e->holdout, "exposures", (json_int_t)e->nlog, "variants", arr, "holdout_exposures",
                        (json_int_t)e->hold_exposures, "holdout_units", (json_int_t)e->hold_units, "srm_chi2",
                        ecai__jnum(chi2), "srm_p_value", ecai__jnum(p));
  if (!j) return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  ecai_status st = ecai__json_dump(out, out_len, j);
  json_decref(j);
  return st;
}

ecai_status ecai_experiment_log_jsonl(char **out, size_t *out_len, const ecai_experiment *e) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(e);
  /* index -> key table from the map */
  const char **ids = ecai__calloc(e->nunits ? e->nunits : 1, sizeof *ids);
  size_t *lens = ecai__calloc(e->nunits ? e->nunits : 1, sizeof *lens);
  if (!ids || !lens) {
    ecai__free(ids);
    ecai__free(lens);
    return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  }
  for (size_t i = 0; i < e->units.cap; i++)
    if (e->units.keys[i]) {
      ids[e->units.vals[i]] = e->units.keys[i];
      lens[e->units.vals[i]] = e->units.lens[i];
    }
  ecai__buf b = {0};
  ecai__buf_puts(&b, "");
  for (size_t i = 0; i < e->nlog && !b.oom; i++) {
    const exposure *x = &e->log[i];
    json_t *j = json_pack("{s:I,s:s%,s:s,s:s}", "ts", (json_int_t)x->ts, "unit", ids[x->unit], lens[x->unit],
                          "variant", x->variant < 0 ? HOLDOUT_NAME : e->v[x->variant].name, "event", "exposure");
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!s) {
      b.oom = true;
      break;
    }
    ecai__buf_puts(&b, s);
    ecai__buf_puts(&b, "\n");
    free(s);
  }
  ecai__free(ids);
  ecai__free(lens);
  if (b.oom) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "experiment: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}
