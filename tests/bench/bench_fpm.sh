#!/usr/bin/env bash
# PHP-FPM benchmark: nginx + php-fpm (4 static workers) under the same load for
#   - fts5:  SQLite FTS5 through pdo_sqlite (tests/bench/fpm/fts5.php),
#   - ecai:  the libecai endpoint as PHP code writes it, open + query on every request
#            (tests/bench/fpm/ecai.php; the extension keeps the store: ecai.persistent),
#   - cold:  the same with ecai.persistent=0 (every request opens the store again),
# in the same run: requests/s and the ratio to FTS5, p50/p95 latency, errors, and the
# workers' memory (PSS from /proc/PID/smaps_rollup). Then, when the data is there, the
# recommendation endpoint (Recommender::load of a model trained on UCI Online Retail +
# recommend) and the support endpoint (KnowledgeBase::open of the shop FAQ + answer),
# kept and with ecai.persistent=0 (no peer in these rows). Load: wrk, 4 keep-alive connections
# cycling through real queries. Data: the Home Depot catalog (54,667 products, 8,250
# queries) from ../shared/data/search/homedepot; a 10-product fixture when it is absent
# (said in the output). Goals (issue 16): >= 1.0x FTS5's requests/s, search p50 <= 5 ms.
#   BENCH_FPM_SECONDS (default 10) per measured round; two rounds each, interleaved.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. tests/php-fpm/lib.sh
SECS=${BENCH_FPM_SECONDS:-10}
# the data: $ECAI_DATA, or ../shared/data beside the checkout (or beside a worktree's parent)
DATA=${ECAI_DATA:-$top/../shared/data}/search/homedepot
[ -n "${ECAI_DATA:-}" ] || [ -d "$DATA" ] || DATA=$top/../../shared/data/search/homedepot
mkdir -p "$BUILD/bench/fpm" && out=$(cd "$BUILD/bench/fpm" && pwd) || exit 1

if ! fpm_have_servers || ! command -v wrk >/dev/null; then
  echo "bench_fpm: php-fpm8.2, nginx and wrk are needed (scripts/setup-deps.sh installs them)"; exit 1
fi
php -n -r 'exit(0);' 2>/dev/null || { echo "bench_fpm: php-cli missing"; exit 1; }
fpm_build_ext || exit 1

# ---- data: the store (bin/ecai index) and the FTS5 database, cached in $BUILD/bench/fpm -----------------
if [ -f "$DATA/products.tsv" ] && [ -f "$DATA/queries.tsv" ]; then
  catalog=$DATA/products.tsv queries=$DATA/queries.tsv name=homedepot
  what="Home Depot catalog ($(($(wc -l <"$catalog") - 1)) products), $(($(wc -l <"$queries") - 1)) real queries"
else
  catalog=tests/data/search_catalog.jsonl queries= name=fixture
  what="FIXTURE catalog (10 products; $DATA not found): figures are not representative"
fi
store=$out/$name-store db=$out/$name-fts5.sqlite
if [ ! -f "$store/MANIFEST" ] || [ -n "$(find lib/libecai.so bin/ecai "$catalog" -newer "$store/MANIFEST" 2>/dev/null | head -n1)" ]; then
  rm -rf "$store"
  bin/ecai index --catalog "$catalog" --out "$store" >"$out/index.log" 2>&1 || { echo "bench_fpm: ecai index failed:"; tail -n 5 "$out/index.log"; exit 1; }
fi
python3 - "$catalog" "$db" "${queries:-}" "$out/paths" <<'PY' || exit 1
import json, os, sqlite3, sys, urllib.parse
catalog, db, queries, paths = sys.argv[1:5]
def products():
    with open(catalog, encoding="utf-8") as f:
        if catalog.endswith(".jsonl"):
            for line in f:
                p = json.loads(line)
                yield str(p["id"]), p["title"]
        else:
            next(f)
            for line in f:
                pid, title = line.rstrip("\n").split("\t")[:2]
                yield pid, title
if not os.path.exists(db) or os.path.getmtime(db) < os.path.getmtime(catalog):
    tmp = db + ".tmp"
    if os.path.exists(tmp): os.unlink(tmp)
    c = sqlite3.connect(tmp)
    c.execute("CREATE VIRTUAL TABLE products USING fts5(product_id UNINDEXED, title, tokenize='porter unicode61')")
    c.executemany("INSERT INTO products VALUES (?, ?)", products())
    c.commit(); c.close()
    os.replace(tmp, db)
