/**
 * The transport-agnostic sandbox: `handle(request) => Effect<response>` over in-memory state.
 * Routing uses the shared operation table; pressure (latency, rate limits, inflight, scripted and
 * random faults, gateway timeout) wraps the handlers. All waiting goes through `Effect.sleep`, so
 * under the in-process client it follows `TestClock`.
 */
import { newId } from "./ids.js"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Deferred from "effect/Deferred"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Operation from "../../Operation.js"
import type { OperationName } from "../../Operations.js"
import type { SandboxOptions, ScriptedResponse } from "../../Sandbox.js"
import type { HandlerInput, HandlerSettings } from "./request.js"
import { decoderxAccepts } from "./request.js"
import { bodyLimitAnswers } from "./goTexts.js"
import { allowedMethods, handlers, resolveRoute } from "./router.js"
import { sandboxCreateSession } from "./routes/sandbox.js"
import type { Ctx } from "./model.js"
import { defaultBuckets, inflightOperations, prng, TokenBuckets } from "./pressure.js"
import type { SandboxRequest, SandboxResponse } from "./response.js"
import { errorResponse, KratosHttpError, noContent } from "./response.js"
import type { SchemaEntry } from "./schemas.js"
import { compileSchema, customerIdentitySchema, defaultIdentitySchema } from "./schemas.js"
import { Store } from "./store.js"

/** Options as the core reads them: the public ones. @internal */
export type CoreOptions = SandboxOptions

/** @internal */
export type Scripted = ScriptedResponse

/** @internal */
export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  readonly operation?: string
  readonly status: number
}

const maxLog = 10_000
/** Kratos serves both ports behind `http.MaxBytesHandler(…, 5 MiB)`. @internal */
export const defaultMaxBodyBytes = 5 * 1024 * 1024

