/* The peer of the search benchmarks: SQLite FTS5 through dlopen() (the library is not a
 * build dependency), one in-memory table p(pid UNINDEXED, title) with the porter tokenizer. */
#ifndef ECAI_BENCH_FTS5_H
#define ECAI_BENCH_FTS5_H
#include <dlfcn.h>
#include <stdio.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
static int (*s_open)(const char *, sqlite3 **);
static int (*s_exec)(sqlite3 *, const char *, void *, void *, char **);
static int (*s_prepare)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
static int (*s_bind_text)(sqlite3_stmt *, int, const char *, int, void (*)(void *));
static int (*s_step)(sqlite3_stmt *);
static int (*s_reset)(sqlite3_stmt *);
static int (*s_finalize)(sqlite3_stmt *);
static const unsigned char *(*s_column_text)(sqlite3_stmt *, int);
static int (*s_close)(sqlite3 *);
#define SQLITE_ROW 100
#define SQLITE_TRANSIENT ((void (*)(void *)) - 1)

/* Loads libsqlite3 and creates the table; NULL (with a "skipped" line) when unavailable. */
static sqlite3 *fts5_open_table(void) {
  void *h = dlopen("libsqlite3.so.0", RTLD_NOW);
  if (!h) {
    printf("FTS5: libsqlite3.so.0 not found, skipped\n");
    return NULL;
  }
  *(void **)&s_open = dlsym(h, "sqlite3_open");
  *(void **)&s_exec = dlsym(h, "sqlite3_exec");
  *(void **)&s_prepare = dlsym(h, "sqlite3_prepare_v2");
  *(void **)&s_bind_text = dlsym(h, "sqlite3_bind_text");
  *(void **)&s_step = dlsym(h, "sqlite3_step");
  *(void **)&s_reset = dlsym(h, "sqlite3_reset");
  *(void **)&s_finalize = dlsym(h, "sqlite3_finalize");
  *(void **)&s_column_text = dlsym(h, "sqlite3_column_text");
  *(void **)&s_close = dlsym(h, "sqlite3_close");
  sqlite3 *db = NULL;
  if (s_open(":memory:", &db) ||
      s_exec(db, "CREATE VIRTUAL TABLE p USING fts5(pid UNINDEXED, title, tokenize='porter unicode61')", 0, 0, 0)) {
    printf("FTS5: cannot create the table, skipped\n");
    return NULL;
  }
  return db;
}
#endif
