# ecai index / ecai search: contracts, exit codes, damaged folders. Sourced by tests/cli/run.sh.
small=tests/data/catalog_small.tsv
expect_exit 0 "index a small TSV without --columns" $ECAI index --catalog $small --out "$TMP/idx"
out=$($ECAI search --index "$TMP/idx" --k 2 --json "copper pipe")
contains "search --json has hits" "$out" '{"hits":[{"id":"3","score":'
contains "search --json has titles" "$out" '"title":"1/2 in. copper pipe 10 ft"'
out=$($ECAI search --index "$TMP/idx" --k 1 "hammer")
contains "search text output" "$out" "Hammer 16 oz"
expect_exit 0 "index CSV with --columns and HNSW" $ECAI index --catalog tests/data/catalog_small.csv --format csv \
  --columns id=sku,title=name,description=desc,category=cat --index-type HNSW32 --out "$TMP/idx2"
out=$($ECAI search --index "$TMP/idx2" --k 1 --json "grey couch")
contains "CSV index finds the sofa" "$out" '"id":"A-1"'
expect_exit 0 "index JSONL" $ECAI index --catalog tests/data/catalog_small.jsonl --out "$TMP/idx3"
printf 'query_id\tquery\nq1\tceiling fan\nq2\twool rug\n' > "$TMP/q.tsv"
out=$($ECAI search --index "$TMP/idx3" --queries "$TMP/q.tsv" --k 1 --json)
contains "--queries prints one line per query" "$out" '{"query_id":"q1","hits":[{"id":"42","score":'
contains "--queries second query" "$out" '{"query_id":"q2","hits":[{"id":"J-1"'
ok "--queries output has 2 lines" test "$(printf '%s\n' "$out" | wc -l)" -eq 2
# bad input
printf 'id,title,price\n1,ok,1\n2,bad,abc\n' > "$TMP/bad.csv"
expect_exit 2 "malformed catalog exits 2" $ECAI index --catalog "$TMP/bad.csv" --out "$TMP/nope"
out=$($ECAI index --catalog "$TMP/bad.csv" --out "$TMP/nope" 2>&1)
contains "malformed row names file and line" "$out" "bad.csv:3:"
ok "catalog error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
expect_exit 0 "--lenient skips the bad row" $ECAI index --catalog "$TMP/bad.csv" --lenient --out "$TMP/len"
expect_exit 2 "missing --out is a usage error" $ECAI index --catalog $small
expect_exit 2 "bad --format" $ECAI index --catalog $small --format xml --out "$TMP/x"
expect_exit 2 "bad --index-type" $ECAI index --catalog $small --index-type Bogus9 --out "$TMP/x"
expect_exit 2 "missing index folder exits 2" $ECAI search --index "$TMP/absent" "x"
out=$($ECAI search --index "$TMP/absent" "x" 2>&1)
ok "missing folder error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
cp -r "$TMP/idx" "$TMP/trunc"
truncate -s -10 "$TMP/trunc/index.bin"
expect_exit 2 "truncated index exits 2" $ECAI search --index "$TMP/trunc" "x"
out=$($ECAI search --index "$TMP/trunc" "x" 2>&1)
ok "truncated error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
contains "truncated error says so" "$out" "truncated"
cp -r "$TMP/idx" "$TMP/flip"
printf '\x55' | dd of="$TMP/flip/catalog.bin" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_exit 2 "corrupted catalog exits 2" $ECAI search --index "$TMP/flip" "x"
out=$($ECAI search --index "$TMP/flip" "x" 2>&1)
contains "corruption is reported" "$out" "damaged"
expect_exit 2 "search without a query" $ECAI search --index "$TMP/idx"
# the real Home Depot catalog end to end (54,667 products, a few seconds); its twin is the
# sample shop catalog (examples/data/catalog.tsv) indexed and searched the same way
hd_checks() { # LABEL CATALOG QUERY WANT
  expect_exit 0 "index $1" $ECAI index --catalog "$2" --out "$TMP/hd"
  out=$($ECAI search --index "$TMP/hd" --k 5 --json "$3")
  contains "$1: search '$3' finds '$4'" "$out" "$4"
  rm -rf "$TMP/hd"
}
if have_data "index the Home Depot catalog" "$DATA/search/homedepot/products.tsv"; then
  hd_checks "homedepot products.tsv" "$DATA/search/homedepot/products.tsv" "cordless drill" "Drill"
fi
hd_checks "the sample shop catalog" examples/data/catalog.tsv "espresso machine" "espresso machine"