if queries:
    with open(queries, encoding="utf-8") as f:
        next(f)
        qs = [l.rstrip("\n").split("\t")[1] for l in f if "\t" in l]
else:
    qs = sorted({w.lower() for _, t in products() for w in t.split() if len(w) > 3})
with open(paths, "w", encoding="utf-8") as f:
    for q in qs:
        f.write("?q=%s\n" % urllib.parse.quote_plus(q))
PY

# recommendation model (bin/ecai recommend --save) and knowledge base (PHP, from the FAQ)
RDATA=$(dirname "$DATA")/../recommend/online_retail SDATA=$(dirname "$DATA")/../support/ecommerce_faq
reco= kb=
if [ -f "$RDATA/transactions.csv.gz" ] && [ -f "$RDATA/products.tsv" ]; then
  reco=$out/online_retail-reco.bin
  if [ ! -f "$reco" ] || [ -n "$(find lib/libecai.so "$RDATA/transactions.csv.gz" -newer "$reco" 2>/dev/null | head -n1)" ]; then
    bin/ecai recommend --orders "$RDATA/transactions.csv.gz" --cart 85123A --save "$reco" >"$out/reco.log" 2>&1 || { echo "bench_fpm: training the recommender failed"; reco=; }
  fi
  [ -n "$reco" ] && awk -F'\t' 'NR > 1 && NR <= 2001 {print "?cart=" $1}' "$RDATA/products.tsv" >"$out/paths-reco"
fi
if [ -f "$SDATA/faq.json" ] && [ -f "$SDATA/questions.tsv" ]; then
  kb=$out/faq-kb.bin
  LD_LIBRARY_PATH=$top/lib php -d "extension=$ECAI_PHP_EXT" -r '$kb = new Ecai\KnowledgeBase(new Ecai\Context()); $kb->addPath($argv[1]); $kb->save($argv[2]);' \
    "$SDATA/faq.json" "$kb" || { echo "bench_fpm: building the knowledge base failed"; kb=; }
  [ -n "$kb" ] && python3 -c 'import sys, urllib.parse
for l in list(open(sys.argv[1], encoding="utf-8"))[1:]: print("?q=" + urllib.parse.quote_plus(l.split("\t")[0]))' "$SDATA/questions.tsv" >"$out/paths-ask"
fi

# ---- servers ---------------------------------------------------------------------------------------------------------
trap fpm_stop EXIT
fpm_start "$top/tests/bench/fpm" 4 "env[ECAI_STORE] = $store" "env[FTS5_DB] = $db" "env[ECAI_RECO] = $reco" \
  "env[ECAI_KB] = $kb" || exit 1
for e in fts5 ecai ecai_cold; do sed "s|^|/$e.php|" "$out/paths" >"$out/paths.$e"; done
for e in reco ask; do
  [ -f "$out/paths-$e" ] || continue
  sed "s|^|/$e.php|" "$out/paths-$e" >"$out/paths.$e"
  sed "s|^|/${e}_cold.php|" "$out/paths-$e" >"$out/paths.${e}_cold"
done
curl -s "$FPM_URL/fts5.php?q=sofa" | grep -q '^\[' || { echo "bench_fpm: fts5 endpoint fails: $(curl -s "$FPM_URL/fts5.php?q=sofa" | head -c 300)"; exit 1; }
curl -s "$FPM_URL/ecai.php?q=sofa" | grep -q '^\[' || { echo "bench_fpm: ecai endpoint fails: $(curl -s "$FPM_URL/ecai.php?q=sofa" | head -c 300)"; exit 1; }

run() { # ENDPOINT SECONDS [CONNECTIONS] -> "requests N errors E rps R p50 MS p95 MS"
  local c=${3:-4}
  WRK_PATHS=$out/paths.$1 wrk -t$((c < 2 ? c : 2)) -c"$c" -d"$2"s --timeout 30s -s tests/bench/fpm/wrk.lua "$FPM_URL" 2>&1 | grep '^requests'
}
pss() { # total PSS and RSS of the workers, MB
  local p kb_pss=0 kb_rss=0 n=0 a b
  for p in $(fpm_workers); do
    a=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) b=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
    kb_pss=$((kb_pss + ${a:-0})) kb_rss=$((kb_rss + ${b:-0})) n=$((n + 1))
  done
  echo "$((kb_pss / 1024)) MB PSS, $((kb_rss / 1024)) MB RSS in $n workers"
}
field() { sed -E "s/.* $1 ([0-9.]+).*/\1/" <<<"$2"; }
warm() { # ENDPOINT: until every worker has opened what it keeps (p95 < 200 ms), at most 2 min
  local i l
  for i in $(seq 1 24); do
    l=$(run "$1" 5)
    awk '{exit !($2 > 0 && $10 < 200)}' <<<"$l" && return 0 # "requests N ... p95 MS"
  done
  echo "bench_fpm: $1 did not warm up in 2 minutes" >&2
}

