/* "The library never writes to stderr": failing FAISS calls, bad configuration and
 * corrupt files report through statuses and ecai_last_error() only. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST(failures_write_nothing_to_stderr) {
  char path[512];
  snprintf(path, sizeof path, "%s/stderr.txt", ecai_test_tmpdir());
  fflush(stderr);
  int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(saved >= 0 && fd >= 0);
  dup2(fd, STDERR_FILENO);

  ecai_ctx *ctx = NULL;
  ecai_index *idx = NULL;
  ecai_status st1 = ecai_ctx_new(&ctx, NULL, 0);
  ecai_status st2 = ecai_index_new(&idx, ctx, 16, "NoSuchIndex77");
  ecai_status st3 = ecai_index_new(&idx, ctx, 16, "IVF4096,Flat");
  float v[16] = {1};
  int64_t id = 1;
  ecai_status st4 = idx ? ecai_index_add(idx, &id, v, 1) : ECAI_OK; /* training with 1 point fails */
  ecai_index_free(idx);
  ecai_index *bad = NULL;
  ecai_status st5 = ecai_index_open(&bad, ctx, "/nonexistent/index.bin");
  ecai_ctx *c2 = NULL;
  ecai_status st6 = ecai_ctx_new(&c2, "{\"nope\":1}", 10);
  ecai_ctx_free(ctx);

  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  struct stat sb;
  CHECK(stat(path, &sb) == 0);
  CHECK_OK(st1);
  CHECK(st2 != ECAI_OK);
  CHECK(st3 != ECAI_OK || st4 != ECAI_OK);
  CHECK(st5 != ECAI_OK);
  CHECK(st6 == ECAI_EINVAL);
  CHECK_MSG(sb.st_size == 0, "the library wrote %lld bytes to stderr", (long long)sb.st_size);
}
