#!/bin/sh
# test-systemd-unit.sh — what the shipped systemd unit gives sluiced beyond its defaults: enough
# file descriptors for the HTTP API's connections (LimitNOFILE, docs/http-api.md "Connections";
# systemd's default soft limit of 1,024 ran out with the connections libsoup 3.2 kept).
#
# Usage: test-systemd-unit.sh BUILT_UNIT
set -eu

unit=$1

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

[ -f "$unit" ] || fail "no unit at $unit"
# The value of the one LimitNOFILE= line of the [Service] section.
limit=$(awk '/^\[/ { section = $0 }
             section == "[Service]" && /^LimitNOFILE=/ { sub(/^LimitNOFILE=/, ""); print }' "$unit")
[ -n "$limit" ] || fail "$unit sets no LimitNOFILE= in [Service] (the default soft limit is 1,024)"
[ "$(printf '%s\n' "$limit" | wc -l)" -eq 1 ] || fail "$unit sets LimitNOFILE= more than once"
case "$limit" in
  *[!0-9]*) fail "$unit: LimitNOFILE=$limit: expected one number (soft and hard limit alike)" ;;
esac
[ "$limit" -ge 65536 ] || fail "$unit: LimitNOFILE=$limit: expected at least 65536"
echo "LimitNOFILE=$limit"
