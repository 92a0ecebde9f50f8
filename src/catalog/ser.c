/* Internal: on-disk container (atomic write, verified read), serialisation. */
#include "catalog/ser.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t rd64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* The container checksum: XXH3-64 of the header's first 24 bytes and the payload (two parts,
 * b may be empty). */
static uint64_t container_sum(const unsigned char *hdr, const void *a, size_t alen, const void *b, size_t blen) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, hdr, 24);
  if (alen) XXH3_64bits_update(&st, a, alen);
  if (blen) XXH3_64bits_update(&st, b, blen);
  return XXH3_64bits_digest(&st);
}

/* Fills the 32-byte container header of a payload made of two parts (b may be empty). */
static uint64_t fill_header(unsigned char hdr[32], const char magic[8], const void *a, size_t alen, const void *b,
                            size_t blen) {
  memcpy(hdr, magic, 8);
  uint32_t ver = ECAI__FORMAT_VERSION;
  for (int i = 0; i < 4; i++) hdr[8 + i] = (unsigned char)(ver >> (8 * i));
  memset(hdr + 12, 0, 4);
  le64(hdr + 16, (uint64_t)(alen + blen));
  uint64_t digest = container_sum(hdr, a, alen, b, blen);
  le64(hdr + 24, digest);
  return digest;
}

void ecai__blob_reseal(void *data, size_t len) {
  unsigned char *d = data;
  if (len < 32) return;
  le64(d + 16, (uint64_t)(len - 32));
  le64(d + 24, container_sum(d, d + 32, len - 32, NULL, 0));
}

ecai_status ecai__blob_write(const char *path, const char magic[8], const void *data, size_t len,
                             uint64_t *sum) {
  unsigned char hdr[32];
  uint64_t digest = fill_header(hdr, magic, data, len, NULL, 0);
  if (sum) *sum = digest;
  return ecai__write_atomic(path, hdr, 32, data, len, "save");
}

ecai_status ecai__blob_write2(const char *path, const char magic[8], char *head, size_t head_len, const void *body,
                              size_t body_len, uint64_t *sum) {
  unsigned char hdr[32];
  uint64_t digest = fill_header(hdr, magic, head + 32, head_len - 32, body, body_len);
  memcpy(head, hdr, 32);
  if (sum) *sum = digest;
  return ecai__write_atomic(path, head, head_len, body, body_len, "save");
}

/* ---- files verified once per process ------------------------------------------------
 * A file whose checksum matched is remembered by identity (device, inode, size, mtime,
 * ctime) with the checksum its header claims; opening it again skips the hash. Any write
 * to a file changes its ctime, so a changed file is hashed again, provided the change is
 * not in the same timestamp tick as the check: a file is remembered only once its ctime
 * is ecai__verify_settle_s seconds old (the "racy clean" rule of git's index). */

int ecai__verify_settle_s = 3;
unsigned long ecai__verify_hashes;

typedef struct vfile {
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime, ctime;
  uint64_t sum;
} vfile;

#define NVERIFIED 64
static vfile verified[NVERIFIED];
static size_t nverified_next;
static pthread_mutex_t verified_mu = PTHREAD_MUTEX_INITIALIZER;

static int same_file(const vfile *v, const struct stat *sb, uint64_t sum) {
  return v->dev == sb->st_dev && v->ino == sb->st_ino && v->size == sb->st_size && v->sum == sum &&
         v->mtime.tv_sec == sb->st_mtim.tv_sec && v->mtime.tv_nsec == sb->st_mtim.tv_nsec &&
         v->ctime.tv_sec == sb->st_ctim.tv_sec && v->ctime.tv_nsec == sb->st_ctim.tv_nsec;
}

static int was_verified(const struct stat *sb, uint64_t sum) {
  int hit = 0;
  pthread_mutex_lock(&verified_mu);
  for (size_t i = 0; i < NVERIFIED && !hit; i++) hit = same_file(&verified[i], sb, sum);
  pthread_mutex_unlock(&verified_mu);
  return hit;
}

