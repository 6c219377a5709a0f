#!/usr/bin/env bash
# The SDK from outside the tree: installs the build into a temp prefix, builds
# both example plugins from the installed copies of their sources with only
# CMAKE_PREFIX_PATH=<prefix>, runs the hello suite, then runs the installed
# oxios-host with web_plugin.so and both examples in one plugin directory:
# all three answer, a second plugin claiming hello's route is refused with a
# log line, and hot-reloading one example leaves the others untouched.
#   tests/sdk/install_examples.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd); src=$(cd "$2" && pwd)
tmp=$(mktemp -d); host_pid=""; sse_pid=""
cleanup() {
  [[ -n "$sse_pid" ]] && kill "$sse_pid" 2>/dev/null || true
  if [[ -n "$host_pid" ]]; then kill -TERM "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $tmp/host.log ]] && { echo "--- host log:" >&2; tail -30 "$tmp/host.log" >&2; }; exit 1; }
step() { echo "--- $*"; }

step "install into $tmp/prefix"
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/oxios/oxios_plugin.h include/oxios/harness/mock_host.hpp lib/liboxios_harness.a \
         lib/cmake/Oxios/OxiosConfig.cmake lib/cmake/Oxios/OxiosConfigVersion.cmake \
         lib/cmake/Oxios/OxiosPlugin.cmake lib/cmake/Oxios/oxios_plugin.map bin/oxios-host bin/oxios-harness \
         lib/oxios/plugins/web_plugin.so share/doc/oxios/plugin-guide.md share/doc/oxios/examples/hello-plugin/CMakeLists.txt; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
if grep -rqF "$src" "$prefix/lib/cmake/Oxios"; then fail "the installed CMake package names the source tree"; fi

# Sources from the prefix, builds in the temp dir: nothing points into the tree.
cp -r "$prefix/share/doc/oxios/examples" "$tmp/examples"
configure() { cmake -S "$1" -B "$2" -DCMAKE_PREFIX_PATH="$prefix" "${@:3}" >"$tmp/cmake.log" 2>&1 \
  || { cat "$tmp/cmake.log" >&2; fail "configure $1"; }
  cmake --build "$2" -j2 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; fail "build $1"; }
  if grep -rlF "$src" "$2" --include=CMakeCache.txt --include=*.make --include=*.cmake >/dev/null; then fail "$2 points into the source tree"; fi; }
step "build examples/hello-plugin and run its suite"
configure "$tmp/examples/hello-plugin" "$tmp/b-hello"
ctest --test-dir "$tmp/b-hello" --output-on-failure >"$tmp/ctest.log" 2>&1 || { cat "$tmp/ctest.log" >&2; fail "hello suite"; }
grep -q "100% tests passed" "$tmp/ctest.log" || fail "hello suite did not run"
step "build examples/c-plugin (C99), and a copy named hello_clash claiming /api/hello/{name}"
configure "$tmp/examples/c-plugin" "$tmp/b-c"
configure "$tmp/examples/c-plugin" "$tmp/b-clash" -DHELLO_NAME=hello_clash -DHELLO_PREFIX=/api/hello

step "the package version: find_package(Oxios 0.4) is what the examples ask; 0.5 and 1.0 are refused"
mkdir -p "$tmp/want"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(want LANGUAGES C)\nfind_package(Oxios ${WANT} REQUIRED)\n' \
  >"$tmp/want/CMakeLists.txt"
