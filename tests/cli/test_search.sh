# ecai search (modes, options, --queries), ecai eval, ecai bench: contracts and exit codes.
# Sourced by tests/cli/run.sh.
cat=tests/data/search_catalog.jsonl
expect_exit 0 "index the search sample catalog" $ECAI index --catalog $cat --out "$TMP/sidx"
ok "index writes search.bin" test -s "$TMP/sidx/search.bin"
out=$($ECAI search --index "$TMP/sidx" --k 3 --json "sofa")
contains "hybrid search finds a sofa first" "$out" '{"hits":[{"id":"S-'
contains "explanation names the field" "$out" '"why":"title: sofa'
contains "facets are counted" "$out" '"facets":{"category":{"Furniture > Sofas":3'
out=$($ECAI search --index "$TMP/sidx" --k 1 --json "mattres")
contains "typo corrected" "$out" '"corrected":{"mattres":"mattress"}'
contains "corrected query finds a mattress" "$out" '{"hits":[{"id":"M-'
out=$($ECAI search --index "$TMP/sidx" --k 1 --mode bm25 --json "sofaa")
contains "sofaa -> sofa in bm25 mode" "$out" '"corrected":{"sofaa":"sofa"}'
contains "bm25 mode is reported" "$out" '"mode":"bm25"'
out=$($ECAI search --index "$TMP/sidx" --k 5 --json --options '{"filters":{"category":"furniture > sofas","in_stock":true,"price_max":400}}' "sofa")
contains "filters keep the one cheap sofa in stock" "$out" '{"hits":[{"id":"S-2"'
ok "filtered result has exactly one hit" test "$(printf '%s' "$out" | grep -o '"id":' | wc -l)" -eq 1
out=$($ECAI search --index "$TMP/sidx" --k 5 --json --options '{"filters":{"brand":"lumo"}}' "lamp")
contains "brand filter" "$out" '{"hits":[{"id":"L-1"'
out=$($ECAI search --index "$TMP/sidx" --k 3 --json "smartphone charger")
contains "no confident match for an off-catalog query" "$out" '"no_confident_match":true'
out=$($ECAI search --index "$TMP/sidx" --k 3 --json "oak dining table")
contains "confident match for an exact query" "$out" '"no_confident_match":false'
out=$($ECAI search --index "$TMP/sidx" --k 2 --mode vector --json "couch")
contains "vector mode" "$out" '"mode":"vector"'
printf 'query_id\tquery\nq1\tceiling fan\nq2\twool rug\n' > "$TMP/sq.tsv"
out=$($ECAI search --index "$TMP/sidx" --queries "$TMP/sq.tsv" --k 2 --mode hybrid --json)
contains "--queries hybrid line 1" "$out" '{"query_id":"q1","hits":[{"id":"L-2","score":'
contains "--queries hybrid line 2" "$out" '{"query_id":"q2","hits":[{"id":"R-1","score":'
ok "--queries prints 2 lines" test "$(printf '%s\n' "$out" | wc -l)" -eq 2
expect_exit 2 "bad --mode" $ECAI search --index "$TMP/sidx" --mode fuzzy "x"
expect_exit 2 "bad --options" $ECAI search --index "$TMP/sidx" --options '[1]' "x"
expect_exit 2 "unknown filter" $ECAI search --index "$TMP/sidx" --options '{"filters":{"colour":"red"}}' "x"
# the keyword index is verified on open
cp -r "$TMP/sidx" "$TMP/sflip"
printf '\x55' | dd of="$TMP/sflip/search.bin" bs=1 seek=60 conv=notrunc 2>/dev/null
expect_exit 2 "damaged search.bin exits 2" $ECAI search --index "$TMP/sflip" "sofa"
out=$($ECAI search --index "$TMP/sflip" "sofa" 2>&1)
ok "damaged search.bin error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
cp -r "$TMP/sidx" "$TMP/snone"; rm "$TMP/snone/search.bin"
out=$($ECAI search --index "$TMP/snone" --k 1 --json "sofa")
contains "missing search.bin is rebuilt from the catalog" "$out" '{"hits":[{"id":"S-'
# eval
printf 'query_id\tquery\nq1\tsofa\nq2\tmattress\nq3\tunlabelled\n' > "$TMP/eq.tsv"
printf 'query_id\tproduct_id\tgrade\nq1\tS-1\t3\nq1\tS-2\t3\nq1\tS-3\t3\nq2\tM-1\t3\nq2\tM-2\t3\n' > "$TMP/el.tsv"
gzip -c "$TMP/el.tsv" > "$TMP/el.tsv.gz"
for m in bm25 vector hybrid; do
  out=$($ECAI eval --catalog $cat --queries "$TMP/eq.tsv" --labels "$TMP/el.tsv.gz" --mode $m --json)
  contains "eval $m: two labelled queries" "$out" '"queries":2,'
  contains "eval $m reports its mode" "$out" "\"mode\":\"$m\""
done
out=$($ECAI eval --catalog $cat --queries "$TMP/eq.tsv" --labels "$TMP/el.tsv" --mode bm25 --json)
contains "eval bm25 perfect nDCG on the toy set" "$out" '"ndcg@10":1.0000'
contains "eval recall@100" "$out" '"recall@100":1.0000'
# the judged toy set worked out by hand in tests/unit/test_search.c (search_eval_metrics)
out=$($ECAI eval --catalog $cat --queries tests/data/search_eval_queries.tsv --labels tests/data/search_eval_labels.tsv --mode bm25 --json)
contains "eval bm25 hand-computed nDCG@10, MRR@10, recall@100" "$out" \
  '"queries":3,"labelled":4,"ndcg@10":0.7542,"mrr@10":0.8333,"recall@100":0.7778,'
expect_exit 2 "eval missing labels file" $ECAI eval --catalog $cat --queries "$TMP/eq.tsv" --labels "$TMP/absent.tsv" --json
expect_exit 2 "eval without --queries" $ECAI eval --catalog $cat --labels "$TMP/el.tsv" --json
printf 'query_id\tproduct_id\tgrade\nq1\tS-1\n' > "$TMP/bad.tsv"
expect_exit 2 "eval malformed labels" $ECAI eval --catalog $cat --queries "$TMP/eq.tsv" --labels "$TMP/bad.tsv" --json
# bench
out=$($ECAI bench --index "$TMP/sidx" --queries "$TMP/sq.tsv" --json)
contains "bench reports p50" "$out" '"p50_ms":'
contains "bench reports qps" "$out" '"qps":'
expect_exit 2 "bench without --queries" $ECAI bench --index "$TMP/sidx"
