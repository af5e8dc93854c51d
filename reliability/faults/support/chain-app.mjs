// One service of the fault chain: e2e/support/fixture-app.mjs, except that a failed answer from the next hop
// is passed on with its body, so a test that counts failures can also say who refused and why.
import http from "node:http";

const service = process.env.SERVICE ?? "app";
const callsUrl = process.env.CALLS_URL;

const server = http.createServer((req, res) => {
  req.resume();
  if (!callsUrl) return void res.writeHead(200, { "content-type": "text/plain" }).end(`${service} ok\n`);
  const headers = req.headers.traceparent ? { traceparent: req.headers.traceparent } : {};
  const call = http.get(new URL(req.url ?? "/", callsUrl), { headers }, (upstream) => {
    const status = upstream.statusCode ?? 502;
    const chunks = [];
    upstream.on("data", (chunk) => status >= 400 && chunks.push(chunk));
    upstream.on("end", () => {
      const body =
        status >= 400 ? `${service} <- ${Buffer.concat(chunks).toString().trim()}\n` : `${service} ok\n`;
      res.writeHead(status, { "content-type": "text/plain" }).end(body);
    });
  });
  call.on("error", (error) => res.writeHead(502).end(`${service}: ${error.message}\n`));
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.APP_PORT), "127.0.0.1", () => console.log(`${service} listening`));
