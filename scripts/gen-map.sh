#!/usr/bin/env bash
# Generates the linker version script from the public headers: each ECAI_API function
# goes into the version node of its @since tag (ECAI_0.1, ECAI_0.2, ...); later nodes
# inherit from earlier ones, so nodes only ever grow. The headers are the single
# source of truth for what is exported.
#   scripts/gen-map.sh [include-dir] > libecai.map
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
syms=$("$here/api-symbols.sh" "${1:-include}")
if echo "$syms" | awk '$2 == "-"' | grep -q .; then
  echo "gen-map: ECAI_API functions without an @since tag:" >&2
  echo "$syms" | awk '$2 == "-" {print "  " $1}' >&2
  exit 1
fi
prev=
for v in $(echo "$syms" | awk '{print $2}' | sort -t. -k1,1n -k2,2n -u); do
  echo "ECAI_$v {"
  echo "  global:"
  echo "$syms" | awk -v v="$v" '$2 == v {print "    " $1 ";"}' | sort
  if [ -z "$prev" ]; then echo "  local:"; echo "    *;"; echo "};"; else echo "} ECAI_$prev;"; fi
  prev=$v
done
