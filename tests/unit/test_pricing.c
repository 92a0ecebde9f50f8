/* Pricing: elasticity estimates on known demand curves, hold-back reasons,
 * guardrails, loaders, callbacks, options, allocation failures. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"
#include "experiment/exp_internal.h"
#include "harness.h"

/* Adds `days` daily observations of constant-elasticity demand q = A p^b e^noise with
 * prices cycling over `np` levels around p0 (±20 %); the last day is at p0. */
static void add_product(ecai_pricing *p, const char *id, double p0, double b, double noise, int days, int np,
                        double cost, uint64_t seed) {
  uint64_t s = seed;
  for (int d = 0; d < days; d++) {
    double price = d == days - 1 ? p0 : p0 * (0.8 + 0.4 * (double)(d % np) / (np > 1 ? np - 1 : 1));
    double z = 0;
    for (int k = 0; k < 12; k++) z += ecai__u01(&s);
    z -= 6; /* ~N(0,1) */
    double q = 100 * pow(price / p0, b) * exp(noise * z);
    CHECK_OK(ecai_pricing_add(p, id, NULL, 1700000000 + (int64_t)d * 86400, price, q, cost));
  }
}

static json_t *run_map(ecai_pricing *p) {
  char *out = NULL;
  size_t n;
  CHECK_OK(ecai_pricing_run(&out, &n, p, NULL, NULL));
  json_t *m = json_object();
  for (char *line = out; *line;) {
    char *nl = strchr(line, '\n');
    CHECK(nl != NULL);
    json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
    CHECK(j != NULL);
    json_object_set_new(m, json_string_value(json_object_get(j, "product")), j);
    line = nl + 1;
  }
  ecai_free(out);
  return m;
}

static double jd(json_t *m, const char *id, const char *k) {
  return json_number_value(json_object_get(json_object_get(m, id), k));
}
static const char *js(json_t *m, const char *id, const char *k) {
  return json_string_value(json_object_get(json_object_get(m, id), k));
}

