import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reportCounts } from "../report.ts";
import { type Framing, frameWithLlhttp, frameWithProxy } from "./support/http-framing.ts";
import { requestStream } from "./support/http-request-arbitrary.ts";

const RUNS = 20_000;
// Fixed so a failure replays; LOOM_FUZZ_SEED explores further.
const SEED = Number(process.env.LOOM_FUZZ_SEED ?? 7_007);

type Verdict = "agree" | "proxy-stricter" | "extension-method" | "proxy-looser" | "framed-differently";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The proxy may refuse what llhttp accepts (it forwards what it parses, so doubt means refusal), never accept
 * what llhttp refuses, and never frame a request differently: a different body end is request smuggling.
 */
function judge(proxy: Framing, llhttp: Framing): Verdict {
  const shared = Math.min(proxy.requests.length, llhttp.requests.length);
  for (let i = 0; i < shared; i++)
    if (JSON.stringify(proxy.requests[i]) !== JSON.stringify(llhttp.requests[i])) return "framed-differently";
  // From the head on that raw-server.ts hands to node:http, llhttp itself reads the stream.
  if (proxy.reason === "handed to node:http" && proxy.requests.length <= llhttp.requests.length)
    return "agree";
  // RFC 9110 §9.1: a method is any token. llhttp knows a fixed list; the proxy forwards the others, framed
  // the same way (the next hop answers them), so this is a difference of vocabulary, not of framing.
  const extra = proxy.requests[shared];
  if (llhttp.reason === "HPE_INVALID_METHOD" && extra !== undefined && TOKEN.test(extra.method))
    return "extension-method";
  if (proxy.requests.length > llhttp.requests.length)
    return llhttp.end === "incomplete" ? "framed-differently" : "proxy-looser";
  if (llhttp.requests.length > proxy.requests.length) {
    if (proxy.end === "error" || proxy.end === "closed") return "proxy-stricter";
    return "framed-differently";
  }
  if (proxy.end === llhttp.end) return "agree";
  if (proxy.end === "error") return "proxy-stricter";
  // Waiting for bytes that never come ends in the proxy's 408; a CRLF llhttp skips between requests is a wait.
  if (proxy.end === "incomplete") return "proxy-stricter";
  return llhttp.end === "error" ? "proxy-looser" : "agree";
}

describe("the proxy's HTTP/1.1 request parser against Node's llhttp", () => {
  it(`frames ${RUNS} generated request streams as llhttp does, or refuses them`, () => {
    const tally: Record<Verdict, number> = {
      agree: 0,
      "proxy-stricter": 0,
      "extension-method": 0,
      "proxy-looser": 0,
      "framed-differently": 0,
    };
    const disagreements: { input: string; proxy: Framing; llhttp: Framing; verdict: Verdict }[] = [];
    let crashed = 0;
    let bothAccepted = 0;
    for (const input of fc.sample(requestStream, { numRuns: RUNS, seed: SEED })) {
      const bytes = Buffer.from(input, "latin1");
      let proxy: Framing;
      try {
        proxy = frameWithProxy(bytes);
      } catch (error) {
        crashed++;
        disagreements.push({
          input,
          proxy: { requests: [], end: "error", reason: `threw ${String(error)}` },
          llhttp: frameWithLlhttp(bytes),
          verdict: "framed-differently",
        });
        continue;
      }
      const llhttp = frameWithLlhttp(bytes);
      if (proxy.requests.length > 0 && llhttp.requests.length > 0) bothAccepted++;
      const verdict = judge(proxy, llhttp);
      tally[verdict]++;
      if (verdict === "proxy-looser" || verdict === "framed-differently")
        disagreements.push({ input, proxy, llhttp, verdict });
    }
    const file = path.resolve(import.meta.dirname, "../../.artifacts/reliability/wire-disagreements.json");
    rmSync(file, { force: true });
    if (disagreements.length > 0) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(disagreements.slice(0, 200), null, 1));
      console.log(`first disagreements in ${file}:`);
      for (const sample of disagreements.slice(0, 5)) console.log(JSON.stringify(sample));
    }
    reportCounts("hostile-input proxy wire parser vs llhttp", {
      sent: RUNS,
      failed: tally["proxy-looser"] + tally["framed-differently"],
      refused: tally["proxy-stricter"],
      crashed,
      notes: {
        agree: tally.agree,
        "extension methods llhttp refuses": tally["extension-method"],
        "both framed a request": bothAccepted,
        "proxy looser": tally["proxy-looser"],
        "framed differently": tally["framed-differently"],
        seed: SEED,
      },
    });
    // The generator must reach past the first line: many streams framed whole by both parsers.
    expect(bothAccepted).toBeGreaterThan(RUNS * 0.1);
    expect(crashed).toBe(0);
    expect(tally["framed-differently"]).toBe(0);
    expect(tally["proxy-looser"]).toBe(0);
  });
});
