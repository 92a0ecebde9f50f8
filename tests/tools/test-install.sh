#!/usr/bin/env bash
# `make install PREFIX=...` then build examples/hello.c out of tree with pkg-config and run it.
cd "$(dirname "$0")/../.." || exit 2
. tests/tools/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
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
finish