TEST(pricing_recovers_elasticity_and_moves_the_right_way) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  add_product(p, "inelastic", 10, -0.5, 0.05, 60, 6, -1, 1);
  add_product(p, "elastic", 10, -2.5, 0.05, 60, 6, -1, 2);
  json_t *m = run_map(p);
  CHECK_NEAR(jd(m, "inelastic", "elasticity"), -0.5, 0.05);
  CHECK_NEAR(jd(m, "elastic", "elasticity"), -2.5, 0.05);
  CHECK(jd(m, "elastic", "elasticity_ci95") == 0); /* an array, not a number */
  json_t *ci = json_object_get(json_object_get(m, "elastic"), "elasticity_ci95");
  CHECK(json_number_value(json_array_get(ci, 0)) < -2.5 + 0.05 && json_number_value(json_array_get(ci, 1)) > -2.5 - 0.05);
  CHECK_STR_EQ(js(m, "inelastic", "status"), "suggest");
  CHECK_NEAR(jd(m, "inelastic", "suggested_price"), 11.00, 1e-9); /* +max_change */
  CHECK_NEAR(jd(m, "elastic", "suggested_price"), 9.00, 1e-9);    /* -max_change */
  /* revenue ratio under the estimated curve: (11/10)^(1+b) - 1 > 0 */
  CHECK(jd(m, "inelastic", "expected_objective_change") > 0.04);
  CHECK_STR_EQ(js(m, "elastic", "objective"), "revenue");
  CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(json_object_get(m, "elastic"), "bounded_by"), 0)), "max_change");
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_margin_objective_reaches_the_interior_optimum) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  CHECK_OK(ecai_pricing_set_str(p, ECAI_PRICING_OPT_OBJECTIVE, "margin"));
  CHECK_OK(ecai_pricing_set_double(p, ECAI_PRICING_OPT_MAX_CHANGE, 0.5));
  add_product(p, "x", 10, -2.5, 0.0, 30, 5, 4.0, 3); /* no noise: b exact; p* = 4*2.5/1.5 */
  json_t *m = run_map(p);
  CHECK_NEAR(jd(m, "x", "elasticity"), -2.5, 1e-9);
  CHECK_NEAR(jd(m, "x", "suggested_price"), 6.67, 1e-9);
  CHECK_NEAR(jd(m, "x", "unit_cost"), 4.0, 0);
  double want = (6.67 - 4) / (10 - 4) * pow(0.667, -2.5) - 1;
  CHECK_NEAR(jd(m, "x", "expected_objective_change"), want, 1e-9);
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_holds_back_thin_flat_and_noisy_products) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  add_product(p, "thin", 10, -1.5, 0.05, 5, 5, -1, 4);
  add_product(p, "oneprice", 10, -1.5, 0.05, 40, 1, -1, 5);
  add_product(p, "noise", 10, -0.3, 2.0, 40, 6, -1, 6);
  for (int d = 0; d < 30; d++) /* one price only */
    CHECK_OK(ecai_pricing_add(p, "single", NULL, d * 86400, 0.21, 5 + d % 7, -1));
  for (int d = 0; d < 30; d++) /* three prices 1 % apart: too little variation */
    CHECK_OK(ecai_pricing_add(p, "flat", NULL, d * 86400, 10 + 0.1 * (d % 3), 50, -1));
  for (int d = 0; d < 30; d++) /* demand rising with price */
    CHECK_OK(ecai_pricing_add(p, "giffen", NULL, d * 86400, 8 + (d % 5), 10 + 5 * (d % 5), -1));
  json_t *m = run_map(p);
  CHECK_STR_EQ(js(m, "thin", "reason"), "thin_data");
  CHECK_STR_EQ(js(m, "oneprice", "reason"), "few_prices");
  CHECK_STR_EQ(js(m, "single", "reason"), "few_prices");
  CHECK(json_is_null(json_object_get(json_object_get(m, "single"), "elasticity"))); /* not estimable */
  CHECK_STR_EQ(js(m, "noise", "reason"), "poor_fit");
  CHECK_STR_EQ(js(m, "flat", "reason"), "low_price_variation");
  CHECK_STR_EQ(js(m, "giffen", "reason"), "positive_elasticity");
  const char *ids[] = {"thin", "oneprice", "noise", "flat", "giffen"};
  for (int i = 0; i < 5; i++) {
    CHECK_STR_EQ(js(m, ids[i], "status"), "hold");
    CHECK(json_is_null(json_object_get(json_object_get(m, ids[i]), "suggested_price")));
    CHECK(strlen(js(m, ids[i], "reason_text")) > 10);
  }
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_guardrails_floor_ceiling_map_margin_conflict) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  add_product(p, "ceil", 10, -0.5, 0.02, 40, 6, -1, 7);  /* wants up: ceiling 10.40 */
  add_product(p, "map", 10, -2.5, 0.02, 40, 6, -1, 8);   /* wants down: MAP 9.50 */
  add_product(p, "margin", 10, -2.5, 0.02, 40, 6, 7.8, 9); /* wants down: margin floor 7.8/0.8 = 9.75 */
  add_product(p, "conflict", 10, -0.5, 0.02, 40, 6, 9.0, 10); /* margin floor 11.25 > ceiling 10.5 */
  add_product(p, "atmap", 10, -2.5, 0.02, 40, 6, -1, 11); /* wants down, MAP = current */
  CHECK_OK(ecai_pricing_set_bounds(p, "ceil", 0, 10.4, 0));
  CHECK_OK(ecai_pricing_set_bounds(p, "map", 0, 0, 9.5));
  CHECK_OK(ecai_pricing_set_bounds(p, "conflict", 0, 10.5, 0));
  CHECK_OK(ecai_pricing_set_bounds(p, "atmap", 0, 0, 10));
  CHECK_STATUS(ecai_pricing_set_bounds(p, "bad", 12, 10, 0), ECAI_EINVAL);
  json_t *m = run_map(p);
  CHECK_NEAR(jd(m, "ceil", "suggested_price"), 10.40, 1e-9);
  CHECK_NEAR(jd(m, "map", "suggested_price"), 9.50, 1e-9);
  CHECK_NEAR(jd(m, "margin", "suggested_price"), 9.75, 1e-9);
  CHECK_STR_EQ(json_string_value(json_array_get(json_object_get(json_object_get(m, "margin"), "bounded_by"), 0)), "min_margin");
  CHECK_STR_EQ(js(m, "conflict", "reason"), "guardrail_conflict");
  CHECK_STR_EQ(js(m, "atmap", "reason"), "no_improvement");
  json_decref(m);
  ecai_pricing_free(p);
}

static int rationale(const char *json, size_t len, char *buf, size_t cap, void *payload) {
  (*(int *)payload)++;
  /* a misbehaving "LLM" that tries to rewrite the number */
  snprintf(buf, cap, "Raise to 99.99 because %zu bytes of JSON said so; \"suggested_price\":99.99", len);
  return strstr(json, "\"hold\"") ? 1 : 0;
}

