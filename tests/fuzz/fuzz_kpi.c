/* Fuzz target: KPI events (CSV or JSON lines) and the reports computed from them. */
#include <stdint.h>
#include <stdlib.h>

#include <ecai.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 32768) return 0;
  ecai_kpi *k = NULL;
  if (ecai_kpi_new(&k) != ECAI_OK) abort();
  size_t before = ecai_kpi_count(k);
  if (ecai_kpi_load_buffer(k, (const char *)data, size) == ECAI_OK) {
    char *js = NULL;
    size_t n = 0;
    if (ecai_kpi_metrics_json(&js, &n, k, "week") == ECAI_OK) ecai_free(js);
    if (ecai_kpi_report_json(&js, &n, k, NULL, 1716681600) == ECAI_OK) ecai_free(js);
  } else if (ecai_kpi_count(k) != before) {
    abort(); /* all-or-nothing */
  }
  ecai_kpi_free(k);
  return 0;
}
