#!/usr/bin/env bash
# PHP-FPM benchmark: nginx + php-fpm (4 static workers) under the same load for
#   - fts5:  SQLite FTS5 through pdo_sqlite (tests/bench/fpm/fts5.php),
#   - ecai:  the libecai endpoint as PHP code writes it, open + query on every request
#            (tests/bench/fpm/ecai.php; the extension keeps the store: ecai.persistent),
#   - cold:  the same with ecai.persistent=0 (every request opens the store again),
# in the same run: requests/s and the ratio to FTS5, p50/p95 latency, errors, and the
# workers' memory (PSS from /proc/PID/smaps_rollup). Load: wrk, 4 keep-alive connections
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

# ---- servers ---------------------------------------------------------------------------------------------------------
trap fpm_stop EXIT
fpm_start "$top/tests/bench/fpm" 4 "env[ECAI_STORE] = $store" "env[FTS5_DB] = $db" || exit 1
for e in fts5 ecai ecai_cold; do sed "s|^|/$e.php|" "$out/paths" >"$out/paths.$e"; done
curl -s "$FPM_URL/fts5.php?q=sofa" | grep -q '^\[' || { echo "bench_fpm: fts5 endpoint fails: $(curl -s "$FPM_URL/fts5.php?q=sofa" | head -c 300)"; exit 1; }
curl -s "$FPM_URL/ecai.php?q=sofa" | grep -q '^\[' || { echo "bench_fpm: ecai endpoint fails: $(curl -s "$FPM_URL/ecai.php?q=sofa" | head -c 300)"; exit 1; }

run() { # ENDPOINT SECONDS -> "requests N errors E rps R p50 MS p95 MS"
  WRK_PATHS=$out/paths.$1 wrk -t2 -c4 -d"$2"s --timeout 30s -s tests/bench/fpm/wrk.lua "$FPM_URL" 2>&1 | grep '^requests'
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

echo "php-fpm 4 static workers behind nginx; wrk 2 threads, 4 keep-alive connections; $what"
run fts5 2 >/dev/null
declare -A R
R[fts5_1]=$(run fts5 "$SECS")
mem_fts5=$(pss)
run ecai 3 >/dev/null # first request in each worker opens the store
R[ecai_1]=$(run ecai "$SECS")
R[fts5_2]=$(run fts5 "$SECS")
R[ecai_2]=$(run ecai "$SECS")
mem_ecai=$(pss)
R[cold_1]=$(run ecai_cold "$SECS")

printf '%-44s %9s %9s %9s %7s\n' endpoint "req/s" "p50 ms" "p95 ms" errors
errs=0
for k in fts5_1 fts5_2 ecai_1 ecai_2 cold_1; do
  l=${R[$k]:-}
  [ -n "$l" ] || { echo "$k: no result"; errs=1; continue; }
  case $k in
    fts5*) label="sqlite fts5 (pdo_sqlite), round ${k#*_}" ;;
    ecai*) label="ecai open+query (persistent), round ${k#*_}" ;;
    cold*) label="ecai open+query (ecai.persistent=0)" ;;
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
echo "workers' memory after fts5 only: $mem_fts5; after ecai: $mem_ecai"
echo "goal >= 1.0x fts5 requests/s: $(awk -v r="$ratio" 'BEGIN {print (r >= 1.0) ? "met" : "NOT met"}'); goal search p50 <= 5 ms (worse round $p50 ms): $(awk -v p="$p50" 'BEGIN {print (p <= 5) ? "met" : "NOT met"}')"
exit $errs
