// A gRPC server built with @grpc/grpc-js (a real gRPC implementation), messages as JSON bytes. Each
// Reserve call says how it should end, so a test knows exactly which calls fail and how:
//   { id, mode: "ok" }                   OK
//   { id, mode: "fail", code }           trailers-only error (grpc-js sends one when nothing was sent yet)
//   { id, mode: "trailers", code }       response headers first, then the error in the trailers
//   { id, mode: "fail-first", code }     "fail" on the first call with this id, OK after
//   { id, mode: "trailers-first", code } "trailers" on the first call with this id, OK after
//   { id, mode: "slow", ms }             OK after ms
// FAIL_ALL=<code> makes every Reserve call fail with that code. Counts answers the calls received (all, and
// by id); Reset clears them.
import grpc from "@grpc/grpc-js";

const failAll = process.env.FAIL_ALL === undefined ? undefined : Number(process.env.FAIL_ALL);
const json = {
  serialize: (value) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes) => JSON.parse(bytes.toString()),
};
const unary = (path) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});

let calls = 0;
let byId = new Map();

function reserve(call, callback) {
  const { id, mode = "ok", code = grpc.status.UNAVAILABLE, ms = 0 } = call.request;
  calls += 1;
  const seen = (byId.get(id) ?? 0) + 1;
  byId.set(id, seen);
  const fail = (status) => callback({ code: status, details: `call ${id} failed on purpose` });
  if (failAll !== undefined) return fail(failAll);
  if (mode === "slow") return setTimeout(() => callback(null, { id, attempt: seen }), ms);
  const firstOnly = mode.endsWith("-first");
  if (mode === "ok" || (firstOnly && seen > 1)) return callback(null, { id, attempt: seen });
  if (mode.startsWith("trailers")) call.sendMetadata(new grpc.Metadata());
  fail(code);
}

const server = new grpc.Server();
server.addService(
  {
    Reserve: unary("/loom.test.Inventory/Reserve"),
    Counts: unary("/loom.test.Inventory/Counts"),
    Reset: unary("/loom.test.Inventory/Reset"),
  },
  {
    Reserve: reserve,
    Counts: (_call, callback) => callback(null, { calls, byId: Object.fromEntries(byId) }),
    Reset: (_call, callback) => {
      calls = 0;
      byId = new Map();
      callback(null, {});
    },
  },
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`grpc-js-app listening on ${port}`);
});
process.on("SIGTERM", () => {
  server.forceShutdown();
  process.exit(0);
});
