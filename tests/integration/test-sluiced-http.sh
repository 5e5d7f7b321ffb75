#!/usr/bin/env bash
# test-sluiced-http.sh — `sluiced --http` as an operator runs it: the daemon listens, answers
# health without a token, runs a pipe on a pump operation, serves its dataset, refuses a body over
# --http-max-body, refuses a bad --http address at start, and still stops cleanly on SIGTERM.
# Requests are made with Python's standard library; the test waits on the daemon's log lines,
# never on a clock.
# Arguments: the sluiced binary, the build's plugin directory.
set -eu

sluiced=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
plugins=$(cd "$2" && pwd)

tmp=$(mktemp -d)
pid=
FOLLOW_PID=
trap '[ -z "$pid" ] || kill "$pid" 2> /dev/null; [ -z "$FOLLOW_PID" ] || kill "$FOLLOW_PID"; rm -rf "$tmp"' EXIT
export HOME="$tmp"
unset SLUICE_PLUGIN_PATH || true
# Run results are logged at the info level.
export G_MESSAGES_DEBUG=sluice
# Under LeakSanitizer, leaks inside libsoup 3.2 are not sluiced's (demo/crm/lsan.supp); matching
# them needs whole allocation stacks.
if [ -n "${SLUICE_TEST_SRCDIR:-}" ]; then
  export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SLUICE_TEST_SRCDIR/demo/crm/lsan.supp:print_suppressions=0"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
fi

fail () {
  echo "FAIL: $*" >&2
  echo "--- log" >&2; cat "$tmp/log" >&2 || true
  exit 1
}

# Follows the daemon's log from its start: wait_for_line reads on from where the last one stopped
# until a line matches $1 (a glob), which it leaves in $matched.
follow_log () {
  coproc FOLLOW { exec tail -n +1 -f "$tmp/log"; }
}
wait_for_line () {
  local line
  while IFS= read -r -t 60 line <&"${FOLLOW[0]}"; do
    case "$line" in
      *$1*) matched=$line; return 0 ;;
    esac
  done
  fail "no log line like '$1'"
}

cat > "$tmp/config.json" <<'EOF'
[
  {"_id": "node", "type": "metadata",
   "api_tokens": [{"name": "ops", "token": "$SECRET(ops)", "access": "admin"}]},
  {"_id": "people", "type": "pipe", "pump": {"mode": "manual"},
   "source": {"type": "embedded", "entities": [
     {"_id": "1", "name": "Ada"}, {"_id": "2", "name": "Grace"}, {"_id": "3", "name": "Edsger"}]}}
]
EOF
printf '{"ops": "ops-secret-token"}\n' > "$tmp/secrets.json"
chmod 600 "$tmp/secrets.json"

# A bad address stops sluiced before it runs anything.
set +e
"$sluiced" --plugin-dir "$plugins" --data "$tmp/data" --config "$tmp/config.json" \
  --secrets "$tmp/secrets.json" --http 127.0.0.1:99999 > "$tmp/log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ] || fail "--http 127.0.0.1:99999 exited 0"
grep -q -- "--http 127.0.0.1:99999: expected ADDRESS:PORT with a port from 0 to 65535" "$tmp/log" \
  || fail "no message about the bad address"

"$sluiced" --plugin-dir "$plugins" --data "$tmp/data" --config "$tmp/config.json" \
  --secrets "$tmp/secrets.json" --http 127.0.0.1:0 --http-max-body 1000 > "$tmp/log" 2>&1 &
pid=$!
follow_log
wait_for_line "HTTP API listening on"
port=$(printf '%s\n' "$matched" | sed -n 's/.*(port \([0-9]*\)).*/\1/p')
[ -n "$port" ] || fail "no port in '$matched'"

# Prints "STATUS BODY" of a request: METHOD PATH [TOKEN [BODY]].
request () {
  python3 - "$port" "$@" <<'EOF'
import sys, urllib.request, urllib.error
port, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
token = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
if token:
    req.add_header("Authorization", f"Bearer {token}")
if body is not None:
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
EOF
}

out=$(request GET /api/health)
[ "$out" = '200 {"status":"ok"}' ] || fail "health: $out"

out=$(request GET /api/pipes)
case "$out" in 401*) ;; *) fail "pipes without a token: $out" ;; esac

out=$(request POST /api/pipes/people/pump ops-secret-token operation=start)
case "$out" in 200*) ;; *) fail "start: $out" ;; esac
wait_for_line "pipe 'people': full run done"

out=$(request GET /api/datasets/people/entities ops-secret-token)
count=$(printf '%s\n' "${out#200 }" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$count" = 3 ] || fail "entities: $out"

big=$(python3 -c 'print("operation=start&comment=" + "x" * 2000)')
out=$(request POST /api/pipes/people/pump ops-secret-token "$big")
case "$out" in
  *'"the request body (2024 bytes) is larger than the limit of 1000 bytes (sluiced --http-max-body)"'*) ;;
  *) fail "big body: $out" ;;
esac

kill -TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
pid=
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
echo "ok"
