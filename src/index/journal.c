/* The update journal of a store folder (format and protocol: journal.h). */
#include "index/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/ser.h"

static const char JNL_MAGIC[8] = {'E', 'C', 'A', 'I', 'J', 'N', 'L', 0};
#define HDR 64u
#define REC_MAGIC 0x4345524au
#define OFF_GEN 32
#define OFF_END 40
#define OFF_SEAL 48

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* The in-place counters: 8-byte aligned in a shared mapping, stored and loaded atomically
 * (little-endian hosts write the mapped layout; elsewhere the journal is not used). */
static uint64_t load_end(const ecai__journal *j) {
  return __atomic_load_n((const uint64_t *)(const void *)(j->hdr + OFF_END), __ATOMIC_ACQUIRE);
}

static void unmap(ecai__journal *j) {
  if (j->hdr) munmap(j->hdr, HDR);
  j->hdr = NULL;
  if (j->fd >= 0) close(j->fd);
  j->fd = -1;
  j->writable = 0;
}

/* Checks the header of an open file; 0 when usable. */
static int check_header(ecai__journal *j, const unsigned char *h) {
  if (memcmp(h, JNL_MAGIC, 8) != 0 || get32(h + 8) != 1 || get32(h + 12) != HDR ||
      get64(h + 24) != XXH3_64bits(h, 24)) {
    ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s is damaged or of another format; its updates are ignored", j->path);
    return -1;
  }
  if (get64(h + 16) != j->bind) {
    ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s belongs to another store version; its updates are ignored", j->path);
    return -1;
  }
  return 0;
}

/* Opens and maps the file if it exists (writable when asked). 0 ok, 1 missing, -1 error. */
static int try_open(ecai__journal *j, int writable) {
  if (j->fd >= 0 && (j->writable || !writable)) return 0;
  unmap(j);
  int fd = open(j->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 1 : -1;
  struct stat sb;
  void *m = MAP_FAILED;
  if (fstat(fd, &sb) == 0 && sb.st_size >= (off_t)HDR)
    m = mmap(NULL, HDR, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s is too short or cannot be mapped; its updates are ignored", j->path);
    close(fd);
    j->bad = 1;
    return -1;
  }
  j->fd = fd;
  j->hdr = m;
  j->writable = writable;
  if (check_header(j, j->hdr)) {
    unmap(j);
    j->bad = 1;
    return -1;
  }
  return 0;
}

ecai_status ecai__journal_init(ecai__journal *j, ecai_ctx *ctx, const char *dir, const char *bind) {
  memset(j, 0, sizeof *j);
  j->fd = -1;
  j->ctx = ctx;
  j->applied = HDR;
  j->bind = bind ? strtoull(bind, NULL, 16) : 0;
  size_t n = strlen(dir) + sizeof ECAI__JOURNAL_NAME + 1;
  if (!(j->path = ecai__malloc(n))) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  snprintf(j->path, n, "%s/%s", dir, ECAI__JOURNAL_NAME);
  (void)try_open(j, 0);
  return ECAI_OK;
}

void ecai__journal_close(ecai__journal *j) {
  if (!j) return;
  unmap(j);
  ecai__free(j->path);
  j->path = NULL;
}

int ecai__journal_pending(ecai__journal *j) {
  if (!j->path || j->bad) return 0;
  if (j->fd < 0) { /* not there at open: look again (one failed open per query) */
    return access(j->path, F_OK) == 0;
  }
  return load_end(j) != j->applied;
}

static void skip_rest(ecai__journal *j, uint64_t at, uint64_t end, const char *why) {
  ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s: record at offset %llu %s; skipping it and the %llu bytes after it",
            j->path, (unsigned long long)at, why, (unsigned long long)(end - at));
  j->applied = end;
}

