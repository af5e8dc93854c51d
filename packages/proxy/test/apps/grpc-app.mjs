// A tiny gRPC server over h2c with length-prefixed messages (no gRPC library): unary echo, server
// streaming, bidirectional echo, and a trailers-only error. Payloads are UTF-8 text.
import http2 from "node:http2";

const version = process.env.VERSION ?? "v1";

function frame(text) {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** Calls onMessage for each complete length-prefixed message in the stream. */
function readMessages(stream, onMessage) {
  let buffered = Buffer.alloc(0);
  stream.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5) {
      const length = buffered.readUInt32BE(1);
      if (buffered.length < 5 + length) break;
      onMessage(buffered.subarray(5, 5 + length).toString());
      buffered = buffered.subarray(5 + length);
    }
  });
}

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  const path = headers[":path"];
  const ok = () => stream.sendTrailers({ "grpc-status": "0" });
  if (path === "/loom.test.Echo/Fail") {
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": "5",
        "grpc-message": "nothing here",
      },
      { endStream: true },
    );
    return;
  }
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", "x-version": version },
    { waitForTrailers: true },
  );
  stream.on("wantTrailers", ok);
  if (path === "/loom.test.Echo/Unary") {
    readMessages(stream, (message) => stream.end(frame(`${version}:${message}`)));
  } else if (path === "/loom.test.Echo/ServerStream") {
    readMessages(stream, (message) => {
      const count = Number(message);
      let sent = 0;
      const timer = setInterval(() => {
        stream.write(frame(`${version}:item-${sent}`));
        sent += 1;
        if (sent === count) {
          clearInterval(timer);
          stream.end();
        }
      }, 10);
    });
  } else if (path === "/loom.test.Echo/BidiStream") {
    readMessages(stream, (message) => stream.write(frame(`${version}:${message}`)));
    stream.on("end", () => stream.end());
  } else {
    stream.end();
  }
  stream.on("error", () => {});
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`grpc-app ${version} listening on ${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
