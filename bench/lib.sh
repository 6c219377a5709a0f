# Shared by scripts/bench and scripts/reliability (sourced, not run).
# Builds the Release tree, runs hosts on 127.0.0.1 with free ports in a
# private temp root, and stops and removes everything it started on exit.

BENCH_BUILD=${OXIOS_BENCH_BUILD:-build-bench}
HOST_BIN=$BENCH_BUILD/oxios-host
PLUGIN_A=$BENCH_BUILD/plugins/web_plugin.so
PLUGIN_B=$BENCH_BUILD/plugins-next/web_plugin.so
HARNESS_BIN=$BENCH_BUILD/tests/oxios-harness
DRIVER=$BENCH_BUILD/bench/oxios-bench-driver
BARE=$BENCH_BUILD/bench/oxios-bench-bare
DISPATCH=$BENCH_BUILD/bench/oxios-bench-dispatch
STREAMS=$BENCH_BUILD/bench/oxios-bench-streams
WS_DRIVER=$BENCH_BUILD/bench/oxios-bench-ws
E1_DRIVER=$BENCH_BUILD/bench/oxios-bench-e1
RELAY=$BENCH_BUILD/bench/oxios-bench-relay
FAKE_OPENAI=$BENCH_BUILD/tests/fake-openai
FIXTURES=$BENCH_BUILD/fixtures

STARTED_PIDS=()
BENCH_ROOT=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

bench_cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "$BENCH_ROOT" && -d "$BENCH_ROOT" && -z "${OXIOS_KEEP_BENCH_DIRS:-}" ]]; then
    rm -rf "$BENCH_ROOT"
  fi
}

