GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build demo test unit fuzz bench backends lint clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/triage ./cmd/triage
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/triage-sim ./cmd/triage-sim

# The console on the embedded demo incident: no backend needed.
demo: build
	bin/triage demo

# Everything: lint, real backends (built once, cached under ~/.cache/triage),
# every test, and a summary of live backends and skipped tests.
test:
	bash scripts/test.sh

# Unit tests only, no backends.
unit:
	$(GO) test ./...

fuzz:
	bash scripts/fuzz.sh

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

backends:
	bash scripts/backends.sh

lint:
	bash scripts/lint.sh

clean:
	rm -rf bin