/** @internal */
export class SandboxCore {
  readonly store = new Store()
  options: CoreOptions
  private base = "http://sandbox.test"
  get baseUrl(): string {
    return this.base
  }
  set baseUrl(url: string) {
    this.base = url
    this.cachedSettings = undefined
  }
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
    const list = [...(this.options.identitySchemas ?? [{ id: "default", schema: defaultIdentitySchema }])]
    if (this.options.demo && !list.some((s) => s.id === "customer")) list.push({ id: "customer", schema: customerIdentitySchema })
    for (const s of list) this.schemas.set(s.id, compileSchema(s.id, s.schema))
  }

  setOptions(patch: Partial<CoreOptions>): void {
    this.options = { ...this.options, ...patch }
    this.cachedSettings = undefined
    if ("faults" in patch) this.random = prng(this.options.faults?.seed ?? 1)
    if ("rateLimit" in patch) this.buckets.clear()
    if ("identitySchemas" in patch || "demo" in patch) this.loadSchemas()
  }

  get publicUrl(): string {
    return (this.options.publicUrl ?? this.baseUrl).replace(/\/$/, "")
  }

  ctx(now: number): Ctx {
    return { publicUrl: this.publicUrl, now, schemas: this.schemas }
  }

  private cachedSettings: HandlerSettings | undefined

  get settings(): HandlerSettings {
    return this.cachedSettings ??= {
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
    this.logStart = 0
    this.buckets.clear()
    this.inflight.clear()
    // Under `node --expose-gc` (the import bench's sandbox) the cleared store is collected now,
    // not during the next run, whose timing would then depend on what ran before it.
    ;(globalThis as { gc?: () => void }).gc?.()
    this.loadSchemas()
  }

  private logStart = 0

  /** The request log, oldest first (a ring of the last `maxLog` entries). */
  requestLog(): Array<RequestLogEntry> {
    return [...this.log.slice(this.logStart), ...this.log.slice(0, this.logStart)]
  }

  private record(entry: RequestLogEntry, started: number): void {
    if (this.log.length < maxLog) this.log.push(entry)
    else {
      this.log[this.logStart] = entry
      this.logStart = (this.logStart + 1) % maxLog
    }
    if (this.onLine) {
      this.onLine(`${entry.method} ${entry.path} ${entry.status} ${(performance.now() - started).toFixed(1)}ms`)
    }
  }

  /** True when some pressure feature may act on a request (then the Effect path runs). */
  private pressured(): boolean {
    const o = this.options
    if (o.latency !== undefined || o.rateLimit !== undefined || o.gatewayTimeout !== undefined || (o.faults?.rate ?? 0) > 0) return true
    for (const q of this.scripts.values()) if (q.length > 0) return true
    return false
  }

  /** Runs one request on the Effect clock. Never fails: every problem is a Kratos-shaped response. */
  handle(req: SandboxRequest): Effect.Effect<SandboxResponse> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const r = this.handleFast(req, now)
      return Effect.isEffect(r) ? r : Effect.succeed(r)
    })
  }

  /**
   * Runs one request, synchronously when nothing asynchronous is involved (the common case: no
   * pressure configured, no password to hash), else as an Effect. `now` is the caller's clock.
   */
  handleFast(req: SandboxRequest, now: number): SandboxResponse | Effect.Effect<SandboxResponse> {
    const started = performance.now()
    // Error bodies carry `request` only when the caller sent an X-Request-ID (as Kratos does).
    const requestId = req.headers["x-request-id"] || (this.options.alwaysRequestId ? newId() : undefined)
    let opName: string | undefined
    const finish = (res: SandboxResponse): SandboxResponse => {
      res.headers["x-request-id"] = requestId ?? newId()
      const q = req.url.indexOf("?")
      const operation = (res as { operation?: string }).operation ?? opName
      this.record({ method: req.method, path: q >= 0 ? req.url.slice(0, q) : req.url, status: res.status, ...(operation ? { operation } : {}) }, started)
      return res
    }
    const recover = (defect: unknown): SandboxResponse =>
      defect instanceof KratosHttpError ? errorResponse(defect.status, defect.fields, requestId) : errorResponse(500, {}, requestId)
    let result: SandboxResponse | Effect.Effect<SandboxResponse>
    try {
      const pre = this.prelude(req, requestId, now)
      if (!("status" in pre)) opName = pre.op?.name
      if ("status" in pre) result = pre
      else if (this.pressured() || pre.op === undefined) result = this.pressure(pre, requestId)
      else {
        const name = pre.op.name as OperationName
        const out = handlers[name](pre.input)
        result = Effect.isEffect(out) ? Effect.map(out, (r) => tagged(r, name)) : tagged(out, name)
      }
    } catch (defect) {
      result = recover(defect)
    }
    if (!Effect.isEffect(result)) return finish(result)
    return result.pipe(
      Effect.catchAllDefect((d) => Effect.succeed(recover(d))),
      Effect.map(finish)
    )
  }

  /** The synchronous checks every request goes through: size, route, method, auth. */
  private prelude(
    req: SandboxRequest,
    requestId: string | undefined,
    now: number
  ): SandboxResponse | { readonly op: Operation.Operation | undefined; readonly rawPath: string; readonly input: HandlerInput } {
    const q = req.url.indexOf("?")
    const rawPath = q >= 0 ? req.url.slice(0, q) : req.url
    const err = (status: number, fields: Parameters<typeof errorResponse>[1] = {}) => errorResponse(status, fields, requestId)
    const route = resolveRoute(req.method, rawPath)
    const sandboxRoute = req.method === "POST" && (rawPath === "/sandbox/sessions" || rawPath === "/sandbox/reset")
    if (Option.isNone(route) && !sandboxRoute) {
      const allowed = allowedMethods(rawPath)
      // Go's ServeMux answers these itself, in plain text; its Allow lists HEAD beside GET, sorted.
      if (allowed.length > 0) {
        const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : [])].sort().join(", ")
        return plainText(405, "Method Not Allowed\n", { allow })
      }
      return plainText(404, "404 page not found\n")
    }
    const op = Option.isSome(route) ? route.value.operation : undefined
    if (!op || op.auth) {
      const key = this.options.apiKey
      if (key !== undefined) {
        const expected = `Bearer ${Redacted.isRedacted(key) ? Redacted.value(key) : key}`
        if (req.headers["authorization"] !== expected) return err(401, { message: "Access credentials are invalid" })
      }
    }
    const tooLarge = req.bodyTooLarge === true || req.body.length > (this.options.maxBodyBytes ?? defaultMaxBodyBytes)
    if (tooLarge && op !== undefined) {
      // Go's body limit errors only where a handler reads the body; it then closes the connection.
      const answer = bodyLimitAnswers[op.name]
      // decoderx looks at the Content-Type before it reads: the handler refuses a wrong one as usual
      if (answer !== undefined && (!answer.decoderx || decoderxAccepts(req.headers["content-type"]))) {
        const { decoderx: _decoderx, status, ...fields } = answer
        return err(status, { ...fields, headers: { connection: "close" } })
      }
    }
    return {
      op,
      rawPath,
      input: {
        method: req.method,
        // Links name the path as routed: the admin port's prefix included.
        path: Option.isSome(route) && !rawPath.startsWith("/admin/") && route.value.operation.path.startsWith("/admin/")
          ? `/admin${rawPath}`
          : rawPath,
        query: new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : ""),
        params: Option.isSome(route) ? route.value.params : {},
        headers: req.headers,
        body: tooLarge ? new Uint8Array(0) : req.body,
        ctx: this.ctx(now),
        store: this.store,
        settings: this.settings
      }
    }
  }

  /** The slow path: latency, rate limits, inflight, scripts, random faults, gateway timeout. */
  private pressure(
    pre: { readonly op: Operation.Operation | undefined; readonly rawPath: string; readonly input: HandlerInput },
    requestId: string | undefined
  ): Effect.Effect<SandboxResponse> {
    const self = this
    const { op, rawPath } = pre
    return Effect.gen(function*() {
      const err = (status: number, fields: Parameters<typeof errorResponse>[1] = {}) => errorResponse(status, fields, requestId)
      const latency = self.options.latency
      if (latency !== undefined) yield* Effect.sleep(latency)
      const now = yield* Clock.currentTimeMillis
      const base: HandlerInput = { ...pre.input, ctx: self.ctx(now) }
      if (!op) {
        if (rawPath === "/sandbox/reset") {
          self.reset()
          return noContent()
        }
        return yield* lift(() => sandboxCreateSession(base), requestId)
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
          return tagged(err(429, {
            message: "Too many requests",
            headers: { ...extra, ...(rl.retryAfter ? { "retry-after": String(taken.resetSeconds) } : {}) }
          }), name)
        }
      }
      // Inflight: a second concurrent write to the same path is refused.
      const inflightKey = rl?.inflight && inflightOperations.has(name)
        ? (rawPath.startsWith("/admin/") ? rawPath : `/admin${rawPath}`).replace(/\/$/, "")
        : undefined
      if (inflightKey !== undefined && self.inflight.has(inflightKey)) {
        return tagged(err(429, { message: "Too many concurrent requests to this resource", headers: extra }), name)
      }

      const script = self.scripts.get(name)?.shift()
      const faults = self.options.faults
      if (!script && faults?.rate && op.auth && self.random() < faults.rate) {
        const statuses = faults.statuses && faults.statuses.length > 0 ? faults.statuses : [429, 502, 503]
        const status = statuses[Math.floor(self.random() * statuses.length)]
        const headers = status === 429 ? { ...extra, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" } : extra
        return tagged(err(status, { headers }), name)
      }
      const withHeaders = (res: SandboxResponse): SandboxResponse => {
        Object.assign(res.headers, extra)
        return tagged(res, name)
      }
      const scriptedError = (status: number) =>
        err(status, {
          headers: script?.retryAfter !== undefined ? { "retry-after": String(script.retryAfter) } : undefined,
          message: script?.message,
          reason: script?.reason
        })
      if (script?.reset && script.delay === undefined && !script.afterCommit) return { status: 0, headers: {}, reset: true }
      if (script && script.status !== undefined && !script.afterCommit) {
        if (script.delay !== undefined) yield* Effect.sleep(script.delay)
        if (script.reset) return { status: 0, headers: {}, reset: true }
        return withHeaders(scriptedError(script.status))
      }

      const work: Effect.Effect<SandboxResponse> = Effect.gen(function*() {
        if (script?.delay !== undefined) yield* Effect.sleep(script.delay)
        const res = yield* lift(() => handlers[name](base), requestId)
        if (script?.reset) return { status: 0, headers: {}, reset: true }
        if (script?.status !== undefined) return scriptedError(script.status)
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

const plainText = (status: number, body: string, headers: Record<string, string> = {}): SandboxResponse => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", ...headers },
  body
})

const tagged = (res: SandboxResponse, operation: string): SandboxResponse => {
  ;(res as { operation?: string }).operation = operation
  return res
}

/** Runs a handler, turning a thrown `KratosHttpError` (sync or inside its Effect) into its response. */
const lift = (
  run: () => SandboxResponse | Effect.Effect<SandboxResponse>,
  requestId: string | undefined
): Effect.Effect<SandboxResponse> =>
  Effect.suspend(() => {
    const result = run()
    return Effect.isEffect(result) ? result : Effect.succeed(result)
  }).pipe(
    Effect.catchAllDefect((d) =>
      d instanceof KratosHttpError ? Effect.succeed(errorResponse(d.status, d.fields, requestId)) : Effect.die(d)
    )
  )
