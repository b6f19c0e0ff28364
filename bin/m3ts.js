#!/usr/bin/env node
// The `m3ts` command: runs the compiled CLI (see src/cli).
import { main } from "../dist/src/cli/index.js";

process.exitCode = await main(process.argv.slice(2));
