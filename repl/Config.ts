/**
 * Where to connect: `--url` / `--api-key` over `ORY_SDK_URL` / `ORY_API_KEY` (fallbacks
 * `KRATOS_ADMIN_URL`, `ORY_PROJECT_API_KEY`). The key stays `Redacted` from here on.
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as os from "node:os"
import * as path from "node:path"

/** A server to talk to. */
export interface Target {
  readonly url: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** `sandbox` when it is the embedded sandbox. */
  readonly kind: "remote" | "sandbox"
  /** The context it came from (see Contexts), named by the prompt. */
  readonly context?: string | undefined
}

/** Flags the shell entry point takes anywhere on the command line, before the command tree sees it. */
export interface GlobalFlags {
  readonly url?: string | undefined
  readonly apiKey?: string | undefined
  readonly context?: string | undefined
  /** `--timeout`: per attempt, until the response headers arrive. */
  readonly timeout?: string | undefined
  /** `--deadline`: the whole call, retries included. */
  readonly deadline?: string | undefined
  /** `--debug`: every HTTP exchange on stderr. */
  readonly debug?: boolean | undefined
  readonly rest: ReadonlyArray<string>
}

/** The global flags as help pages list them. */
export const globalFlagHelp: ReadonlyArray<readonly [string, string]> = [
  ["    --url URL", "Admin API base URL (else ORY_SDK_URL, KRATOS_ADMIN_URL)"],
  ["    --api-key KEY", "API key (else ORY_API_KEY, ORY_PROJECT_API_KEY); never printed"],
  ["    --timeout DURATION", "Per attempt, until the response headers arrive (default 30s)"],
  ["    --deadline DURATION", "The whole call, retries included (default 2m)"],
  ["    --debug", "Every HTTP exchange on stderr (the Authorization value redacted)"],
  ["-h, --help", "This page; also: kratos-admin help <command>"]
]

/** The global flags that take a value, and those that do not. */
export const globalValueFlags: ReadonlyArray<string> = ["url", "api-key", "context", "timeout", "deadline"]
export const globalBooleanFlags: ReadonlyArray<string> = ["debug"]

/**
 * Pulls `--url U`, `--url=U`, `--api-key K`, `--api-key=K` out of argv (they are global: valid
 * before or after the subcommand). A flag given twice keeps the last value. A flag that the
 * command itself takes (`sandbox --api-key K`: the key the sandbox requires) is left to the
 * command: `owns` says which, given the command words before the flag.
 */
export const extractGlobalFlags = (
  argv: ReadonlyArray<string>,
  names: ReadonlyArray<string> = [...globalValueFlags, ...globalBooleanFlags],
  owns: (commandWords: ReadonlyArray<string>, flag: string) => boolean = () => false
): GlobalFlags => {
  const found: Record<string, string> = {}
  const switches = new Set<string>()
  const rest: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === "--") {
      rest.push(...argv.slice(i))
      break
    }
    const name = names.find((n) => a === `--${n}` || a.startsWith(`--${n}=`))
    if (name === undefined || owns(rest.filter((t) => !t.startsWith("-")), `--${name}`)) {
      rest.push(a)
      continue
    }
    if (globalBooleanFlags.includes(name)) switches.add(name)
    else if (a.includes("=")) found[name] = a.slice(a.indexOf("=") + 1)
    else if (i + 1 < argv.length) found[name] = argv[++i]
    else found[name] = ""
  }
  return {
    url: found["url"],
    apiKey: found["api-key"],
    context: found["context"],
    timeout: found["timeout"],
    deadline: found["deadline"],
    debug: switches.has("debug"),
    rest
  }
}

/**
 * A duration flag: `30s`, `500ms`, `2m`, `1h`, or a number of seconds. `undefined` when it is not
 * one (the caller names the flag in its usage error).
 */
export const parseDuration = (text: string): Duration.Duration | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  const millis = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000
  return millis > 0 ? Duration.millis(millis) : undefined
}

const nonEmpty = (s: string | undefined): Option.Option<string> =>
  s !== undefined && s.trim() !== "" ? Option.some(s.trim()) : Option.none()

/** The configured server URL: flag, then `ORY_SDK_URL`, then `KRATOS_ADMIN_URL`. */
export const configuredUrl = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Option.Option<string> =>
  nonEmpty(flag).pipe(
    Option.orElse(() => nonEmpty(env.ORY_SDK_URL)),
    Option.orElse(() => nonEmpty(env.KRATOS_ADMIN_URL)),
    Option.map((u) => u.replace(/\/+$/, ""))
  )

/** The configured API key: flag, then `ORY_API_KEY`, then `ORY_PROJECT_API_KEY`. */
export const configuredApiKey = (
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): Option.Option<Redacted.Redacted<string>> =>
  nonEmpty(flag).pipe(
    Option.orElse(() => nonEmpty(env.ORY_API_KEY)),
    Option.orElse(() => nonEmpty(env.ORY_PROJECT_API_KEY)),
    Option.map(Redacted.make)
  )

/** The remote target from flags and environment, if any URL is configured. */
export const resolveTarget = (
  flags: { readonly url?: string | undefined; readonly apiKey?: string | undefined },
  env: NodeJS.ProcessEnv = process.env
): Option.Option<Target> =>
  Option.map(configuredUrl(flags.url, env), (url) => ({
    url,
    apiKey: Option.getOrUndefined(configuredApiKey(flags.apiKey, env)),
    kind: "remote" as const
  }))

/** What the prompt shows: `sandbox`, or the host (and port) of the URL. */
export const targetLabel = (target: Target | undefined): string => {
  if (target === undefined) return "disconnected"
  if (target.kind === "sandbox") return "sandbox"
  if (target.context !== undefined) return target.context
  try {
    return new URL(target.url).host
  } catch {
    return target.url
  }
}

/** The history file: `KRATOS_ADMIN_HISTORY`, else `$XDG_STATE_HOME/kratos-admin/history`, else `~/.local/state/...`. */
export const historyPath = (env: NodeJS.ProcessEnv = process.env): string => {
  if (env.KRATOS_ADMIN_HISTORY) return env.KRATOS_ADMIN_HISTORY
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.trim() !== ""
    ? env.XDG_STATE_HOME
    : path.join(os.homedir(), ".local", "state")
  return path.join(state, "kratos-admin", "history")
}
