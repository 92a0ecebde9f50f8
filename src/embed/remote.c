/*
 * The remote OpenAI-compatible embedder: POST {base_url}/v1/embeddings with
 * {"model": M, "input": [texts]} -> {"data": [{"index": i, "embedding": [...]}, ...]}.
 * One curl easy handle per embedder (keep-alive connection reuse), guarded by a mutex;
 * batches of embedder.batch_size; retries with exponential backoff (and Retry-After) on
 * 429, 5xx and connection failures, up to embedder.max_retries. A reply is never
 * buffered beyond embedder.max_reply_bytes (announced Content-Length or bytes received);
 * TLS peers are verified unless embedder.verify_tls is false (logged as a warning);
 * embedder.ca_file replaces the system CA store.
 */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "embed/embed_internal.h"

typedef struct ecai__remote {
  CURL *curl;
  struct curl_slist *hdr;
  char *url, *ca_file;
  int64_t timeout_ms, batch, retries, max_reply;
  int verify_tls;
  pthread_mutex_t mu;
} ecai__remote;

ecai_status ecai__remote_init(ecai_embedder *e) {
  ecai_ctx *ctx = e->ctx;
  const char *base = ecai__cfg_str(ctx, "embedder.base_url", NULL);
  const char *model = e->model ? e->model : ecai__cfg_str(ctx, "embedder.model", NULL);
  if (!base || !*base || !model || !*model)
    return ecai__err(ECAI_EINVAL, "embedder: kind 'openai' needs embedder.base_url and embedder.model");
  if (ecai__curl_once()) return ecai__err(ECAI_ERROR, "embedder: cannot initialise libcurl");
  ecai__remote *r = ecai__calloc(1, sizeof *r);
  if (!r) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  pthread_mutex_init(&r->mu, NULL);
  e->remote = r;
  if (!e->model && !(e->model = ecai__strdup(model))) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  int has_v1 = bl >= 3 && strncmp(base + bl - 3, "/v1", 3) == 0;
  ecai__buf u = {0};
  ecai__buf_append(&u, base, bl);
  ecai__buf_puts(&u, has_v1 ? "/embeddings" : "/v1/embeddings");
  if (u.oom) {
    ecai__buf_free(&u);
    return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  }
  r->url = ecai__buf_take(&u, NULL);
  r->timeout_ms = ecai__cfg_int(ctx, "embedder.timeout_ms", 30000);
  r->batch = ecai__cfg_int(ctx, "embedder.batch_size", 64);
  r->retries = ecai__cfg_int(ctx, "embedder.max_retries", 2);
  r->max_reply = ecai__cfg_int(ctx, "embedder.max_reply_bytes", 64 << 20);
  r->verify_tls = ecai__cfg_bool(ctx, "embedder.verify_tls", true);
  if (r->batch < 1 || r->batch > 4096 || r->timeout_ms < 1 || r->retries < 0 || r->retries > 10)
    return ecai__err(ECAI_EINVAL, "embedder: batch_size 1..4096, timeout_ms >= 1, max_retries 0..10");
  if (r->max_reply < 1) return ecai__err(ECAI_EINVAL, "config: 'embedder.max_reply_bytes' must be >= 1");
  const char *ca = ecai__cfg_str(ctx, "embedder.ca_file", NULL);
  if (ca) {
    if (access(ca, R_OK) != 0)
      return ecai__err(ECAI_EINVAL, "config: 'embedder.ca_file' %.300s is not a readable file", ca);
    if (!(r->ca_file = ecai__strdup(ca))) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  }
  if (!r->verify_tls)
    ecai__log(ctx, ECAI_LOG_WARN,
              "embedder: TLS certificate verification is OFF (embedder.verify_tls=false): %.300s is not "
              "authenticated", r->url);
  r->curl = curl_easy_init();
  if (!r->curl) return ecai__err(ECAI_ENOMEM, "embedder: cannot create a curl handle");
  r->hdr = curl_slist_append(NULL, "Content-Type: application/json");
  const char *key = ecai__ctx_api_key(ctx, "embedder");
  if (key && r->hdr) {
    ecai__buf h = {0};
    ecai__buf_printf(&h, "Authorization: Bearer %s", key);
    struct curl_slist *n = h.oom ? NULL : curl_slist_append(r->hdr, h.data);
    ecai__buf_free(&h);
    if (!n) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
    r->hdr = n;
  }
  if (!r->hdr) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  return ECAI_OK;
}

