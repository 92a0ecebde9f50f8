# ecai recommend / eval-recommend. Sourced by tests/cli/run.sh ($ECAI, $DATA, $TMP set).
ORD=tests/data/recommend_orders.csv
out=$($ECAI recommend --orders $ORD --cart MUG1 --k 3 --json)
contains "recommend --json lists items" "$out" '"items":[{"id":"COF1"'
contains "recommend gives a reason naming the cart item" "$out" '"reason":"often bought with WHITE CERAMIC MUG"'
ok "recommend never returns a cart item" bash -c "! printf '%s' '$out' | grep -q '\"id\":\"MUG1\"'"
out=$($ECAI recommend --orders $ORD --cart MUG1 --k 10 --json)
ok "recommend drops complements far above the cart price" bash -c "! printf '%s' '$out' | grep -q '\"id\":\"ESP1\"'"
out=$($ECAI recommend --orders $ORD --cart MUG1 --k 10 --allow-pricier --json)
contains "--allow-pricier keeps the espresso machine" "$out" '"id":"ESP1"'
out=$($ECAI recommend --orders $ORD --cart MUG1 --history COF1 --k 5 --json)
ok "history items are not recommended" bash -c "! printf '%s' '$out' | grep -q '\"id\":\"COF1\"'"
out=$($ECAI recommend --orders $ORD --cart SOFA1 --strategy similar --k 1 --json)
contains "strategy similar finds the other sofa" "$out" '"id":"SOFA2"'
out=$($ECAI recommend --orders $ORD --cart MUG1 --k 2)
contains "recommend prints a table" "$out" "1. COF1"
ok "recommend --save writes a model" $ECAI recommend --orders $ORD --cart MUG1 --save "$TMP/reco.model" --json
a=$($ECAI recommend --orders $ORD --cart MUG1,TEA1 --k 5 --json)
b=$($ECAI recommend --model "$TMP/reco.model" --cart MUG1,TEA1 --k 5 --json)
ok "a saved model answers like the trained one" test "$a" = "$b"
printf 'garbage' > "$TMP/bad.model"
expect_exit 2 "a corrupt model exits 2" $ECAI recommend --model "$TMP/bad.model" --cart MUG1
out=$($ECAI recommend --model "$TMP/bad.model" --cart MUG1 2>&1)
contains "corrupt model error says so" "$out" "not a valid model file"
ok "error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
expect_exit 2 "--index on a folder that is not a store exits 2" $ECAI recommend --index "$TMP" --cart MUG1
out=$($ECAI recommend --index "$TMP" --cart MUG1 2>&1)
contains "--index error names the problem" "$out" "cannot open the index"
out=$($ECAI recommend --orders $ORD --cart SOFA1 --customer cust1 --k 4 --json)
contains "--customer brings back what the customer ordered" "$out" '"reason":"you ordered this before"'
contains "--customer reports the orders used" "$out" '"customer":{"id":"cust1","known":true,"orders_used":'
out=$($ECAI recommend --orders $ORD --cart SOFA1 --customer nobody --json)
contains "an unknown customer is reported, the cart decides" "$out" '"known":false,"orders_used":0}'
out=$($ECAI recommend --orders $ORD --strategy trending --k 3 --json)
contains "--strategy trending needs no cart and explains itself" "$out" '"reason":"trending: '
out=$($ECAI recommend --orders $ORD --cart MUG1 --strategy bundle --k 2 --json)
contains "--strategy bundle lists bundles with a combined price" "$out" '"bundles":[{"items":[{"id":"COF1"'
contains "bundles name the cart item and the orders" "$out" '"reason":"bought together with WHITE CERAMIC MUG in 6 of its 19 orders"'
out=$($ECAI recommend --orders $ORD --cart MUG1 --strategy bundle --k 1)
contains "bundles print as a table with the price" "$out" " 1. COF1 + SPN1  (8.00)"
expect_exit 2 "recommend with an empty --customer exits 2" $ECAI recommend --orders $ORD --customer "" --cart MUG1
expect_exit 2 "recommend without a cart exits 2" $ECAI recommend --orders $ORD
expect_exit 2 "recommend with a missing file exits 2" $ECAI recommend --orders "$TMP/none.csv" --cart A
expect_exit 2 "recommend with a bad strategy exits 2" $ECAI recommend --orders $ORD --cart MUG1 --strategy odd
expect_exit 2 "recommend with a bad k exits 2" $ECAI recommend --orders $ORD --cart MUG1 --k 0
out=$($ECAI eval-recommend --transactions $ORD --train-before 2024-03-15 --test-before 2024-04-01 --k 5 --json 2>/dev/null)
contains "eval-recommend --json reports baskets" "$out" '"test_baskets":'
contains "eval-recommend reports the blended method" "$out" '"blended":{"hit_rate@5":'
contains "eval-recommend reports the cold-start slice" "$out" '"cold_start":'
# every metric worked out by hand on tests/data/recommend_eval.csv (see test_recommend.c:
# recommend_evaluate_exact_metrics): hit rate 3/4, nDCG (0.630930 + 1 + 0 + 0.5)/4, coverage 4/5,
# cold start 2 baskets, 1/2 hits, nDCG 0.5/2
echo '{"recommend":{"cold_orders":2}}' > "$TMP/cold2.json"
out=$($ECAI eval-recommend --transactions tests/data/recommend_eval.csv --train-before 2024-02-01 \
      --test-before 2024-03-01 --k 3 --config "$TMP/cold2.json" --json 2>/dev/null)
