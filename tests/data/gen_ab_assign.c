/* Regenerates tests/data/ab_assign.tsv (the cross-language assignment vectors):
 *   cc -Iinclude tests/data/gen_ab_assign.c -Llib -lecai -o /tmp/gen && LD_LIBRARY_PATH=lib /tmp/gen > tests/data/ab_assign.tsv
 * Design: experiment salt "checkout-2026", variants control:50, treatment_a:30,
 * treatment_b:20, holdout 0.1 with holdout salt "global-holdout".
 * Columns: unit, u (hash point of salt+unit, %.17g), uh (holdout point), variant. */
#include <stdio.h>
#include <string.h>

#include <ecai.h>

int main(void) {
  ecai_experiment *e = NULL;
  if (ecai_experiment_new(&e, "checkout", "checkout-2026") || ecai_experiment_add_variant(e, "control", 50) ||
      ecai_experiment_add_variant(e, "treatment_a", 30) || ecai_experiment_add_variant(e, "treatment_b", 20) ||
      ecai_experiment_set_holdout(e, 0.1, "global-holdout"))
    return 1;
  printf("unit\tu\tuh\tvariant\n");
  char unit[400];
  for (int i = 0; i < 260; i++) {
    if (i < 200) snprintf(unit, sizeof unit, "u%d", i);
    else if (i < 220) snprintf(unit, sizeof unit, "customer-%d@example.com", (i - 200) * 7919);
    else if (i < 230) snprintf(unit, sizeof unit, "kunde-\xc3\xa4\xc3\xb6\xc3\xbc-%d", i);
    else if (i < 245) { /* lengths 17..240 and > 240 exercise every XXH3 code path */
      int n = 17 + (i - 230) * 25;
      for (int j = 0; j < n; j++) unit[j] = (char)('a' + (j * 7 + i) % 26);
      unit[n] = 0;
    } else snprintf(unit, sizeof unit, "%d", 1000000 + i * 37);
    double u, uh;
    const char *v;
    if (ecai_experiment_hash_point(&u, "checkout-2026", unit, strlen(unit)) ||
        ecai_experiment_hash_point(&uh, "global-holdout", unit, strlen(unit)) ||
        ecai_experiment_assign(&v, e, unit, strlen(unit)))
      return 1;
    printf("%s\t%.17g\t%.17g\t%s\n", unit, u, uh, v);
  }
  ecai_experiment_free(e);
  return 0;
}
