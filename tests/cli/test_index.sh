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
