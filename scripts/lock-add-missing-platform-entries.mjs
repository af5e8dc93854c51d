// Adds lockfile entries for @biomejs/biome's platform binaries that the registry mirror here does not
// serve (404), so `npm ci` finds the lock in sync. They never install on linux-x64-glibc.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const lock = JSON.parse(readFileSync(file, "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
const platforms = {
  "cli-android-arm64": { os: ["android"], cpu: ["arm64"] },
  "cli-android-x64": { os: ["android"], cpu: ["x64"] },
  "cli-darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "cli-darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "cli-linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "cli-linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "cli-win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "cli-win32-x64": { os: ["win32"], cpu: ["x64"] },
};
const packages = {};
for (const [key, value] of Object.entries(lock.packages)) {
  packages[key] = value;
  if (key === "node_modules/@biomejs/biome") {
    for (const [name, platform] of Object.entries(platforms)) {
      const path = `node_modules/@biomejs/${name}`;
      if (lock.packages[path]) continue;
      packages[path] = {
        version: biome.version,
        cpu: platform.cpu,
        dev: true,
        ...(platform.libc ? { libc: platform.libc } : {}),
        license: "MIT OR Apache-2.0",
        optional: true,
        os: platform.os,
        engines: { node: ">=14.21.3" },
      };
    }
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
