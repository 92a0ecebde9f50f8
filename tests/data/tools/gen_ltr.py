#!/usr/bin/env python3
"""Writes the learning-to-rank fixture tests/data/ltr_{catalog.jsonl,queries.tsv,labels.tsv,
counts.tsv,check_queries.tsv,check_labels.tsv}: 40 "widget" products whose titles all match
the queries; the judges like W-30..W-39 (grade 3) and dislike W-00..W-09 (grade 1), and the
liked ones have long titles, so the unlearnt ranking (BM25 length normalisation) puts them
last: a ranker that learnt from the judgments lifts them on queries it never saw."""
import json, os
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with open(os.path.join(d, "ltr_catalog.jsonl"), "w") as f:
    for i in range(40):
        t = "Blue widget model %02d" % i
        if i >= 30:
            t += " with a steel frame, a spare handle and a storage case"
        f.write(json.dumps({"id": "W-%02d" % i, "title": t, "category": "Tools > Widgets", "brand": "Acme",
                            "price": 10 + i}) + "\n")
    for i in range(10):
        f.write(json.dumps({"id": "H-%02d" % i, "title": "Red garden hose %d m" % (10 + i),
                            "category": "Garden > Hoses", "brand": "Flow", "price": 20 + i}) + "\n")
train = ["blue widget", "widget", "widgets", "blue widgets", "widget model", "blue widget model",
         "acme widget", "widget blue", "a blue widget", "widget for home", "cheap widget", "best widget",
         "widget tool", "blue tool widget", "widget set", "new widget", "widget kit", "strong widget",
         "widget with case", "small widget", "widget pack", "blue widget tool", "widget acme blue",
         "buy widget"]
check = ["widget model blue", "blue widget kit", "widget blue tool", "acme blue widget"]
def write(name, qs, prefix, counts=False):
    with open(os.path.join(d, "ltr_%s_queries.tsv" % name if name else "ltr_queries.tsv"), "w") as f:
        f.write("query_id\tquery\n")
        for i, q in enumerate(qs):
            f.write("%s%d\t%s\n" % (prefix, i, q))
    for kind in (["grades", "counts"] if counts else ["grades"]):
        fn = ("ltr_%s_labels.tsv" % name) if name else ("ltr_labels.tsv" if kind == "grades" else "ltr_counts.tsv")
        with open(os.path.join(d, fn), "w") as f:
            f.write("query_id\tproduct_id\t%s\n" % ("grade" if kind == "grades" else "clicks"))
            for i in range(len(qs)):
                for p in range(40):
                    if p < 10 or p >= 30:
                        v = (3 if p >= 30 else 1) if kind == "grades" else (12 + p % 5 if p >= 30 else 0)
                        f.write("%s%d\tW-%02d\t%s\n" % (prefix, i, p, v))
write("", train, "t", counts=True)
write("check", check, "c")
