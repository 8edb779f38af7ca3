#!/usr/bin/env node
// The `kratos-admin` binary: runs the TypeScript CLI compiled once by esbuild (cached, rebuilt when
// a source changes), or through tsx when it cannot be compiled. No build step is needed.
import { fileURLToPath } from "node:url"
import { run } from "./compile.js"

await run(fileURLToPath(new URL("../repl/main.ts", import.meta.url)))
