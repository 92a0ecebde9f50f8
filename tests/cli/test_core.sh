# ecai: dispatch, --help, --version, config, exit codes. Sourced by tests/cli/run.sh.
out=$($ECAI --help 2>&1); contains "ecai --help lists commands" "$out" "config"
contains "ecai --help documents exit status" "$out" "exit status"
expect_exit 0 "ecai --help exits 0" $ECAI --help
expect_exit 2 "no command is a usage error" $ECAI
out=$($ECAI frobnicate 2>&1); contains "unknown command names it" "$out" "unknown command 'frobnicate'"
expect_exit 2 "unknown command exits 2" $ECAI frobnicate
out=$($ECAI --version); contains "--version prints the version" "$out" "libecai 0.1.0"
out=$($ECAI version --json); contains "version --json" "$out" '"library":"0.1.0"'
for cmd in $($ECAI --help | awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}'); do
  expect_exit 0 "ecai $cmd --help exits 0" $ECAI $cmd --help
  out=$($ECAI $cmd --help); contains "ecai $cmd --help shows usage" "$out" "usage: ecai $cmd"
done
echo '{"llm": {"provider": "openai", "model": "m", "api_key_env": "CLI_TEST_KEY"}}' > "$TMP/good.json"
out=$(CLI_TEST_KEY=sk-cli-planted-1 $ECAI config --config "$TMP/good.json" --json)
contains "config --json shows settings" "$out" '"provider":"openai"'
contains "config --json flags the key as set" "$out" '"api_key_set":true'
ok "config --json never prints the key" bash -c "! printf '%s' '$out' | grep -q planted"
echo '{"llm": {"modle": "m"}}' > "$TMP/typo.json"
expect_exit 2 "config with an unknown key exits 2" $ECAI config --config "$TMP/typo.json"
out=$($ECAI config --config "$TMP/typo.json" 2>&1)
contains "config error names the key" "$out" "unknown key 'llm.modle'"
ok "config error is one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
expect_exit 2 "config with a missing file exits 2" $ECAI config --config "$TMP/none.json"
expect_exit 2 "config with an unknown option exits 2" $ECAI config --frob
