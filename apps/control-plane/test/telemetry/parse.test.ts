import { describe, expect, it } from "vitest";
import { parseExposition } from "../../src/telemetry/scrape.ts";

describe("parseExposition", () => {
  it("keeps each label set of a histogram apart, unescapes label values and keeps the last line", () => {
    const samples = parseExposition(
      [
        "# HELP loom_request_duration_seconds Latency",
        "# TYPE loom_request_duration_seconds histogram",
        'loom_request_duration_seconds_bucket{le="0.1",destination="a"} 1',
        'loom_request_duration_seconds_bucket{le="+Inf",destination="a"} 2',
        'loom_request_duration_seconds_bucket{le="0.1",destination="b\\"c\\\\d"} 3',
        'loom_request_duration_seconds_sum{destination="a"} 0.5',
        "# TYPE loom_requests_total counter",
        'loom_requests_total{destination="a",status_class="5xx"} 7',
      ].join("\n"),
    );
    expect(samples.map(({ metric, labels, value }) => ({ metric, labels, value }))).toEqual([
      { metric: "loom_request_duration_seconds_bucket", labels: { le: "0.1", destination: "a" }, value: 1 },
      { metric: "loom_request_duration_seconds_bucket", labels: { le: "+Inf", destination: "a" }, value: 2 },
      {
        metric: "loom_request_duration_seconds_bucket",
        labels: { le: "0.1", destination: 'b"c\\d' },
        value: 3,
      },
      { metric: "loom_requests_total", labels: { destination: "a", status_class: "5xx" }, value: 7 },
    ]);
  });

  it("throws on a body that is not the text format", () => {
    expect(() => parseExposition('loom_requests_total{destination="a" 7')).toThrow();
  });
});
