#!/usr/bin/env bash
# `make install PREFIX=...` then build examples/hello.c out of tree with pkg-config and run it;
# then tests/abi/every_export.c, built against the INSTALLED header and shared library,
# calls every exported function (LLM paths against tests/fakellm/server.py), and the
# functions it references must be exactly the library's exports. Last, `make install-python`
# and `make install-php` into the same prefix (PHP's folders redirected into the temp dir), each
# used by a small application from a clean environment outside the tree, as the README says.
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
ok "hello runs against the installed library with no LD_LIBRARY_PATH (rpath from ecai.pc)" \
  bash -c "env -u LD_LIBRARY_PATH '$tmp/out/hello' | grep -q 'hello from libecai'"
ok "hello built against the tree with the README's line runs" \
  bash -c "cc examples/hello.c -Iinclude -Llib -Wl,-rpath,\$PWD/lib -lecai -o '$tmp/out/hello-tree' && \
           cd / && env -u LD_LIBRARY_PATH '$tmp/out/hello-tree' | grep -q 'hello from libecai'"
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
# ---- the README's tours (tests/readme/: the README shows these files verbatim) ----------------
ok "README blocks are the files under tests/readme (scripts/readme-snippets.sh)" scripts/readme-snippets.sh --check
tour_checks() { # LABEL OUTPUT
  contains "$1: search finds sofas" "$2" '"title":"White 2-seater loveseat'
  contains "$1: support cites the policy" "$2" 'support: {"question":"How much does express delivery cost?"'
  contains "$1: the cached LLM answer" "$2" 'llm: echo: Docs:'
  contains "$1: a paraphrase hits the semantic cache" "$2" "semantic cache: hit"
  contains "$1: another order number never hits" "$2" "another order number: ECAI_ENOTFOUND"
  contains "$1: the guard catches a changed number" "$2" 'guard: pass=0 {"kind":"output"'
  contains "$1: recommendations leave out the excluded category" "$2" 'recommend: {"items":[{"id":"SKU-0168"'
  contains "$1: A/B assignment" "$2" "experiment: visitor-42 -> treatment"
}
ok "tour.c builds in the tree with the README's line" \
  cc -std=c11 -Wall -Wextra -Werror tests/readme/tour.c -Iinclude -Llib -Wl,-rpath,"$PWD/lib" -lecai -o "$tmp/tour-tree"
tour_checks "tour.c (tree)" "$(env -u LD_LIBRARY_PATH ECAI_LLM_BASE_URL=http://127.0.0.1:$fake_port "$tmp/tour-tree" 2>&1)"
ok "tour.c builds against the installed prefix with pkg-config" \
  bash -c "cc -std=c11 -Wall -Wextra -Werror tests/readme/tour.c \$(pkg-config --cflags --libs ecai) -o '$tmp/tour-prefix'"
tour_checks "tour.c (installed)" "$(env -u LD_LIBRARY_PATH ECAI_LLM_BASE_URL=http://127.0.0.1:$fake_port "$tmp/tour-prefix" 2>&1)"
ok "tour.c (installed) loads the prefix's library" bash -c "ldd '$tmp/tour-prefix' | grep -qF '$tmp/prefix/lib/libecai.so.0'"

# ---- bindings for applications (README "Use from Python", "Use from PHP") ---------------------
app=$tmp/app
mkdir -p "$app" && cp tests/data/search_catalog.jsonl "$app/catalog.jsonl"
clean_env=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$app")
cat >"$app/app.py" <<'EOF'
import ecai
with ecai.Context() as ctx, ecai.Store(ctx) as st:
    st.catalog.load("catalog.jsonl")
    st.build()
    with ecai.Search(st) as s:
        r = s.query("mattres", k=1)
lib = [l.split()[-1] for l in open("/proc/self/maps") if "libecai.so" in l][0]
print("OK", ecai.__file__, lib, r["corrected"]["mattres"], r["hits"][0]["id"][:2])
EOF
ok "make install-python PREFIX=tmp" make -s install-python PREFIX="$tmp/prefix"
site=$(echo "$tmp"/prefix/lib/python3*/site-packages)
ok "the ecai package is in the prefix's site-packages" test -f "$site/ecai/_installed.py"
py_out=$(cd "$app" && "${clean_env[@]}" PYTHONPATH="$site" /usr/bin/python3 app.py 2>&1)
contains "python3 (clean env, PYTHONPATH only) imports the installed ecai, which loads the prefix's library and searches" \
  "$py_out" "OK $site/ecai/__init__.py $tmp/prefix/lib/libecai.so.0.1.0 mattress M-"
pip_src=$tmp/pysrc venv=$tmp/venv
cp -r bindings/python "$pip_src"
ok "pip install --no-build-isolation --no-deps ./bindings/python works offline in a venv" \
  bash -c "/usr/bin/python3 -m venv --system-site-packages --without-pip '$venv' &&
           '$venv/bin/python' -m pip install -q --no-build-isolation --no-deps --no-index '$pip_src'"
