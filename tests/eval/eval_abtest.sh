#!/usr/bin/env bash
# Seeded A/A and A/B simulations of `ecai abtest` (mSPRT with 10 looks, CUPED, Holm over
# many variants): prints false-positive rates, power and variance reduction; exit 1 when
# an A/A rate exceeds alpha beyond simulation error. Run by `make eval` (after `make`);
# pass --quick for 200 trials instead of 1000.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
mkdir -p "$BUILD/eval"
cc -std=c11 -O2 -D_GNU_SOURCE -Iinclude tests/eval/eval_abtest.c -o "$BUILD/eval/eval_abtest" \
   -Llib -Wl,-rpath,"$PWD/lib" -lecai -ljansson -lm || exit 3
exec "$BUILD/eval/eval_abtest" "$@"
