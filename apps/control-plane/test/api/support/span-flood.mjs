// A separate process that floods an OTLP/HTTP traces endpoint with JSON bodies until SIGTERM.
// Usage: LOOM_FLOOD_TOKEN=<token> node span-flood.mjs URL [concurrency] [spansPerBody]; prints "flood ready",
// then totals on SIGTERM. The token (an editor or admin API token) goes in an environment variable, not argv.
import { randomBytes } from "node:crypto";

const [url, concurrencyArg = "8", spansArg = "200"] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const spansPerBody = Number(spansArg);
const totals = { bodies: 0, accepted: 0, retryLater: 0, otherStatus: 0, errors: 0, spans: 0 };
let stopping = false;

const TRACE_PLACEHOLDER = "0123456789abcdef0123456789abcdef";

// Bodies are built once: on a shared 2-core machine, building 200 spans per request would make the flood's
// own CPU use, not loom-cp, the thing that slows the writes. Each request gets a fresh trace id.
const templates = Array.from({ length: 16 }, () => {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: spansPerBody }, (_, index) => ({
    traceId: TRACE_PLACEHOLDER,
    spanId: randomBytes(8).toString("hex"),
    ...(index > 0 && { parentSpanId: `${"0".repeat(15)}1` }),
    name: `GET /flood/${index % 10}`,
    kind: 2,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
    attributes: [{ key: "http.response.status_code", value: { intValue: "200" } }],
    status: {},
  }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "flood" } }] },
        scopeSpans: [{ spans }],
      },
    ],
  });
});
let sent = 0;

function body() {
  sent += 1;
  return templates[sent % templates.length].replaceAll(TRACE_PLACEHOLDER, randomBytes(16).toString("hex"));
}

async function worker() {
  while (!stopping) {
    try {
      const answer = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${process.env.LOOM_FLOOD_TOKEN}`,
        },
        body: body(),
      });
      await answer.arrayBuffer();
      totals.bodies += 1;
      if (answer.status === 200) {
        totals.accepted += 1;
        totals.spans += spansPerBody;
      } else if (answer.status === 503 || answer.status === 429) totals.retryLater += 1;
      else totals.otherStatus += 1;
    } catch {
      totals.errors += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

process.on("SIGTERM", () => {
  stopping = true;
  console.log(`flood totals ${JSON.stringify(totals)}`);
  process.exit(0);
});
const started = Date.now();
setInterval(() => {
  console.log(`flood progress ${Math.round((Date.now() - started) / 1000)} s ${JSON.stringify(totals)}`);
}, 1_000);
console.log("flood ready");
for (let index = 0; index < concurrency; index += 1) void worker();
