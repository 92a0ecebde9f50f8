#!/usr/bin/env bash
# Runs benchmark programs one after another (never in parallel: they compete for the
# two cores) with FAISS's OpenMP threads passive. Output: each program's own table.
set -uo pipefail
export OMP_WAIT_POLICY=PASSIVE
export ECAI_ROOT=${ECAI_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
rc=0
for b in "$@"; do
  echo "== $(basename "$b")"
  "$b" || rc=1
done
exit $rc
