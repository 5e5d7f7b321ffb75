#!/bin/sh
# test-sdk-out-of-tree.sh — a plugin author's path: install the SDK, build a plugin out of tree
# with pkg-config, and load it with the installed sluiced.
#
# Usage: test-sdk-out-of-tree.sh MESON BUILDDIR HELLO_C
# Installs the build into a temporary DESTDIR (no rebuild), points pkg-config at the installed
# sluice-plugin-sdk-1.pc with its prefix redefined to the DESTDIR copy, compiles HELLO_C into
# sluice-hello.so and checks `sluiced --plugin-dir DIR --list-plugins` lists it.
set -eu

meson=$1
builddir=$2
hello_c=$3
cc=${CC:-cc}
pkg_config=${PKG_CONFIG:-pkg-config}

command -v "$cc" > /dev/null 2>&1 || { echo "no C compiler ($cc): skipping"; exit 77; }
command -v "$pkg_config" > /dev/null 2>&1 || { echo "no $pkg_config: skipping"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home"
unset SLUICE_PLUGIN_PATH || true
mkdir -p "$HOME" "$tmp/plugins"
umask 022

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

destdir="$tmp/destdir"
"$meson" install -C "$builddir" --no-rebuild --destdir "$destdir" > "$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; fail "meson install --destdir failed"; }

pc=$(find "$destdir" -name sluice-plugin-sdk-1.pc | head -n 1)
[ -n "$pc" ] || fail "sluice-plugin-sdk-1.pc was not installed"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR || true

# The .pc file is written for its real prefix; relocate a copy to the DESTDIR tree.  (Neither
# --define-variable nor a sysroot would do: both also move glib-2.0's paths.)
mkdir -p "$tmp/pkgconfig"
prefix=$(sed -n 's/^prefix=//p' "$pc")
sed "s|^prefix=.*|prefix=$destdir$prefix|" "$pc" > "$tmp/pkgconfig/sluice-plugin-sdk-1.pc"
export PKG_CONFIG_PATH="$tmp/pkgconfig"
libdir=$("$pkg_config" --variable=libdir sluice-plugin-sdk-1)
includedir=$("$pkg_config" --variable=includedir sluice-plugin-sdk-1)

# The variables plugin authors and packagers use.
pluginsdir=$("$pkg_config" --variable=pluginsdir sluice-plugin-sdk-1)
[ "$pluginsdir" = "$libdir/sluice-1/plugins" ] \
  || fail "pluginsdir is '$pluginsdir', expected '$libdir/sluice-1/plugins'"
abi=$("$pkg_config" --variable=plugin_abi sluice-plugin-sdk-1)
major=$(sed -n 's/^#define SLUICE_PLUGIN_ABI_MAJOR \([0-9]*\)$/\1/p' \
  "$includedir/sluice-plugin-sdk-1/sluice-version.h")
minor=$(sed -n 's/^#define SLUICE_PLUGIN_ABI_MINOR \([0-9]*\)$/\1/p' \
  "$includedir/sluice-plugin-sdk-1/sluice-version.h")
[ "$abi" = "$major.$minor" ] \
  || fail "plugin_abi is '$abi' but the installed sluice-version.h says '$major.$minor'"

# Build the plugin the way docs/plugin-abi.md tells authors to.
# shellcheck disable=SC2046
"$cc" -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror -Wno-unused-parameter \
  -Wno-missing-field-initializers -o "$tmp/plugins/sluice-hello.so" "$hello_c" \
  $("$pkg_config" --cflags --libs sluice-plugin-sdk-1) \
  || fail "the out-of-tree plugin does not build against the installed SDK"

if command -v nm > /dev/null 2>&1; then
  exports=$(nm -D --defined-only "$tmp/plugins/sluice-hello.so" | awk '{ print $NF }')
  [ "$exports" = "sluice_plugin_hello_get_descriptor" ] \
    || fail "sluice-hello.so exports: $exports"
fi

sluiced=$(find "$destdir" -path '*/bin/sluiced' | head -n 1)
[ -n "$sluiced" ] || fail "sluiced was not installed"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$sluiced" --plugin-dir "$tmp/plugins" --list-plugins > "$tmp/out" 2> "$tmp/err" \
  || fail "sluiced --list-plugins exited with $?: $(cat "$tmp/err")"

cat > "$tmp/expected" <<EOT
hello 1.0.0
  license: MIT
  file: $tmp/plugins/sluice-hello.so
  description: Says hello, built out of tree.
  elements:
    source     hello
EOT
grep -A5 '^hello ' "$tmp/out" > "$tmp/hello"
diff -u "$tmp/expected" "$tmp/hello" || fail "sluiced does not list the out-of-tree plugin"
if grep -q "sluice-hello.so" "$tmp/err"; then
  fail "warnings about sluice-hello.so: $(cat "$tmp/err")"
fi
echo "ok"
