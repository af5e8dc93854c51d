// A test upstream with a known behaviour: every answer takes delayMs, and a failShare of the requests (spread
// evenly, so the share is exact rather than random) is answered 500. POST /__behaviour changes both at run time
// (that request is not counted); GET /__counts tells how many requests it served.
import http from "node:http";

const behaviour = {
  delayMs: Number(process.env.DELAY_MS ?? 0),
  failShare: Number(process.env.FAIL_SHARE ?? 0),
};
let served = 0;
let failed = 0;

const server = http.createServer((req, res) => {
  if (req.url === "/__behaviour") {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => res.end(JSON.stringify(Object.assign(behaviour, JSON.parse(body)))));
    return;
  }
  if (req.url === "/__counts") return void res.end(JSON.stringify({ served, failed }));
  req.resume();
  served += 1;
  const fail = failed < served * behaviour.failShare;
  if (fail) failed += 1;
  setTimeout(
    () => res.writeHead(fail ? 500 : 200, { "content-type": "text/plain" }).end("ok\n"),
    behaviour.delayMs,
  );
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