static int cancel_at(size_t done, size_t total, void *payload) {
  (void)total;
  return done >= *(size_t *)payload;
}

TEST(pricing_rationale_never_changes_numbers_and_progress_cancels) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  add_product(p, "a", 10, -0.5, 0.02, 30, 6, -1, 12);
  add_product(p, "b", 5, -1.0, 0.02, 3, 3, -1, 13);
  char *plain = NULL, *withr = NULL;
  CHECK_OK(ecai_pricing_run(&plain, NULL, p, NULL, NULL));
  int calls = 0;
  CHECK_OK(ecai_pricing_set_rationale(p, rationale, &calls));
  CHECK_OK(ecai_pricing_run(&withr, NULL, p, NULL, NULL));
  CHECK_INT_EQ(calls, 2);
  json_t *a = json_loadb(withr, strchr(withr, '\n') - withr, 0, NULL);
  CHECK_CONTAINS(json_string_value(json_object_get(a, "rationale")), "99.99");
  CHECK_NEAR(json_number_value(json_object_get(a, "suggested_price")), 11.0, 1e-9);
  json_object_del(a, "rationale");
  char *back = json_dumps(a, JSON_COMPACT | JSON_REAL_PRECISION(12));
  CHECK(strncmp(back, plain, strlen(back)) == 0);
  free(back);
  json_decref(a);
  CHECK(strstr(strchr(withr, '\n') + 1, "rationale") == NULL); /* hold: callback declined */
  ecai_free(plain);
  ecai_free(withr);
  /* 1500 products: progress at 1000 cancels */
  ecai_pricing_free(p);
  CHECK_OK(ecai_pricing_new(&p, NULL));
  char id[32];
  for (int i = 0; i < 1500; i++) {
    snprintf(id, sizeof id, "p%04d", i);
    CHECK_OK(ecai_pricing_add(p, id, NULL, 0, 10, 1, -1));
  }
  size_t stop = 1000;
  char *out = (char *)1;
  CHECK_STATUS(ecai_pricing_run(&out, NULL, p, cancel_at, &stop), ECAI_ECANCELED);
  CHECK(out == NULL);
  stop = 5000;
  CHECK_OK(ecai_pricing_run(&out, NULL, p, cancel_at, &stop));
  ecai_free(out);
  ecai_pricing_free(p);
}

TEST(pricing_options_types_and_config) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  CHECK_STATUS(ecai_pricing_set_double(p, ECAI_PRICING_OPT_MIN_OBSERVATIONS, 3), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_set_int(p, ECAI_PRICING_OPT_MAX_CHANGE, 1), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_set_str(p, ECAI_PRICING_OPT_MAX_CHANGE, "x"), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_set_double(p, (ecai_pricing_opt)299, 1), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_pricing_set_int(p, (ecai_pricing_opt)199, 1), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_pricing_set_str(p, (ecai_pricing_opt)99, "x"), ECAI_EUNSUPPORTED);
  CHECK_STATUS(ecai_pricing_set_double(p, ECAI_PRICING_OPT_MAX_CHANGE, 1.5), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_set_str(p, ECAI_PRICING_OPT_OBJECTIVE, "profit!"), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_add(p, "", NULL, 0, 1, 1, -1), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_add(p, "x", NULL, 0, 0, 1, -1), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_add(p, "x", NULL, 0, 1, NAN, -1), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_new(NULL, NULL), ECAI_EINVAL);
  ecai_pricing_free(p);
  ecai_ctx *ctx = NULL;
  const char cfg[] = "{\"pricing\":{\"max_change\":0.05,\"min_observations\":4,\"validation_share\":0}}";
  CHECK_OK(ecai_ctx_new(&ctx, cfg, sizeof cfg - 1));
  CHECK_OK(ecai_pricing_new(&p, ctx));
  add_product(p, "a", 10, -0.5, 0.02, 6, 3, -1, 14);
  json_t *m = run_map(p);
  CHECK_NEAR(jd(m, "a", "suggested_price"), 10.50, 1e-9);
  json_decref(m);
  ecai_pricing_free(p);
  ecai_ctx_free(ctx);
  const char bad[] = "{\"pricing\":{\"max_change\":2}}";
  CHECK_OK(ecai_ctx_new(&ctx, bad, sizeof bad - 1));
  CHECK_STATUS(ecai_pricing_new(&p, ctx), ECAI_EINVAL);
  CHECK(p == NULL);
  CHECK_CONTAINS(ecai_last_error(), "max_change");
  ecai_ctx_free(ctx);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  fputs(text, f);
  fclose(f);
}

