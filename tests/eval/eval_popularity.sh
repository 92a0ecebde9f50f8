#!/usr/bin/env bash
# Popularity as a ranking feature (search.w_popularity), Home Depot (../shared/data/search/homedepot).
# Home Depot has no orders, so the effect of real popularity cannot be measured here. What is
# measured is a proxy: a product's "popularity" = the number of queries of the TUNE half
# (XXH3 split, as `ecai eval --split`) in which raters judged it relevant (grade > 1), i.e. how
# often shoppers' searches led to it and it was right -- the closest thing to sales in the set,
# and learnt only from queries never scored. Written as a "sku,count" file and given to
# ecai_search_set_popularity_csv; hybrid nDCG@10 on the TEST half for w_popularity 0 (default),
# 0.1, 0.3 and 1.0 (the tune-half figures score the very judgments the proxy came from: they
# only show the leak).
#   tests/eval/eval_popularity.sh      (about 4 min on 2 shared cores)
# Exits 2 when the data is missing; otherwise reports (no target: the issue asks to measure).
# Measured (2 shared cores, 2m45s): 21,846 products with a count; test half 0.4280 at weight 0,
# 0.4230 (-0.005) at 0.1, 0.4159 (-0.012) at 0.3, 0.3927 (-0.035) at 1.0 (tune half 0.421 ->
# 0.510: the leak). So the proxy prior hurts unseen queries and the default weight stays 0.
set -euo pipefail
root=${ECAI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=${ECAI_DATA:-$root/../shared/data}/search/homedepot
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
P=$data/products.tsv Q=$data/queries.tsv L=$data/labels.tsv
for f in "$P" "$Q" "$L"; do [ -f "$f" ] || { echo "eval_popularity: $f not found" >&2; exit 2; }; done
export ECAI_LIBRARY=${ECAI_LIBRARY:-$root/lib/libecai.so.0}
PYTHONPATH=$root/bindings/python:$root/bindings/python/tests python3 - "$P" "$Q" "$L" "$tmp" <<'PY'
import collections, sys
import ecai
from xxh3_ref import xxh3_64
P, Q, L, tmp = sys.argv[1:5]
tune = set()
with open(Q, encoding="utf-8") as f:
    next(f)
    for line in f:
        qid, q = line.rstrip("\n").split("\t")[:2]
        if xxh3_64(q.encode()) % 2 == 0: tune.add(qid)
cnt = collections.Counter()
with open(L) as f:
    next(f)
    for line in f:
        q, p, g = line.rstrip("\n").split("\t")
        if q in tune and float(g) > 1: cnt[p] += 1
with open(tmp + "/pop.csv", "w") as o:
    o.write("sku,count\n")
    for p, n in cnt.items(): o.write("%s,%d\n" % (p, n))
print("popularity proxy: %d products with a count (from %d tune-half queries)" % (len(cnt), len(tune)))
rows = []
for w in (0.0, 0.1, 0.3, 1.0):
    with ecai.Context({"search": {"w_popularity": w}}) as ctx, ecai.Store(ctx) as st:
        st.catalog.load(P)
        st.build()
        with ecai.Search(st) as s:
            got = s.set_popularity(tmp + "/pop.csv")
            r = {h: s.evaluate(Q, L, mode="hybrid", split=h)["ndcg@10"] for h in ("tune", "test")}
            rows.append((w, r["tune"], r["test"]))
            print("w_popularity %.1f: hybrid nDCG@10 tune %.4f, test %.4f  (%d products with a count)" % (w, r["tune"], r["test"], got))
# the tune half scores the very judgments the proxy was counted from (it can only rise there);
# the test half is the measurement
print("test half, change against w_popularity 0: " + ", ".join("%.1f: %+.4f" % (w, te - rows[0][2]) for w, _, te in rows[1:]))
PY
