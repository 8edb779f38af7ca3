/**
 * Checks the sandbox's options before they are used: a probability above 1, a negative duration
 * or a bcrypt cost bcrypt refuses would otherwise be clamped or fail much later, far from the
 * option that caused it.
 */
import * as Duration from "effect/Duration"
import type { SandboxOptions } from "../../Sandbox.js"

const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n)

const show = (v: unknown): string => {
  if (typeof v === "string") return JSON.stringify(v)
  if (typeof v === "bigint") return `${v}n`
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v)
  return Duration.isDuration(v) ? Duration.format(v) : typeof v
}

/** Milliseconds of a duration input, or a problem (negative, unreadable). */
const durationMs = (input: unknown): number | string => {
  if (typeof input === "number" && input < 0) return "must not be negative"
  if (typeof input === "bigint" && input < 0n) return "must not be negative"
  if (typeof input === "string" && /^\s*-/.test(input)) return "must not be negative"
  if (typeof input === "number" && Number.isNaN(input)) return "must be a duration"
  try {
    return Duration.toMillis(Duration.decode(input as Duration.DurationInput))
  } catch {
    return "must be a duration such as \"500 millis\" or \"2 seconds\""
  }
}

/** The problems of a set of options (empty when they are usable), each naming its option. @internal */
export const optionProblems = (
  o: Partial<SandboxOptions> & { readonly port?: number | undefined }
): ReadonlyArray<string> => {
  const out: Array<string> = []
  const bad = (name: string, value: unknown, rule: string) => out.push(`${name} ${rule} (got ${show(value)})`)
  if (o.port !== undefined && !(isInt(o.port) && o.port >= 0 && o.port <= 65535)) bad("port", o.port, "must be an integer from 0 to 65535")
  if (o.hashCost !== undefined && !(isInt(o.hashCost) && o.hashCost >= 4 && o.hashCost <= 31)) {
    bad("hashCost", o.hashCost, "must be a bcrypt cost, an integer from 4 to 31")
  }
  if (o.maxBodyBytes !== undefined && !(isInt(o.maxBodyBytes) && o.maxBodyBytes > 0)) {
    bad("maxBodyBytes", o.maxBodyBytes, "must be a positive integer")
  }
  if (o.publicUrl !== undefined && !URL.canParse(o.publicUrl)) bad("publicUrl", o.publicUrl, "must be an absolute URL")
  const f = o.faults
  if (f !== undefined) {
    if (f.rate !== undefined && !(typeof f.rate === "number" && f.rate >= 0 && f.rate <= 1)) {
      bad("faults.rate", f.rate, "must be a probability from 0 to 1")
    }
    if (f.seed !== undefined && !isInt(f.seed)) bad("faults.seed", f.seed, "must be an integer")
    for (const s of f.statuses ?? []) {
      if (!(isInt(s) && s >= 400 && s <= 599)) bad("faults.statuses", s, "must hold HTTP error statuses (400 to 599)")
    }
  }
  for (const [name, value, positive] of [["gatewayTimeout", o.gatewayTimeout, true], ["latency", o.latency, false]] as const) {
    if (value === undefined) continue
    const ms = durationMs(value)
    if (typeof ms === "string") bad(name, value, ms)
    else if (positive && ms <= 0) bad(name, value, "must be longer than zero")
  }
  for (const [bucket, config] of Object.entries(o.rateLimit?.buckets ?? {})) {
    if (config === undefined) continue
    if (!(isInt(config.burst) && config.burst > 0)) bad(`rateLimit.buckets.${bucket}.burst`, config.burst, "must be a positive integer")
    if (!(typeof config.perSecond === "number" && Number.isFinite(config.perSecond) && config.perSecond > 0)) {
      bad(`rateLimit.buckets.${bucket}.perSecond`, config.perSecond, "must be a positive number")
    }
  }
  return out
}
