/**
 * Named contexts: `$XDG_CONFIG_HOME/kratos-admin/config.json` (default `~/.config/...`) holds, per
 * name, a URL and where its API key comes from — an environment variable, a file readable by its
 * owner only, or a command printing the key (as kubectl's exec credentials) — never the key
 * itself. Which target a run uses:
 *
 * 1. `--url` (key: `--api-key`, else `ORY_API_KEY` / `ORY_PROJECT_API_KEY`);
 * 2. `--context NAME` (key: `--api-key`, else the context's);
 * 3. `ORY_SDK_URL` / `KRATOS_ADMIN_URL` (key as in 1);
 * 4. `KRATOS_ADMIN_CONTEXT`, else the file's current context (key: `--api-key`, else the key
 *    variables of 1, else the context's).
 *
 * A context's key is only ever sent to that context's URL; every problem is a `UsageError`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { formatParseError } from "../src/internal/parseIssues.js"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { configuredApiKey, configuredUrl, type Target } from "./Config.js"
import { UsageError } from "./Errors.js"

/** Where a context's key comes from. */
export const KeySource = Schema.Union(
  Schema.Struct({ env: Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/)) }),
  Schema.Struct({ file: Schema.String.pipe(Schema.minLength(1)) }),
  Schema.Struct({ command: Schema.String.pipe(Schema.minLength(1)) })
)
export type KeySource = typeof KeySource.Type

export const contextName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export const Context = Schema.Struct({
  url: Schema.String,
  key: Schema.optional(KeySource)
})
export type Context = typeof Context.Type

export const ConfigFile = Schema.Struct({
  current: Schema.optional(Schema.String),
  contexts: Schema.Record({ key: Schema.String, value: Context })
})
export type ConfigFile = typeof ConfigFile.Type

export const empty: ConfigFile = { contexts: {} }

/** The config file: `$XDG_CONFIG_HOME/kratos-admin/config.json`, else `~/.config/kratos-admin/config.json`. */
export const configPath = (env: NodeJS.ProcessEnv = process.env): string => {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== "" ? env.XDG_CONFIG_HOME : path.join(os.homedir(), ".config")
  return path.join(base, "kratos-admin", "config.json")
}

const usage = (message: string) => new UsageError({ message })

/** Something in the file shaped like a key: refused, the file must never hold one. */
const keyShaped = /\bory_(?:pat|apikey|at|ak|st|rt)_[A-Za-z0-9]/

/** Reads the config file; a missing file is an empty one. */
export const load = (file: string): Effect.Effect<ConfigFile, UsageError> =>
  Effect.gen(function*() {
    let text: string
    try {
      text = fs.readFileSync(file, "utf8")
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return empty
      return yield* usage(`cannot read ${file}: ${(e as Error).message}`)
    }
    if (keyShaped.test(text)) {
      return yield* usage(`${file} holds an API key: a context names where its key comes from (key.env, key.file or key.command), never the key itself. Remove it`)
    }
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (e) => usage(`${file} is not valid JSON: ${(e as Error).message}`)
    })
    return yield* Schema.decodeUnknown(ConfigFile, { onExcessProperty: "error" })(json).pipe(
      Effect.mapError((e) =>
        usage(
          `${file}: ${
            formatParseError(e)
          } (a context is {"url": ..., "key": {"env": VAR} | {"file": PATH} | {"command": CMD}})`
        )
      )
    )
  })

/** Writes the config file (0600, replaced atomically, its directory made 0700). */
export const save = (file: string, config: ConfigFile): Effect.Effect<void, UsageError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
      const tmp = `${file}.${process.pid}.tmp`
      fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 })
      fs.renameSync(tmp, file)
    },
    catch: (e) => usage(`cannot write ${file}: ${(e as Error).message}`)
  })

/** A context by name, or a usage error listing the known ones. */
export const find = (config: ConfigFile, name: string, file: string): Effect.Effect<Context, UsageError> => {
  const found = Object.prototype.hasOwnProperty.call(config.contexts, name) ? config.contexts[name] : undefined
  if (found !== undefined) return Effect.succeed(found)
  const known = Object.keys(config.contexts)
  return Effect.fail(
    usage(
      `unknown context '${name}' (${known.length === 0 ? `no contexts in ${file}: add one with 'kratos-admin context add'` : `known: ${known.join(", ")}`})`
    )
  )
}

/** A key file is refused unless it is a regular file of this user that nobody else can read. */
export const checkKeyFile = (file: string): Effect.Effect<void, UsageError> =>
  Effect.suspend(() => {
    let st: fs.Stats
    try {
      st = fs.statSync(file)
    } catch (e) {
      return Effect.fail(usage(`key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`))
    }
    if (!st.isFile()) return Effect.fail(usage(`key file ${file} is not a regular file`))
    if ((st.mode & 0o077) !== 0) {
      return Effect.fail(
        usage(`key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}): run chmod 600 ${file}`)
      )
    }
    if (typeof process.getuid === "function" && st.uid !== process.getuid()) {
      return Effect.fail(usage(`key file ${file} belongs to another user`))
    }
    return Effect.void
  })

