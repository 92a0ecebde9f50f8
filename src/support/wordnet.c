/* WordNet synonyms for question words the knowledge base does not know ("parcel" ->
 * "package"). Reads the WordNet 3.0 database files of Debian's wordnet-base
 * (index.<pos> sorted by lemma: binary search; data.<pos> addressed by byte offset),
 * mapped read-only and shared. Only the first senses of a word are used: rarer senses
 * bring more wrong words than right ones (measured on the tune half, eval_support.py). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support_internal.h"

static const char *const POS[ECAI__WN_NPOS] = {"noun", "verb", "adj", "adv"};

typedef struct {
  const char *p;
  size_t n;
} mapped;

struct ecai__wn {
  mapped index[ECAI__WN_NPOS], data[ECAI__WN_NPOS];
};

static bool map_file(const char *dir, const char *name, mapped *m) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat sb;
  void *p = MAP_FAILED;
  if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
    p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return false;
  m->p = p;
  m->n = (size_t)sb.st_size;
  return true;
}

void ecai__wn_free(ecai__wn *wn) {
  if (!wn) return;
  for (int i = 0; i < ECAI__WN_NPOS; i++) {
    if (wn->index[i].p) munmap((void *)wn->index[i].p, wn->index[i].n);
    if (wn->data[i].p) munmap((void *)wn->data[i].p, wn->data[i].n);
  }
  ecai__free(wn);
}

ecai_status ecai__wn_open(ecai__wn **out, const char *dir) {
  *out = NULL;
  ecai__wn *wn = ecai__calloc(1, sizeof *wn);
  if (!wn) return ecai__err(ECAI_ENOMEM, "kb: out of memory");
  for (int i = 0; i < ECAI__WN_NPOS; i++) {
    char a[32], b[32];
    snprintf(a, sizeof a, "index.%s", POS[i]);
    snprintf(b, sizeof b, "data.%s", POS[i]);
    if (!map_file(dir, a, &wn->index[i]) || !map_file(dir, b, &wn->data[i])) {
      ecai__wn_free(wn);
      return ecai__err(ECAI_ENOTFOUND, "kb: no WordNet database in %s (Debian package wordnet-base)", dir);
    }
  }
  *out = wn;
  return ECAI_OK;
}

/* The line of index m whose first field is key, or NULL (lines are sorted by lemma). */
static const char *find_line(const mapped *m, const char *key, size_t kl) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2, s = mid;
    while (s > 0 && m->p[s - 1] != '\n') s--;
    const char *line = m->p + s, *end = memchr(line, '\n', m->n - s);
    size_t ll = end ? (size_t)(end - line) : m->n - s, fl = 0;
    while (fl < ll && line[fl] != ' ') fl++;
    int c = memcmp(line, key, fl < kl ? fl : kl);
    if (c == 0) c = fl < kl ? -1 : fl > kl ? 1 : 0;
    if (c == 0) return line;
    if (c < 0) lo = s + ll + 1;
    else hi = s;
  }
  return NULL;
}

/* Calls fn for each one-word lemma of the first `senses` synsets of key in pos. */
static void synsets_of(const ecai__wn *wn, int pos, const char *key, size_t kl, int senses,
                       void (*fn)(const char *, size_t, void *), void *arg) {
  const char *line = find_line(&wn->index[pos], key, kl);
  if (!line || line[0] == ' ') return;
  const char *end = memchr(line, '\n', wn->index[pos].p + wn->index[pos].n - line);
  if (!end) return;
  /* lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset... */
  char buf[2048];
  size_t ll = (size_t)(end - line);
  if (ll >= sizeof buf) return;
  memcpy(buf, line, ll);
  buf[ll] = 0;
  char *save = NULL, *f[4];
  for (int i = 0; i < 4; i++)
    if (!(f[i] = strtok_r(i ? NULL : buf, " ", &save))) return;
  long pcnt = strtol(f[3], NULL, 10);
  for (long i = 0; i < pcnt + 2; i++)
    if (!strtok_r(NULL, " ", &save)) return;
  char *off;
  for (int s = 0; s < senses && (off = strtok_r(NULL, " ", &save)); s++) {
    unsigned long o = strtoul(off, NULL, 10);
    const mapped *d = &wn->data[pos];
    if (o >= d->n) continue;
    /* offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id...] ... */
    const char *p = d->p + o, *e = memchr(p, '\n', d->n - o);
    if (!e) continue;
    int field = 0;
    unsigned long wcnt = 0;
    const char *q = p;
    while (q < e) {
      const char *w = q;
      while (q < e && *q != ' ') q++;
      size_t wl = (size_t)(q - w);
      if (field == 3) wcnt = strtoul(w, NULL, 16);
      else if (field >= 4 && (field - 4) % 2 == 0) {
        if ((unsigned long)(field - 4) / 2 >= wcnt) break;
        if (!memchr(w, '_', wl) && !memchr(w, '(', wl)) fn(w, wl, arg);
      }
      field++;
      while (q < e && *q == ' ') q++;
    }
  }
}

/* WordNet's base-form rules (morphy) per part of speech, the word itself first. */
static const char *const RULES[ECAI__WN_NPOS][10][2] = {
    {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
    {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}},
    {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
    {{NULL, NULL}},
};

void ecai__wn_synonyms(const ecai__wn *wn, const char *w, size_t wl, int senses,
                       void (*fn)(const char *, size_t, void *), void *arg) {
  char base[64];
  if (!wn || wl == 0 || wl >= sizeof base) return;
  for (int pos = 0; pos < ECAI__WN_NPOS; pos++) {
    if (find_line(&wn->index[pos], w, wl)) {
      synsets_of(wn, pos, w, wl, senses, fn, arg);
      continue;
    }
    for (int r = 0; r < 10 && RULES[pos][r][0]; r++) {
      size_t sl = strlen(RULES[pos][r][0]), rl = strlen(RULES[pos][r][1]);
      if (wl <= sl || memcmp(w + wl - sl, RULES[pos][r][0], sl)) continue;
      memcpy(base, w, wl - sl);
      memcpy(base + wl - sl, RULES[pos][r][1], rl);
      size_t bl = wl - sl + rl;
      if (find_line(&wn->index[pos], base, bl)) {
        synsets_of(wn, pos, base, bl, senses, fn, arg);
        break;
      }
    }
  }
}
