# syntax=docker/dockerfile:1
# The InsightStream image: one binary for every role, plus the built dashboard.
#
#   docker build -t insightstream .
#   docker run --rm -p 8080:8080 -v insightstream-data:/var/lib/insightstream insightstream          # all roles, embedded backends
#   docker run --rm insightstream migrate --database postgres://owner@db:5432/insightstream           # one-shot
#   docker run --rm -p 8080:8080 insightstream gateway --upstream auth=http://auth:8080 ...           # one role
#
# The Debian package lists come from scripts/packages.sh, the file scripts/run and scripts/test
# install from too; tests/deploy/image_libraries.sh checks that the runtime list covers every
# library the binary loads (no image can be built where the tests run).

# ---------------------------------------------------------------------------------------------
# The binary: Release, with the packages scripts/run builds with.
FROM debian:12 AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/packages.sh /tmp/packages.sh
RUN source /tmp/packages.sh \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${IS_BUILD_PACKAGES[@]}" \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the Release build reads: the sources, and the OpenAPI document it embeds (tests,
# benchmarks and fuzz targets are off).
COPY CMakeLists.txt ./
COPY docs/api/openapi.json docs/api/openapi.json
COPY src src
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DIS_BUILD_TESTS=OFF -DIS_BUILD_BENCH=OFF \
 && ninja -C build/release insightstream

# ---------------------------------------------------------------------------------------------
# The dashboard. Not on debian:12 with apt's Node: Debian 12 ships nodejs 18.20 and npm 9.2, and
# the dashboard's toolchain (Vite 8, rolldown) needs Node ^20.19 || >=22.12 (web/package.json
# "engines"). The official Node image on the same Debian release, with the major the project's
# machines use.
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# ---------------------------------------------------------------------------------------------
# The runtime: debian:12-slim with only the runtime libraries (IS_RUNTIME_PACKAGES).
FROM debian:12-slim AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/packages.sh /tmp/packages.sh
RUN source /tmp/packages.sh \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${IS_RUNTIME_PACKAGES[@]}" \
 && rm -rf /var/lib/apt/lists/* /tmp/packages.sh
# A fixed numeric id, so orchestrators can check "not root" (runAsNonRoot) without reading /etc/passwd.
RUN groupadd --system --gid 10001 insightstream \
 && useradd --system --uid 10001 --gid insightstream --home-dir /var/lib/insightstream --no-create-home \
            --shell /usr/sbin/nologin insightstream \
 && install -d -o insightstream -g insightstream -m 0750 /var/lib/insightstream
COPY --from=build /src/build/release/src/insightstream /usr/local/bin/insightstream
COPY --from=web /src/web/dist /usr/share/insightstream/web
# The image fails to build, rather than to start, if a library is missing.
RUN if ldd /usr/local/bin/insightstream | grep 'not found'; then exit 1; fi \
 && /usr/local/bin/insightstream --help >/dev/null

# Every flag has an environment variable (README.md, Configuration); these are the image's
# defaults. Set the address through INSIGHTSTREAM_LISTEN, not --listen: the health check reads it.
ENV INSIGHTSTREAM_LISTEN=0.0.0.0:8080 \
    INSIGHTSTREAM_DATA_DIR=/var/lib/insightstream \
    INSIGHTSTREAM_WEB_DIR=/usr/share/insightstream/web
# Embedded backends (SQLite, objects, generated signing keys) live here; with PostgreSQL, S3 and
# SQS nothing does, except the gateway's and roles' scratch files.
VOLUME ["/var/lib/insightstream"]
WORKDIR /var/lib/insightstream
USER 10001:10001
EXPOSE 8080
# curl (from IS_RUNTIME_PACKAGES) because the binary has no probe command; /healthz answers as
# soon as the process serves, /readyz is for load balancers (it also checks the backends).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(echo "$INSIGHTSTREAM_LISTEN" | sed 's/.*://')/healthz" || exit 1
# SIGTERM (the default stop signal) drains in-flight work for INSIGHTSTREAM_SHUTDOWN_GRACE seconds (20).
ENTRYPOINT ["/usr/local/bin/insightstream"]
CMD ["all"]
