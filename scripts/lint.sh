#!/usr/bin/env bash
# The checks that need no llama.cpp: gofmt, go vet, and go.mod and go.sum tidy (benchtui's
# module and the task runner's, tools/go.mod), so that neither lists what nothing imports.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -Wno-deprecated-declarations"
mapfile -t files < <(git ls-files '*.go')
bad=$(gofmt -l "${files[@]}")
[ -z "$bad" ] || { echo "lint: not gofmt-ed (run gofmt -w on them):" >&2; echo "$bad" >&2; exit 1; }
go vet ./...
go mod tidy -diff || { echo "lint: go.mod or go.sum is not tidy: run go mod tidy" >&2; exit 1; }
go -C tools mod tidy -diff || { echo "lint: tools/go.mod or tools/go.sum is not tidy: run go mod tidy in tools" >&2; exit 1; }
echo "lint: gofmt, go vet, go mod tidy: clean"
