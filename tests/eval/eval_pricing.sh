#!/usr/bin/env bash
# Ground-truth simulations (pricing elasticity/profit, A/A false-positive rate) and the
# batch pricing figures on the real Online Retail transactions. Run by `make eval`
# (after `make`); pass --quick for a short run.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
mkdir -p "$BUILD/eval"
cc -std=c11 -O2 -D_GNU_SOURCE -Iinclude tests/eval/eval_pricing.c -o "$BUILD/eval/eval_pricing" \
   -Llib -Wl,-rpath,"$PWD/lib" -lecai -ljansson -lm || exit 3
"$BUILD/eval/eval_pricing" "$@"; rc=$?
RETAIL=${ECAI_DATA:-../shared/data}/recommend/online_retail/transactions.csv.gz
if [ -f "$RETAIL" ]; then
  for obj in "--objective revenue" "--objective margin --unit-cost-ratio 0.6"; do
    echo "Online Retail, ecai price $obj:"
    bin/ecai price --history "$RETAIL" $obj --summary || rc=1
  done
fi
CC_CSV=${ECAI_DATA:-../shared/data}/experiments/cookie_cats/cookie_cats.csv
if [ -f "$CC_CSV" ]; then
  echo "Cookie Cats retention_7:"; bin/ecai abtest --csv "$CC_CSV" --variant-column version --metric-column retention_7 --json
fi
exit $rc
