/* Compiled as C99 -pedantic -Werror and as C++11 by tests/tools/api-hygiene.sh. */
#include <ecai.h>

int main(void) {
  ecai_status s = ECAI_OK;
  return (int)s + (ecai_version_number() == ECAI_VERSION_NUMBER ? 0 : 1);
}
