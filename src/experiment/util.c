/* Experiment/pricing internals: CSV reader, dates, number parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "experiment/exp_internal.h"

/* ---- CSV ----------------------------------------------------------------------- */

ecai_status ecai__csv_open_file(ecai__csv *c, const char *path) {
  memset(c, 0, sizeof *c);
  c->delim = ',';
  c->gz = gzopen(path, "rb");
  if (!c->gz) return ecai__err(ECAI_EIO, "cannot open '%s': %s", path, strerror(errno ? errno : ENOENT));
  gzbuffer(c->gz, 1 << 16);
  return ECAI_OK;
}

void ecai__csv_open_mem(ecai__csv *c, const char *data, size_t len) {
  memset(c, 0, sizeof *c);
  c->delim = ',';
  c->mem = data ? data : "";
  c->mem_len = data ? len : 0;
}

void ecai__csv_close(ecai__csv *c) {
  if (c->gz) gzclose(c->gz);
  ecai__free(c->line);
  ecai__free(c->fields);
  memset(c, 0, sizeof *c);
}

static int csv_getc(ecai__csv *c) {
  if (c->gz) return gzgetc(c->gz);
  if (c->mem_pos >= c->mem_len) return -1;
  return (unsigned char)c->mem[c->mem_pos++];
}

static bool line_push(ecai__csv *c, size_t *len, char ch) {
  if (*len + 1 >= c->line_cap) {
    size_t ncap = c->line_cap ? c->line_cap * 2 : 256;
    char *nl = ecai__realloc(c->line, ncap);
    if (!nl) return false;
    c->line = nl;
    c->line_cap = ncap;
  }
  c->line[(*len)++] = ch;
  return true;
}

int ecai__csv_rawline(ecai__csv *c, char **out, size_t *len_out) {
  size_t len = 0;
  int ch;
  bool any = false;
  while ((ch = csv_getc(c)) != -1) {
    any = true;
    if (ch == '\n') break;
    if (!line_push(c, &len, (char)ch)) return ecai__err(ECAI_ENOMEM, "csv: out of memory");
  }
  if (!any) return 0;
  c->lineno++;
  if (len && c->line[len - 1] == '\r') len--;
  if (!line_push(c, &len, 0)) return ecai__err(ECAI_ENOMEM, "csv: out of memory");
  *out = c->line;
  *len_out = len - 1;
  return 1;
}

/* Reads a record into c->line with fields separated by NULs; fields[] point into it. */
int ecai__csv_next(ecai__csv *c) {
  size_t len = 0, nstarts = 0;
  size_t starts_cap = c->fields_cap;
  size_t *starts = NULL;
  int ch = csv_getc(c);
  if (ch == -1) return 0;
  /* field start offsets are collected as size_t then converted to pointers */
  starts = ecai__malloc((starts_cap ? starts_cap : 16) * sizeof *starts);
  if (!starts) return ecai__err(ECAI_ENOMEM, "csv: out of memory");
  if (!starts_cap) starts_cap = 16;
  bool inq = false, was_quoted = false;
  starts[nstarts++] = 0;
  c->lineno++;
  for (;; ch = csv_getc(c)) {
    if (ch == -1) {
      if (inq) {
        ecai__free(starts);
        return ecai__err(ECAI_EPARSE, "csv: unterminated quoted field at line %zu", c->lineno);
      }
      break;
    }
    if (inq) {
      if (ch == '"') {
        int nx = csv_getc(c);
        if (nx == '"') {
          if (!line_push(c, &len, '"')) goto oom;
          continue;
        }
        inq = false;
        ch = nx;
        if (ch == -1) break;
      } else {
        if (ch == '\n') c->lineno++;
        if (!line_push(c, &len, (char)ch)) goto oom;
        continue;
      }
    }
    if (ch == '\n') break;
    if (ch == '\r') continue;
    if (ch == c->delim) {
      if (!line_push(c, &len, 0)) goto oom;
      if (nstarts == starts_cap) {
        size_t *ns = ecai__realloc(starts, starts_cap * 2 * sizeof *starts);
        if (!ns) goto oom;
        starts = ns;
        starts_cap *= 2;
      }
      starts[nstarts++] = len;
      was_quoted = false;
      continue;
    }
    if (ch == '"' && !was_quoted && (len == starts[nstarts - 1])) {
      inq = true;
      was_quoted = true;
      continue;
    }
    if (!line_push(c, &len, (char)ch)) goto oom;
  }
  if (!line_push(c, &len, 0)) goto oom;
  if (nstarts > c->fields_cap) {
    char **nf = ecai__realloc(c->fields, nstarts * sizeof *nf);
    if (!nf) goto oom;
    c->fields = nf;
    c->fields_cap = nstarts;
  }
  for (size_t i = 0; i < nstarts; i++) c->fields[i] = c->line + starts[i];
  c->nfields = nstarts;
  ecai__free(starts);
  return 1;
oom:
  ecai__free(starts);
  return ecai__err(ECAI_ENOMEM, "csv: out of memory");
}

int ecai__csv_col(const ecai__csv *c, const char *name) {
  for (size_t i = 0; i < c->nfields; i++) {
    const char *f = c->fields[i];
    if (i == 0 && (unsigned char)f[0] == 0xEF && (unsigned char)f[1] == 0xBB && (unsigned char)f[2] == 0xBF) f += 3;
    while (*f == ' ') f++;
    size_t n = strlen(name);
    if (strncasecmp(f, name, n) == 0) {
      const char *r = f + n;
      while (*r == ' ') r++;
      if (!*r) return (int)i;
    }
  }
  return -1;
}

/* ---- dates --------------------------------------------------------------------- */

int64_t ecai__days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void ecai__civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yy + (*m <= 2));
}

static bool digits(const char *s, int n, int *v) {
  int r = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    r = r * 10 + (s[i] - '0');
  }
  *v = r;
  return true;
}

bool ecai__parse_time(const char *s, int64_t *out) {
  if (!s) return false;
  while (*s == ' ') s++;
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (digits(s, 4, &y) && s[4] == '-' && digits(s + 5, 2, &mo) && s[7] == '-' && digits(s + 8, 2, &d)) {
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
      if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi)) return false;
      p += 6;
      if (*p == ':') {
        if (!digits(p + 1, 2, &se)) return false;
        p += 3;
        if (*p == '.') {
          p++;
          while (isdigit((unsigned char)*p)) p++;
        }
      }
      if (*p == 'Z') p++;
      else if (*p == '+' && !strncmp(p, "+00:00", 6)) p += 6;
    }
    while (*p == ' ') p++;
    if (*p) return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
    *out = ecai__days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
  }
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || errno) return false;
  while (*end == ' ') end++;
  if (*end) return false;
  *out = (int64_t)v;
  return true;
}

bool ecai__parse_double(const char *s, double *out) {
  if (!s) return false;
  while (*s == ' ') s++;
  if (!*s) return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno == ERANGE) return false;
  while (*end == ' ') end++;
  if (*end || !isfinite(v)) return false;
  *out = v;
  return true;
}

json_t *ecai__jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }
