#!/usr/bin/env bash
# The README's program listings are files that `make check` builds and runs: a line
# `<!-- file: PATH -->` followed by a fenced block means the block is PATH's text, verbatim.
#   scripts/readme-snippets.sh --check    exit 1 (naming the file) when a block differs
#   scripts/readme-snippets.sh --update   rewrite the blocks from the files
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "${1:---check}" <<'PY'
import re, sys
mode = sys.argv[1]
text = open("README.md", encoding="utf-8").read()
pat = re.compile(r"(<!-- file: (\S+) -->\n```(\w*)\n)(.*?)(```\n)", re.S)
bad, n = [], 0
def sub(m):
    global n
    n += 1
    body = open(m.group(2), encoding="utf-8").read()
    if body != m.group(4):
        bad.append(m.group(2))
    return m.group(1) + body + m.group(5)
new = pat.sub(sub, text)
if mode == "--update":
    open("README.md", "w", encoding="utf-8").write(new)
elif bad:
    print("README blocks differ from their files (scripts/readme-snippets.sh --update): " + ", ".join(bad))
    sys.exit(1)
if n == 0:
    print("README has no <!-- file: --> blocks"); sys.exit(1)
PY
