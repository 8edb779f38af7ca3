// Node built-in modules the CLI's bundle loads on their first use instead of at start-up.
//
// esbuild turns each `import … from "node:crypto"` into a `require` run when its importer's module
// is evaluated, and the bundle evaluates far more modules than a command calls into: `node:crypto`
// (for the file system's temporary names), `node:assert` (undici's sanity checks), `node:readline`
// and `node:dns/promises` were loaded, compiled from Node's own sources, by every one-shot command
// that used none of them. Each is replaced by a stand-in whose properties, the module's own, read
// through to the module, which is required on the first read: the same values, loaded later.
// `node:assert`'s export is a function: its stand-in calls through to it.
//
// The property names are the build's Node's: a name a later Node adds is not on the stand-in (the
// CLI uses none it would have to); a name a later Node removes reads as undefined, as it would.
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** The built-ins made lazy, by the name the CLI's sources and dependencies import them by. */
export const lazyBuiltins = ["node:assert", "node:crypto", "node:dns/promises", "node:readline"]

/** The stand-in module's source (CommonJS) for a built-in. */
export const lazyBuiltinSource = (name) => {
  const real = require(name)
  const keys = Object.keys(real).filter((k) => k !== "default" && k !== "__esModule")
  // a truthy first argument passes `assert` (and `assert.ok`) without a word: the stand-in
  // returns as it would, without loading it (undici asserts on every request)
  if (typeof real === "function" && name !== "node:assert") throw new Error(`${name}: a callable built-in other than assert`)
  // (its message for a falsy value without one quotes the call's source, which is then this
  // stand-in's rather than undici's: undici's asserts are checks of its own state that do not fail)
  const head = name === "node:assert"
    ? `var stand = function (value) { if (arguments.length > 0 && value) return; return load().apply(this, arguments) }\n`
    : `var stand = {}\n`
  return `"use strict"
var loaded
var load = function () { return loaded === undefined ? (loaded = require(${JSON.stringify(name)})) : loaded }
${head}var names = ${JSON.stringify(keys)}
for (var i = 0; i < names.length; i++) (function (k) {
  Object.defineProperty(stand, k, { enumerable: true, configurable: true, get: function () { return load()[k] } })
})(names[i])
module.exports = stand
`
}

/** The esbuild plugin: the built-ins above resolve to their stand-ins, which require the real ones. */
export const lazyBuiltinsPlugin = {
  name: "lazy-builtins",
  setup(build) {
    const filter = new RegExp(`^(node:)?(${lazyBuiltins.map((n) => n.slice(5).replace("/", "\\/")).join("|")})$`)
    build.onResolve({ filter }, (args) => {
      const name = args.path.startsWith("node:") ? args.path : `node:${args.path}`
      return args.namespace === "lazy-builtin"
        ? { path: name, external: true }
        : { path: name, namespace: "lazy-builtin" }
    })
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: lazyBuiltinSource(args.path),
      loader: "js"
    }))
  }
}
