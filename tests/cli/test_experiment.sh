# ecai abtest / price / report. Sourced by tests/cli/run.sh ($ECAI, $DATA, $TMP set).
CC_CSV=$DATA/experiments/cookie_cats/cookie_cats.csv
RETAIL=$DATA/recommend/online_retail/transactions.csv.gz

# --- abtest: reference figures computed outside libecai, to the printed precision: the real
# Cookie Cats test (README of the data) and the project's synthetic twin tests/data/ab_small.csv
# (figures printed by tests/data/tools/gen_ab_small.py, an independent Python computation).
# abtest_figures LABEL CSV N NAMES RATES Z P CI LIFT SRM_P R1_ZP R1_CI WELCH
abtest_figures() {
  local l=$1 csv=$2
  out=$($ECAI abtest --csv "$csv" --variant-column version --metric-column retention_7 --json)
  contains "abtest $l retention_7: n per variant" "$(fig '[v["n"] for v in d["variants"]]')" "$3"
  contains "abtest $l retention_7: names, control first" "$(fig '[v["name"] for v in d["variants"]]')" "$4"
  contains "abtest $l retention_7: rates" "$(fig '"%.6f %.6f" % (d["variants"][0]["mean"], d["variants"][1]["mean"])')" "$5"
  contains "abtest $l retention_7: z $6" "$(fig '"%.4f" % d["statistic"]')" "$6"
  contains "abtest $l retention_7: p $7" "$(fig '"%.6f" % d["p_value"]')" "$7"
  contains "abtest $l retention_7: CI" "$(fig '"[%.6f, %.6f]" % tuple(d["ci95"])')" "$8"
  contains "abtest $l retention_7: lift $9 % (fraction in JSON)" "$(fig '"%.3f" % (100*d["lift"])')" "$9"
  contains "abtest $l retention_7: SRM p ${10}" "$(fig '"%.4f" % d["srm_p_value"]')" "${10}"
  out=$($ECAI abtest --csv "$csv" --variant-column version --metric-column retention_1 --json --control gate_30)
  contains "abtest $l retention_1: z, p" "$(fig '"%.4f %.5f" % (d["statistic"], d["p_value"])')" "${11}"
  contains "abtest $l retention_1: CI" "$(fig '"[%.6f, %.6f]" % tuple(d["ci95"])')" "${12}"
  out=$($ECAI abtest --csv "$csv" --variant-column version --metric-column sum_gamerounds --metric mean --json)
  contains "abtest $l sum_gamerounds: Welch t, means" "$(fig '"%.3f %.3f %.3f" % (d["statistic"], d["variants"][0]["mean"], d["variants"][1]["mean"])')" "${13}"
  out=$($ECAI abtest --csv "$csv" --variant-column version --metric-column retention_7)
  contains "abtest $l table shows z" "$out" "$6"
  contains "abtest $l table flags the sample ratio mismatch" "$out" "sample ratio mismatch"
  out=$($ECAI abtest --csv "$csv" --variant-column version --metric-column retention_7 --control gate_40 --json)
  contains "abtest $l --control swaps the sign" "$(fig '"%.4f" % d["statistic"]')" "${6#-}"
}
fig() { printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
if have_data "abtest on Cookie Cats" "$CC_CSV"; then
  abtest_figures "Cookie Cats" "$CC_CSV" "[44700, 45489]" "['gate_30', 'gate_40']" "0.190201 0.182000" -3.1644 0.001554 \
    "[-0.013282, -0.003121]" -4.312 0.0086 "-1.7841 0.07441" "[-0.012392, 0.000582]" "-0.885 52.456 51.299"
fi
AB=tests/data/ab_small.csv
abtest_figures "ab_small" "$AB" "[2091, 1909]" "['gate_30', 'gate_40']" "0.193687 0.164484" -2.4026 0.016281 \
  "[-0.052940, -0.005466]" -15.078 0.0040 "-1.9724 0.04856" "[-0.061690, -0.000222]" "-3.601 55.850 49.851"
expect_exit 2 "abtest: missing column exits 2" $ECAI abtest --csv "$AB" --variant-column version --metric-column nope
out=$($ECAI abtest --csv "$AB" --variant-column version --metric-column nope 2>&1)
contains "abtest: error names the column" "$out" "no column 'nope'"
ok "abtest: error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
expect_exit 2 "abtest: non-boolean proportion column exits 2" $ECAI abtest --csv "$AB" --variant-column version --metric-column sum_gamerounds
expect_exit 2 "abtest: missing file exits 2" $ECAI abtest --csv "$TMP/none.csv" --variant-column a --metric-column b
expect_exit 2 "abtest: bad --metric exits 2" $ECAI abtest --csv "$AB" --variant-column version --metric-column retention_7 --metric median
expect_exit 2 "abtest: missing options exit 2" $ECAI abtest --csv "$AB"
expect_exit 2 "abtest: unknown control exits 2" $ECAI abtest --csv "$AB" --variant-column version --metric-column retention_7 --control gate_50

# --- price: generic history and the real transactions
python3 - "$TMP/hist.csv" <<'PY'
import math, random, sys
random.seed(5)
with open(sys.argv[1], "w") as f:
    f.write("product_id,date,price,quantity,unit_cost\n")
    for pid, b, cost in (("inelastic", -0.5, 4.0), ("elastic", -2.5, 4.0)):
        for d in range(40):
            p = 10 * (0.8 + 0.4 * (d % 6) / 5) if d < 39 else 10.0
            q = 100 * (p / 10) ** b * math.exp(random.gauss(0, 0.05))
            f.write("%s,%d,%.2f,%.3f,%.2f\n" % (pid, 1700000000 + 86400 * d, p, q, cost))
    f.write("thin,2024-01-01,5,1,\n")
PY
out=$($ECAI price --history "$TMP/hist.csv" --json)
ok "price --json prints one JSON line per product" test "$(printf '%s\n' "$out" | wc -l)" -eq 3
contains "price: inelastic raised by max change" "$out" '"product":"inelastic","segment":null,"status":"suggest","reason":"ok"'
contains "price: suggested 11.00" "$(printf '%s\n' "$out" | grep '"inelastic"')" '"suggested_price":11.0'
contains "price: thin product held back with a reason" "$out" '"product":"thin","segment":null,"status":"hold","reason":"thin_data"'
out=$($ECAI price --history "$TMP/hist.csv" --json --objective margin --max-change 0.5)
ok "price --objective margin: interior optimum c*b/(1+b) of the estimated b" python3 -c "
import json,sys
d=[json.loads(l) for l in sys.argv[1].splitlines() if '\"elastic\"' in l][0]; b=d['elasticity']
assert abs(d['suggested_price'] - round(4*b/(1+b), 2)) < 0.006 and 6.4 < d['suggested_price'] < 7.0, d" "$out"
out=$($ECAI price --history "$TMP/hist.csv" --json --max-change 0.05 --min-observations 3)
contains "price --max-change bounds the step" "$(printf '%s\n' "$out" | grep '"inelastic"')" '"suggested_price":10.5'
out=$($ECAI price --history "$TMP/hist.csv" --json --min-margin 0.7)
contains "price --min-margin forces guardrail conflict" "$(printf '%s\n' "$out" | grep '"elastic"')" '"reason":"guardrail_conflict"'
out=$($ECAI price --history "$TMP/hist.csv")
contains "price table lists the suggestion" "$out" "inelastic"
contains "price table has a summary" "$out" "held_back_by_reason"
# retail_checks LABEL FILE MIN: the Online Retail invoice lines (real, or the committed
# extract tests/data/retail_small.csv.gz: 68 stock codes incl. POST) priced end to end.
retail_checks() {
  out=$($ECAI price --history "$2" --summary --unit-cost-ratio 0.6 --objective margin)
  contains "price on $1: summary counts" "$out" '"products":'
  ok "price on $1: at least $3 held back, most of them (wholesale and retail prices mixed)" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['held_back']>=$3 and d['suggested']*4 < d['products'], d
assert d['products'] == d['suggested'] + d['held_back'] and 'thin_data' in d['held_back_by_reason']" "$out"
  $ECAI price --history "$2" --json --min-observations 20 > "$TMP/priced.jsonl"; local rc=$?
  ok "price on $1: exit 0, products are priced, and no non-product code (POST, DOT, M, ...) is" python3 -c "
import json, re, sys
assert sys.argv[1] == '0', 'exit status ' + sys.argv[1]
ids = [json.loads(l)['product'] for l in open(sys.argv[2])]
assert len(ids) >= $3, len(ids)
bad = [i for i in ids if not re.match('[0-9]{5}', i)]
assert not bad, bad[:10]" "$rc" "$TMP/priced.jsonl"
}
if have_data "price on Online Retail" "$RETAIL"; then retail_checks "Online Retail" "$RETAIL" 100; fi
retail_checks "the Online Retail extract" tests/data/retail_small.csv.gz 10
expect_exit 2 "price: missing --history exits 2" $ECAI price
expect_exit 2 "price: bad number exits 2" $ECAI price --history "$TMP/hist.csv" --max-change lots
expect_exit 2 "price: out-of-range option exits 2" $ECAI price --history "$TMP/hist.csv" --max-change 3
printf 'product_id,date,price,quantity\nA,2024-01-01,ten,1\n' > "$TMP/badhist.csv"
expect_exit 2 "price: malformed history exits 2" $ECAI price --history "$TMP/badhist.csv"
out=$($ECAI price --history "$TMP/badhist.csv" 2>&1)
contains "price: error names the line" "$out" "line 2"

# --- report: events, before/after, chart
python3 - "$TMP/events.csv" <<'PY'
import random, sys
random.seed(11)
rows = ["ts,unit,variant,event,value"]
for i in range(4000):
    v = "control" if i % 2 == 0 else "new_checkout"
    day = 1 + i % 14
    t = "2024-05-%02dT10:00" % day
    rows.append("%s,u%d,%s,exposure," % (t, i, v))
    if random.random() < 0.4:
        rows.append("%s,u%d,%s,add_to_cart," % (t, i, v))
        p = 0.30 if v == "control" else (0.30 if day < 8 else 0.40)
        if random.random() < p / 0.4:
            rows.append("%s,u%d,%s,order,%.2f" % (t, i, v, random.uniform(10, 90)))
    if random.random() < 0.05:
        rows.append("%s,u%d,%s,ticket_opened," % (t, i, v))
        if random.random() < 0.3:
            rows.append("%s,u%d,%s,ticket_escalated," % (t, i, v))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
out=$($ECAI report --events "$TMP/events.csv" --launch-date 2024-05-08 --json)
ok "report --json is one JSON document with comparisons and before/after" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['control']=='control', d['control']
assert [v['visitors'] for v in d['variants']]==[2000,2000]; c=d['comparisons'][0]
assert c['variant']=='new_checkout' and 'p_value' in c['conversion'] and len(c['revenue_per_visitor']['bootstrap_ci'])==2
assert d['before_after']['before']['visitors']+d['before_after']['after']['visitors']==4000
assert d['srm']['flag'] is False" "$out"
out=$($ECAI report --events "$TMP/events.csv" --launch-date 2024-05-08 --chart "$TMP/chart.svg" --metric conversion_rate)
contains "report table shows the variants" "$out" "new_checkout"
contains "report table shows before/after" "$out" "before/after launch 2024-05-08"
ok "report --chart writes an SVG with a line per variant" bash -c "grep -q '<svg' '$TMP/chart.svg' && test \$(grep -c '<polyline' '$TMP/chart.svg') -eq 2 && grep -q 'launch 2024-05-08' '$TMP/chart.svg'"
ok "report --chart .html wraps the SVG" bash -c "$ECAI report --events '$TMP/events.csv' --chart '$TMP/chart.html' --period week >/dev/null && grep -q '<html>' '$TMP/chart.html' && grep -q '<svg' '$TMP/chart.html'"
expect_exit 2 "report: bad launch date exits 2" $ECAI report --events "$TMP/events.csv" --launch-date 05/08/2024
expect_exit 2 "report: bad chart extension exits 2" $ECAI report --events "$TMP/events.csv" --chart "$TMP/chart.png"
expect_exit 2 "report: missing events file exits 2" $ECAI report --events "$TMP/none.csv"
printf 'ts,unit,event\n2024-01-01,u1,teleport\n' > "$TMP/badev.csv"
out=$($ECAI report --events "$TMP/badev.csv" 2>&1)
contains "report: bad event names line and value" "$out" "line 2: unknown event 'teleport'"
expect_exit 3 "report: unwritable chart exits 3" $ECAI report --events "$TMP/events.csv" --chart "$TMP/nodir/c.svg"
# the committed demo log (tests/data/gen_kpi_events.py: true conversion 0.12 vs 0.16,
# support bot launched 2024-05-15 with true deflection 0.70)
out=$($ECAI report --events tests/data/kpi_events.csv.gz --launch-date 2024-05-15 --json)
ok "report on the demo log recovers the planted effects" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); c=d['comparisons'][0]['conversion']
assert c['p_value'] < 0.001 and c['ci'][0] < 0.04 < c['ci'][1], c
ba=d['before_after']; assert ba['before']['bot_deflection_rate']==0 and abs(ba['after']['bot_deflection_rate']-0.7)<0.08, ba
assert sum(v['visitors'] for v in d['variants'])==8000 and not d['srm']['flag']" "$out"
