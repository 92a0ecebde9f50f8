/* Reference-counted global initialisation (libcurl) and the live-context count. */
#include <pthread.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "core/internal.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_refs = 0;
static bool g_curl_up = false; /* curl_global_init done (by init or lazily) */
static atomic_int g_ctx_live = 0;

int ecai__global_busy(void) { return g_refs > 0 || atomic_load(&g_ctx_live) > 0; }
void ecai__ctx_count_add(int delta) { atomic_fetch_add(&g_ctx_live, delta); }

static ecai_status curl_up_locked(void) {
  if (g_curl_up) return ECAI_OK;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return ecai__err(ECAI_ERROR, "curl_global_init failed");
  g_curl_up = true;
  return ECAI_OK;
}

ecai_status ecai_global_init(void) {
  pthread_mutex_lock(&g_lock);
  ecai_status st = curl_up_locked();
  if (st == ECAI_OK) g_refs++;
  pthread_mutex_unlock(&g_lock);
  return st;
}

void ecai_global_cleanup(void) {
  pthread_mutex_lock(&g_lock);
  if (g_refs > 0 && --g_refs == 0 && g_curl_up) {
    curl_global_cleanup();
    g_curl_up = false;
  }
  pthread_mutex_unlock(&g_lock);
}

ecai_status ecai__curl_once(void) {
  /* Lazy path for programs that never call ecai_global_init(): initialise once and
   * keep it for the life of the process (libcurl 7.88 is thread-safe to init). */
  pthread_mutex_lock(&g_lock);
  ecai_status st = curl_up_locked();
  pthread_mutex_unlock(&g_lock);
  return st;
}
