#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx registers its loader in this process for the imports that follow.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
