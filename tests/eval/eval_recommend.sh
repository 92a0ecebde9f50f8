#!/usr/bin/env bash
# Recommendation quality on real purchases (UCI Online Retail): train before 2011-10-01,
# test October 2011, hide one item per basket, k = 10. Prints the table and the JSON;
# exits 1 when the blended recommender does not beat every baseline on hit-rate@10.
# Besides hit-rate and nDCG: revenue@10 (value of the hidden items found / value of all
# hidden items; value = quantity x unit price), aov_lift_bound (that value / the value of all
# test baskets) and the slices of customers with and without earlier orders.
# The blended weights are chosen on the training months only (never on the test month):
# tuned on the first half of them (model before the midpoint, the 30 days after it ranked),
# checked on the later ones (model before the last 30 training days, those days ranked), the
# tuned weights kept only if they beat the configured ones there. See `ecai eval-recommend --help`.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=${ECAI_ROOT:-$PWD}
DATA=${ECAI_DATA:-$ROOT/../shared/data}
TX=$DATA/recommend/online_retail/transactions.csv.gz
[ -f "$TX" ] || { echo "eval_recommend: $TX not found" >&2; exit 2; }
ECAI=${ECAI:-bin/ecai}
args=(--transactions "$TX" --train-before "${TRAIN_BEFORE:-2011-10-01}" --test-before "${TEST_BEFORE:-2011-11-01}" --k 10)
json=$($ECAI eval-recommend "${args[@]}" --json)
rc=$?
printf '%s\n' "$json" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print("test baskets: %d (cold-start slice: %d, customer with earlier orders: %d, hidden item in the customer history: %d)"
      % (d["test_baskets"], d["cold_start_baskets"], d["history_baskets"], d["hidden_in_history"]))
t = d["tuning"]
print("tuning: %s" % (t["skipped"] if "skipped" in t else "%s weights w_rebuy %g w_history %g w_recent %g w_neighbours %g w_content %g (check: tuned %.4f, configured %.4f)"
      % (t["adopted"], t["w_rebuy"], t["w_history"], t["w_recent"], t["w_neighbours"], t["w_content"], t["check"]["tuned_hit_rate@10"], t["check"]["configured_hit_rate@10"])))
print("%-18s %11s %8s %9s %11s %9s %9s %9s %9s" % ("method", "hit_rate@10", "ndcg@10", "coverage", "revenue@10",
      "aov_lift", "hist hit", "new hit", "cold hit"))
rows = list(d["methods"].items()) + list(d.get("ablations", {}).items())
for name, m in rows:
    print("%-18s %11.4f %8.4f %9.4f %11.4f %9.4f %9.4f %9.4f %9.4f" % (name, m["hit_rate@10"], m["ndcg@10"], m["coverage"],
          m["revenue@10"], m["aov_lift_bound"], m["with_history"]["hit_rate@10"], m["without_history"]["hit_rate@10"],
          m["cold_start"]["hit_rate@10"]))
for sec in ("bundles", "trending"):
    if sec in d: print("%s: %s" % (sec, json.dumps(d[sec])))
print("seconds: %s" % d["seconds"])
'
printf '%s\n' "$json"
exit $rc
