# Chronicle: `make run` and `make test` do all set-up (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run

SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)

.PHONY: deps build run test bench bench-smoke clean-data

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
# cluster in .data/pg-test unless DATABASE_URL is set; then the benchmark
# harness in its smoke mode (seconds, on the debug build), so it keeps working.
# TEST_PARALLELISM: how many tests run at once (Swift Testing starts them all
# at once by default; see README.md, "make test").
TEST_PARALLELISM ?= 8
test: deps
	$(SWIFT) build --build-tests
	@SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_PARALLELISM) \
		scripts/with-postgres.sh fast .data/pg-test -- $(SWIFT) test --skip-build --disable-xctest
	$(MAKE) --no-print-directory bench-smoke

# Benchmarks (bench/README.md): wrk and python3 installed when missing.
# `make bench` builds release binaries and runs every measurement (about
# 10 minutes) against a durable private cluster in .data/pg-bench; the table
# goes to bench/results/<date>-<commit>.md. `make bench-smoke` runs the same
# harness with tiny durations on the debug build (well under a minute once
# built), writing only under .data/bench-smoke/. BENCH_SCRATCH=DIR builds in
# another scratch path (e.g. while someone else builds in .build);
# BENCH_ARGS passes options to bench/run.py.
BENCH_SCRATCH ?=
BENCH_ARGS ?=
bench_scratch = $(if $(BENCH_SCRATCH),--scratch-path $(BENCH_SCRATCH))

bench:
	@scripts/install-deps.sh wrk python3
	$(SWIFT) build -c release $(bench_scratch)
	python3 bench/run.py --bin "$$($(SWIFT) build -c release $(bench_scratch) --show-bin-path)" $(BENCH_ARGS)

bench-smoke:
	@scripts/install-deps.sh wrk python3
	$(SWIFT) build $(bench_scratch)
	python3 bench/run.py --smoke --bin "$$($(SWIFT) build $(bench_scratch) --show-bin-path)" $(BENCH_ARGS)

clean-data:
	-scripts/pg-cluster.sh stop .data/pg
	-scripts/pg-cluster.sh stop .data/pg-test
	rm -rf .data
