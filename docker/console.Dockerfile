# The web console (Next.js, production build). Build from the repository root:
#   docker build -f docker/console.Dockerfile -t loom/console .
# Run with LOOM_CP_URL pointing at the control plane's API, e.g. http://control-plane:5681.

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

FROM workspace AS build
ENV NEXT_TELEMETRY_DISABLED=1
RUN npm run -w @loom/console build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 LOOM_CP_URL=http://control-plane:5681
# next start writes its cache under .next/cache.
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
WORKDIR /app/apps/console
ENTRYPOINT ["node", "../../node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]
