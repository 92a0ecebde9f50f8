/*
 * bench_llm: the LLM client against the fake server on loopback.
 *   1. library overhead per call: request building + reply parsing, in-process (no I/O);
 *      and client-side time per call over HTTP minus the server's own handler time (/stats).
 *      Peer: Python http.client with a keep-alive connection doing the same calls, same run.
 *   2. 200 sequential calls: connections opened (server /stats).
 *   3. concurrent batch vs sequential calls at 20 ms simulated latency, 16 in flight.
 * Run: make bench (or build/bench/bench_llm with ECAI_ROOT set).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "llm/llm_internal.h"

static pid_t srv;
static char url[64];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *root(void) {
  const char *r = getenv("ECAI_ROOT");
  return r ? r : ".";
}

static int start_server(void) {
  char script[1024];
  snprintf(script, sizeof script, "%s/tests/fakellm/server.py", root());
  int in[2], out[2];
  if (pipe(in) || pipe(out)) return -1;
  srv = fork();
  if (srv == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execlp("python3", "python3", script, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  char line[64] = "";
  size_t n = 0;
  while (n < sizeof line - 1) {
    struct pollfd p = {out[0], POLLIN, 0};
    if (poll(&p, 1, 15000) <= 0 || read(out[0], line + n, 1) != 1 || line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
  int port = 0;
  if (sscanf(line, "PORT %d", &port) != 1) return -1;
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  return 0;
}

static size_t sink(char *d, size_t s, size_t n, void *ud) {
  strncat((char *)ud, d, (s * n < 4000) ? s * n : 4000);
  return s * n;
}

static json_t *stats(void) {
  static char buf[8192];
  char u[128];
  buf[0] = '\0';
  snprintf(u, sizeof u, "%s/stats", url);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, u);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)buf);
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  return json_loads(buf, 0, NULL);
}

/* One GET /stats (which is itself one new connection): connections and server handler ms. */
static void stat2(double *conns, double *server_ms) {
  json_t *j = stats();
  *conns = json_number_value(json_object_get(j, "connections"));
  *server_ms = json_number_value(json_object_get(j, "server_ms"));
  json_decref(j);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static const char *WORDS = "the quick brown fox jumps over the lazy dog while the shop assistant explains ";

int main(void) {
  if (start_server()) {
    fprintf(stderr, "bench_llm: cannot start the fake server\n");
    return 1;
  }
  char cfg[512];
  snprintf(cfg, sizeof cfg,
           "{\"llm\":{\"provider\":\"openai\",\"base_url\":\"%s\",\"model\":\"m\",\"timeout_ms\":10000,"
           "\"batch_concurrency\":16,\"max_retries\":0}}",
           url);
  ecai_ctx *ctx = NULL;
  ecai_llm *llm = NULL;
  if (ecai_ctx_new(&ctx, cfg, strlen(cfg)) || ecai_llm_new(&llm, ctx)) {
    fprintf(stderr, "bench_llm: %s\n", ecai_last_error());
    return 1;
  }
  /* a realistic prompt: system + ~200-word user message; reply ~100 words */
  char user[4096] = "";
  for (int i = 0; i < 15; i++) strcat(user, WORDS);
  ecai_prompt *p = NULL;
  ecai_prompt_new(&p);
  ecai_prompt_add(p, ECAI_LLM_SYSTEM, "You are a helpful shop assistant.", 33);
  ecai_prompt_add(p, ECAI_LLM_USER, user, strlen(user));

  /* 1a. in-process: build + parse */
  char *reply_body = NULL;
  {
    json_t *r = json_pack("{s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:i,s:i}}", "id", "x", "choices", "index", 0,
                          "message", "role", "assistant", "content", user, "finish_reason", "stop", "usage",
                          "prompt_tokens", 200, "completion_tokens", 200);
    reply_body = json_dumps(r, JSON_COMPACT);
    json_decref(r);
  }
  enum { ROUNDS = 5 };
  double inproc[ROUNDS];
  int iters = 4000;
  for (int rd = 0; rd < ROUNDS; rd++) {
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
      char *req = NULL;
      size_t rl = 0;
      ecai__llm_build(&req, &rl, ECAI__PROV_OPENAI, "m", 512, 0.0, false, false, p, NULL);
      ecai__parsed pr;
      memset(&pr, 0, sizeof pr);
      ecai__llm_parse(&pr, ECAI__PROV_OPENAI, reply_body, strlen(reply_body));
      ecai__buf_free(&pr.text);
      ecai_free(req);
    }
    inproc[rd] = (now_s() - t0) / iters * 1e6;
  }

  /* 1b + 2 + peer 1. 200 sequential libecai calls in 5 rounds of 40, interleaved with rounds of
   * the same request through a raw libcurl easy handle (keep-alive, no JSON work); medians. */
  ecai_llm_reply *r = NULL;
  ecai_llm_chat(&r, llm, p); /* warm the connection */
  ecai_llm_reply_free(r);
  char *rq = NULL;
  size_t rql = 0;
  ecai__llm_build(&rq, &rql, ECAI__PROV_OPENAI, "m", 512, 0.0, false, false, p, NULL);
  char u[128];
  snprintf(u, sizeof u, "%s/v1/chat/completions", url);
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  static char rbuf[8192];
  curl_easy_setopt(c, CURLOPT_URL, u);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)rql);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)rbuf);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  rbuf[0] = '\0';
  curl_easy_perform(c);
  double conns0, srv0, conns1, srv1;
  stat2(&conns0, &srv0);
  int ncalls = 200, per = ncalls / ROUNDS, fails = 0;
  double ecai_r[ROUNDS], raw_r[ROUNDS], seq_total = 0;
  for (int rd = 0; rd < ROUNDS; rd++) {
    double t0 = now_s();
    for (int i = 0; i < per; i++) {
      if (ecai_llm_chat(&r, llm, p)) fails++;
      ecai_llm_reply_free(r);
    }
    double dt = now_s() - t0;
    seq_total += dt;
    ecai_r[rd] = dt / per * 1e6;
    t0 = now_s();
    for (int i = 0; i < per; i++) {
      rbuf[0] = '\0';
      if (curl_easy_perform(c) != CURLE_OK) fails++;
    }
    raw_r[rd] = (now_s() - t0) / per * 1e6;
  }
  stat2(&conns1, &srv1);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  ecai_free(rq);
  qsort(inproc, ROUNDS, sizeof(double), cmp_double);
  qsort(ecai_r, ROUNDS, sizeof(double), cmp_double);
  qsort(raw_r, ROUNDS, sizeof(double), cmp_double);
  double inproc_us = inproc[ROUNDS / 2], per_call_us = ecai_r[ROUNDS / 2], raw_us = raw_r[ROUNDS / 2];
  (void)seq_total;
  /* both clients were connected before conns0; the second /stats request is one more */
  int new_conns = (int)(conns1 - conns0) - 1;
  if (srv1 - srv0 <= 0) fprintf(stderr, "bench_llm: server reported no handler time\n");
  double client_us = per_call_us - (srv1 - srv0) * 1000.0 / (2.0 * ncalls);

  /* peer 2: Python http.client, keep-alive, same request bodies, same server */
  char *req = NULL;
  size_t rl = 0;
  ecai__llm_build(&req, &rl, ECAI__PROV_OPENAI, "m", 512, 0.0, false, false, p, NULL);
  char reqpath[256];
  snprintf(reqpath, sizeof reqpath, "/tmp/bench_llm_req_%d.json", (int)getpid());
  FILE *f = fopen(reqpath, "w");
  fwrite(req, 1, rl, f);
  fclose(f);
  ecai_free(req);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import http.client,json,time,sys\n"
           "b=open(\"%s\",\"rb\").read(); c=http.client.HTTPConnection(\"127.0.0.1\",%s)\n"
           "def one():\n"
           "  c.request(\"POST\",\"/v1/chat/completions\",b,{\"Content-Type\":\"application/json\"}); "
           "r=c.getresponse(); j=json.loads(r.read()); return j[\"choices\"][0][\"message\"][\"content\"]\n"
           "one(); t=time.perf_counter()\n"
           "for i in range(%d): one()\n"
           "print((time.perf_counter()-t)/%d*1e6)'",
           reqpath, strchr(url + 7, ':') + 1, ncalls, ncalls);
  FILE *pp = popen(cmd, "r");
  double peer_us = 0;
  if (pp) {
    if (fscanf(pp, "%lf", &peer_us) != 1) peer_us = 0;
    pclose(pp);
  }
  unlink(reqpath);

  /* 3. batch vs sequential at 20 ms simulated latency */
  ecai_llm_set_str(llm, ECAI_LLM_OPT_HEADER, "X-Fake-Fault: latency:20");
  enum { NB = 64 };
  ecai_prompt *ps[NB];
  ecai_llm_reply *rs[NB];
  ecai_status sts[NB];
  for (int i = 0; i < NB; i++) {
    char m[64];
    snprintf(m, sizeof m, "question %d about lamps", i);
    ecai_prompt_new(&ps[i]);
    ecai_prompt_add(ps[i], ECAI_LLM_USER, m, strlen(m));
  }
  double t0 = now_s();
  for (int i = 0; i < NB; i++) {
    if (ecai_llm_chat(&r, llm, ps[i])) fails++;
    ecai_llm_reply_free(r);
  }
  double t_seq = now_s() - t0;
  t0 = now_s();
  if (ecai_llm_chat_batch(rs, sts, llm, (const ecai_prompt *const *)ps, NB)) fails++;
  double t_batch = now_s() - t0;
  for (int i = 0; i < NB; i++) {
    ecai_llm_reply_free(rs[i]);
    ecai_prompt_free(ps[i]);
  }

  printf("library overhead per call (build 200-word request + parse 200-word reply, in-process): %.1f us "
         "(median of %d rounds; min %.1f)\n", inproc_us, ROUNDS, inproc[0]);
  printf("client + Python HTTP parsing per call over keep-alive (total - mean server handler time): %.1f us "
         "(total %.1f us/call; the fake server's own HTTP parsing is not in its handler time)\n", client_us, per_call_us);
  printf("peer raw libcurl easy handle (no JSON work), same calls, interleaved rounds: %.1f us/call -> libecai "
         "adds %.1f us/call (%.2fx) [medians of %d rounds]\n", raw_us, per_call_us - raw_us, per_call_us / raw_us, ROUNDS);
  if (peer_us > 0)
    printf("peer python http.client keep-alive, same calls: %.1f us/call total -> libecai/python = %.2fx\n", peer_us,
           per_call_us / peer_us);
  printf("%d sequential calls: %d new connection(s) on the server\n", ncalls, new_conns);
  printf("batch of %d at 20 ms latency: sequential %.0f ms, batch (16 in flight) %.0f ms -> speed-up %.1fx\n", NB,
         t_seq * 1e3, t_batch * 1e3, t_seq / t_batch);
  printf("failures: %d\n", fails);

  free(reply_body);
  ecai_prompt_free(p);
  ecai_llm_free(llm);
  ecai_ctx_free(ctx);
  kill(srv, SIGTERM);
  waitpid(srv, NULL, 0);
  return fails ? 1 : 0;
}
