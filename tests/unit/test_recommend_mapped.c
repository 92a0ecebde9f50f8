/* recommend: the model file laid out for mapping (format version 3, src/recommend/mapfile.c):
   answers as saved, older files load, the first change copies, damaged files are refused,
   processes share the pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/ser.h"
#include "core/internal.h"
#include "recommend/reco.h"
#include "harness.h"

static char *tpath(const char *name) {
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", ecai_test_tmpdir(), name);
  return buf[k];
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *d = malloc(*len ? *len : 1);
  CHECK(fread(d, 1, *len, f) == *len);
  fclose(f);
  return d;
}

static void spit(const char *path, const void *d, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(d, 1, len, f) == len);
  fclose(f);
}

/* Writes d as a container with its length and checksum made right again (as a saver
   would): only the structure checks stand between it and the model. */
static void spit_resummed(const char *path, unsigned char *d, size_t len) {
  ecai__blob_reseal(d, len);
  spit(path, d, len);
}

/* A shop with customers, categories and titles, fitted. */
static ecai_recommend *shop(size_t items, size_t orders) {
  ecai_recommend *r = NULL;
  CHECK_OK(ecai_recommend_new(&r, NULL));
  uint64_t rs = 42;
  static const char *words[] = {"mug", "coffee", "spoon", "sofa", "cushion", "tea", "lamp", "throw", "kettle", "bowl"};
  for (size_t i = 0; i < items; i++) {
    char id[32], title[96], cat[64];
    snprintf(id, sizeof id, "P%zu", i);
    snprintf(title, sizeof title, "%s %s set %zu", words[i % 10], words[(i / 10) % 10], i % 7);
    snprintf(cat, sizeof cat, "Home > %s", words[i % 10]);
    CHECK_OK(ecai_recommend_set_item(r, id, title, 1.0 + (double)(i % 50)));
    if (i % 3) CHECK_OK(ecai_recommend_set_category(r, id, cat));
  }
  for (size_t o = 0; o < orders; o++) {
    char oid[32], cust[32], ids[5][32];
    const char *p[5];
    size_t n = 2 + (size_t)((ecai_test_frand(&rs) + 0.5f) * 3.99f);
    size_t base = (size_t)((ecai_test_frand(&rs) + 0.5f) * (float)(items - 1));
    for (size_t j = 0; j < n; j++) {
      size_t it = j == 0 ? base : (base + 1 + (size_t)((ecai_test_frand(&rs) + 0.5f) * 8.99f)) % items;
      snprintf(ids[j], sizeof ids[j], "P%zu", it);
      p[j] = ids[j];
    }
    snprintf(oid, sizeof oid, "O%zu", o);
    snprintf(cust, sizeof cust, "C%zu", o % 37);
    CHECK_OK(ecai_recommend_add_order(r, oid, o % 5 ? cust : NULL, 1700000000 + (int64_t)o * 3600, p, NULL, NULL, n));
  }
  CHECK_OK(ecai_recommend_fit(r));
  return r;
}

static const char *const reqs[] = {
    "{\"cart\":[\"P1\"],\"k\":6}",
    "{\"cart\":[\"P2\",\"P17\"],\"k\":6,\"customer\":\"C3\"}",
    "{\"cart\":[\"P5\"],\"k\":6,\"strategy\":\"complementary\"}",
    "{\"cart\":[\"P5\"],\"k\":6,\"strategy\":\"similar\"}",
    "{\"cart\":[\"P8\"],\"k\":4,\"strategy\":\"bundle\"}",
    "{\"k\":6,\"strategy\":\"trending\"}",
    "{\"cart\":[\"P9\"],\"k\":6,\"method\":\"ease\"}",
    "{\"cart\":[\"P9\"],\"k\":6,\"method\":\"content\"}",
    "{\"cart\":[\"P9\"],\"k\":6,\"method\":\"cooccurrence\"}",
    "{\"customer\":\"C4\",\"k\":6}",
    "{\"cart\":[\"P3\"],\"k\":6,\"categories\":[\"Home > mug\"]}",
};

/* Every request above and the stats answer the same on a and b. */
static void same_answers(const ecai_recommend *a, const ecai_recommend *b) {
  for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
    char *x = NULL, *y = NULL;
    ecai_status sx = ecai_recommend_query(&x, NULL, a, reqs[i], strlen(reqs[i]));
    ecai_status sy = ecai_recommend_query(&y, NULL, b, reqs[i], strlen(reqs[i]));
    CHECK_MSG(sx == sy, "%s: %d vs %d", reqs[i], (int)sx, (int)sy);
    if (!sx) CHECK_STR_EQ(y, x);
    ecai_free(x);
    ecai_free(y);
  }
  char *s1 = NULL, *s2 = NULL;
  CHECK_OK(ecai_recommend_stats(&s1, NULL, a));
  CHECK_OK(ecai_recommend_stats(&s2, NULL, b));
  CHECK_STR_EQ(s2, s1);
  ecai_free(s1);
  ecai_free(s2);
}

