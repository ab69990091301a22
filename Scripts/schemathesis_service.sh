#!/usr/bin/env bash
# Fuzzes the running service from its own OpenAPI document with schemathesis
# (pip install schemathesis): starts `sieve serve` on the sample set with an admin key,
# sends EXAMPLES generated requests per operation (valid and invalid), and checks that
# no answer is a 5xx, that statuses, headers, content types and bodies conform to
# openapi.json, and that invalid requests are refused.
#
#   swift build -c release && Scripts/schemathesis_service.sh [EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-1000}
sieve=${SIEVE:-.build/release/sieve}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
key=$("$sieve" serve keys add --keys "$work/keys.json" --name schemathesis --role admin 2>/dev/null)
"$sieve" serve --hashset hashsets/sample-fixtures.sieveset --keys "$work/keys.json" --port 0 \
  --audit-log "$work/audit.jsonl" 2> "$work/server.log" &
pid=$!
for _ in $(seq 100); do grep -q "ready:" "$work/server.log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1)
schemathesis run "$url/openapi.json" -H "Authorization: Bearer $key" -n "$examples" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection
kill -0 "$pid"  # the service is still up
