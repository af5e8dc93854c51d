import { describe, expect, it } from "vitest";
import { rememberAcceptedTokens } from "../../src/otlp/accepted-tokens.ts";

describe("rememberAcceptedTokens", () => {
  it("checks an accepted token again only after the ttl, and a refused one every time", async () => {
    let clock = 0;
    const valid = new Set(["good"]);
    const checked: string[] = [];
    const authenticate = rememberAcceptedTokens(
      async (token) => {
        checked.push(token);
        return valid.has(token);
      },
      2_000,
      () => clock,
    );

    expect(await authenticate("good")).toBe(true);
    expect(await authenticate("bad")).toBe(false);
    valid.delete("good");
    clock = 1_999;
    expect(await authenticate("good")).toBe(true);
    expect(await authenticate("bad")).toBe(false);
    clock = 2_000;
    expect(await authenticate("good")).toBe(false);
    expect(checked).toEqual(["good", "bad", "bad", "good"]);
  });
});
