#!/usr/bin/env bash
# Prints the configuration reference (markdown table) from src/core/config_schema.c, the
# single source of truth (a trailing /* comment */ on a schema line becomes its note). README.md embeds it between the "config-reference" markers;
# tests/tools/api-hygiene.sh checks that the README is current.
#   scripts/config-doc.sh            print the table
#   scripts/config-doc.sh --update   rewrite README.md's block in place
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "$@" <<'PY'
import re, sys
src = open("src/core/config_schema.c").read()
rows = re.findall(r'^\s*\{"([a-z_.0-9]+)",\s*ECAI__CFG_([A-Z]+),\s*(NULL|"(?:[^"\\]|\\.)*"),\s*([A-Z_|0-9]+),\s*(NULL|"[^"]*")\},?[ \t]*(?:/\*\s*(.*?)\s*\*/)?',
                  src, re.M)
types = {"STR": "string", "INT": "int", "NUM": "number", "BOOL": "bool", "OBJ": "object", "ARR": "array"}
out = ["| key | type | default | allowed / notes |", "|---|---|---|---|"]
for key, typ, dflt, flags, choices, comment in rows:
    if typ == "SECTION":
        continue
    dflt = "" if dflt == "NULL" else dflt[1:-1].replace('\\"', '"')
    choices = "" if choices == "NULL" else choices[1:-1]
    note = ""
    if "SECRET" in flags:
        note = "secret: never printed or logged"
    if "ENV_OF" in flags:
        note = "name of the environment variable holding `%s`" % choices
        choices = ""
    if choices:
        note = ", ".join(choices.split("|")) + ("; " + note if note else "")
    if comment:
        note = comment + ("; " + note if note else "")
    out.append("| `%s` | %s | %s | %s |" % (key, types[typ], "`%s`" % dflt if dflt else "", note.replace("|", "\\|")))
table = "\n".join(out) + "\n"
if len(sys.argv) > 1 and sys.argv[1] == "--update":
    readme = open("README.md").read()
    b, e = "<!-- config-reference:begin -->\n", "<!-- config-reference:end -->"
    i, j = readme.index(b) + len(b), readme.index(e)
    open("README.md.tmp", "w").write(readme[:i] + table + readme[j:])
    import os; os.replace("README.md.tmp", "README.md")
elif len(sys.argv) > 1 and sys.argv[1] == "--check":
    readme = open("README.md").read()
    sys.exit(0 if table in readme else 1)
else:
    sys.stdout.write(table)
PY
