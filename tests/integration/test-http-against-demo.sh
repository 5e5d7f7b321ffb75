#!/usr/bin/env bash
# test-http-against-demo.sh — the http plugin's elements in real pipes (`sluiced --once`) against
# the demo CRM (demo/crm/) on loopback, with the faults of issue 6: a transient 500 succeeds after
# retries; a permanent 500 fails the run naming the URL and the status and commits nothing;
# truncated JSON fails cleanly; 429 is honoured; an empty response on a full run with
# if_source_empty "fail" deletes nothing; secrets never reach the output.
# Arguments: the sluiced binary, the build's plugin directory, the sluice-demo-crm binary.
set -euo pipefail

sluiced=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
plugins=$(cd "$2" && pwd)
demo=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")

tmp=$(mktemp -d)
demo_pid=
cleanup () {
  if [ -n "$demo_pid" ]; then kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export HOME="$tmp"
unset SLUICE_PLUGIN_PATH || true

fail () {
  echo "FAIL: $*" >&2
  [ -f "$tmp/out" ] && { echo "--- sluiced output" >&2; cat "$tmp/out" >&2; }
  [ -f "$tmp/demo.log" ] && { echo "--- demo log" >&2; tail -n 30 "$tmp/demo.log" >&2; }
  exit 1
}

# Starts the demo CRM with the given options; sets $base to its URL.
start_demo () {
  rm -f "$tmp/demo.fifo"
  mkfifo "$tmp/demo.fifo"
  "$demo" --port=0 "$@" > "$tmp/demo.fifo" 2>> "$tmp/demo.log" &
  demo_pid=$!
  exec 3< "$tmp/demo.fifo"
  local line
  read -r -t 30 line <&3 || fail "sluice-demo-crm did not start"
  base=${line#listening on }
}

stop_demo () {
  kill -TERM "$demo_pid"
  wait "$demo_pid" || fail "sluice-demo-crm did not exit cleanly"
  demo_pid=
  exec 3<&-
}

# http METHOD PATH [BODY]: the response body (also for error statuses).
http () {
  python3 - "$1" "$base$2" "${3-}" <<'PY'
import sys, urllib.request, urllib.error
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
request = urllib.request.Request(url, data=body.encode() if body else None, method=method)
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        sys.stdout.write(response.read().decode())
except urllib.error.HTTPError as error:
    sys.stdout.write(error.read().decode())
PY
}

control () { http POST /_control "$1" > /dev/null; }

# stat GROUP KEY: a counter of GET /_stats ("requests" "GET /persons", "responses" "429").
stat () {
  http GET /_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]].get(sys.argv[2], 0))' "$1" "$2"
}

# Writes the configuration: the system (with extra JSON members $system_extra) and the pipes given.
configure () {
  cat > "$tmp/config.json" <<EOF
[
  {"_id": "crm", "type": "system:url", "url_pattern": "$base/%s",
   "request_retry_delay": 0.05, "request_retry_max_delay": 0.2 ${system_extra-}},
  $1
]
EOF
}

run () {
  set +e
  "$sluiced" --plugin-dir "$plugins" --config "$tmp/config.json" --data "$tmp/data" \
    ${secrets_arg-} --once "$@" > "$tmp/out" 2>&1
  status=$?
  set -e
}

# count DATASET [deleted]: the entities of a dataset (not deleted, or deleted ones), read with a
# new dataset -> file pipe each time.
# count runs in a subshell ($(count …)), so each call names its own dump pipe (a fresh pipe, hence a
# full run) and leaves the dump's path in $tmp/last-dump for the caller.
count () {
  local id="dump-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  local path="$tmp/$id.jsonl"
  echo "$path" > "$tmp/last-dump"
  cat > "$tmp/dump.json" <<EOF
[{"_id": "$id", "type": "pipe", "source": {"type": "dataset", "dataset": "$1"},
  "sink": {"type": "file", "path": "$path"}}]
EOF
  "$sluiced" --plugin-dir "$plugins" --config "$tmp/dump.json" --data "$tmp/data" --once \
    > "$tmp/dump.out" 2>&1 || true
  python3 - "$path" "${2-live}" <<'PY'
import json, os, sys
path, which = sys.argv[1], sys.argv[2]
entities = []
if os.path.exists(path):
    with open(path) as f:
        entities = [json.loads(line) for line in f if line.strip()]
deleted = sum(1 for e in entities if e.get("_deleted"))
print(deleted if which == "deleted" else len(entities) - deleted)
PY
}