void ecai__remote_free(ecai_embedder *e) {
  ecai__remote *r = e->remote;
  if (!r) return;
  if (r->curl) curl_easy_cleanup(r->curl);
  curl_slist_free_all(r->hdr);
  ecai__free(r->url);
  ecai__free(r->ca_file);
  pthread_mutex_destroy(&r->mu);
  ecai__free(r);
  e->remote = NULL;
}

/* One reply being received: the body, bounded by max_reply. */
typedef struct hdrs {
  double retry_after;
  ecai__buf body;
  size_t max_reply;
  int too_big;
} hdrs;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud) {
  hdrs *h = ud;
  size_t n = sz * nm;
  if (n > h->max_reply - h->body.len) { /* body.len <= max_reply always holds */
    h->too_big = 1;
    return 0;
  }
  return ecai__buf_append(&h->body, p, n) ? n : 0;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud) {
  hdrs *h = ud;
  size_t n = sz * nm;
  if (n > 5 && strncmp(p, "HTTP/", 5) == 0) h->retry_after = -1; /* a new response (after 100, redirects) */
  if (n > 15 && strncasecmp(p, "content-length:", 15) == 0) {
    unsigned long long cl = strtoull(p + 15, NULL, 10);
    if (cl > (unsigned long long)h->max_reply) { /* refused before a byte of it is read */
      h->too_big = 1;
      return 0;
    }
  }
  if (n > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
    char tmp[32];
    size_t k = n - 12 < sizeof tmp - 1 ? n - 12 : sizeof tmp - 1;
    memcpy(tmp, p + 12, k);
    tmp[k] = 0;
    double v = strtod(tmp, NULL);
    if (v >= 0 && v < 3600) h->retry_after = v;
  }
  return n;
}

static void sleep_ms(double ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000.0) * 1e6)};
  nanosleep(&ts, NULL);
}

/* Parses one response into out rows [first, first + n); sets e->dim if it was unknown
 * (out NULL: probing the dimension only). Also the fuzz target's entry point. */
ecai_status ecai__remote_parse_reply(ecai_embedder *e, const char *body, size_t len, float *out, size_t n, size_t first) {
  json_t *doc = NULL;
  ecai_status st = ecai__json_parse(&doc, body, len, "embeddings reply");
  if (st) return st;
  json_t *data = json_object_get(doc, "data");
  if (!json_is_array(data) || json_array_size(data) != n) {
    size_t got = json_is_array(data) ? json_array_size(data) : 0; /* data belongs to doc */
    json_decref(doc);
    return ecai__err(ECAI_EPARSE, "embedder: reply has %zu embeddings for %zu inputs", got, n);
  }
  char *seen = ecai__calloc(n, 1);
  if (!seen) {
    json_decref(doc);
    return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  }
  size_t i;
  json_t *item;
  json_array_foreach(data, i, item) {
    json_t *ix = json_object_get(item, "index"), *emb = json_object_get(item, "embedding");
    size_t at = json_is_integer(ix) ? (size_t)json_integer_value(ix) : i;
    if (!json_is_array(emb) || at >= n || seen[at] || (json_is_integer(ix) && json_integer_value(ix) < 0)) {
      st = ecai__err(ECAI_EPARSE, "embedder: reply item %zu has no valid index/embedding", i);
      break;
    }
    size_t d = json_array_size(emb);
    if (e->dim == 0 && d > 0 && d <= 65536) e->dim = d;
    if (d != e->dim) {
      st = ecai__err(ECAI_EPARSE, "embedder: reply embedding has %zu dimensions, expected %zu", d, e->dim);
      break;
    }
    if (!out) { /* probing the dimension only */
      seen[at] = 1;
      continue;
    }
    float *v = out + (first + at) * e->dim;
    double s = 0;
    for (size_t k = 0; k < d; k++) {
      json_t *x = json_array_get(emb, k);
      double val = json_number_value(x);
      if (!json_is_number(x) || !isfinite(val) || fabs(val) > FLT_MAX) { /* beyond float: Inf once stored */
        st = ecai__err(ECAI_EPARSE, "embedder: reply embedding %zu has a non-finite or out-of-range component %zu",
                       at, k);
        break;
      }
      v[k] = (float)val;
      s += val * val;
    }
    if (st) break;
    if (s > 0)
      for (size_t k = 0; k < d; k++) v[k] = (float)(v[k] / sqrt(s));
    seen[at] = 1;
  }
  ecai__free(seen);
  json_decref(doc);
  return st;
}

