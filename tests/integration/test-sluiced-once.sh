#!/usr/bin/env bash
# test-sluiced-once.sh — `sluiced --once` as a user runs it: dependency order, incremental second
# runs, named pipes, failures named in the exit status, cycles, and element errors in
# --check-config.
# Arguments: the sluiced binary, the build's plugin directory, the engine test plugin directory,
# the source tree (for the quickstart example).
set -eu

sluiced=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
plugins=$(cd "$2" && pwd)
test_plugins=$(cd "$3" && pwd)
quickstart=$(cd "$4" && pwd)/etc/examples/quickstart
demo=$(cd "$(dirname "$5")" && pwd)/$(basename "$5")

tmp=$(mktemp -d)
demo_pid=
trap '[ -z "$demo_pid" ] || kill "$demo_pid" 2> /dev/null; rm -rf "$tmp"' EXIT
export HOME="$tmp"
unset SLUICE_PLUGIN_PATH || true

fail () {
  echo "FAIL: $*" >&2
  echo "--- stdout" >&2; cat "$tmp/out" >&2
  echo "--- stderr" >&2; cat "$tmp/err" >&2
  exit 1
}

run () {
  set +e
  "$sluiced" --plugin-dir "$plugins" --plugin-dir "$test_plugins" --data "$tmp/data" "$@" \
    > "$tmp/out" 2> "$tmp/err"
  status=$?
  set -e
}

# Pipes written readers first: --once runs the writers first.
cat > "$tmp/chain.json" <<'EOF'
[
  {"_id": "shared", "type": "pipe", "source": {"type": "dataset", "dataset": "cleaned"},
   "sink": {"type": "null"}},
  {"_id": "cleaned", "type": "pipe", "source": {"type": "dataset", "dataset": "raw"}},
  {"_id": "raw", "type": "pipe", "source": {"type": "test-sequence", "count": 3}},
  {"_id": "manual", "type": "pipe", "source": {"type": "test-sequence", "count": 1},
   "pump": {"mode": "manual"}}
]
EOF
run --config "$tmp/chain.json" --once
[ "$status" -eq 0 ] || fail "--once exited $status"
cut -d' ' -f1-3 "$tmp/out" > "$tmp/order"
printf 'raw: full run\ncleaned: full run\nshared: full run\n' | cmp -s - "$tmp/order" \
  || fail "unexpected order or run types"
grep -qx 'cleaned: full run done: 3 read, 3 written, 3 changed, 1 batch, offset 2, [0-9.]* s' "$tmp/out" \
  || fail "unexpected summary of 'cleaned'"

# The second time, every pipe with an offset runs incrementally and finds nothing new.
run --config "$tmp/chain.json" --once
[ "$status" -eq 0 ] || fail "second --once exited $status"
grep -q '^cleaned: incremental run done: 0 read, 0 written, 0 changed, 0 batches, offset 2,' "$tmp/out" \
  || fail "the second run of 'cleaned' was not an empty incremental run"

# Named pipes run in dependency order too, manual ones included; unknown names are refused.
run --config "$tmp/chain.json" --once manual cleaned raw
[ "$status" -eq 0 ] || fail "--once with names exited $status"
cut -d' ' -f1 "$tmp/out" > "$tmp/order"
printf 'raw:\ncleaned:\nmanual:\n' | cmp -s - "$tmp/order" || fail "named pipes not run in order"
run --config "$tmp/chain.json" --once nosuch
[ "$status" -eq 1 ] || fail "an unknown pipe name exited $status"
grep -qx "sluiced: --once: the configuration has no pipe 'nosuch'" "$tmp/err" \
  || fail "unexpected message for an unknown pipe"

# A failing pipe: the others still run, the exit status is 1 and the failures are named.
cat > "$tmp/failing.json" <<'EOF'
[
  {"_id": "good", "type": "pipe", "source": {"type": "test-sequence", "count": 5}},
  {"_id": "bad", "type": "pipe", "batch_size": 2,
   "source": {"type": "test-sequence", "count": 5},
   "sink": {"type": "test-fail-sink", "fail_at_batch": 2}}
]
EOF
rm -rf "$tmp/data"
run --config "$tmp/failing.json" --once
[ "$status" -eq 1 ] || fail "a failing pipe exited $status"
grep -qx "sluiced: pipe 'bad' failed: /sink (type 'test-fail-sink') failed in batch 2: failing in batch 2 as configured" "$tmp/err" \
  || fail "the failure is not reported"
grep -qx "sluiced: 1 of 2 pipes failed: bad" "$tmp/err" || fail "the failed pipes are not named"
grep -q '^good: full run done: 5 read' "$tmp/out" || fail "the good pipe did not run"

# A cycle cannot be ordered.
cat > "$tmp/cycle.json" <<'EOF'
[
  {"_id": "a", "type": "pipe", "source": {"type": "dataset", "dataset": "b"}},
  {"_id": "b", "type": "pipe", "source": {"type": "dataset", "dataset": "a"}}
]
EOF
run --config "$tmp/cycle.json" --once
[ "$status" -eq 1 ] || fail "a cycle exited $status"
grep -qx "sluiced: the pipes form a dependency cycle (a -> b -> a): each writes a dataset the next reads" "$tmp/err" \
  || fail "unexpected cycle message"