contains "eval-recommend: baskets, orders and catalog worked out by hand" "$out" \
  '{"test_baskets":4,"k":3,"train_orders":4,"catalog_items":5,'
contains "eval-recommend: popularity's hit rate, nDCG (log2 discount), coverage and cold slice by hand" "$out" \
  '"popularity":{"hit_rate@3":0.7500,"ndcg@3":0.5327,"coverage":0.8000,"cold_start":{"baskets":2,"hit_rate@3":0.5000,"ndcg@3":0.2500},'
contains "eval-recommend: co-occurrence's figures by hand" "$out" \
  '"cooccurrence":{"hit_rate@3":0.7500,"ndcg@3":0.5327,"coverage":0.8000,"cold_start":{"baskets":2,"hit_rate@3":0.5000,"ndcg@3":0.2500},'
contains "eval-recommend: revenue@3 9/14 and aov_lift_bound 9/19 by hand" "$out" '"revenue@3":0.6429,"aov_lift_bound":0.4737,'
contains "eval-recommend: too few baskets to tune says so" "$out" '"tuning":{"skipped":"fewer than 200 baskets'
out=$($ECAI eval-recommend --transactions tests/data/recommend_eval.csv --train-before 2024-02-01 \
      --test-before 2024-03-01 --k 3 --config "$TMP/cold2.json" 2>/dev/null)
contains "eval-recommend's table shows revenue@k" "$out" "revenue@3"
expect_exit 2 "eval-recommend with reversed dates exits 2" $ECAI eval-recommend --transactions $ORD --train-before 2024-04-01 --test-before 2024-03-01
expect_exit 2 "eval-recommend with a bad date exits 2" $ECAI eval-recommend --transactions $ORD --train-before soon --test-before 2024-03-01
expect_exit 2 "eval-recommend without a file exits 2" $ECAI eval-recommend --train-before 2024-03-01 --test-before 2024-04-01
# one run on the real transactions (a few seconds: load + EASE fit on ~3,700 items), and its
# twin on the committed extract tests/data/retail_small.csv.gz (68 stock codes, same format)
real_tx_checks() { # LABEL FILE CART
  out=$($ECAI recommend --orders "$2" --cart "$3" --k 5 --json)
  contains "recommend on $1 returns items" "$out" '"items":[{"id":"'
  contains "recommendations on $1 explain themselves" "$out" '"reason":"often bought with'
  out=$($ECAI recommend --orders "$2" --cart "$3" --strategy bundle --k 3 --json)
  contains "bundles on $1 carry a combined price" "$out" '"bundles":[{"items":[{"id":"'
  out=$($ECAI recommend --orders "$2" --strategy trending --k 3 --json)
  contains "trending on $1 explains itself" "$out" '"reason":"trending: '
}
TX=$DATA/recommend/online_retail/transactions.csv.gz
if have_data "recommend on the real transactions" "$TX"; then real_tx_checks "the real transactions" "$TX" 22423,85123A; fi
real_tx_checks "the Online Retail extract" tests/data/retail_small.csv.gz 20726,22457

# --index DIR: the catalog of a saved store joins the recommender.
$ECAI index --catalog examples/data/catalog.tsv --out "$TMP/reco_ix" >/dev/null 2>&1
out=$($ECAI recommend --index "$TMP/reco_ix" --cart SKU-0118 --k 3 --json)
contains "--index alone recommends by content" "$out" '"reason":"similar to Premium espresso machine with milk frother"'
out=$($ECAI recommend --index "$TMP/reco_ix" --orders examples/data/orders.csv --cart SKU-0118 --k 3 --json)
contains "--index with orders names the cart item by its catalog title" "$out" "often bought with Premium espresso machine"
oos=$(awk -F'\t' 'NR > 1 && $7 == "0" {print $1}' examples/data/catalog.tsv)
recs=$(for c in SKU-0001 SKU-0059 SKU-0118 SKU-0181 SKU-0229; do
         $ECAI recommend --index "$TMP/reco_ix" --orders examples/data/orders.csv --cart $c --k 20 --json; done |
       grep -o '"id":"SKU-[0-9]*"' | grep -o 'SKU-[0-9]*' | sort -u)
