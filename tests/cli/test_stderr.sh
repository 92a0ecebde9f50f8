# libecai never writes to stderr itself: a FAISS failure reaches the user as the CLI's
# one line only (the FAISS C API is built with -DNDEBUG so it does not print).
head -30 examples/data/catalog.tsv > "$TMP/small.tsv"
out=$($ECAI index --catalog "$TMP/small.tsv" --index-type "IVF99999,Flat" --out "$TMP/ivf" 2>&1)
contains "a FAISS training failure is reported" "$out" "training failed"
ok "a FAISS training failure is exactly one line on stderr" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
out=$($ECAI index --catalog "$TMP/small.tsv" --index-type "Bogus99" --out "$TMP/bogus" 2>&1)
ok "a bad factory string is exactly one line on stderr" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
