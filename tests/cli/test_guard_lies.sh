# A lying and an honest model through `ecai ask --config` (tests/eval/guard_lies.sh, the
# fake LLM's answers-lie / answers-honest models). Sourced by tests/cli/run.sh.
out=$(ECAI=$ECAI bash tests/eval/guard_lies.sh 2>&1); rc=$?
contains "lying model: no planted contradiction reaches the customer" "$out" "all    lies shown 0 of 35"
hon=$(sed -n 's/^all .*honest answers shown \([0-9]*\) of 35$/\1/p' <<<"$out")
ok "honest model: at least 30 of 35 answers shown (${hon:-none})" test "${hon:-0}" -ge 30
ok "guard_lies.sh exits 0 when both hold" test "$rc" -eq 0
