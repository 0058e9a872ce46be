#!/usr/bin/env bash
# Gets the real backends the integration tests run against and caches them,
# so a warm run skips every build.
#
#   Prometheus   built from the Go module proxy (Debian's package as fallback)
#   Loki         built from the Go module proxy, pkg/push taken from its published module
#   Alertmanager Debian's prometheus-alertmanager (the proxy's build lacks its UI assets)
#   Jaeger       v2's jaeger binary, built from its module's source on the Go module proxy
#   tmux         Debian's package, for the console's end-to-end tests
#   ssh          Debian's openssh-client, for triage serve's SSH end-to-end tests
#
# Prints KEY=PATH lines on stdout for the test harness; progress goes to stderr.
set -euo pipefail

CACHE="${TRIAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/triage}"
BIN="$CACHE/bin"
PROM_VERSION="${PROM_VERSION:-v0.316.0}"
LOKI_VERSION="${LOKI_VERSION:-v3.7.8}"
# Jaeger publishes its v2 binary in the v1 module: v1.75.0 is Jaeger v2.12.0.
# Newer tags are served but not approved releases: keep to this one.
JAEGER_VERSION="${JAEGER_VERSION:-v1.75.0}"
mkdir -p "$BIN" "$CACHE/src"

# Prometheus and Loki are compiled without inlining, except the standard
# library and Prometheus's own code, which the tests load most (a range
# query): that halves their cold builds here (Prometheus: 304 s, 162 s
# without inlining anywhere). Loki's own code, a third of its build, goes
# without too: the tests ask it little. Jaeger keeps it: its searches are
# most of an investigation's time, which its benchmark measures (without
# inlining they took 30-45 % longer), and its lean build is quick anyway.
gcflags() { echo "-gcflags=all=-l -gcflags=std=${1:+ -gcflags=$1/...=}"; }

log() { echo "backends: $*" >&2; }

have_apt() { command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; }

