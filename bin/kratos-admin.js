#!/usr/bin/env node
// The `kratos-admin` binary: loads the TypeScript CLI through tsx (no build step needed).
import { register } from "tsx/esm/api"

register()
await import(new URL("../repl/main.ts", import.meta.url).href)
