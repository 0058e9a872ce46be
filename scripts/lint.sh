#!/usr/bin/env bash
# make lint: gofmt, go vet and golangci-lint (pinned, built once from the
# module proxy and cached under ~/.cache/triage).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${TRIAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/triage}"
VERSION=v2.15.0
BIN="$CACHE/bin/golangci-lint-$VERSION/golangci-lint"
if [ ! -x "$BIN" ]; then
	echo "lint: building golangci-lint $VERSION (once)" >&2
	# Its dependencies without inlining, as the backends (scripts/backends.sh):
	# half the cold build; the standard library and its own code keep it.
	GOBIN="$(dirname "$BIN")" GOFLAGS=-mod=mod go install -trimpath \
		-gcflags=all=-l -gcflags=std= -gcflags=github.com/golangci/golangci-lint/v2/...= \
		"github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$VERSION" >&2
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi
go vet ./...
"$BIN" run --allow-parallel-runners ./...