TEST(pricing_loads_generic_and_invoice_layouts) {
  char path[4096];
  snprintf(path, sizeof path, "%s/h.csv", ecai_test_tmpdir());
  write_file(path, "product_id,date,price,quantity,unit_cost,segment,ceiling\n"
                   "A,2024-01-01,10,5,6,web,12\nA,2024-01-02,11,4,,web,\nB,2024-01-01,3,1,,,\n");
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  CHECK_OK(ecai_pricing_load_file(p, path));
  CHECK_INT_EQ(ecai_pricing_count(p), 3);
  write_file(path, "product_id,date,price,quantity\nA,2024-01-01,10,5\nA,2024-13-01,11,4\n");
  CHECK_STATUS(ecai_pricing_load_file(p, path), ECAI_EPARSE);
  CHECK_CONTAINS(ecai_last_error(), "line 3");
  CHECK_INT_EQ(ecai_pricing_count(p), 3); /* all or nothing */
  write_file(path, "product_id,date,price,quantity\nA,2024-01-01,-10,5\n");
  CHECK_STATUS(ecai_pricing_load_file(p, path), ECAI_EPARSE);
  /* a failed file leaves neither observations, new products nor bounds behind */
  write_file(path, "product_id,date,price,quantity,ceiling\nNEW,2024-01-01,10,5,1\nA,2024-01-02,10,5,1\nA,x,1,1,\n");
  CHECK_STATUS(ecai_pricing_load_file(p, path), ECAI_EPARSE);
  CHECK_INT_EQ(ecai_pricing_count(p), 3);
  char *o2 = NULL;
  CHECK_OK(ecai_pricing_run(&o2, NULL, p, NULL, NULL));
  CHECK(strstr(o2, "NEW") == NULL);
  CHECK(strstr(o2, "\"product\":\"A\"") != NULL && strstr(o2, "\"product\":\"B\"") != NULL);
  ecai_free(o2);
  CHECK_STATUS(ecai_pricing_load_file(p, "/nonexistent.csv"), ECAI_EIO);
  ecai_pricing_free(p);
  write_file(path, "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                   "536365,85123A,\"WHITE HANGING HEART, T-LIGHT\",6,2010-12-01T08:26,2.55,17850,United Kingdom\n"
                   "C536379,85123A,X,-1,2010-12-01T09:41,2.55,14527,United Kingdom\n"
                   "536370,POST,POSTAGE,3,2010-12-01T08:45,18,12583,France\n"
                   "536380,22423,CAKESTAND,0,2010-12-01T09:41,12.75,,United Kingdom\n"
                   "536381,22423,CAKESTAND,2,2010-12-01T09:41,0,,United Kingdom\n"
                   "536382,gift_0001_10,VOUCHER,1,2010-12-01T09:41,8.5,,United Kingdom\n"
                   "536383,22423,CAKESTAND,2,2010-12-02T09:41,12.75,,France\n");
  CHECK_OK(ecai_pricing_new(&p, NULL));
  CHECK_OK(ecai_pricing_set_int(p, ECAI_PRICING_OPT_BY_SEGMENT, 1));
  CHECK_OK(ecai_pricing_load_file(p, path));
  CHECK_INT_EQ(ecai_pricing_count(p), 2);
  CHECK_STATUS(ecai_pricing_set_int(p, ECAI_PRICING_OPT_BY_SEGMENT, 0), ECAI_ESTATE);
  char *out;
  CHECK_OK(ecai_pricing_run(&out, NULL, p, NULL, NULL));
  CHECK_CONTAINS(out, "{\"product\":\"22423\",\"segment\":\"France\",\"status\":\"hold\",\"reason\":\"thin_data\"");
  CHECK_CONTAINS(out, "\"product\":\"85123A\",\"segment\":\"United Kingdom\"");
  ecai_free(out);
  ecai_pricing_free(p);
}

/* Prices Online Retail invoice lines end to end: loads between MIN_OBS and MAX_OBS lines (returns
 * and non-positive lines are dropped), prints one line per stock code (MIN_LINES..MAX_LINES), some
 * suggested (at least MIN_SUG) and some held back, and never prices the postage code POST. */
