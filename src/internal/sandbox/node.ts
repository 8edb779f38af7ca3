/**
 * The `node:http` adapter: reads the body (up to the limit), runs `core.handle` on a pre-built runtime
 * and writes the answer. A scripted reset destroys the socket.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import type { SandboxCore } from "./core.js"
import { defaultMaxBodyBytes } from "./core.js"
import type { SandboxResponse } from "./response.js"
import { errorResponse } from "./response.js"

const empty = new Uint8Array(0)

/** Go's `http.DefaultMaxHeaderBytes` plus the 4096 bytes of slack its reader allows (request line included). */
const maxHeaderBytes = (1 << 20) + 4096

/** Go's net/http answers requests it cannot parse itself, in plain text, and hangs up. */
const goPlainError = (status: string): string =>
  `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`

const lowerHeaders = (h: http.IncomingHttpHeaders): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(", ") : v
  return out
}

const write = (req: http.IncomingMessage, res: http.ServerResponse, r: SandboxResponse): void => {
  if (r.reset) {
    req.socket.destroy()
    return
  }
  if (r.body === undefined) {
    res.writeHead(r.status, r.headers)
    res.end()
    return
  }
  // A string body lets node send head and body in one write (a Buffer would cost a writev).
  r.headers["content-length"] = String(Buffer.byteLength(r.body, "utf8"))
  res.writeHead(r.status, r.headers)
  res.end(r.body, "utf8")
}

const hasArrays = (h: http.IncomingHttpHeaders): boolean => {
  for (const k in h) if (Array.isArray(h[k])) return true
  return false
}

/** @internal */
export const serve = (
  core: SandboxCore,
  port: number,
  host: string
): Effect.Effect<{ readonly server: http.Server; readonly url: string }, Error> =>
  Effect.gen(function*() {
    // Captured inside `acquireRelease`, whose acquire is uninterruptible: re-enable interruption,
    // or timeouts could not interrupt the request fibers.
    const runtime = yield* Effect.interruptible(Effect.runtime<never>())
    const runFork = Runtime.runFork(runtime)
    // The runtime's clock (a TestClock when the layer is built under one).
    const clock = yield* Effect.clock
    const run = (req: http.IncomingMessage, res: http.ServerResponse, body: Uint8Array, bodyTooLarge = false): void => {
      // Node already lowercases header names; only a repeated header needs joining.
      const headers = hasArrays(req.headers) ? lowerHeaders(req.headers) : req.headers as Record<string, string | undefined>
      const request = { method: req.method ?? "GET", url: req.url ?? "/", headers, body, ...(bodyTooLarge ? { bodyTooLarge } : {}) }
      // Go hangs up after answering a request whose body it did not read to the end.
      const send = (r: SandboxResponse) => write(req, res, bodyTooLarge ? { ...r, headers: { ...r.headers, connection: "close" } } : r)
      // Synchronous when possible: no fiber per plain request (the sandbox must be fast).
      const result = core.handleFast(request, clock.unsafeCurrentTimeMillis())
      if (!Effect.isEffect(result)) return send(result)
      runFork(result).addObserver((exit) => {
        if (res.destroyed) return
        send(Exit.isFailure(exit) ? errorResponse(500, {}, "") : exit.value)
      })
    }
    const server = http.createServer({ keepAliveTimeout: 65_000, maxHeaderSize: maxHeaderBytes }, (req, res) => {
      if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
        // No body: skip the stream machinery.
        req.resume()
        return run(req, res, empty)
      }
      const limit = core.options.maxBodyBytes ?? defaultMaxBodyBytes
      const chunks: Array<Buffer> = []
      let size = 0
      let tooLarge = false
      req.on("data", (chunk: Buffer) => {
        if (tooLarge) return
        size += chunk.length
        if (size > limit) {
          // Over Kratos' limit: the body is dropped and the request answered now, as Go's handlers
          // do once their read fails (or without reading, for routes that take no body).
          tooLarge = true
          chunks.length = 0
          run(req, res, empty, true)
          return
        }
        chunks.push(chunk)
      })
      req.on("error", () => res.destroy())
      req.on("end", () => {
        if (tooLarge) return
        run(req, res, chunks.length === 0 ? empty : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
      })
    })
    server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy()
      const tooLarge = err.code === "HPE_HEADER_OVERFLOW" || err.code === "HPE_URI_TOO_LONG"
      socket.end(goPlainError(tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"))
    })
    yield* Effect.async<void, Error>((resume) => {
      server.once("error", (e) => resume(Effect.fail(e)))
      server.listen(port, host, () => resume(Effect.void))
    })
    const address = server.address() as AddressInfo
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address
    return { server, url: `http://${shownHost}:${address.port}` }
  })

/** @internal */
export const close = (server: http.Server): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })
