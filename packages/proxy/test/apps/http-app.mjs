// A test upstream: answers with its version, counts what it receives, and can be told to fail or slow down.
// GET /__counts and POST /__behaviour are its own control endpoints and are not counted.
import http from "node:http";

const version = process.env.VERSION ?? "v1";
const behaviour = { failRate: Number(process.env.FAIL_RATE ?? 0), failStatus: 503, delayMs: 0 };
let counts = { requests: 0, byPath: {}, byHeader: {}, traceparents: 0 };

const server = http.createServer((req, res) => {
  if (req.url === "/__counts") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ version, ...counts }));
    return;
  }
  if (req.url === "/__reset") {
    counts = { requests: 0, byPath: {}, byHeader: {}, traceparents: 0 };
    res.end("reset");
    return;
  }
  if (req.url === "/__behaviour") {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      Object.assign(behaviour, JSON.parse(body));
      res.end(JSON.stringify(behaviour));
    });
    return;
  }
  counts.requests += 1;
  const path = req.url.split("?")[0];
  counts.byPath[path] = (counts.byPath[path] ?? 0) + 1;
  const mark = req.headers["x-mark"];
  if (mark) counts.byHeader[mark] = (counts.byHeader[mark] ?? 0) + 1;
  if (req.headers.traceparent) counts.traceparents += 1;
  const delayMs =
    path === "/slow" ? Number(new URL(req.url, "http://x").searchParams.get("ms") ?? 500) : behaviour.delayMs;
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const respond = () => {
      const failing = Math.random() < behaviour.failRate;
      const body = failing
        ? `failure from ${version}\n`
        : path === "/echo"
          ? Buffer.concat(chunks)
          : `${version}\n`;
      res.writeHead(failing ? behaviour.failStatus : 200, {
        "content-type": "text/plain",
        "x-version": version,
        "x-seen-traceparent": req.headers.traceparent ?? "",
        "x-seen-source": req.headers["x-loom-source"] ?? "",
      });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(respond, delayMs);
    else respond();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`http-app ${version} listening on ${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
