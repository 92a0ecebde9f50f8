#!/usr/bin/env bash
# Semantic cache on BANKING77 (10,003 real support questions, 77 intents): hit rate and
# false-hit rate (false hits / hits) over thresholds, with and without hit verification.
#   bash tests/eval/eval_cache.sh [THRESHOLDS...]      (about 20 s per threshold on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
ECAI=${ECAI:-bin/ecai}
Q=${ECAI_DATA:-../shared/data}/support/banking77/questions.tsv
[ -f "$Q" ] || { echo "eval_cache: $Q not found" >&2; exit 2; }
ths=("$@")
[ ${#ths[@]} -eq 0 ] && ths=(0.80 0.85 0.90 0.93 0.95 0.97 0.98)
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }
printf '%-9s | %-28s | %-28s\n' threshold "verify on: hit%  false%  (n)" "verify off: hit%  false%  (n)"
for t in "${ths[@]}"; do
  tmp=$(mktemp)
  $ECAI eval-cache --questions "$Q" --threshold "$t" --no-verify --json > "$tmp" &  # the two runs in parallel
  on=$($ECAI eval-cache --questions "$Q" --threshold "$t" --verify --json)
  wait
  off=$(cat "$tmp"); rm -f "$tmp"
  printf '%-9s | %6.2f  %6.2f  (%4d/%4d)   | %6.2f  %6.2f  (%4d/%4d)\n' "$t" \
    "$(awk -v x="$(field hit_rate "$on")" 'BEGIN{print 100*x}')" \
    "$(awk -v x="$(field false_hit_rate "$on")" 'BEGIN{print 100*x}')" \
    "$(field false_hits "$on")" "$(field hits "$on")" \
    "$(awk -v x="$(field hit_rate "$off")" 'BEGIN{print 100*x}')" \
    "$(awk -v x="$(field false_hit_rate "$off")" 'BEGIN{print 100*x}')" \
    "$(field false_hits "$off")" "$(field hits "$off")"
done
