// Start-up costs inside dependencies of the CLI's bundle, removed by rewriting their source as
// esbuild reads it (the library build, dist/*.js, is untouched: it bundles none of them). Each
// patch replaces one exact passage; the build fails when a dependency's update changed it, so a
// patch is never dropped unnoticed. test/foundation/dependencyPatches.test.ts checks that each
// applies, and that the patched code does what the original does.

/** The patches: the file (a path under node_modules), the passage, its replacement, and why. */
export const patches = [
  {
    // Effect asks, when it loads, whether a stack trace shows the frame of a function called
    // once: `new Error().stack`, the first stack trace of the process, for which V8 indexes the
    // line ends of the whole bundle. On V8 the answer is always yes (a function run once is never
    // inlined away), which is what this writes.
    file: "effect/dist/esm/Utils.js",
    find: `const isNotOptimizedAway = /*#__PURE__*/standard.effect_internal_function(() => new Error().stack)?.includes("effect_internal_function") === true;`,
    replace: `const isNotOptimizedAway = true;`
  },
  {
    // Effect's clock reads the global \`performance\` when it loads, which makes Node load
    // perf_hooks, though on Node it measures with \`process.hrtime\` and never calls this
    // function. The test for \`performance\` moves into the function's first call.
    file: "effect/dist/esm/internal/clock.js",
    find: `const performanceNowNanos = /*#__PURE__*/function () {
  const bigint1e6 = /*#__PURE__*/BigInt(1_000_000);
  if (typeof performance === "undefined" || typeof performance.now !== "function") {
    return () => BigInt(Date.now()) * bigint1e6;
  }
  let origin;
  return () => {
    if (origin === undefined) {`,
    replace: `const performanceNowNanos = /*#__PURE__*/function () {
  const bigint1e6 = /*#__PURE__*/BigInt(1_000_000);
  let origin;
  return () => {
    if (typeof performance === "undefined" || typeof performance.now !== "function") {
      return BigInt(Date.now()) * bigint1e6;
    }
    if (origin === undefined) {`
  },
  {
    // ... and the clock's origin, read once when Effect loads, came from that function: the wall
    // clock in nanoseconds, as \`Date.now()\` gives it plus the microseconds \`performance.now()\`
    // advanced between its two reads in a row. \`Date.now()\` alone is the same time, to well
    // under its own millisecond.
    file: "effect/dist/esm/internal/clock.js",
    find: `  const origin = /*#__PURE__*/performanceNowNanos() - /*#__PURE__*/processHrtime.bigint();`,
    replace: `  const origin = /*#__PURE__*/BigInt(Date.now()) * /*#__PURE__*/BigInt(1_000_000) - /*#__PURE__*/processHrtime.bigint();`
  },
  {
    // @effect/cli builds a command's whole help text and usage for each command on the command
    // line as it parses it, in case \`--help\` is among the arguments. Built here only when it is.
    file: "@effect/cli/dist/esm/internal/commandDescriptor.js",
    find: `              const help = getHelpInternal(self, config);
              const usage = getUsageInternal(self);
              const options = InternalBuiltInOptions.builtInOptions(self, usage, help);`,
    replace: `              const options = InternalOptions.map(InternalBuiltInOptions.builtInOptions(self, undefined, undefined), builtIn => Option.isSome(builtIn) && InternalBuiltInOptions.isShowHelp(builtIn.value) ? Option.some(InternalBuiltInOptions.showHelp(getUsageInternal(self), getHelpInternal(self, config))) : builtIn);`
  }
]

/** The source of `file` (under node_modules) with its patches applied; throws when one does not apply. */
export const applyPatches = (file, source) => {
  let out = source
  for (const patch of patches) {
    if (!file.endsWith(`/node_modules/${patch.file}`)) continue
    const at = out.indexOf(patch.find)
    if (at === -1 || out.indexOf(patch.find, at + 1) !== -1) {
      throw new Error(`scripts/dependency-patches.mjs: ${patch.file} does not contain its patched passage exactly once (has the dependency changed?)`)
    }
    out = out.slice(0, at) + patch.replace + out.slice(at + patch.find.length)
  }
  return out
}

/** The esbuild plugin. */
export const dependencyPatchesPlugin = {
  name: "dependency-patches",
  setup(build) {
    const escaped = patches.map((p) => p.file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
    build.onLoad({ filter: new RegExp(`/node_modules/(${escaped.join("|")})$`) }, async (args) => {
      const { readFile } = await import("node:fs/promises")
      return { contents: applyPatches(args.path, await readFile(args.path, "utf8")), loader: "js" }
    })
  }
}
