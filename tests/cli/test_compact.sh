# ecai compact: a published store's live updates folded into a new version, published; the
# old version's journal is sealed so no update is lost; bad input leaves the link alone.
cat=tests/data/search_catalog.jsonl
cheap='{"filters":{"price_max":300}}'
expect_exit 0 "compact: index and publish v1" $ECAI index --catalog $cat --out "$TMP/cv1" --publish "$TMP/cur"
expect_exit 0 "compact: update a price through the link" $ECAI update --index "$TMP/cur" --sku S-1 --set '{"price":199}'
expect_exit 0 "compact: update a title through the link" $ECAI update --index "$TMP/cur" --sku T-2 --set '{"title":"Brass side table"}'
out=$($ECAI compact --link "$TMP/cur" --out "$TMP/cv2")
contains "compact says what it did" "$out" "compacted the updates of $(cd "$TMP/cv1" && pwd -P) into $TMP/cv2"
ok "compact: the link now points at the new version" test "$(readlink "$TMP/cur")" = "$(cd "$TMP/cv2" && pwd -P)"
ok "compact: the new version has no journal" test ! -e "$TMP/cv2/updates.journal"
ok "compact: the new version has its search index" test -s "$TMP/cv2/search.bin"
out=$($ECAI search --index "$TMP/cv2" --k 10 --json --options "$cheap" sofa)
contains "compact: the new version holds the price update" "$out" '"id":"S-1"'
out=$($ECAI search --index "$TMP/cv2" --k 10 --json --options '{"mode":"bm25"}' brass)
contains "compact: the new version's keyword index holds the title update" "$out" '"id":"T-2"'
out=$($ECAI update --index "$TMP/cv1" --sku S-2 --set '{"price":1}' 2>&1)
contains "compact: an update through the old version is refused (sealed)" "$out" "is sealed"
expect_exit 0 "compact: updates go to the new version" $ECAI update --index "$TMP/cur" --sku S-2 --set '{"price":5}'
# bad input: nothing published, nothing sealed
expect_exit 2 "compact: an existing --out folder is refused" $ECAI compact --link "$TMP/cur" --out "$TMP/cv1"
expect_exit 2 "compact: a folder instead of a link is refused" $ECAI compact --link "$TMP/cv2" --out "$TMP/cv3"
expect_exit 2 "compact: a missing link is refused" $ECAI compact --link "$TMP/nolink" --out "$TMP/cv3"
expect_exit 2 "compact: --out is required" $ECAI compact --link "$TMP/cur"
mkdir -p "$TMP/ro" && ln -s "$TMP/cv2" "$TMP/cur2"
chmod 555 "$TMP/ro"
if [ "$(id -u)" -ne 0 ]; then
  expect_exit 3 "compact: a folder that cannot be written fails" $ECAI compact --link "$TMP/cur2" --out "$TMP/ro/v3"
fi
printf 'x' >"$TMP/notdir"
out=$($ECAI compact --link "$TMP/cur2" --out "$TMP/notdir/v3" 2>&1); rc=$?
ok "compact: a save that fails exits non-zero" test "$rc" -ne 0
ok "compact: after a failed save the link is unchanged" test "$(readlink "$TMP/cur2")" = "$TMP/cv2"
expect_exit 0 "compact: after a failed save the journal is unsealed (updates work)" $ECAI update --index "$TMP/cur2" --sku S-3 --set '{"price":7}'
chmod 755 "$TMP/ro"
