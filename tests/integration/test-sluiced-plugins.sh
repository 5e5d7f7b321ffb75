#!/bin/sh
# test-sluiced-plugins.sh — `sluiced --list-plugins` and `sluiced --describe` as a user runs them.
#
# Usage: test-sluiced-plugins.sh SLUICED TEST_PLUGINS_DIR
set -eu

sluiced=$1
plugins=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home"
unset SLUICE_PLUGIN_PATH || true
dir="$tmp/plugins"
mkdir -p "$HOME" "$dir"
for name in good-one good-two bad-magic newer-minor; do
  ln -s "$plugins/sluice-$name.so" "$dir/sluice-$name.so"
done

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# Compares a file with the expected text given on stdin.
expect () {
  cat > "$tmp/expected"
  diff -u "$tmp/expected" "$1" || fail "$2"
}

# --list-plugins: every plugin with its element types, then the problems; exit 0 despite them.
"$sluiced" --plugin-dir "$dir" --list-plugins > "$tmp/out" 2> "$tmp/err" \
  || fail "--list-plugins exited with $?"
expect "$tmp/out" "--list-plugins output" <<EOT
good_one 1.2.3
  license: MIT
  file: $dir/sluice-good-one.so
  description: A well-formed test plugin.
  elements:
    source     good-source
    sink       good-sink
    system     system:good
    pattern    pattern:good
good_two 0.1
  license: Apache-2.0
  file: $dir/sluice-good-two.so
  description: Another well-formed test plugin.
  elements:
    transform  good-transform
problems:
  $dir/sluice-bad-magic.so: bad magic 0xdeadbeef in the plugin descriptor (expected 0x534c5047, "SLPG"): not a sluice plugin, or a corrupted one
  $dir/sluice-newer-minor.so: plugin ABI 1.2 is newer than this host's ABI 1.1
EOT
# Each problem is also a warning on stderr.
grep -q "WARNING.*$dir/sluice-newer-minor.so: plugin ABI 1.2 is newer than this host's ABI 1.1" \
  "$tmp/err" || fail "no warning for the newer-minor plugin on stderr: $(cat "$tmp/err")"

# SLUICE_PLUGIN_PATH is searched too, and before --plugin-dir.
SLUICE_PLUGIN_PATH="$dir" "$sluiced" --list-plugins > "$tmp/out" 2> /dev/null
grep -q "^good_two 0.1$" "$tmp/out" || fail "SLUICE_PLUGIN_PATH not searched"

# --describe: the options as JSON Schema.
"$sluiced" --plugin-dir "$dir" --describe good-transform > "$tmp/out" 2> /dev/null \
  || fail "--describe good-transform exited with $?"
expect "$tmp/out" "--describe good-transform output" <<'EOT'
{
  "$schema" : "https://json-schema.org/draft/2020-12/schema",
  "title" : "good-transform",
  "description" : "Changes nothing.",
  "x-sluice-kind" : "transform",
  "x-sluice-plugin" : "good_two",
  "type" : "object",
  "properties" : {  },
  "additionalProperties" : false
}
EOT
"$sluiced" --plugin-dir "$dir" --describe good-source > "$tmp/out" 2> /dev/null
grep -q '"required" : \[$' "$tmp/out" || fail "no required list in --describe good-source"
grep -q '"writeOnly" : true' "$tmp/out" || fail "secret option not marked writeOnly"

# --describe of a type a broken plugin would have provided: exit 1, naming the plugin and why.
status=0
"$sluiced" --plugin-dir "$dir" --describe newer-minor-source > "$tmp/out" 2> "$tmp/err" || status=$?
[ "$status" -eq 1 ] || fail "--describe newer-minor-source exited with $status, expected 1"
grep -qx "sluiced: element type 'newer-minor-source' is provided by a plugin that could not be loaded: $dir/sluice-newer-minor.so: plugin ABI 1.2 is newer than this host's ABI 1.1" \
  "$tmp/err" || fail "wrong error for newer-minor-source: $(cat "$tmp/err")"

# --describe of an unknown type: exit 1 with a suggestion and the unreadable plugins.
status=0
"$sluiced" --plugin-dir "$dir" --describe good-sorce > "$tmp/out" 2> "$tmp/err" || status=$?
[ "$status" -eq 1 ] || fail "--describe good-sorce exited with $status, expected 1"
grep -qx "sluiced: unknown element type 'good-sorce' (did you mean 'good-source'?); these plugins failed to load and might provide it: $dir/sluice-bad-magic.so" \
  "$tmp/err" || fail "wrong error for good-sorce: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "--describe of an unknown type printed to stdout"

# An unknown option is a usage error.
status=0
"$sluiced" --no-such-option > /dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "an unknown option exited with $status, expected 2"

echo "ok"
