#!/usr/bin/env bash
# scripts/check-abi in both directions, on scratch copies of the header:
# the committed header matches the baseline; a reordered field, a changed
# type, or a field appended to a struct without a size prefix is refused; a
# field appended at the end of a size-prefixed struct is accepted.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# variant NAME OLD NEW: a copy of the header with OLD (exactly once) replaced
# by NEW; a run of blanks in OLD matches any run of white space (the layout
# is clang-format's, the test is about the declarations).
variant() {
  python3 - "$root/abi/oxios_plugin.h" "$tmp/$1.h" "$2" "$3" <<'PY'
import re, sys
src, dst, old, new = sys.argv[1:]
text = open(src).read()
pattern = r"\s+".join(re.escape(part) for part in re.split(r"\s+", old.strip()))
found = list(re.finditer(pattern, text))
assert len(found) == 1, "not exactly once in the header: " + old
m = found[0]
open(dst, "w").write(text[:m.start()] + new.strip() + text[m.end():])
PY
}
check() {  # check NAME WANT_EXIT
  local rc=0
  if [[ $1 == header ]]; then "$root/scripts/check-abi" >"$tmp/out" 2>&1 || rc=$?
  else "$root/scripts/check-abi" --header "$tmp/$1.h" >"$tmp/out" 2>&1 || rc=$?; fi
  if ((rc != $2)); then cat "$tmp/out"; echo "FAIL: $1: check-abi exited $rc, want $2"; exit 1; fi
  echo "ok: $1 -> exit $rc ($(tail -1 "$tmp/out" | cut -c1-90))"
}
check header 0
variant reordered $'    oxios_str pattern;          /* "/api/sessions/{id}", "/api/workspace/file/{*path}" */\n    void* route_data;' \
  $'    void* route_data;\n    oxios_str pattern;'
check reordered 1
variant reordered_fields 'uint16_t remote_port;
    uint16_t reserved0;' 'uint16_t reserved0;
    uint16_t remote_port;'
check reordered_fields 1
variant changed_type 'int64_t (*now_us)(oxios_host* host);' 'int32_t (*now_us)(oxios_host* host);'
check changed_type 1
variant changed_member 'uint64_t connection;' 'uint32_t connection;'
check changed_member 1
variant appended 'void (*stream_writable)(void* instance, uint64_t stream);' \
  $'void (*stream_writable)(void* instance, uint64_t stream);\n    oxios_status (*added_in_a_minor)(void* instance, oxios_str what);'
check appended 0
variant appended_unsized $'    size_t len;\n} oxios_str;' $'    size_t len;\n    size_t extra;\n} oxios_str;'
check appended_unsized 1
echo PASS
