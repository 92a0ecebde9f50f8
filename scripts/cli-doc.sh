#!/usr/bin/env bash
# Checks README.md's command-line table against `ecai <command> --help`: every command of
# `ecai --help` has a row, and the long options of a command's --help and of its row are the
# same set (--help itself and quoted examples of other commands aside). Prints each difference; exit 1 when there is one.
#   scripts/cli-doc.sh [ECAI]       (default bin/ecai)
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "${1:-bin/ecai}" <<'PY'
import re, subprocess, sys
ecai = sys.argv[1]
top = subprocess.run([ecai, "--help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z][a-z-]*)\s{2,}", top, re.M)
readme = open("README.md", encoding="utf-8").read()
sec = readme[readme.index("## Command-line tool"):]
sec = sec[:sec.index("\n## ", 3)]
rows = {}
for line in sec.splitlines():
    m = re.match(r"\| `ecai ([a-z][a-z-]*)", line)
    if m:
        rows.setdefault(m.group(1), "")
        rows[m.group(1)] += line.split(" | ")[0]  # the usage cell
opt = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")
bad = 0
for c in cmds:
    h = subprocess.run([ecai, c, "--help"], capture_output=True, text=True).stdout
    h = re.sub(r"'ecai [^']*'", "", h)  # examples of other commands
    want = set(opt.findall(h)) - {"help"}
    if c not in rows:
        print("README: no row for 'ecai %s'" % c); bad += 1; continue
    have = set(opt.findall(rows[c])) - {"help"}
    for o in sorted(want - have):
        print("README: 'ecai %s' row lacks --%s (in its --help)" % (c, o)); bad += 1
    for o in sorted(have - want):
        print("README: 'ecai %s' row names --%s, which its --help does not" % (c, o)); bad += 1
for c in sorted(set(rows) - set(cmds)):
    print("README: row for 'ecai %s', which 'ecai --help' does not list" % c); bad += 1
sys.exit(1 if bad else 0)
PY
