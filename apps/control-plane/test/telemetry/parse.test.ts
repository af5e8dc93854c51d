import { describe, expect, it } from "vitest";
import { ExpositionReader } from "../../src/telemetry/scrape.ts";

const EXPOSITION = [
  "# HELP loom_request_duration_seconds Latency",
  "# TYPE loom_request_duration_seconds histogram",
  'loom_request_duration_seconds_bucket{le="0.1",destination="a"} 1',
  'loom_request_duration_seconds_bucket{le="+Inf",destination="a"} 2',
  'loom_request_duration_seconds_bucket{le="0.1",destination="b\\"c\\\\d } e"} 3',
  'loom_request_duration_seconds_sum{destination="a"} 0.5',
  "# TYPE loom_requests_total counter",
  'loom_requests_total{destination="a",status_class="5xx"} 7',
].join("\n");

describe("ExpositionReader", () => {
  it("keeps each label set of a histogram apart, unescapes label values and keeps the last line", () => {
    const samples = new ExpositionReader().read(EXPOSITION);
    expect(samples.map(({ metric, labels, value }) => ({ metric, labels, value }))).toEqual([
      { metric: "loom_request_duration_seconds_bucket", labels: { le: "0.1", destination: "a" }, value: 1 },
      { metric: "loom_request_duration_seconds_bucket", labels: { le: "+Inf", destination: "a" }, value: 2 },
      {
        metric: "loom_request_duration_seconds_bucket",
        labels: { le: "0.1", destination: 'b"c\\d } e' },
        value: 3,
      },
      { metric: "loom_requests_total", labels: { destination: "a", status_class: "5xx" }, value: 7 },
    ]);
  });

  it("reads the values of known series on later scrapes, and parses the new ones", () => {
    const reader = new ExpositionReader();
    const first = reader.read(EXPOSITION);
    const later = reader.read(
      `${EXPOSITION.replace("} 7", "} 9 1700000000000")}\nloom_requests_total{destination="c",status_class="2xx"} 1\n`,
    );
    expect(later.map((sample) => sample.value)).toEqual([1, 2, 3, 9, 1]);
    expect(later.map((sample) => sample.key).slice(0, 4)).toEqual(first.map((sample) => sample.key));
    expect(later.at(-1)?.labels).toEqual({ destination: "c", status_class: "2xx" });
  });

  it("throws on a body that is not the text format", () => {
    expect(() => new ExpositionReader().read('loom_requests_total{destination="a" 7')).toThrow();
  });
});
