# syntax=docker/dockerfile:1.7
# Two images from one build: `--target api` (the ECS service) and `--target simulation` (the
# Fargate task the pacer launches). Both run as the unprivileged `node` user, need no writable
# root filesystem (logs go to stdout, job data to S3), and start node directly as PID 1's child of
# tini so SIGTERM — Fargate's stop and Spot's 2-minute notice — reaches the process.

# Node 22 LTS, the major of the Lambda runtime (nodejs22.x) and of package.json `engines`.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY app ./app
COPY adapters ./adapters
COPY handlers ./handlers
COPY infra/environments.ts ./infra/environments.ts
COPY scripts ./scripts
RUN npm run build

# Production dependencies only: the AWS SDK clients are loaded on first use, outside the bundle.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=prod-deps --chown=root:root /src/node_modules ./node_modules
COPY --chown=root:root package.json ./
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM runtime AS simulation
COPY --from=build --chown=root:root /src/dist/simulation ./dist/simulation
# INPUT_URI, OUTPUT_URI and JOB_ID come from the pacer's RunTask overrides.
CMD ["node", "dist/simulation/main.mjs"]

FROM runtime AS api
COPY --from=build --chown=root:root /src/dist/server ./dist/server
ENV PORT=8080
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/server/server.mjs"]
