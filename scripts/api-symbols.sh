#!/usr/bin/env bash
# Lists every function declared with ECAI_API in the public headers, one per line,
# as "NAME SINCE" where SINCE is the @since tag of its doc comment ("-" if none).
#   scripts/api-symbols.sh [include-dir]
set -euo pipefail
dir=${1:-include}
for h in "$dir"/ecai.h "$dir"/ecai/*.h; do
  awk -v file="$h" '
    /@since[ \t]+[0-9]+\.[0-9]+/ { match($0, /@since[ \t]+[0-9]+\.[0-9]+/); s = substr($0, RSTART, RLENGTH); sub(/@since[ \t]+/, "", s); since = s }
    /^[ \t]*#/ { next }
    /ECAI_API/ && !/define/ { decl = ""; collecting = 1 }
    collecting { decl = decl " " $0; if (index(decl, "(")) {
        sub(/\(.*/, "", decl); n = split(decl, w, /[ \t*]+/); name = w[n];
        print name, (since == "" ? "-" : since); since = ""; collecting = 0 } }
    /\*\// && !collecting { }
  ' "$h"
done