static void retail_smoke(const char *path, size_t min_obs, size_t max_obs, size_t min_lines, size_t max_lines,
                         size_t min_sug) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  CHECK_OK(ecai_pricing_load_file(p, path));
  CHECK_MSG(ecai_pricing_count(p) >= min_obs && ecai_pricing_count(p) <= max_obs, "%zu observations",
            (size_t)ecai_pricing_count(p));
  char *out;
  size_t n;
  CHECK_OK(ecai_pricing_run(&out, &n, p, NULL, NULL));
  size_t lines = 0, sug = 0;
  for (char *s = out; (s = strchr(s, '\n')); s++) lines++;
  for (char *s = out; (s = strstr(s, "\"status\":\"suggest\"")); s++) sug++;
  CHECK_MSG(lines >= min_lines && lines <= max_lines, "%zu products", lines);
  CHECK_MSG(sug >= min_sug && sug * 4 < lines, "%zu suggested of %zu", sug, lines);
  CHECK_CONTAINS(out, "\"reason\":\"not_identified\"");  /* order-size tiers recognised */
  CHECK_CONTAINS(out, "\"basis\":\"segment+order_size\""); /* Country is the segment */
  CHECK(strstr(out, "\"product\":\"POST\"") == NULL);
  ecai_free(out);
  ecai_pricing_free(p);
}

/* Wholesale and retail prices mixed in these invoices: since 0.x most products are held
 * back (order-size tiers, too little change over time); the old log-log fit suggested a
 * cut for most of them. */
TEST(pricing_real_transactions_smoke) {
  retail_smoke(ecai_test_data("recommend/online_retail/transactions.csv.gz"), 400001, 431672, 3001, 4018, 5);
}

/* The twin on the committed extract: 9,440 lines of 68 stock codes, POST among them. */
TEST(pricing_retail_extract_smoke) {
  retail_smoke(ecai_test_fixture("retail_small.csv.gz"), 8000, 9439, 60, 67, 0);
}

/* A shop's order lines: a list price that moves every 20-45 days by up to 15 %, a
 * quarter of the orders wholesale (12-60 units at 85 % of list), Poisson orders per day
 * with a weekday pattern. `fixed` keeps the list price: only the tier price differs. */
static int poisson_draw(uint64_t *s, double lam) {
  double l = exp(-lam), p = 1;
  int k = 0;
  while ((p *= ecai__u01(s)) > l) k++;
  return k;
}
static void add_shop_product(ecai_pricing *p, const char *id, double b, double rate, int days, int fixed, uint64_t seed) {
  uint64_t s = seed;
  double list0 = 20, list = list0;
  int next = 20 + (int)(ecai__u01(&s) * 26);
  for (int d = 0; d < days; d++) {
    if (d == next && !fixed) {
      list = round(100 * fmin(1.4 * list0, fmax(0.7 * list0, list * (0.85 + 0.3 * ecai__u01(&s))))) / 100;
      next = d + 20 + (int)(ecai__u01(&s) * 26);
    }
    double lam = rate * pow(list / list0, b) * (d % 7 == 5 ? 0.7 : 1.0);
    for (int k = poisson_draw(&s, lam); k > 0; k--) {
      bool wholesale = ecai__u01(&s) < 0.25;
      double q = wholesale ? 12 + (int)(ecai__u01(&s) * 49) : 1 + (int)(ecai__u01(&s) * 3);
      double price = wholesale ? round(85 * list) / 100 : list;
      CHECK_OK(ecai_pricing_add(p, id, NULL, (int64_t)d * 86400 + 60 * k, price, q, -1));
    }
  }
}

TEST(pricing_order_size_tiers_are_separated_from_list_price_changes) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  add_shop_product(p, "e", -2.0, 40, 360, 0, 21);
  add_shop_product(p, "i", -0.7, 40, 360, 0, 22);
  add_shop_product(p, "fixed", -1.5, 40, 360, 1, 23);
  json_t *m = run_map(p);
  /* the log-log fit over all lines read the wholesale tier as demand (about -8 here) */
  CHECK_NEAR(jd(m, "e", "elasticity"), -2.0, 0.45);
  CHECK_NEAR(jd(m, "i", "elasticity"), -0.7, 0.45);
  json_t *t = json_object_get(json_object_get(m, "e"), "tiers");
  CHECK_STR_EQ(json_string_value(json_object_get(t, "basis")), "order_size");
  CHECK_NEAR(json_number_value(json_object_get(t, "size_threshold")), 12, 8.5); /* between 4 and 12 */
  json_t *ci = json_object_get(json_object_get(m, "e"), "elasticity_ci95");
  CHECK(json_number_value(json_array_get(ci, 0)) < jd(m, "e", "elasticity") &&
        json_number_value(json_array_get(ci, 1)) > jd(m, "e", "elasticity"));
  /* prices differ only by order size: nothing to learn the response from */
  CHECK_STR_EQ(js(m, "fixed", "status"), "hold");
  CHECK_STR_EQ(js(m, "fixed", "reason"), "not_identified");
  CHECK_STR_EQ(js(m, "fixed", "reason_detail"), "prices_set_only_by_order_size");
  CHECK(json_is_null(json_object_get(json_object_get(m, "fixed"), "suggested_price")));
  json_decref(m);
  ecai_pricing_free(p);
}