void ecai__journal_apply(ecai__journal *j, ecai__journal_apply_fn fn, void *arg) {
  if (!j->path || j->bad) return;
  if (j->fd < 0 && try_open(j, 0)) return;
  uint64_t end = load_end(j);
  if (end < HDR || end > ((uint64_t)1 << 40)) {
    if (end != j->applied) skip_rest(j, j->applied, j->applied, "has an impossible end offset");
    return;
  }
  char *buf = NULL;
  size_t cap = 0;
  while (j->applied + 32 <= end) {
    uint64_t at = j->applied;
    unsigned char h[32];
    if (pread(j->fd, h, 32, (off_t)at) != 32) {
      skip_rest(j, at, end, "cannot be read");
      break;
    }
    uint32_t jl = get32(h + 4), dim = get32(h + 8);
    uint64_t body = (uint64_t)jl + (uint64_t)dim * 4, total = (32 + body + 7) & ~(uint64_t)7;
    if (get32(h) != REC_MAGIC || get32(h + 12) != 0 || jl == 0 || jl > ECAI__JOURNAL_MAX_JSON || dim > 65536 ||
        at + total > end) {
      skip_rest(j, at, end, "has a damaged header");
      break;
    }
    if (body > cap) {
      char *nb = ecai__realloc(buf, (size_t)body);
      if (!nb) {
        ecai__log(j->ctx, ECAI_LOG_ERROR, "store: %s: out of memory reading updates (retried at the next query)", j->path);
        break;
      }
      buf = nb;
      cap = (size_t)body;
    }
    if (pread(j->fd, buf, (size_t)body, (off_t)(at + 32)) != (ssize_t)body) {
      skip_rest(j, at, end, "cannot be read");
      break;
    }
    XXH3_state_t *xs = XXH3_createState();
    uint64_t sum = 0;
    if (xs) {
      XXH3_64bits_reset(xs);
      XXH3_64bits_update(xs, h, 24);
      XXH3_64bits_update(xs, buf, (size_t)body);
      sum = XXH3_64bits_digest(xs);
      XXH3_freeState(xs);
    }
    if (!xs || sum != get64(h + 24)) { /* its lengths held: the records after it are readable */
      ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s: record at offset %llu fails its checksum; skipped", j->path,
                (unsigned long long)at);
      j->applied = at + total;
      continue;
    }
    float *vec = NULL;
    if (dim) { /* aligned copy of the vector */
      vec = ecai__malloc((size_t)dim * sizeof *vec);
      if (!vec) {
        ecai__log(j->ctx, ECAI_LOG_ERROR, "store: %s: out of memory reading updates (retried at the next query)", j->path);
        break;
      }
      memcpy(vec, buf + jl, (size_t)dim * sizeof *vec);
    }
    if (fn(arg, buf, jl, vec, dim))
      ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s: record %llu at offset %llu cannot be applied: %s", j->path,
                (unsigned long long)get64(h + 16), (unsigned long long)at, ecai_last_error());
    ecai__free(vec);
    j->applied = at + total;
    j->records++;
  }
  ecai__free(buf);
}

/* Creates the file complete (header in a temporary file, link()ed into place, so no
 * process ever sees it without a header); an existing file is kept. */
static ecai_status create_file(ecai__journal *j) {
  unsigned char h[HDR] = {0};
  memcpy(h, JNL_MAGIC, 8);
  put32(h + 8, 1);
  put32(h + 12, HDR);
  put64(h + 16, j->bind);
  put64(h + 24, XXH3_64bits(h, 24));
  put64(h + OFF_END, HDR);
  size_t n = strlen(j->path) + 16;
  char *tmp = ecai__malloc(n);
  if (!tmp) return ecai__err(ECAI_ENOMEM, "store: out of memory");
  snprintf(tmp, n, "%s.tmp.XXXXXX", j->path);
  ecai_status st = ECAI_OK;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    st = ecai__err(ECAI_EIO, "store_update: cannot create %s: %s", j->path, strerror(errno));
  } else {
    if (fchmod(fd, 0644) || write(fd, h, HDR) != (ssize_t)HDR || fsync(fd))
      st = ecai__err(ECAI_EIO, "store_update: cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    if (!st && link(tmp, j->path) && errno != EEXIST)
      st = ecai__err(ECAI_EIO, "store_update: cannot create %s: %s", j->path, strerror(errno));
    unlink(tmp);
  }
  ecai__free(tmp);
  return st;
}

/* Opens the file for writing (creating it complete when missing), takes the exclusive lock
 * and applies what other processes committed, in order. `what` names the caller in errors. */
static ecai_status lock_for_write(ecai__journal *j, const char *what, ecai__journal_apply_fn fn, void *arg) {
  if (!j->path) return ecai__err(ECAI_ESTATE, "%s: the store has no journal", what);
  if (j->bad)
    return ecai__err(ECAI_ECORRUPT, "%s: %s is damaged or belongs to another store version (publish the "
                                    "store again to start a new one)", what, j->path);
  int rc = try_open(j, 1);
  if (rc == 1) {
    ecai_status st = create_file(j);
    if (st) return st;
    rc = try_open(j, 1);
  }
  if (rc) {
    if (j->bad) return ecai__err(ECAI_ECORRUPT, "%s: %s is damaged or belongs to another store version", what, j->path);
    return ecai__err(ECAI_EIO, "%s: cannot open %s for writing: %s", what, j->path, strerror(errno));
  }
  if (flock(j->fd, LOCK_EX)) return ecai__err(ECAI_EIO, "%s: cannot lock %s: %s", what, j->path, strerror(errno));
  ecai__journal_apply(j, fn, arg);
  return ECAI_OK;
}

