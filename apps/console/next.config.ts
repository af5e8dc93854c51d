import type { NextConfig } from "next";

const config: NextConfig = {
  // The e2e suite builds into a directory of its own (.next-e2e), so a build for tests never replaces the files
  // of a console the demo is serving from .next.
  distDir: process.env.LOOM_CONSOLE_DIST_DIR || ".next",
  // @loom/spec ships TypeScript sources (the same validation the control plane runs).
  transpilePackages: ["@loom/spec"],
  // `npm run typecheck` checks the console (scripts/typecheck.ts says why not next's own check of the
  // whole import graph); checking again here would add a minute to every build on two cores.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
