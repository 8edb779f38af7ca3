/**
 * Building the client for a target: one `IdentityApi` layer, built once per target and kept for
 * the whole REPL session (so the rate limiter, retry budget and connections persist), and the
 * embedded sandbox that `npm start` talks to when no server is configured.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as dns from "node:dns/promises"
import { IdentityApi } from "../src/IdentityApi.js"
import type { ClientConfigError } from "../src/KratosHttpClient.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import type { Target } from "./Config.js"
import { UsageError } from "./Errors.js"
import { watch, type Watchers } from "./HttpWatch.js"

/** Ory Network projects (`<slug>.projects.oryapis.com`, custom domains aside) refuse concurrent writes to one path. */
export const isOryNetwork = (url: string): boolean => {
  try {
    return new URL(url).hostname.endsWith(".oryapis.com")
  } catch {
    return false
  }
}

/** How the CLI runs a client besides its target: time limits, and what it shows of the exchanges. */
export interface ClientSettings extends Watchers {
  readonly timeout?: Duration.Duration | undefined
  readonly deadline?: Duration.Duration | undefined
}

/** The client layer of a target (the HTTP client included). */
export const clientLayer = (target: Target, settings: ClientSettings = {}): Layer.Layer<IdentityApi, ClientConfigError> =>
  IdentityApi.layer({
    baseUrl: target.url,
    ...(target.apiKey !== undefined ? { apiKey: target.apiKey } : {}),
    userAgent: "kratos-admin/0.1.0",
    // a `*.localhost` name is loopback only where it resolves there
    resolveHost: (hostname) => dns.lookup(hostname, { all: true }).then((all) => all.map((a) => a.address)),
    // there, writes wait for each other in the client instead of meeting a 429 (and an import
    // encodes its next batch while one is on the wire)
    serializeWritesPerPath: isOryNetwork(target.url),
    ...(settings.timeout !== undefined ? { timeout: settings.timeout } : {}),
    ...(settings.deadline !== undefined ? { deadline: settings.deadline } : {})
  }).pipe(
    Layer.provide(
      Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, (transport) => watch(transport, settings))).pipe(
        Layer.provide(UndiciHttpClient.layer())
      )
    )
  )

/** A built client and the scope that owns it. */
export interface Built {
  readonly target: Target
  readonly context: Context.Context<IdentityApi>
  readonly scope: Scope.CloseableScope
}

/** Builds the client of a target in a fresh scope; the caller closes it with `release`. */
export const build = (target: Target): Effect.Effect<Built, unknown> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(clientLayer(target), scope).pipe(
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
    return { target, context, scope }
  })

/** Closes a built client. */
export const release = (built: Built): Effect.Effect<void> => Scope.close(built.scope, Exit.void)

/** Starts the embedded demo sandbox on a free loopback port, for the life of the scope. */
export const embeddedSandbox = (options: { readonly latency?: string | undefined } = {}): Effect.Effect<Target, unknown, Scope.Scope> =>
  // loaded on demand: one-shot commands against a real server never pay for the sandbox
  Effect.promise(() => import("../src/Sandbox.js")).pipe(
    Effect.flatMap((Sandbox) =>
      Sandbox.make({ demo: true, ...(options.latency !== undefined ? { latency: options.latency as `${number} millis` } : {}) })
    ),
    Effect.map((sandbox) => ({ url: sandbox.url, kind: "sandbox" as const }))
  )

/**
 * The client when no server is configured (one-shot CLI): every call fails with a usage error
 * saying how to configure one. Commands that need no server (sandbox, --help) still work.
 */
export const unconfigured: Layer.Layer<IdentityApi> = Layer.sync(IdentityApi, () => {
  const error = new UsageError({
    message:
      "no server configured: pass --url (and --api-key), or set ORY_SDK_URL and ORY_API_KEY (Ory Network) or KRATOS_ADMIN_URL (self-hosted); `kratos-admin repl` without them uses an embedded sandbox"
  })
  return new Proxy({}, {
    get: (_, name) =>
      name === "status"
        ? Effect.fail(error)
        : typeof name === "string" && name.endsWith("Stream")
        ? () => Stream.fail(error)
        : () => Effect.fail(error)
  }) as IdentityApi["Type"]
})
