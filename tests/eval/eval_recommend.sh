#!/usr/bin/env bash
# Recommendation quality on real purchases (UCI Online Retail): train before 2011-10-01,
# test October 2011, hide one item per basket, k = 10. Prints the table and the JSON;
# exits 1 when the blended recommender does not beat every baseline on hit-rate@10.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=${ECAI_ROOT:-$PWD}
DATA=${ECAI_DATA:-$ROOT/../shared/data}
TX=$DATA/recommend/online_retail/transactions.csv.gz
[ -f "$TX" ] || { echo "eval_recommend: $TX not found" >&2; exit 2; }
ECAI=${ECAI:-bin/ecai}
args=(--transactions "$TX" --train-before 2011-10-01 --test-before 2011-11-01 --k 10)
json=$($ECAI eval-recommend "${args[@]}" --json)
rc=$?
printf '%s\n' "$json" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print("test baskets: %d (cold-start slice: %d, hidden item in the customer history: %d)"
      % (d["test_baskets"], d["cold_start_baskets"], d["hidden_in_history"]))
print("%-18s %12s %9s %9s %14s %11s" % ("method", "hit_rate@10", "ndcg@10", "coverage", "cold hit@10", "cold ndcg"))
rows = list(d["methods"].items()) + list(d.get("ablations", {}).items())
for name, m in rows:
    c = m["cold_start"]
    print("%-18s %12.4f %9.4f %9.4f %14.4f %11.4f" % (name, m["hit_rate@10"], m["ndcg@10"], m["coverage"],
                                                     c["hit_rate@10"], c["ndcg@10"]))
print("seconds: %s" % d["seconds"])
'
printf '%s\n' "$json"
exit $rc
