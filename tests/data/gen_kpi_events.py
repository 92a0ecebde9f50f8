#!/usr/bin/env python3
"""Writes tests/data/kpi_events.csv.gz: a synthetic, deterministic KPI event log for
`ecai report` (demo and tests), generated with a known ground truth.

- 8,000 visitors arrive uniformly over 2024-05-01 .. 2024-05-28 and are assigned by the
  libecai rule (XXH3 of "checkout-redesign-1" 0x00 unit; pure Python here) to control /
  new_checkout, 50/50.
- 40 % add to cart; a cart becomes an order with p = 0.30 (control) or 0.40
  (new_checkout): true conversion 0.12 vs 0.16 per visitor. Order values ~ lognormal(3.6, 0.5).
- 6 % of visitors open a support ticket. The support bot launches on 2024-05-15: before,
  every ticket is escalated; from then on, the bot answers 70 % of tickets and only
  30 % are escalated (true deflection 0.70). The before/after report around
  --launch-date 2024-05-15 shows it.
Run: python3 tests/data/gen_kpi_events.py  (rewrites the file; output is byte-stable).
"""
import gzip
import io
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python", "tests"))
import xxh3_ref  # noqa: E402



def iso(s):
    d, r = divmod(s, 86400)  # all dates fall in May 2024 (day 19844 = 2024-05-01)
    return "2024-05-%02dT%02d:%02d:%02d" % (1 + d - 19844, r // 3600, r % 3600 // 60, r % 60)


rng = random.Random(20240501)
rows = ["ts,unit,variant,event,value"]
start = 1714521600  # 2024-05-01T00:00Z
launch = 1715731200  # 2024-05-15T00:00Z
for i in range(8000):
    unit = "v%05d" % i
    variant = "control" if xxh3_ref.hash_point("checkout-redesign-1", unit) < 0.5 else "new_checkout"
    t = start + int(rng.random() * 28 * 86400)
    rows.append("%s,%s,%s,exposure," % (iso(t), unit, variant))
    if rng.random() < 0.40:
        rows.append("%s,%s,%s,add_to_cart," % (iso(t + 60), unit, variant))
        if rng.random() < (0.30 if variant == "control" else 0.40):
            rows.append("%s,%s,%s,order,%.2f" % (iso(t + 300), unit, variant, math.exp(rng.gauss(3.6, 0.5))))
    if rng.random() < 0.06:
        rows.append("%s,%s,%s,ticket_opened," % (iso(t + 600), unit, variant))
        if t >= launch and rng.random() < 0.70:
            rows.append("%s,%s,%s,ticket_bot_answered," % (iso(t + 610), unit, variant))
        else:
            rows.append("%s,%s,%s,ticket_escalated," % (iso(t + 900), unit, variant))
buf = io.BytesIO()
with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
    gz.write(("\n".join(rows) + "\n").encode())
open(os.path.join(HERE, "kpi_events.csv.gz"), "wb").write(buf.getvalue())
print("wrote %d events" % (len(rows) - 1))
