/*
 * Internal: the demand estimator of the pricing module (src/pricing/demand.c).
 * One product's orders in, one elasticity out: order-dependent price tiers are
 * recognised (order size, segment), a Poisson count model over periods x tiers with
 * day-of-week, trend and slow-season controls is fitted by IRLS (quasi-Poisson
 * standard errors, per-tier dispersion), and the fit is validated out of time.
 * The method and its assumptions are documented in include/ecai/pricing.h.
 */
#ifndef ECAI_PRICING_DEMAND_H
#define ECAI_PRICING_DEMAND_H

#include <stddef.h>
#include <stdint.h>

#include "ecai/common.h"

typedef struct {
  int64_t ts;
  double price, qty;
  uint32_t seg; /* segment index (0 = none) */
} ecai__dm_obs;

typedef struct {
  int weekly;              /* periods are weeks instead of days */
  double validation_share; /* later share of the periods held out; 0 = no validation */
  double min_var;          /* sd of ln price (within tiers, over time) needed */
  double prior_mean, prior_sd; /* normal prior on the elasticity (partial pooling); prior_sd 0 = none */
} ecai__dm_opts;

typedef struct {
  size_t cells;         /* (period, tier) cells with sales */
  size_t periods;       /* periods from the first to the last sale */
  size_t distinct;      /* distinct prices (cents) in the history */
  int tiers;            /* price tiers recognised (1 = none) */
  const char *basis;    /* "none", "order_size", "segment", "segment+order_size" */
  double size_threshold;/* units from which an order is in the discount tier, or NaN */
  double sd_all;        /* sd of ln price over all orders */
  double sd_within;     /* sd of ln price over time within tiers */
  double b, se, lo, hi; /* elasticity, standard error, 95 % interval (NaN when not fitted) */
  double r2;            /* share of the Poisson deviance explained beyond tier levels */
  double dispersion;    /* quasi-Poisson scale of the base tier */
  const char *unidentified; /* NULL, or why the data cannot identify an elasticity */
  int validated;        /* -1 not run (off or not fitted), 0 failed, 1 passed */
  const char *validation_detail; /* why it failed / could not run, or NULL */
  size_t val_periods;
  double val_b, val_dev_model, val_dev_no_change;
} ecai__dm_fit;

/* o sorted by ts. Returns ECAI_OK or ECAI_ENOMEM; the fit is always filled. */
ecai_status ecai__dm_estimate(const ecai__dm_obs *o, size_t n, const ecai__dm_opts *opt, ecai__dm_fit *f);

#endif
