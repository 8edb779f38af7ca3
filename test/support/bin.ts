/**
 * Where the end-to-end tests find the `kratos-admin` users run. Every test that spawns the CLI
 * takes its path from here, so the suites follow the package when its binary changes.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** The binary that `npm install effect-kratos` puts on a user's PATH. */
export const binPath = path.join(root, "bin/kratos-admin.js")