# --- publishing: ecai index --publish LINK / ecai publish --store DIR --link LINK
P=$TMP/pub
mkdir -p "$P"
printf 'id,title\nV1-1,blue widget one\nV1-2,blue widget two\n' > "$P/a.csv"
printf 'id,title\nV2-1,blue widget alpha\nV2-2,blue widget beta\nV2-3,blue widget gamma\n' > "$P/b.csv"
expect_exit 0 "index --publish builds and publishes" $ECAI index --catalog "$P/a.csv" --out "$P/v1" --publish "$P/current"
ok "the published link points at the new folder" test "$(readlink "$P/current")" = "$(cd "$P/v1" && pwd -P)"
out=$($ECAI search --index "$P/current" --k 5 "widget")
contains "search through the link serves version 1" "$out" "V1-1"
$ECAI index --catalog "$P/b.csv" --out "$P/v2" >/dev/null
cp -r "$P/v2" "$P/half" && rm "$P/half/index.bin"
expect_exit 2 "a half-copied folder is refused" $ECAI publish --store "$P/half" --link "$P/current"
cp -r "$P/v2" "$P/bad" && printf 'x' | dd of="$P/bad/catalog.bin" bs=1 seek=40 conv=notrunc 2>/dev/null
out=$($ECAI publish --store "$P/bad" --link "$P/current" 2>&1)
contains "a damaged folder is refused, saying why" "$out" "refusing to publish"
ok "after refusals the link still serves version 1" test "$(readlink "$P/current")" = "$(cd "$P/v1" && pwd -P)"
expect_exit 2 "publish to a missing folder is refused" $ECAI publish --store "$P/none" --link "$P/current"
mkdir "$P/realdir"
expect_exit 2 "a real folder in place of the link is never replaced" $ECAI publish --store "$P/v2" --link "$P/realdir"
expect_exit 2 "publish without --link is a usage error" $ECAI publish --store "$P/v2"
expect_exit 0 "publish switches to version 2" $ECAI publish --store "$P/v2" --link "$P/current"
out=$($ECAI search --index "$P/current" --k 5 "widget")
contains "search through the link serves version 2" "$out" "V2-3"
# 20 publishes while searches run through the link: every answer is complete and from one version
( for i in $(seq 1 20); do
    $ECAI publish --store "$P/v$((1 + i % 2))" --link "$P/current" >/dev/null || echo "publish $i failed"
  done ) > "$P/publish.log" 2>&1 &
bad=0; n=0
for i in $(seq 1 40); do
  out=$($ECAI search --index "$P/current" --k 5 --json "widget" 2>&1) || { bad=$((bad+1)); continue; }
  n=$((n+1))
  ids=$(printf '%s' "$out" | grep -o '"id":"V[12]-[0-9]"' | sort -u | tr '\n' ' ')
  case "$ids" in
    *V1-*V2-*|*V2-*V1-*) bad=$((bad+1)) ;;  # a mixed answer
    *V1-1*V1-2*|*V2-1*V2-2*V2-3*) ;;
    *) bad=$((bad+1)) ;;                   # an incomplete answer
  esac
done
wait
ok "20 publishes under 40 searches: every answer complete and from one version ($n answered)" test "$bad" -eq 0 -a "$n" -eq 40
ok "every publish under load succeeded" test ! -s "$P/publish.log"
# issue 22: an unterminated quote or an oversized field never loses rows silently
Q="$TMP/q22"; mkdir -p "$Q"
printf 'id,title\n1,"unterminated\n2,ok\n' > "$Q/open.csv"
expect_exit 2 "an unterminated quote exits 2" $ECAI index --catalog "$Q/open.csv" --out "$Q/o1"
out=$($ECAI index --catalog "$Q/open.csv" --out "$Q/o1" 2>&1)
contains "the unterminated quote names the line it starts on" "$out" "open.csv:2: unterminated quoted field starting here"
out=$($ECAI index --catalog "$Q/open.csv" --lenient --out "$Q/o2" 2>&1)
contains "--lenient counts the unterminated quote and reads row 2" "$out" \
  "indexed 1 products: 2 rows read, 1 loaded, 1 skipped (unterminated_quote 1)"
contains "--lenient names the first skipped row" "$out" "first skipped row: $Q/open.csv:2: unterminated quoted field starting here"
out=$($ECAI search --index "$Q/o2" --k 1 --json "ok")
contains "row 2 was loaded on its own" "$out" '"id":"2"'
printf 'id,title\n1,"two\nlines"\n2,ok\n' > "$Q/multi.csv"
out=$($ECAI index --catalog "$Q/multi.csv" --out "$Q/o3" 2>&1)
contains "a quoted field spanning lines loads" "$out" "indexed 2 products: 2 rows read, 2 loaded, 0 skipped into"
python3 -c 'import sys; sys.stdout.write("id,title,brand\n1,ok,b\n2," + "x" * 2000 + ",b\n3,fine,b\n")' > "$Q/big.csv"
printf '{"catalog":{"max_field_bytes":1000}}' > "$Q/cfg.json"
expect_exit 2 "a field over catalog.max_field_bytes exits 2" $ECAI index --config "$Q/cfg.json" --catalog "$Q/big.csv" --out "$Q/o4"
out=$($ECAI index --config "$Q/cfg.json" --catalog "$Q/big.csv" --out "$Q/o4" 2>&1)
contains "the oversized field names file, line and column" "$out" \
  "big.csv:3: field in column 2 (title) is larger than catalog.max_field_bytes (1000 bytes)"
out=$($ECAI index --config "$Q/cfg.json" --catalog "$Q/big.csv" --lenient --out "$Q/o5" 2>&1)
contains "--lenient counts the oversized field" "$out" "indexed 2 products: 3 rows read, 2 loaded, 1 skipped (field_too_large 1)"
python3 -c 'import sys; sys.stdout.write("id,title\n1,\"" + "y" * 1100000 + "\"\n2,ok\n")' > "$Q/huge.csv"
out=$($ECAI index --catalog "$Q/huge.csv" --out "$Q/o6" 2>&1)
contains "the default limit is 1 MiB (1048576 bytes)" "$out" "huge.csv:2: field in column 2 (title) is larger than catalog.max_field_bytes (1048576 bytes)"