apt_install() {
	have_apt || return 1
	if [ ! -f "$CACHE/.apt-updated" ] || [ -n "$(find "$CACHE/.apt-updated" -mmin +1440 2>/dev/null)" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch "$CACHE/.apt-updated"
	fi
	# Debian packages start services through invoke-rc.d; forbid that, tests start their own.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
	local rc=$?
	rm -f /usr/sbin/policy-rc.d
	return $rc
}

# Module v0.3YY.Z is Prometheus 3.YY.Z.
prom_release() {
	local v=${PROM_VERSION#v0.}
	local minor=${v%%.*}
	echo "3.$((10#${minor:1})).${v#*.}"
}

get_prometheus() {
	local out="$BIN/prometheus-$PROM_VERSION-r3"
	if [ ! -x "$out/prometheus" ]; then
		log "building prometheus $PROM_VERSION from the module proxy (about 5 min, once)"
		local t0=$SECONDS
		# remove_all_sd leaves out the cloud service discoveries (AWS, Azure,
		# GCE, Kubernetes…): the tests scrape static targets, and the build
		# takes a fraction of the time.
		# shellcheck disable=SC2046 # the flags are words
		if GOBIN="$out" GOFLAGS=-mod=mod go install -trimpath -tags remove_all_sd $(gcflags github.com/prometheus/prometheus) \
			-ldflags "-s -w -X github.com/prometheus/common/version.Version=$(prom_release) -X github.com/prometheus/common/version.Branch=module-proxy" \
			"github.com/prometheus/prometheus/cmd/prometheus@$PROM_VERSION" >&2; then
			log "prometheus built in $((SECONDS - t0))s"
		else
			log "prometheus build failed; trying Debian's package"
			if command -v prometheus >/dev/null || apt_install prometheus; then
				echo "PROMETHEUS_BIN=$(command -v prometheus)"
				return
			fi
			return 1
		fi
	fi
	echo "PROMETHEUS_BIN=$out/prometheus"
}

get_alertmanager() {
	local p
	for p in "${ALERTMANAGER_BIN:-}" "$(command -v prometheus-alertmanager || true)" "$(command -v alertmanager || true)"; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			echo "ALERTMANAGER_BIN=$p"
			return
		fi
	done
	log "installing Debian's prometheus-alertmanager"
	apt_install prometheus-alertmanager || { log "cannot install alertmanager"; return 1; }
	echo "ALERTMANAGER_BIN=$(command -v prometheus-alertmanager)"
}

get_loki() {
	local out="$BIN/loki-$LOKI_VERSION-r2"
	if [ ! -x "$out" ]; then
		log "building loki $LOKI_VERSION from the module proxy (about 5 min, once)"
		local t0=$SECONDS
		local dir
		dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/grafana/loki/v3@$LOKI_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
		[ -n "$dir" ] || { log "cannot download loki"; return 1; }
		local src="$CACHE/src/loki-$LOKI_VERSION"
		rm -rf "$src"
		cp -r "$dir" "$src"
		chmod -R u+w "$src"
		# The module points pkg/push at its own folder; use the published module instead.
		sed -i '/^replace github.com\/grafana\/loki\/pkg\/push => /d' "$src/go.mod"
		# shellcheck disable=SC2046 # the flags are words
		(cd "$src" && GOFLAGS=-mod=mod go build -trimpath -tags netgo $(gcflags) \
			-ldflags "-s -w -X github.com/grafana/loki/v3/pkg/util/build.Version=${LOKI_VERSION#v} -X github.com/grafana/loki/v3/pkg/util/build.Branch=module-proxy" \
			-o "$out.tmp" ./cmd/loki) >&2
		mv "$out.tmp" "$out"
		rm -rf "$src"
		log "loki built in $((SECONDS - t0))s"
	fi
	echo "LOKI_BIN=$out"
}

# Module v1.NN.P carries Jaeger v2.(NN-63).P: v2.0.0 came with v1.63.0.
jaeger_release() {
	local v=${JAEGER_VERSION#v1.}
	local minor=${v%%.*}
	echo "v2.$((minor - 63)).${v#*.}"
}

# The test bed's Jaeger: v2's jaeger command with only the components the
# tests configure (OTLP in, the storage exporter, memory storage, the query
# service, the health check) and without the Elasticsearch 8+ client, whose
# typed API alone was 38 % of the build; the tests never use Elasticsearch.
# Everything else is Jaeger's own code, as released.
jaeger_components() {
	cat <<'EOF'
// Package internal: the components of the test bed's jaeger build.
package internal

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckv2extension"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/jaegertracing/jaeger/cmd/jaeger/internal/exporters/storageexporter"
	"github.com/jaegertracing/jaeger/cmd/jaeger/internal/extension/jaegerquery"
	"github.com/jaegertracing/jaeger/cmd/jaeger/internal/extension/jaegerstorage"
)

func Components() (otelcol.Factories, error) {
	var err error
	f := otelcol.Factories{}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](healthcheckv2extension.NewFactory(), jaegerquery.NewFactory(), jaegerstorage.NewFactory()); err != nil {
		return f, err
	}
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](storageexporter.NewFactory()); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](batchprocessor.NewFactory()); err != nil {
		return f, err
	}
	f.Connectors, err = otelcol.MakeFactoryMap[connector.Factory]()
	return f, err
}
EOF
}

