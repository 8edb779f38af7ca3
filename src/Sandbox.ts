/**
 * An in-memory server that speaks the Kratos admin Identity API the way Kratos does: statuses,
 * error bodies, pagination, batch semantics, credential import, sessions, recovery. Optional
 * pressure emulates Ory Network (rate limits, inflight limits, faults, gateway timeouts).
 *
 * - `make` / `layer`: a real `node:http` server on loopback.
 * - `layerInProcess`: no socket; an `HttpClient` that runs requests straight into the sandbox, so
 *   latency, delays and timeouts follow `TestClock`.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientTag from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { Identity, type CreateIdentityBodyEncoded } from "./Identity.js"
import type { OperationName } from "./Operations.js"
import { Session } from "./Session.js"
import { SandboxCore } from "./internal/sandbox/core.js"
import { demoIdentities } from "./internal/sandbox/demo.js"
import { checkImportedHash, hashPasswordSync } from "./internal/sandbox/hashing.js"
import { makeClient } from "./internal/sandbox/inProcess.js"
import { buildIdentity, newSession, renderIdentity, renderSession } from "./internal/sandbox/model.js"
import type { ImportedCredentials } from "./internal/sandbox/model.js"
import { close, serve } from "./internal/sandbox/node.js"
import { optionProblems } from "./internal/sandbox/options.js"
import { KratosHttpError } from "./internal/sandbox/response.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SandboxOptions {
  /** Set → admin routes need `Authorization: Bearer <key>`, else 401. */
  readonly apiKey?: Redacted.Redacted<string> | string
  /** bcrypt cost for plaintext password imports (default 4; Kratos uses 12). */
  readonly hashCost?: number
  /** Seed demo data (two schemas, ~40 identities, sessions). */
  readonly demo?: boolean
  /** Default: one "default" schema (email + name; password identifier, verification, recovery). */
  readonly identitySchemas?: ReadonlyArray<{ readonly id: string; readonly schema: object }>
  /** Base for schema_url and recovery links (default: the server's own URL). */
  readonly publicUrl?: string
  /** All batch items fail → 400/409 (Ory Network docs) instead of Kratos OSS' 200. */
  readonly batchAllFailStatus?: boolean
  /** extendSession → 204 (Ory Network) instead of 200 + session. */
  readonly fasterSessionExtend?: boolean
  /**
   * Every answer carries a request id, and error bodies its `request` field, even when the caller sent
   * no `X-Request-ID` (Ory Network's edge sets one on every request; Kratos alone echoes only what it got).
   */
  readonly alwaysRequestId?: boolean
  /** Ory Network rate-limit emulation; off when absent. */
  readonly rateLimit?: {
    readonly buckets?: Partial<
      Record<"kratos-admin-high" | "kratos-admin-medium" | "kratos-admin-low", { readonly burst: number; readonly perSecond: number }>
    >
    /** Send `Retry-After` on 429. */
    readonly retryAfter?: boolean
    /** A second concurrent write to the same path → 429. */
    readonly inflight?: boolean
  }
  readonly faults?: {
    /** Seed of the deterministic PRNG. */
    readonly seed?: number
    /** 0..1 probability of a random fault per admin request. */
    readonly rate?: number
    /** Random fault statuses (default [429, 502, 503]). */
    readonly statuses?: ReadonlyArray<number>
  }
  /** Work longer than this → 504; the work still completes (commits). */
  readonly gatewayTimeout?: Duration.DurationInput
  /** Added to every request. */
  readonly latency?: Duration.DurationInput
  /**
   * Request body limit in bytes (default 5 MiB, Kratos' own). Over it, each handler that reads a body
   * answers as Kratos does (400, or 500 for a JSON Patch, with Go's "http: request body too large")
   * and the connection is closed; routes that read no body answer as usual.
   */
  readonly maxBodyBytes?: number
}

/**
 * The behaviours of an Ory Network project where they differ from a self-hosted Kratos v26.2.0 in ways
 * a client must handle: a batch whose every item fails answers 400/409, `extendSession` answers 204,
 * every error body names its request, and the project's rate limits apply — per-bucket token buckets with
 * `x-ratelimit-*` headers and no `Retry-After` (Ory does not document one), and a second concurrent write
 * to the same path answers 429. Spread it and override what a test needs:
 * `Sandbox.layer({ ...Sandbox.oryNetwork, latency: "50 millis" })`.
 *
 * @since 0.1.0
 * @category options
 */
