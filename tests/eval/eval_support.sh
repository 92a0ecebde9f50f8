#!/usr/bin/env bash
# Support assistant figures (make eval): FAQ answer accuracy / coverage / escalation recall
# offline and with the fake LLM, planted wrong policy facts, the red-team set replayed end to
# end. Needs the build (make) and ../shared/data.
cd "$(dirname "$0")/../.." || exit 2
export ECAI_ROOT=$PWD
make -s lib/libecai.so.0.1.0 >/dev/null 2>&1 || make -s >/dev/null || exit 2
ECAI_LIBRARY=$PWD/lib/libecai.so.0 OMP_NUM_THREADS=1 /usr/bin/python3 tests/eval/eval_support.py "$@"