TEST(recommend_mapped_model_answers_as_saved_and_as_version_2) {
  ecai_recommend *r = shop(60, 400);
  CHECK_OK(ecai_recommend_save(r, tpath("m3.bin")));
  ecai__reco_save_version = 2;
  CHECK_OK(ecai_recommend_save(r, tpath("m2.bin")));
  ecai__reco_save_version = 3;
  size_t n3, n2;
  unsigned char *d3 = slurp(tpath("m3.bin"), &n3), *d2 = slurp(tpath("m2.bin"), &n2);
  CHECK(!memcmp(d3, "ECAIRCM\0", 8) && !memcmp(d2, "ECAIRECO", 8));
  free(d3);
  free(d2);
  ecai_recommend *m = NULL, *p = NULL;
  CHECK_OK(ecai_recommend_load(&m, NULL, tpath("m3.bin")));
  CHECK_OK(ecai_recommend_load(&p, NULL, tpath("m2.bin")));
  CHECK(ecai__reco_is_mapped(m));
  CHECK(!ecai__reco_is_mapped(p));
  same_answers(r, m);
  same_answers(p, m);
  /* a mapped model saves what it maps: the same answers again */
  ecai_recommend *m2 = NULL;
  CHECK_OK(ecai_recommend_save(m, tpath("again.bin")));
  CHECK_OK(ecai_recommend_load(&m2, NULL, tpath("again.bin")));
  same_answers(m, m2);
  ecai_recommend_free(m2);
  ecai_recommend_free(p);
  ecai_recommend_free(m);
  ecai_recommend_free(r);
}

TEST(recommend_mapped_model_with_caller_content_and_an_empty_model) {
  ecai_recommend *r = shop(30, 120);
  const char *ids[] = {"P1", "P2", "P3"};
  const float mat[] = {1, 0, 0, 0.6f, 0.8f, 0, 0, 0, 1};
  CHECK_OK(ecai_recommend_set_content(r, ids, mat, 3, 3));
  CHECK_OK(ecai_recommend_save(r, tpath("mat.bin")));
  ecai_recommend *m = NULL;
  CHECK_OK(ecai_recommend_load(&m, NULL, tpath("mat.bin")));
  CHECK(ecai__reco_is_mapped(m));
  same_answers(r, m);
  ecai_recommend_free(m);
  ecai_recommend_free(r);
  /* nothing in it: saves, maps, answers nothing */
  CHECK_OK(ecai_recommend_new(&r, NULL));
  CHECK_OK(ecai_recommend_save(r, tpath("empty.bin")));
  CHECK_OK(ecai_recommend_load(&m, NULL, tpath("empty.bin")));
  same_answers(r, m);
  ecai_recommend_free(m);
  ecai_recommend_free(r);
}

/* The committed file of format version 2 loads as before (private, parsed) and, saved
   again, maps with the same answers. */
TEST(recommend_version_2_file_loads_and_converts) {
  ecai_recommend *v2 = NULL, *csv = NULL, *m = NULL;
  CHECK_OK(ecai_recommend_load(&v2, NULL, ecai_test_fixture("recommend_model_v2.bin")));
  CHECK(!ecai__reco_is_mapped(v2));
  CHECK_OK(ecai_recommend_new(&csv, NULL));
  CHECK_OK(ecai_recommend_load_orders(csv, ecai_test_fixture("recommend_orders.csv"), 0));
  CHECK_INT_EQ(v2->n_items, csv->n_items);
  CHECK_INT_EQ(v2->n_orders, csv->n_orders);
  CHECK(v2->ease_n > 0 && ecai__reco_text_fitted(v2));
  CHECK(v2->items[ecai__reco_item_find(v2, "MUG1", 4)].category != NULL);
  CHECK_OK(ecai_recommend_save(v2, tpath("v3.bin")));
  CHECK_OK(ecai_recommend_load(&m, NULL, tpath("v3.bin")));
  CHECK(ecai__reco_is_mapped(m));
  static const char *const fx[] = {"{\"cart\":[\"MUG1\"],\"k\":5}", "{\"cart\":[\"SOFA1\"],\"k\":5,\"strategy\":\"similar\"}",
                                   "{\"customer\":\"cust1\",\"k\":5}", "{\"k\":5,\"strategy\":\"trending\"}",
                                   "{\"cart\":[\"MUG1\"],\"k\":5,\"categories\":[\"Kitchen\"]}"};
  for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
    char *a = NULL, *b = NULL;
    CHECK_OK(ecai_recommend_query(&a, NULL, v2, fx[i], strlen(fx[i])));
    CHECK_OK(ecai_recommend_query(&b, NULL, m, fx[i], strlen(fx[i])));
    CHECK_STR_EQ(b, a);
    ecai_free(a);
    ecai_free(b);
  }
  ecai_recommend_free(m);
  ecai_recommend_free(csv);
  ecai_recommend_free(v2);
}

