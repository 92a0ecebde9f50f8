#!/usr/bin/env python3
"""Simulated A/B/n data and reference figures computed without libecai (standard library only).

  ab_reference.py gen OUT.csv [--variants A,B,C,D] [--n 5000] [--effect D=0.3] [--rho 0.7]
                  [--looks 10] [--kind mean|prop] [--seed 1] [--missing 0.01]
      one row per unit: unit,variant,y,pre,look. mean: y = 50 + 15 (rho z + sqrt(1-rho^2) e)
      (+ effect); pre = 100 + 20 z (the pre-period covariate, correlation rho with y);
      prop: y ~ Bernoulli(0.10 + effect). look = 1..looks in order of arrival. A fraction
      --missing of the covariates is left empty.
  ab_reference.py ref IN.csv [--kind mean|prop] [--covariate pre] [--control A]
      prints JSON: comparisons [{variant, diff, p_value, p_adjusted}] (Holm), and with a
      covariate cuped {theta, variance_reduction} with the adjusted diffs. p-values are
      normal (z) p-values: exact for the proportion z-test, within ~1e-4 of Welch's t for
      thousands of units.
"""
import argparse, csv, json, math, random, sys


def gen(a):
    rnd = random.Random(a.seed)
    eff = {}
    for e in filter(None, a.effect.split(",")):
        k, v = e.split("=")
        eff[k] = float(v)
    vs = a.variants.split(",")
    total = a.n * len(vs)
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unit", "variant", "y", "pre", "look"])
        for u in range(total):
            v = vs[rnd.randrange(len(vs))]
            z = rnd.gauss(0, 1)
            if a.kind == "prop":
                y = "1" if rnd.random() < 0.10 + eff.get(v, 0) else "0"
            else:
                y = "%.6f" % (50 + 15 * (a.rho * z + math.sqrt(1 - a.rho ** 2) * rnd.gauss(0, 1)) + eff.get(v, 0))
            pre = "" if rnd.random() < a.missing else "%.6f" % (100 + 20 * z)
            w.writerow(["u%d" % u, v, y, pre, 1 + u * a.looks // total])


def mean_var(x):
    m = sum(x) / len(x)
    return m, sum((t - m) ** 2 for t in x) / (len(x) - 1)


def holm(p):
    order = sorted(range(len(p)), key=lambda i: p[i])
    adj, run = [0.0] * len(p), 0.0
    for k, i in enumerate(order):
        run = max(run, min(1.0, (len(p) - k) * p[i]))
        adj[i] = run
    return adj


def ref(a):
    rows = list(csv.DictReader(open(a.inp)))
    y = {}
    xs = [float(r[a.covariate]) for r in rows if a.covariate and r[a.covariate] != ""]
    theta = vr = None
    if a.covariate:
        mx = sum(xs) / len(xs)
        pairs = [(float(r["y"]), float(r[a.covariate])) for r in rows if r[a.covariate] != ""]
        my = sum(p[0] for p in pairs) / len(pairs)
        theta = sum((p[0] - my) * (p[1] - mx) for p in pairs) / sum((p[1] - mx) ** 2 for p in pairs)
    raw = {}
    for r in rows:
        v = float(r["y"])
        raw.setdefault(r["variant"], []).append(v)
        if a.covariate and r[a.covariate] != "":
            v -= theta * (float(r[a.covariate]) - mx)
        y.setdefault(r["variant"], []).append(v)
    names = sorted(y)
    ctl = a.control or names[0]
    others = [n for n in names if n != ctl]
    out, ps = [], []
    for n in others:
        if a.kind == "prop" and not a.covariate:
            xa, na, xb, nb = sum(y[ctl]), len(y[ctl]), sum(y[n]), len(y[n])
            pp = (xa + xb) / (na + nb)
            d = xb / nb - xa / na
            z = d / math.sqrt(pp * (1 - pp) * (1 / na + 1 / nb))
        else:
            (ma, va), (mb, vb) = mean_var(y[ctl]), mean_var(y[n])
            d = mb - ma
            z = d / math.sqrt(va / len(y[ctl]) + vb / len(y[n]))
        p = math.erfc(abs(z) / math.sqrt(2))
        ps.append(p)
        out.append({"variant": n, "diff": d, "p_value": p})
    for o, pa in zip(out, holm(ps)):
        o["p_adjusted"] = pa
    doc = {"control": ctl, "comparisons": out}
    if a.covariate:
        first = others[0]
        se2 = lambda g: mean_var(g[ctl])[1] / len(g[ctl]) + mean_var(g[first])[1] / len(g[first])
        doc["cuped"] = {"theta": theta, "variance_reduction": 1 - se2(y) / se2(raw)}
    print(json.dumps(doc))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("out")
    g.add_argument("--variants", default="A,B")
    g.add_argument("--n", type=int, default=5000)
    g.add_argument("--effect", default="")
    g.add_argument("--rho", type=float, default=0.7)
    g.add_argument("--looks", type=int, default=10)
    g.add_argument("--kind", choices=["mean", "prop"], default="mean")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--missing", type=float, default=0.0)
    r = sub.add_parser("ref")
    r.add_argument("inp")
    r.add_argument("--kind", choices=["mean", "prop"], default="mean")
    r.add_argument("--covariate", default=None)
    r.add_argument("--control", default=None)
    a = ap.parse_args()
    gen(a) if a.cmd == "gen" else ref(a)


if __name__ == "__main__":
    sys.exit(main())