static uint64_t load_seal(const ecai__journal *j) {
  return __atomic_load_n((const uint64_t *)(const void *)(j->hdr + OFF_SEAL), __ATOMIC_ACQUIRE);
}

ecai_status ecai__journal_seal(ecai__journal *j, int on, ecai__journal_apply_fn fn, void *arg) {
  ecai_status st = lock_for_write(j, "store_seal", fn, arg);
  if (st) return st;
  __atomic_store_n((uint64_t *)(void *)(j->hdr + OFF_SEAL), (uint64_t)(on != 0), __ATOMIC_RELEASE);
  if (msync(j->hdr, HDR, MS_SYNC) || fdatasync(j->fd))
    st = ecai__err(ECAI_EIO, "store_seal: cannot sync %s: %s", j->path, strerror(errno));
  flock(j->fd, LOCK_UN);
  return st;
}

ecai_status ecai__journal_append(ecai__journal *j, const char *json, size_t json_len, const float *vec, uint32_t dim,
                                 ecai__journal_apply_fn fn, void *arg) {
  if (j->path && (json_len == 0 || json_len > ECAI__JOURNAL_MAX_JSON))
    return ecai__err(ECAI_EINVAL, "store_update: record of %zu bytes", json_len);
  ecai_status st = lock_for_write(j, "store_update", fn, arg);
  if (st) return st;
  if (load_seal(j)) {
    flock(j->fd, LOCK_UN);
    return ecai__err(ECAI_ESTATE, "store_update: %s is sealed: this store version is being replaced by a compacted "
                                  "one (ecai compact); open the published store again and update that", j->path);
  }
  uint64_t end = load_end(j);
  uint64_t gen = __atomic_load_n((const uint64_t *)(const void *)(j->hdr + OFF_GEN), __ATOMIC_ACQUIRE);
  size_t body = json_len + (size_t)dim * 4, total = (32 + body + 7) & ~(size_t)7;
  unsigned char *rec = ecai__calloc(1, total);
  if (!rec) st = ecai__err(ECAI_ENOMEM, "store: out of memory");
  else if (end != j->applied) st = ecai__err(ECAI_ECORRUPT, "store_update: %s has records that cannot be read", j->path);
  if (!st) {
    put32(rec, REC_MAGIC);
    put32(rec + 4, (uint32_t)json_len);
    put32(rec + 8, dim);
    put64(rec + 16, gen + 1);
    memcpy(rec + 32, json, json_len);
    if (dim) memcpy(rec + 32 + json_len, vec, (size_t)dim * 4);
    XXH3_state_t *xs = XXH3_createState();
    if (!xs) st = ecai__err(ECAI_ENOMEM, "store: out of memory");
    else {
      XXH3_64bits_reset(xs);
      XXH3_64bits_update(xs, rec, 24);
      XXH3_64bits_update(xs, rec + 32, body);
      put64(rec + 24, XXH3_64bits_digest(xs));
      XXH3_freeState(xs);
    }
  }
  if (!st && (pwrite(j->fd, rec, total, (off_t)end) != (ssize_t)total || fdatasync(j->fd)))
    st = ecai__err(ECAI_EIO, "store_update: cannot write %s: %s", j->path, strerror(errno));
  if (!st) { /* commit: end first, then the generation; readers load end */
    __atomic_store_n((uint64_t *)(void *)(j->hdr + OFF_END), end + total, __ATOMIC_RELEASE);
    __atomic_store_n((uint64_t *)(void *)(j->hdr + OFF_GEN), gen + 1, __ATOMIC_RELEASE);
    if (msync(j->hdr, HDR, MS_SYNC))
      ecai__log(j->ctx, ECAI_LOG_WARN, "store: %s: msync failed: %s", j->path, strerror(errno));
    j->applied = end + total; /* the caller applies its own record */
    j->records++;
  }
  flock(j->fd, LOCK_UN);
  ecai__free(rec);
  return st;
}