/* Changes to a mapped model copy it first: the same changes on a private copy give the
   same answers, and the file is never written. */
TEST(recommend_mapped_model_copies_on_first_change) {
  ecai_recommend *r = shop(50, 300);
  const char *p = tpath("m.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  ecai_recommend_free(r);
  size_t n0;
  unsigned char *before = slurp(p, &n0);
  ecai__reco_save_version = 2;
  ecai_recommend *m = NULL, *q = NULL;
  CHECK_OK(ecai_recommend_load(&m, NULL, p));
  CHECK_OK(ecai_recommend_save(m, tpath("private.bin")));
  ecai__reco_save_version = 3;
  CHECK_OK(ecai_recommend_load(&q, NULL, tpath("private.bin")));
  CHECK(ecai__reco_is_mapped(m) && !ecai__reco_is_mapped(q));
  /* a rejected change leaves it mapped */
  CHECK_STATUS(ecai_recommend_add_order(m, "", NULL, 0, NULL, NULL, NULL, 0), ECAI_EINVAL);
  CHECK(ecai__reco_is_mapped(m));
  const char *ids[] = {"P1", "NEW1", "P40"};
  ecai_recommend *both[2] = {m, q};
  for (int k = 0; k < 2; k++) {
    CHECK_OK(ecai_recommend_add_order(both[k], "X1", "C3", 1800000000, ids, NULL, NULL, 3));
    CHECK_OK(ecai_recommend_set_item(both[k], "NEW1", "brand new kettle", 12));
    CHECK_OK(ecai_recommend_set_category(both[k], "NEW1", "Home > kettle"));
  }
  CHECK(!ecai__reco_is_mapped(m));
  same_answers(q, m);
  const char *nr = "{\"cart\":[\"NEW1\"],\"k\":10,\"method\":\"cooccurrence\"}";
  char *out = NULL;
  CHECK_OK(ecai_recommend_query(&out, NULL, m, nr, strlen(nr)));
  CHECK_CONTAINS(out, "P40"); /* bought together in the new order */
  ecai_free(out);
  CHECK_OK(ecai_recommend_fit(m));
  CHECK_OK(ecai_recommend_fit(q));
  same_answers(q, m);
  size_t n1;
  unsigned char *after = slurp(p, &n1);
  CHECK(n0 == n1 && !memcmp(before, after, n0));
  free(before);
  free(after);
  ecai_recommend_free(q);
  ecai_recommend_free(m);
  /* each kind of change on a freshly mapped model */
  for (int k = 0; k < 5; k++) {
    CHECK_OK(ecai_recommend_load(&m, NULL, p));
    CHECK(ecai__reco_is_mapped(m));
    const float v[2] = {1, 0};
    const char *one[] = {"P1"};
    switch (k) {
    case 0: CHECK_OK(ecai_recommend_fit(m)); break;
    case 1: CHECK_OK(ecai_recommend_set_content(m, one, v, 1, 2)); break;
    case 2: CHECK_OK(ecai_recommend_set_content_fn(m, 0, NULL, NULL)); break;
    case 3: CHECK_OK(ecai_recommend_load_orders(m, ecai_test_fixture("recommend_orders.csv"), 0)); break;
    default: CHECK_OK(ecai_recommend_set_category(m, "P2", "Garden")); break;
    }
    CHECK(!ecai__reco_is_mapped(m));
    CHECK_OK(ecai_recommend_query(&out, NULL, m, reqs[0], strlen(reqs[0])));
    ecai_free(out);
    ecai_recommend_free(m);
  }
}

/* Out of memory while copying a mapped model before a change: ECAI_ENOMEM, the model
   still answers, nothing leaks (the harness counts allocations). */
TEST(recommend_mapped_copy_survives_allocation_failures) {
  ecai_recommend *r = shop(15, 40);
  const char *p = tpath("m.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  ecai_recommend_free(r);
  const char *ids[] = {"P1", "P2"};
  int done = 0, failed = 0;
  for (long n = 0; n < 5000 && !done; n++) {
    ecai_recommend *m = NULL;
    CHECK_OK(ecai_recommend_load(&m, NULL, p));
    ecai__test_fail_alloc_after(n);
    ecai_status st = ecai_recommend_add_order(m, "X1", "C1", 1800000000, ids, NULL, NULL, 2);
    ecai__test_fail_alloc_after(-1);
    CHECK_MSG(st == ECAI_OK || st == ECAI_ENOMEM, "n=%ld: %d %s", n, (int)st, ecai_last_error());
    done = st == ECAI_OK;
    failed += st == ECAI_ENOMEM;
    char *out = NULL;
    CHECK_OK(ecai_recommend_query(&out, NULL, m, reqs[0], strlen(reqs[0])));
    ecai_free(out);
    ecai_recommend_free(m);
  }
  CHECK(done && failed > 10);
}

/* A title embedder configured differently: the stored title vectors are not used, the
   titles are embedded again (as a version 2 file loads). */
TEST(recommend_mapped_model_other_title_embedder) {
  ecai_recommend *r = shop(40, 200);
  CHECK_OK(ecai_recommend_save(r, tpath("m.bin")));
  ecai__reco_save_version = 2;
  CHECK_OK(ecai_recommend_save(r, tpath("m2.bin")));
  ecai__reco_save_version = 3;
  ecai_ctx *ctx = NULL;
  const char *cfg = "{\"embedder\":{\"dim\":64}}";
  CHECK_OK(ecai_ctx_new(&ctx, cfg, strlen(cfg)));
  ecai_recommend *m = NULL, *p = NULL;
  CHECK_OK(ecai_recommend_load(&m, ctx, tpath("m.bin")));
  CHECK_OK(ecai_recommend_load(&p, ctx, tpath("m2.bin")));
  CHECK_INT_EQ(m->cdim, 64);
  CHECK(!ecai__reco_is_mapped(m));
  same_answers(p, m);
  ecai_recommend_free(p);
  ecai_recommend_free(m);
  ecai_recommend_free(r);
  ecai_ctx_free(ctx);
}

/* Loads path; a refusal is ECAI_ECORRUPT naming the file; an accepted file answers. */
static int load_or_refuse(const char *path) {
  ecai_recommend *m = (ecai_recommend *)1;
  ecai_status st = ecai_recommend_load(&m, NULL, path);
  if (st) {
    CHECK_MSG(st == ECAI_ECORRUPT, "status %d: %s", (int)st, ecai_last_error());
    CHECK(m == NULL);
    CHECK_CONTAINS(ecai_last_error(), path);
    return 0;
  }
  for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
    char *out = NULL;
    if (ecai_recommend_query(&out, NULL, m, reqs[i], strlen(reqs[i])) == ECAI_OK) ecai_free(out);
  }
  ecai_recommend_free(m);
  return 1;
}

/* Offsets in the file of the mapped layout's header (mapfile.c rm_head, after the 32-byte
   container header): the section table starts at 184, 16 bytes (offset, length) each. */
enum { H_VERSION = 32, H_N_ITEMS = 48, H_SECTIONS = 184 };
enum { SEC_POOL = 0, SEC_NKEYS = 3, SEC_IORD0 = 5, SEC_OITEMS = 9, SEC_IMAP = 13, SEC_EITEMS = 16, SEC_EPOS = 17 };

static uint64_t sec_off(const unsigned char *d, int s) {
  uint64_t v;
  memcpy(&v, d + H_SECTIONS + 16 * s, 8);
  return v;
}
static uint64_t sec_len(const unsigned char *d, int s) {
  uint64_t v;
  memcpy(&v, d + H_SECTIONS + 16 * s + 8, 8);
  return v;
}

TEST(recommend_mapped_damage_is_refused_never_a_crash) {
  ecai_recommend *r = shop(20, 60);
  const char *p = tpath("m.bin"), *q = tpath("bad.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  ecai_recommend_free(r);
  size_t len;
  unsigned char *d = slurp(p, &len), *w = malloc(len);
  /* truncated anywhere, one flipped bit: the container refuses it */
  size_t cuts[] = {0, 7, 8, 31, 32, 100, len / 2, len - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    spit(q, d, cuts[i]);
    CHECK(load_or_refuse(q) == 0);
  }
  memcpy(w, d, len);
  w[len / 2] ^= 0x10;
  spit(q, w, len);
  CHECK(load_or_refuse(q) == 0);
  CHECK_CONTAINS(ecai_last_error(), "checksum");
  /* a right checksum over a wrong structure: each named damage is refused */
  struct {
    const char *what;
    size_t at;
    uint32_t val;
  } harm[] = {
      {"version", H_VERSION, 4},
      {"section table", H_SECTIONS + 16 * SEC_EPOS, 3},                          /* misaligned offset */
      {"counts", H_N_ITEMS, 0xFFFFFFFFu},                                         /* item count */
      {"string pool", (size_t)(sec_off(d, SEC_POOL) + sec_len(d, SEC_POOL) - 1), 'x'}, /* no final NUL */
      {"co-occurrence keys", (size_t)sec_off(d, SEC_NKEYS), 1000},               /* item 999 of 20 */
      {"orders of the items", (size_t)sec_off(d, SEC_IORD0), 5},                 /* list starts at 5 */
      {"order lines", (size_t)sec_off(d, SEC_OITEMS), 20},                       /* item 20 of 20 */
      {"EASE items", (size_t)sec_off(d, SEC_EITEMS), 21},
      {"EASE rows", (size_t)sec_off(d, SEC_EPOS), 20},
  };
  for (size_t i = 0; i < sizeof harm / sizeof harm[0]; i++) {
    memcpy(w, d, len);
    if (!strcmp(harm[i].what, "string pool")) w[harm[i].at] = (unsigned char)harm[i].val;
    else memcpy(w + harm[i].at, &harm[i].val, 4);
    spit_resummed(q, w, len);
    CHECK_MSG(load_or_refuse(q) == 0, "%s accepted", harm[i].what);
    CHECK_CONTAINS(ecai_last_error(), harm[i].what);
  }
  /* an id map without an empty slot would never end a lookup */
  memcpy(w, d, len);
  for (uint64_t j = 0; j < sec_len(d, SEC_IMAP) / 4; j++) memcpy(w + sec_off(d, SEC_IMAP) + 4 * j, &(uint32_t){1}, 4);
  spit_resummed(q, w, len);
  CHECK(load_or_refuse(q) == 0);
  CHECK_CONTAINS(ecai_last_error(), "id map");
  /* words of the header (each, four values) and of the sections holding counts, offsets
     and indexes (every second word, two values; strings and floats may hold anything),
     checksum made right: refused or answering, never out of bounds (the sanitizer builds
     watch) */
  static const uint32_t vals[] = {0xFFFFFFFFu, 1, 0, 0x7FFFFFFFu};
  static const int free_form[] = {SEC_POOL, 4, 18, 19, 20}; /* pool, nvals, ease, chas, cvec */
  size_t accepted = 0, tried = 0;
  for (size_t at = 32; at + 4 <= len; at += 4) {
    bool head = at < sec_off(d, SEC_POOL), skip = !head && (at / 4) % 2;
    for (size_t f = 0; !head && f < sizeof free_form / sizeof free_form[0]; f++)
      skip |= at >= sec_off(d, free_form[f]) && at < sec_off(d, free_form[f]) + sec_len(d, free_form[f]);
    if (skip) continue;
    for (size_t v = 0; v < (head ? 4u : 2u); v++) {
      memcpy(w, d, len);
      if (!memcmp(w + at, &vals[v], 4)) continue;
      memcpy(w + at, &vals[v], 4);
      spit_resummed(q, w, len);
      accepted += (size_t)load_or_refuse(q);
      tried++;
    }
  }
  CHECK(tried > 500 && accepted < tried);
  free(w);
  free(d);
}

/* A process loads the mapped model and answers every request: 1 when all succeeded. */
static int load_and_query(int k, void *arg) {
  (void)k;
  ecai_recommend *m = NULL;
  char *out = NULL;
  int ok = ecai_recommend_load(&m, NULL, arg) == ECAI_OK && ecai__reco_is_mapped(m);
  for (size_t i = 0; ok && i < sizeof reqs / sizeof reqs[0]; i++) {
    ok = ecai_recommend_query(&out, NULL, m, reqs[i], strlen(reqs[i])) == ECAI_OK;
    ecai_free(out);
  }
  return ok;
}

TEST(recommend_mapped_pages_are_shared_by_processes) {
  enum { P = 4 };
  ecai_recommend *r = shop(700, 4000);
  const char *p = tpath("shared.bin");
  CHECK_OK(ecai_recommend_save(r, p));
  size_t vec_kb = r->n_items * r->cdim * 4 / 1024; /* every content vector is read by a request */
  ecai_recommend_free(r);
  ecai_test_check_pages_shared(P, p, (long)vec_kb, load_and_query, (void *)p, "model");
}
