#!/usr/bin/env python3
"""Makes tests/data/retail_small.csv.gz: a small extract of UCI Online Retail (Chen, Sain,
Guo 2012; DOI 10.24432/C5BW33; CC BY 4.0) as laid out in ../shared/data/recommend/online_retail:
every invoice line of every 60th stock code (sorted), plus the POST (postage) lines, so the
pricing tests have real price/quantity histories and a non-product code when the outside data
is absent.   usage: extract_retail.py [DATA_DIR] > /dev/null  (writes the file in place)"""
import csv, gzip, io, os, sys

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "..", "shared", "data")
src = os.path.join(data, "recommend", "online_retail", "transactions.csv.gz")
rows = list(csv.reader(io.TextIOWrapper(gzip.open(src), encoding="utf-8")))
head, body = rows[0], rows[1:]
codes = sorted({r[1] for r in body})
keep = set(codes[::60]) | {"POST"}
out = io.StringIO()
w = csv.writer(out, lineterminator="\n")
w.writerow(head)
n = 0
for r in body:
    if r[1] in keep:
        w.writerow(r)
        n += 1
dst = os.path.join(here, "..", "retail_small.csv.gz")
with gzip.GzipFile(dst, "wb", mtime=0) as f:
    f.write(out.getvalue().encode("utf-8"))
print("%d lines, %d stock codes" % (n, len(keep)), file=sys.stderr)
