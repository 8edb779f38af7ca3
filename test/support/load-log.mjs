// Preloaded with `node --import`: appends the URL of every module the process loads to the file
// named by LOAD_LOG (the load hooks run on their own thread, so it writes synchronously).
import { register } from "node:module"

register(new URL("./load-log-hooks.mjs", import.meta.url), { data: process.env.LOAD_LOG })
