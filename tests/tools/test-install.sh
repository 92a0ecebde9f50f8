#!/usr/bin/env bash
# `make install PREFIX=...` then build examples/hello.c out of tree with pkg-config and run it;
# then tests/abi/every_export.c, built against the INSTALLED header and shared library,
# calls every exported function (LLM paths against tests/fakellm/server.py), and the
# functions it references must be exactly the library's exports.
cd "$(dirname "$0")/../.." || exit 2
. tests/tools/lib.sh
tmp=$(mktemp -d)
fake_pid=
cleanup() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ok "make install PREFIX=tmp" make -s install PREFIX="$tmp/prefix"
for f in include/ecai.h include/ecai/common.h lib/libecai.so.0.1.0 lib/libecai.so.0 lib/libecai.so \
         lib/libecai.a lib/pkgconfig/ecai.pc bin/ecai; do
  ok "installed $f" test -e "$tmp/prefix/$f"
done
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
ok "pkg-config knows ecai" pkg-config --exists 'ecai >= 0.1'
mkdir -p "$tmp/out" && cp examples/hello.c "$tmp/out/"
ok "hello.c builds out of tree with pkg-config" \
  bash -c "cd '$tmp/out' && cc hello.c -o hello \$(pkg-config --cflags --libs ecai)"
ok "hello runs against the installed library" \
  bash -c "LD_LIBRARY_PATH='$tmp/prefix/lib' '$tmp/out/hello' | grep -q 'hello from libecai'"
ok "installed ecai runs" bash -c "'$tmp/prefix/bin/ecai' --version | grep -q '^ecai '"

# ---- every export through the installed header -------------------------------------
ee=$tmp/ee
mkdir -p "$ee" && cp tests/abi/every_export.c "$ee/"
ok "every_export.c compiles against the installed header (C99 -pedantic)" \
  bash -c "cd '$ee' && cc -std=c99 -Wall -Wextra -pedantic -Werror -c every_export.c \$(pkg-config --cflags ecai)"
ok "every_export links against the installed shared library" \
  bash -c "cd '$ee' && cc every_export.o -o every_export \$(pkg-config --libs ecai) -lm && \
           readelf -d every_export | grep -q 'NEEDED.*\[libecai.so.0\]'"
# coverage: referenced ecai_* functions (undefined in the object) == exported functions
nm -u "$ee/every_export.o" 2>/dev/null | awk '$2 ~ /^ecai_/ {print $2}' | sort -u >"$ee/referenced"
nm -D --defined-only "$tmp/prefix/lib/libecai.so" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sed 's/@.*//' |
  grep '^ecai_' | sort -u >"$ee/exported"
coverage() {
  local bad=0 f h
  for f in $(comm -13 "$ee/referenced" "$ee/exported"); do
    h=$(grep -lE "^ECAI_API[^(]*[ *]$f\(" include/ecai/*.h | head -n 1)
    echo "$f is exported (declared in ${h:-?}) but tests/abi/every_export.c never calls it:"
    echo "  add a call with a checked result to the cover_ function of $(basename "${h:-?}") (SECTIONS lists them)"
    bad=1
  done
  for f in $(comm -23 "$ee/referenced" "$ee/exported"); do
    echo "$f is called by tests/abi/every_export.c but not exported by libecai.so"; bad=1
  done
  [ "$(wc -l <"$ee/exported")" -gt 0 ] || { echo "no exports found"; bad=1; }
  return $bad
}
ok "every_export.c calls every exported function ($(wc -l <"$ee/exported") exports)" coverage
python3 tests/fakellm/server.py >"$ee/port" 2>/dev/null </dev/null &
fake_pid=$!
for _ in $(seq 1 150); do grep -q '^PORT ' "$ee/port" 2>/dev/null && break; sleep 0.1; done
fake_port=$(awk '/^PORT /{print $2}' "$ee/port")
ok "every_export runs against the installed library: every check passes" \
  bash -c "ECAI_FAKELLM_URL=http://127.0.0.1:$fake_port LD_LIBRARY_PATH='$tmp/prefix/lib' timeout 300 '$ee/every_export'"
finish
