/**
 * What the client shows an OpenTelemetry exporter: `@effect/opentelemetry`'s SDK layer with an
 * in-memory span exporter, the client over the lean transport to a loopback sandbox with an API
 * key. Span names, attributes, the retry events, parentage (attempt spans under the operation's
 * span, operations under the caller's span), the metrics, and no secret anywhere in what is exported.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import { IdentityApi } from "../../src/IdentityApi.js"
import type { ClientOptions } from "../../src/KratosHttpClient.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import * as Metrics from "../../src/internal/client/metrics.js"

const apiKey = "ory_pat_telemetry-test-key-4b1d"
const password = "telemetry test password 7f3e"

const setup = (options: Omit<ClientOptions, "baseUrl" | "apiKey"> = {}) => {
  const exporter = new InMemorySpanExporter()
  const client = Layer.unwrapEffect(
    Effect.map(Sandbox.Sandbox, (sb) =>
      IdentityApi.layer({
        baseUrl: sb.url,
        apiKey: Redacted.make(apiKey),
        rateLimit: false,
        retry: { jitter: "none", base: "10 millis" },
        ...options
      }))
  ).pipe(
    Layer.provide(UndiciHttpClient.layer()),
    Layer.provideMerge(Sandbox.layer({ apiKey }))
  )
  const tracing = NodeSdk.layer(() => ({
    resource: { serviceName: "telemetry-test" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))
  return { exporter, layer: Layer.merge(client, tracing) }
}

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)

const noSecret = (spans: ReadonlyArray<ReadableSpan>) => {
  const exported = JSON.stringify(spans.map((s) => ({
    name: s.name,
    attributes: s.attributes,
    events: s.events,
    status: s.status,
    resource: s.resource.attributes
  })))
  expect(exported).not.toContain(apiKey)
  expect(exported).not.toContain(password)
}

describe("telemetry", () => {
  const retried = setup({ attemptSpans: true })
  it.live("an operation's span: route template, status, attempts, retries; attempt spans under it, no key", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const created = yield* api.createIdentity({
        body: {
          schema_id: "default",
          traits: { email: "otel@example.com", name: { first: "O", last: "T" } },
          credentials: { password: { config: { password: Redacted.make(password) } } }
        }
      })
      yield* sb.script("getIdentity", [{ status: 503 }])
      yield* api.getIdentity({ id: created.id }).pipe(Effect.withSpan("caller"))
      const spans = retried.exporter.getFinishedSpans()

      const [create] = named(spans, "Kratos.createIdentity")
      expect(create.attributes).toMatchObject({
        "kratos.operation": "createIdentity",
        "http.request.method": "POST",
        "url.template": "/admin/identities",
        "http.response.status_code": 201,
        "kratos.attempts": 1
      })
      expect(create.attributes["http.request.body.size"]).toBeGreaterThan(0)
      expect(create.attributes["http.response.body.size"]).toBeGreaterThan(0)

      const [get] = named(spans, "Kratos.getIdentity")
      const [caller] = named(spans, "caller")
      expect(get.attributes).toMatchObject({
        "url.template": "/admin/identities/{id}",
        "http.response.status_code": 200,
        "kratos.attempts": 2,
        "kratos.retries": 1
      })
      expect(get.parentSpanContext?.spanId).toBe(caller.spanContext().spanId)
      expect(get.events.map((e) => [e.name, e.attributes])).toEqual([
        ["kratos.retry", { "kratos.attempt": 1, "kratos.retry.reason": "503", "kratos.retry.wait_ms": 10 }]
      ])
      // the platform's attempt spans: one per attempt, children of the operation's span
      const attempts = spans.filter((s) => s.parentSpanContext?.spanId === get.spanContext().spanId)
      expect(attempts.map((s) => s.attributes["http.response.status_code"])).toEqual([503, 200])
      expect(attempts[0].attributes["http.request.header.authorization"]).toBe("<redacted>")
      noSecret(spans)
    }).pipe(Effect.provide(retried.layer)))

  const failing = setup()
  it.live("a failed call: the error status on the span, no body value in any attribute or event", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const first = yield* api.createIdentity({
        body: { schema_id: "default", traits: { email: "dup@example.com", name: { first: "D", last: "U" } } }
      })
      const error = yield* Effect.flip(api.createIdentity({
        body: {
          schema_id: "default",
          traits: { email: "dup@example.com", name: { first: "D", last: "U" } },
          credentials: { password: { config: { password: Redacted.make(password) } } }
        }
      }))
      expect(error._tag).toBe("Conflict")
      expect(first.id).toBeDefined()
      const spans = named(failing.exporter.getFinishedSpans(), "Kratos.createIdentity")
      expect(spans.map((s) => s.attributes["http.response.status_code"])).toEqual([201, 409])
      expect(spans[1].status.code).toBe(2) // ERROR
      // no attempt span without `attemptSpans`
      expect(failing.exporter.getFinishedSpans().filter((s) => s.name.startsWith("http.client"))).toEqual([])
      noSecret(failing.exporter.getFinishedSpans())
    }).pipe(Effect.provide(failing.layer)))

  it.live("metrics: requests by operation and status, latency, retries by reason", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const labels = new Metrics.OperationLabels("listIdentitySchemas")
      const count = (status: string) =>
        Effect.map(
          Metric.value(Metric.taggedWithLabels(Metrics.requests, labels.outcome(status))),
          (s) => s.count
        )
      const retries = Effect.map(
        Metric.value(Metric.taggedWithLabels(Metrics.retries, labels.reason("502"))),
        (s) => s.count
      )
      const latency = Effect.map(
        Metric.value(Metric.taggedWithLabels(Metrics.duration, labels.base)),
        (s) => s.count
      )
      const before = { ok: yield* count("200"), retries: yield* retries, latency: yield* latency }
      yield* sb.script("listIdentitySchemas", [{ status: 502 }])
      yield* api.listIdentitySchemas()
      yield* api.listIdentitySchemas()
      expect(yield* count("200")).toBe(before.ok + 2)
      expect(yield* retries).toBe(before.retries + 1)
      expect(yield* latency).toBe(before.latency + 2)
    }).pipe(Effect.provide(setup().layer)))
})
