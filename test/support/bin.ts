/**
 * Where the end-to-end tests find the `kratos-admin` users run: the built binary the tarball
 * ships (`bin` in package.json), not the sources. `test/support/build.ts` builds it before the
 * tests when it is missing or older than a source. Every test that spawns the CLI takes its path
 * from here.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** The binary that `npm install effect-kratos` puts on a user's PATH. */
export const binPath = path.join(root, "dist/bin/kratos-admin.js")
