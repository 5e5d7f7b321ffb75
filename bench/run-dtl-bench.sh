#!/bin/sh
# The DTL benchmark: the standard transform on the standard entities, DTL against the equivalent
# hand-written Python function, in the same run.  Prints both rates and the ratio.
#   bench/run-dtl-bench.sh BUILDDIR [N]
set -eu
builddir=${1:?usage: run-dtl-bench.sh BUILDDIR [N]}
n=${2:-200000}
here=$(dirname "$0")
data=$(mktemp)
trap 'rm -f "$data"' EXIT
python3 "$here/gen_entities.py" "$n" > "$data"
dtl=$("$builddir/bench/bench-dtl" "$data" 5)
py=$(python3 "$here/bench_dtl_baseline.py" "$data" 5)
echo "$dtl"
echo "$py"
echo "$dtl" "$py" | awk '{ for (i = 1; i <= NF; i++) if ($i == "entities/s") r[++k] = $(i - 1) }
  END { printf "ratio dtl/python: %.2f\n", r[1] / r[2] }'