json_source='{"_id": "crm-person", "type": "pipe",
   "source": {"type": "json", "system": "crm", "url": "persons",
              "supports_since": true, "is_chronological": true}}'

# ---- the engine hands systems to elements (sluice_element_context_get_system) -------------------
start_demo --generate=50
configure "$json_source"
"$sluiced" --plugin-dir "$plugins" --config "$tmp/config.json" --check-config > "$tmp/out" 2>&1 \
  || fail "check-config of a json source pipe: $(cat "$tmp/out")"

# ---- json source: a full run, then an incremental one from the last _updated -------------------
run
[ "$status" -eq 0 ] || fail "json source: --once exited $status"
[ "$(count crm-person)" -eq 50 ] || fail "json source: expected 50 entities in crm-person"
run
[ "$status" -eq 0 ] || fail "json source: second --once exited $status"
grep -q "GET /persons?since=49 -> 200" "$tmp/demo.log" \
  || fail "json source: the second run did not ask for since=49"

# ---- transient 500: succeeds after retries -------------------------------------------------------
rm -rf "$tmp/data"
http DELETE /_stats > /dev/null
control '{"fault": "transient-500", "count": 2, "resource": "persons"}'
run
[ "$status" -eq 0 ] || fail "transient 500: --once exited $status"
[ "$(stat requests 'GET /persons')" -eq 3 ] || fail "transient 500: expected 2 retries"
[ "$(count crm-person)" -eq 50 ] || fail "transient 500: expected 50 entities"

# ---- permanent 500: the run fails naming URL and status, and commits nothing ----------------------
rm -rf "$tmp/data"
control '{"fault": "permanent-500"}'
run
[ "$status" -ne 0 ] || fail "permanent 500: --once succeeded"
[ "$status" -lt 128 ] || fail "permanent 500: sluiced crashed ($status)"
grep -q "$base/persons" "$tmp/out" || fail "permanent 500: the message does not name the URL"
grep -q "500" "$tmp/out" || fail "permanent 500: the message does not name the status"
[ "$(count crm-person)" -eq 0 ] || fail "permanent 500: entities were committed"
control '{"fault": "reset"}'

# ---- truncated JSON: fails cleanly; the next run recovers ---------------------------------------
control '{"fault": "truncated", "resource": "persons"}'
run
[ "$status" -ne 0 ] || fail "truncated: --once succeeded"
[ "$status" -lt 128 ] || fail "truncated: sluiced crashed ($status)"
grep -q "$base/persons" "$tmp/out" || fail "truncated: the message does not name the URL"
run
[ "$status" -eq 0 ] || fail "truncated: the run after the fault exited $status"
[ "$(count crm-person)" -eq 50 ] || fail "truncated: expected 50 entities after recovery"

# ---- 429: Retry-After is honoured --------------------------------------------------------------
rm -rf "$tmp/data"
http DELETE /_stats > /dev/null
control '{"fault": "rate-limit", "count": 1, "retry_after": 1}'
start=$(date +%s%N)
run
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" -eq 0 ] || fail "429: --once exited $status"
[ "$(stat responses 429)" -eq 1 ] || fail "429: the fault did not fire"
[ "$(stat requests 'GET /persons')" -eq 2 ] || fail "429: expected one retry"
[ "$elapsed_ms" -ge 1000 ] || fail "429: retried after $elapsed_ms ms, before Retry-After (1 s)"
[ "$(count crm-person)" -eq 50 ] || fail "429: expected 50 entities"

# ---- if_source_empty "fail": an empty response on a full run deletes nothing ---------------------
rm -rf "$tmp/data"
configure '{"_id": "crm-person", "type": "pipe",
   "source": {"type": "json", "system": "crm", "url": "persons", "if_source_empty": "fail"}}'
run
[ "$status" -eq 0 ] || fail "if_source_empty: first run exited $status"
control '{"fault": "empty", "resource": "persons"}'
run
[ "$status" -ne 0 ] || fail "if_source_empty: the empty full run succeeded"
[ "$(count crm-person)" -eq 50 ] || fail "if_source_empty: entities were lost"
[ "$(count crm-person deleted)" -eq 0 ] || fail "if_source_empty: entities were deleted"
stop_demo

