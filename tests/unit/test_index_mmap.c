/* Flat index files used in place: layout, exact kernel against FAISS, mutations of a
 * mapped index, the old layout, checksums once per file, pages shared between processes. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "index/index_internal.h"

static ecai_ctx *ctxj(const char *json) {
  ecai_ctx *c = NULL;
  if (ecai_ctx_new(&c, json, json ? strlen(json) : 0)) return NULL;
  return c;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static void rand_unit(float *v, size_t d) { ecai_test_rand_unit(&rng, v, d); }

static char *tmp_path(const char *name) {
  static char p[4][1024];
  static int i;
  char *r = p[i++ % 4];
  snprintf(r, 1024, "%s/%s", ecai_test_tmpdir(), name);
  return r;
}

/* a Flat index of n random unit vectors (ids 7 * i), kept in FAISS */
static ecai_index *random_flat(ecai_ctx *ctx, size_t n, size_t d, float **out_v) {
  ecai_index *x = NULL;
  if (ecai_index_new(&x, ctx, d, "Flat")) return NULL;
  float *v = malloc(n * d * sizeof *v);
  int64_t *ids = malloc(n * sizeof *ids);
  for (size_t i = 0; i < n; i++) {
    rand_unit(v + i * d, d);
    ids[i] = (int64_t)(7 * i);
  }
  ecai_status st = ecai_index_add(x, ids, v, n);
  free(ids);
  if (st) {
    ecai_index_free(x);
    free(v);
    return NULL;
  }
  *out_v = v;
  return x;
}

/* Same hits in the same order, scores equal within float rounding; two ids may trade
 * places only where their scores tie within that rounding. */
static void check_same_hits(const int64_t *a, const float *as, const int64_t *b, const float *bs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    CHECK_NEAR(as[i], bs[i], 1e-5);
    if (a[i] != b[i]) {
      int found = 0;
      for (size_t j = 0; j < n; j++)
        if (b[j] == a[i] && fabs(bs[j] - as[i]) <= 1e-5) found = 1;
      CHECK_MSG(found, "rank %zu: id %lld vs %lld, scores %.8f / %.8f", i, (long long)a[i], (long long)b[i], as[i],
                bs[i]);
    }
  }
}

static int odd_sevenths(int64_t id, void *p) {
  (void)p;
  return (id / 7) % 2 == 1;
}

static uint64_t rd64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* the vector offset of an ECAIIDF file, read independently of the library's parser:
 * 32 header, u32 layout, u32 dim, str factory, str embedder id (u32 length, or u32 max
 * for none), u64 npos, npos x u64, u64 vec_off */
static size_t vec_offset(const char *path) {
  FILE *f = fopen(path, "rb");
  static unsigned char buf[1 << 16];
  size_t got = fread(buf, 1, sizeof buf, f);
  fclose(f);
  CHECK(got > 64);
  CHECK(memcmp(buf, "ECAIIDF", 8) == 0);
  CHECK_INT_EQ(rd32(buf + 32), 1); /* layout */
  size_t o = 40;
  CHECK_INT_EQ(rd32(buf + o), 4);
  CHECK(memcmp(buf + o + 4, "Flat", 4) == 0);
  o += 8;
  uint32_t el = rd32(buf + o);
  o += 4 + (el == UINT32_MAX ? 0 : el);
  uint64_t npos = rd64(buf + o);
  o += 8 + npos * 8;
  CHECK(o + 8 <= got);
  return (size_t)rd64(buf + o);
}

