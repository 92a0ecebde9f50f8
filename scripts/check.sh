#!/usr/bin/env bash
# Runs every test suite of the project and ends with one line "N passed, N failed, N skipped".
# A case is skipped only when the outside evaluation data ($ECAI_DATA or ../shared/data) is
# absent, and says where it looked; a missing server that the project installs (Redis,
# php-fpm) is a failure, never a skip.
#   scripts/check.sh [suite ...]     suites: c api cli fuzz python php fpm install examples
# Called by `make check` after the build. Logs go to $BUILD/check/<suite>.log.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
logs=$BUILD/check
mkdir -p "$logs"
export ECAI_ROOT=$top
total_pass=0
total_fail=0
total_skip=0

# record SUITE PASSED FAILED [SKIPPED]
record() {
  printf '%-10s %4d passed, %d failed, %d skipped\n' "$1" "$2" "$3" "${4:-0}"
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
  total_skip=$((total_skip + ${4:-0}))
}

# counts_from LOG: "PASSED FAILED SKIPPED" from the last "N passed, N failed[, N skipped]" line
counts_from() {
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
  if [ -z "$line" ]; then echo "0 1 0"; return; fi
  echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/' |
    awk '{print $1, $2, ($3 == "" ? 0 : $3)}'
}

# show_skips LOG: the lines that say why something was skipped
show_skips() { grep -E '^ *skip' "$1" | head -n 20 | sed 's/^ */  ~ /'; }

show_failures() { # LOG
  grep -E '^(FAIL|not ok)|^    ' "$1" | head -n 40 | sed 's/^/  | /'
}

suite_c() {
  local log=$logs/c.log
  "$BUILD/tests/unit" >"$log" 2>&1
  local rc=$?
  read -r p f k < <(counts_from "$log")
  [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
  record c "$p" "$f" "$k"
  [ "$f" -eq 0 ] || show_failures "$log"
  show_skips "$log"
}

suite_sh() { # NAME SCRIPT
  local log=$logs/$1.log
  bash "$2" >"$log" 2>&1
  local rc=$?
  read -r p f k < <(counts_from "$log")
  [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
  record "$1" "$p" "$f" "$k"
  [ "$f" -eq 0 ] || show_failures "$log"
  show_skips "$log"
}

suite_python() {
  local log=$logs/python.log
  ECAI_LIBRARY=$top/lib/libecai.so.0 "$PYTHON" -m pytest -q -rs -p no:cacheprovider bindings/python/tests >"$log" 2>&1
  local rc=$?
  local line p f e k
  line=$(grep -E '(passed|failed|error)' "$log" | tail -n 1)
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
  e=$(echo "$line" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || true)
  k=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || true)
  p=${p:-0}; f=$(( ${f:-0} + ${e:-0} ))
  [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1   # includes pytest's exit 5 (no tests)
  record python "$p" "$f" "${k:-0}"
  grep -E '^SKIPPED' "$log" | head -n 10 | sed 's/^/  ~ /'
  [ "$f" -eq 0 ] || grep -E 'FAILED|ERROR|Error' "$log" | head -n 20 | sed 's/^/  | /'
}

# The .phpt tests run with opcache on and its shared memory read-only (as under php-fpm,
# where literal arrays are shared by all workers): a write into it crashes the test.
suite_php() {
  local log=$logs/php.log ext=$BUILD/php/ext
  rm -rf "$ext" && mkdir -p "$BUILD/php" && cp -r bindings/php "$ext"
  if ! ( cd "$ext" && phpize && ./configure --with-ecai="$top" && make ) >"$log" 2>&1; then
    record php 0 1
    tail -n 20 "$log" | sed 's/^/  | /'
    return
  fi
  ( cd "$ext" && LD_LIBRARY_PATH=$top/lib NO_INTERACTION=1 REPORT_EXIT_STATUS=1 \
      php run-tests.php -q -d extension="$PWD/modules/ecai.so" \
      -d opcache.enable_cli=1 -d opcache.protect_memory=1 --show-diff tests ) >>"$log" 2>&1
  local rc=$?
  local p f k
  p=$(grep -E '^Tests passed' "$log" | tail -n1 | awk -F: '{print $2}' | awk '{print $1}')
  f=$(grep -E '^Tests (failed|borked)' "$log" | awk -F: '{s+=$2} END {print s+0}')
  k=$(grep -E '^Tests skipped' "$log" | tail -n1 | awk -F: '{print $2}' | awk '{print $1}')
  p=${p:-0}; f=${f:-0}
  [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
  record php "$p" "$f" "${k:-0}"
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -oE 'SKIP .*' | grep -v '^SKIP *Tests' | head -n 10 | sed 's/^/  ~ /'
  [ "$f" -eq 0 ] || grep -E 'FAIL|^[0-9]+[+-] ' "$log" | head -n 30 | sed 's/^/  | /'
}

suite_fuzz() { # replay every fuzz corpus through the gcc standalone driver
  local log=$logs/fuzz.log p=0 f=0
  : >"$log"
  for src in tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    local n; n=$(basename "$src" .c)
    if make -s "$BUILD/fuzz/replay_$n" >>"$log" 2>&1 && "$BUILD/fuzz/replay_$n" "tests/fuzz/corpus/${n#fuzz_}" >>"$log" 2>&1
    then p=$((p+1)); else f=$((f+1)); echo "FAIL $n" >>"$log"; fi
  done
  record fuzz "$p" "$f"
  [ "$f" -eq 0 ] || show_failures "$log"
}

suite_install() { suite_sh install tests/tools/test-install.sh; }
suite_api() { suite_sh api tests/tools/api-hygiene.sh; }
suite_cli() { suite_sh cli tests/cli/run.sh; }
suite_fpm() { suite_sh fpm tests/php-fpm/run.sh; } # the PHP extension under nginx + php-fpm

suite_examples() {
  local log=$logs/examples.log p=0 f=0
  : >"$log"
  for ex in bin/*; do
    case "$(basename "$ex")" in ecai|hello) continue;; esac
    if timeout 300 "$ex" >>"$log" 2>&1; then p=$((p+1)); else f=$((f+1)); echo "FAIL $ex" >>"$log"; fi
  done
  record examples "$p" "$f"
  [ "$f" -eq 0 ] || show_failures "$log"
}

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(c api cli fuzz python php fpm install examples)
for s in "${suites[@]}"; do
  case "$s" in
    c|api|cli|fuzz|python|php|fpm|install|examples) "suite_$s" ;;
    headertest) suite_api ;;
    *) echo "check.sh: unknown suite '$s'" >&2; exit 2 ;;
  esac
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