bench_init() {
  BENCH_ROOT=$(mktemp -d /tmp/oxios-bench-XXXXXX)
  mkdir -p "$BENCH_ROOT/tmp"
  # The host puts its private plugin copies under $TMPDIR: keep them in our
  # root, so that even a kill -9'd host leaves nothing behind.
  export TMPDIR=$BENCH_ROOT/tmp
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

ensure_packages() {
  local packages=(build-essential cmake pkg-config libcpp-httplib-dev rapidjson-dev libboost-dev
                  libboost-filesystem-dev doctest-dev libssl-dev zlib1g-dev libbrotli-dev wrk curl python3)
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # python3 may come from elsewhere (pyenv); only install it when none runs.
  if command -v python3 >/dev/null 2>&1; then
    local m=() q; for q in "${missing[@]}"; do [[ $q == python3 ]] || m+=("$q"); done; missing=("${m[@]}")
  fi
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    local SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

build_release() {
  if [[ ${OXIOS_BENCH_NO_BUILD:-0} != 0 ]]; then  # measure the binaries already in $BENCH_BUILD
    log "OXIOS_BENCH_NO_BUILD=$OXIOS_BENCH_NO_BUILD: not building"; return 0
  fi
  local fixtures
  fixtures=$(ls tests/fixtures/*.cpp 2>/dev/null | xargs -n1 basename | sed 's/\.cpp$//; s/^/fixture_/' | tr '\n' ' ')
  # GCC 12 reports a false -Wrestrict and -Wstringop-overflow inside libstdc++'s
  # operator+ at -O3 (host/kernel/infra/atomic_file.cpp, config/config_report.cpp); keep
  # them warnings in this tree only.
  cmake -S . -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=-Wno-error=restrict -Wno-error=stringop-overflow" >"$BENCH_ROOT/cmake.log" 2>&1 \
    || { cat "$BENCH_ROOT/cmake.log" >&2; return 1; }
  # shellcheck disable=SC2086
  nice cmake --build "$BENCH_BUILD" -j2 --target oxios-host web_plugin web_plugin_next web_ui oxios-harness \
    fixtures_extra $fixtures oxios-bench-bare oxios-bench-driver oxios-bench-dispatch oxios-bench-streams oxios-bench-ws oxios-bench-e1 oxios-bench-relay fake-openai >"$BENCH_ROOT/build.log" 2>&1 \
    || { tail -40 "$BENCH_ROOT/build.log" >&2; return 1; }
}

plugin_version() {  # plugin_version SO -> "0.4.0"
  "$HARNESS_BIN" "$1" 2>/dev/null | awk '/^plugin:/ {print $3; exit}'
}

# start_host NAME CONFIG_JSON [extra host args...]
# Sets HOST_PID, HOST_PORT, HOST_DIR (with plugins/, workspace/, out.log, err.log).
# An existing HOST_DIR/workspace is reused (preloaded sessions).
# HOST_PIN (a CPU list for taskset, unset: none) pins the host started.
start_host() {
  local name=$1 config=$2; shift 2
  HOST_DIR=$BENCH_ROOT/$name
  mkdir -p "$HOST_DIR/plugins" "$HOST_DIR/workspace"
  printf '%s\n' "$config" >"$HOST_DIR/config.json"
  [[ -f $HOST_DIR/plugins/web_plugin.so ]] || cp "$PLUGIN_A" "$HOST_DIR/plugins/web_plugin.so"
  : >"$HOST_DIR/out.log"
  ${HOST_PIN:+taskset -c "$HOST_PIN"} "$HOST_BIN" --config "$HOST_DIR/config.json" --plugins "$HOST_DIR/plugins" --workspace "$HOST_DIR/workspace" \
    --host 127.0.0.1 --port 0 "$@" >"$HOST_DIR/out.log" 2>>"$HOST_DIR/err.log" &
  HOST_PID=$!
  STARTED_PIDS+=("$HOST_PID")
  HOST_PORT=""
  local i
  for i in $(seq 1 400); do
    HOST_PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$HOST_DIR/out.log" | head -1)
    [[ -n $HOST_PORT ]] && return 0
    kill -0 "$HOST_PID" 2>/dev/null || break
    sleep 0.05
  done
  log "host $name did not start:"; tail -20 "$HOST_DIR/err.log" >&2
  return 1
}

# start_fake_openai NAME [fake-openai options...]: starts tests/fake-openai,
# its output in $BENCH_ROOT/NAME.fake; sets FAKE_PID and FAKE_URL (its /v1 base URL).
start_fake_openai() {
  local name=$1; shift
  "$FAKE_OPENAI" "$@" >"$BENCH_ROOT/$name.fake" 2>&1 &
  FAKE_PID=$!; STARTED_PIDS+=("$FAKE_PID")
  FAKE_URL=""
  for _ in $(seq 1 100); do
    FAKE_URL=$(sed -n 's|^\(http://127\.0\.0\.1:[0-9]*/v1\)$|\1|p' "$BENCH_ROOT/$name.fake" | head -1); [[ -n $FAKE_URL ]] && return 0; sleep 0.05
  done
  log "fake-openai did not start"; cat "$BENCH_ROOT/$name.fake" >&2
  return 1
}

stop_pid() {  # stop_pid PID [SIGNAL]
  local pid=$1 sig=${2:-TERM}
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# install_plugin DIR SO [NAME]: write to a temp name, then rename (a deploy).
install_plugin() {
  local dir=$1 so=$2 name=${3:-web_plugin.so}
  cp "$so" "$dir/.$name.tmp" && mv -f "$dir/.$name.tmp" "$dir/$name"
}

kv() {  # kv "line of key value pairs" KEY -> value
  awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' <<<"$1"
}

# calc EXPR -> awk-evaluated number (floats).
kvn() { local x; x=$(kv "$1" "$2"); echo "${x:--1}"; }  # a number for $(( )) and check; -1 when absent
calc() { awk "BEGIN { printf \"%.4g\", $1 }"; }
# check EXPR -> PASS|FAIL
check() { awk "BEGIN { exit !($1) }" && echo PASS || echo FAIL; }
# The repeats of a figure: their median decides PASS/FAIL; when the largest
# exceeds the smallest by more than the figure's factor (UNSTEADY for ratios
# of medians, UNSTEADY_TAIL for tails and absolute times), "unsteady".
UNSTEADY=${OXIOS_BENCH_UNSTEADY:-2}
UNSTEADY_TAIL=${OXIOS_BENCH_UNSTEADY_TAIL:-3}
spread() {  # spread V... -> "median min max"
  local m; m=$(printf '%s\n' "$@" | median)
  printf '%s\n' "$@" | sort -g | awk -v m="$m" 'NR == 1 {lo = $1} {hi = $1} END {printf "%.4g %.4g %.4g\n", m, lo, hi}'
}
spread_text() {  # spread_text N MIN MAX -> "3 repeats: min 1.2, max 1.4" (or "1 run")
  if (($1 > 1)); then echo "$1 repeats: min $2, max $3"; else echo "1 run"; fi
}
verdict() {  # verdict PASS_EXPR MIN MAX [FACTOR] -> PASS|FAIL|unsteady
  if awk -v a="$2" -v b="$3" -v f="${4:-$UNSTEADY}" 'BEGIN { exit !(a > 0 ? b > f * a : b > a) }'; then echo unsteady; else check "$1"; fi
}
# The machine's CPU pressure (PSI "some": the share of time at least one
# task waited, runnable, for a core) between cpu_mark and cpu_pressure, in %;
# -1 where the kernel has no /proc/pressure. A latency measured under high
# pressure is the machine's weather as much as ours.
cpu_mark() { echo "$(awk -F'total=' '/^some/ {print $2}' /proc/pressure/cpu 2>/dev/null || echo -1) $(date +%s%6N)"; }
cpu_pressure() {  # cpu_pressure "MARK" -> percent
  local now; now=$(cpu_mark)
  awk -v a="$1" -v b="$now" 'BEGIN { split(a, x, " "); split(b, y, " ");
    if (x[1] == "" || x[1] < 0 || y[2] <= x[2]) print -1; else printf "%.0f\n", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}
# busy_verdict PRESSURE% VERDICT -> VERDICT, or "unsteady (cores busy)" above
# BUSY% (a figure whose work is CPU hand-offs against a disk-bound baseline).
BUSY=${OXIOS_BENCH_BUSY:-30}
busy_verdict() {
  if [[ $2 != unsteady ]] && awk -v p="$1" -v f="$BUSY" 'BEGIN { exit !(p > f) }'; then
    echo "unsteady (cores busy)"
  else echo "$2"; fi
}
med() { printf '%s\n' "$@" | median; }  # med V... -> median
median() { sort -g | awk '{a[NR] = $1} END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
