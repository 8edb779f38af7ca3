/**
 * `kratos-admin context list|show|use|add|remove`: the named contexts of the config file (see
 * Contexts). A context holds a URL and where its key comes from, never the key.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import * as Contexts from "../Contexts.js"
import { UsageError } from "../Errors.js"
import { Io } from "../Io.js"

const nameArg = Args.text({ name: "name" }).pipe(Args.withDescription("Context name"))
const file = () => Contexts.configPath(process.env)

const list = Command.make(
  "list",
  { quiet: Options.boolean("quiet").pipe(Options.withAlias("q"), Options.withDescription("Names only, one per line")) },
  ({ quiet }) =>
    Effect.gen(function*() {
      const io = yield* Io
      const config = yield* Contexts.load(file())
      const names = Object.keys(config.contexts).sort()
      if (quiet) return yield* names.length === 0 ? Effect.void : io.out(names.join("\n"))
      if (names.length === 0) return yield* io.err(`no contexts in ${file()}: add one with 'kratos-admin context add NAME --url URL --key-env VAR'`)
      const rows = names.map((n) => [config.current === n ? "*" : " ", n, config.contexts[n].url, Contexts.describeKey(config.contexts[n].key)])
      const widths = [1, ...[1, 2].map((i) => Math.max(i === 1 ? 4 : 3, ...rows.map((r) => r[i].length)))]
      const line = (r: ReadonlyArray<string>) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ").trimEnd()
      yield* io.out([line([" ", "NAME", "URL", "KEY"]), ...rows.map(line)].join("\n"))
    })
).pipe(Command.withDescription("The contexts of the config file (* marks the current one)"))

const show = Command.make("show", { name: nameArg.pipe(Args.optional) }, ({ name }) =>
  Effect.gen(function*() {
    const io = yield* Io
    const config = yield* Contexts.load(file())
    const chosen = Option.getOrElse(name, () => config.current ?? "")
    if (chosen === "") return yield* new UsageError({ message: "no current context: give a name, or 'kratos-admin context use NAME'" })
    const context = yield* Contexts.find(config, chosen, file())
    yield* io.out(
      [`name     ${chosen}${config.current === chosen ? " (current)" : ""}`, `url      ${context.url}`, `key      ${Contexts.describeKey(context.key)}`]
        .join("\n")
    )
  })).pipe(Command.withDescription("A context's URL and where its key comes from (the current one without a name)"))

const use = Command.make("use", { name: nameArg }, ({ name }) =>
  Effect.gen(function*() {
    const io = yield* Io
    const config = yield* Contexts.load(file())
    yield* Contexts.find(config, name, file())
    yield* Contexts.save(file(), { ...config, current: name })
    yield* io.out(`current context: ${name}`)
  })).pipe(Command.withDescription("Make a context the current one (used when no --url, --context or ORY_SDK_URL says otherwise)"))

const add = Command.make(
  "add",
  {
    name: nameArg,
    url: Options.text("url").pipe(Options.withDescription("Admin API base URL")),
    keyEnv: Options.text("key-env").pipe(Options.withDescription("Take the key from this environment variable"), Options.optional),
    keyFile: Options.file("key-file").pipe(Options.withDescription("Take the key from this file (must be mode 0600)"), Options.optional),
    keyCommand: Options.text("key-command").pipe(
      Options.withDescription("Take the key from this command's output (run with sh -c), e.g. 'pass show ory/prod'"),
      Options.optional
    ),
    use: Options.boolean("use").pipe(Options.withDescription("Also make it the current context")),
    force: Options.boolean("force").pipe(Options.withDescription("Replace a context of the same name"))
  },
  (flags) =>
    Effect.gen(function*() {
      const io = yield* Io
      if (!Contexts.contextName.test(flags.name)) {
        return yield* new UsageError({ message: `context name '${flags.name}': letters, digits, '.', '_' and '-' only` })
      }
      try {
        const u = new URL(flags.url)
        if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error()
        if (u.username !== "" || u.password !== "") {
          return yield* new UsageError({ message: "--url must not hold user info: give the key with --key-env, --key-file or --key-command" })
        }
      } catch {
        return yield* new UsageError({ message: `--url: not an http(s) URL` })
      }
      const sources: Array<Contexts.KeySource> = [
        ...Option.toArray(Option.map(flags.keyEnv, (env) => ({ env }))),
        ...Option.toArray(Option.map(flags.keyFile, (f) => ({ file: path.resolve(f) }))),
        ...Option.toArray(Option.map(flags.keyCommand, (command) => ({ command })))
      ]
      if (sources.length > 1) return yield* new UsageError({ message: "give one of --key-env, --key-file, --key-command" })
      const key: Contexts.KeySource | undefined = sources[0]
      if (key !== undefined && "env" in key && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key.env)) {
        return yield* new UsageError({ message: `--key-env takes a variable name, e.g. ORY_PROD_KEY (never the key itself)` })
      }
      if (key !== undefined && "file" in key) yield* Contexts.checkKeyFile(key.file)
      const config = yield* Contexts.load(file())
      if (config.contexts[flags.name] !== undefined && !flags.force) {
        return yield* new UsageError({ message: `context '${flags.name}' exists: pass --force to replace it` })
      }
      const next: Contexts.ConfigFile = {
        ...config,
        ...(flags.use ? { current: flags.name } : {}),
        contexts: { ...config.contexts, [flags.name]: { url: flags.url.replace(/\/+$/, ""), ...(key !== undefined ? { key } : {}) } }
      }
      yield* Contexts.save(file(), next)
      yield* io.out(`added context ${flags.name}${flags.use ? " (current)" : ""}`)
    })
).pipe(Command.withDescription("Add a context: a URL and where its key comes from (--key-env, --key-file or --key-command)"))

const remove = Command.make("remove", { name: nameArg }, ({ name }) =>
  Effect.gen(function*() {
    const io = yield* Io
    const config = yield* Contexts.load(file())
    yield* Contexts.find(config, name, file())
    const { [name]: _, ...rest } = config.contexts
    yield* Contexts.save(file(), { contexts: rest, ...(config.current !== undefined && config.current !== name ? { current: config.current } : {}) })
    yield* io.out(`removed context ${name}`)
  })).pipe(Command.withDescription("Remove a context"))

/** `context` */
export const context = Command.make("context").pipe(
  Command.withDescription("Named contexts (URL + where the key comes from) in $XDG_CONFIG_HOME/kratos-admin/config.json"),
  Command.withSubcommands([list, show, use, add, remove])
)
