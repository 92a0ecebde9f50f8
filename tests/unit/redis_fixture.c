/* The process-wide redis-server fixture (exports ECAI_TEST_REDIS_URL) and helpers for
 * cases that need a server of their own to stop and restart. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "harness.h"
#include "redis_fixture.h"

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &l) < 0) {
    close(s);
    return -1;
  }
  close(s);
  return ntohs(a.sin_port);
}

static int ping(int port) {
  struct timeval tv = {0, 200000};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
  int ok = 0;
  if (c && !c->err) {
    redisReply *r = redisCommand(c, "PING");
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

int ecai_test_redis_spawn(int *port, pid_t *pid) {
  if (*port == 0) *port = free_port();
  if (*port <= 0) return -1;
  char ps[16];
  snprintf(ps, sizeof ps, "%d", *port);
  pid_t parent = getpid();
  pid_t p = fork();
  if (p < 0) return -1;
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int dn = open("/dev/null", O_RDWR);
    if (dn >= 0) {
      dup2(dn, 0);
      dup2(dn, 1);
      dup2(dn, 2);
    }
    execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--daemonize", "no", "--protected-mode", "no", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) { /* readiness poll, up to 5 s */
    if (ping(*port)) {
      *pid = p;
      return 0;
    }
    int ws;
    if (waitpid(p, &ws, WNOHANG) == p) return -1;
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  ecai_test_redis_kill(p);
  return -1;
}

void ecai_test_redis_kill(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

static pid_t fixture_pid;
static char fixture_url[64];

const char *ecai_test_redis_url(void) {
  const char *u = getenv("ECAI_TEST_REDIS_URL");
  return u && *u ? u : NULL;
}

static int redis_start(void) {
  int port = 0;
  if (ecai_test_redis_spawn(&port, &fixture_pid) != 0) return -1;
  snprintf(fixture_url, sizeof fixture_url, "redis://127.0.0.1:%d", port);
  setenv("ECAI_TEST_REDIS_URL", fixture_url, 1);
  return 0;
}

static int redis_stop(void) {
  ecai_test_redis_kill(fixture_pid);
  fixture_pid = 0;
  return 0;
}

FIXTURE(redis, redis_start, redis_stop)
