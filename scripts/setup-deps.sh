#!/usr/bin/env bash
# Installs what libecai needs on Debian 12 and builds the FAISS C API.
# Idempotent: leaves build/deps.stamp and build/deps.mk (read by the Makefile); re-running with the stamp present does nothing
# unless --force is given. Called by the Makefile when the stamp is missing.
#
#   scripts/setup-deps.sh [--force]
#
# Environment: ECAI_BUILD (default: build) is where the FAISS C API archive goes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${ECAI_BUILD:-$top/build}
stamp=$build/deps.stamp
force=0
[ "${1:-}" = "--force" ] && force=1

# --fuzz: only the fuzzing toolchain (clang-14 with libFuzzer), for `make fuzz`.
if [ "${1:-}" = "--fuzz" ]; then
  command -v clang-14 >/dev/null 2>&1 && [ -n "$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] && exit 0
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "setup-deps: installing clang-14 libclang-rt-14-dev (for make fuzz)" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
  exit 0
fi

PACKAGES=(
  build-essential pkg-config dpkg-dev
  libcurl4-openssl-dev libjansson-dev libxxhash-dev
  libfaiss-dev libopenblas-dev liblapack-dev libgomp1
  libutf8proc-dev libstemmer-dev libcsv-dev zlib1g-dev
  libhiredis-dev redis-server
  libxgboost-dev
  libcmocka-dev
  php-dev php-cli
  php8.2-fpm nginx-light php8.2-sqlite3 wrk
  python3 python3-pytest python3-pip
  sqlite3 libsqlite3-dev
  scowl openssl
  wordnet-base
  abigail-tools
)

say() { printf 'setup-deps: %s\n' "$*" >&2; }

if [ -f "$stamp" ] && [ -f "$build/deps.mk" ] && [ $force -eq 0 ]; then
  exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    missing=()
    for p in "${PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      say "not root and no password-less sudo; please install as root:"
      say "  apt-get install -y ${missing[*]}"
      exit 1
    fi
  fi
fi

# 1. Debian packages (only what is missing, so a ready machine needs no network).
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The FAISS C API: a system libfaiss_c wins; otherwise build Debian's c_api/ sources.
mkdir -p "$build"
if [ -z "${ECAI_FORCE_FAISS_C_BUILD:-}" ] && \
   { ldconfig -p 2>/dev/null | grep -q 'libfaiss_c\.so' || ls /usr/lib/*/libfaiss_c.a >/dev/null 2>&1; }; then
  say "using the system libfaiss_c"
  echo "system" > "$build/faiss_c.kind"
else
  arch=$build/faiss_c/libfaiss_c.a
  # -DNDEBUG: the C API's catch blocks then only record the error (without it they also
  # print to std::cerr, and libecai never writes to stderr).
  cflags="-O2 -fPIC -std=c++17 -fvisibility=hidden -DNDEBUG"
  if [ ! -f "$arch" ] || [ "$(cat "$build/faiss_c/FLAGS" 2>/dev/null)" != "$cflags" ]; then
    src=$build/faiss-src
    if [ ! -d "$src/c_api" ]; then
      say "fetching Debian's faiss source package (for its c_api/ sources)"
      tmp=$(mktemp -d)
      trap 'rm -rf "$tmp"' EXIT
      # A temporary deb-src list reusing the machine's own Debian mirror and keyring;
      # the system's apt configuration is left untouched.
      uri=$(grep -h -m1 -E '^URIs:.*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true)
      [ -n "$uri" ] || uri=$(grep -h -m1 -E '^deb .*debian/? bookworm' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)
      [ -n "$uri" ] || uri=http://deb.debian.org/debian
      key=/usr/share/keyrings/debian-archive-keyring.gpg
      mkdir -p "$tmp/lists/partial" "$tmp/archives/partial"
      printf 'deb-src [signed-by=%s] %s bookworm main\n' "$key" "$uri" > "$tmp/src.list"
      aopts=(-o "Dir::Etc::SourceList=$tmp/src.list" -o "Dir::Etc::SourceParts=-"
             -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::Archives=$tmp/archives"
             -o "APT::Sandbox::User=root")
      apt-get "${aopts[@]}" update -qq
      ( cd "$tmp" && apt-get "${aopts[@]}" source --download-only -qq faiss >/dev/null )
      orig=$(ls "$tmp"/faiss_*.orig.tar.* | head -n1)
      rm -rf "$src"; mkdir -p "$src"
      tar -xf "$orig" -C "$src" --strip-components=1
      [ -d "$src/c_api" ] || { say "faiss source has no c_api/"; exit 1; }
    fi
    say "building the FAISS C API (static, PIC)"
    obj=$build/faiss_c/obj
    mkdir -p "$obj"
    n=0
    for f in "$src"/c_api/*.cpp "$src"/c_api/impl/*.cpp "$src"/c_api/utils/*.cpp; do
      [ -f "$f" ] || continue
      case "$f" in *gpu*) continue;; esac
      o=$obj/$(echo "${f#$src/c_api/}" | tr '/' '_').o
      g++ $cflags -I"$src" -c "$f" -o "$o" &
      n=$((n+1)); if [ $((n % 2)) -eq 0 ]; then wait; fi
    done
    wait
    rm -f "$arch.tmp"
    ar rcs "$arch.tmp" "$obj"/*.o
    mv "$arch.tmp" "$arch"
    echo "$cflags" > "$build/faiss_c/FLAGS"
    mkdir -p "$build/faiss_c/include"
    rm -rf "$build/faiss_c/include/faiss"; mkdir -p "$build/faiss_c/include/faiss"
    cp -r "$src/c_api" "$build/faiss_c/include/faiss/c_api"
  fi
  echo "built" > "$build/faiss_c.kind"
fi

# Make fragment read by the Makefile (which restarts once it exists).
{
  echo "# generated by scripts/setup-deps.sh on $(date -u +%FT%TZ)"
  if [ "$(cat "$build/faiss_c.kind")" = system ]; then
    echo "FAISS_C_LIB := -lfaiss_c"
    echo "FAISS_C_OBJS :="
  else
    echo "FAISS_C_LIB := $build/faiss_c/libfaiss_c.a"
    echo "FAISS_C_OBJS := $(ls "$build"/faiss_c/obj/*.o | tr '\n' ' ')"
    echo "FAISS_C_INC := -I$build/faiss_c/include"
  fi
} > "$build/deps.mk.tmp"
mv "$build/deps.mk.tmp" "$build/deps.mk"
date -u +%FT%TZ > "$stamp"
say "ready ($(cat "$build/faiss_c.kind") FAISS C API)"
