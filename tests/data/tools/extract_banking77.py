#!/usr/bin/env python3
"""Makes tests/data/banking77_sample.tsv: the first 20 questions of each intent of BANKING77 (Casanueva et al.
2020, "Efficient Intent Detection with Dual Sentence Encoders"; CC BY 4.0) as laid out in
../shared/data/support/banking77/questions.tsv (question<TAB>intent), so the semantic-cache
and input-guard tests have real customer paraphrases when the outside data is absent.
usage: extract_banking77.py [DATA_DIR]   (writes the file in place)"""
import os, sys

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "..", "shared", "data")
lines = open(os.path.join(data, "support", "banking77", "questions.tsv"), encoding="utf-8").read().splitlines()
seen = {}
keep = [lines[0]]
for line in lines[1:]:
    intent = line.rsplit("\t", 1)[-1]
    seen[intent] = seen.get(intent, 0) + 1
    if seen[intent] <= 20:
        keep.append(line)
with open(os.path.join(here, "..", "banking77_sample.tsv"), "w", encoding="utf-8") as f:
    f.write("\n".join(keep) + "\n")
print("%d questions" % (len(keep) - 1), file=sys.stderr)
