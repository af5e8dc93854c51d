#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx registers its loader in this process (no child process, so
// signals reach the control plane itself) for the imports that follow.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
