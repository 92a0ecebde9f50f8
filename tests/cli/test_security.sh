# Planted secrets never reach the CLI's output: an API key written in the configuration
# file (not the environment) and a Redis password given both as redis.password and inside
# redis.url; every stdout/stderr of `ecai chat [--json]` (success and failures) and
# `ecai config [--json]` is searched for them. Sourced by tests/cli/run.sh.
python3 tests/fakellm/server.py </dev/null >"$TMP/sec_fakellm.out" 2>&1 &
sec_pid=$!
sec_port=
for _ in $(seq 1 100); do
  sec_port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$TMP/sec_fakellm.out" 2>/dev/null)
  [ -n "$sec_port" ] && break
  sleep 0.1
done
ok "security: fake LLM server started" test -n "$sec_port"
sec_key=sk-CLI-PLANTED-93c7d1e5
sec_pw=redis-CLI-PLANTED-0b4f
sec_cfg() { # NAME PROVIDER MODEL
  printf '{"llm": {"provider": "%s", "base_url": "http://127.0.0.1:%s", "model": "%s", "api_key": "%s", "timeout_ms": 2000, "backoff_ms": 1, "max_retries": 1, "max_reply_bytes": 65536}, "cache": {"backend": "redis"}, "redis": {"url": "redis://app:%s@127.0.0.1:1/0", "password": "%s", "timeout_ms": 50}}\n' \
    "$2" "$sec_port" "$3" "$sec_key" "$sec_pw" "$sec_pw" > "$TMP/$1.json"
}
sec_all=""
for prov in openai anthropic; do
  for model in m fault-500 fault-badjson fault-missing fault-truncate fault-huge:1 fault-flaky:3:401; do
    sec_cfg sec_$prov $prov $model
    sec_all+=$($ECAI chat --config "$TMP/sec_$prov.json" --json "hello" 2>&1)
    sec_all+=$($ECAI chat --config "$TMP/sec_$prov.json" "hello" 2>&1)
  done
done
sec_all+=$($ECAI config --config "$TMP/sec_openai.json" --json 2>&1)
sec_all+=$($ECAI config --config "$TMP/sec_openai.json" 2>&1)
contains "security: the sweep saw a reply" "$sec_all" '"text":"echo: hello"'
contains "security: the sweep saw an error" "$sec_all" 'ecai chat:'
contains "security: the config shows the masked URL" "$sec_all" 'redis://app:***@127.0.0.1:1/0'
ok "security: no planted API key in any CLI output" bash -c '! printf "%s" "$1" | grep -qE "CLI-PLANTED|93c7d1e5"' _ "$sec_all"
ok "security: no planted Redis password in any CLI output" bash -c '! printf "%s" "$1" | grep -qE "0b4f"' _ "$sec_all"
kill "$sec_pid" 2>/dev/null; wait "$sec_pid" 2>/dev/null
