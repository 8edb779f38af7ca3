/** The failures file: one JSON line per record not imported, passwords removed, fit to fix and re-import. */
import * as fs from "node:fs"
import type { ImportFailure } from "./model.js"

/** A record written to the failures file wraps the original under `record`; reading it back unwraps it. */
export const unwrapFailureLine = (value: unknown): unknown => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value
  const v = value as Record<string, unknown>
  if ("record" in v && typeof v.reason === "string" && typeof v.status === "string" && v.record !== null && typeof v.record === "object") {
    return v.record
  }
  return value
}

/** The record without its plaintext password (the hash stays: it is what Kratos stores anyway). */
export const withoutPassword = (record: unknown): { readonly record: unknown; readonly removed: boolean } => {
  const config = (record as { credentials?: { password?: { config?: Record<string, unknown> } } } | null)
    ?.credentials?.password?.config
  if (config === null || typeof config !== "object" || !("password" in config)) return { record, removed: false }
  const r = record as { credentials: { password: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>
  const { password: _dropped, ...rest } = config
  return {
    record: {
      ...r,
      credentials: { ...r.credentials, password: { ...r.credentials.password, config: rest } }
    },
    removed: true
  }
}

export class FailureWriter {
  private fd: number | undefined
  private buffer: Array<string> = []
  constructor(private readonly path: string | undefined) {}

  write(failure: ImportFailure): void {
    if (this.path === undefined) return
    this.buffer.push(JSON.stringify(failure))
    if (this.buffer.length >= 256) this.flush()
  }

  flush(): void {
    if (this.path === undefined || this.buffer.length === 0) return
    this.fd ??= fs.openSync(this.path, "w")
    fs.writeSync(this.fd, this.buffer.join("\n") + "\n")
    this.buffer = []
  }

  close(): void {
    if (this.path === undefined) return
    // An empty failures file says "nothing failed" more clearly than a stale one from an earlier run.
    this.fd ??= fs.openSync(this.path, "w")
    this.flush()
    fs.closeSync(this.fd)
  }
}
