#!/bin/sh
# The DTL benchmark: the standard transform on the standard entities, DTL against the equivalent
# hand-written Python function, in the same run.  Each side parses the input first and times only
# the transform (thread CPU time, best of ROUNDS); then a sample of about 1,000 outputs of each is
# compared, so that neither side can skip work.  Prints both rates and the ratio.
#   bench/run-dtl-bench.sh BUILDDIR [N [ROUNDS]]
set -eu
builddir=${1:?usage: run-dtl-bench.sh BUILDDIR [N [ROUNDS]]}
n=${2:-200000}
rounds=${3:-10}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen_entities.py" "$n" > "$tmp/entities.jsonl"
dtl=$("$builddir/bench/bench-dtl" "$tmp/entities.jsonl" "$rounds" "$tmp/dtl.jsonl")
py=$(python3 "$here/bench_dtl_baseline.py" "$tmp/entities.jsonl" "$rounds" "$tmp/python.jsonl")
echo "$dtl"
echo "$py"
if cmp -s "$tmp/dtl.jsonl" "$tmp/python.jsonl"; then
  echo "outputs: $(wc -l < "$tmp/dtl.jsonl") sampled entities identical"
else
  echo "outputs differ:" >&2
  diff "$tmp/dtl.jsonl" "$tmp/python.jsonl" | head -5 >&2
  exit 1
fi
echo "$dtl" "$py" | awk '{ for (i = 1; i <= NF; i++) if ($i == "entities/s") r[++k] = $(i - 1) }
  END { printf "ratio dtl/python: %.2f\n", r[1] / r[2] }'
