/* Fuzz target: the A/B test CSV (ecai_abtest_csv_json, ecai_abtest_csv_opts_json with CUPED
 * and the sequential read-outs), proportion and mean metrics. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 32768) return 0;
  ecai_abtest_metric m = (data[0] & 1) ? ECAI_ABTEST_MEAN : ECAI_ABTEST_PROPORTION;
  const char *path = fuzz_tmpfile("abtest", data + 1, size - 1);
  char *out = NULL;
  size_t n = 0;
  if (ecai_abtest_csv_json(&out, &n, path, "version", "retention_1", m, NULL) == ECAI_OK) ecai_free(out);
  if (ecai_abtest_csv_json(&out, &n, path, "variant", "value", m, (data[0] & 2) ? "A" : NULL) == ECAI_OK)
    ecai_free(out);
  static const char *const opts[4] = {"{\"covariate\":\"pre\"}",
                                       "{\"sequential\":true,\"look_column\":\"look\"}",
                                       "{\"covariate\":\"pre\",\"sequential\":true,\"look_column\":\"look\","
                                       "\"sequential_method\":\"obf\"}",
                                       "{\"sequential\":true,\"look_column\":\"look\",\"draws\":1000}"};
  if (ecai_abtest_csv_opts_json(&out, &n, path, "variant", "value", m, NULL, opts[(data[0] >> 2) & 3]) == ECAI_OK)
    ecai_free(out);
  unlink(path);
  return 0;
}