# ---- secrets never reach the output ---------------------------------------------------------------
start_demo --generate=5
printf '{"crm-password": "s3cr3t-Pa55w0rd"}\n' > "$tmp/secrets.json"
chmod 600 "$tmp/secrets.json"
secrets_arg="--secrets=$tmp/secrets.json"
system_extra=', "authentication": "basic", "username": "sluice", "password": "$SECRET(crm-password)"'
configure "$json_source"
control '{"fault": "permanent-500"}'
run
[ "$status" -ne 0 ] || fail "secrets: --once succeeded against a permanent 500"
if grep -q "s3cr3t-Pa55w0rd" "$tmp/out"; then fail "secrets: the password appears in the output"; fi
if grep -q "czNjcjN0LVBhNTV3MHJk" "$tmp/out"; then fail "secrets: the encoded password appears"; fi
unset secrets_arg system_extra
stop_demo

# ---- json sink: a full push sequence; what is gone from the source is deleted at the end ---------
start_demo
rm -rf "$tmp/data"
push_pipe () {
  configure "{\"_id\": \"push\", \"type\": \"pipe\",
   \"source\": {\"type\": \"embedded\", \"entities\": [$1]},
   \"sink\": {\"type\": \"json\", \"system\": \"crm\", \"url\": \"push/persons\", \"batch_size\": 2}}"
}
push_pipe '{"_id": "a", "n": 1}, {"_id": "b", "n": 2}, {"_id": "c", "n": 3}'
run
[ "$status" -eq 0 ] || fail "json sink: --once exited $status"
received=$(http GET /persons | python3 -c 'import json, sys; print(" ".join("%s=%s" % (e["_id"], e.get("n")) for e in json.load(sys.stdin)))')
[ "$received" = "a=1 b=2 c=3" ] || fail "json sink: the CRM received \"$received\", expected a, b and c"
grep -q "POST /push/persons?.*-> 200 (0 entities" "$tmp/demo.log" \
  || fail "json sink: no final empty batch"
stop_demo

# ---- json sink: a full run that fails half-way is pushed again whole, never continued -------------
# The push pipe reads a dataset in batches of two; its DTL fails on entity e, after two batches of
# a full sequence were pushed and checkpointed. With the DTL mended, the next run must push a new
# full sequence from the first entity: continuing the old one from its checkpoint would make the
# CRM delete a to d at is_last.
start_demo
rm -rf "$tmp/data"
push_after_failure () {
  configure "{\"_id\": \"people\", \"type\": \"pipe\",
   \"source\": {\"type\": \"embedded\", \"entities\": [{\"_id\": \"a\"}, {\"_id\": \"b\"},
     {\"_id\": \"c\"}, {\"_id\": \"d\"}, {\"_id\": \"e\"}, {\"_id\": \"f\"}, {\"_id\": \"g\"}]}},
  {\"_id\": \"push\", \"type\": \"pipe\", \"batch_size\": 2, \"checkpoint_interval\": 1,
   \"source\": {\"type\": \"dataset\", \"dataset\": \"people\"},
   \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\": [$1 [\"copy\", \"*\"]]}},
   \"sink\": {\"type\": \"json\", \"system\": \"crm\", \"url\": \"push/persons\"}}"
}
push_after_failure '["if", ["eq", "_S._id", "e"], ["fail!", "e is broken"]],'
run people push
[ "$status" -ne 0 ] || fail "json sink: the run with a failing DTL did not fail"
grep -q "e is broken" "$tmp/out" || fail "json sink: the run did not fail in the DTL"
push_after_failure ''
run push
[ "$status" -eq 0 ] || fail "json sink: the run after the failed one exited $status"
grep -q "a JSON push sequence cannot continue the full run that did not finish; the full run starts over" "$tmp/out" \
  || fail "json sink: the log does not say that the full run starts over"
received=$(http GET /persons | python3 -c 'import json, sys; print(" ".join("%s%s" % (e["_id"], "(deleted)" if e.get("_deleted") else "") for e in json.load(sys.stdin)))')
[ "$received" = "a b c d e f g" ] || fail "json sink: after the failed full run the CRM holds \"$received\", expected a to g"
stop_demo

# ---- http transform: the batch is replaced by what the service returns ----------------------------
start_demo --generate=3
rm -rf "$tmp/data"
configure '{"_id": "enriched", "type": "pipe",
   "source": {"type": "embedded", "entities": [{"_id": "person-1"}, {"_id": "nobody"}]},
   "transform": {"type": "http", "system": "crm", "url": "enrich/persons"}}'
run
[ "$status" -eq 0 ] || fail "http transform: --once exited $status"
[ "$(count enriched)" -eq 2 ] || fail "http transform: expected 2 entities"
grep -q '"email":"user1@example.org"' "$(cat "$tmp/last-dump")" \
  || fail "http transform: person-1 was not enriched"
stop_demo

echo "ok"
