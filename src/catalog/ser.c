/* Internal: on-disk container (atomic write, verified read), serialisation. */
#include "catalog/ser.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t rd64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

ecai_status ecai__blob_write(const char *path, const char magic[8], const void *data, size_t len,
                             uint64_t *sum) {
  unsigned char hdr[32];
  memcpy(hdr, magic, 8);
  uint32_t ver = ECAI__FORMAT_VERSION;
  for (int i = 0; i < 4; i++) hdr[8 + i] = (unsigned char)(ver >> (8 * i));
  memset(hdr + 12, 0, 4);
  le64(hdr + 16, (uint64_t)len);
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, hdr, 24);
  if (len) XXH3_64bits_update(&st, data, len);
  uint64_t digest = XXH3_64bits_digest(&st);
  le64(hdr + 24, digest);
  if (sum) *sum = digest;
  return ecai__write_atomic(path, hdr, 32, data, len, "save");
}

ecai_status ecai__blob_read(const char *path, const char magic[8], char **data, size_t *len,
                            uint64_t *sum) {
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ecai__err(ECAI_EIO, "open: cannot read %s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    close(fd);
    return ecai__err(ECAI_EIO, "open: %s is not a regular file", path);
  }
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
  if (memcmp(hdr, magic, 8) != 0) {
    close(fd);
    return ecai__err(ECAI_ECORRUPT, "open: %s is not a %.7s file (bad magic)", path, magic);
  }
  uint32_t ver = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 | (uint32_t)hdr[11] << 24;
  if (ver != ECAI__FORMAT_VERSION) {
    close(fd);
    return ecai__err(ECAI_ECORRUPT, "open: %s has format version %u, this library reads %u", path, ver,
                     ECAI__FORMAT_VERSION);
  }
  uint64_t n = rd64(hdr + 16);
  if ((uint64_t)sb.st_size != 32 + n) {
    close(fd);
    return ecai__err(ECAI_ECORRUPT, "open: %s is truncated or has trailing bytes (%lld bytes, header says %llu)",
                     path, (long long)sb.st_size, (unsigned long long)(32 + n));
  }
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
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, hdr, 24);
  if (n) XXH3_64bits_update(&st, buf, (size_t)n);
  if (XXH3_64bits_digest(&st) != rd64(hdr + 24)) {
    ecai__free(buf);
    return ecai__err(ECAI_ECORRUPT, "open: %s is damaged (checksum mismatch)", path);
  }
  *data = buf;
  *len = (size_t)n;
  if (sum) *sum = rd64(hdr + 24);
  return ECAI_OK;
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

