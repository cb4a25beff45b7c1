# syntax=docker/dockerfile:1
# (The line above selects the current Dockerfile frontend: this file uses a
# here-document and COPY --chmod, which need BuildKit, Docker's default builder.)
#
# Chronicle: one image for all four executables — command-service,
# query-service, projector and chronicle-admin. The command is chosen at run
# time (docker-compose.yml sets it per service), e.g.
#
#   docker build -t chronicle .
#   docker run --rm -e DATABASE_URL=postgresql://… chronicle chronicle-admin migrate
#   docker run --rm -e DATABASE_URL=postgresql://… -p 8080:8080 chronicle command-service
#
# See README.md "Operations guide".

# ---------------------------------------------------------------------------
# Build stage: the official Swift image, Swift 6.3 on Debian 12 (bookworm) —
# the toolchain the project is developed and tested with (6.3.1), on the same
# Debian release as the runtime stage, so libpq-dev here and libpq5 there are
# the same PostgreSQL 15 client library.
# ---------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build

# libpq headers and pkg-config: the CLibPQ system-library target finds libpq
# through `pkg-config libpq`.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first, in a layer of their own: it is rebuilt only when the
# manifest or the pins change. Package.resolved is not committed (the glob
# lets the COPY work without it); when present, its pins are kept.
COPY Package.swift Package.resolved* ./
RUN swift package resolve

# The manifest also declares the test targets, and SwiftPM refuses a target
# whose directory is missing, so Tests/ comes along (it is not compiled: only
# the four products are built).
COPY Sources ./Sources
COPY Tests ./Tests

# Release build with the Swift standard library and Foundation linked
# statically: the runtime stage then needs no Swift runtime libraries, only
# glibc, libstdc++ and libpq (checked with ldd on a Debian 12 build). The
# DWARF debug info is stripped (about 27 MB of each ~120 MB executable); the
# symbols stay, so crash backtraces still name functions.
RUN set -e; \
    for product in command-service query-service projector chronicle-admin; do \
        swift build -c release --static-swift-stdlib --product "$product"; \
    done; \
    bin="$(swift build -c release --show-bin-path)"; \
    mkdir -p /staging/bin; \
    for product in command-service query-service projector chronicle-admin; do \
        strip --strip-debug -o "/staging/bin/$product" "$bin/$product"; \
    done; \
    # Swift's crash backtracer (static build), so a crash logs a symbolicated
    # backtrace; optional: the image works without it.
    if [ -x /usr/libexec/swift/linux/swift-backtrace-static ]; then \
        cp /usr/libexec/swift/linux/swift-backtrace-static /staging/bin/; \
    fi

# ---------------------------------------------------------------------------
# Runtime stage: Debian 12 slim with the PostgreSQL client library.
# ---------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# libpq5: the PostgreSQL client library the executables link against.
# ca-certificates: for DATABASE_URL with sslmode=verify-full and friends.
# tzdata: time zones, for log and database sessions that name one.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a fixed numeric id (so orchestrators can check
# runAsNonRoot); it owns nothing in the image, which stays read-only to it.
RUN groupadd --system --gid 10001 chronicle \
    && useradd --system --uid 10001 --gid chronicle --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin chronicle

WORKDIR /app

# The executables, and the files they read at start-up at a fixed path
# (they would also find them in the working directory, /app).
COPY --from=build /staging/bin/ /app/bin/
COPY migrations/ /app/migrations/
COPY openapi.yaml /app/openapi.yaml

# chronicle-healthcheck [PATH]: GET http://127.0.0.1:$PORT$PATH (default
# /health/ready); exit 0 on a 200, else 1. Uses bash's /dev/tcp, so the image
# needs no curl. docker-compose.yml uses it for the services' healthchecks.
COPY --chmod=0755 <<'EOF' /app/bin/chronicle-healthcheck
#!/bin/bash
set -u
path=${1:-/health/ready}
port=${PORT:?PORT is not set}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || { echo "no answer from port $port" >&2; exit 1; }
case $status in
    "HTTP/1."[01]" 200 "*) exit 0 ;;
    *) echo "$path: $status" >&2; exit 1 ;;
esac
EOF

# HOST=0.0.0.0: in a container the services must listen on every interface
# (the default, 127.0.0.1, is unreachable from outside the container).
# LOG_FORMAT=json: one JSON object per log line, for log collectors.
# PORT is not set here: each executable has its own default (8080, 8081, 8082).
ENV PATH=/app/bin:$PATH \
    HOST=0.0.0.0 \
    LOG_FORMAT=json \
    CHRONICLE_MIGRATIONS=/app/migrations \
    CHRONICLE_OPENAPI=/app/openapi.yaml \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/bin/swift-backtrace-static

USER 10001:10001

EXPOSE 8080 8081 8082

# Exec form, so the executable is PID 1 and receives SIGTERM itself: it
# drains (or finishes its batch) and exits 0.
CMD ["command-service"]
