#!/bin/sh
# test-sluiced-config.sh — sluiced --check-config and --print-config as a user runs them.
# Arguments: the sluiced binary, the directory holding sluice-config-test.so, the source tree.
set -eu

# The test changes directory: make every argument absolute.
sluiced=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
plugin_dir=$(cd "$2" && pwd)
fixtures=$(cd "$3" && pwd)/tests/fixtures/config

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp"
unset SLUICE_PLUGIN_PATH || true
export SLUICE_TEST_HOST=example.org SLUICE_TEST_PORT=8080

secret_value=s3cr3t-t0ken-value
printf '{"api-token": "%s", "db-password": "hunter2-passw0rd"}\n' "$secret_value" > "$tmp/secrets.json"
chmod 600 "$tmp/secrets.json"

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

run () {
  set +e
  "$sluiced" --plugin-dir "$plugin_dir" --secrets "$tmp/secrets.json" "$@" > "$tmp/out" 2> "$tmp/err"
  status=$?
  set -e
}

# A valid directory: a summary on stdout, exit 0.
run --config "$fixtures/valid/directory" --check-config
[ "$status" -eq 0 ] || fail "check-config of a valid directory exited $status: $(cat "$tmp/err")"
grep -qx 'configuration OK: 3 components (2 pipes, 1 system) from 2 files' "$tmp/out" \
  || fail "unexpected summary: $(cat "$tmp/out")"

# Several --config paths add up.
run --config "$fixtures/valid/directory" --config "$fixtures/valid/array.json" --check-config
[ "$status" -eq 0 ] || fail "check-config of two paths exited $status: $(cat "$tmp/err")"
grep -qx 'configuration OK: 6 components (4 pipes, 2 systems) from 3 files' "$tmp/out" \
  || fail "unexpected summary: $(cat "$tmp/out")"

# All errors, not just the first, then the summary; exit 1.
mkdir "$tmp/conf"
cp "$fixtures/invalid/wrong-type.json" "$fixtures/invalid/bad-choice.json" "$tmp/conf/"
cd "$tmp"
run --config conf --check-config
[ "$status" -eq 1 ] || fail "check-config of invalid files exited $status"
cat > "$tmp/expected" <<EXPECTED
conf/bad-choice.json:5:20: people: /pump/mode: invalid value 'sometimes' for 'mode': expected 'scheduled', 'manual' or 'off'
conf/wrong-type.json:2:10: people: /_id: duplicate _id 'people': already defined at conf/bad-choice.json:2:10
conf/wrong-type.json:5:17: people: /batch_size: wrong type for 'batch_size': expected an integer, got a string
sluiced: 3 errors in 2 files
EXPECTED
diff -u "$tmp/expected" "$tmp/err" || fail "check-config reported other errors"

# --print-config: patterns expanded, secrets redacted, nothing secret anywhere in the output.
run --config "$fixtures/valid/pattern.json" --print-config
[ "$status" -eq 0 ] || fail "print-config exited $status: $(cat "$tmp/err")"
diff -u "$fixtures/valid/pattern.print.json" "$tmp/out" || fail "print-config printed something else"
run --config "$fixtures/valid/secrets-and-env.json" --print-config
[ "$status" -eq 0 ] || fail "print-config exited $status: $(cat "$tmp/err")"
diff -u "$fixtures/valid/secrets-and-env.print.json" "$tmp/out" || fail "print-config printed something else"
if grep -q "$secret_value\|hunter2" "$tmp/out" "$tmp/err"; then
  fail "a secret value was printed"
fi
# Numbers as written: 0.1 stays 0.1, 1e18 stays 1e18, 12345678901234567890.5 and 1e400 are kept.
run --config "$fixtures/valid/numbers.json" --print-config
[ "$status" -eq 0 ] || fail "print-config of numbers exited $status: $(cat "$tmp/err")"
diff -u "$fixtures/valid/numbers.print.json" "$tmp/out" || fail "print-config changed numbers"

# A secrets file readable by others is refused, and says how to fix it.
chmod 644 "$tmp/secrets.json"
run --config "$fixtures/valid/secrets-and-env.json" --check-config
[ "$status" -eq 1 ] || fail "an unsafe secrets file was accepted"
grep -q "^$tmp/secrets.json: the secrets file is accessible by group or others (mode 0644); it must be private to its owner: chmod 600 $tmp/secrets.json\$" "$tmp/err" \
  || fail "unexpected refusal: $(cat "$tmp/err")"
if grep -q "$secret_value\|hunter2" "$tmp/out" "$tmp/err"; then
  fail "a secret value was printed"
fi

# A FIFO as the secrets file is refused at once: opening it must not wait for a writer.  The
# timeout turns a hang into a failure (status 124).
chmod 600 "$tmp/secrets.json"
mkfifo "$tmp/secrets.fifo"
set +e
timeout 30 "$sluiced" --plugin-dir "$plugin_dir" --secrets "$tmp/secrets.fifo" \
  --config "$fixtures/valid/secrets-and-env.json" --check-config > "$tmp/out" 2> "$tmp/err"
status=$?
set -e
[ "$status" -ne 124 ] || fail "check-config blocked on a FIFO as the secrets file"
[ "$status" -eq 1 ] || fail "a FIFO as the secrets file exited $status: $(cat "$tmp/err")"
grep -q "^$tmp/secrets.fifo: the secrets file is not a regular file (it is a FIFO)\$" "$tmp/err" \
  || fail "unexpected refusal of a FIFO: $(cat "$tmp/err")"

echo "ok"