static void remember_verified(const struct stat *sb, uint64_t sum) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec - sb->st_ctim.tv_sec < ecai__verify_settle_s || now.tv_sec - sb->st_mtim.tv_sec < ecai__verify_settle_s)
    return;
  vfile v = {sb->st_dev, sb->st_ino, sb->st_size, sb->st_mtim, sb->st_ctim, sum};
  pthread_mutex_lock(&verified_mu);
  verified[nverified_next++ % NVERIFIED] = v;
  pthread_mutex_unlock(&verified_mu);
}

/* Checks magic, version and length of the header against the file size. */
static ecai_status check_header(const char *path, const unsigned char *hdr, const char magic[8], off_t size) {
  if (memcmp(hdr, magic, 8) != 0) return ecai__err(ECAI_ECORRUPT, "open: %s is not a %.7s file (bad magic)", path, magic);
  uint32_t ver = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 | (uint32_t)hdr[11] << 24;
  if (ver != ECAI__FORMAT_VERSION)
    return ecai__err(ECAI_ECORRUPT, "open: %s has format version %u, this library reads %u", path, ver,
                     ECAI__FORMAT_VERSION);
  uint64_t n = rd64(hdr + 16);
  if ((uint64_t)size != 32 + n)
    return ecai__err(ECAI_ECORRUPT, "open: %s is truncated or has trailing bytes (%lld bytes, header says %llu)", path,
                     (long long)size, (unsigned long long)(32 + n));
  return ECAI_OK;
}

static int checksum_ok(const unsigned char *hdr, const void *payload, size_t n) {
  __atomic_add_fetch(&ecai__verify_hashes, 1, __ATOMIC_RELAXED);
  return container_sum(hdr, payload, n, NULL, 0) == rd64(hdr + 24);
}

static ecai_status open_regular(const char *path, int *fd, struct stat *sb) {
  *fd = open(path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0) return ecai__err(ECAI_EIO, "open: cannot read %s: %s", path, strerror(errno));
  if (fstat(*fd, sb) || !S_ISREG(sb->st_mode)) {
    close(*fd);
    return ecai__err(ECAI_EIO, "open: %s is not a regular file", path);
  }
  return ECAI_OK;
}

