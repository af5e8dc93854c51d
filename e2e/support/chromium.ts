import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { SCREENSHOT_DIR } from "./paths.ts";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Debian's Chromium, never a downloaded browser. Outside CI a machine without it skips the browser tests;
 * in CI (CI=true) they run and fail, so a missing browser cannot pass for a green run.
 */
export const browserTestsRun = existsSync(CHROMIUM_PATH) || process.env.CI === "true";

/** Each launch gets a fresh temporary profile (playwright's own --user-data-dir), so no state leaks between runs. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} is missing: install it with "apt-get install -y chromium"`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Written as test artifacts, one per page state worth looking at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Signs in through the form, as an operator does. */
export async function signIn(page: Page, baseUrl: string, user: { username: string; password: string }) {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("current-user").waitFor();
}
