# Chronicle: `make run` and `make test` do all set-up (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run

SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)

.PHONY: deps build run test clean-data

# System packages (PostgreSQL 15, libpq headers, pkg-config), only when missing.
deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

# A durable private cluster in .data/pg unless DATABASE_URL is set; migrate;
# run the three processes. Ctrl-C stops them all and the cluster.
run: build
	@BIN_DIR="$(BIN_DIR)" scripts/with-postgres.sh durable .data/pg -- scripts/run-all.sh

# The whole suite against a real PostgreSQL: a fast (fsync off) private
# cluster in .data/pg-test unless DATABASE_URL is set.
test: deps
	$(SWIFT) build --build-tests
	@scripts/with-postgres.sh fast .data/pg-test -- $(SWIFT) test --skip-build --disable-xctest

clean-data:
	-scripts/pg-cluster.sh stop .data/pg
	-scripts/pg-cluster.sh stop .data/pg-test
	rm -rf .data
