#!/bin/sh
# check-plugin-exports.sh — every plugin module exports exactly one dynamic symbol, its entry point.
#
# Usage: check-plugin-exports.sh BUILDDIR
# Checks every sluice-*.so built under BUILDDIR/plugins and the good test plugins under
# BUILDDIR/tests/plugins.  A second exported symbol would be ABI that nobody versions, and could
# collide with the same name in another plugin or in the host.
set -eu

builddir=$1
nm=${NM:-nm}
failed=0
checked=0

modules=$( { find "$builddir/plugins" -name 'sluice-*.so' -type f 2>/dev/null || true
             find "$builddir/tests/plugins" -name 'sluice-good-*.so' -type f 2>/dev/null || true
           } | sort)

for module in $modules; do
  name=$(basename "$module" .so)
  name=${name#sluice-}
  expected="sluice_plugin_$(printf '%s' "$name" | tr - _)_get_descriptor"
  symbols=$("$nm" -D --defined-only "$module" | awk '{ print $NF }' | sed 's/@.*//')
  if [ "$symbols" != "$expected" ]; then
    echo "FAIL: $module exports:" >&2
    printf '  %s\n' $symbols >&2
    echo "  expected exactly: $expected" >&2
    failed=1
  fi
  checked=$((checked + 1))
done

if [ "$checked" -eq 0 ]; then
  echo "FAIL: no plugin modules found under $builddir" >&2
  exit 1
fi
echo "checked $checked plugin modules"
exit $failed
