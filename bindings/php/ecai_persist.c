/* libecai PHP extension: handles kept across requests (persistent stores, searches,
 * recommenders and knowledge bases), so that under php-fpm the second request in a worker
 * pays for its query only, not for opening a store again.
 *
 * Every worker process keeps a small table of entries. A top-level entry (store,
 * recommender, knowledge base) is found by its key: the kind, the realpath of the folder
 * or file and the effective configuration of the request's context; it is returned while
 * the identity (st_dev, st_ino, size, mtime_ns) of the store's MANIFEST (written last by
 * ecai_store_save) or of the file is unchanged. Otherwise the new version is opened, and
 * it replaces in the table the older versions of the same realpath (rewritten in place)
 * and of the same path as given (a symlink swapped to a new folder). An entry is freed
 * once it is out of the table, no live PHP object uses it (`users`) and no kept search is
 * built on it (`children`); changing a kept handle (ecai_php_kept_unshare) or more than
 * ecai.max_persistent entries (evict) also take entries out of the table. Kept stores and knowledge
 * bases own a context made from the same configuration text as the request's, because
 * the request's Ecai\Context dies at the end of the request and the handle keeps using it.
 *
 * A kept search is a child of its kept store; Search::open on the store's own folder
 * returns the search of the store's version, so a publish between Store::open and
 * Search::open never pairs one version's catalog with another's keyword index.
 *
 * Threads: php-fpm runs one request at a time per process, so the table has no lock. In
 * ZTS builds persistence is off (every open() opens afresh). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <php.h>
#include <zend_exceptions.h>
#include <zend_ini.h>

#include "php_ecai.h"

typedef struct fid {
  dev_t dev;
  ino_t ino;
  off_t size;
  int64_t mtime_ns;
} fid;

struct ecai_php_kept {
  ecai_php_kept *next;     /* every live entry, listed or not */
  ecai_php_kept_kind kind;
  char *key;               /* kind, realpath, configuration: what open() looks up */
  size_t key_len;
  char *given;             /* kind, absolute path as given, configuration */
  size_t given_len;
  char *path;              /* absolute path as given (the last time) */
  char *real;              /* what it resolved to when opened */
  fid id;                  /* of DIR/MANIFEST (store), the file (KB, recommender), DIR/search.bin */
  void *h;
  void (*free_h)(void *);
  ecai_ctx *ctx;           /* the entry's own context (stores, KBs) or NULL */
  ecai_php_kept *parent;   /* a search's store */
  uint32_t users;          /* live PHP objects using h */
  uint32_t children;       /* kept searches built on this store */
  bool listed;             /* open() may still return it */
  uint64_t used;           /* LRU clock */
  uint64_t hits;
  time_t opened;
};

static ecai_php_kept *all;
static uint64_t lru_clock;
static struct {
  zend_long opened, reused, replaced, evicted, unshared, failed;
} counts;

/* php.ini */
static bool ini_persistent = true;
static zend_long ini_max = 8;

static ZEND_INI_MH(on_persistent) {
  ini_persistent = zend_ini_parse_bool(new_value);
  return SUCCESS;
}

static ZEND_INI_MH(on_max) {
  char *end;
  zend_long v = ZEND_STRTOL(ZSTR_VAL(new_value), &end, 10);
  if (*end || v < -1) return FAILURE;
  ini_max = v;
  return SUCCESS;
}

PHP_INI_BEGIN()
  /* keep opened stores, searches, recommenders and KBs across requests */
  PHP_INI_ENTRY("ecai.persistent", "1", PHP_INI_ALL, on_persistent)
  /* top-level entries kept per process (-1: no limit); LRU not in use is closed first */
  PHP_INI_ENTRY("ecai.max_persistent", "8", PHP_INI_SYSTEM, on_max)
PHP_INI_END()

static bool enabled(void) {
#ifdef ZTS
  return false;
#else
  return ini_persistent;
#endif
}

/* ---- small helpers -------------------------------------------------------------------- */

static int fid_of(fid *f, const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0) return -1;
  f->dev = sb.st_dev;
  f->ino = sb.st_ino;
  f->size = sb.st_size;
  f->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
  return 0;
}

