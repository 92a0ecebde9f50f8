/* The fake LLM server fixture: see fakellm_fixture.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "fakellm_fixture.h"
#include "harness.h"

static pid_t srv_pid = -1;
static int srv_stdin = -1;

static int fakellm_start(void) {
  char script[1024];
  snprintf(script, sizeof script, "%s/tests/fakellm/server.py", ecai_test_root());
  if (access(script, R_OK) != 0) {
    fprintf(stderr, "fakellm: %s not found\n", script);
    return -1;
  }
  int in[2], out[2];
  if (pipe(in) || pipe(out)) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]); close(in[1]); close(out[0]); close(out[1]);
    execlp("python3", "python3", script, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  fcntl(in[1], F_SETFD, FD_CLOEXEC);
  srv_pid = pid;
  srv_stdin = in[1];
  char line[128];
  size_t n = 0;
  while (n < sizeof line - 1) {
    struct pollfd p = {out[0], POLLIN, 0};
    if (poll(&p, 1, 15000) <= 0) break;
    ssize_t k = read(out[0], line + n, 1);
    if (k <= 0) break;
    if (line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
  close(out[0]);
  int port = 0;
  if (sscanf(line, "PORT %d", &port) != 1 || port <= 0) {
    fprintf(stderr, "fakellm: no PORT line (got '%s')\n", line);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    srv_pid = -1;
    return -1;
  }
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  setenv("ECAI_TEST_FAKELLM_URL", url, 1);
  return 0;
}

static int fakellm_stop(void) {
  if (srv_pid > 0) {
    kill(srv_pid, SIGTERM);
    int ws;
    while (waitpid(srv_pid, &ws, 0) < 0 && errno == EINTR) {}
    srv_pid = -1;
  }
  if (srv_stdin >= 0) close(srv_stdin);
  srv_stdin = -1;
  unsetenv("ECAI_TEST_FAKELLM_URL");
  return 0;
}

FIXTURE(fakellm, fakellm_start, fakellm_stop)

const char *ecai_test_fakellm_url(void) {
  const char *u = getenv("ECAI_TEST_FAKELLM_URL");
  return (u && *u) ? u : NULL;
}

const char *ecai_test_fakellm_require(void) {
  const char *u = ecai_test_fakellm_url();
  if (!u) ecai_test_fail(__FILE__, __LINE__, "the fake LLM server is not running (fixture fakellm)");
  return u;
}

typedef struct { char *p; size_t n; } sbuf;
static size_t sink(char *d, size_t s, size_t n, void *ud) {
  sbuf *b = ud;
  char *q = realloc(b->p, b->n + s * n + 1);
  if (!q) return 0;
  memcpy(q + b->n, d, s * n);
  b->n += s * n;
  q[b->n] = '\0';
  b->p = q;
  return s * n;
}

char *ecai_test_fakellm_http(const char *path, int post) {
  const char *u = ecai_test_fakellm_url();
  if (!u) return NULL;
  char url[256];
  snprintf(url, sizeof url, "%s%s", u, path);
  CURL *c = curl_easy_init();
  if (!c) return NULL;
  sbuf b = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (post) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  }
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

void ecai_test_fakellm_reset(void) { free(ecai_test_fakellm_http("/reset", 1)); }

long ecai_test_fakellm_stat(const char *key) {
  char *s = ecai_test_fakellm_http("/stats", 0);
  if (!s) return -1;
  json_t *j = json_loads(s, 0, NULL);
  free(s);
  if (!j) return -1;
  long v = -1;
  const char *dot = strchr(key, '.');
  if (dot) {
    char sec[64];
    snprintf(sec, sizeof sec, "%.*s", (int)(dot - key), key);
    json_t *o = json_object_get(json_object_get(j, sec), dot + 1);
    v = json_is_integer(o) ? (long)json_integer_value(o) : 0;
  } else {
    json_t *o = json_object_get(j, key);
    if (json_is_integer(o)) v = (long)json_integer_value(o);
  }
  json_decref(j);
  return v;
}

static int spawn(int *port, int *pid, const char *cert, const char *key) {
  char script[1024], ps[16];
  snprintf(script, sizeof script, "%s/tests/fakellm/server.py", ecai_test_root());
  snprintf(ps, sizeof ps, "%d", *port);
  int out[2];
  if (pipe(out)) return -1;
  pid_t parent = getpid();
  pid_t p = fork();
  if (p < 0) {
    close(out[0]);
    close(out[1]);
    return -1;
  }
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int dn = open("/dev/null", O_RDONLY); /* not a pipe: the server ignores stdin */
    if (dn >= 0) dup2(dn, 0);
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    if (cert)
      execlp("python3", "python3", script, "--port", ps, "--tls-cert", cert, "--tls-key", key, (char *)NULL);
    else
      execlp("python3", "python3", script, "--port", ps, (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  char line[64];
  size_t n = 0;
  while (n < sizeof line - 1) { /* "PORT n\n" is printed once the socket listens */
    struct pollfd pf = {out[0], POLLIN, 0};
    if (poll(&pf, 1, 15000) <= 0) break;
    if (read(out[0], line + n, 1) <= 0) break;
    if (line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
  close(out[0]);
  int got = 0;
  if (sscanf(line, "PORT %d", &got) != 1 || got <= 0 || (*port && got != *port)) {
    ecai_test_fakellm_kill(p);
    return -1;
  }
  *port = got;
  *pid = (int)p;
  return 0;
}

int ecai_test_fakellm_spawn(int *port, int *pid) { return spawn(port, pid, NULL, NULL); }

int ecai_test_fakellm_spawn_tls(int *port, int *pid, const char *cert_pem, const char *key_pem) {
  return spawn(port, pid, cert_pem, key_pem);
}

void ecai_test_fakellm_kill(int pid) {
  if (pid <= 0) return;
  kill((pid_t)pid, SIGKILL);
  while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR) {}
}
