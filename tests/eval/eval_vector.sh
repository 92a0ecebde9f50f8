#!/usr/bin/env bash
# Vector-only search quality on the Home Depot set (../shared/data/search/homedepot):
# nDCG@10 (gain = grade - 1, ideal from the judged products), MRR@10 and recall@100
# (relevant = grade > 1) over the queries with at least one grade > 1.
#   tests/eval/eval_vector.sh [--config FILE] [--index-type FACTORY]
# Reference (README of the data): FTS5 bm25 nDCG@10 0.381, MRR@10 0.499, recall@100 0.720.
set -euo pipefail
root=${ECAI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=${ECAI_DATA:-$root/../shared/data}/search/homedepot
ecai=$root/bin/ecai
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_WAIT_POLICY=PASSIVE
t0=$(date +%s.%N)
"$ecai" index --catalog "$data/products.tsv" --out "$tmp/idx" "$@" >/dev/null
t1=$(date +%s.%N)
"$ecai" search --index "$tmp/idx" --queries "$data/queries.tsv" --k 100 --json > "$tmp/runs.jsonl"
t2=$(date +%s.%N)
python3 - "$data/labels.tsv" "$tmp/runs.jsonl" "$t0" "$t1" "$t2" <<'PY'
import json, math, sys
labels, runs, t0, t1, t2 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:6])
grades = {}
with open(labels) as f:
    next(f)
    for line in f:
        q, p, g = line.rstrip("\n").split("\t")
        grades.setdefault(q, {})[p] = float(g)
ndcg = mrr = rec = 0.0
n = 0
with open(runs) as f:
    for line in f:
        r = json.loads(line)
        g = grades.get(r["query_id"], {})
        rel = {p for p, v in g.items() if v > 1}
        if not rel:
            continue
        n += 1
        ids = [h["id"] for h in r["hits"]]
        dcg = sum((g.get(p, 1.0) - 1) / math.log2(i + 2) for i, p in enumerate(ids[:10]))
        ideal = sorted((v - 1 for v in g.values()), reverse=True)[:10]
        idcg = sum(v / math.log2(i + 2) for i, v in enumerate(ideal))
        ndcg += dcg / idcg if idcg > 0 else 0
        for i, p in enumerate(ids[:10]):
            if p in rel:
                mrr += 1 / (i + 1)
                break
        rec += len(rel & set(ids[:100])) / len(rel)
print("vector-only (builtin embedder) on homedepot: queries=%d nDCG@10=%.3f MRR@10=%.3f recall@100=%.3f"
      % (n, ndcg / n, mrr / n, rec / n))
print("index build %.1f s, %d queries searched in %.1f s (CLI, k=100)" % (t1 - t0, n, t2 - t1))
PY