# What Jaeger's Elasticsearch storage names of the v9 client, refusing to
# connect; the Elasticsearch 7 client stays, as released.
es_stub() {
	mkdir -p "$1/esapi"
	printf 'module github.com/elastic/go-elasticsearch/v9\n\ngo 1.21\n' >"$1/go.mod"
	cat >"$1/client.go" <<'EOF'
// Package elasticsearch stands in for the v9 client in the test bed's jaeger.
package elasticsearch

import (
	"errors"
	"net/http"

	"github.com/elastic/go-elasticsearch/v9/esapi"
)

type Config struct {
	Addresses                                 []string
	Username, Password                        string
	DiscoverNodesOnStart, CompressRequestBody bool
	Header                                    http.Header
	Transport                                 http.RoundTripper
}

type Client struct{ Indices *esapi.Indices }

func NewClient(Config) (*Client, error) {
	return nil, errors.New("this jaeger build has no Elasticsearch 8+ client")
}
EOF
	cat >"$1/esapi/esapi.go" <<'EOF'
// Package esapi stands in for the v9 client's API in the test bed's jaeger.
package esapi

import (
	"errors"
	"io"
)

type Response struct{ StatusCode int }

type Indices struct{}

func (*Indices) PutIndexTemplate(string, io.Reader) (*Response, error) {
	return nil, errors.New("this jaeger build has no Elasticsearch 8+ client")
}
EOF
}

# Built inside a copy of its module, where the module's own replace
# directives apply (go install refuses them for a module@version).
get_jaeger() {
	local out="$BIN/jaeger-$JAEGER_VERSION-r3"
	if [ ! -x "$out" ]; then
		log "building jaeger $JAEGER_VERSION ($(jaeger_release)) from the module proxy (about 3 min, once)"
		local t0=$SECONDS
		local dir
		dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
		[ -n "$dir" ] || { log "cannot download jaeger"; return 1; }
		local src="$CACHE/src/jaeger-$JAEGER_VERSION"
		rm -rf "$src"
		cp -r "$dir" "$src"
		chmod -R u+w "$src"
		jaeger_components >"$src/cmd/jaeger/internal/components.go"
		rm -f "$src/cmd/jaeger/internal/components_test.go"
		es_stub "$src/_es"
		local pkg=github.com/jaegertracing/jaeger/internal/version
		(cd "$src" && go mod edit -replace github.com/elastic/go-elasticsearch/v9=./_es &&
			GOFLAGS=-mod=readonly go build -trimpath \
				-ldflags "-s -w -X $pkg.latestVersion=$(jaeger_release) -X $pkg.commitSHA=module-proxy-$JAEGER_VERSION" \
				-o "$out.tmp" ./cmd/jaeger) >&2 || { rm -rf "$out.tmp" "$src"; log "jaeger build failed"; return 1; }
		mv "$out.tmp" "$out"
		rm -rf "$src"
		log "jaeger built in $((SECONDS - t0))s"
	fi
	echo "JAEGER_BIN=$out"
}

get_tempo() {
	if [ -n "${TEMPO_URL:-}" ]; then
		echo "TEMPO_URL=$TEMPO_URL"
	elif command -v tempo >/dev/null; then
		echo "TEMPO_BIN=$(command -v tempo)"
	fi
}

# tmux drives the built console in the end-to-end tests.
get_tmux() {
	if command -v tmux >/dev/null || apt_install tmux; then
		echo "TMUX_BIN=$(command -v tmux)"
	else
		log "cannot install tmux: the console's end-to-end tests will be skipped"
	fi
}

# The OpenSSH client logs in to triage serve in the SSH end-to-end tests.
get_ssh() {
	if command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || apt_install openssh-client; then
		echo "SSH_BIN=$(command -v ssh)"
	else
		log "cannot install openssh-client: the SSH end-to-end tests will be skipped"
	fi
}

# The builds run side by side: while one links or downloads, another
# compiles. The Debian packages go one at a time (dpkg has one lock).
want="${*:-prometheus alertmanager loki tempo jaeger tmux ssh}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs=""
pids=()
for b in $want; do
	case $b in
	prometheus | loki | jaeger)
		("get_$b" >"$tmp/$b.out") &
		pids+=($!)
		;;
	*) pkgs="$pkgs $b" ;;
	esac
done
(for b in $pkgs; do "get_$b" >"$tmp/$b.out" || exit 1; done) &
pids+=($!)
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
for b in $want; do
	[ -f "$tmp/$b.out" ] && cat "$tmp/$b.out"
done
exit $rc
