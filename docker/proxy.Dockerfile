# loom-proxy, the sidecar (and, with --gateway, the mesh's ingress). Build from the repository root:
#   docker build -f docker/proxy.Dockerfile -t loom/proxy .
#   docker run -v ./bootstrap.yaml:/etc/loom/bootstrap.yaml loom/proxy [--gateway]
# The demo-mesh target adds nothing but its entry point: the demo launcher, which runs the shop's apps,
# one loom-proxy per app instance, the gateway and the load generator against a control plane elsewhere.

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

FROM node:20-bookworm-slim AS proxy
WORKDIR /app
ENV NODE_ENV=production
COPY --from=workspace /app /app
RUN mkdir /data && chown node:node /data
USER node
ENTRYPOINT ["node", "packages/proxy/bin/loom-proxy.js", "--bootstrap", "/etc/loom/bootstrap.yaml"]

FROM proxy AS demo-mesh
ENTRYPOINT ["node", "--import", "tsx", "examples/demo/src/launch.ts"]
