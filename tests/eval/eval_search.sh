#!/usr/bin/env bash
# Search relevance on the Home Depot set (../shared/data/search/homedepot): nDCG@10
# (gain = grade - 1, ideal from the judged products), MRR@10 and recall@100 (relevant =
# grade > 1) over the queries with at least one grade > 1, for ecai's bm25, vector and
# hybrid modes AND SQLite FTS5 (sqlite3 CLI, tokenize='porter unicode61', query terms
# joined with OR, ranked by bm25(), over title) in the same run. Also FTS5 query latency
# (sqlite3 .timer, one thread) next to `ecai bench` (hybrid).
# The hybrid weights (config defaults) were tuned on the "tune" half of the queries
# (XXH3 of the query text, even); the "test" half was not used for tuning.
#   tests/eval/eval_search.sh [--quick]   (--quick skips the slow vector-only mode)
# Exits 1 when hybrid / FTS5 nDCG@10 is below the 1.10 target (all queries, or the test half
# never used for tuning), or when this script's metric code and `ecai eval` disagree on the
# same ranked lists (ecai bm25's own run, scored by both); 2 when the data is missing.
# Measured (2 shared cores, ~6 min): FTS5 0.381/0.499/0.720 (README's figures reproduced),
# ecai bm25 0.403/0.523/0.745, vector 0.316/0.433/0.665, hybrid 0.425/0.546/0.751
# (nDCG@10/MRR@10/recall@100) = 1.114x FTS5; test half (not tuned on): hybrid 0.428 vs FTS5
# 0.387 = 1.107x, rrf 0.383. FTS5 latency here comes from the sqlite3 CLI's .timer (1 ms resolution);
# tests/bench/bench_search.c measures FTS5 in-process (dlopen) next to ecai.
# Learning to rank: `ecai learn --split tune` on a copy of the index (the tune half's judgments
# only), its ranked lists scored on both halves next to FTS5's, and again without the product
# priors; exits 1 when the check ("test") half misses learnt / FTS5 nDCG@10 >= 1.15 (issue 18).
# Measured: check half learnt 0.4500 vs FTS5 0.3870 = 1.163x (unlearnt hybrid 0.4280, without
# the priors 0.4271); tune half 0.4498 vs 0.3757 = 1.197x.
set -euo pipefail
root=${ECAI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=${ECAI_DATA:-$root/../shared/data}/search/homedepot
ecai=$root/bin/ecai
quick=${1:-}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
P=$data/products.tsv Q=$data/queries.tsv L=$data/labels.tsv
for f in "$P" "$Q" "$L"; do [ -f "$f" ] || { echo "eval_search: $f not found" >&2; exit 2; }; done

# ---- FTS5 peer -------------------------------------------------------------------------
python3 - "$P" "$Q" "$tmp" <<'PY'
import re, sys
P, Q, tmp = sys.argv[1:4]
def lit(s): return "'" + s.replace("'", "''") + "'"
with open(tmp + "/load.sql", "w") as o:
    o.write("CREATE VIRTUAL TABLE p USING fts5(pid UNINDEXED, title, tokenize='porter unicode61');\nBEGIN;\n")
    with open(P, encoding="utf-8") as f:
        next(f)
        for line in f:
            pid, title = line.rstrip("\n").split("\t")[:2]
            o.write("INSERT INTO p VALUES(%s,%s);\n" % (lit(pid), lit(title)))
    o.write("COMMIT;\n")
with open(tmp + "/q.sql", "w") as o:
    o.write(".timer on\n")
    with open(Q, encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, q = line.rstrip("\n").split("\t")[:2]
            terms = re.findall(r"\w+", q.lower())
            if not terms: continue
            m = " OR ".join('"%s"' % t.replace('"', '""') for t in terms)
            o.write("SELECT %s, pid FROM p WHERE p MATCH %s ORDER BY bm25(p) LIMIT 100;\n" % (lit(qid), lit(m)))
PY
sqlite3 "$tmp/fts.db" < "$tmp/load.sql"
sqlite3 -separator $'\t' "$tmp/fts.db" < "$tmp/q.sql" > "$tmp/fts.out"

# One scorer for every ranked run this script judges (FTS5's, and ecai bm25's own lists for
# the agreement check): nDCG@10, MRR@10, recall@100 as defined in the header.
#   score.py fts|jsonl RUNFILE   (fts: "qid<TAB>pid" lines + sqlite3 .timer lines; jsonl: ecai search --json)
cat > "$tmp/score.py" <<'PY'
import json, math, sys, collections
labels, qfile, xdir, kind, out = sys.argv[1:6]
sys.path.insert(0, xdir)
from xxh3_ref import xxh3_64  # the same hash split as `ecai eval --split` (XXH3-64 of the query text, even = tune)
half = {}
with open(qfile, encoding="utf-8") as f:
    next(f)
    for line in f:
        qid, q = line.rstrip("\n").split("\t")[:2]
        half[qid] = "tune" if xxh3_64(q.encode()) % 2 == 0 else "test"
grades = collections.defaultdict(dict)
with open(labels) as f:
    next(f)
    for line in f:
        q, p, g = line.rstrip("\n").split("\t"); grades[q][p] = float(g)
runs = collections.defaultdict(list); times = []
with open(out, encoding="utf-8") as f:
    for line in f:
        if kind == "jsonl":
            r = json.loads(line); runs[r["query_id"]] = [h["id"] for h in r["hits"]]
        elif line.startswith("Run Time:"):
            times.append(float(line.split()[3]) * 1000)
        else:
            q, p = line.rstrip("\n").split("\t"); runs[q].append(p)
n = nd = mr = rc = 0.0
hs = collections.defaultdict(lambda: [0, 0.0])
for q, g in grades.items():
    rel = {p for p, v in g.items() if v > 1}
    if not rel or q not in half: continue
    ids = runs.get(q, []); n += 1
    dcg = sum((g.get(p, 1.0) - 1) / math.log2(i + 2) for i, p in enumerate(ids[:10]))
    ideal = sorted((v - 1 for v in g.values()), reverse=True)[:10]
    v = dcg / sum(v / math.log2(i + 2) for i, v in enumerate(ideal))
    nd += v; hs[half[q]][0] += 1; hs[half[q]][1] += v
    mr += next((1 / (i + 1) for i, p in enumerate(ids[:10]) if p in rel), 0)
    rc += len(rel & set(ids[:100])) / len(rel)
r = {"queries": int(n), "ndcg@10": round(nd / n, 4), "mrr@10": round(mr / n, 4),
     "recall@100": round(rc / n, 4), "ndcg_tune": hs["tune"][1] / hs["tune"][0],
     "ndcg_test": hs["test"][1] / hs["test"][0], "n_tune": hs["tune"][0], "n_test": hs["test"][0]}
if times:
    times.sort()
    r.update({"p50_ms": round(times[len(times) // 2], 3), "p99_ms": round(times[int(len(times) * .99)], 3)})
print(json.dumps(r))
PY
score() { python3 "$tmp/score.py" "$L" "$Q" "$root/bindings/python/tests" "$@"; }
score fts "$tmp/fts.out" > "$tmp/fts.json"

# ---- ecai ------------------------------------------------------------------------------
modes="bm25 hybrid"; [ "$quick" = --quick ] || modes="bm25 vector hybrid"
[ "$quick" = --quick ] && echo "eval_search: --quick: skipping the vector-only mode"
for m in $modes; do
  "$ecai" eval --catalog "$P" --queries "$Q" --labels "$L" --mode "$m" --json > "$tmp/$m.json"
done
for s in tune test; do
  "$ecai" eval --catalog "$P" --queries "$Q" --labels "$L" --mode bm25 --split $s --json > "$tmp/bm25_$s.json"
  "$ecai" eval --catalog "$P" --queries "$Q" --labels "$L" --mode hybrid --split $s --json > "$tmp/hybrid_$s.json"
  "$ecai" eval --catalog "$P" --queries "$Q" --labels "$L" --mode hybrid --fusion rrf --split $s --json > "$tmp/rrf_$s.json"
done
"$ecai" index --catalog "$P" --out "$tmp/idx" > /dev/null
# agreement: ecai bm25's own top-100 lists, scored by score.py, against `ecai eval --mode bm25`
"$ecai" search --index "$tmp/idx" --queries "$Q" --k 100 --mode bm25 --json > "$tmp/bm25_run.jsonl"
score jsonl "$tmp/bm25_run.jsonl" > "$tmp/bm25_own.json"
"$ecai" bench --index "$tmp/idx" --queries "$Q" --mode hybrid --json > "$tmp/bench.json"
# "no confident match": share flagged on off-catalog queries (30 written for this check,
# tests/eval/offcatalog_queries.tsv) vs on the answerable judged queries (ecai eval "flagged")
"$ecai" search --index "$tmp/idx" --queries "$root/tests/eval/offcatalog_queries.tsv" --k 1 --json >/dev/null
off=0; tot=0
while IFS=$'\t' read -r id text; do
  [ "$id" = query_id ] && continue
  tot=$((tot+1))
  "$ecai" search --index "$tmp/idx" --k 1 --json "$text" | grep -q '"no_confident_match":true' && off=$((off+1))
done < "$root/tests/eval/offcatalog_queries.tsv"
echo "{\"flagged\":$off,\"total\":$tot}" > "$tmp/off.json"
# learning to rank: learnt from the tune half only, scored on both halves by score.py
cp -r "$tmp/idx" "$tmp/lidx"
"$ecai" learn --index "$tmp/lidx" --queries "$Q" --labels "$L" --split tune --json > "$tmp/learn.json"
"$ecai" search --index "$tmp/lidx" --queries "$Q" --k 100 --json > "$tmp/learnt_run.jsonl"
score jsonl "$tmp/learnt_run.jsonl" > "$tmp/learnt.json"
# the same without the product priors (what the text features alone learn)
"$ecai" learn --index "$tmp/lidx" --queries "$Q" --labels "$L" --split tune --json \
  --options '{"without":["prior_grade","prior_count"]}' > /dev/null
"$ecai" search --index "$tmp/lidx" --queries "$Q" --k 100 --json > "$tmp/learnt_np_run.jsonl"
score jsonl "$tmp/learnt_np_run.jsonl" > "$tmp/learnt_np.json"

python3 - "$tmp" $modes <<'PY'
import json, sys
tmp, modes = sys.argv[1], sys.argv[2:]
ld = lambda n: json.load(open("%s/%s.json" % (tmp, n)))
fts = ld("fts")
print("Home Depot (%d queries with a grade > 1), all queries:" % fts["queries"])
print("%-22s %8s %8s %10s" % ("method", "nDCG@10", "MRR@10", "recall@100"))
print("%-22s %8.3f %8.3f %10.3f" % ("SQLite FTS5 bm25 (OR)", fts["ndcg@10"], fts["mrr@10"], fts["recall@100"]))
for m in modes:
    r = ld(m)
    print("%-22s %8.3f %8.3f %10.3f" % ("ecai " + m, r["ndcg@10"], r["mrr@10"], r["recall@100"]))
fails = []
own, ev = ld("bm25_own"), ld("bm25")
print("agreement on ecai bm25's own ranked lists: this script %d queries %.4f / %.4f / %.4f, ecai eval %d queries %.4f / %.4f / %.4f"
      % (own["queries"], own["ndcg@10"], own["mrr@10"], own["recall@100"],
         ev["queries"], ev["ndcg@10"], ev["mrr@10"], ev["recall@100"]))
if own["queries"] != ev["queries"] or any(abs(own[k] - ev[k]) > 1.1e-4 for k in ("ndcg@10", "mrr@10", "recall@100")):
    fails.append("this script's metrics and ecai eval disagree on the same run")
h = ld("hybrid")
ratio = h["ndcg@10"] / fts["ndcg@10"]
print("hybrid / FTS5 nDCG@10 = %.3f (target 1.10: %s)" % (ratio, "met" if ratio >= 1.10 else "MISSED"))
if ratio < 1.10: fails.append("hybrid / FTS5 nDCG@10 %.3f < 1.10" % ratio)
for s in ("tune", "test"):
    b, hy, rr = ld("bm25_" + s), ld("hybrid_" + s), ld("rrf_" + s)
    if fts["n_" + s] != hy["queries"]: fails.append("split mismatch on the %s half" % s)
    print("%s half (%d queries): FTS5 %.3f  bm25 %.3f  hybrid blend %.3f (%.3fx FTS5)  hybrid rrf %.3f"
          % (s, hy["queries"], fts["ndcg_" + s], b["ndcg@10"], hy["ndcg@10"], hy["ndcg@10"] / fts["ndcg_" + s], rr["ndcg@10"]))
r_test = ld("hybrid_test")["ndcg@10"] / fts["ndcg_test"]
if r_test < 1.10: fails.append("hybrid / FTS5 nDCG@10 on the test half (never tuned on) %.3f < 1.10" % r_test)
lr, ln = ld("learnt"), ld("learn")
print("learnt ranker (ecai learn --split tune: %d queries, %d judgments; XGBoost rank:ndcg):" % (ln["queries"], ln["judgments"]))
for s in ("tune", "test"):
    print("  %s half (%d queries)%s: learnt %.4f vs FTS5 %.4f = %.3fx; unlearnt hybrid %.4f"
          % (s, lr["n_" + s], " [learnt from]" if s == "tune" else " [never seen: the check]", lr["ndcg_" + s],
             fts["ndcg_" + s], lr["ndcg_" + s] / fts["ndcg_" + s], ld("hybrid_" + s)["ndcg@10"]))
    print("    without the product priors: %.4f (%.3fx FTS5)" % (ld("learnt_np")["ndcg_" + s], ld("learnt_np")["ndcg_" + s] / fts["ndcg_" + s]))
r_learnt = lr["ndcg_test"] / fts["ndcg_test"]
print("learnt / FTS5 nDCG@10 on the check half = %.3f (target 1.15: %s)" % (r_learnt, "met" if r_learnt >= 1.15 else "MISSED"))
if r_learnt < 1.15: fails.append("learnt / FTS5 nDCG@10 on the check half %.3f < 1.15" % r_learnt)
off = ld("off")
print("no_confident_match (search.min_confidence default): %d/%d off-catalog queries flagged; %.1f%% of the answerable judged queries flagged"
      % (off["flagged"], off["total"], 100 * h["flagged"]))
bn = ld("bench")
print("latency, one thread: ecai hybrid p50 %.3f ms p99 %.3f ms (%.0f q/s, in-process, incl. JSON); "
      "FTS5 p50 %.3f ms p99 %.3f ms (sqlite3 CLI .timer, LIMIT 100)" % (bn["p50_ms"], bn["p99_ms"], bn["qps"], fts["p50_ms"], fts["p99_ms"]))
for f in fails:
    print("eval_search: FAILED: " + f)
sys.exit(1 if fails else 0)
PY
