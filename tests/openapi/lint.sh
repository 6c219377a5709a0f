#!/usr/bin/env bash
# CTest openapi_lint: a real oxios-host with auth on serves /api/openapi.json.
# Without a token it must answer 401; with one, Redocly CLI (pinned in
# package-lock.json, installed by scripts/setup) must find no error in it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export OXIOS_BENCH_BUILD=${OXIOS_BUILD_DIR:?run this test through ctest}
# shellcheck source=../../bench/lib.sh
source "$here/../../bench/lib.sh"
redocly=$here/node_modules/.bin/redocly
[[ -x $redocly ]] || { echo "openapi_lint: $redocly is missing: run scripts/setup" >&2; exit 1; }

bench_init
start_host openapi '{"security":{"auth_enabled":true,"api_keys":["lint-token"]}}'
url=http://127.0.0.1:$HOST_PORT/api/openapi.json
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[[ $code == 401 ]] || { echo "openapi_lint: $url without a token answered $code, not 401" >&2; exit 1; }
curl -fsS -H 'Authorization: Bearer lint-token' "$url" -o "$BENCH_ROOT/openapi.json"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$redocly" lint --config "$here/redocly.yaml" "$BENCH_ROOT/openapi.json"
