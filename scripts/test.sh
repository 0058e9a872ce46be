#!/usr/bin/env bash
# make test: lint, get the real backends (cached), run every test, and say
# which backends ran live and which tests were skipped, and why.
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$SECONDS
echo "== lint"
bash scripts/lint.sh

echo "== backends (cache: ${TRIAGE_CACHE:-~/.cache/triage})"
backends=$(bash scripts/backends.sh)
echo "$backends" | sed 's/^/   /'
while IFS= read -r line; do
	[ -n "$line" ] && export "$line"
done <<<"$backends"
echo "   ready in $((SECONDS - t0))s"

# Prometheus, Loki, Alertmanager and Jaeger must run live here: a missing one
# fails the run instead of skipping its tests. Tempo is live only when present.
export TRIAGE_REQUIRE_LIVE="${TRIAGE_REQUIRE_LIVE:-prometheus,loki,alertmanager,jaeger}"
TRIAGE_LIVE_REPORT=$(mktemp)
export TRIAGE_LIVE_REPORT
trap 'rm -f "$TRIAGE_LIVE_REPORT"' EXIT

echo "== go test"
go build -o bin/testsummary ./internal/testsummary
set +e
go test -json -count=1 -timeout 20m ${TESTFLAGS:-} ./... | bin/testsummary -live "$TRIAGE_LIVE_REPORT"
rc=${PIPESTATUS[1]}
set -e
echo "== make test took $((SECONDS - t0))s"
exit "$rc"
