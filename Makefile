# crmsync developer targets. `make test` is what CI runs.
GO ?= go
PKG ?= ./...

.PHONY: test test-short lint bench build demo

build:
	$(GO) build -o bin/crmsync ./cmd/crmsync

## test: every test with the race detector on. PostgreSQL tests run when
## CRMSYNC_TEST_POSTGRES is set (see README).
test:
	$(GO) test -race -count=1 -timeout 40m $(PKG)

## test-short: a quick pass (fewer simulated histories).
test-short:
	$(GO) test -short -count=1 $(PKG)

lint:
	$(GO) vet $(PKG)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKG)

## bench: the benchmarks whose figures docs/benchmarks.md reports.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m ./internal/syncer/ ./internal/store/... ./internal/contact/

demo:
	$(GO) run ./cmd/crmsync demo
