# ecai update: live changes of a saved store seen by the next search (another process), bad input.
cat=tests/data/search_catalog.jsonl
expect_exit 0 "index the search fixture" $ECAI index --catalog $cat --out "$TMP/upd"
cheap='{"filters":{"price_max":300}}'
out=$($ECAI search --index "$TMP/upd" --k 10 --json --options "$cheap" sofa)
ok "before: S-1 (499) is not under 300" test -z "$(printf '%s' "$out" | grep -F '"id":"S-1"')"
out=$($ECAI update --index "$TMP/upd" --sku S-1 --set '{"price":199}')
contains "update prints what it did" "$out" "updated 1 product in $TMP/upd"
ok "the journal was written" test -s "$TMP/upd/updates.journal"
out=$($ECAI search --index "$TMP/upd" --k 10 --json --options "$cheap" sofa)
contains "after: S-1 at 199 is under 300" "$out" '"id":"S-1"'
printf '{"id":"S-2","price":999}\n\n{"id":"T-2","title":"Brass side table"}\n' >"$TMP/upd.jsonl"
out=$($ECAI update --index "$TMP/upd" --file "$TMP/upd.jsonl")
contains "--file applies every line" "$out" "updated 2 products"
out=$($ECAI search --index "$TMP/upd" --k 10 --json --options '{"mode":"bm25"}' brass)
contains "a title change is found by keyword search" "$out" '"id":"T-2"'
# bad input: exit 2, one line naming the cause, nothing applied
expect_exit 2 "unknown SKU exits 2" $ECAI update --index "$TMP/upd" --sku NOPE --set '{"price":1}'
out=$($ECAI update --index "$TMP/upd" --sku NOPE --set '{"price":1}' 2>&1 >/dev/null)
contains "unknown SKU is named" "$out" "no product with SKU 'NOPE'"
expect_exit 2 "negative price exits 2" $ECAI update --index "$TMP/upd" --sku S-1 --set '{"price":-5,"title":"x"}'
expect_exit 2 "unknown field exits 2" $ECAI update --index "$TMP/upd" --sku S-1 --set '{"colour":"red"}'
expect_exit 2 "NaN exits 2" $ECAI update --index "$TMP/upd" --sku S-1 --set '{"price":NaN}'
out=$($ECAI search --index "$TMP/upd" --k 10 --json --options "$cheap" sofa)
contains "after the refused updates S-1 is still at 199" "$out" '"id":"S-1"'
printf '{"id":"S-3","price":5}\n{"id":"S-3","price":"x"}\n{"id":"S-1","price":700}\n' >"$TMP/bad.jsonl"
out=$($ECAI update --index "$TMP/upd" --file "$TMP/bad.jsonl" 2>&1)
contains "--file names the bad line" "$out" "bad.jsonl:2"
contains "--file stops there, earlier lines applied" "$out" "updated 1 product"
out=$($ECAI search --index "$TMP/upd" --k 10 --json --options "$cheap" sofa)
contains "the line after the bad one was not applied (S-1 still 199)" "$out" '"id":"S-1"'
expect_exit 2 "--sku without --set is a usage error" $ECAI update --index "$TMP/upd" --sku S-1
expect_exit 2 "a missing store exits 2" $ECAI update --index "$TMP/absent" --sku S-1 --set '{"price":1}'
