#!/bin/sh
# test-sluiced-bus.sh — sluiced --bus session as an operator meets it: under dbus-run-session,
# sluicectl starts a pipe and follows it with watch, reads the result back, reloads the
# configuration with SIGHUP (a valid one takes over, an invalid one is refused and the running
# one stays), a second sluiced cannot take the name, and after SIGTERM sluicectl says sluiced is
# gone (status 3).
#
# Nothing sleeps: gdbus wait blocks until sluiced owns its name, and `sluicectl watch` writes to a
# FIFO that the test reads line by line (its first line says it has subscribed).
#
# Usage (from meson): test-sluiced-bus.sh SLUICED SLUICECTL PLUGIN_DIR
set -eu

if [ "${SLUICE_TEST_IN_BUS:-}" != 1 ]; then
  SLUICE_TEST_IN_BUS=1 exec dbus-run-session -- "$0" "$@"
fi

sluiced=$1
sluicectl=$2
plugin_dir=$3
export SLUICE_BUS=session

dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bus-XXXXXX")
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- sluiced log:" >&2
  cat "$dir/sluiced.log" >&2 || true
  exit 1
}

# expect STATUS COMMAND…: runs a command, checks its exit status; its output is in $dir/out, err.
expect() {
  want=$1
  shift
  set +e
  "$@" >"$dir/out" 2>"$dir/err"
  got=$?
  set -e
  [ "$got" = "$want" ] || fail "$* exited $got, expected $want; stderr: $(cat "$dir/err")"
}

contains() {
  grep -qF -- "$2" "$1" || fail "$1 does not contain '$2': $(cat "$1")"
}

mkdir "$dir/config"
cat >"$dir/config/pipes.json" <<'JSON'
[
  {"_id": "people", "type": "pipe", "pump": {"mode": "manual"},
   "source": {"type": "embedded", "entities": [
     {"_id": "1", "name": "Ada"}, {"_id": "2", "name": "Grace"}]}}
]
JSON

"$sluiced" --bus session --config "$dir/config" --data "$dir/data" --plugin-dir "$plugin_dir" \
  >"$dir/sluiced.log" 2>&1 &
daemon=$!
gdbus wait --session --timeout 30 org.sluice.Sluice1 || fail "sluiced did not own org.sluice.Sluice1"

# A second one cannot have the name.
expect 1 "$sluiced" --bus session --config "$dir/config" --data "$dir/data2" \
  --plugin-dir "$plugin_dir"
contains "$dir/err" "org.sluice.Sluice1 is already owned on the bus (is another sluiced running?)"

expect 0 "$sluicectl" list
contains "$dir/out" "people  idle   manual  yes      -         0     0        -       -"

# watch follows the run that start asks for.
mkfifo "$dir/watch"
"$sluicectl" --json watch --runs 1 >"$dir/watch" &
watcher=$!
exec 3<"$dir/watch"
read -r line <&3
[ "$line" = '{"event":"watching","pipes":[{"pipe":"people","state":"idle"}]}' ] ||
  fail "watch began with: $line"
expect 0 "$sluicectl" start people
[ "$(cat "$dir/out")" = "people: run asked for" ] || fail "start printed $(cat "$dir/out")"
events=
while read -r line <&3; do events="$events$line
"; done
wait "$watcher" || fail "watch exited with $?"
echo "$events" | grep -q '"event":"run-started","pipe":"people"' || fail "no run-started: $events"
echo "$events" | grep -q '"event":"run-finished","pipe":"people"' || fail "no run-finished: $events"

expect 0 "$sluicectl" status people
contains "$dir/out" "state:           idle"
contains "$dir/out" "runs:            1 started, 1 succeeded, 0 failed"
expect 0 "$sluicectl" entities people
contains "$dir/out" '"name":"Grace"'

# SIGHUP with a configuration that does not validate: refused, the running one stays.
cat >"$dir/config/pipes.json" <<'JSON'
[{"_id": "people", "type": "pipe", "source": {"type": "embedded", "entities": 3}}]
JSON
expect 1 "$sluicectl" reload
contains "$dir/err" "sluicectl: "
contains "$dir/err" "pipes.json"
contains "$dir/err" "the running configuration stays"
kill -HUP "$daemon"
expect 0 "$sluicectl" status people
contains "$dir/out" "state:           idle"

# SIGHUP with a valid one: the new pipe appears.
cat >"$dir/config/pipes.json" <<'JSON'
[
  {"_id": "people", "type": "pipe", "pump": {"mode": "manual"},
   "source": {"type": "embedded", "entities": [{"_id": "1", "name": "Ada"}]}},
  {"_id": "more", "type": "pipe", "pump": {"mode": "manual"},
   "source": {"type": "embedded", "entities": [{"_id": "x"}]}}
]
JSON
"$sluicectl" --json watch --runs 1 >"$dir/watch" &
watcher=$!
exec 3<"$dir/watch"
read -r line <&3
kill -HUP "$daemon"
read -r line <&3
[ "$line" = '{"event":"reloaded"}' ] || fail "expected the reload, got: $line"
expect 0 "$sluicectl" start more
while read -r line <&3; do :; done
wait "$watcher" || fail "watch exited with $?"
expect 0 "$sluicectl" status more
contains "$dir/out" "runs:            1 started, 1 succeeded, 0 failed"
expect 4 "$sluicectl" status nobody
[ "$(cat "$dir/err")" = "sluicectl: no pipe 'nobody'" ] || fail "stderr: $(cat "$dir/err")"

kill -TERM "$daemon"
wait "$daemon" || fail "sluiced exited with $? after SIGTERM"
daemon=
contains "$dir/sluiced.log" "reload refused"
expect 3 "$sluicectl" list
[ "$(cat "$dir/err")" = "sluicectl: sluiced is not running on the session bus (org.sluice.Sluice1 is not there)" ] ||
  fail "stderr: $(cat "$dir/err")"
echo "ok"
