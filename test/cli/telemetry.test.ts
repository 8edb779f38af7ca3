/**
 * The binary's OpenTelemetry export, end to end: `kratos-admin` as a child process against a
 * loopback sandbox with an API key, exporting to a small OTLP/HTTP receiver on loopback. Both
 * protocols; the last spans reach the receiver before the process exits; nothing secret in them.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"

const apiKey = "ory_pat_cli-telemetry-key-93ac"
let scope: Scope.CloseableScope
let url = ""

interface Received {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: Buffer
}
let received: Array<Received> = []
let receiver: http.Server
let endpoint = ""

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const sandbox = await Effect.runPromise(Scope.extend(Sandbox.make({ demo: true, apiKey }), scope))
  url = sandbox.url
  receiver = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"], body: Buffer.concat(chunks) })
      const json = (req.headers["content-type"] ?? "").includes("json")
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" })
      res.end(json ? "{}" : "")
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve))
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("node", [binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: url, ORY_API_KEY: apiKey, ...env },
      timeout: 60_000
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
  })

type Attribute = { key: string; value: Record<string, unknown> }
type JsonSpan = { name: string; spanId: string; parentSpanId?: string; traceId: string; attributes: Array<Attribute> }

const spansOf = (bodies: ReadonlyArray<Received>): Array<JsonSpan> =>
  bodies.flatMap((r) =>
    (JSON.parse(r.body.toString("utf8")) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<JsonSpan> }> }>
    }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
  )

const attribute = (span: JsonSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

describe("kratos-admin telemetry (child process, OTLP/HTTP receiver)", () => {
  it("http/json: the command's span, the operation's under it, the metrics, the service name; no key", async () => {
    received = []
    const result = await cli(["identities", "list", "--page-size", "2"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "kratos-admin-under-test"
    })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toHaveLength(2)
    // everything was sent before the process exited
    const traces = received.filter((r) => r.path === "/v1/traces")
    const metrics = received.filter((r) => r.path === "/v1/metrics")
    expect(traces.length).toBeGreaterThan(0)
    expect(traces[0].contentType).toMatch(/application\/json/)
    const spans = spansOf(traces)
    const root = spans.find((s) => s.name === "kratos-admin identities list")
    const op = spans.find((s) => s.name === "Kratos.listIdentities")
    expect(root).toBeDefined()
    expect(op?.parentSpanId).toBe(root?.spanId)
    expect(attribute(op!, "http.response.status_code")).toBe(200)
    expect(attribute(op!, "url.template")).toBe("/admin/identities")
    const exported = Buffer.concat(received.map((r) => r.body)).toString("utf8")
    expect(exported).toContain("kratos-admin-under-test")
    expect(metrics.map((r) => r.body.toString("utf8")).join("")).toContain("kratos.client.requests")
    expect(exported).not.toContain(apiKey)
  })

  it("http/protobuf (the default protocol) with OTEL_TRACES_EXPORTER=otlp; none turns traces off", async () => {
    received = []
    const proto = await cli(["identities", "list", "--page-size", "1"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_METRICS_EXPORTER: "none"
    })
    expect(proto.code).toBe(0)
    expect(received.map((r) => [r.path, r.contentType])).toEqual([["/v1/traces", "application/x-protobuf"]])
    // protobuf keeps strings as their UTF-8 bytes
    expect(received[0].body.includes("Kratos.listIdentities")).toBe(true)
    expect(received[0].body.includes(apiKey)).toBe(false)

    received = []
    const off = await cli(["identities", "list", "--page-size", "1"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_TRACES_EXPORTER: "none",
      OTEL_METRICS_EXPORTER: "none"
    })
    expect(off.code).toBe(0)
    expect(received).toEqual([])
  })

  it("the command's span is named by its words wherever global flags stand", async () => {
    for (const args of [
      ["--debug", "identities", "list", "--page-size", "1"],
      ["--timeout", "30s", "--debug", "identities", "get", "--output", "json", "no-such-id"],
      ["sessions", "--debug", "list", "--page-size", "1"]
    ]) {
      received = []
      await cli(args, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_METRICS_EXPORTER: "none" })
      const words = args.filter((a) => /^[a-z][a-z-]*$/.test(a) && a !== "json" && a !== "no-such-id")
      const roots = spansOf(received.filter((r) => r.path === "/v1/traces")).filter((s) => s.parentSpanId === undefined || s.parentSpanId === "")
      expect(roots.map((s) => s.name), args.join(" ")).toEqual([["kratos-admin", ...words].join(" ")])
    }
  })

  it("an unsupported protocol is named on stderr and the command still runs", async () => {
    received = []
    const result = await cli(["identities", "list", "--page-size", "1"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc"
    })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/)
    expect(received).toEqual([])
  })
})
