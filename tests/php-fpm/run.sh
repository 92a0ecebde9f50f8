#!/usr/bin/env bash
# The PHP extension under a real nginx + php-fpm (4 static workers), the way shops run it:
# (a) the second request in a worker reuses the store and search the first one opened;
# (b) a new store published into the folder (symlink swapped, or rewritten in place) is
#     served at the next request without restarting php-fpm;
# (c) missing, damaged and half-copied folders give a clear Ecai\EcaiException, and a
#     publish of a damaged folder leaves the kept version intact;
# (d) a publish in the middle of a few hundred concurrent requests: no errors, every answer
#     from one complete version;
# (e) a worker killed with SIGKILL is replaced and its successor opens the store itself;
# (f) 20 versions published while 600 requests run: no errors, no mixed answer;
# (g) a price changed by one request (Store::update) is seen by every worker's next query.
# Prints "N passed, N failed". Needs php8.2-fpm and nginx-light (scripts/setup-deps.sh).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. tests/tools/lib.sh
. tests/php-fpm/lib.sh
ECAI=${ECAI:-bin/ecai}
LOAD=tests/php-fpm/load.py
W=$(mktemp -d "${TMPDIR:-/tmp}/ecai-fpm-test.XXXXXX")
# a crashed worker leaves a core in the script's folder (PHP's working directory during a
# request); after a failure it is moved to the server's folder, which is kept with the
# stores and named; never left in the tree
ulimit -c unlimited 2>/dev/null || true
trap 'if [ "$_f" -gt 0 ]; then FPM_KEEP=1; [ -f tests/php-fpm/core ] && mv tests/php-fpm/core "$FPM_TMP/";
        echo "fpm: kept for inspection: $FPM_TMP (logs, cores), $W (stores)"; fi
      rm -f tests/php-fpm/core
      fpm_stop; [ "$_f" -gt 0 ] || rm -rf "$W"' EXIT

if ! fpm_have_servers; then
  _f=1; echo "FAIL php-fpm8.2 and nginx not found (scripts/setup-deps.sh installs php8.2-fpm nginx-light)"; finish; exit
fi
fpm_build_ext || { _f=1; finish; exit; }

# ---- stores: v1 = the 10-product fixture, v2 = v1 + a velvet armchair --------------------------
cp tests/data/search_catalog.jsonl "$W/v1.jsonl"
{ cat "$W/v1.jsonl"; echo '{"id": "Z-1", "title": "Velvet armchair", "description": "Deep green velvet lounge chair", "category": "Furniture > Chairs", "brand": "Casa", "price": 349, "in_stock": true}'; } >"$W/v2.jsonl"
for v in v1 v2; do
  ok "ecai index builds store $v" "$ECAI" index --catalog "$W/$v.jsonl" --out "$W/$v"
done
publish() { # atomic: a new symlink renamed over the old one
  ln -s "$1" "$W/.link" && mv -T "$W/.link" "$W/current"
}
publish "$W/v1"

ok "nginx + php-fpm (4 workers) start" fpm_start "$top/tests/php-fpm" 4 "env[ECAI_STORE] = $W/current"
[ -n "$FPM_PID" ] || { finish; exit; }
master=$FPM_PID
workers0=$(fpm_workers | sort | tr '\n' ' ')
printf '/search.php?q=velvet+armchair\n' >"$W/q.txt"

# load N CONC [PATHS]: runs the client, leaves responses in $W/out.tsv
load() { python3 "$LOAD" "$FPM_URL" "${3:-$W/q.txt}" "$1" "$2" "$W/out.tsv"; }
# check PYTHON-EXPR over the responses (r: list of parsed bodies of status 200, s: statuses)
check() {
  local name=$1 expr=$2
  ok "$name" python3 - "$W/out.tsv" "$expr" <<'PY'
import collections, json, sys
rows = [l.rstrip("\n").split("\t", 2) for l in open(sys.argv[1], encoding="utf-8")]
s = [int(x[0]) for x in rows]
r = [json.loads(x[2]) for x in rows if x[0] == "200"]
bodies = [json.loads(x[2]) if x[2].startswith("{") else {} for x in rows]
by = collections.defaultdict(list)
for d in r:
    by[d["pid"]].append(d)
for v in by.values():
    v.sort(key=lambda d: d["reused"])
ok = eval(sys.argv[2])
if not ok:
    print("failed:", sys.argv[2]); print("statuses:", collections.Counter(s)); print("first:", rows[:3]); print("last:", rows[-3:])
sys.exit(0 if ok else 1)
PY
}
per_pid() { # pid -> "opened reused" of the last response of each worker in $W/out.tsv
  python3 - "$W/out.tsv" <<'PY'
import json, sys
last = {}
for l in open(sys.argv[1], encoding="utf-8"):
    st, ms, body = l.rstrip("\n").split("\t", 2)
    if st == "200":
        d = json.loads(body)
        if d["pid"] not in last or d["reused"] > last[d["pid"]][1]: last[d["pid"]] = (d["opened"], d["reused"])
for p, (o, u) in sorted(last.items()): print(p, o, u)
PY
}