export const oryNetwork: SandboxOptions = {
  batchAllFailStatus: true,
  fasterSessionExtend: true,
  alwaysRequestId: true,
  rateLimit: { retryAfter: false, inflight: true }
}

/**
 * One scripted answer for the next matching request.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptedResponse {
  /** Answer this status with a Kratos error body (no work done) ... */
  readonly status?: number
  /** ... or: do the real work, then answer `status` (e.g. 504 after commit). */
  readonly afterCommit?: boolean
  readonly delay?: Duration.DurationInput
  /** Destroy the connection (in-process: a transport failure). */
  readonly reset?: boolean
  /** Seconds; adds a `Retry-After` header. */
  readonly retryAfter?: number
  /** The error body's `message` (default: herodot's for the status) and `reason`. */
  readonly message?: string
  readonly reason?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SandboxRequestLog {
  readonly method: string
  readonly path: string
  readonly operation?: string
  readonly status: number
}

/**
 * @since 0.1.0
 * @category errors
 */
export class SandboxError extends Schema.TaggedError<SandboxError>()("SandboxError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface SandboxService {
  /** e.g. `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string
  readonly script: (operation: OperationName, responses: ReadonlyArray<ScriptedResponse>) => Effect.Effect<void>
  /** e.g. turn faults or rate limits on and off. Invalid options are refused and change nothing. */
  readonly setOptions: (patch: Partial<SandboxOptions>) => Effect.Effect<void, SandboxError>
  /** Empty store, default schemas, no scripts, cleared request log. */
  readonly reset: Effect.Effect<void>
  readonly seedDemo: Effect.Effect<void>
  readonly createSession: (
    identityId: string,
    options?: { readonly active?: boolean; readonly expiresIn?: Duration.DurationInput; readonly aal?: string }
  ) => Effect.Effect<Session, SandboxError>
  /**
   * Fast bulk seeding: validated like createIdentity, but plaintext passwords are hashed at cost 4
   * synchronously and items that conflict or fail validation are skipped.
   */
  readonly insertIdentities: (bodies: ReadonlyArray<CreateIdentityBodyEncoded>) => Effect.Effect<ReadonlyArray<Identity>>
  /** Store snapshot (credentials without config). */
  readonly identities: Effect.Effect<ReadonlyArray<Identity>>
  /** Log of handled requests (the last 10,000). */
  readonly requests: Effect.Effect<ReadonlyArray<SandboxRequestLog>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Sandbox extends Context.Tag("effect-kratos/Sandbox")<Sandbox, SandboxService>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions extends SandboxOptions {
  /** Default 0 (any free port). */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Receives one line per request: `METHOD path status duration`. */
  readonly log?: (line: string) => void
}

const decodeSession = Schema.decodeUnknownSync(Session)
const decodeIdentity = Schema.decodeUnknownSync(Identity)

const plaintextCache = new Map<string, string>()
const cheapHash = (pw: string): string => {
  let h = plaintextCache.get(pw)
  if (h === undefined) {
    h = hashPasswordSync(pw, 4)
    if (plaintextCache.size < 1000) plaintextCache.set(pw, h)
  }
  return h
}

const importCredentials = (body: CreateIdentityBodyEncoded): ImportedCredentials | undefined => {
  const c = body.credentials
  if (!c) return undefined
  const pc = c.password?.config
  let password: ImportedCredentials["password"]
  if (pc?.use_password_migration_hook) password = { hashed_password: "", use_password_migration_hook: true }
  else if (pc?.password) password = { hashed_password: cheapHash(pc.password) }
  else if (pc?.hashed_password !== undefined) {
    checkImportedHash(pc.hashed_password)
    password = { hashed_password: pc.hashed_password }
  }
  const providers = (x: { readonly config?: { readonly providers?: ReadonlyArray<object> } } | undefined) =>
    x?.config?.providers?.map((p) => ({ ...p }) as Record<string, unknown>)
  return { password, oidc: providers(c.oidc), saml: providers(c.saml) }
}

const toService = (core: SandboxCore, url: string): SandboxService => {
  const seedDemo = Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) =>
    Effect.sync(() => {
      if (!core.schemas.has("customer")) core.setOptions({ demo: true })
      const ctx = core.ctx(now)
      for (const d of demoIdentities()) {
        try {
          const identity = buildIdentity(ctx, d.body, d.credentials)
          core.store.insert(identity)
          for (const s of d.sessions) {
            core.store.addSession(newSession(identity.id, now - 3600_000, { active: s.active, expiresInMs: s.expiresInMs, aal: s.aal }))
          }
        } catch (e) {
          if (!(e instanceof KratosHttpError)) throw e
        }
      }
    }))
  return {
    url,
    script: (operation, responses) =>
      Effect.sync(() => {
        const queue = core.scripts.get(operation) ?? []
        queue.push(...responses)
        core.scripts.set(operation, queue)
      }),
    setOptions: (patch) => Effect.zipRight(checkOptions(patch), Effect.sync(() => core.setOptions(patch))),
    reset: Effect.sync(() => core.reset()),
    seedDemo,
    createSession: (identityId, options) =>
      Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) =>
        Effect.suspend(() => {
          const identity = core.store.identities.get(identityId.toLowerCase())
          if (!identity) return Effect.fail(new SandboxError({ message: `No identity ${identityId}` }))
          const s = newSession(identity.id, now, {
            active: options?.active,
            expiresInMs: options?.expiresIn !== undefined ? Duration.toMillis(Duration.decode(options.expiresIn)) : undefined,
            aal: options?.aal
          })
          core.store.addSession(s)
          return Effect.try({
            try: () => decodeSession(renderSession(core.publicUrl, s, identity, { identity: true, devices: true })),
            catch: (cause) => new SandboxError({ message: "Could not render the session", cause })
          })
        })),
    insertIdentities: (bodies) =>
      Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) =>
        Effect.sync(() => {
          const ctx = core.ctx(now)
          const built = []
          for (const body of bodies) {
            try {
              built.push(buildIdentity(ctx, body, importCredentials(body)))
            } catch (e) {
              if (!(e instanceof KratosHttpError)) throw e
            }
          }
          // The rendered JSON is already the wire shape of `Identity` (ids are UUIDs): no decode pass.
          return core.store.insertMany(built).map((i) =>
            renderIdentity(core.publicUrl, i, { _tag: "noConfig" }) as unknown as Identity
          )
        })),
    identities: Effect.sync(() =>
      core.store.ids.map((id) => decodeIdentity(renderIdentity(core.publicUrl, core.store.identities.get(id)!, { _tag: "noConfig" })))
    ),
    requests: Effect.sync(() => core.requestLog())
  }
}

