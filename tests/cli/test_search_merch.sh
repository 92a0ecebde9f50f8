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
printf '{"rules":[{"query":"sofa","pin":["T-1"],"hide":["S-3"]}],"synonyms":[{"from":"settee","to":["loveseat"]}]}' > "$TMP/rules.json"
out=$($ECAI search --index "$TMP/midx" --mode bm25 --rules "$TMP/rules.json" "sofa")
ok "--rules: pinned product first, hidden one gone" test "$(printf '%s\n' "$out" | cut -f2 | tr '\n' ' ')" = "T-1 S-2 S-1 "
contains "--rules: why names the rule" "$out" 'pinned by a merchandising rule'
out=$($ECAI search --index "$TMP/midx" --mode bm25 --rules "$TMP/rules.json" --json "settee")
contains "--rules: synonym shown in the why" "$out" 'loveseat (synonym of settee)'
printf '[{"query":"sofa","pin":["S-1"],"hide":["S-1"]}]' > "$TMP/pinhide.json"
out=$($ECAI search --index "$TMP/midx" --rules "$TMP/pinhide.json" "sofa" 2>&1)
contains "--rules: pin and hide of one product is refused" "$out" 'product "S-1" is named twice (hide)'
printf '[{"query":"sofa","hide":["S-2","NOPE"]}]' > "$TMP/badrules.json"
expect_exit 2 "--rules naming an unknown product exits 2" $ECAI search --index "$TMP/midx" --rules "$TMP/badrules.json" "sofa"
out=$($ECAI search --index "$TMP/midx" --rules "$TMP/badrules.json" "sofa" 2>&1)
contains "--rules: the unknown product is named" "$out" '"NOPE"'
expect_exit 2 "--rules: missing file exits 2" $ECAI search --index "$TMP/midx" --rules "$TMP/none.json" "sofa"
expect_exit 0 "index --rules saves the rules" $ECAI index --catalog $cat --out "$TMP/ridx" --rules "$TMP/rules.json"
ok "index --rules writes rules.json" test -s "$TMP/ridx/rules.json"
out=$($ECAI search --index "$TMP/ridx" --mode bm25 "sofa")
ok "saved rules apply on open" test "$(printf '%s\n' "$out" | head -1 | cut -f2)" = "T-1"
expect_exit 2 "index --rules with a bad file exits 2" $ECAI index --catalog $cat --out "$TMP/ridx2" --rules "$TMP/badrules.json"