# --check-config reports what only an element can see, located at the element.
cat > "$tmp/bad-element.json" <<'EOF'
{"_id": "inline", "type": "pipe",
 "source": {"type": "embedded", "entities": [{"name": "no id"}]}}
EOF
run --config "$tmp/bad-element.json" --check-config
[ "$status" -eq 1 ] || fail "--check-config of a bad element exited $status"
grep -qx "$tmp/bad-element.json:2:46: inline: /source/entities/0: every entity needs a string \`_id\`" "$tmp/err" \
  || fail "unexpected element error"

# Numbers in the configuration reach the data as written.  An embedded entity is read as a
# receiver reads a push with its defaults: a fraction is an exact decimal, 2.0 the integer 2,
# an integer of any size exact.  A DTL literal with a fraction is a float (digest 1.4), an
# integer literal exact however large.
cat > "$tmp/numbers.json" <<EOF
[
  {"_id": "inline", "type": "pipe",
   "source": {"type": "embedded", "entities": [
     {"_id": "a", "x": 0.1, "y": 12345678901234567890.5, "z": 12345678901234567890, "w": 2.0,
      "v": -0.250, "list": [0.1, 7]}]}},
  {"_id": "inline-out", "type": "pipe", "source": {"type": "dataset", "dataset": "inline"},
   "sink": {"type": "file", "path": "$tmp/inline.json"}},
  {"_id": "dtl-out", "type": "pipe", "source": {"type": "dataset", "dataset": "inline"},
   "transform": {"type": "dtl", "rules": {"default": [
     ["copy", "_id"], ["add", "tenth", 0.1], ["add", "big", 12345678901234567890],
     ["add", "is-float", ["is-float", 0.1]], ["add", "same", ["eq", "_S.x", ["decimal", "0.1"]]]]}},
   "sink": {"type": "file", "path": "$tmp/dtl.json"}}
]
EOF
rm -rf "$tmp/data"
run --config "$tmp/numbers.json" --once
[ "$status" -eq 0 ] || fail "--once with numbers exited $status"
grep -qxF '{"_id":"a","x":"~f0.1","y":"~f12345678901234567890.5","z":12345678901234567890,"w":2,"v":"~f-0.250","list":["~f0.1",7]}' "$tmp/inline.json" \
  || fail "the embedded entity's numbers changed: $(cat "$tmp/inline.json")"
grep -qxF '{"_id":"a","tenth":0.1,"big":12345678901234567890,"is-float":true,"same":true}' "$tmp/dtl.json" \
  || fail "the DTL literals changed: $(cat "$tmp/dtl.json")"

# The quickstart example against the demo CRM (as scripts/quickstart runs it): raw copy over JSON
# pull, DTL reshaping, share to a file in the working directory; then a change in the CRM flows
# through incrementally.
mkfifo "$tmp/demo.fifo"
"$demo" --port=0 --quiet --seed "$quickstart/crm-seed.json" > "$tmp/demo.fifo" 2> "$tmp/demo.log" &
demo_pid=$!
exec 3< "$tmp/demo.fifo"
read -r -t 30 line <&3 || fail "sluice-demo-crm did not start"
export SLUICE_QUICKSTART_CRM="${line#listening on }"

rm -rf "$tmp/data"
cd "$tmp"
run --config "$quickstart/config" --once
cd - > /dev/null
[ "$status" -eq 0 ] || fail "the quickstart exited $status"
grep -q '^person: full run done: 5 read, 5 written, 5 changed, 1 batch, offset 4,' "$tmp/out" \
  || fail "the quickstart's person pipe did not run as expected"
[ "$(wc -l < "$tmp/person.jsonl")" -eq 5 ] || fail "person.jsonl does not hold 5 people"
head -n1 "$tmp/person.jsonl" | grep -qx '{"_id":"1001","name":"Kari Nordmann","email":"kari.nordmann@example.no","country":"NO"}' \
  || fail "unexpected first line of person.jsonl: $(head -n1 "$tmp/person.jsonl")"

python3 - "$SLUICE_QUICKSTART_CRM/persons/1002" <<'PY'
import json, sys, urllib.request
body = {"first_name": "Sven", "last_name": "Svensson", "email": "sven.svensson@example.se", "country": "SE"}
request = urllib.request.Request(sys.argv[1], data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
urllib.request.urlopen(request).read()
PY
cd "$tmp"
run --config "$quickstart/config" --once
cd - > /dev/null
[ "$status" -eq 0 ] || fail "the quickstart's second run exited $status"
grep -q '^crm-person: incremental run done: 1 read' "$tmp/out" \
  || fail "the quickstart's crm-person did not fetch just the change"
grep -q '^person: incremental run done: 1 read, 1 written, 1 changed' "$tmp/out" \
  || fail "the quickstart's person pipe did not process just the change"
grep -q '"_id":"1002","name":"Sven Svensson","email":"sven.svensson@example.se"' "$tmp/person.jsonl" \
  || fail "the change did not reach person.jsonl: $(cat "$tmp/person.jsonl")"
kill -TERM "$demo_pid"
wait "$demo_pid" || fail "sluice-demo-crm did not exit cleanly"
demo_pid=

echo "ok"