/** Refuses options the sandbox cannot honour, naming each one. */
const checkOptions = (options: Partial<MakeOptions>): Effect.Effect<void, SandboxError> => {
  const problems = optionProblems(options)
  return problems.length === 0
    ? Effect.void
    : Effect.fail(new SandboxError({ message: `Invalid sandbox options: ${problems.join("; ")}` }))
}

const makeCore = (options: MakeOptions): SandboxCore => {
  const { demo: _demo, host: _host, log, port: _port, ...rest } = options
  return new SandboxCore({ ...rest, demo: options.demo }, log)
}

/**
 * A sandbox on a real `node:http` server (port 0 by default); closed with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: MakeOptions = {}): Effect.Effect<SandboxService, SandboxError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkOptions(options)
    const core = makeCore(options)
    const { url } = yield* Effect.acquireRelease(
      serve(core, options.port ?? 0, options.host ?? "127.0.0.1").pipe(
        Effect.mapError((cause) => new SandboxError({ message: `Could not start the sandbox: ${cause.message}`, cause }))
      ),
      ({ server }) => close(server)
    )
    core.baseUrl = url
    const service = toService(core, url)
    if (options.demo) yield* service.seedDemo
    return service
  })

/**
 * A real loopback server as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: MakeOptions = {}): Layer.Layer<Sandbox, SandboxError> => Layer.scoped(Sandbox, make(options))

/**
 * `layer` with its options read from `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config: Config.Config.Wrap<MakeOptions>): Layer.Layer<Sandbox, SandboxError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/**
 * The sandbox without a socket, plus an `HttpClient` that serves requests straight from it.
 * `url` is the placeholder base `http://sandbox.test`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInProcess = (options: SandboxOptions = {}): Layer.Layer<Sandbox | HttpClient.HttpClient, SandboxError> =>
  Layer.effectContext(
    Effect.gen(function*() {
      yield* checkOptions(options)
      const core = makeCore(options)
      const url = "http://sandbox.test"
      core.baseUrl = url
      const service = toService(core, url)
      if (options.demo) yield* service.seedDemo
      return Context.make(Sandbox, service).pipe(Context.add(HttpClientTag.HttpClient, makeClient(core)))
    })
  )
