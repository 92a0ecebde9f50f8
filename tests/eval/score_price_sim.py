#!/usr/bin/env python3
"""Scores `ecai price --json` output against a simulator's truth file
(tests/data/tools/sim_shop.py): share of suggestions, estimates within +-0.35 of the
truth among suggested products, 95 % interval coverage among products with an
estimate, hold-back reasons. Usage: score_price_sim.py PRICED.jsonl TRUTH.csv [...]
(pairs). Prints one JSON object; --check exits 1 when a target is missed."""
import csv
import json
import sys
from collections import Counter


def score(pairs):
    n = sug = near = est = cover = 0
    errs, reasons, valid = [], Counter(), Counter()
    for priced, truth_path in pairs:
        truth = {r["product_id"]: r for r in csv.DictReader(open(truth_path))}
        for line in open(priced):
            r = json.loads(line)
            t = truth[r["product"]]
            b = float(t["elasticity"])
            n += 1
            reasons[r["reason"] + (":" + r["reason_detail"] if r.get("reason_detail") else "")] += 1
            valid[r["validation"]["status"]] += 1
            fitted = r["reason"] not in ("thin_data", "few_prices", "low_price_variation", "not_identified")
            if fitted and r["elasticity"] is not None and r["elasticity_ci95"][0] is not None:
                est += 1
                lo, hi = r["elasticity_ci95"]
                cover += lo <= b <= hi
                errs.append(r["elasticity"] - b)
            if r["status"] == "suggest":
                sug += 1
                near += abs(r["elasticity"] - b) <= 0.35
    errs.sort()
    return {
        "products": n,
        "suggested_share": sug / n if n else None,
        "within_035_among_suggested": near / sug if sug else None,
        "estimated": est,
        "ci95_coverage": cover / est if est else None,
        "median_error": errs[len(errs) // 2] if errs else None,
        "reasons": dict(reasons),
        "validation": dict(valid),
    }


def main():
    args = [x for x in sys.argv[1:] if x != "--check"]
    s = score(list(zip(args[0::2], args[1::2])))
    print(json.dumps(s, sort_keys=True))
    if "--check" in sys.argv:
        ok = (s["suggested_share"] or 0) >= 0.40 and (s["within_035_among_suggested"] or 0) >= 0.75 \
            and (s["ci95_coverage"] or 0) >= 0.85
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
