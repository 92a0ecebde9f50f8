#!/usr/bin/env python3
"""Makes tests/data/ab_small.csv, a synthetic A/B test laid out like Cookie Cats (userid,
version, sum_gamerounds, retention_1, retention_7; control gate_30), made by the project so the
A/B tests have a twin when the outside data is absent. Prints the reference figures computed
here, independently of libecai (pooled two-proportion z, unpooled 95 % CI, Welch t, SRM
chi-square), which the tests assert.   usage: gen_ab_small.py"""
import math, os, random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261206)
rows = []
for uid in range(1, 4001):
    v = "gate_30" if rng.random() < 0.52 else "gate_40"
    r1 = rng.random() < (0.45 if v == "gate_30" else 0.44)
    r7 = rng.random() < (0.19 if v == "gate_30" else 0.15)
    rounds = int(rng.expovariate(1 / (55 if v == "gate_30" else 50)))
    rows.append((uid, v, rounds, "TRUE" if r1 else "FALSE", "TRUE" if r7 else "FALSE"))
with open(os.path.join(here, "..", "ab_small.csv"), "w") as f:
    f.write("userid,version,sum_gamerounds,retention_1,retention_7\n")
    for r in rows:
        f.write("%d,%s,%d,%s,%s\n" % r)

def phi(z): return 0.5 * math.erfc(-z / math.sqrt(2))

def prop(col):
    n = {v: 0 for v in ("gate_30", "gate_40")}; x = dict(n)
    for r in rows:
        n[r[1]] += 1; x[r[1]] += r[col] == "TRUE"
    p1, p2 = x["gate_30"] / n["gate_30"], x["gate_40"] / n["gate_40"]
    pp = (x["gate_30"] + x["gate_40"]) / (n["gate_30"] + n["gate_40"])
    z = (p2 - p1) / math.sqrt(pp * (1 - pp) * (1 / n["gate_30"] + 1 / n["gate_40"]))
    se = math.sqrt(p1 * (1 - p1) / n["gate_30"] + p2 * (1 - p2) / n["gate_40"])
    d = p2 - p1
    print("%s: n %d %d, rates %.6f %.6f, z %.4f, p %.6f, ci [%.6f, %.6f], lift %.3f%%" % (
        ["", "", "", "retention_1", "retention_7"][col], n["gate_30"], n["gate_40"], p1, p2, z,
        2 * (1 - phi(abs(z))), d - 1.959963984540054 * se, d + 1.959963984540054 * se, 100 * d / p1))
    e = (n["gate_30"] + n["gate_40"]) / 2
    chi = sum((n[v] - e) ** 2 / e for v in n)
    print("srm chi2 %.4f p %.6f" % (chi, math.erfc(math.sqrt(chi / 2))))

def welch():
    a = [r[2] for r in rows if r[1] == "gate_30"]; b = [r[2] for r in rows if r[1] == "gate_40"]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((x - ma) ** 2 for x in a) / (len(a) - 1); vb = sum((x - mb) ** 2 for x in b) / (len(b) - 1)
    print("sum_gamerounds: means %.3f %.3f, welch t %.3f" % (ma, mb, (mb - ma) / math.sqrt(va / len(a) + vb / len(b))))

prop(4); prop(3); welch()
