# syntax=docker/dockerfile:1
# The one Node version: inside package.json's `engines` and every dependency's (test/repo/packaging.test.ts).
ARG NODE_VERSION=20.20.2
# Build stage: full dependencies, compile TypeScript.
FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3 is compiled from source (.prebuild-installrc), against this Node's headers.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json .prebuild-installrc ./
RUN npm ci --engine-strict --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY test ./test
COPY twiml ./twiml
COPY console ./console
RUN npm run build

# Runtime stage: production dependencies only (the compiler is removed again in the same layer),
# non-root user, the SQLite database in a volume.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json .prebuild-installrc ./
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && npm ci --omit=dev --engine-strict --no-audit --no-fund && npm cache clean --force \
  && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist ./dist
COPY twiml ./twiml
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node.js as `npm start` runs it (package.json's start script), flags included.
CMD ["node", "dist/src/main.js"]