ecai_status ecai__blob_read(const char *path, const char magic[8], char **data, size_t *len,
                            uint64_t *sum) {
  *data = NULL;
  *len = 0;
  int fd;
  struct stat sb;
  ecai_status st = open_regular(path, &fd, &sb);
  if (st) return st;
  unsigned char hdr[32];
  size_t got = 0;
  while (got < 32) {
    ssize_t r = read(fd, hdr + got, 32 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got < 32) {
    close(fd);
    return ecai__err(ECAI_ECORRUPT, "open: %s is truncated (%zu-byte header)", path, got);
  }
  st = check_header(path, hdr, magic, sb.st_size);
  if (st) {
    close(fd);
    return st;
  }
  uint64_t n = rd64(hdr + 16);
  char *buf = ecai__malloc(n ? (size_t)n : 1);
  if (!buf) {
    close(fd);
    return ecai__err(ECAI_ENOMEM, "open: out of memory reading %s", path);
  }
  got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, (size_t)n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (got != n) {
    ecai__free(buf);
    return ecai__err(ECAI_ECORRUPT, "open: %s is truncated", path);
  }
  if (!was_verified(&sb, rd64(hdr + 24))) {
    if (!checksum_ok(hdr, buf, (size_t)n)) {
      ecai__free(buf);
      return ecai__err(ECAI_ECORRUPT, "open: %s is damaged (checksum mismatch)", path);
    }
    remember_verified(&sb, rd64(hdr + 24));
  }
  *data = buf;
  *len = (size_t)n;
  if (sum) *sum = rd64(hdr + 24);
  return ECAI_OK;
}

ecai_status ecai__blob_peek(const char *path, char magic[8]) {
  int fd;
  struct stat sb;
  ecai_status st = open_regular(path, &fd, &sb);
  if (st) return st;
  ssize_t r;
  do r = pread(fd, magic, 8, 0);
  while (r < 0 && errno == EINTR);
  close(fd);
  if (r != 8) return ecai__err(ECAI_ECORRUPT, "open: %s is truncated (%zd-byte header)", path, r < 0 ? (ssize_t)0 : r);
  return ECAI_OK;
}

ecai_status ecai__blob_map(const char *path, const char magic[8], ecai__map *m, uint64_t *sum) {
  memset(m, 0, sizeof *m);
  int fd;
  struct stat sb;
  ecai_status st = open_regular(path, &fd, &sb);
  if (st) return st;
  if (sb.st_size < 32 || (uint64_t)sb.st_size > SIZE_MAX) {
    close(fd);
    return ecai__err(ECAI_ECORRUPT, "open: %s is truncated (%lld bytes)", path, (long long)sb.st_size);
  }
  size_t len = (size_t)sb.st_size;
  void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (p == MAP_FAILED) return ecai__err(ECAI_EIO, "open: cannot map %s: %s", path, strerror(err));
  const unsigned char *hdr = p;
  st = check_header(path, hdr, magic, sb.st_size);
  if (!st && !was_verified(&sb, rd64(hdr + 24))) {
    if (!checksum_ok(hdr, hdr + 32, len - 32))
      st = ecai__err(ECAI_ECORRUPT, "open: %s is damaged (checksum mismatch)", path);
    else
      remember_verified(&sb, rd64(hdr + 24));
  }
  if (st) {
    munmap(p, len);
    return st;
  }
  m->base = p;
  m->len = len;
  if (sum) *sum = rd64(hdr + 24);
  return ECAI_OK;
}

void ecai__blob_unmap(ecai__map *m) {
  if (m->base) munmap((void *)m->base, m->len);
  memset(m, 0, sizeof *m);
}

void ecai__put_u32(ecai__buf *b, uint32_t v) {
  unsigned char p[4];
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
  ecai__buf_append(b, p, 4);
}
void ecai__put_u64(ecai__buf *b, uint64_t v) {
  unsigned char p[8];
  le64(p, v);
  ecai__buf_append(b, p, 8);
}
void ecai__put_f64(ecai__buf *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  ecai__put_u64(b, u);
}
void ecai__put_str(ecai__buf *b, const char *s) {
  if (!s) {
    ecai__put_u32(b, UINT32_MAX);
    return;
  }
  size_t n = strlen(s);
  ecai__put_u32(b, (uint32_t)n);
  ecai__buf_append(b, s, n);
}

const void *ecai__get_bytes(ecai__rd *r, size_t n) {
  if (r->bad || n > r->len - r->pos) {
    r->bad = 1;
    return NULL;
  }
  const void *p = r->p + r->pos;
  r->pos += n;
  return p;
}
uint32_t ecai__get_u32(ecai__rd *r) {
  const unsigned char *p = ecai__get_bytes(r, 4);
  if (!p) return 0;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
uint64_t ecai__get_u64(ecai__rd *r) {
  const unsigned char *p = ecai__get_bytes(r, 8);
  return p ? rd64(p) : 0;
}
double ecai__get_f64(ecai__rd *r) {
  uint64_t u = ecai__get_u64(r);
  double d;
  memcpy(&d, &u, 8);
  return d;
}
char *ecai__get_str(ecai__rd *r) {
  uint32_t n = ecai__get_u32(r);
  if (r->bad || n == UINT32_MAX) return NULL;
  const char *p = ecai__get_bytes(r, n);
  if (!p) return NULL;
  if (memchr(p, 0, n)) {
    r->bad = 1;
    return NULL;
  }
  char *s = ecai__strndup(p, n);
  if (!s) r->bad = 2; /* out of memory */
  return s;
}

