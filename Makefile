# shuan — build, test and demo. The toolchain is pinned to a Go release free of
# known standard-library vulnerabilities (docs/DEPENDENCIES.md); the go command
# fetches it through the module proxy on first use.
export GOTOOLCHAIN := go1.27.3
export CGO_ENABLED := 0

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     := bin/shuan

.PHONY: build demo smoke test unit lint bench cross services-start services-stop clean

build:
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/shuan

# The main job: a three-tier federation on embedded SQLite with a sample factory.
demo: build
	$(BIN) demo

smoke: build
	$(BIN) demo --smoke

# The whole suite, against real PostgreSQL, MariaDB and Chromium that the
# project's own script installs (Debian packages) and starts on loopback.
test: lint
	@bash scripts/services.sh start
	@set -a; . ./.services/env; set +a; \
	  go test -count=1 -timeout 40m ./... ; rc=$$?; \
	  bash scripts/services.sh stop; exit $$rc

# Unit tests only (no external services).
unit:
	go test -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...
	go run ./scripts/depcheck

bench: build
	@bash scripts/services.sh start
	@set -a; . ./.services/env; set +a; \
	  go test -run '^$$' -bench . -benchmem -count=1 -timeout 60m ./... ; rc=$$?; \
	  bash scripts/services.sh stop; exit $$rc

cross:
	GOOS=linux   GOARCH=amd64   go build -trimpath -ldflags '$(LDFLAGS)' -o bin/shuan-linux-amd64 ./cmd/shuan
	GOOS=linux   GOARCH=arm64   go build -trimpath -ldflags '$(LDFLAGS)' -o bin/shuan-linux-arm64 ./cmd/shuan
	GOOS=linux   GOARCH=loong64 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/shuan-linux-loong64 ./cmd/shuan
	GOOS=windows GOARCH=amd64   go build -trimpath -ldflags '$(LDFLAGS)' -o bin/shuan-windows-amd64.exe ./cmd/shuan

services-start:
	bash scripts/services.sh start
services-stop:
	bash scripts/services.sh stop

clean:
	rm -rf bin .services