# ---- (a) reuse ----------------------------------------------------------------------------------------
load 40 4 >/dev/null
check "(a) 40 requests answered from store v1" 'len(r) == 40 and all(d["count"] == 10 for d in r)'
check "(a) a worker served more than one request (so reuse is observable)" 'any(len(v) >= 2 for v in by.values())'
check "(a) each worker opened store + search once (first request), later requests reused them" \
  'all(d["opened"] == 2 for d in r) and all(b["reused"] - a["reused"] == 2 for v in by.values() for a, b in zip(v, v[1:]))'
before=$(per_pid)
printf '/search.php?q=sofa&persistent=0\n' >"$W/off.txt"
load 8 1 "$W/off.txt" >/dev/null
check "(a) ecai.persistent=0 opens afresh and keeps nothing new" \
  'len(r) == 8 and all(d["count"] == 10 and d["opened"] == 2 for d in r) and all(d["reused"] == {int(l.split()[0]): int(l.split()[2]) for l in """'"$before"'""".splitlines()}.get(d["pid"], d["reused"]) for d in r)'

# ---- (b) reload without restart ----------------------------------------------------------------------------
publish "$W/v2"
load 40 4 >/dev/null
check "(b) after the symlink swap every answer comes from v2 (11 products, armchair first)" \
  'len(r) == 40 and all(d["count"] == 11 and d["ids"][0] == "Z-1" for d in r)'
check "(b) each worker opened v2 once (store + search), then reused it" 'all(d["opened"] == 4 for d in r)'
ok "(b) no php-fpm restart: same master, same workers" test "$(fpm_workers | sort | tr '\n' ' ')" = "$workers0" -a "$FPM_PID" = "$master"
"$ECAI" index --catalog "$W/v1.jsonl" --out "$W/v2" >/dev/null 2>&1 # rewritten in place
load 40 4 >/dev/null
check "(b) after rewriting the folder in place every answer comes from the new content (10 products)" \
  'len(r) == 40 and all(d["count"] == 10 and d["ids"][0] != "Z-1" for d in r) and all(d["opened"] == 6 for d in r)'

# ---- (c) missing, damaged, half-copied ------------------------------------------------------------------------
get() { # DIR: the endpoint's answer for that folder; "HTTP <code>" on the last line
  curl -s -w 'HTTP %{http_code}' "$FPM_URL/search.php?dir=$1"
}
out=$(get "$W/missing")
contains "(c) a missing folder: EcaiException naming the folder" "$out" "$W/missing"
contains "(c) a missing folder: ECAI_EIO (-8), HTTP 503" "$out" '"code":-8}
HTTP 503'
cp -r "$W/v2" "$W/bad"
head -c 100 "$W/v2/catalog.bin" >"$W/bad/catalog.bin"
out=$(get "$W/bad")
contains "(c) a damaged folder: the message names the damaged file" "$out" "$W/bad/catalog.bin is truncated"
contains "(c) a damaged folder: ECAI_ECORRUPT (-14), HTTP 503" "$out" '"code":-14}
HTTP 503'
mkdir "$W/half" && cp "$W/v2/MANIFEST" "$W/v2/catalog.bin" "$W/half/"
out=$(get "$W/half")
contains "(c) a half-copied folder: the message names the missing file" "$out" "$W/half/embedder.bin"
contains "(c) a half-copied folder: ECAI_EIO (-8), HTTP 503" "$out" '"code":-8}
HTTP 503'
load 40 4 >/dev/null
warm=$(per_pid)
publish "$W/bad"
load 20 4 >/dev/null
check "(c) the damaged folder published: every request gets the clear error, no crash" \
  'len(s) == 20 and all(x == 503 for x in s) and all(b.get("code") == -14 for b in bodies)'
publish "$W/v2"
load 40 4 >/dev/null
check "(c) published back: answers again, from the version each worker kept (not reopened)" \
  'len(r) == 40 and all(d["count"] == 10 for d in r) and all(d["opened"] == {int(l.split()[0]): int(l.split()[1]) for l in """'"$warm"'""".splitlines()}.get(d["pid"], d["opened"]) for d in r) and len(set(by) & {int(l.split()[0]) for l in """'"$warm"'""".splitlines()}) >= 1'
