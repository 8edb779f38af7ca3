/**
 * The transport-agnostic sandbox: `handle(request) => Effect<response>` over in-memory state.
 * Routing uses the shared operation table; pressure (latency, rate limits, inflight, scripted and
 * random faults, gateway timeout) wraps the handlers. All waiting goes through `Effect.sleep`, so
 * under the in-process client it follows `TestClock`.
 */
import { randomUUID } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Deferred from "effect/Deferred"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Operation from "../../Operation.js"
import { match, operations, type OperationName } from "../../Operations.js"
import type { HandlerInput, HandlerSettings } from "./handlers.js"
import { handlers, sandboxCreateSession } from "./handlers.js"
import type { Ctx } from "./model.js"
import { defaultBuckets, inflightOperations, prng, TokenBuckets } from "./pressure.js"
import type { SandboxRequest, SandboxResponse } from "./response.js"
import { errorResponse, KratosHttpError, noContent } from "./response.js"
import type { SchemaEntry } from "./schemas.js"
import { compileSchema, customerIdentitySchema, defaultIdentitySchema } from "./schemas.js"
import { Store } from "./store.js"

/** Options as the core reads them (the public `SandboxOptions`). @internal */
export interface CoreOptions {
  readonly apiKey?: Redacted.Redacted<string> | string | undefined
  readonly hashCost?: number | undefined
  readonly demo?: boolean | undefined
  readonly identitySchemas?: ReadonlyArray<{ readonly id: string; readonly schema: object }> | undefined
  readonly publicUrl?: string | undefined
  readonly batchAllFailStatus?: boolean | undefined
  readonly fasterSessionExtend?: boolean | undefined
  readonly rateLimit?: {
    readonly buckets?: Partial<Record<Operation.Bucket, { readonly burst: number; readonly perSecond: number }>> | undefined
    readonly retryAfter?: boolean | undefined
    readonly inflight?: boolean | undefined
  } | undefined
  readonly faults?: {
    readonly seed?: number | undefined
    readonly rate?: number | undefined
    readonly statuses?: ReadonlyArray<number> | undefined
  } | undefined
  readonly gatewayTimeout?: Duration.DurationInput | undefined
  readonly latency?: Duration.DurationInput | undefined
  readonly maxBodyBytes?: number | undefined
}

/** @internal */
export interface Scripted {
  readonly status?: number | undefined
  readonly afterCommit?: boolean | undefined
  readonly delay?: Duration.DurationInput | undefined
  readonly reset?: boolean | undefined
  readonly retryAfter?: number | undefined
}

/** @internal */
export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  readonly operation?: string
  readonly status: number
}

const maxLog = 10_000
/** @internal */
export const defaultMaxBodyBytes = 16 * 1024 * 1024

const resolveRoute = (method: string, path: string) => {
  const direct = match(method, path)
  if (Option.isSome(direct)) return direct
  if (!path.startsWith("/admin/")) return match(method, `/admin${path}`)
  if (path.startsWith("/admin/schemas")) return match(method, path.slice("/admin".length))
  return Option.none()
}

const allowedMethods = (path: string): Array<string> =>
  ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => Option.isSome(resolveRoute(m, path)))

/** @internal */
export class SandboxCore {
  readonly store = new Store()
  options: CoreOptions
  baseUrl = "http://sandbox.test"
  schemas = new Map<string, SchemaEntry>()
  readonly scripts = new Map<string, Array<Scripted>>()
  readonly log: Array<RequestLogEntry> = []
  readonly buckets = new TokenBuckets()
  readonly inflight = new Set<string>()
  random: () => number
  onLine: ((line: string) => void) | undefined

  constructor(options: CoreOptions, onLine?: (line: string) => void) {
    this.options = options
    this.onLine = onLine
    this.random = prng(options.faults?.seed ?? 1)
    this.loadSchemas()
  }

  loadSchemas(): void {
    this.schemas = new Map()
    const list = this.options.identitySchemas ?? [
      { id: "default", schema: defaultIdentitySchema },
      ...(this.options.demo ? [{ id: "customer", schema: customerIdentitySchema }] : [])
    ]
    for (const s of list) this.schemas.set(s.id, compileSchema(s.id, s.schema))
  }

