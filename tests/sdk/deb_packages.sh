#!/usr/bin/env bash
# `cpack -G DEB` makes the two Debian packages with their dependencies
# declared: oxios (host + web plugin) and oxios-dev (headers, libraries, CMake
# package, harness, guide). Checked with dpkg-deb --info/--contents; lintian's
# verdict is printed when lintian is installed (not a failure: the packages
# are built by CPack, not by debhelper).
#   tests/sdk/deb_packages.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1) \
  || { cat "$tmp/cpack.log" >&2; fail "cpack"; }
run=$(ls "$tmp"/out/oxios_*.deb 2>/dev/null) || fail "no oxios_*.deb: $(ls "$tmp/out")"
dev=$(ls "$tmp"/out/oxios-dev_*.deb 2>/dev/null) || fail "no oxios-dev_*.deb: $(ls "$tmp/out")"
field() { dpkg-deb --field "$1" "$2"; }
has() { grep -qE "$2" <<<"$1" || fail "$3"; }

[[ $(field "$run" Package) == oxios && $(field "$dev" Package) == oxios-dev ]] || fail "package names"
version=$(field "$run" Version)
echo "oxios $version depends: $(field "$run" Depends)"
echo "oxios-dev $version depends: $(field "$dev" Depends)"
for dep in 'libcpp-httplib0\.11' 'libboost-filesystem1\.74\.0' 'libc6' 'libstdc\+\+6' 'zlib1g'; do
  has "$(field "$run" Depends)" "$dep" "oxios does not depend on $dep"
done
for dep in 'libboost-filesystem-dev' 'cmake' 'libboost-filesystem1\.74\.0'; do
  has "$(field "$dev" Depends)" "$dep" "oxios-dev does not depend on $dep"
done
dpkg-deb --info "$run" >/dev/null && dpkg-deb --info "$dev" >/dev/null

run_files=$(dpkg-deb --contents "$run" | awk '{print $6}')
dev_files=$(dpkg-deb --contents "$dev" | awk '{print $6}')
for f in ./usr/bin/oxios-host ./usr/lib/oxios/plugins/web_plugin.so; do
  has "$run_files" "^${f//./\\.}\$" "oxios lacks $f"
done
for f in ./usr/include/oxios/oxios_plugin.h ./usr/include/oxios/harness/mock_host.hpp ./usr/lib/liboxios_harness.a \
         ./usr/lib/cmake/Oxios/OxiosConfig.cmake ./usr/lib/cmake/Oxios/OxiosConfigVersion.cmake \
         ./usr/lib/cmake/Oxios/OxiosTargets.cmake ./usr/bin/oxios-harness ./usr/share/doc/oxios/plugin-guide.md \
         ./usr/share/doc/oxios/examples/hello-plugin/hello_plugin.cpp; do
  has "$dev_files" "^${f//./\\.}\$" "oxios-dev lacks $f"
done
# Each file in one package only.
if grep -q include <<<"$run_files"; then fail "oxios ships headers"; fi
if grep -q oxios-host <<<"$dev_files"; then fail "oxios-dev ships the host"; fi

# Unpacked into a scratch root, the host finds the web plugin in its default
# plugin directory (<prefix>/lib/oxios/plugins) and serves.
dpkg-deb -x "$run" "$tmp/root"
mkdir -p "$tmp/ws"
"$tmp/root/usr/bin/oxios-host" --port 0 --host 127.0.0.1 --workspace "$tmp/ws" --no-watch \
  >"$tmp/host.out" 2>"$tmp/host.log" & host=$!
trap 'kill $host 2>/dev/null || true; wait $host 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/host.out"); [[ -n $port ]] && break; sleep 0.1
done
[[ -n $port ]] || { cat "$tmp/host.log" >&2; fail "the unpacked oxios-host did not start"; }
status=$(curl -s --max-time 5 "http://127.0.0.1:$port/api/status")
[[ $status == *'"web"'* ]] || { cat "$tmp/host.log" >&2; fail "no web plugin in the unpacked host: $status"; }
kill -TERM $host; wait $host || fail "the unpacked oxios-host exited non-zero on SIGTERM"

if command -v lintian >/dev/null; then
  echo "--- lintian (informational)"
  lintian --no-tag-display-limit "$run" "$dev" 2>&1 | sort | uniq -c | sort -rn | head -40 || true
fi
echo PASS
