# ecai abtest with many variants (Holm), --covariate (CUPED), --sequential --look-column
# (mSPRT): figures against tests/data/tools/ab_reference.py, an independent computation.
ABREF=tests/data/tools/ab_reference.py
# compare JSON_A JSON_B: every comparison's p_value, p_adjusted and diff agree within 2e-4
ab_close() {
  python3 - "$1" "$2" <<'PY'
import json, sys
got, ref = json.loads(sys.argv[1]), json.loads(sys.argv[2])
bad = []
for g, r in zip(got["comparisons"], ref["comparisons"]):
    for k in ("variant", "diff", "p_value", "p_adjusted"):
        if (g[k] != r[k]) if k == "variant" else abs(g[k] - r[k]) > 2e-4 * max(1, abs(r[k])):
            bad.append((g["variant"], k, g[k], r[k]))
if len(got["comparisons"]) != len(ref["comparisons"]): bad.append("count")
if "cuped" in ref:
    for k in ("theta", "variance_reduction"):
        if abs(got["cuped"][k] - ref["cuped"][k]) > 1e-6: bad.append((k, got["cuped"][k], ref["cuped"][k]))
print(bad or "same"); sys.exit(1 if bad else 0)
PY
}
python3 $ABREF gen "$TMP/ab4.csv" --variants A,B,C,D --n 4000 --effect D=0.04 --kind prop --seed 5
out=$($ECAI abtest --csv "$TMP/ab4.csv" --variant-column variant --metric-column y --json)
ok "abtest 4 variants: comparisons and Holm p-values equal the reference" \
  ab_close "$out" "$(python3 $ABREF ref "$TMP/ab4.csv" --kind prop)"
contains "abtest 4 variants: the output says Holm" "$out" '"p_adjustment":"holm"'
contains "abtest 4 variants: D (real effect) wins after Holm" \
  "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([c["variant"] for c in d["comparisons"] if c["p_adjusted"] < 0.05])')" "['D']"
out=$($ECAI abtest --csv "$TMP/ab4.csv" --variant-column variant --metric-column y)
contains "abtest 4 variants: the table lists the Holm column" "$out" "p (Holm)"

python3 $ABREF gen "$TMP/cuped.csv" --n 10000 --effect B=0.5 --rho 0.7 --seed 8 --missing 0.01
out=$($ECAI abtest --csv "$TMP/cuped.csv" --variant-column variant --metric-column y --metric mean --covariate pre --json)
ok "abtest --covariate: theta, variance reduction and adjusted p equal the reference" \
  ab_close "$out" "$(python3 $ABREF ref "$TMP/cuped.csv" --covariate pre)"
vr=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin)["cuped"]; print("%.2f %d" % (d["variance_reduction"], d["missing_covariate"] > 0))')
ok "abtest --covariate: variance reduction near rho^2 = 0.49, missing covariates counted ($vr)" \
  python3 -c "import sys; v, m = '$vr'.split(); sys.exit(not (abs(float(v) - 0.49) < 0.04 and m == '1'))"
printf 'variant,y,pre\nA,1,3\nA,2,x\nB,1,1\nB,3,2\n' > "$TMP/cov_text.csv"
expect_exit 2 "abtest --covariate with text exits 2" $ECAI abtest --csv "$TMP/cov_text.csv" --variant-column variant \
  --metric-column y --metric mean --covariate pre
contains "abtest --covariate with text: the line is named" "$($ECAI abtest --csv "$TMP/cov_text.csv" --variant-column variant \
  --metric-column y --metric mean --covariate pre 2>&1)" "line 3"

python3 $ABREF gen "$TMP/seq.csv" --n 3000 --effect B=0.05 --kind prop --seed 9
out=$($ECAI abtest --csv "$TMP/seq.csv" --variant-column variant --metric-column y --sequential --look-column look --json)
seq=$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["sequential"]; print(s["reject"], s["looks"], s["stopped_at"] is not None, s["method"][:5])')
contains "abtest --sequential: reject, 10 looks, a stopping look, mSPRT" "$seq" "True 10 True mSPRT"
out=$($ECAI abtest --csv "$TMP/seq.csv" --variant-column variant --metric-column y --sequential --look-column look)
contains "abtest --sequential: table line" "$out" "sequential (mSPRT)   REJECT"
expect_exit 2 "abtest --sequential without --look-column exits 2" $ECAI abtest --csv "$TMP/seq.csv" \
  --variant-column variant --metric-column y --sequential
