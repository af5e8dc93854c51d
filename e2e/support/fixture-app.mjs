// One service of the fixture mesh: answers on APP_PORT and, when CALLS_URL is set, first calls the next
// service through its own proxy's outbound port, passing the W3C traceparent on so the trace stays one.
import http from "node:http";

const service = process.env.SERVICE ?? "app";
const callsUrl = process.env.CALLS_URL;

const server = http.createServer((req, res) => {
  req.resume();
  if (!callsUrl) return void res.writeHead(200, { "content-type": "text/plain" }).end(`${service} ok\n`);
  const headers = req.headers.traceparent ? { traceparent: req.headers.traceparent } : {};
  const call = http.get(new URL(req.url ?? "/", callsUrl), { headers }, (upstream) => {
    upstream.resume();
    upstream.on("end", () =>
      res.writeHead(upstream.statusCode ?? 502, { "content-type": "text/plain" }).end(`${service} ok\n`),
    );
  });
  call.on("error", (error) => res.writeHead(502).end(`${service}: ${error.message}\n`));
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.APP_PORT), "127.0.0.1", () => console.log(`${service} listening`));
