# ecai learn: learning to rank from judgments (fixture tests/data/ltr_*, tests/data/tools/gen_ltr.py),
# the ranker used by search and eval, a damaged ranker.bin, bad input and exit codes.
# Sourced by tests/cli/run.sh.
d=tests/data
expect_exit 0 "index the learning-to-rank fixture" $ECAI index --catalog $d/ltr_catalog.jsonl --out "$TMP/lidx"
before=$($ECAI eval --index "$TMP/lidx" --queries $d/ltr_check_queries.tsv --labels $d/ltr_check_labels.tsv --json)
out=$($ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels $d/ltr_labels.tsv \
      --options '{"min_queries":5,"rounds":30}' --json)
contains "learn reports what it learnt from" "$out" '"queries":24,"judgments":480,"learnt_from":24'
ok "learn writes ranker.bin" test -s "$TMP/lidx/ranker.bin"
after=$($ECAI eval --index "$TMP/lidx" --queries $d/ltr_check_queries.tsv --labels $d/ltr_check_labels.tsv --json)
ok "unseen check queries rank better after learning" python3 -c "
import json, sys; b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2]); sys.exit(0 if a['ndcg@10'] > b['ndcg@10'] + 0.4 else 1)" "$before" "$after"
out=$($ECAI search --index "$TMP/lidx" --k 1 --json "blue widget kit")
contains "search uses the ranker" "$out" '"learnt":true'
contains "the liked widgets come first" "$out" '{"hits":[{"id":"W-3'
out=$($ECAI search --index "$TMP/lidx" --k 1 --json --options '{"rerank":false}' "blue widget kit")
contains "rerank false switches it off" "$out" '"learnt":false'
out=$($ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels $d/ltr_counts.tsv --counts \
      --options '{"min_queries":5,"rounds":30}')
contains "learn from click counts (text summary)" "$out" 'learnt from 24 of 24 judged queries'
# bad input: exit 2 with one line naming the problem
expect_exit 2 "counts read as grades" $ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels $d/ltr_counts.tsv
printf 'query_id\tproduct_id\tgrade\nt0\tW-30\t3\nq9\tW-31\t3\nq8\tW-31\t3\n' > "$TMP/lbad.tsv"
out=$($ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels "$TMP/lbad.tsv" 2>&1 >/dev/null)
contains "unknown queries are named" "$out" '2 judgment(s)'
contains "unknown queries are listed" "$out" 'q9, q8'
ok "the error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
printf 'query_id\tproduct_id\tgrade\nt0\tW-30\t3\nt1\tW-31\t3\n' > "$TMP/lfew.tsv"
out=$($ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels "$TMP/lfew.tsv" 2>&1 >/dev/null)
contains "too few labelled queries" "$out" 'too few labelled queries to learn from: 2'
: > "$TMP/lempty.tsv"
expect_exit 2 "empty labels file" $ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels "$TMP/lempty.tsv"
expect_exit 2 "missing --labels" $ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv
expect_exit 2 "bad --split" $ECAI learn --index "$TMP/lidx" --queries $d/ltr_queries.tsv --labels $d/ltr_labels.tsv --split odd
expect_exit 0 "learn --help" $ECAI learn --help
# a damaged ranker.bin: search still answers, unlearnt, with a warning on stderr
printf '\x55' | dd of="$TMP/lidx/ranker.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
out=$($ECAI search --index "$TMP/lidx" --k 1 --json "blue widget kit" 2>"$TMP/lwarn")
contains "damaged ranker: unlearnt ranking" "$out" '"learnt":false'
contains "damaged ranker: warning on stderr" "$(cat "$TMP/lwarn")" 'warning: search_open: learnt ranker not used'
