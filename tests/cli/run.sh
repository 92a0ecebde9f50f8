#!/usr/bin/env bash
# Command-line tests: runs every tests/cli/test_*.sh (each sources tests/tools/lib.sh
# assertions through this runner) and prints one summary line.
cd "$(dirname "$0")/../.." || exit 2
. tests/tools/lib.sh
ECAI=${ECAI:-bin/ecai}
DATA=${ECAI_DATA:-../shared/data}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
for t in tests/cli/test_*.sh; do
  echo "# $t"
  . "$t"
done
finish
