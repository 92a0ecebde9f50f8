#!/usr/bin/env bash
# valgrind (memcheck) over the C unit tests, in-process (ECAI_TEST_NOFORK=1) so memcheck
# sees the library code of each case. One valgrind run per selection (argument = case
# name substring, as build/tests/unit takes them); no argument = one run per module.
# Fails on any memory error or definite/indirect leak (third-party "possibly lost"
# blocks from libgomp/FAISS/curl globals are reported but do not fail the run).
# Usage: tests/tools/valgrind.sh BUILD/tests/unit [SUBSTRING...]
set -u
bin=${1:?usage: valgrind.sh UNIT_BINARY [SUBSTRING...]}; shift
[ $# -eq 0 ] && set -- ctx_ null_ status_ version last_ log_ utf8 buffer allocator loaders fakellm \
  llm_ cache_ semcache_ recommend_ experiment_ kpi_ stats_ abtest_ pricing_ guard_ concurrent_ crash_ security_ \
  tls_ remote_
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 2; }
logdir=${VALGRIND_LOGDIR:-build/valgrind}; mkdir -p "$logdir"
fail=0
for sel in "$@"; do
  log=$logdir/${sel//[^A-Za-z0-9_]/_}.log
  start=$(date +%s)
  ECAI_TEST_NOFORK=1 ECAI_TEST_SANITIZER=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE \
    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
      --error-exitcode=99 --num-callers=30 -q "$bin" "$sel" >"$log" 2>&1
  rc=$?
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [ $rc -eq 0 ]; then echo "ok   valgrind $sel: $summary ($(( $(date +%s) - start )) s)"
  else fail=$((fail+1)); echo "FAIL valgrind $sel (exit $rc): $summary; see $log"; grep -E '^==[0-9]+== (Invalid|Conditional|.*definitely lost|.*indirectly lost)' "$log" | head -5; fi
done
echo "valgrind: $(( $# - fail )) passed, $fail failed"
[ $fail -eq 0 ]