expect_exit 2 "abtest --look-column naming no column exits 2" $ECAI abtest --csv "$TMP/seq.csv" \
  --variant-column variant --metric-column y --sequential --look-column nope
expect_exit 2 "abtest --alpha 2 exits 2" $ECAI abtest --csv "$TMP/seq.csv" --variant-column variant --metric-column y --alpha 2
out=$($ECAI abtest --csv "$TMP/seq.csv" --variant-column variant --metric-column y --sequential --look-column look \
  --sequential-method obf --json)
obf=$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["sequential"]; print(s["looks"], len(s["boundaries"]), s["boundaries"][0] > s["boundaries"][-1] > 1.96, s["reject"] == any(abs(z) >= c for z, c in zip(s["z_by_look"], s["boundaries"])))')
contains "abtest --sequential-method obf: 10 decreasing boundaries, reject = a crossing" "$obf" "10 10 True True"
expect_exit 2 "abtest --sequential-method pocock exits 2" $ECAI abtest --csv "$TMP/seq.csv" --variant-column variant \
  --metric-column y --sequential --look-column look --sequential-method pocock

# --- ecai report: guardrail metrics flagged when they move the wrong way (Holm over variants)
python3 - "$TMP/kpi_guard.csv" <<'PY'
import random, sys
r = random.Random(3)
with open(sys.argv[1], "w") as f:
    f.write("ts,unit,variant,event,value\n")
    for i in range(6000):
        v = "A" if i % 2 else "B"
        t = 1714557600 + i
        f.write("%d,u%d,%s,exposure,\n" % (t, i, v))
        if r.random() < 0.3:
            f.write("%d,u%d,%s,add_to_cart,\n" % (t + 1, i, v))
            if r.random() < (0.3 if v == "B" else 0.5):
                f.write("%d,u%d,%s,order,40\n" % (t + 2, i, v))
PY
out=$($ECAI report --events "$TMP/kpi_guard.csv" --control A)
contains "report: abandonment guardrail flagged for the worse variant" "$out" "GUARDRAIL   checkout_abandonment moved the wrong way"
out=$($ECAI report --events "$TMP/kpi_guard.csv" --control A --json)
contains "report --json: guardrails with Holm p_adjusted" \
  "$(printf '%s' "$out" | python3 -c 'import json,sys; c=json.load(sys.stdin)["comparisons"][0]; print(sorted(g["metric"] for g in c["guardrails"] if g["flag"]), "p_adjusted" in c["checkout_abandonment"])')" \
  "['checkout_abandonment', 'conversion', 'revenue_per_visitor'] True"

# --- ecai report: sequential read-out of conversion per daily look, drawn in the chart
python3 - "$TMP/kpi10.csv" <<'PY'
import random, sys
r = random.Random(3)
with open(sys.argv[1], "w") as f:
    f.write("ts,unit,variant,event,value\n")
    for i in range(8000):
        v = "A" if i % 2 else "B"
        t = 1714521600 + (i * 10 // 8000) * 86400 + 100
        f.write("%d,u%d,%s,exposure,\n" % (t, i, v))
        if r.random() < 0.15 * (0.8 if v == "B" else 1):
            f.write("%d,u%d,%s,order,40\n" % (t + 2, i, v))
PY
out=$($ECAI report --events "$TMP/kpi10.csv" --control A --json)
contains "report --json: conversion.sequential over 10 daily looks" \
  "$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["comparisons"][0]["conversion"]["sequential"]; print(s["looks"], len(s["boundaries"]), s["method"][:5])')" "10 10 mSPRT"
out=$($ECAI report --events "$TMP/kpi10.csv" --control A --chart "$TMP/seq.svg")
contains "report: sequential line" "$out" "mSPRT over 10 daily looks"
ok "report --chart: the SVG parses and draws z and the two boundary lines" python3 -c "
import xml.dom.minidom as m, sys
d = m.parse('$TMP/seq.svg'); t = d.toxml()
paths = [p.getAttribute('class') for p in d.getElementsByTagName('path')]
sys.exit(not (len(d.getElementsByTagName('polyline')) == 2 and sorted(paths) == ['boundary', 'boundary', 'z']))"