/* 30 thin products (5 orders a day) with elasticities spread over -2.4..-0.6, and one whose
 * list price never moves: the shop-wide prior shrinks the noisy estimates towards each
 * other, so they land closer to the truth and their intervals narrow; the unidentified
 * product gains nothing from it. */
static double pooled_error(ecai_pricing *p, int n, const double *truth, int check_each) {
  json_t *m = run_map(p);
  double err = 0;
  char id[16];
  for (int i = 0; i < n; i++) {
    snprintf(id, sizeof id, "p%02d", i);
    err += fabs(jd(m, id, "elasticity") - truth[i]);
    json_t *pl = json_object_get(json_object_get(m, id), "pooling");
    if (check_each) {
      CHECK(json_is_object(pl));
      CHECK(jd(m, id, "elasticity_se") <= json_number_value(json_object_get(pl, "elasticity_own_se")) + 1e-12);
      CHECK_NEAR(json_number_value(json_object_get(pl, "prior_mean")), -1.5, 0.5);
      CHECK(json_number_value(json_object_get(pl, "prior_sd")) >= 0.15);
    } else CHECK(json_is_null(pl));
  }
  CHECK(json_is_null(json_object_get(json_object_get(m, "fixed"), "pooling")));
  CHECK_STR_EQ(js(m, "fixed", "reason"), "not_identified");
  json_decref(m);
  return err / n;
}

TEST(pricing_pooling_across_products_shrinks_thin_estimates) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  double truth[30];
  char id[16];
  for (int i = 0; i < 30; i++) {
    truth[i] = -2.4 + 1.8 * i / 29.0;
    snprintf(id, sizeof id, "p%02d", i);
    add_shop_product(p, id, truth[i], 5, 360, 0, 700 + (uint64_t)i);
  }
  add_shop_product(p, "fixed", -1.5, 5, 360, 1, 799);
  double pooled = pooled_error(p, 30, truth, 1);
  CHECK_STATUS(ecai_pricing_set_int(p, ECAI_PRICING_OPT_POOLING, 2), ECAI_EINVAL);
  CHECK_OK(ecai_pricing_set_int(p, ECAI_PRICING_OPT_POOLING, 0));
  double own = pooled_error(p, 30, truth, 0);
  CHECK(pooled < own);
  ecai_pricing_free(p);
}