static bool fid_eq(const fid *a, const fid *b) {
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* path made absolute against the working directory (not resolved); 0 or -1 */
static int abs_path(char out[PATH_MAX], const char *path) {
  if (path[0] == '/') return snprintf(out, PATH_MAX, "%s", path) < PATH_MAX ? 0 : -1;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return -1;
  return snprintf(out, PATH_MAX, "%s/%s", cwd, path) < PATH_MAX ? 0 : -1;
}

static int join(char out[PATH_MAX], const char *dir, const char *name) {
  return snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX ? 0 : -1;
}

static void throw_msg(ecai_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zend_string *m = zend_vstrpprintf(0, fmt, ap);
  va_end(ap);
  zend_throw_exception(ecai_ce_exception, ZSTR_VAL(m), (zend_long)st);
  zend_string_release(m);
}

/* The configuration part of a key: the effective configuration, plus the source when it
 * sets a secret (secrets read back as "***", so two keys would look alike). pemalloc'ed. */
static char *cfg_key(size_t *len, const ecai_ctx *c, const ecai_php_cfgsrc *src) {
  char *js = NULL;
  size_t n = 0;
  if (ecai_ctx_config_json(&js, &n, c) != ECAI_OK) return NULL;
  const char *extra = "";
  size_t en = 0;
  if (strstr(js, "\"***\"")) {
    extra = src->json ? src->json : src->file ? src->file : "";
    en = src->json ? src->len : strlen(extra);
  }
  char *k = pemalloc(n + 1 + en + 1, 1);
  memcpy(k, js, n);
  k[n] = '\n';
  memcpy(k + n + 1, extra, en);
  k[n + 1 + en] = 0;
  *len = n + 1 + en;
  ecai_free(js);
  return k;
}

static ecai_status make_ctx(ecai_ctx **out, const ecai_php_cfgsrc *src) {
  if (src->file) return ecai_ctx_new_from_file(out, src->file);
  return ecai_ctx_new(out, src->json, src->json ? src->len : 0);
}

/* ---- the table ---------------------------------------------------------------------------- */

static void destroy(ecai_php_kept *e) {
  if (e->h && e->free_h) e->free_h(e->h); /* the handle first: it uses the context */
  if (e->ctx) ecai_ctx_free(e->ctx);
  if (e->key) pefree(e->key, 1);
  if (e->given) pefree(e->given, 1);
  pefree(e->path, 1);
  pefree(e->real, 1);
  pefree(e, 1);
}

/* Frees every entry that is out of the table and unused (searches before their store). */
static void sweep(void) {
  bool again = true;
  while (again) {
    again = false;
    for (ecai_php_kept **pp = &all; *pp;) {
      ecai_php_kept *e = *pp;
      if (!e->listed && !e->users && !e->children) {
        *pp = e->next;
        if (e->parent) e->parent->children--;
        destroy(e);
        again = true;
      } else {
        pp = &e->next;
      }
    }
  }
}

/* Takes e (and the searches built on it) out of the table; frees what nobody uses. */
static void unlist(ecai_php_kept *e) {
  if (!e->listed) return;
  e->listed = false;
  for (ecai_php_kept *c = all; c; c = c->next)
    if (c->parent == e) c->listed = false;
  sweep();
}

static bool in_use(const ecai_php_kept *e) {
  if (e->users) return true;
  for (const ecai_php_kept *c = all; c; c = c->next)
    if (c->parent == e && c->users) return true;
  return false;
}

/* Closes least recently used top-level entries not in use while more than
 * ecai.max_persistent are kept. */
static void evict(void) {
  if (ini_max < 0) return;
  for (;;) {
    zend_long n = 0;
    ecai_php_kept *lru = NULL;
    for (ecai_php_kept *e = all; e; e = e->next) {
      if (!e->listed || e->parent) continue;
      n++;
      if (!in_use(e) && (!lru || e->used < lru->used)) lru = e;
    }
    if (n <= ini_max || !lru) return;
    counts.evicted++;
    unlist(lru);
  }
}

/* kind, path, configuration as one key (pemalloc'ed) */
static char *mk_key(size_t *len, ecai_php_kept_kind kind, const char *path, const char *cfg, size_t cfg_len) {
  size_t pl = strlen(path);
  *len = 1 + pl + 1 + cfg_len;
  char *k = pemalloc(*len, 1);
  k[0] = (char)('0' + kind);
  memcpy(k + 1, path, pl + 1);
  memcpy(k + 2 + pl, cfg, cfg_len);
  return k;
}

static bool key_eq(const char *a, size_t al, const char *b, size_t bl) {
  return a && b && al == bl && memcmp(a, b, al) == 0;
}

static ecai_php_kept *add_entry(ecai_php_kept_kind kind, const char *path, const char *real, const fid *id, void *h,
                                void (*free_h)(void *)) {
  ecai_php_kept *e = pecalloc(1, sizeof *e, 1);
  e->kind = kind;
  e->path = pestrdup(path, 1);
  e->real = pestrdup(real, 1);
  e->id = *id;
  e->h = h;
  e->free_h = free_h;
  e->users = 1;
  e->used = ++lru_clock;
  e->opened = time(NULL);
  e->next = all;
  all = e;
  return e;
}

/* Takes out of the table the entries other than e with this key (older versions of the same
 * folder or file) or reached through this path as given (it leads to e now). */
static void supersede(ecai_php_kept *e, const char *given, size_t glen) {
  for (ecai_php_kept *o = all; o;) {
    if (o != e && o->listed && !o->parent &&
        (key_eq(o->key, o->key_len, e->key, e->key_len) || key_eq(o->given, o->given_len, given, glen))) {
      counts.replaced++;
      unlist(o);
      o = all; /* unlist may have freed entries: start again */
    } else {
      o = o->next;
    }
  }
}

static ecai_php_kept *hit(ecai_php_kept *e) {
  e->users++;
  e->hits++;
  e->used = ++lru_clock;
  counts.reused++;
  return e;
}

static void free_search(void *h) { ecai_search_free(h); }

/* ---- opening ---------------------------------------------------------------------------- */

ecai_status ecai_php_kept_open(ecai_php_kept **out, ecai_php_kept_kind kind, const char *path, const ecai_ctx *cfg,
                               const ecai_php_cfgsrc *src, bool own_ctx, ecai_php_open_fn open,
                               void (*free_h)(void *)) {
  *out = NULL;
  char abs[PATH_MAX], real[PATH_MAX], idpath[PATH_MAX];
  fid before, after;
  /* anything unusual (missing folder, no MANIFEST): the plain open gives its own error */
  if (!enabled() || abs_path(abs, path) || !realpath(path, real)) return ECAI_OK;
  int bad = kind == ECAI_PHP_KEPT_STORE ? join(idpath, real, "MANIFEST") : (snprintf(idpath, sizeof idpath, "%s", real), 0);
  if (bad || fid_of(&before, idpath)) return ECAI_OK;
  size_t clen = 0, klen, glen;
  char *cfgk = cfg_key(&clen, cfg, src);
  if (!cfgk) return ECAI_OK;
  char *key = mk_key(&klen, kind, real, cfgk, clen), *given = mk_key(&glen, kind, abs, cfgk, clen);
  for (ecai_php_kept *e = all; e; e = e->next) {
    if (!e->listed || !key_eq(e->key, e->key_len, key, klen) || !fid_eq(&e->id, &before)) continue;
    if (!key_eq(e->given, e->given_len, given, glen)) { /* reached through another path now */
      supersede(e, given, glen);
      pefree(e->given, 1);
      pefree(e->path, 1);
      e->given = given;
      e->given_len = glen;
      e->path = pestrdup(abs, 1);
    } else {
      pefree(given, 1);
    }
    pefree(key, 1);
    pefree(cfgk, 1);
    *out = hit(e);
    return ECAI_OK;
  }
  /* a context of its own, from the same text; it must come out the same as the request's */
  ecai_ctx *ctx = NULL;
  size_t c2len = 0;
  char *c2 = NULL;
  bool same = make_ctx(&ctx, src) == ECAI_OK && (c2 = cfg_key(&c2len, ctx, src)) && key_eq(c2, c2len, cfgk, clen);
  if (c2) pefree(c2, 1);
  pefree(cfgk, 1);
  if (!same) {
    ecai_ctx_free(ctx);
    pefree(key, 1);
    pefree(given, 1);
    return ECAI_OK;
  }
  void *h = NULL;
  ecai_status st = open(&h, ctx, real);
  if (st != ECAI_OK) { /* the versions kept before stay in the table */
    ecai_ctx_free(ctx);
    pefree(key, 1);
    pefree(given, 1);
    counts.failed++;
    return st;
  }
  if (!own_ctx) {
    ecai_ctx_free(ctx);
    ctx = NULL;
  }
  ecai_php_kept *e = add_entry(kind, abs, real, &before, h, free_h);
  e->ctx = ctx;
  e->key = key;
  e->key_len = klen;
  e->given = given;
  e->given_len = glen;
  /* kept only when nothing was published while it was being opened (it is a complete
   * version either way: the library checks that the files belong together) */
  if (fid_of(&after, idpath) == 0 && fid_eq(&before, &after)) {
    supersede(e, given, glen);
    e->listed = true;
    counts.opened++;
    evict();
  }
  *out = e;
  return ECAI_OK;
}

ecai_status ecai_php_kept_search(ecai_php_kept **out, ecai_php_kept *s, const char *opened_as, const char *dir) {
  *out = NULL;
  char abs[PATH_MAX], as_abs[PATH_MAX], real[PATH_MAX], man_path[PATH_MAX], sb_path[PATH_MAX];
  if (!enabled() || !s || s->kind != ECAI_PHP_KEPT_STORE || abs_path(abs, dir)) return ECAI_OK;
  /* the store's own folder: the version the store was opened from, even if the path is a
   * symlink that has been swapped since */
  bool own = opened_as && abs_path(as_abs, opened_as) == 0 && strcmp(abs, as_abs) == 0;
  if (own) snprintf(real, sizeof real, "%s", s->real);
  else if (!realpath(dir, real)) return ECAI_OK;
  else own = strcmp(real, s->real) == 0;
  if (join(man_path, real, "MANIFEST") || join(sb_path, real, "search.bin")) return ECAI_OK;
  fid man, sb;
  bool same_version = !own || (fid_of(&man, man_path) == 0 && fid_eq(&man, &s->id));
  bool have_sb = fid_of(&sb, sb_path) == 0;
  ecai_php_kept *c = NULL;
  for (ecai_php_kept *e = all; e && !c; e = e->next)
    if (e->listed && e->parent == s && strcmp(e->real, real) == 0) c = e;
  if (c && (!same_version || (have_sb && fid_eq(&c->id, &sb)))) {
    *out = hit(c);
    return ECAI_OK;
  }
  if (!same_version) {
    throw_msg(ECAI_ESTATE, "search_open: %s changed after its store was opened (a new version was published): "
              "open the store again", real);
    return ECAI_ESTATE;
  }
  if (!have_sb) return ECAI_OK; /* the plain open says what is missing */
  ecai_search *h = NULL;
  ecai_status st = ecai_search_open(&h, ecai_php_kept_handle(s), real);
  if (st != ECAI_OK) {
    counts.failed++;
    return st;
  }
  ecai_php_kept *e = add_entry(ECAI_PHP_KEPT_SEARCH, abs, real, &sb, h, free_search);
  e->parent = s;
  s->children++;
  fid sb2, man2;
  bool stable = fid_of(&sb2, sb_path) == 0 && fid_eq(&sb, &sb2) &&
                (!own || (fid_of(&man2, man_path) == 0 && fid_eq(&man2, &s->id)));
  if (stable && s->listed) {
    if (c) unlist(c);
    e->listed = true;
    counts.opened++;
  }
  *out = e;
  return ECAI_OK;
}

void *ecai_php_kept_handle(const ecai_php_kept *k) { return k->h; }

void ecai_php_obj_adopt_kept(ecai_php_obj *p, ecai_php_kept *k) {
  p->h = k->h;
  p->free_h = NULL; /* the entry frees it */
  p->kept = k;
}

void ecai_php_kept_release(ecai_php_kept *k) {
  if (k->users) k->users--;
  sweep();
  evict();
}

void ecai_php_kept_unshare(ecai_php_obj *p) {
  if (!p->kept || !p->kept->listed) return;
  counts.unshared++;
  unlist(p->kept);
}

/* ---- module --------------------------------------------------------------------------------- */

int ecai_php_persist_minit(INIT_FUNC_ARGS) {
  REGISTER_INI_ENTRIES();
  return SUCCESS;
}

void ecai_php_persist_mshutdown(SHUTDOWN_FUNC_ARGS) {
  for (ecai_php_kept *e = all; e; e = e->next) {
    e->listed = false;
    e->users = 0;
  }
  sweep();
  UNREGISTER_INI_ENTRIES();
}

static const char *kind_name(ecai_php_kept_kind k) {
  switch (k) {
    case ECAI_PHP_KEPT_STORE: return "store";
    case ECAI_PHP_KEPT_SEARCH: return "search";
    case ECAI_PHP_KEPT_RECOMMEND: return "recommender";
    case ECAI_PHP_KEPT_KB: return "knowledge_base";
  }
  return "?";
}

void ecai_php_persist_stats(zval *rv) {
  array_init(rv);
  add_assoc_bool(rv, "enabled", enabled());
  add_assoc_long(rv, "pid", (zend_long)getpid());
  add_assoc_long(rv, "max_persistent", ini_max);
  add_assoc_long(rv, "opened", counts.opened);
  add_assoc_long(rv, "reused", counts.reused);
  add_assoc_long(rv, "replaced", counts.replaced);
  add_assoc_long(rv, "evicted", counts.evicted);
  add_assoc_long(rv, "unshared", counts.unshared);
  add_assoc_long(rv, "failed", counts.failed);
  zval list;
  array_init(&list);
  for (ecai_php_kept *e = all; e; e = e->next) {
    zval z;
    array_init(&z);
    add_assoc_string(&z, "kind", (char *)kind_name(e->kind));
    add_assoc_string(&z, "path", e->path);
    add_assoc_string(&z, "realpath", e->real);
    add_assoc_bool(&z, "listed", e->listed);
    add_assoc_long(&z, "users", (zend_long)e->users);
    add_assoc_long(&z, "hits", (zend_long)e->hits);
    add_assoc_long(&z, "opened_at", (zend_long)e->opened);
    add_assoc_long(&z, "inode", (zend_long)e->id.ino);
    add_assoc_long(&z, "size", (zend_long)e->id.size);
    add_assoc_long(&z, "mtime_ns", (zend_long)e->id.mtime_ns);
    add_next_index_zval(&list, &z);
  }
  add_assoc_zval(rv, "entries", &list);
}
