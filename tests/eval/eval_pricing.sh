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
# Simulated shops with quantity-discount tiers (tests/data/tools/sim_shop.py): 60 products,
# 360 days, a fifth of the orders wholesale at 85 %, yearly season, no segment column.
# Seeds 101-105 are the reported ones; tuning used seeds 1-4 and the CLI test seed 7.
# Targets (issue 25): among suggested, |error| <= 0.35 for >= 75 %; suggestions for
# >= 40 %; 95 % intervals cover the truth for >= 85 % of the products with an estimate.
SIM="$BUILD/eval/sim"; mkdir -p "$SIM"
seeds="101 102 103 104 105"; [ "${1:-}" = --quick ] && seeds="101"
for vol in "low 2 12" "high 10 50"; do
  set -- $vol; pairs=()
  for s in $seeds; do
    python3 tests/data/tools/sim_shop.py --seed "$s" --rate-min "$2" --rate-max "$3" \
      --out "$SIM/shop_$1_$s.csv" --truth "$SIM/truth_$1_$s.csv" || rc=3
    bin/ecai price --history "$SIM/shop_$1_$s.csv" --json > "$SIM/priced_$1_$s.jsonl" || rc=3
    pairs+=("$SIM/priced_$1_$s.jsonl" "$SIM/truth_$1_$s.csv")
  done
  echo "simulated shops with tiers, $1 volume ($2-$3 orders/day), seeds $seeds:"
  if [ "$1" = high ]; then python3 tests/eval/score_price_sim.py --check "${pairs[@]}" || rc=1
  else python3 tests/eval/score_price_sim.py "${pairs[@]}"; fi
done
RETAIL=${ECAI_DATA:-../shared/data}/recommend/online_retail/transactions.csv.gz
if [ -f "$RETAIL" ]; then
  for obj in "--objective revenue" "--objective margin --unit-cost-ratio 0.6"; do
    echo "Online Retail, ecai price $obj:"
    bin/ecai price --history "$RETAIL" $obj --summary || rc=1
  done
else
  echo "eval_pricing: skipped the Online Retail batch pricing: $RETAIL not found"
fi
CC_CSV=${ECAI_DATA:-../shared/data}/experiments/cookie_cats/cookie_cats.csv
if [ -f "$CC_CSV" ]; then
  echo "Cookie Cats retention_7:"
  cc=$(bin/ecai abtest --csv "$CC_CSV" --variant-column version --metric-column retention_7 --json) || rc=1
  printf '%s\n' "$cc"
  # the published reference (README): z -3.1644, p 0.001554, SRM chi2 6.902
  python3 -c "
import json, sys
d = json.loads(sys.argv[1])
ok = (round(d['statistic'], 4), round(d['p_value'], 6), round(d['srm_chi2'], 3)) == (-3.1644, 0.001554, 6.902)
print('Cookie Cats: %s the published reference' % ('equals' if ok else 'FAILED: differs from'))
sys.exit(0 if ok else 1)" "$cc" || rc=1
else
  echo "eval_pricing: skipped Cookie Cats: $CC_CSV not found"
fi
exit $rc
