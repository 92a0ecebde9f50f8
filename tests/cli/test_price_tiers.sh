# ecai price on a simulated shop with quantity-discount tiers and known elasticities
# (tests/data/tools/sim_shop.py, seed 7; the evaluation uses other seeds). Sourced by
# tests/cli/run.sh ($ECAI, $TMP set).
python3 tests/data/tools/sim_shop.py --seed 7 --products 12 --days 240 --rate-min 20 --rate-max 60 \
  --fixed-list 2 --out "$TMP/sim.csv" --truth "$TMP/sim_truth.csv"
$ECAI price --history "$TMP/sim.csv" --json > "$TMP/sim.jsonl"
ok "price tiers: one line per simulated product" test "$(wc -l < "$TMP/sim.jsonl")" -eq 12
ok "price tiers: wholesale orders recognised as an order-size tier everywhere" python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(r['tiers']['basis'] == 'order_size' and 3 < r['tiers']['size_threshold'] <= 12 for r in rows), rows" "$TMP/sim.jsonl"
ok "price tiers: estimates centred on the truth (the log-log fit was ~2.5 too negative)" python3 -c "
import csv, json, sys
truth = {r['product_id']: r for r in csv.DictReader(open(sys.argv[2]))}
err = sorted(r['elasticity'] - float(truth[r['product']]['elasticity']) for r in map(json.loads, open(sys.argv[1]))
             if truth[r['product']]['identifiable'] == '1')
assert len(err) == 10 and abs(err[5]) < 0.2 and sum(abs(e) <= 0.35 for e in err) >= 7, err" "$TMP/sim.jsonl" "$TMP/sim_truth.csv"
ok "price tiers: 95 % intervals cover the truth for at least 8 of 10" python3 -c "
import csv, json, sys
truth = {r['product_id']: r for r in csv.DictReader(open(sys.argv[2]))}
rows = [r for r in map(json.loads, open(sys.argv[1])) if truth[r['product']]['identifiable'] == '1']
n = sum(r['elasticity_ci95'][0] <= float(truth[r['product']]['elasticity']) <= r['elasticity_ci95'][1] for r in rows)
assert n >= 8, n" "$TMP/sim.jsonl" "$TMP/sim_truth.csv"
ok "price tiers: fixed list prices are not identified (prices set only by order size)" python3 -c "
import csv, json, sys
truth = {r['product_id']: r for r in csv.DictReader(open(sys.argv[2]))}
fixed = [r for r in map(json.loads, open(sys.argv[1])) if truth[r['product']]['identifiable'] == '0']
assert len(fixed) == 2 and all(r['status'] == 'hold' and r['reason'] == 'not_identified'
                               and r['reason_detail'] == 'prices_set_only_by_order_size' for r in fixed), fixed" "$TMP/sim.jsonl" "$TMP/sim_truth.csv"
ok "price tiers: suggestions are validated out of time and close to the truth" python3 -c "
import csv, json, sys
truth = {r['product_id']: r for r in csv.DictReader(open(sys.argv[2]))}
sug = [r for r in map(json.loads, open(sys.argv[1])) if r['status'] == 'suggest']
assert len(sug) >= 3 and all(r['validation']['status'] == 'passed' for r in sug)
assert all(r['validation']['deviance_model'] < r['validation']['deviance_no_change'] for r in sug)
err = [round(r['elasticity'] - float(truth[r['product']]['elasticity']), 2) for r in sug]
assert sum(abs(e) <= 0.35 for e in err) >= 2 * len(sug) / 3, err" "$TMP/sim.jsonl" "$TMP/sim_truth.csv"
out=$($ECAI price --history "$TMP/sim.csv" --summary)
ok "price --summary reports validation across products" python3 -c "
import json, sys
s = json.loads(sys.argv[1]); v = s['validation']
assert sum(v['by_status'].values()) == s['products'] == 12 and v['by_status'].get('passed', 0) >= s['suggested'] > 0
assert s['held_back_by_detail']['not_identified:prices_set_only_by_order_size'] == 2
assert s['suggested_cuts'] + s['suggested_raises'] == s['suggested'] and s['tiers_by_basis'] == {'order_size': 12}" "$out"
out=$($ECAI price --history "$TMP/sim.csv" --summary --validation-share 0)
contains "price --validation-share 0 turns the check off" "$out" '"by_status":{"not_run":12}'
expect_exit 2 "price: --validation-share out of range exits 2" $ECAI price --history "$TMP/sim.csv" --validation-share 0.9
python3 tests/data/tools/sim_shop.py --seed 8 --products 3 --days 200 --rate-min 20 --rate-max 40 --segment-column \
  --out "$TMP/simseg.csv" --truth "$TMP/simseg_truth.csv"
out=$($ECAI price --history "$TMP/simseg.csv" --summary)
contains "price tiers: a segment column is a tier" "$out" '"tiers_by_basis":{"segment":3}'