echo "php-fpm 4 static workers behind nginx; wrk 2 threads, 4 keep-alive connections; $what"
run fts5 2 >/dev/null
declare -A R
R[fts5_1]=$(run fts5 "$SECS")
mem_fts5=$(pss)
warm ecai # first request in each worker opens the store
R[ecai_1]=$(run ecai "$SECS")
R[fts5_2]=$(run fts5 "$SECS")
R[ecai_2]=$(run ecai "$SECS")
R[ecai_c1]=$(run ecai "$SECS" 1)
mem_ecai=$(pss)
R[cold_1]=$(run ecai_cold "$SECS")
if [ -n "$reco" ]; then
  warm reco # each worker loads the model once (seconds)
  R[reco]=$(run reco "$SECS")
  reco_cold=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$FPM_URL/reco_cold.php?cart=85123A")
fi
if [ -n "$kb" ]; then
  warm ask
  R[ask]=$(run ask "$SECS")
  R[ask_cold]=$(run ask_cold "$SECS")
fi
mem_all=$(pss)

printf '%-44s %9s %9s %9s %7s\n' endpoint "req/s" "p50 ms" "p95 ms" errors
errs=0
rows=(fts5_1 fts5_2 ecai_1 ecai_2 ecai_c1 cold_1)
[ -n "$reco" ] && rows+=(reco)
[ -n "$kb" ] && rows+=(ask ask_cold)
for k in "${rows[@]}"; do
  l=${R[$k]:-}
  [ -n "$l" ] || { echo "$k: no result"; errs=1; continue; }
  case $k in
    fts5*) label="sqlite fts5 (pdo_sqlite), round ${k#*_}" ;;
    ecai_c1) label="ecai open+query (persistent), 1 connection" ;;
    ecai*) label="ecai open+query (persistent), round ${k#*_}" ;;
    cold*) label="ecai open+query (ecai.persistent=0)" ;;
    reco) label="recommend: load+recommend (persistent)" ;;
    ask) label="support: KB open+answer (persistent)" ;;
    ask_cold) label="support: KB open+answer (persistent=0)" ;;
  esac
  printf '%-44s %9s %9s %9s %7s\n' "$label" "$(field rps "$l")" "$(field p50 "$l")" "$(field p95 "$l")" "$(field errors "$l")"
  [ "$(field errors "$l")" = 0 ] || errs=1
done
f=$(echo "$(field rps "${R[fts5_1]}") $(field rps "${R[fts5_2]}")" | awk '{print ($1 + $2) / 2}')
e=$(echo "$(field rps "${R[ecai_1]}") $(field rps "${R[ecai_2]}")" | awk '{print ($1 + $2) / 2}')
c=$(field rps "${R[cold_1]}")
p50=$(echo "$(field p50 "${R[ecai_1]}") $(field p50 "${R[ecai_2]}")" | awk '{print ($1 > $2) ? $1 : $2}')
ratio=$(awk -v e="$e" -v f="$f" 'BEGIN {printf "%.2f", (f > 0) ? e / f : 0}')
echo "ecai/fts5 requests/s: ${ratio}x (mean of 2 rounds: $e vs $f); persistent/cold: $(awk -v e="$e" -v c="$c" 'BEGIN {printf "%.0f", (c > 0) ? e / c : 0}')x"
echo "workers' memory after fts5 only: $mem_fts5; after ecai search: $mem_ecai; with the recommender and KB too: $mem_all"
if [ -n "$reco" ]; then
  echo "recommend with ecai.persistent=0: one request (HTTP code, seconds) $reco_cold: every request loads the model again"
else
  echo "recommend endpoint skipped: $RDATA not found"
fi
[ -n "$kb" ] || echo "support endpoint skipped: $SDATA not found"
echo "goal >= 1.0x fts5 requests/s: $(awk -v r="$ratio" 'BEGIN {print (r >= 1.0) ? "met" : "NOT met"}'); goal search p50 <= 5 ms (worse round $p50 ms): $(awk -v p="$p50" 'BEGIN {print (p <= 5) ? "met" : "NOT met"}')"
exit $errs
