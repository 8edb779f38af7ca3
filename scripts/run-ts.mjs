#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, scripts) the way `kratos-admin` runs the CLI: compiled
// by esbuild into a cached module, or through tsx. A fresh clone needs no build step.
import { run } from "./compile-ts.mjs"

const [entry, ...rest] = process.argv.slice(2)
process.argv = [process.argv[0], entry, ...rest]
await run(entry)
