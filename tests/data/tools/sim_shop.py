#!/usr/bin/env python3
"""Seeded simulator of a shop's order export with known price elasticities.

Each product has a constant elasticity b (uniform in [--b-min, --b-max]) and a base
order rate at its starting list price. The list price moves every 20-45 days by up to
+-15 % (within 0.7..1.4 x the start). Orders per day are Poisson with mean
  rate * (list/list0)^b * weekday factor * trend * (1 + season * sin(2 pi day/365 + phase)).
A share of the orders (--wholesale) are wholesale orders of 12-60 units at 85 % of the
list price, the rest 1-3 units at the list price. One line per order; no segment column
unless --segment-column (then "retail"/"wholesale"). Products listed by --fixed-list
never change their list price (only the tier price differs): their elasticity cannot
be identified.

Writes the history CSV (product_id,date,price,quantity[,segment]) to --out and the truth
(product_id,elasticity,identifiable) to --truth. Same seed, same files.
"""
import argparse
import datetime
import math
import random


def poisson(rng, lam):
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    l, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= l:
            return k
        k += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--products", type=int, default=60)
    ap.add_argument("--days", type=int, default=360)
    ap.add_argument("--b-min", type=float, default=-2.5)
    ap.add_argument("--b-max", type=float, default=-0.5)
    ap.add_argument("--rate-min", type=float, default=2.0, help="orders per day at the start price")
    ap.add_argument("--rate-max", type=float, default=12.0)
    ap.add_argument("--wholesale", type=float, default=0.2)
    ap.add_argument("--season", type=float, default=0.2, help="amplitude of the yearly season")
    ap.add_argument("--fixed-list", type=int, default=0, help="products (the last ones) with a fixed list price")
    ap.add_argument("--segment-column", action="store_true")
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    start = datetime.date(2024, 1, 1)
    weekday = [rng.uniform(0.8, 1.2) for _ in range(7)]
    with open(a.out, "w") as out, open(a.truth, "w") as truth:
        out.write("product_id,date,price,quantity" + (",segment" if a.segment_column else "") + "\n")
        truth.write("product_id,elasticity,identifiable\n")
        for i in range(a.products):
            pid = "S%03d" % i
            b = rng.uniform(a.b_min, a.b_max)
            list0 = round(rng.uniform(3, 40), 2)
            rate = rng.uniform(a.rate_min, a.rate_max)
            trend = rng.uniform(-0.3, 0.3)
            phase = rng.uniform(0, 2 * math.pi)
            fixed = i >= a.products - a.fixed_list
            truth.write("%s,%.6f,%d\n" % (pid, b, 0 if fixed else 1))
            price, next_change = list0, rng.randint(20, 45)
            for d in range(a.days):
                if d == next_change and not fixed:
                    price = round(min(1.4 * list0, max(0.7 * list0, price * (1 + rng.uniform(-0.15, 0.15)))), 2)
                    next_change = d + rng.randint(20, 45)
                day = start + datetime.timedelta(days=d)
                lam = rate * (price / list0) ** b * weekday[day.weekday()] * math.exp(trend * d / a.days)
                lam *= 1 + a.season * math.sin(2 * math.pi * d / 365 + phase)
                for _ in range(poisson(rng, lam)):
                    if rng.random() < a.wholesale:
                        q, pr, seg = rng.randint(12, 60), round(0.85 * price, 2), "wholesale"
                    else:
                        q, pr, seg = rng.choice((1, 1, 1, 2, 2, 3)), price, "retail"
                    out.write("%s,%s,%.2f,%d%s\n" % (pid, day.isoformat(), pr, q, "," + seg if a.segment_column else ""))


if __name__ == "__main__":
    main()