  setOptions(patch: Partial<CoreOptions>): void {
    this.options = { ...this.options, ...patch }
    if ("faults" in patch) this.random = prng(this.options.faults?.seed ?? 1)
    if ("rateLimit" in patch) this.buckets.clear()
    if ("identitySchemas" in patch) this.loadSchemas()
  }

  get publicUrl(): string {
    return (this.options.publicUrl ?? this.baseUrl).replace(/\/$/, "")
  }

  ctx(now: number): Ctx {
    return { publicUrl: this.publicUrl, now, schemas: this.schemas }
  }

  get settings(): HandlerSettings {
    return {
      hashCost: this.options.hashCost ?? 4,
      adminUrl: this.baseUrl,
      batchAllFailStatus: this.options.batchAllFailStatus ?? false,
      fasterSessionExtend: this.options.fasterSessionExtend ?? false
    }
  }

  reset(): void {
    this.store.clear()
    this.scripts.clear()
    this.log.length = 0
    this.buckets.clear()
    this.inflight.clear()
    this.loadSchemas()
  }

  private record(entry: RequestLogEntry, started: number): void {
    if (this.log.length >= maxLog) this.log.splice(0, this.log.length - maxLog + 1)
    this.log.push(entry)
    if (this.onLine) {
      this.onLine(`${entry.method} ${entry.path} ${entry.status} ${(performance.now() - started).toFixed(1)}ms`)
    }
  }

  /** Runs one request. Never fails: every problem is a Kratos-shaped response. */
  handle(req: SandboxRequest): Effect.Effect<SandboxResponse> {
    const started = performance.now()
    const requestId = req.headers["x-request-id"] || randomUUID()
    return this.route(req, requestId).pipe(
      Effect.catchAllDefect((defect) =>
        Effect.succeed(
          defect instanceof KratosHttpError
            ? errorResponse(defect.status, defect.fields, requestId)
            : errorResponse(500, {}, requestId)
        )
      ),
      Effect.map((res) => {
        res.headers["x-request-id"] = requestId
        return res
      }),
      Effect.tap((res) =>
        Effect.sync(() => {
          const q = req.url.indexOf("?")
          this.record({ method: req.method, path: q >= 0 ? req.url.slice(0, q) : req.url, status: res.status, ...(res as { operation?: string }).operation ? { operation: (res as { operation?: string }).operation } : {} }, started)
        })
      )
    )
  }