TEST(pricing_validation_holds_back_what_does_not_forecast) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  CHECK_OK(ecai_pricing_set_double(p, ECAI_PRICING_OPT_MAX_SLOPE_SE, 5));
  CHECK_OK(ecai_pricing_set_double(p, ECAI_PRICING_OPT_MIN_R2, 0));
  add_shop_product(p, "real", -2.0, 40, 360, 0, 31);
  /* prices change only early on; the last 80 days (the held-out 50 and the 30 before) at one price */
  for (int d = 0; d < 200; d++) {
    double price = d < 120 ? (d / 10 % 2 ? 9.0 : 11.0) : 10.0;
    CHECK_OK(ecai_pricing_add(p, "late_flat", NULL, (int64_t)d * 86400, price, 50 * pow(price / 10, -1.5), -1));
  }
  json_t *m = run_map(p);
  json_t *v = json_object_get(json_object_get(m, "real"), "validation");
  CHECK_STR_EQ(json_string_value(json_object_get(v, "status")), "passed");
  CHECK(json_number_value(json_object_get(v, "deviance_model")) < json_number_value(json_object_get(v, "deviance_no_change")));
  CHECK_NEAR(json_number_value(json_object_get(v, "elasticity_earlier")), -2.0, 0.6);
  CHECK_STR_EQ(js(m, "late_flat", "reason"), "not_validated");
  CHECK_STR_EQ(js(m, "late_flat", "reason_detail"), "no_price_change_in_the_validation_window");
  json_decref(m);
  /* validation off: the same product is suggested */
  CHECK_OK(ecai_pricing_set_double(p, ECAI_PRICING_OPT_VALIDATION_SHARE, 0));
  CHECK_STATUS(ecai_pricing_set_double(p, ECAI_PRICING_OPT_VALIDATION_SHARE, 0.9), ECAI_EINVAL);
  m = run_map(p);
  CHECK_STR_EQ(js(m, "late_flat", "status"), "suggest");
  CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(m, "late_flat"), "validation"), "status")), "not_run");
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_several_quantity_breaks_are_tiers) {
  /* 1-11 units at list, 12-47 at 90 %, 48+ at 80 %; the list moves every 30 days */
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  uint64_t s = 51;
  static const double steps[] = {1.0, 1.1, 0.95, 1.05, 0.9, 1.0, 1.12, 0.97};
  for (int d = 0; d < 360; d++) {
    double list = 10 * steps[(d / 30) % 8];
    for (int k = poisson_draw(&s, 40 * pow(list / 10, -1.6)); k > 0; k--) {
      double u = ecai__u01(&s), q = u < 0.6 ? 1 + (int)(u * 10) : u < 0.85 ? 12 + (int)(u * 30) : 48 + (int)(u * 20);
      double price = q >= 48 ? 0.8 * list : q >= 12 ? 0.9 * list : list;
      CHECK_OK(ecai_pricing_add(p, "x", NULL, (int64_t)d * 86400 + k, round(price * 100) / 100, q, -1));
    }
  }
  json_t *m = run_map(p);
  json_t *t = json_object_get(json_object_get(m, "x"), "tiers");
  CHECK_INT_EQ(json_integer_value(json_object_get(t, "count")), 3);
  CHECK_STR_EQ(json_string_value(json_object_get(t, "basis")), "order_size");
  CHECK_NEAR(jd(m, "x", "elasticity"), -1.6, 0.35);
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_long_spans_use_weeks_or_are_not_identified) {
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  for (int d = 0; d < 30 * 365; d += 3) /* 30 years: modelled by week */
    CHECK_OK(ecai_pricing_add(p, "long", NULL, (int64_t)d * 86400, 10 + (d / 90) % 3, 5 + d % 7, -1));
  for (int k = 0; k < 20; k++) /* 400 years apart: no model */
    CHECK_OK(ecai_pricing_add(p, "ancient", NULL, (k % 2 ? 0 : -12623040000LL) + k * 86400, 10 + k % 3, 5, -1));
  json_t *m = run_map(p);
  CHECK(jd(m, "long", "periods") > 1500 && jd(m, "long", "periods") < 1600); /* weeks */
  CHECK(isfinite(jd(m, "long", "elasticity")));
  CHECK_STR_EQ(js(m, "ancient", "reason"), "not_identified");
  CHECK_STR_EQ(js(m, "ancient", "reason_detail"), "history_spans_too_many_periods");
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_segment_column_is_a_tier) {
  /* retail and trade customers at different prices, both following the list price */
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  uint64_t s = 41;
  for (int d = 0; d < 240; d++) {
    double list = 10 * (1 + 0.12 * ((d / 30) % 3 - 1));
    double lam = 30 * pow(list / 10, -1.2);
    for (int k = poisson_draw(&s, lam); k > 0; k--) {
      bool trade = ecai__u01(&s) < 0.4;
      CHECK_OK(ecai_pricing_add(p, "x", trade ? "trade" : "retail", (int64_t)d * 86400 + k, trade ? 0.8 * list : list, 1, -1));
    }
  }
  json_t *m = run_map(p);
  CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(m, "x"), "tiers"), "basis")), "segment");
  CHECK_NEAR(jd(m, "x", "elasticity"), -1.2, 0.3);
  json_decref(m);
  ecai_pricing_free(p);
}

/* The loop with experiments: a product the history cannot identify (fixed list price,
 * only the wholesale tier differs) gets a price test: visitors are split by
 * ecai_experiment_assign() (control at the current price, test 10 % lower, 10 % hold-out
 * at the current price); each buys with probability 0.05 (price/20)^b. The measured
 * result makes the estimate and the suggestion. */
