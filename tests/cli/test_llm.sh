# ecai chat against the fake LLM server (started here on a free port, stopped at the end).
# Sourced by tests/cli/run.sh.
python3 tests/fakellm/server.py </dev/null >"$TMP/fakellm.out" 2>&1 &
fl_pid=$!
fl_port=
for _ in $(seq 1 100); do
  fl_port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$TMP/fakellm.out" 2>/dev/null)
  [ -n "$fl_port" ] && break
  sleep 0.1
done
ok "fake LLM server started" test -n "$fl_port"
fl_url=http://127.0.0.1:$fl_port
export CLI_LLM_KEY=sk-cli-planted-4711
llm_cfg() { # NAME PROVIDER MODEL [EXTRA] (EXTRA keys may override timeout_ms)
  local t='"timeout_ms": 2000, '
  case "$4" in *timeout_ms*) t=;; esac
  printf '{"llm": {"provider": "%s", "base_url": "%s", "model": "%s", "api_key_env": "CLI_LLM_KEY", %s"backoff_ms": 5%s}}\n' \
    "$2" "$fl_url" "$3" "$t" "${4:+, $4}" > "$TMP/$1.json"
}
llm_cfg oa openai m
llm_cfg an anthropic m
llm_cfg e500 openai fault-500 '"max_retries": 1'
llm_cfg slow openai fault-slow:2 '"timeout_ms": 300, "max_retries": 0'
llm_cfg bad openai fault-badjson
llm_cfg flaky openai fault-flaky:1
llm_cfg big openai fault-huge:16 '"max_reply_bytes": 65536'
echo '{"llm": {"provider": "none"}}' > "$TMP/none.json"

all=""
out=$($ECAI chat --config "$TMP/oa.json" "hello world" 2>&1); all+=$out
contains "chat prints the reply text" "$out" "echo: hello world"
out=$($ECAI chat --config "$TMP/oa.json" --json --system "be brief" "two words" 2>&1); all+=$out
contains "chat --json has the text" "$out" '"text":"echo: two words"'
contains "chat --json has the finish reason" "$out" '"finish_reason":"stop"'
contains "chat --json has usage" "$out" '"usage":{"prompt_tokens":4,"completion_tokens":3}'
contains "chat --json has attempts" "$out" '"attempts":1'
contains "chat --json has retries" "$out" '"retries":0'
contains "chat --json has the downgrade step" "$out" '"downgrade":"none"'
contains "chat --json has the cached flag" "$out" '"cached":false'
contains "chat --json has the cost" "$out" '"cost":'
out=$($ECAI chat --config "$TMP/an.json" --json --system "be brief" "hi anthropic" 2>&1); all+=$out
contains "chat works with the anthropic provider" "$out" '"provider":"anthropic"'
contains "anthropic reply text" "$out" '"text":"echo: hi anthropic"'
out=$($ECAI chat --config "$TMP/flaky.json" --json "again" 2>&1); all+=$out
contains "chat retries a flaky server" "$out" '"retries":1'

expect_exit 3 "chat: HTTP 500 exits 3" $ECAI chat --config "$TMP/e500.json" "x"
out=$($ECAI chat --config "$TMP/e500.json" "x" 2>&1); all+=$out
contains "chat: HTTP error names the status" "$out" "HTTP 500"
ok "chat: HTTP error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
expect_exit 3 "chat: timeout exits 3" $ECAI chat --config "$TMP/slow.json" "x"
out=$($ECAI chat --config "$TMP/slow.json" "x" 2>&1); all+=$out
contains "chat: timeout is named" "$out" "timeout after 300 ms"
expect_exit 3 "chat: unparsable reply exits 3" $ECAI chat --config "$TMP/bad.json" "x"
out=$($ECAI chat --config "$TMP/bad.json" "x" 2>&1); all+=$out
contains "chat: parse error is named" "$out" "not JSON"
out=$($ECAI chat --config "$TMP/big.json" "x" 2>&1); all+=$out
contains "chat: oversized reply is refused" "$out" "max_reply_bytes"
expect_exit 2 "chat: provider none exits 2" $ECAI chat --config "$TMP/none.json" "x"
out=$($ECAI chat --config "$TMP/none.json" "x" 2>&1); all+=$out
contains "chat: provider none is explained" "$out" "provider is 'none'"
expect_exit 2 "chat: missing message is a usage error" $ECAI chat --config "$TMP/oa.json"
expect_exit 2 "chat: unknown option is a usage error" $ECAI chat --frob x
ok "chat never prints the API key" bash -c "! printf '%s' \"\$1\" | grep -q planted" _ "$all"
stats=$(curl -s "$fl_url/last")
contains "the key was sent to the server as a header" "$stats" '"authorization": "set"'

# an api_key_env naming an unset variable: exit 2 naming it, and nothing is sent
printf '{"llm": {"provider": "openai", "base_url": "%s", "model": "m", "api_key_env": "CLI_NO_SUCH_KEY"}}\n' "$fl_url" > "$TMP/nokey.json"
before=$(curl -s "$fl_url/stats" | python3 -c 'import json,sys; print(sum(n for p, n in json.load(sys.stdin)["requests"].items() if "chat" in p))')
out=$(env -u CLI_NO_SUCH_KEY $ECAI chat --config "$TMP/nokey.json" "hello" 2>&1); rc=$?
ok "chat: api_key_env naming an unset variable exits 2" test "$rc" -eq 2
contains "chat: the error names the variable" "$out" "CLI_NO_SUCH_KEY"
after=$(curl -s "$fl_url/stats" | python3 -c 'import json,sys; print(sum(n for p, n in json.load(sys.stdin)["requests"].items() if "chat" in p))')
ok "chat: nothing was sent without a key ($before -> $after requests)" test -n "$before" -a "$before" = "$after"
printf '{"llm": {"provider": "openai", "base_url": "%s", "model": "m", "auth": "none"}}\n' "$fl_url" > "$TMP/keyless.json"
expect_exit 0 "chat: a keyless local server (auth none) answers" $ECAI chat --config "$TMP/keyless.json" "hello"
# the README's complete configurations (examples/config), pointed at the fake server
for f in openai anthropic local; do
  out=$(env OPENAI_API_KEY=sk-cfg-openai ANTHROPIC_API_KEY=sk-cfg-anthropic ECAI_LLM_BASE_URL="$fl_url" \
        $ECAI chat --config examples/config/$f.json --json "hello from $f" 2>&1)
  ok "examples/config/$f.json: ecai chat answers through it" python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['text'] and d['finish_reason'], d" "$out"
done
last=$(curl -s "$fl_url/last")
contains "examples/config/local.json sends no key" "$last" '"path": "/v1/chat/completions"'
ok "examples/config/local.json: no authorization header" bash -c "! grep -qi authorization <<<'$last'"
out=$(env -u OPENAI_API_KEY $ECAI config --config examples/config/openai.json 2>&1); rc=$?
ok "examples/config/openai.json without OPENAI_API_KEY: exit 2 naming it" bash -c "[ $rc -eq 2 ] && grep -q OPENAI_API_KEY <<<'$out'"
kill "$fl_pid" 2>/dev/null
wait "$fl_pid" 2>/dev/null
unset CLI_LLM_KEY
