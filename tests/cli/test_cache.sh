# ecai eval-cache: contract, verification effect, input errors. Sourced by tests/cli/run.sh.
Q=tests/data/cache_questions.tsv
out=$($ECAI eval-cache --questions $Q --threshold 0.7 --verify --json)
contains "eval-cache --json prints lookups" "$out" '"lookups":10,'
contains "eval-cache: paraphrases hit (2 of 10)" "$out" '"hits":2,'
contains "eval-cache: verification leaves no false hit" "$out" '"false_hits":0,'
contains "eval-cache prints hit_rate" "$out" '"hit_rate":0.200000'
contains "eval-cache prints false_hit_rate" "$out" '"false_hit_rate":0.000000'
contains "eval-cache prints false_hits_per_lookup" "$out" '"false_hits_per_lookup":'
contains "eval-cache echoes the threshold" "$out" '"threshold":0.7'
# (0.65: with stemmed question vectors enable/disable are 0.68 apart, 1234/1235 0.63)
out=$($ECAI eval-cache --questions $Q --threshold 0.65 --no-verify --json)
contains "eval-cache --no-verify serves negated/renumbered questions" "$out" '"false_hits":2,'
contains "eval-cache --no-verify: false_hit_rate = false_hits/hits" "$out" '"false_hit_rate":0.500000'
out=$($ECAI eval-cache --questions $Q --json)
contains "eval-cache default threshold comes from cache.semantic_threshold" "$out" '"verify":true'
out=$($ECAI eval-cache --help)
contains "eval-cache --help defines false_hit_rate" "$out" "false_hit_rate = false_hits/hits"
expect_exit 2 "eval-cache without --questions exits 2" $ECAI eval-cache --json
expect_exit 2 "eval-cache with a missing file exits 2" $ECAI eval-cache --questions "$TMP/none.tsv"
printf 'text\tlabel\nx\ty\n' > "$TMP/badhdr.tsv"
expect_exit 2 "eval-cache with a wrong header exits 2" $ECAI eval-cache --questions "$TMP/badhdr.tsv"
out=$($ECAI eval-cache --questions "$TMP/badhdr.tsv" 2>&1)
ok "eval-cache error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
expect_exit 2 "eval-cache with a threshold out of range exits 2" $ECAI eval-cache --questions $Q --threshold 2
expect_exit 2 "eval-cache with a non-numeric threshold exits 2" $ECAI eval-cache --questions $Q --threshold abc
l0=$($ECAI eval-cache --questions $Q --sample 0/2 --json | sed -E 's/.*"lookups":([0-9]+).*/\1/')
l1=$($ECAI eval-cache --questions $Q --sample 1/2 --json | sed -E 's/.*"lookups":([0-9]+).*/\1/')
ok "eval-cache --sample 0/2 and 1/2 split the questions ($l0 + $l1 = 10)" test $((l0 + l1)) -eq 10
ok "eval-cache --sample: both halves are used" test "$l0" -gt 0 -a "$l1" -gt 0
expect_exit 2 "eval-cache --sample K/M with K >= M exits 2" $ECAI eval-cache --questions $Q --sample 2/2
expect_exit 2 "eval-cache --sample without a slash exits 2" $ECAI eval-cache --questions $Q --sample 3
# Real paraphrases: the first 3,000 BANKING77 questions (the full file is run by
# tests/eval/eval_cache.sh), and the committed extract tests/data/banking77_sample.tsv
# (20 questions of each of the 77 intents) that runs everywhere.
b77_checks() { # LABEL FILE LOOKUPS MIN_HIT_RATE
  out=$($ECAI eval-cache --questions "$2" --json)
  contains "eval-cache on $1 ($3 questions) runs" "$out" "\"lookups\":$3,"
  fr=$(sed -E 's/.*"false_hit_rate":([0-9.]+).*/\1/' <<<"$out")
  hr=$(sed -E 's/.*"hit_rate":([0-9.]+).*/\1/' <<<"$out")
  ok "$1: false-hit rate <= 1 % at the default threshold ($fr)" awk -v x="$fr" 'BEGIN{exit !(x <= 0.01)}'
  ok "$1: some hits at the default threshold ($hr > $4)" awk -v x="$hr" -v m="$4" 'BEGIN{exit !(x > m)}'
}
B=$DATA/support/banking77/questions.tsv
if have_data "eval-cache on BANKING77" "$B"; then
  head -n 3001 "$B" > "$TMP/b77.tsv"
  b77_checks "BANKING77 subset" "$TMP/b77.tsv" 3000 0
fi
b77_checks "the BANKING77 extract" tests/data/banking77_sample.tsv 1540 0
# the default serves repeats only (cache.semantic_threshold 1.0); an opt-in threshold
# serves paraphrases, still without a false hit on the extract
out=$($ECAI eval-cache --questions tests/data/banking77_sample.tsv --threshold 0.88 --json)
hr=$(sed -E 's/.*"hit_rate":([0-9.]+).*/\1/' <<<"$out")
ok "the BANKING77 extract at threshold 0.88: more hits than at the default ($hr > 0.003)" awk -v x="$hr" 'BEGIN{exit !(x > 0.003)}'
contains "the BANKING77 extract at threshold 0.88: no false hit" "$out" '"false_hits":0,'
out=$($ECAI eval-cache --questions tests/data/banking77_sample.tsv --half check --json)
contains "eval-cache --half check replays the odd-hash half" "$out" '"lookups":775,'
out=$($ECAI eval-cache --questions tests/data/banking77_sample.tsv --half check --warm-half tune --json)
contains "eval-cache --warm-half stores the other half without counting it" "$out" '"lookups":775,'
err=$($ECAI eval-cache --questions tests/data/banking77_sample.tsv --half middle 2>&1 >/dev/null)
contains "eval-cache --half refuses other names" "$err" "--half must be tune or check"