  private route(req: SandboxRequest, requestId: string): Effect.Effect<SandboxResponse> {
    const self = this
    return Effect.gen(function*() {
      const q = req.url.indexOf("?")
      const rawPath = q >= 0 ? req.url.slice(0, q) : req.url
      const query = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : "")
      const err = (status: number, fields: Parameters<typeof errorResponse>[1] = {}) => errorResponse(status, fields, requestId)
      if (req.body.length > (self.options.maxBodyBytes ?? defaultMaxBodyBytes)) {
        return err(413, { message: "The request body is too large" })
      }
      const latency = self.options.latency
      if (latency !== undefined) yield* Effect.sleep(latency)

      const route = resolveRoute(req.method, rawPath)
      const sandboxRoute = req.method === "POST" && (rawPath === "/sandbox/sessions" || rawPath === "/sandbox/reset")
      if (Option.isNone(route) && !sandboxRoute) {
        const allowed = allowedMethods(rawPath)
        if (allowed.length > 0) {
          return err(405, { message: "The requested HTTP method is not allowed for this resource", headers: { allow: allowed.join(", ") } })
        }
        return err(404, { message: "The requested resource could not be found" })
      }
      const op = Option.isSome(route) ? route.value.operation : undefined
      if (!op || op.auth) {
        const key = self.options.apiKey
        if (key !== undefined) {
          const expected = `Bearer ${Redacted.isRedacted(key) ? Redacted.value(key) : key}`
          if (req.headers["authorization"] !== expected) return err(401, { message: "Access credentials are invalid" })
        }
      }
      const now = yield* Clock.currentTimeMillis
      const base: Omit<HandlerInput, "params"> = {
        method: req.method,
        path: rawPath,
        query,
        headers: req.headers,
        body: req.body,
        ctx: self.ctx(now),
        store: self.store,
        settings: self.settings
      }
      if (!op) {
        if (rawPath === "/sandbox/reset") {
          self.reset()
          return noContent()
        }
        return yield* Effect.suspend(() => lift(sandboxCreateSession({ ...base, params: {} }), requestId))
      }
      const name = op.name as OperationName
      const extra: Record<string, string> = {}

      // Ory Network rate limits: one token bucket per bucket name.
      const rl = self.options.rateLimit
      if (rl) {
        const config = rl.buckets?.[op.bucket] ?? defaultBuckets[op.bucket]
        const taken = self.buckets.take(op.bucket, config, now)
        Object.assign(extra, taken.headers)
        if (!taken.allowed) {
          return err(429, {
            message: "Too many requests",
            headers: { ...extra, ...(rl.retryAfter ? { "retry-after": String(taken.resetSeconds) } : {}) }
          })
        }
      }
      // Inflight: a second concurrent write to the same path is refused.
      const inflightKey = rl?.inflight && inflightOperations.has(name)
        ? (rawPath.startsWith("/admin/") ? rawPath : `/admin${rawPath}`).replace(/\/$/, "")
        : undefined
      if (inflightKey !== undefined && self.inflight.has(inflightKey)) {
        return err(429, { message: "Too many concurrent requests to this resource", headers: extra })
      }

      const script = self.scripts.get(name)?.shift()
      const faults = self.options.faults
      if (!script && faults?.rate && op.auth && self.random() < faults.rate) {
        const statuses = faults.statuses && faults.statuses.length > 0 ? faults.statuses : [429, 502, 503]
        const status = statuses[Math.floor(self.random() * statuses.length)]
        return err(status, { headers: extra })
      }
      const withHeaders = (res: SandboxResponse): SandboxResponse => {
        Object.assign(res.headers, extra)
        ;(res as { operation?: string }).operation = name
        return res
      }
      if (script?.reset && script.delay === undefined) return { status: 0, headers: {}, reset: true }
      if (script && script.status !== undefined && !script.afterCommit) {
        if (script.delay !== undefined) yield* Effect.sleep(script.delay)
        if (script.reset) return { status: 0, headers: {}, reset: true }
        return withHeaders(err(script.status, {
          headers: script.retryAfter !== undefined ? { "retry-after": String(script.retryAfter) } : undefined
        }))
      }

      const params = Option.isSome(route) ? route.value.params : {}
      const work: Effect.Effect<SandboxResponse> = Effect.gen(function*() {
        if (script?.delay !== undefined) yield* Effect.sleep(script.delay)
        const res = yield* lift(handlers[name]({ ...base, params }), requestId)
        if (script?.reset) return { status: 0, headers: {}, reset: true }
        if (script?.status !== undefined) {
          return err(script.status, {
            headers: script.retryAfter !== undefined ? { "retry-after": String(script.retryAfter) } : undefined
          })
        }
        return res
      })
      const guarded = inflightKey === undefined
        ? work
        : Effect.acquireUseRelease(
          Effect.sync(() => self.inflight.add(inflightKey)),
          () => work,
          () => Effect.sync(() => self.inflight.delete(inflightKey))
        )
      const budget = self.options.gatewayTimeout
      if (budget === undefined) return withHeaders(yield* guarded)
      // The gateway gives up, the work does not: it runs to completion in its own fiber.
      const done = yield* Deferred.make<SandboxResponse>()
      yield* Effect.forkDaemon(Effect.flatMap(guarded, (res) => Deferred.succeed(done, res)))
      const result = yield* Deferred.await(done).pipe(Effect.timeout(budget), Effect.option)
      return withHeaders(Option.getOrElse(result, () => err(504, { message: "The gateway timed out waiting for the upstream" })))
    })
  }
}

/** Runs a handler result, turning a thrown `KratosHttpError` into its response. */
const lift = (
  result: SandboxResponse | Effect.Effect<SandboxResponse>,
  requestId: string
): Effect.Effect<SandboxResponse> =>
  (Effect.isEffect(result) ? result : Effect.succeed(result)).pipe(
    Effect.catchAllDefect((d) =>
      d instanceof KratosHttpError ? Effect.succeed(errorResponse(d.status, d.fields, requestId)) : Effect.die(d)
    )
  )

/** @internal */
export const operationNames = Object.keys(operations) as Array<OperationName>
/** @internal */
export const toMillis = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d))
