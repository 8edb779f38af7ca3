/**
 * `npm run bench`: runs every benchmark of the project, one child process each, so their memory
 * and CPU numbers do not bleed into each other. Pass names to run some: `npm run bench -- client`.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const all = ["startup", "sandbox", "client", "import", "export"]
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"))
const names = wanted.length > 0 ? wanted : all
let failed = 0
for (const name of names) {
  const file = `bench/${name}.ts`
  if (!existsSync(file)) {
    console.log(`\n## ${name}: no ${file}`)
    continue
  }
  console.log(`\n## ${name}`)
  const r = spawnSync(process.execPath, ["--expose-gc", "scripts/run-ts.mjs", file], { stdio: "inherit" })
  if (r.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
