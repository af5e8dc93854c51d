# loom-cp, the control plane. Build from the repository root:
#   docker build -f docker/control-plane.Dockerfile -t loom/control-plane .
# The three images share their first stage (same instructions, same context), so BuildKit builds it once.

FROM node:20-bookworm-slim AS workspace
WORKDIR /app
# better-sqlite3 compiles from source where no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# Every dependency, dev ones included: the root postinstall generates the Prisma clients with the prisma CLI,
# and the services run their TypeScript sources through tsx.
RUN npm ci

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Sources, node_modules, the generated Prisma clients and prisma/ (migrations are read at every start).
COPY --from=workspace /app /app
# A named volume mounted on /data starts out owned by the unprivileged user.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
# 5681: tRPC API, OTLP receiver (/v1/traces), /metrics, /healthz. 5678: data-plane API (HTTPS).
EXPOSE 5681 5678
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:5681/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# LOOM_DP_HOSTS must name the host proxies use to reach the data-plane API (its certificate lists it).
ENTRYPOINT ["node", "apps/control-plane/bin/loom-cp.js", "--host", "0.0.0.0", "--dp-host", "0.0.0.0", "--data-dir", "/data"]
