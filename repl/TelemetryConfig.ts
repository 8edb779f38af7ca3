/**
 * Whether the CLI exports OpenTelemetry traces and metrics, read from the standard environment
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_SERVICE_NAME`,
 * `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_SDK_DISABLED` and the per-signal
 * variants). Only when it asks for an exporter is the SDK loaded (`./Telemetry.ts`, imported on
 * demand): without it, start-up pays for nothing but this module.
 *
 * The exporters themselves read the endpoint, headers and timeout variables, as every
 * OpenTelemetry SDK does; this module decides what is exported and how.
 */
import * as Effect from "effect/Effect"

export type Protocol = "http/protobuf" | "http/json"

/** What one signal (traces or metrics) is exported with. */
export type Exporter = { readonly _tag: "Otlp"; readonly protocol: Protocol } | { readonly _tag: "Console" }

export interface Plan {
  readonly serviceName: string
  readonly traces: Exporter | undefined
  readonly metrics: Exporter | undefined
  /** `OTEL_METRIC_EXPORT_INTERVAL` (ms). */
  readonly metricInterval: number
}

type Env = Readonly<Record<string, string | undefined>>

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== ""

const protocolOf = (env: Env, signal: "TRACES" | "METRICS", problems: Array<string>): Protocol | undefined => {
  const name = set(env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`])
    ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`
    : "OTEL_EXPORTER_OTLP_PROTOCOL"
  const value = (env[name] ?? "").trim()
  // the specification's default
  if (value === "" || value === "http/protobuf") return "http/protobuf"
  if (value === "http/json") return "http/json"
  problems.push(`${name}=${value} is not supported (use http/protobuf or http/json): ${signal.toLowerCase()} are not exported`)
  return undefined
}

const exporterOf = (env: Env, signal: "TRACES" | "METRICS", problems: Array<string>): Exporter | undefined => {
  const name = `OTEL_${signal}_EXPORTER`
  const endpoint = set(env.OTEL_EXPORTER_OTLP_ENDPOINT) || set(env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`])
  // asked for by name, or by an endpoint (`otlp` is the specification's default exporter)
  const names = set(env[name])
    ? env[name]!.split(",").map((s) => s.trim()).filter((s) => s !== "")
    : endpoint
    ? ["otlp"]
    : []
  let chosen: Exporter | undefined
  for (const exporter of names) {
    if (exporter === "none") return undefined
    if (chosen !== undefined) continue
    if (exporter === "otlp") {
      const protocol = protocolOf(env, signal, problems)
      if (protocol !== undefined) chosen = { _tag: "Otlp", protocol }
    } else if (exporter === "console") chosen = { _tag: "Console" }
    else problems.push(`${name}=${exporter} is not supported (use otlp, console or none)`)
  }
  return chosen
}

/**
 * What the environment asks for: `undefined` when it asks for no telemetry; `problems` name the
 * settings that were not understood (each is left out, never fatal).
 */
export const plan = (env: Env): { readonly plan: Plan | undefined; readonly problems: ReadonlyArray<string> } => {
  const problems: Array<string> = []
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return { plan: undefined, problems }
  const traces = exporterOf(env, "TRACES", problems)
  const metrics = exporterOf(env, "METRICS", problems)
  if (traces === undefined && metrics === undefined) return { plan: undefined, problems }
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL)
  return {
    plan: {
      serviceName: set(env.OTEL_SERVICE_NAME) ? env.OTEL_SERVICE_NAME!.trim() : "kratos-admin",
      traces,
      metrics,
      metricInterval: Number.isFinite(interval) && interval > 0 ? interval : 60_000
    },
    problems
  }
}

/**
 * Runs `program` with the telemetry the environment asks for, under one root span `name`: the SDK
 * is loaded first, and shut down (its last spans and metrics exported) when `program` is over,
 * before the process exits.
 */
export const provide = <A, E>(
  program: Effect.Effect<A, E>,
  name: string,
  env: Env,
  warn: (line: string) => Effect.Effect<void>
): Effect.Effect<A, E> => {
  const { plan: chosen, problems } = plan(env)
  const warned = Effect.forEach(problems, (p) => warn(`kratos-admin: ${p}`), { discard: true })
  if (chosen === undefined) return Effect.zipRight(warned, program)
  return Effect.zipRight(
    warned,
    Effect.flatMap(
      Effect.promise(() => import("./Telemetry.js")),
      (telemetry) =>
        program.pipe(
          Effect.withSpan(name),
          Effect.provide(telemetry.layer(chosen))
        )
    )
  )
}