ok "(c) no worker died" test "$(fpm_workers | sort | tr '\n' ' ')" = "$workers0"

# ---- (d) a publish under load --------------------------------------------------------------------------------
"$ECAI" index --catalog "$W/v2.jsonl" --out "$W/v3" >/dev/null 2>&1
printf '/search.php?q=velvet+armchair\n/search.php?q=sofa\n/search.php?q=velvet+armchair&x=1\n' >"$W/mix.txt"
python3 "$LOAD" "$FPM_URL" "$W/mix.txt" 400 4 "$W/out.tsv" "ln -s '$W/v3' '$W/.link' && mv -T '$W/.link' '$W/current'" >"$W/load.txt"
contains "(d) 400 requests, 0 errors with a publish in the middle" "$(cat "$W/load.txt")" "requests 400 errors 0 "
check "(d) every answer from one complete version (11 products <=> the armchair is found)" \
  'len(r) == 400 and all(d["count"] in (10, 11) for d in r) and all((d["count"] == 11) == ("Z-1" in d["ids"]) for d in r)'
check "(d) both versions served: the publish took effect under load" \
  'sum(d["count"] == 10 for d in r) >= 150 and all(d["count"] == 11 for d in r[-40:])'
ok "(d) no worker died or restarted" test "$(fpm_workers | sort | tr '\n' ' ')" = "$workers0"

# ---- (f) 20 publishes while traffic runs -----------------------------------------------------------------------
for i in $(seq 1 20); do # versions alternate between the two catalogs, each in a new folder
  "$ECAI" index --catalog "$W/v$((i % 2 + 1)).jsonl" --out "$W/p$i" >/dev/null 2>&1
done
cat >"$W/publish-next.sh" <<EOS
i=\$((\$(cat "$W/published" 2>/dev/null || echo 0) + 1)); echo \$i >"$W/published"
ln -s "$W/p\$i" "$W/.link" && mv -T "$W/.link" "$W/current"
EOS
python3 "$LOAD" "$FPM_URL" "$W/mix.txt" 600 4 "$W/out.tsv" "bash $W/publish-next.sh" 29 >"$W/load.txt"
ok "(f) 20 versions were published" test "$(cat "$W/published")" = 20
contains "(f) 600 requests, 0 errors while 20 versions were published" "$(cat "$W/load.txt")" "requests 600 errors 0 "
check "(f) every answer from one complete version" \
  'len(r) == 600 and all((d["count"] == 11) == ("Z-1" in d["ids"]) and d["count"] in (10, 11) for d in r)'
check "(f) the versions changed under load (at least 15 switches seen)" \
  'sum(a["count"] != b["count"] for a, b in zip(r, r[1:])) >= 15'

# ---- (e) a worker killed: php-fpm starts another, which opens the store for itself ---------------------
victim=$(fpm_workers | head -n1)
kill -9 "$victim"
for _ in $(seq 1 50); do # up to 5 s for the replacement
  [ "$(fpm_workers | wc -l)" -ge 4 ] && ! fpm_workers | grep -qx "$victim" && break
  sleep 0.1
done
load 40 4 >/dev/null
check "(e) after a worker was killed: 40 answers from p20, the new worker opened it once" \
  'len(r) == 40 and all(d["count"] == 10 for d in r) and all(d["opened"] == 2 for d in r if d["pid"] not in ('"$(echo $workers0 | tr ' ' ',')"',))'
# ---- (g) a live price update reaches every worker ------------------------------------------------------
printf '/search.php?q=sofa&price_max=300\n' >"$W/cheap.txt"
load 20 4 "$W/cheap.txt" >/dev/null
check "(g) before the update: S-1 (499) is never under 300" 'len(r) == 20 and all("S-1" not in d["ids"] for d in r)'
out=$(curl -s "$FPM_URL/search.php?q=sofa&price_max=300&update=S-1&price=199")
contains "(g) the updating request sees its own change" "$out" '"S-1"'
load 40 4 "$W/cheap.txt" >/dev/null
check "(g) after one request updated S-1 to 199: every worker's next query finds it under 300" \
  'len(r) == 40 and all("S-1" in d["ids"] for d in r) and len(by) >= 2'
ok "php-fpm log: no crash other than the worker killed on purpose" bash -c "! grep -E 'exited on signal|SIGSEGV|core dumped' '$FPM_TMP/php-fpm.log' | grep -v 'child $victim exited on signal 9'"
ok "PHP error log has no fatal error" bash -c "! grep -s -E 'Fatal|Segmentation' '$FPM_TMP/php-errors.log'"
finish
