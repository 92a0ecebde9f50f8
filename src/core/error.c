/* Status names, the thread-local error slot, version. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

#define ERRBUF_SIZE 512
static _Thread_local char errbuf[ERRBUF_SIZE];

unsigned ecai_version_number(void) { return ECAI_VERSION_NUMBER; }
const char *ecai_version_string(void) { return ECAI_VERSION_STRING; }

const char *ecai_status_str(ecai_status s) {
  switch (s) {
  case ECAI_OK: return "ECAI_OK: success";
  case ECAI_ERROR: return "ECAI_ERROR: error";
  case ECAI_EINVAL: return "ECAI_EINVAL: invalid argument";
  case ECAI_ENOMEM: return "ECAI_ENOMEM: out of memory";
  case ECAI_ENOTFOUND: return "ECAI_ENOTFOUND: not found";
  case ECAI_EBUFS: return "ECAI_EBUFS: buffer too small";
  case ECAI_ESTATE: return "ECAI_ESTATE: invalid state for this call";
  case ECAI_EUNSUPPORTED: return "ECAI_EUNSUPPORTED: unsupported";
  case ECAI_EIO: return "ECAI_EIO: input/output error";
  case ECAI_EHTTP: return "ECAI_EHTTP: HTTP error";
  case ECAI_ETIMEOUT: return "ECAI_ETIMEOUT: timed out";
  case ECAI_EPARSE: return "ECAI_EPARSE: parse error";
  case ECAI_EBACKEND: return "ECAI_EBACKEND: vector backend error";
  case ECAI_EUSER: return "ECAI_EUSER: aborted by callback";
  case ECAI_ECORRUPT: return "ECAI_ECORRUPT: corrupted or incompatible file";
  case ECAI_EBUDGET: return "ECAI_EBUDGET: budget exhausted";
  case ECAI_ECANCELED: return "ECAI_ECANCELED: cancelled";
  }
  return "ECAI_?: unknown status";
}

const char *ecai_last_error(void) { return errbuf; }

ecai_status ecai__verr(ecai_status st, const char *fmt, va_list ap) {
  /* Format into a scratch buffer first: fmt's arguments may point into errbuf. */
  char tmp[ERRBUF_SIZE];
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  memcpy(errbuf, tmp, sizeof tmp);
  return st;
}

ecai_status ecai__err(ecai_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ecai__verr(st, fmt, ap);
  va_end(ap);
  return st;
}

ecai_status ecai__err_prefix(ecai_status st, const char *fmt, ...) {
  char prefix[ERRBUF_SIZE], tmp[2 * ERRBUF_SIZE + 4];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  snprintf(tmp, sizeof tmp, "%s: %s", prefix, errbuf);
  memcpy(errbuf, tmp, ERRBUF_SIZE - 1);
  errbuf[ERRBUF_SIZE - 1] = '\0';
  return st;
}
