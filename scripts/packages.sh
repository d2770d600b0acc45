# shellcheck shell=bash disable=SC2034  # bash arrays read by whoever sources this file
# The Debian 12 package lists, in one place: sourced by scripts/deps.sh (scripts/run, scripts/test)
# and by the Dockerfile (build and runtime stages); tests/deploy/image_libraries.sh checks the
# runtime list against the libraries the built binary loads. Bash arrays, names only: no commands.

# What compiles the binary (and the unit tests and benchmarks, which scripts/test builds).
IS_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libpq-dev libsqlite3-dev libssl-dev libsodium-dev libsimdjson-dev libcurl4-openssl-dev libexpat1-dev libzstd-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
)

# What the test suite needs on top (PostgreSQL, clang for the fuzz build, the browser tests).
IS_TEST_PACKAGES=(postgresql postgresql-client clang libclang-rt-14-dev sqlite3 curl chromium)

# What the container image's runtime stage (debian:12-slim) installs, with --no-install-recommends:
# the shared libraries of the binary that slim lacks, one package per library the binary links
# directly (their own dependencies come with them), plus what the image itself uses. libc6,
# libstdc++6 and libgcc-s1 are already in slim (see tests/deploy/image_libraries.sh).
IS_RUNTIME_PACKAGES=(
  libboost-json1.81.0 libboost-url1.81.0
  # Linked by the Debug/sanitizer build (not by Release today); a few hundred KiB, so a Release
  # build whose Boost.JSON keeps the reference still starts.
  libboost-container1.81.0
  libcurl4 libexpat1 libpq5 libsimdjson14 libsodium23 libsqlite3-0 libssl3 libzstd1
  # HTTPS to S3, SQS and the ECS credentials endpoint needs the CA bundle libcurl reads.
  ca-certificates
  # HEALTHCHECK probes /healthz with it (libcurl4 is here anyway, so it adds ~300 KiB).
  curl
)
