/*
 * Catalog -> embeddings -> vector index -> search, saved and reopened without
 * re-embedding. Offline (builtin embedder). Usage: vector_search [QUERY]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ecai.h>

static int fail(const char *what, ecai_status st) {
  fprintf(stderr, "vector_search: %s: %s\n", what, st ? ecai_last_error() : "failed");
  return 1;
}

int main(int argc, char **argv) {
  const char *query = argc > 1 ? argv[1] : "grey linen sofa";
  static const char *products[] = {
      "{\"id\":\"SOFA-1\",\"title\":\"Grey 3-seat sofa, linen\",\"category\":\"Furniture > Sofas\",\"price\":499}",
      "{\"id\":\"TBL-7\",\"title\":\"Oak coffee table 120 cm\",\"category\":\"Furniture > Tables\",\"price\":189.5}",
      "{\"id\":\"DRL-18\",\"title\":\"Cordless drill 18V, two batteries\",\"category\":\"Tools > Drills\"}",
      "{\"id\":\"LMP-2\",\"title\":\"LED floor lamp, warm white\",\"category\":\"Lighting > Lamps\"}",
  };
  ecai_ctx *ctx = NULL;
  ecai_store *store = NULL, *reopened = NULL;
  char *json = NULL;
  char dir[] = "/tmp/ecai-vector-search-XXXXXX";
  ecai_status st = ecai_ctx_new(&ctx, NULL, 0);
  if (st) return fail("context", st);
  if ((st = ecai_store_new(&store, ctx))) return fail("store", st);
  for (size_t i = 0; i < sizeof products / sizeof *products; i++)
    if ((st = ecai_catalog_upsert_json(NULL, ecai_store_catalog(store), products[i], strlen(products[i]))))
      return fail("product", st);
  size_t embedded = 0;
  if ((st = ecai_store_build(&embedded, store, 0, NULL, NULL))) return fail("build", st);
  if ((st = ecai_store_search(&json, NULL, store, query, strlen(query), 2))) return fail("search", st);
  printf("embedded %zu products; '%s' -> %s\n", embedded, query, json);
  const char *top = "{\"hits\":[{\"id\":\"SOFA-1\"";
  int ok = strncmp(json, top, strlen(top)) == 0 || argc > 1;
  ecai_free(json);
  if (!mkdtemp(dir)) return fail("mkdtemp", ECAI_OK);
  if ((st = ecai_store_save(store, dir))) return fail("save", st);
  if ((st = ecai_store_open(&reopened, ctx, dir))) return fail("open", st);
  if ((st = ecai_store_build(&embedded, reopened, 0, NULL, NULL))) return fail("rebuild", st);
  printf("reopened from %s: %zu products re-embedded\n", dir, embedded);
  ok = ok && embedded == 0;
  ecai_store_free(reopened);
  ecai_store_free(store);
  ecai_ctx_free(ctx);
  const char *files[] = {"MANIFEST", "catalog.bin", "embedder.bin", "index.bin", "embedded.bin"};
  char p[256];
  for (size_t i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  rmdir(dir);
  return ok ? 0 : 1;
}
