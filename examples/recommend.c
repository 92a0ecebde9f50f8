/*
 * recommend — the smallest use of ecai_recommend: learn from a few orders, then ask for
 * complements of a cart. Offline, public API only.  Build: make; run: bin/recommend
 */
#include <stdio.h>
#include <string.h>

#include <ecai.h>

int main(void) {
  ecai_recommend *r = NULL;
  if (ecai_recommend_new(&r, NULL) != ECAI_OK) {
    fprintf(stderr, "recommend: %s\n", ecai_last_error());
    return 1;
  }
  static const char *mug_orders[][3] = {{"mug", "coffee", "spoon"}, {"mug", "coffee", NULL}, {"mug", "spoon", NULL},
                                        {"mug", "coffee", "filter"}, {"sofa", "cushion", NULL}, {"sofa", "throw", NULL}};
  char oid[16];
  for (int i = 0; i < 6; i++) {
    size_t n = mug_orders[i][2] ? 3 : 2;
    snprintf(oid, sizeof oid, "order-%d", i);
    if (ecai_recommend_add_order(r, oid, "customer-1", 1700000000 + i * 3600, mug_orders[i], NULL, NULL, n)) goto fail;
  }
  if (ecai_recommend_set_item(r, "mug", "White ceramic mug", 8.0) || ecai_recommend_set_item(r, "coffee", "Ground coffee", 6.5) ||
      ecai_recommend_fit(r))
    goto fail;
  const char *req = "{\"cart\":[{\"id\":\"mug\",\"qty\":1}],\"k\":3,\"strategy\":\"complementary\"}";
  char *out = NULL;
  if (ecai_recommend_query(&out, NULL, r, req, strlen(req))) goto fail;
  printf("cart: mug -> %s\n", out);
  int ok = strstr(out, "\"id\":\"coffee\"") != NULL;
  ecai_free(out);
  ecai_recommend_free(r);
  return ok ? 0 : 1;
fail:
  fprintf(stderr, "recommend: %s\n", ecai_last_error());
  ecai_recommend_free(r);
  return 1;
}