ok "--index: out-of-stock products are never recommended" bash -c "[ -n '$recs' ] && ! printf '%s\n' '$recs' | grep -qxF -f <(printf '%s\n' $oos)"
expect_exit 2 "--index with a missing folder exits 2" $ECAI recommend --index "$TMP/none" --cart SKU-0118
expect_exit 2 "--orders and --model together exit 2" $ECAI recommend --orders a --model b --cart X

# Category filters (catalog paths from the store).
cat_of() { awk -F'\t' -v id="$1" '$1 == id {print $4}' examples/data/catalog.tsv; }
out=$($ECAI recommend --index "$TMP/reco_ix" --orders examples/data/orders.csv --cart SKU-0118 --k 8 \
      --category "kitchen > cookware" --allow-pricier --json)
ids=$(printf '%s' "$out" | grep -o '"id":"SKU-[0-9]*"' | grep -o 'SKU-[0-9]*')
ok "--category returns products" test -n "$ids"
ok "--category keeps only products under the path" bash -c "for i in $(echo $ids); do
  [ \"\$(awk -F'\t' -v id=\$i '\$1 == id {print \$4}' examples/data/catalog.tsv)\" = 'Kitchen > Cookware' ] || exit 1; done"
out=$($ECAI recommend --index "$TMP/reco_ix" --orders examples/data/orders.csv --cart SKU-0118 --k 10 \
      --exclude-category Kitchen --exclude-category "Electronics" --json)
ids=$(printf '%s' "$out" | grep -o '"id":"SKU-[0-9]*"' | grep -o 'SKU-[0-9]*')
ok "--exclude-category drops every product under the paths" bash -c "[ -n '$ids' ] && for i in $(echo $ids); do
  case \"\$(awk -F'\t' -v id=\$i '\$1 == id {print \$4}' examples/data/catalog.tsv)\" in Kitchen*|Electronics*) exit 1;; esac; done"
expect_exit 2 "--category with an empty path exits 2" $ECAI recommend --index "$TMP/reco_ix" --cart SKU-0118 --category ""

# The model saved with the index: DIR/recommend.bin, loaded without --orders, updated by later orders.
$ECAI index --catalog examples/data/catalog.tsv --out "$TMP/reco_ix2" >/dev/null 2>&1
a=$($ECAI recommend --index "$TMP/reco_ix2" --orders examples/data/orders.csv --save-index --cart SKU-0118 --k 5 --json)
ok "--save-index writes DIR/recommend.bin" test -s "$TMP/reco_ix2/recommend.bin"
b=$($ECAI recommend --index "$TMP/reco_ix2" --cart SKU-0118 --k 5 --json)
ok "--index loads the saved model without --orders" test "$a" = "$b"
contains "the saved model knows co-purchases" "$b" '"reason":"often bought with Premium espresso machine'
{ echo "order_id,product_id,quantity,price,date,customer_id"
  for i in $(seq 1 40); do
    printf 'NEW%02d,SKU-0118,1,399,2026-06-01T10:00,C9%03d\nNEW%02d,SKU-0160,1,69.72,2026-06-01T10:00,C9%03d\n' $i $i $i $i
  done; } > "$TMP/new_orders.csv"
out=$($ECAI recommend --index "$TMP/reco_ix2" --cart SKU-0118 --k 1 --json)
ok "before the update the casserole is not first" bash -c "! printf '%s' '$out' | grep -q '\"id\":\"SKU-0160\"'"
ok "orders added later update the saved model" $ECAI recommend --index "$TMP/reco_ix2" --orders "$TMP/new_orders.csv" --save-index --cart SKU-0118 --json
out=$($ECAI recommend --index "$TMP/reco_ix2" --cart SKU-0118 --k 1 --json)
contains "the updated model (loaded without --orders) learnt the new pair" "$out" '"items":[{"id":"SKU-0160"'
out=$($ECAI recommend --index "$TMP/reco_ix2" --cart SKU-0142 --k 3 --json)
contains "the update kept the earlier orders' co-purchases" "$out" '"reason":"often bought with'
out=$($ECAI recommend --index "$TMP/reco_ix" --cart SKU-0142 --k 3 --json)
ok "(a store without a saved model knows no co-purchases)" bash -c "! printf '%s' '$out' | grep -q 'often bought with'"
head -c 100 "$TMP/reco_ix2/recommend.bin" > "$TMP/trunc.bin" && mv "$TMP/trunc.bin" "$TMP/reco_ix2/recommend.bin"
expect_exit 2 "a damaged DIR/recommend.bin exits 2" $ECAI recommend --index "$TMP/reco_ix2" --cart SKU-0118
out=$($ECAI recommend --index "$TMP/reco_ix2" --cart SKU-0118 2>&1)
contains "the damage is named" "$out" "not a valid model file"
expect_exit 2 "--save-index without --index exits 2" $ECAI recommend --orders $ORD --cart MUG1 --save-index
