#!/usr/bin/env bash
# Guardrail quality figures (make eval): red-team set, planted policy facts, false positives
# on faithful / paraphrased answers, the 79 FAQ answers and 10,003 banking77 questions, and
# the systematic planted-fact sweep. Needs the build (make) and ../shared/data.
cd "$(dirname "$0")/../.." || exit 2
export ECAI_ROOT=$PWD
make -s build/tests/unit >/dev/null || exit 2
out=$(build/tests/unit guard_redteam guard_planted guard_faq_answers guard_banking77 2>&1)
echo "$out" | grep -E '^  (red-team|planted|FAQ|banking77)'
echo "$out" | tail -n 1
py=$(ECAI_LIBRARY=$PWD/lib/libecai.so.0 /usr/bin/python3 -m pytest -q -s -p no:cacheprovider \
     bindings/python/tests/test_guard.py -k systematic 2>&1)
echo "$py" | grep -E '^systematic'
lies=$(bash tests/eval/guard_lies.sh); lrc=$?
echo "$lies"
echo "$out" | tail -n 1 | grep -q ' 0 failed' && echo "$py" | grep -q '1 passed' && [ "$lrc" -eq 0 ]