for want in 0.5 1.0; do
  if cmake -S "$tmp/want" -B "$tmp/want/b$want" -DWANT=$want -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
    fail "find_package(Oxios $want) accepted the installed $(grep -o 'PACKAGE_VERSION "[^"]*"' \
      "$prefix/lib/cmake/Oxios/OxiosConfigVersion.cmake")"
  fi
done

step "a misspelled entry point does not build (oxios_add_plugin's version script)"
cp -r "$tmp/examples/c-plugin" "$tmp/misspelled"
sed -i 's/oxios_plugin_entry(void) {/oxios_plugin_entri(void) {/' "$tmp/misspelled/hello_c.c"
cmake -S "$tmp/misspelled" -B "$tmp/b-misspelled" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
if cmake --build "$tmp/b-misspelled" >/dev/null 2>&1; then fail "a plugin without oxios_plugin_entry linked"; fi

step "each plugin exports only oxios_plugin_entry and links no cpp-httplib"
for so in "$tmp/b-hello/hello.so" "$tmp/b-c/hello_c.so"; do
  syms=$(nm -D --defined-only "$so" | awk '{print $3}' | sort -u | tr '\n' ' ')
  [[ "$syms" == "oxios_plugin_entry " ]] || fail "$so exports: $syms"
  if readelf -d "$so" | grep -q httplib; then fail "$so links cpp-httplib"; fi
done

step "run the installed oxios-host with web_plugin.so, hello.so and hello_c.so"
plugins=$tmp/plugins; mkdir -p "$plugins" "$tmp/ws"
cp "$prefix/lib/oxios/plugins/web_plugin.so" "$tmp/b-hello/hello.so" "$tmp/b-c/hello_c.so" "$plugins/"
echo '{"hello": {"greeting": "Howdy"}}' > "$tmp/config.json"
"$prefix/bin/oxios-host" --port 0 --host 127.0.0.1 --plugins "$plugins" --workspace "$tmp/ws" \
  --config "$tmp/config.json" >"$tmp/host.out" 2>"$tmp/host.log" &
host_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/host.out")
  [[ -n "$port" ]] && break
  kill -0 "$host_pid" 2>/dev/null || fail "oxios-host exited"
  sleep 0.1
done
[[ -n "$port" ]] || fail "oxios-host did not start"
base=http://127.0.0.1:$port
get() { curl -s --max-time 5 "$base$1"; }
expect() { local got; got=$(get "$1"); [[ "$got" == *"$2"* ]] || fail "GET $1: '$got' lacks '$2'"; }
expect /health '"status"'
expect /api/status '"version"'
expect /api/hello/ada '{"message":"Howdy, ada!"}'
expect /api/hello-c/ada '{"message":"Howdy, ada!"}'
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base/api/hello-c/a%20b") == 400 ]] || fail "hello_c: a bad name is not a 400"
# The web plugin's event stream stays open through everything below.
curl -sN --max-time 60 "$base/api/events" >"$tmp/sse.txt" 2>/dev/null & sse_pid=$!
sleep 0.5

wait_log() { for _ in $(seq 100); do grep -q "$1" "$tmp/host.log" && return 0; sleep 0.1; done; fail "no log line '$1'"; }
step "a plugin whose route clashes is refused with a log line; the others keep serving"
cp "$tmp/b-clash/hello_clash.so" "$plugins/.hello_clash.tmp" && mv "$plugins/.hello_clash.tmp" "$plugins/hello_clash.so"
wait_log "hello_clash: route conflict: GET /api/hello/{name}"
wait_log "plugin refused: .*hello_clash"
status=$(get /health/ready)
[[ "$status" != *'"hello_clash"'* ]] || fail "hello_clash was loaded: $status"
expect /api/hello/bob '{"message":"Howdy, bob!"}'

step "hot-reload hello_c (its .so replaced by rename): the others are untouched"
cp "$tmp/b-c/hello_c.so" "$plugins/.hello_c.tmp" && mv "$plugins/.hello_c.tmp" "$plugins/hello_c.so"
wait_log "reloaded hello_c"
if grep -Eq "reloaded (web|hello) " "$tmp/host.log"; then fail "another plugin was reloaded"; fi
expect /health/ready '"reloads":1,'
expect /api/hello-c/cy '{"message":"Howdy, cy!"}'
expect /api/hello/dee '{"message":"Howdy, dee!"}'
kill -0 "$sse_pid" 2>/dev/null || fail "the web plugin's event stream closed"
for _ in $(seq 50); do grep -q '"name":"dee"' "$tmp/sse.txt" && break; sleep 0.1; done
grep -q '"type":"hello.greeted"' "$tmp/sse.txt" && grep -q '"name":"dee"' "$tmp/sse.txt" \
  || fail "hello's events did not reach the open /api/events stream: $(cat "$tmp/sse.txt")"

kill -TERM "$host_pid"; wait "$host_pid" || fail "oxios-host exited non-zero on SIGTERM"; host_pid=""
echo "PASS"
