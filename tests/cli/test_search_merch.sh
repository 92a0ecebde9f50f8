# ecai search --prefix (as you type), --rules, sort, paging and highlights (issue 18).
# Sourced by tests/cli/run.sh.
cat=tests/data/search_catalog.jsonl
expect_exit 0 "index the catalog for the merchandising tests" $ECAI index --catalog $cat --out "$TMP/midx"
out=$($ECAI search --index "$TMP/midx" --prefix --k 1 --mode bm25 --json "memory fo")
contains "--prefix completes the last word" "$out" '{"hits":[{"id":"M-1"'
contains "--prefix why shows the prefix" "$out" 'memory, fo*'
out=$($ECAI search --index "$TMP/midx" --k 1 --mode bm25 --options '{"typo":false}' --json "memory fo")
contains "without --prefix 'fo' is no word" "$out" '"why":"title: memory"'
out=$($ECAI search --index "$TMP/midx" --prefix --json "")
contains "--prefix with an empty query: no hits" "$out" '"total":0'
out=$($ECAI search --index "$TMP/midx" --options '{"sort":"price_asc"}' "sofa")
ok "sort price_asc: cheapest sofa first" test "$(printf '%s\n' "$out" | cut -f2 | tr '\n' ' ')" = "S-2 S-1 S-3 "
out=$($ECAI search --index "$TMP/midx" --k 2 --options '{"offset":1,"highlight":true}' --json "sofa")
contains "offset is echoed" "$out" '"offset":1'
contains "highlight marks the title" "$out" '<em>sofa</em>'
out=$($ECAI search --index "$TMP/midx" --options '{"offset":500}' --json "sofa")
contains "offset past the end: no hits" "$out" '"hits":[]'
expect_exit 2 "bad sort" $ECAI search --index "$TMP/midx" --options '{"sort":"cheap"}' "sofa"
