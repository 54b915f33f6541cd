# syntax=docker/dockerfile:1
#
# etm-terrain's image: built in one stage, run from a second that holds only the compiled
# service and its production dependencies.
#
# No Docker engine runs on the project's machines, so this file is never built there. Its
# install and build commands are the very ones CI runs (.ci/run → Makefile: `npm ci --no-fund
# --no-audit`, `npm run --silent build`) on the same Node major (tools/ensure-node.sh), so a green
# CI proves them; test/dockerfile.test.ts fails when the two drift apart.
#
# better-sqlite3 ships prebuilt binaries inside its npm package and its install script is denied
# in package.json (`allowScripts`): neither stage needs a compiler.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-fund --no-audit
COPY scripts/bundle.ts ./scripts/
COPY src ./src
RUN npm run --silent build

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# The cache mount keeps npm's download cache out of the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-fund --no-audit
COPY --from=build /app/dist ./dist
# Read at run time beside the code: /docs serves the contract as written (src/routes/docs.ts).
COPY openapi.yaml ./
# The only place the service writes: its SQLite file (WAL, so also -wal and -shm beside it).
# Owned by the runtime user, so a fresh Docker volume mounted there is writable too.
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME ["/data"]

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:/data/etm-terrain.db
EXPOSE 8080

# The official image's `node` user, by number: Kubernetes can only check `runAsNonRoot` against
# a numeric user.
USER 1000:1000

# The slim image has no curl; Node 24's fetch does the same. Kubernetes ignores this and uses the
# chart's probes (/healthz for liveness, /readyz for readiness).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 8080}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# `node` itself is PID 1, not `npm start`: no extra process between the signal and the service,
# which handles SIGTERM (graceful shutdown) itself, and no npm log written to a read-only $HOME.
# Semi-spaces of 8 MiB instead of V8's 16: a trade (https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib),
# under make bench's load (it starts the service with this CMD's flags), of about 15 MiB less peak
# RSS for more frequent scavenges; bench/README.md has the figures. No --enable-source-maps: it
# parses the bundle's maps at start (scripts/bundle.ts explains how to turn it on).
CMD ["node", "--max-semi-space-size=8", "dist/server.js"]
