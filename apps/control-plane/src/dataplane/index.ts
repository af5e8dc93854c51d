export { createDataplaneApi, type DataplaneApi, type DataplaneApiDeps } from "./api.ts";
export {
  type BuildSnapshotInput,
  buildSnapshot,
  type MeshState,
  serializedSnapshotBuilder,
  snapshotBuilder,
} from "./build-snapshot.ts";
export { type DataplanePorts, dataplaneResource } from "./store-views.ts";
