#!/usr/bin/env bash
# API hygiene: public headers compile alone (C99 pedantic, C++11), the shared library
# exports exactly the ECAI_API functions (all ecai_*), every ECAI_API has a doc comment
# with @since, and the soname is right.
cd "$(dirname "$0")/../.." || exit 2
. tests/tools/lib.sh
BUILD=${BUILD:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok "headertest: <ecai.h> as C99 -pedantic -Werror" \
  gcc -std=c99 -Wall -Wextra -pedantic -Werror -Iinclude -fsyntax-only tests/headertest.c
ok "headertest: <ecai.h> as C++11" \
  g++ -std=c++11 -Wall -Wextra -pedantic -Werror -Iinclude -fsyntax-only -x c++ tests/headertest.c
for h in include/ecai/*.h; do
  printf '#include <ecai/%s>\nint main(void){return 0;}\n' "$(basename "$h")" > "$tmp/one.c"
  ok "header compiles on its own: $(basename "$h")" gcc -std=c99 -pedantic -Werror -Iinclude -fsyntax-only "$tmp/one.c"
done

scripts/api-symbols.sh include > "$tmp/api"
awk '{print $1}' "$tmp/api" | sort > "$tmp/declared"
nm -D --defined-only lib/libecai.so > "$tmp/nm"
awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' "$tmp/nm" | sed 's/@.*//' | sort -u > "$tmp/exported"
# the "no X in the list" checks below pass on an empty list: the lists must be there first
ok "exports: nm and api-symbols.sh list the library's functions" \
  bash -c "grep -q ' T ecai_ctx_new@@ECAI_' '$tmp/nm' && grep -q '^ecai_ctx_new ' '$tmp/api'"
ok "exports: every exported symbol is declared ECAI_API (and vice versa)" diff -u "$tmp/declared" "$tmp/exported"
ok "exports: every exported symbol starts with ecai_" bash -c "! grep -v '^ecai_' '$tmp/exported'"
ok "exports: no internal ecai__ helper is exported" bash -c "! grep '^ecai__' '$tmp/exported'"
ok "exports: FAISS, BLAS and C++ symbols stay hidden" bash -c "! grep -E ' (faiss_|_Z|sgemm|cblas_)' '$tmp/nm'"
ok "soname is libecai.so.0" bash -c "readelf -d lib/libecai.so | grep -q 'SONAME.*\[libecai.so.0\]'"
ok "versioned symbols: all in an ECAI_x.y node" \
  bash -c "! awk '\$2 == \"T\"' '$tmp/nm' | grep -v '@@ECAI_[0-9]*\.[0-9]*$'"
ok "docs: every ECAI_API function has @since" bash -c "! awk '\$2 == \"-\"' '$tmp/api' | grep ."
ok "docs: every ECAI_API function is preceded by a doc comment" tests/tools/check-docs.sh include
ok "README configuration reference matches src/core/config_schema.c" scripts/config-doc.sh --check
ok "README command-line table names exactly the options of each 'ecai CMD --help'" scripts/cli-doc.sh bin/ecai
ok "no --help prints a printf escape (%%) literally" bash -c "! for c in \$(bin/ecai --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do bin/ecai \$c --help; done | grep -F '%%'"
ok "abi: no existing function changed or removed vs abi/libecai.so.0.abi" make -s abi-check BUILD="$BUILD"
finish
