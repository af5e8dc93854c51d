export { createDataplaneApi, type DataplaneApi, type DataplaneApiDeps } from "./api.ts";
export { type BuildSnapshotInput, buildSnapshot } from "./build-snapshot.ts";
export { type DataplanePorts, dataplaneResource } from "./store-views.ts";
