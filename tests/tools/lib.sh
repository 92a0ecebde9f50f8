# Assertions for shell test scripts; each assertion is one test case.
#   ok "name" command...             passes when the command exits 0
#   expect_exit N "name" command...  passes when the command exits N
#   contains "name" "$text" "needle"
#   have_data "what" FILE...         true when the outside evaluation files exist; otherwise
#                                    counts one skip and says where it looked:
#                                    if have_data "Cookie Cats figures" "$CC"; then ...; fi
#   finish                           prints "N passed, N failed, N skipped", sets the exit status
_p=0
_f=0
_s=0
ok() {
  local name=$1; shift
  if "$@" >/tmp/ecai-sh-test.$$ 2>&1; then _p=$((_p+1)); echo "ok   $name"
  else _f=$((_f+1)); echo "FAIL $name"; sed 's/^/    /' /tmp/ecai-sh-test.$$ | head -n 20; fi
}
expect_exit() {
  local want=$1 name=$2; shift 2
  "$@" >/tmp/ecai-sh-test.$$ 2>&1
  local rc=$?
  if [ $rc -eq "$want" ]; then _p=$((_p+1)); echo "ok   $name"
  else _f=$((_f+1)); echo "FAIL $name (exit $rc, want $want)"; sed 's/^/    /' /tmp/ecai-sh-test.$$ | head -n 20; fi
}
contains() {
  if printf '%s' "$2" | grep -qF -- "$3"; then _p=$((_p+1)); echo "ok   $1"
  else _f=$((_f+1)); echo "FAIL $1: output does not contain '$3'"; printf '%s\n' "$2" | head -n 20 | sed 's/^/    /'; fi
}
have_data() {
  local what=$1 f; shift
  for f in "$@"; do
    if [ ! -r "$f" ]; then
      _s=$((_s+1))
      echo "skip $what: no outside data (looked for $f; set ECAI_DATA to the data folder)"
      return 1
    fi
  done
}
finish() {
  rm -f /tmp/ecai-sh-test.$$
  echo "$_p passed, $_f failed, $_s skipped"
  [ $_f -eq 0 ]
}
