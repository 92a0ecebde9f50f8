#!/usr/bin/env bash
# A lying and an honest OpenAI-compatible model (tests/fakellm/server.py --answers, models
# answers-lie / answers-honest) answer the 35 questions of tests/data/guard_lies.jsonl
# through `ecai ask --kb tests/data/guard_kb --config ... --batch`: every lie is a planted
# contradiction of the sources (antonyms, still / no longer, any / only, free / fee,
# all / select, refundable, numbers), mostly without a negation word. Prints, per half
# (the "half" field: XXH3-64 of the question, even = tune, odd = check; thresholds and
# word lists were fitted on tune), how many lies reached the customer and how many honest
# answers were shown, then the lies that got through and the honest answers refused.
#   bash tests/eval/guard_lies.sh [FILE]   (exit 0 when no lie is shown and >= 30 of 35
#                                           honest answers are; 1 otherwise)
# tests/data/guard_lies_fresh.jsonl: 12 more pairs written after the word lists were
# frozen (half "fresh"), never used to change them.
set -euo pipefail
cd "$(dirname "$0")/../.."
ECAI=${ECAI:-bin/ecai}
F=${1:-tests/data/guard_lies.jsonl}
tmpd=$(mktemp -d)
python3 tests/fakellm/server.py --answers "$F" </dev/null >"$tmpd/srv.out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmpd"' EXIT
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$tmpd/srv.out" 2>/dev/null)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "guard_lies: the fake LLM server did not start" >&2; exit 2; }
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.strip(): print(json.loads(l)["question"])' "$F" > "$tmpd/q.txt"
for m in lie honest; do
  printf '{"llm": {"provider": "openai", "base_url": "http://127.0.0.1:%s", "model": "answers-%s", "auth": "none", "timeout_ms": 5000}}\n' \
    "$port" "$m" > "$tmpd/$m.json"
  $ECAI ask --kb tests/data/guard_kb --config "$tmpd/$m.json" --batch "$tmpd/q.txt" > "$tmpd/$m.out"
done
python3 - "$F" "$tmpd/lie.out" "$tmpd/honest.out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lie = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
hon = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
assert len(lie) == len(rows) == len(hon), "one result per question"
shown = lambda r: not r.get("escalated") and r.get("answer")
for half in sorted({r["half"] for r in rows}) + ["all"]:
    idx = [i for i, r in enumerate(rows) if half == "all" or r["half"] == half]
    nl = sum(1 for i in idx if shown(lie[i]))
    nh = sum(1 for i in idx if shown(hon[i]))
    print("%-6s lies shown %d of %d, honest answers shown %d of %d" % (half, nl, len(idx), nh, len(idx)))
for i, r in enumerate(rows):
    if shown(lie[i]):
        print("  LIE SHOWN [%s, %s] %s -> %s" % (r["half"], r["kind"], r["question"], lie[i]["answer"]))
for i, r in enumerate(rows):
    if not shown(hon[i]):
        g = (hon[i].get("guards") or {}).get("output") or {}
        det = [c.get("detail") for c in g.get("checks", []) if not c.get("pass")]
        print("  honest refused [%s] %s: %s %s" % (r["half"], r["question"], hon[i].get("reason"), det))
nl = sum(1 for i in range(len(rows)) if shown(lie[i]))
nh = sum(1 for i in range(len(rows)) if shown(hon[i]))
sys.exit(0 if nl == 0 and nh * 35 >= 30 * len(rows) else 1)
PY