py_out=$(cd "$app" && "${clean_env[@]}" ECAI_LIBRARY="$tmp/prefix/lib/libecai.so.0" "$venv/bin/python" app.py 2>&1)
contains "the pip-installed ecai (ECAI_LIBRARY=the prefix's library) searches" "$py_out" \
  "OK $(echo "$venv"/lib/python3*/site-packages)/ecai/__init__.py $tmp/prefix/lib/libecai.so.0.1.0 mattress M-"
py_out=$("${clean_env[@]}" PYTHONPATH="$site" /usr/bin/python3 tests/readme/tour.py 2>&1)
contains "tour.py (clean env, installed package): version and default embedder" "$py_out" "0.1.0 builtin"
contains "tour.py: a misspelt key is InvalidArgument with a suggestion" "$py_out" "-2 config: unknown key 'llm.modle' (did you mean 'llm.model'?)"
contains "tour.py: search finds sofa beds" "$py_out" "('SKU-0019', 'Oak corner sofa bed with storage')"
ok "make uninstall-python removes the package" \
  bash -c "make -s uninstall-python PREFIX='$tmp/prefix' && ! test -e '$site/ecai'"

php=$tmp/php
mkdir -p "$php/etc/mods-available" "$php/etc/cli/conf.d" "$php/etc/fpm/conf.d"
php_vars=(PREFIX="$tmp/prefix" PHP_EXTDIR="$php/ext" PHP_ETC="$php/etc")
cat >"$app/app.php" <<'EOF'
<?php
$st = new Ecai\Store(new Ecai\Context());
$st->load("catalog.jsonl");
$st->build();
$r = (new Ecai\Search($st))->query("mattres", ["k" => 1]);
echo Ecai\version(), " ", $r["corrected"]["mattres"], " ", substr($r["hits"][0]["id"], 0, 2), "\n";
EOF
ok "make install-php PREFIX=tmp (extension and ini folders redirected)" make -s install-php "${php_vars[@]}"
ok "ecai.so finds the prefix's library by its run path" \
  bash -c "readelf -d '$php/ext/ecai.so' | grep -E 'RUNPATH|RPATH' | grep -qF '[$tmp/prefix/lib]'"
ok "ecai.ini (extension=ecai) is enabled for cli and fpm" \
  bash -c "grep -qx 'extension=ecai' '$php/etc/mods-available/ecai.ini' &&
           test \"\$(readlink '$php/etc/cli/conf.d/20-ecai.ini')\" = '$php/etc/mods-available/ecai.ini' &&
           test \"\$(readlink '$php/etc/fpm/conf.d/20-ecai.ini')\" = '$php/etc/mods-available/ecai.ini'"
php_out=$(cd "$app" && "${clean_env[@]}" PHP_INI_SCAN_DIR="$php/etc/cli/conf.d" php -d extension_dir="$php/ext" app.php 2>&1)
contains "php (clean env) loads ecai through the installed cli ini and searches" "$php_out" "0.1.0 mattress M-"
php_out=$("${clean_env[@]}" PHP_INI_SCAN_DIR="$php/etc/cli/conf.d" php -d extension_dir="$php/ext" tests/readme/tour.php 2>&1)
contains "tour.php (clean env, installed ini): version and default embedder" "$php_out" "0.1.0 builtin"
contains "tour.php: a misspelt key throws code -2 with a suggestion" "$php_out" "-2 config: unknown key 'llm.modle' (did you mean 'llm.model'?)"
contains "tour.php: search finds sofa beds" "$php_out" "SKU-0019 Oak corner sofa bed with storage"
expect_exit 0 "without the ini (php -n) ecai is not loaded: the ini is what enables it" \
  "${clean_env[@]}" php -n -d extension_dir="$php/ext" -r 'exit(extension_loaded("ecai") ? 1 : 0);'
fpm=$(command -v "php-fpm$(php-config --version | cut -d. -f1,2)" /usr/sbin/php-fpm* 2>/dev/null | head -n 1)
# php-fpm is installed by scripts/setup-deps.sh: missing is a failure, not a skip
fpm_out=$([ -n "$fpm" ] && "${clean_env[@]}" PHP_INI_SCAN_DIR="$php/etc/fpm/conf.d" "$fpm" -d extension_dir="$php/ext" -m 2>&1)
ok "php-fpm ($fpm) loads ecai through the installed fpm ini" grep -qx ecai <<<"$fpm_out"
ok "make uninstall-php removes the extension and the ini links" \
  bash -c "make -s uninstall-php ${php_vars[*]} && ! test -e '$php/ext/ecai.so' &&
           ! test -e '$php/etc/cli/conf.d/20-ecai.ini' && ! test -e '$php/etc/mods-available/ecai.ini'"
finish
