# syntax=docker/dockerfile:1
# Tessera's image: `docker build -t tessera .` then see compose.yaml, or for one instance on SQLite:
#   docker run -p 8000:8000 -v tessera-data:/data -e TESSERA_SECRET_KEY="$(openssl rand -hex 32)" tessera
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: dependencies (with the compilers better-sqlite3 falls back to), then the TypeScript ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles itself when its prebuilt binary cannot be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: the built code and production dependencies only, run as the unprivileged `node` user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TESSERA_HOST=0.0.0.0 \
    TESSERA_PORT=8000 \
    TESSERA_DATABASE_URL=sqlite:/data/tessera.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Where a single-instance SQLite database lives (mount a volume there); unused with PostgreSQL.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 8000
# Liveness only (GET /healthz never waits on the database): a database outage must not get every
# replica restarted. Load balancers that can should use GET /readyz. The image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TESSERA_PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
