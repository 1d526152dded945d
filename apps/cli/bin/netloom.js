#!/usr/bin/env node
// Runs the TypeScript source through tsx, resolved from this package, whatever the cwd.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
