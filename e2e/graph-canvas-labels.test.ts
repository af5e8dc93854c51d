import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { browserTestsRun, launchChromium } from "./support/chromium.ts";
import { consolePage } from "./support/console-page.ts";
import { CONSOLE_DIR } from "./support/paths.ts";

interface Drawn {
  emptyLabelPortions: number;
  /** Each of cytoscape's canvas layers, as a PNG data URL. */
  pixels: string[];
}

describe.runIf(browserTestsRun)("the graph's canvas skips the labels of unlabelled elements", () => {
  let browser: Browser;
  let result: { shipped: Drawn; skipping: Drawn; blank: string };

  beforeAll(async () => {
    const url = await consolePage(path.join(CONSOLE_DIR, "tests/pages/empty-labels.tsx"), "");
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    const handle = await page.waitForFunction(() => (globalThis as { labelsResult?: unknown }).labelsResult);
    result = (await handle.jsonValue()) as typeof result;
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  test("cytoscape as shipped draws label textures for elements without a label; with skipEmptyLabels it does not", () => {
    // Fails if a cytoscape upgrade renamed what skipEmptyLabels wraps: it would then skip nothing.
    expect(result.shipped.emptyLabelPortions).toBeGreaterThan(0);
    expect(result.skipping.emptyLabelPortions).toBe(0);
  });

  test("the picture is the same to the pixel, labels included", () => {
    expect(result.skipping.pixels.length).toBe(result.shipped.pixels.length);
    expect(result.skipping.pixels).toEqual(result.shipped.pixels);
    // Something was drawn (the labelled node and edge among it), so the comparison compares pictures.
    expect(result.shipped.pixels.some((layer) => layer !== result.blank)).toBe(true);
  });
});
