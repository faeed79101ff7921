# syntax=docker/dockerfile:1
# rotor: the secret-rotation daemon. Build: docker build -t rotor .
# Run:   docker run -v /path/rotor.yaml:/etc/rotor/rotor.yaml:ro -e ROTOR_JOURNAL_KEY=… rotor
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:${NODE_VERSION}-bookworm-slim
# tini as PID 1: forwards SIGTERM/SIGINT/SIGHUP to rotor and reaps zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
USER node
# The HTTP API (an `api:` section with port 8080 and host 0.0.0.0) serves /healthz for the health check.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
CMD ["start", "--config", "/etc/rotor/rotor.yaml"]