/**
 * Runs a key command (`sh -c`), its stdout the key; stdin closed, 30 s at most. `child_process` is
 * loaded here, when a key command runs, not at every start-up (it loads `dgram` and more with it).
 */
const runKeyCommand = (command: string): Effect.Effect<string, string> =>
  Effect.flatMap(Effect.promise(() => import("node:child_process")), ({ execFile }) => keyCommand(execFile, command))

const keyCommand = (execFile: typeof import("node:child_process").execFile, command: string): Effect.Effect<string, string> =>
  Effect.async<string, string>((resume) => {
    const child = execFile("/bin/sh", ["-c", command], { timeout: 30_000, maxBuffer: 64 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) return resume(Effect.succeed(stdout))
      const last = stderr.trim().split("\n").pop()?.slice(0, 200)
      const why = (error as { killed?: boolean }).killed
        ? "did not finish within 30 s"
        : typeof error.code === "number"
        ? `exited with ${error.code}`
        : error.message
      resume(Effect.fail(`${why}${last ? `: ${last}` : ""}`))
    })
    child.stdin?.end()
    return Effect.sync(() => void child.kill())
  })

/** Where a key comes from, for people (never the key). */
export const describeKey = (key: KeySource | undefined): string =>
  key === undefined ? "none" : "env" in key ? `env ${key.env}` : "file" in key ? `file ${key.file}` : `command ${key.command}`

/** The key of a context, fetched from its source. */
export const resolveKey = (
  name: string,
  key: KeySource | undefined,
  env: NodeJS.ProcessEnv = process.env
): Effect.Effect<Redacted.Redacted<string> | undefined, UsageError> =>
  Effect.gen(function*() {
    if (key === undefined) return undefined
    const where = `context '${name}'`
    let value: string
    if ("env" in key) {
      value = env[key.env] ?? ""
      if (value.trim() === "") return yield* usage(`${where}: its key variable ${key.env} is not set`)
    } else if ("file" in key) {
      yield* Effect.mapError(checkKeyFile(key.file), (e) => usage(`${where}: ${e.message}`))
      value = yield* Effect.try({
        try: () => fs.readFileSync(key.file, "utf8"),
        catch: (e) => usage(`${where}: cannot read key file ${key.file}: ${(e as Error).message}`)
      })
    } else {
      value = yield* Effect.mapError(runKeyCommand(key.command), (why) => usage(`${where}: its key command ${why}`))
    }
    const trimmed = value.trim()
    if (trimmed === "") return yield* usage(`${where}: its key ${"env" in key ? "variable" : "file" in key ? "file" : "command"} gave an empty key`)
    return Redacted.make(trimmed)
  })

/** The target of a context (its key fetched). */
export const targetOf = (
  name: string,
  context: Context,
  apiKey: Option.Option<Redacted.Redacted<string>>,
  env: NodeJS.ProcessEnv = process.env
): Effect.Effect<Target, UsageError> =>
  Effect.map(
    Option.isSome(apiKey) ? Effect.succeed(apiKey.value) : resolveKey(name, context.key, env),
    (key) => ({ url: context.url.replace(/\/+$/, ""), apiKey: key, kind: "remote" as const, context: name })
  )

/** The flags that choose a target. */
export interface Selection {
  readonly url?: string | undefined
  readonly apiKey?: string | undefined
  readonly context?: string | undefined
}

/** The target of a run (see the module's comment for the order), if any is configured. */
export const resolveTarget = (
  flags: Selection,
  env: NodeJS.ProcessEnv = process.env
): Effect.Effect<Option.Option<Target>, UsageError> =>
  Effect.gen(function*() {
    const flagKey = configuredApiKey(flags.apiKey, {})
    if (flags.url !== undefined && flags.url.trim() !== "") {
      if (flags.context !== undefined) return yield* usage("--context and --url both say where to connect: give one")
      return Option.some({ url: flags.url.trim().replace(/\/+$/, ""), apiKey: Option.getOrUndefined(configuredApiKey(flags.apiKey, env)), kind: "remote" as const })
    }
    const file = configPath(env)
    if (flags.context !== undefined) {
      const config = yield* load(file)
      return Option.some(yield* targetOf(flags.context, yield* find(config, flags.context, file), flagKey, env))
    }
    const envUrl = configuredUrl(undefined, env)
    if (Option.isSome(envUrl)) {
      return Option.some({ url: envUrl.value, apiKey: Option.getOrUndefined(configuredApiKey(flags.apiKey, env)), kind: "remote" as const })
    }
    const chosen = env.KRATOS_ADMIN_CONTEXT !== undefined && env.KRATOS_ADMIN_CONTEXT.trim() !== ""
      ? env.KRATOS_ADMIN_CONTEXT.trim()
      : undefined
    const config = yield* load(file)
    const name = chosen ?? config.current
    if (name === undefined) return Option.none()
    const context = yield* find(config, name, file).pipe(
      Effect.mapError((e) => usage(`${chosen !== undefined ? "KRATOS_ADMIN_CONTEXT" : `the current context of ${file}`}: ${e.message}`))
    )
    return Option.some(yield* targetOf(name, context, configuredApiKey(flags.apiKey, env), env))
  })
