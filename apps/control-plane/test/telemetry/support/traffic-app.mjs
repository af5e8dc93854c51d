// A test upstream with a known behaviour: every answer takes DELAY_MS, and every FAIL_EVERY-th request
// (when set) is answered 500, so the share of failures is exact rather than random.
import http from "node:http";

const delayMs = Number(process.env.DELAY_MS ?? 0);
const failEvery = Number(process.env.FAIL_EVERY ?? 0);
let served = 0;

const server = http.createServer((req, res) => {
  req.resume();
  served += 1;
  const fail = failEvery > 0 && served % failEvery === 0;
  setTimeout(() => res.writeHead(fail ? 500 : 200, { "content-type": "text/plain" }).end("ok\n"), delayMs);
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
