#!/bin/sh
# The bench-smoke test: bench/run completes on a tiny input and prints its JSON lines, the figures
# table and the targets table.  It checks that the benchmark still runs, never how fast anything is.
#   smoke-test.sh SLUICED PLUGIN_DIR
set -eu
here=$(dirname "$0")
out=$("$here/run" --sluiced "$1" --plugin-dir "$2" --quick -n 2000 --sizes 2000)
echo "$out"
fail () { echo "bench-smoke: $1" >&2; exit 1; }
echo "$out" | grep -q '^| workload | entities |' || fail "no figures table in bench/run's output"
echo "$out" | grep -q '^| target | measured | met |' || fail "no targets table in bench/run's output"
for w in 'ingest (file → dataset)' 'transform (dataset → DTL → dataset)' 'unchanged rerun' \
         'incremental transform (2 changed)' 'scale: transform' 'ingest (HTTP receiver' \
         'publish (HTTP publisher' 'push-memory-one' 'push-memory-concurrent'; do
  echo "$out" | grep '^{' | grep -qF "\"workload\": \"$w" || fail "no JSON line for workload '$w'"
done
echo "$out" | grep '^{' | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' \
  || fail "a JSON line of bench/run does not parse"