/* One HTTP exchange with retries. Caller holds r->mu. */
static ecai_status post(ecai_embedder *e, const char *req, size_t req_len, float *out, size_t n, size_t first) {
  ecai__remote *r = e->remote;
  ecai_status st = ECAI_OK;
  for (int64_t attempt = 0;; attempt++) {
    hdrs h = {-1, {0}, (size_t)r->max_reply, 0};
    CURL *c = r->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(r->timeout_ms < 5000 ? r->timeout_ms : 5000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, r->verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, r->verify_tls ? 2L : 0L);
    if (r->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    int retry = 0;
    ecai__buf body = h.body;
    if (h.too_big) {
      st = ecai__err(ECAI_EHTTP, "embedder: reply from %s is larger than max_reply_bytes (%lld)", r->url,
                     (long long)r->max_reply);
    } else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) {
      st = ecai__err(ECAI_EHTTP,
                     "embedder: TLS certificate verification failed for %s: %s (trust its CA with "
                     "embedder.ca_file; embedder.verify_tls=false turns verification off)",
                     r->url, curl_easy_strerror(cc));
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
      st = ecai__err(ECAI_ETIMEOUT, "embedder: %s timed out after %lld ms", r->url, (long long)r->timeout_ms);
    } else if (cc != CURLE_OK) {
      st = ecai__err(body.oom ? ECAI_ENOMEM : ECAI_EHTTP, "embedder: %s: %s", r->url, curl_easy_strerror(cc));
      retry = cc == CURLE_COULDNT_CONNECT || cc == CURLE_GOT_NOTHING || cc == CURLE_SEND_ERROR ||
              cc == CURLE_RECV_ERROR;
    } else if (code == 200) {
      st = body.oom ? ecai__err(ECAI_ENOMEM, "embedder: out of memory")
                    : ecai__remote_parse_reply(e, body.data ? body.data : "", body.len, out, n, first);
    } else {
      char snip[201];
      size_t k = body.len < 200 ? body.len : 200;
      if (k) memcpy(snip, body.data, k);
      snip[k] = 0;
      for (size_t j = 0; j < k; j++)
        if ((unsigned char)snip[j] < 0x20) snip[j] = ' ';
      st = ecai__err(ECAI_EHTTP, "embedder: %s answered HTTP %ld: %s", r->url, code, snip);
      retry = code == 429 || code >= 500;
    }
    ecai__buf_free(&body);
    if (!retry || attempt >= r->retries) break;
    double wait = h.retry_after >= 0 ? h.retry_after * 1000.0 : 100.0 * (double)(1 << attempt);
    if (wait > 10000) wait = 10000;
    ecai__log(e->ctx, ECAI_LOG_WARN, "embedder: retry %lld after %.0f ms: %s", (long long)attempt + 1, wait,
              ecai_last_error());
    sleep_ms(wait);
  }
  return st;
}

/* Sends texts in batches of r->batch; rows of out follow the texts. */
static ecai_status remote_send(ecai_embedder *e, float *out, const char *const *texts, const size_t *lens,
                               size_t n) {
  ecai__remote *r = e->remote;
  ecai_status st = ECAI_OK;
  pthread_mutex_lock(&r->mu);
  for (size_t b = 0; b < n && st == ECAI_OK; b += (size_t)r->batch) {
    size_t m = n - b < (size_t)r->batch ? n - b : (size_t)r->batch;
    json_t *req = json_object(), *in = json_array();
    int bad = !req || !in || json_object_set_new(req, "model", json_string(e->model)) ||
              json_object_set(req, "input", in);
    for (size_t i = 0; i < m && !bad; i++)
      bad = json_array_append_new(in, json_stringn(texts[b + i], lens ? lens[b + i] : strlen(texts[b + i])));
    char *s = bad ? NULL : json_dumps(req, JSON_COMPACT);
    json_decref(in);
    json_decref(req);
    if (!s) {
      st = ecai__err(ECAI_ENOMEM, "embedder: out of memory");
      break;
    }
    st = post(e, s, strlen(s), out, m, b);
    free(s);
  }
  pthread_mutex_unlock(&r->mu);
  return st;
}