TEST(pricing_price_test_updates_the_estimate) {
  const double truth = -2.2, cur = 20, test_price = 18;
  ecai_experiment *e = NULL;
  CHECK_OK(ecai_experiment_new(&e, "price-x", "salt-25"));
  CHECK_OK(ecai_experiment_add_variant(e, "control", 1));
  CHECK_OK(ecai_experiment_add_variant(e, "test", 1));
  CHECK_OK(ecai_experiment_set_holdout(e, 0.1, NULL));
  double units[2] = {0}, visitors[2] = {0}, held = 0;
  uint64_t s = 61;
  char vid[32];
  for (int i = 0; i < 200000; i++) {
    const char *v = NULL;
    int len = snprintf(vid, sizeof vid, "visitor-%d", i);
    CHECK_OK(ecai_experiment_assign(&v, e, vid, (size_t)len));
    if (!strcmp(v, "holdout")) {
      held++;
      continue;
    }
    int g = !strcmp(v, "test");
    double price = g ? test_price : cur;
    visitors[g]++;
    units[g] += ecai__u01(&s) < 0.05 * pow(price / 20, truth);
  }
  CHECK(held > 15000 && held < 25000);
  ecai_experiment_free(e);
  ecai_pricing *p = NULL;
  CHECK_OK(ecai_pricing_new(&p, NULL));
  add_shop_product(p, "x", truth, 40, 240, 1, 62);
  json_t *m = run_map(p);
  CHECK_STR_EQ(js(m, "x", "reason"), "not_identified");
  CHECK_STR_EQ(js(m, "x", "elasticity_source"), "history");
  CHECK(json_is_null(json_object_get(json_object_get(m, "x"), "experiment")));
  json_decref(m);
  CHECK_STATUS(ecai_pricing_add_experiment(p, "x", cur, units[0], visitors[0], cur, units[1], visitors[1]), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_add_experiment(p, "x", cur, 0, visitors[0], test_price, units[1], visitors[1]), ECAI_EINVAL);
  CHECK_STATUS(ecai_pricing_add_experiment(p, "x", cur, units[0], NAN, test_price, units[1], visitors[1]), ECAI_EINVAL);
  CHECK_OK(ecai_pricing_add_experiment(p, "x", cur, units[0], visitors[0], test_price, units[1], visitors[1]));
  m = run_map(p);
  json_t *x = json_object_get(m, "x"), *ex = json_object_get(x, "experiment");
  CHECK_STR_EQ(js(m, "x", "elasticity_source"), "experiment");
  CHECK_INT_EQ(json_integer_value(json_object_get(ex, "tests")), 1);
  double b = jd(m, "x", "elasticity"), se = jd(m, "x", "elasticity_se");
  CHECK_NEAR(b, truth, 3 * se);
  CHECK(se < 0.3);
  CHECK_STR_EQ(js(m, "x", "status"), "suggest"); /* elastic: a lower price */
  CHECK(jd(m, "x", "suggested_price") < cur);
  json_decref(m);
  /* a second test of the same product narrows the interval */
  CHECK_OK(ecai_pricing_add_experiment(p, "x", cur, units[0], visitors[0], test_price, units[1], visitors[1]));
  m = run_map(p);
  CHECK_NEAR(jd(m, "x", "elasticity_se"), se / sqrt(2), 1e-9);
  json_decref(m);
  ecai_pricing_free(p);
}

TEST(pricing_survives_allocation_failures) {
  for (long n = 0; n < 500; n++) {
    ecai_pricing *p = NULL;
    char *out = NULL;
    ecai__test_fail_alloc_after(n);
    ecai_status st = ecai_pricing_new(&p, NULL);
    for (int i = 0; i < 40 && st == ECAI_OK; i++)
      st = ecai_pricing_add(p, i % 2 ? "a" : "b", NULL, i * 86400, 10 + i % 5, 10 - i % 5, -1);
    if (st == ECAI_OK) st = ecai_pricing_set_bounds(p, "a", 1, 100, 0);
    if (st == ECAI_OK) st = ecai_pricing_add_experiment(p, "b", 10, 100, 1000, 9, 120, 1000);
    if (st == ECAI_OK) st = ecai_pricing_run(&out, NULL, p, NULL, NULL);
    ecai__test_fail_alloc_after(-1);
    CHECK(st == ECAI_OK || st == ECAI_ENOMEM);
    ecai_free(out);
    ecai_pricing_free(p);
    if (st == ECAI_OK) return;
  }
  CHECK_MSG(0, "never succeeded");
}
