/* Whole-file reads and atomic file writes, shared by every module that persists state. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

ecai_status ecai__read_file(ecai__buf *b, const char *path, size_t max, ecai_status missing, const char *what) {
  memset(b, 0, sizeof *b);
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT) return ecai__err(missing, "%s: %s does not exist", what, path);
    return ecai__err(ECAI_EIO, "%s: cannot open %s: %s", what, path, strerror(errno));
  }
  char chunk[65536];
  size_t r;
  while ((r = fread(chunk, 1, sizeof chunk, f)) > 0 && b->len <= max) ecai__buf_append(b, chunk, r);
  int err = ferror(f);
  fclose(f);
  ecai_status st = ECAI_OK;
  if (err) st = ecai__err(ECAI_EIO, "%s: read error on %s", what, path);
  else if (b->oom) st = ecai__err(ECAI_ENOMEM, "%s: out of memory reading %s", what, path);
  else if (b->len > max) st = ecai__err(ECAI_EINVAL, "%s: %s is larger than %zu MiB", what, path, max >> 20);
  if (st) ecai__buf_free(b);
  return st;
}

static ecai_status write_all(int fd, const void *p, size_t n, const char *what, const char *tmp) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ecai__err(ECAI_EIO, "%s: cannot write %s: %s", what, tmp, strerror(w < 0 ? errno : EIO));
    c += w;
    n -= (size_t)w;
  }
  return ECAI_OK;
}

ecai_status ecai__write_atomic(const char *path, const void *head, size_t head_len, const void *body, size_t body_len,
                               const char *what) {
  size_t plen = strlen(path);
  char *tmp = ecai__malloc(plen + 16);
  if (!tmp) return ecai__err(ECAI_ENOMEM, "%s: out of memory", what);
  /* a unique temporary name: two threads saving to the same path must not write into
   * one another's temporary file (a fixed ".tmp.<pid>" name let one rename the other's
   * half-written file into place) */
  snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
  ecai_status st = ECAI_OK;
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    st = ecai__err(ECAI_EIO, "%s: cannot create %s: %s", what, tmp, strerror(errno));
    ecai__free(tmp);
    return st;
  }
  (void)fchmod(fd, 0644); /* mkostemp creates 0600; saved state is as readable as any file */
  st = write_all(fd, head, head_len, what, tmp);
  if (!st && body_len) st = write_all(fd, body, body_len, what, tmp);
  if (!st && fsync(fd) != 0) st = ecai__err(ECAI_EIO, "%s: cannot sync %s: %s", what, tmp, strerror(errno));
  if (close(fd) != 0 && !st) st = ecai__err(ECAI_EIO, "%s: cannot close %s: %s", what, tmp, strerror(errno));
  if (!st && rename(tmp, path) != 0) st = ecai__err(ECAI_EIO, "%s: cannot rename to %s: %s", what, path, strerror(errno));
  if (st) {
    unlink(tmp);
  } else { /* make the rename itself durable */
    char *slash = strrchr(tmp, '/');
    if (slash) slash[slash == tmp ? 1 : 0] = 0;
    int dfd = open(slash ? tmp : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
  }
  ecai__free(tmp);
  return st;
}

ecai_status ecai__buf_write_atomic(ecai__buf *b, const char *path, const char *what) {
  ecai_status st = b->oom ? ecai__err(ECAI_ENOMEM, "%s: out of memory", what)
                          : ecai__write_atomic(path, b->data, b->len, NULL, 0, what);
  ecai__buf_free(b);
  return st;
}