/* Cache key of one text: XXH3-128 of the canonical {"dim","model","text"}. */
static ecai_status text_key(uint8_t *k, const ecai_embedder *e, const char *t, size_t n) {
  json_t *j = json_pack("{s:s?,s:I,s:s%}", "model", e->model, "dim", (json_int_t)e->dim, "text", t, n);
  char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(j);
  if (!s) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  ecai_status st = ecai_cache_key_from_bytes(k, s, strlen(s));
  free(s); /* jansson's allocator */
  return st;
}

/* Serves what the attached cache has, sends only the misses, stores their vectors. */
static ecai_status cached_embed(ecai_embedder *e, float *out, const char *const *texts, const size_t *lens,
                                size_t n) {
  size_t dim = e->dim, nm = 0;
  size_t *miss = ecai__malloc(n * sizeof *miss);
  uint8_t *keys = ecai__malloc(n * ECAI_CACHE_KEY_SIZE);
  const char **mt = ecai__malloc(n * sizeof *mt);
  size_t *ml = ecai__malloc(n * sizeof *ml);
  float *mv = NULL;
  ecai_status st = ECAI_OK;
  if (!miss || !keys || !mt || !ml) {
    st = ecai__err(ECAI_ENOMEM, "embedder: out of memory");
    goto done;
  }
  for (size_t i = 0; i < n && !st; i++) {
    size_t len = lens ? lens[i] : strlen(texts[i]);
    uint8_t *k = keys + i * ECAI_CACHE_KEY_SIZE;
    if ((st = text_key(k, e, texts[i], len))) break;
    void *v = NULL;
    size_t vl = 0;
    if (ecai_cache_get(&v, &vl, e->cache, k) == ECAI_OK && vl == dim * sizeof(float)) {
      memcpy(out + i * dim, v, vl);
    } else {
      miss[nm] = i;
      mt[nm] = texts[i];
      ml[nm++] = len;
    }
    ecai_free(v);
  }
  if (st || nm == 0) goto done;
  if (!(mv = ecai__malloc(nm * dim * sizeof *mv))) {
    st = ecai__err(ECAI_ENOMEM, "embedder: out of memory");
    goto done;
  }
  if ((st = remote_send(e, mv, mt, ml, nm))) goto done;
  for (size_t j = 0; j < nm; j++) {
    memcpy(out + miss[j] * dim, mv + j * dim, dim * sizeof(float));
    /* a failed put only costs a later request */
    (void)ecai_cache_put(e->cache, keys + miss[j] * ECAI_CACHE_KEY_SIZE, mv + j * dim, dim * sizeof(float), 0, NULL);
  }
done:
  ecai__free(miss);
  ecai__free(keys);
  ecai__free((void *)mt);
  ecai__free(ml);
  ecai__free(mv);
  return st;
}

ecai_status ecai__remote_embed(ecai_embedder *e, float *out, const char *const *texts, const size_t *lens,
                               size_t n) {
  if (!e->remote) return ecai__err(ECAI_ESTATE, "embedder: remote embedder not initialised");
  for (size_t i = 0; i < n; i++) {
    size_t bad;
    if (!texts[i]) return ecai__err(ECAI_EINVAL, "embedder: text %zu is NULL", i);
    if (!ecai__utf8_valid(texts[i], lens ? lens[i] : strlen(texts[i]), &bad))
      return ecai__err(ECAI_EPARSE, "embedder: text %zu: invalid UTF-8 at byte %zu", i, bad);
  }
  return e->cache ? cached_embed(e, out, texts, lens, n) : remote_send(e, out, texts, lens, n);
}

ecai_status ecai__remote_probe_dim(ecai_embedder *e, const char *text, size_t len) {
  ecai__remote *r = e->remote;
  if (!r) return ecai__err(ECAI_ESTATE, "embedder: remote embedder not initialised");
  json_t *req = json_pack("{s:s,s:[s%]}", "model", e->model, "input", text, len);
  char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
  json_decref(req);
  if (!s) return ecai__err(ECAI_ENOMEM, "embedder: out of memory");
  pthread_mutex_lock(&r->mu);
  ecai_status st = post(e, s, strlen(s), NULL, 1, 0);
  pthread_mutex_unlock(&r->mu);
  free(s);
  return st;
}
