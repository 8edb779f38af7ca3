// Compiles a TypeScript entry point of this package and its dependencies into one ES module with
// esbuild, cached in node_modules/.cache/effect-kratos and rebuilt when one of its
// source files changes. Running the compiled module instead of loading the sources through tsx
// saves the loader thread and transform cache (about 100 MB of RSS for the CLI) and tsx's
// `keepNames` wrappers on every function.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const cacheDir = join(root, "node_modules", ".cache", "effect-kratos")

const stamp = (file) => {
  try {
    const s = statSync(join(root, file))
    return `${s.size}:${s.mtimeMs}`
  } catch {
    return "missing"
  }
}

const fresh = (manifest) => {
  if (!existsSync(manifest)) return false
  try {
    const inputs = JSON.parse(readFileSync(manifest, "utf8"))
    return Object.entries(inputs).every(([file, value]) => stamp(file) === value)
  } catch {
    return false
  }
}

/** The compiled module of `entry` (a path), or `undefined` when esbuild cannot build it. */
export const compiled = async (entry) => {
  const source = resolve(entry)
  const name = relative(root, source).replace(/[\\/]/g, "__").replace(/\.ts$/, "") + ".mjs"
  const out = join(cacheDir, name)
  const manifest = `${out}.inputs.json`
  if (existsSync(out) && fresh(manifest)) return out
  try {
    const esbuild = await import("esbuild")
    mkdirSync(cacheDir, { recursive: true })
    const temp = `${out}.${process.pid}.tmp`
    const result = await esbuild.build({
      // metafile paths relative to the package whatever the caller's directory, as `stamp` reads them
      absWorkingDir: root,
      entryPoints: [source],
      outfile: temp,
      bundle: true,
      // dependencies are bundled too (tree-shaken: a third less memory than loading each module
      // file), except native and tooling packages
      external: ["@node-rs/bcrypt", "esbuild", "tsx", "vitest", "@effect/vitest"],
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      platform: "node",
      format: "esm",
      target: "node20",
      metafile: true,
      logLevel: "silent",
      // the entry's own location, for scripts that find files next to themselves
      define: {
        "import.meta.url": JSON.stringify(pathToFileURL(source).href),
        "import.meta.dirname": JSON.stringify(dirname(source)),
        "import.meta.filename": JSON.stringify(source)
      }
    })
    // node_modules inputs are covered by the lockfile; this file by itself (its options)
    const files = Object.keys(result.metafile.inputs).filter((file) => !file.includes("node_modules"))
    const inputs = Object.fromEntries(
      [...files, "package-lock.json", relative(root, fileURLToPath(import.meta.url))].map((file) => [file, stamp(file)])
    )
    // concurrent builds each write their own file; the renames are atomic
    renameSync(temp, out)
    writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify(inputs))
    renameSync(`${manifest}.${process.pid}.tmp`, manifest)
    return out
  } catch {
    return undefined
  }
}

/** Runs `entry`: compiled when possible, else through tsx. */
export const run = async (entry) => {
  const file = await compiled(entry)
  if (file !== undefined) return import(pathToFileURL(file).href)
  const { register } = await import("tsx/esm/api")
  register()
  return import(pathToFileURL(resolve(entry)).href)
}
