#!/usr/bin/env bash
# Installs a language binding for applications (called by `make install-python`,
# `make install-php`, `make uninstall-python`, `make uninstall-php`; README "Use from Python",
# "Use from PHP"). The library itself is installed by `make install` into LIBDIR first.
#
#   scripts/install-bindings.sh python|php|uninstall-python|uninstall-php
#
# Environment (the Makefile passes them):
#   PREFIX LIBDIR DESTDIR BUILD  as for `make install`
#   PYTHON        the interpreter to install for (default /usr/bin/python3)
#   PYTHON_SITE   where the ecai package goes (default: that interpreter's site directory
#                 for PREFIX: /usr/local/lib/python3.X/dist-packages on Debian for /usr/local,
#                 PREFIX/lib/python3.X/site-packages for any other prefix)
#   PHP_CONFIG    php-config of the PHP to build for (default php-config); PHPIZE likewise
#   PHP_EXTDIR    where ecai.so goes (default: `php-config --extension-dir`)
#   PHP_ETC       Debian's per-version PHP folder (default /etc/php/X.Y): ecai.ini goes into
#                 PHP_ETC/mods-available and is enabled, as phpenmod does, by a link
#                 20-ecai.ini in every PHP_ETC/<sapi>/conf.d (cli, fpm, apache2...), so
#                 phpquery/phpdismod treat it like any packaged module
#   PHP_INI_DIR   without that Debian folder: the scan folder ecai.ini goes into
#                 (default: `php-config --ini-dir`)
# DESTDIR is prepended to every destination, never to the paths recorded in the files.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PREFIX=${PREFIX:-/usr/local}
# the extension's php.ini settings, with their defaults (README "PHP-FPM: persistent stores")
ini_doc='; keep opened stores, searches, recommenders and KBs across requests in each worker
;ecai.persistent = On
; at most this many kept per worker (least recently used first out; -1: no limit)
;ecai.max_persistent = 8
'
LIBDIR=${LIBDIR:-$PREFIX/lib}
DESTDIR=${DESTDIR:-}
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
PHP_CONFIG=${PHP_CONFIG:-php-config}
PHPIZE=${PHPIZE:-phpize}
say() { printf 'install-bindings: %s\n' "$*"; }

python_site() {
  [ -n "${PYTHON_SITE:-}" ] && { echo "$PYTHON_SITE"; return; }
  "$PYTHON" - "$PREFIX" <<'EOF'
import sys, sysconfig
prefix = sys.argv[1].rstrip("/") or "/"
site = sysconfig.get_path("purelib")          # Debian: /usr/local/lib/python3.X/dist-packages
if not site.startswith(prefix + "/"):
    site = sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix, "platbase": prefix})
print(site)
EOF
}

install_python() {
  local site dest
  site=$(python_site)
  dest=$DESTDIR$site/ecai
  rm -rf "$dest" && install -d "$dest"
  install -m 644 bindings/python/ecai/*.py "$dest/"
  # the library this package loads first (bindings/python/ecai/_lib.py), so no LD_LIBRARY_PATH
  printf '"""Written by make install-python."""\nLIBRARY = %s\n' \
    "$("$PYTHON" -c 'import sys; print(repr(sys.argv[1]))' "$LIBDIR/libecai.so.0")" >"$dest/_installed.py"
  "$PYTHON" -m compileall -q -d "$site/ecai" "$dest" >/dev/null
  say "python: ecai -> $dest (loads $LIBDIR/libecai.so.0)"
  case ":$("$PYTHON" -c 'import sys; print(":".join(sys.path))'):" in
    *":$site:"*) ;;
    *) say "python: $site is not on $PYTHON's sys.path: add it to PYTHONPATH" ;;
  esac
}

uninstall_python() {
  local site; site=$(python_site)
  rm -rf "$DESTDIR$site/ecai"
}

php_version() { "$PHP_CONFIG" --version | cut -d. -f1,2; }

install_php() {
  local ext=$BUILD/php/install extdir etc ini scan linked=0 d
  extdir=${PHP_EXTDIR:-$("$PHP_CONFIG" --extension-dir)}
  etc=${PHP_ETC:-/etc/php/$(php_version)}
  # build against this tree's headers and library (the same files `make install` copies),
  # with the installed LIBDIR as the run-time path: no LD_LIBRARY_PATH or ldconfig needed
  rm -rf "$ext" && mkdir -p "$(dirname "$ext")" && cp -r bindings/php "$ext"
  if ! ( cd "$ext" && "$PHPIZE" && ./configure --with-php-config="$(command -v "$PHP_CONFIG")" --with-ecai="$top" &&
         make ECAI_SHARED_LIBADD="-L$top/lib -Wl,-rpath,$LIBDIR -lecai" ) >"$ext.log" 2>&1; then
    tail -n 20 "$ext.log"; say "php: build failed (log: $ext.log)"; exit 1
  fi
  install -d "$DESTDIR$extdir"
  install -m 755 "$ext/modules/ecai.so" "$DESTDIR$extdir/ecai.so"
  say "php: ecai.so -> $DESTDIR$extdir"
  if [ -d "$etc/mods-available" ] || [ -d "$DESTDIR$etc/mods-available" ]; then  # Debian layout
    install -d "$DESTDIR$etc/mods-available"
    ini=$DESTDIR$etc/mods-available/ecai.ini
    printf '; libecai (installed by make install-php)\n; priority=20\nextension=ecai\n%s' "$ini_doc" >"$ini.tmp"
    mv "$ini.tmp" "$ini"
    say "php: $ini"
    for d in "$DESTDIR$etc"/*/conf.d; do
      [ -d "$d" ] || continue
      ln -sf "$etc/mods-available/ecai.ini" "$d/20-ecai.ini"   # the link phpenmod makes
      say "php: enabled for $(basename "$(dirname "$d")") ($d/20-ecai.ini)"
      linked=1
    done
    [ $linked -eq 1 ] || say "php: no SAPI folder under $DESTDIR$etc: run phpenmod ecai once PHP is set up"
  else
    scan=${PHP_INI_DIR:-$("$PHP_CONFIG" --ini-dir)}
    if [ -z "$scan" ]; then
      say "php: PHP has no configuration scan folder: add 'extension=ecai' to php.ini"
      return
    fi
    install -d "$DESTDIR$scan"
    printf '; libecai (installed by make install-php)\nextension=ecai\n%s' "$ini_doc" >"$DESTDIR$scan/20-ecai.ini"
    say "php: $DESTDIR$scan/20-ecai.ini (SAPIs with another scan folder need the same file)"
  fi
}

uninstall_php() {
  local extdir etc d
  extdir=${PHP_EXTDIR:-$("$PHP_CONFIG" --extension-dir)}
  etc=${PHP_ETC:-/etc/php/$(php_version)}
  rm -f "$DESTDIR$extdir/ecai.so"
  if [ -d "$DESTDIR$etc/mods-available" ]; then
    rm -f "$DESTDIR$etc/mods-available/ecai.ini"
    for d in "$DESTDIR$etc"/*/conf.d; do rm -f "$d/20-ecai.ini"; done
  else
    d=${PHP_INI_DIR:-$("$PHP_CONFIG" --ini-dir)}
    [ -n "$d" ] && rm -f "$DESTDIR$d/20-ecai.ini"
  fi
}

case "${1:-}" in
  python) install_python ;;
  php) install_php ;;
  uninstall-python) uninstall_python ;;
  uninstall-php) uninstall_php ;;
  *) echo "usage: $0 python|php|uninstall-python|uninstall-php" >&2; exit 2 ;;
esac