TEST(index_flat_file_is_mapped_and_agrees_with_faiss) {
  enum { N = 3000, DIM = 48, Q = 40, K = 10 };
  ecai_ctx *ctx = ctxj(NULL);
  float *v = NULL;
  ecai_index *x = random_flat(ctx, N, DIM, &v), *m = NULL;
  CHECK(x != NULL);
  for (int i = 0; i < N; i += 5) CHECK_OK(ecai_index_remove(x, 7 * i)); /* tombstones are kept in the file */
  const char *p = tmp_path("idx.bin");
  CHECK_OK(ecai_index_save(x, p));
  CHECK_OK(ecai_index_open(&m, ctx, p));
  CHECK(!ecai__index_is_mapped(x));
  CHECK(ecai__index_is_mapped(m));
  CHECK_INT_EQ(ecai_index_count(m), ecai_index_count(x));
  /* the layout: raw little-endian rows at a page-aligned offset, up to the end of the file */
  size_t voff = vec_offset(p);
  CHECK_INT_EQ(voff % 4096, 0);
  struct stat sb;
  CHECK(stat(p, &sb) == 0);
  CHECK_INT_EQ((size_t)sb.st_size, voff + (size_t)N * DIM * sizeof(float));
  FILE *f = fopen(p, "rb");
  float row[DIM];
  fseek(f, (long)(voff + 1234 * DIM * sizeof(float)), SEEK_SET);
  CHECK(fread(row, sizeof(float), DIM, f) == DIM);
  fclose(f);
  CHECK(memcmp(row, v + 1234 * DIM, sizeof row) == 0);
  /* every kind of search gives FAISS's answer */
  float qs[Q * DIM];
  for (int i = 0; i < Q; i++) rand_unit(qs + i * DIM, DIM);
  int64_t a[K], b[K];
  float as[K], bs[K];
  size_t na, nb;
  for (int i = 0; i < Q; i++) {
    CHECK_OK(ecai_index_search(&na, a, as, x, qs + i * DIM, K, NULL, 0, NULL, NULL));
    CHECK_OK(ecai_index_search(&nb, b, bs, m, qs + i * DIM, K, NULL, 0, NULL, NULL));
    CHECK_INT_EQ(na, K);
    CHECK_INT_EQ(nb, na);
    check_same_hits(a, as, b, bs, K);
    CHECK_OK(ecai_index_search(&na, a, as, x, qs + i * DIM, K, NULL, 0, odd_sevenths, NULL));
    CHECK_OK(ecai_index_search(&nb, b, bs, m, qs + i * DIM, K, NULL, 0, odd_sevenths, NULL));
    CHECK_INT_EQ(nb, na);
    check_same_hits(a, as, b, bs, na);
  }
  /* an exact vector finds itself first with score 1 */
  CHECK_OK(ecai_index_search(&nb, b, bs, m, v + 11 * DIM, 3, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(b[0], 77);
  CHECK_NEAR(bs[0], 1.0, 1e-5);
  /* small and large allowed sets */
  int64_t small[] = {14, 21, 28, 42, 42, 999999, 0, 35 /* removed */};
  CHECK_OK(ecai_index_search(&na, a, as, x, qs, K, small, 8, NULL, NULL));
  CHECK_OK(ecai_index_search(&nb, b, bs, m, qs, K, small, 8, NULL, NULL));
  CHECK_INT_EQ(nb, 4);
  CHECK_INT_EQ(na, nb);
  check_same_hits(a, as, b, bs, nb);
  int64_t *big = malloc(N / 2 * sizeof *big);
  for (int i = 0; i < N / 2; i++) big[i] = 14 * i;
  CHECK_OK(ecai_index_search(&na, a, as, x, qs + DIM, K, big, N / 2, NULL, NULL));
  CHECK_OK(ecai_index_search(&nb, b, bs, m, qs + DIM, K, big, N / 2, NULL, NULL));
  CHECK_INT_EQ(na, K);
  CHECK_INT_EQ(nb, K);
  check_same_hits(a, as, b, bs, K);
  free(big);
  /* batch (40 queries: FAISS takes its BLAS path) equals FAISS's batch */
  int64_t *ba = malloc(Q * K * sizeof *ba), *bb = malloc(Q * K * sizeof *bb);
  float *bsa = malloc(Q * K * sizeof *bsa), *bsb = malloc(Q * K * sizeof *bsb);
  CHECK_OK(ecai_index_search_batch(ba, bsa, x, qs, Q, K));
  CHECK_OK(ecai_index_search_batch(bb, bsb, m, qs, Q, K));
  for (int i = 0; i < Q; i++) check_same_hits(ba + i * K, bsa + i * K, bb + i * K, bsb + i * K, K);
  /* k beyond the live count: every live id once, then -1 */
  int64_t *all = malloc((N + 5) * sizeof *all);
  float *alls = malloc((N + 5) * sizeof *alls);
  CHECK_OK(ecai_index_search_batch(all, alls, m, qs, 1, N + 5));
  size_t live = 0;
  for (int i = 0; i < N + 5; i++) live += all[i] >= 0;
  CHECK_INT_EQ(live, ecai_index_count(m));
  CHECK_INT_EQ(all[N + 4], -1);
  free(all);
  free(alls);
  free(ba);
  free(bb);
  free(bsa);
  free(bsb);
  ecai_index_free(m);
  ecai_index_free(x);
  free(v);
  ecai_ctx_free(ctx);
}

TEST(index_mapped_changes_keep_the_mapping) {
  enum { N = 2500, DIM = 16 };
  ecai_ctx *ctx = ctxj(NULL);
  float *v = NULL;
  ecai_index *x = random_flat(ctx, N, DIM, &v), *m = NULL;
  CHECK(x != NULL);
  const char *p = tmp_path("idx.bin");
  CHECK_OK(ecai_index_save(x, p));
  ecai_index_free(x);
  CHECK_OK(ecai_index_open(&m, ctx, p));
  CHECK(ecai__index_is_mapped(m));
  int64_t out[3];
  float sc[3];
  size_t n;
  /* a removal keeps the mapping (ids are private); added rows go beside it, in memory */
  CHECK_OK(ecai_index_remove(m, 7 * 10));
  CHECK(ecai__index_is_mapped(m));
  CHECK_OK(ecai_index_search(&n, out, sc, m, v + 10 * DIM, 3, NULL, 0, NULL, NULL));
  CHECK(out[0] != 70);
  int64_t nid = 123456;
  CHECK_OK(ecai_index_add(m, &nid, v + 10 * DIM, 1));
  CHECK(ecai__index_is_mapped(m));
  CHECK_OK(ecai_index_search(&n, out, sc, m, v + 10 * DIM, 1, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(out[0], nid);
  CHECK_OK(ecai_index_search(&n, out, sc, m, v + 20 * DIM, 1, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(out[0], 140);
  /* replacing a mapped id: its old row is a tombstone, the new one (row 30's vector) wins */
  int64_t rid = 7 * 20;
  CHECK_OK(ecai_index_add(m, &rid, v + 30 * DIM, 1));
  CHECK(ecai__index_is_mapped(m));
  CHECK_OK(ecai_index_search(&n, out, sc, m, v + 30 * DIM, 2, NULL, 0, NULL, NULL));
  CHECK(n == 2 && (out[0] == 140 || out[1] == 140) && (out[0] == 210 || out[1] == 210));
  CHECK_OK(ecai_index_search(&n, out, sc, m, v + 20 * DIM, 3, NULL, 0, NULL, NULL));
  CHECK(out[0] != 140 && out[1] != 140 && out[2] != 140);
  int64_t both[2] = {140, nid};
  CHECK_OK(ecai_index_search(&n, out, sc, m, v + 30 * DIM, 2, both, 2, NULL, NULL)); /* exact subset */
  CHECK_INT_EQ(out[0], 140);
  CHECK(fabsf(sc[0] - 1.0f) < 1e-4f);
  int64_t bo[4];
  float bs[4];
  float two[2 * DIM];
  memcpy(two, v + 30 * DIM, DIM * sizeof *two);
  memcpy(two + DIM, v + 10 * DIM, DIM * sizeof *two);
  CHECK_OK(ecai_index_search_batch(bo, bs, m, two, 2, 2));
  CHECK((bo[0] == 140 || bo[1] == 140) && (bo[2] == nid || bo[3] == nid));
  /* saved again: mapped again, same answers */
  const char *p2 = tmp_path("idx2.bin");
  CHECK_OK(ecai_index_save(m, p2));
  ecai_index *m2 = NULL;
  CHECK_OK(ecai_index_open(&m2, ctx, p2));
  CHECK(ecai__index_is_mapped(m2));
  CHECK_INT_EQ(ecai_index_count(m2), N);
  CHECK_OK(ecai_index_search(&n, out, sc, m2, v + 10 * DIM, 1, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(out[0], nid);
  CHECK_OK(ecai_index_search(&n, out, sc, m2, v + 30 * DIM, 1, NULL, 0, NULL, NULL));
  CHECK(out[0] == 140 || out[0] == 210);
  /* enough removals on a mapped index compact it into FAISS */
  for (int i = 100; i < 2000; i++) CHECK_OK(ecai_index_remove(m2, 7 * i));
  CHECK(!ecai__index_is_mapped(m2));
  CHECK(ecai__index_positions(m2) < N);
  CHECK_OK(ecai_index_search(&n, out, sc, m2, v + 2100 * DIM, 1, NULL, 0, NULL, NULL));
  CHECK_INT_EQ(out[0], 7 * 2100);
  ecai_index_free(m2);
  ecai_index_free(m);
  free(v);
  ecai_ctx_free(ctx);
}

TEST(index_mmap_off_reads_the_file_into_faiss) {
  enum { N = 500, DIM = 24 };
  ecai_ctx *ctx = ctxj(NULL), *off = ctxj("{\"index\":{\"mmap\":false}}");
  float *v = NULL;
  ecai_index *x = random_flat(ctx, N, DIM, &v), *r = NULL;
  CHECK(x != NULL);
  const char *p = tmp_path("idx.bin");
  CHECK_OK(ecai_index_save(x, p));
  CHECK_OK(ecai_index_open(&r, off, p));
  CHECK(!ecai__index_is_mapped(r));
  int64_t a[5], b[5];
  float as[5], bs[5];
  size_t na, nb;
  CHECK_OK(ecai_index_search(&na, a, as, x, v + 3 * DIM, 5, NULL, 0, NULL, NULL));
  CHECK_OK(ecai_index_search(&nb, b, bs, r, v + 3 * DIM, 5, NULL, 0, NULL, NULL));
  for (int i = 0; i < 5; i++) {
    CHECK_INT_EQ(a[i], b[i]);
    CHECK(as[i] == bs[i]); /* both FAISS */
  }
  ecai_index_free(r);
  ecai_index_free(x);
  free(v);
  ecai_ctx_free(off);
  ecai_ctx_free(ctx);
}

/* the old layout (ECAIIDX, FAISS's serialisation) written by an earlier library */
TEST(index_old_format_still_opens) {
  ecai_ctx *ctx = ctxj(NULL);
  ecai_index *x = NULL, *m = NULL;
  CHECK_OK(ecai_index_open(&x, ctx, ecai_test_fixture("index_v1_flat.bin")));
  CHECK(!ecai__index_is_mapped(x));
  CHECK_INT_EQ(ecai_index_count(x), 19);
  float v[20][8];
  for (int i = 0; i < 20; i++) {
    double s = 0;
    for (int d = 0; d < 8; d++) {
      v[i][d] = (float)sin(1.0 + i * 8 + d);
      s += (double)v[i][d] * v[i][d];
    }
    for (int d = 0; d < 8; d++) v[i][d] /= (float)sqrt(s);
  }
  int64_t out[3];
  float sc[3];
  size_t n;
  for (int i = 0; i < 20; i++) {
    CHECK_OK(ecai_index_search(&n, out, sc, x, v[i], 3, NULL, 0, NULL, NULL));
    CHECK_INT_EQ(n, 3);
    if (i == 5) {
      CHECK(out[0] != 105 && out[1] != 105 && out[2] != 105);
      continue;
    }
    CHECK_INT_EQ(out[0], 100 + i);
    CHECK_NEAR(sc[0], 1.0, 1e-5);
  }
  /* saved again it takes the mapped layout, with the same answers */
  const char *p = tmp_path("again.bin");
  CHECK_OK(ecai_index_save(x, p));
  CHECK_OK(ecai_index_open(&m, ctx, p));
  CHECK(ecai__index_is_mapped(m));
  CHECK_INT_EQ(ecai_index_count(m), 19);
  int64_t o2[3];
  float s2[3];
  for (int i = 0; i < 20; i++) {
    CHECK_OK(ecai_index_search(&n, out, sc, x, v[i], 3, NULL, 0, NULL, NULL));
    CHECK_OK(ecai_index_search(&n, o2, s2, m, v[i], 3, NULL, 0, NULL, NULL));
    check_same_hits(out, sc, o2, s2, 3);
  }
  ecai_index_free(m);
  ecai_index_free(x);
  ecai_ctx_free(ctx);
}

static void copy_file(const char *from, const char *to) {
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  CHECK(a && b);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, a)) > 0) CHECK(fwrite(buf, 1, n, b) == n);
  fclose(a);
  fclose(b);
}

/* whether DIR/search.bin is mapped in this process */
static int se_mapped(const char *dir) {
  char want[1200], line[4096];
  snprintf(want, sizeof want, "%s/search.bin", dir);
  char *real = realpath(want, NULL);
  FILE *f = fopen("/proc/self/maps", "r");
  int hit = 0;
  while (real && f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    size_t l = strlen(line), n = strlen(real);
    if (l >= n && strcmp(line + l - n, real) == 0) hit = 1;
  }
  if (f) fclose(f);
  free(real);
  return hit;
}

TEST(store_old_format_still_opens) {
  ecai_ctx *ctx = ctxj(NULL);
  char dir[1024], f[1100], g[1100];
  snprintf(dir, sizeof dir, "%s/v1", ecai_test_tmpdir());
  CHECK(mkdir(dir, 0755) == 0);
  const char *files[] = {"MANIFEST", "catalog.bin", "embedded.bin", "index.bin", "search.bin"};
  for (int i = 0; i < 5; i++) {
    snprintf(f, sizeof f, "store_v1/%s", files[i]);
    snprintf(g, sizeof g, "%s/%s", dir, files[i]);
    copy_file(ecai_test_fixture(f), g);
  }
  gzFile z = gzopen(ecai_test_fixture("store_v1/embedder.bin.gz"), "rb");
  CHECK(z != NULL);
  snprintf(g, sizeof g, "%s/embedder.bin", dir);
  FILE *out = fopen(g, "wb");
  char buf[65536];
  int n;
  while ((n = gzread(z, buf, sizeof buf)) > 0) CHECK(fwrite(buf, 1, (size_t)n, out) == (size_t)n);
  gzclose(z);
  fclose(out);
  ecai_store *s = NULL, *s2 = NULL;
  CHECK_OK(ecai_store_open(&s, ctx, dir));
  CHECK(!ecai__index_is_mapped(ecai_store_index(s)));
  char *a = NULL, *b = NULL;
  CHECK_OK(ecai_store_search(&a, NULL, s, "oak table", 9, 3));
  CHECK_CONTAINS(a, "{\"hits\":[{\"id\":\"A-2\"");
  /* the keyword index of the old layout opens too (copied), and answers as a new one */
  ecai_search *se = NULL, *fresh = NULL;
  CHECK_OK(ecai_search_open(&se, s, dir));
  CHECK(!se_mapped(dir));
  CHECK_OK(ecai_search_new(&fresh, s));
  char *x1 = NULL, *x2 = NULL;
  CHECK_OK(ecai_search_query(&x1, NULL, se, "oak table", 9, "{\"k\":3}"));
  CHECK_OK(ecai_search_query(&x2, NULL, fresh, "oak table", 9, "{\"k\":3}"));
  CHECK_CONTAINS(x1, "{\"hits\":[{\"id\":\"A-2\"");
  CHECK_STR_EQ(x1, x2);
  ecai_free(x1);
  ecai_free(x2);
  ecai_search_free(se);
  ecai_search_free(fresh);
  char dir2[1100];
  snprintf(dir2, sizeof dir2, "%s/v2", ecai_test_tmpdir());
  CHECK_OK(ecai_store_save(s, dir2));
  CHECK_OK(ecai_store_open(&s2, ctx, dir2));
  CHECK(ecai__index_is_mapped(ecai_store_index(s2)));
  CHECK_OK(ecai_store_search(&b, NULL, s2, "oak table", 9, 3));
  CHECK_STR_EQ(a, b);
  ecai_free(a);
  ecai_free(b);
  ecai_store_free(s2);
  ecai_store_free(s);
  ecai_ctx_free(ctx);
}

static void flip_byte(const char *p, long off) {
  int fd = open(p, O_RDWR);
  CHECK(fd >= 0);
  unsigned char c;
  CHECK(pread(fd, &c, 1, off) == 1);
  c ^= 0x10;
  CHECK(pwrite(fd, &c, 1, off) == 1);
  close(fd);
}

TEST(index_mapped_checksum_once_per_file_and_damage_refused) {
  enum { N = 400, DIM = 32 };
  ecai_ctx *ctx = ctxj(NULL);
  float *v = NULL;
  ecai_index *x = random_flat(ctx, N, DIM, &v), *m = NULL;
  CHECK(x != NULL);
  const char *p = tmp_path("idx.bin");
  CHECK_OK(ecai_index_save(x, p));
  size_t voff = vec_offset(p);
  /* a file changed within the last seconds is hashed at every open */
  unsigned long h0 = ecai__verify_hashes;
  for (int i = 0; i < 2; i++) {
    CHECK_OK(ecai_index_open(&m, ctx, p));
    ecai_index_free(m);
  }
  CHECK_INT_EQ(ecai__verify_hashes - h0, 2);
  /* once settled, one hash per file per process */
  ecai__verify_settle_s = 0;
  h0 = ecai__verify_hashes;
  for (int i = 0; i < 3; i++) {
    CHECK_OK(ecai_index_open(&m, ctx, p));
    CHECK(ecai__index_is_mapped(m));
    ecai_index_free(m);
  }
  CHECK_INT_EQ(ecai__verify_hashes - h0, 1);
  /* a byte of the vector area changed in place (and a different mtime): refused */
  flip_byte(p, (long)(voff + 5 * DIM * sizeof(float) + 3));
  struct stat sb;
  CHECK(stat(p, &sb) == 0);
  struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
  ts[1].tv_sec -= 100;
  CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
  m = (ecai_index *)1;
  CHECK_STATUS(ecai_index_open(&m, ctx, p), ECAI_ECORRUPT);
  CHECK(m == NULL);
  CHECK_CONTAINS(ecai_last_error(), "checksum");
  CHECK_CONTAINS(ecai_last_error(), p);
  /* the same through a store: a flipped vector byte of a fresh save is refused */
  ecai__verify_settle_s = 3;
  ecai_store *s = NULL, *back = NULL;
  CHECK_OK(ecai_store_new(&s, ctx));
  char csv[1024], dir[1100], ip[1200];
  snprintf(csv, sizeof csv, "%s/tests/data/catalog_small.csv", ecai_test_root());
  CHECK_OK(ecai_catalog_load(NULL, NULL, ecai_store_catalog(s), csv, ECAI_CATALOG_AUTO,
                             "id=sku,title=name,description=desc,category=cat", 0));
  CHECK_OK(ecai_store_build(NULL, s, 0, NULL, NULL));
  snprintf(dir, sizeof dir, "%s/st", ecai_test_tmpdir());
  CHECK_OK(ecai_store_save(s, dir));
  CHECK_OK(ecai_store_open(&back, ctx, dir));
  CHECK(ecai__index_is_mapped(ecai_store_index(back)));
  ecai_store_free(back);
  snprintf(ip, sizeof ip, "%s/index.bin", dir);
  flip_byte(ip, (long)(vec_offset(ip) + 17));
  back = (ecai_store *)1;
  CHECK_STATUS(ecai_store_open(&back, ctx, dir), ECAI_ECORRUPT);
  CHECK(back == NULL);
  ecai_store_free(s);
  ecai_index_free(x);
  free(v);
  ecai_ctx_free(ctx);
}

typedef struct { ecai_ctx *ctx; const char *path; const float *v; int dim; } shared_use;

/* A process opens the mapped index and searches (touches every row): 1 when it got the
 * expected neighbour. */
static int open_and_search(int k, void *arg) {
  const shared_use *u = arg;
  ecai_index *m = NULL;
  int64_t out[5];
  size_t n;
  return ecai_index_open(&m, u->ctx, u->path) == ECAI_OK && ecai__index_is_mapped(m) &&
         ecai_index_search(&n, out, NULL, m, u->v + (k + 1) * u->dim, 5, NULL, 0, NULL, NULL) == ECAI_OK && n == 5 &&
         out[0] == 7 * (k + 1);
}

TEST(index_mapped_pages_are_shared_by_processes) {
  enum { N = 4000, DIM = 256, P = 4 };
  setenv("OMP_NUM_THREADS", "1", 1);
  ecai_ctx *ctx = ctxj(NULL);
  float *v = NULL;
  ecai_index *x = random_flat(ctx, N, DIM, &v);
  CHECK(x != NULL);
  const char *p = tmp_path("shared.bin");
  CHECK_OK(ecai_index_save(x, p));
  ecai_index_free(x);
  shared_use u = {ctx, p, v, DIM};
  ecai_test_check_pages_shared(P, p, (long)N * DIM * 4 / 1024, open_and_search, &u, "index");
  free(v);
  ecai_ctx_free(ctx);
}

TEST(search_keyword_index_is_mapped_and_answers_as_built) {
  ecai_ctx *ctx = ctxj(NULL), *off = ctxj("{\"index\":{\"mmap\":false}}");
  ecai_store *s = NULL, *back = NULL, *back2 = NULL;
  CHECK_OK(ecai_store_new(&s, ctx));
  char csv[1024], dir[1100], sp[1200];
  snprintf(csv, sizeof csv, "%s/tests/data/catalog_small.csv", ecai_test_root());
  CHECK_OK(ecai_catalog_load(NULL, NULL, ecai_store_catalog(s), csv, ECAI_CATALOG_AUTO,
                             "id=sku,title=name,description=desc,category=cat", 0));
  CHECK_OK(ecai_store_build(NULL, s, 0, NULL, NULL));
  snprintf(dir, sizeof dir, "%s/st", ecai_test_tmpdir());
  CHECK_OK(ecai_store_save(s, dir));
  ecai_search *built = NULL, *mapped = NULL, *read = NULL;
  CHECK_OK(ecai_search_new(&built, s));
  CHECK_OK(ecai_search_save(built, dir));
  CHECK_OK(ecai_store_open(&back, ctx, dir));
  CHECK_OK(ecai_store_open(&back2, off, dir));
  CHECK(!se_mapped(dir));
  CHECK_OK(ecai_search_open(&mapped, back, dir));
  CHECK(se_mapped(dir));
  ecai_search_free(mapped);
  CHECK(!se_mapped(dir)); /* freed with the engine */
  CHECK_OK(ecai_search_open(&mapped, back, dir));
  CHECK_OK(ecai_search_open(&read, back2, dir));
  const char *qs[] = {"oak table", "grey sofa", "cordles dril", "lamp", "zzzz nothing", "sofa oak"};
  for (int i = 0; i < 6; i++) {
    char *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(ecai_search_query(&a, NULL, built, qs[i], strlen(qs[i]), "{\"mode\":\"bm25\"}"));
    CHECK_OK(ecai_search_query(&b, NULL, mapped, qs[i], strlen(qs[i]), "{\"mode\":\"bm25\"}"));
    CHECK_OK(ecai_search_query(&c, NULL, read, qs[i], strlen(qs[i]), "{\"mode\":\"bm25\"}"));
    CHECK_STR_EQ(b, a);
    CHECK_STR_EQ(c, a);
    ecai_free(a);
    ecai_free(b);
    ecai_free(c);
  }
  ecai_search_free(read);
  ecai_search_free(mapped);
  /* a flipped byte in the postings is refused */
  snprintf(sp, sizeof sp, "%s/search.bin", dir);
  struct stat sb;
  CHECK(stat(sp, &sb) == 0);
  flip_byte(sp, (long)sb.st_size / 2);
  mapped = (ecai_search *)1;
  CHECK_STATUS(ecai_search_open(&mapped, back, dir), ECAI_ECORRUPT);
  CHECK(mapped == NULL);
  CHECK(!se_mapped(dir));
  ecai_search_free(built);
  ecai_store_free(back2);
  ecai_store_free(back);
  ecai_store_free(s);
  ecai_ctx_free(off);
  ecai_ctx_free(ctx);
}

typedef struct {
  ecai_index *x;
  const float *v;
  int dim, writer, ok;
} conc_arg;

static void *conc_run(void *p) {
  conc_arg *a = p;
  a->ok = 1;
  for (int r = 0; r < 60; r++) {
    int i = (r * 37 + a->writer) % 300;
    if (a->writer) { /* new ids for copies of existing rows: added beside the mapping */
      int64_t id = 100000 + r;
      if (ecai_index_add(a->x, &id, a->v + (size_t)i * a->dim, 1)) a->ok = 0;
      continue;
    }
    int64_t out[2];
    float sc[2];
    size_t n = 0;
    if (ecai_index_search(&n, out, sc, a->x, a->v + (size_t)i * a->dim, 2, NULL, 0, NULL, NULL) || n != 2 ||
        fabs(sc[0] - 1.0) > 1e-4 || (out[0] != 7 * i && out[0] < 100000))
      a->ok = 0;
  }
  return NULL;
}

TEST(index_mapped_concurrent_searches_with_a_writer) {
  enum { N = 300, DIM = 32 };
  setenv("OMP_NUM_THREADS", "1", 1);
  ecai_ctx *ctx = ctxj(NULL);
  float *v = NULL;
  ecai_index *x = random_flat(ctx, N, DIM, &v), *m = NULL;
  CHECK(x != NULL);
  const char *p = tmp_path("idx.bin");
  CHECK_OK(ecai_index_save(x, p));
  ecai_index_free(x);
  CHECK_OK(ecai_index_open(&m, ctx, p));
  CHECK(ecai__index_is_mapped(m));
  pthread_t t[4];
  conc_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (conc_arg){m, v, DIM, i == 3, 0};
    pthread_create(&t[i], NULL, conc_run, &a[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) CHECK_MSG(a[i].ok, "thread %d saw a wrong result", i);
  CHECK(ecai__index_is_mapped(m));
  CHECK_INT_EQ(ecai_index_count(m), N + 60);
  ecai_index_free(m);
  free(v);
  ecai_ctx_free(ctx);
}
