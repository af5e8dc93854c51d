import type { NextConfig } from "next";

const config: NextConfig = {
  // @loom/spec ships TypeScript sources (the same validation the control plane runs).
  transpilePackages: ["@loom/spec"],
  // `npm run typecheck` checks the console (scripts/typecheck.ts says why not next's own check of the
  // whole import graph); checking again here would add a minute to every build on two cores.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
