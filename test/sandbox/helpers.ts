import * as Effect from "effect/Effect"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: any
  readonly text: string
}

/** Plain fetch over loopback; a JSON body is sent as application/json unless `raw` is given. */
export const call = (
  base: string,
  method: string,
  path: string,
  options: { readonly json?: unknown; readonly raw?: string | Uint8Array; readonly headers?: Record<string, string> } = {}
): Effect.Effect<Reply> =>
  Effect.promise(async () => {
    const headers: Record<string, string> = { ...options.headers }
    let body: string | Uint8Array | undefined
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers["content-type"] ??= "application/json"
    } else if (options.raw !== undefined) body = options.raw
    const res = await fetch(base + path, { method, headers, body })
    const text = await res.text()
    let parsed: unknown = undefined
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    return { status: res.status, headers: res.headers, body: parsed as any, text }
  })

export const person = (email: string, extra: Record<string, unknown> = {}) => ({ traits: { email }, ...extra })

export const uuid0 = "00000000-0000-0000-0000-000000000000"
export const unknownUuid = "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60"
