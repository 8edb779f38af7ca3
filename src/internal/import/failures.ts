/** The failures file: one JSON line per record not imported, passwords removed, fit to fix and re-import. */
import * as fs from "node:fs"
import { exactObject, stringifyExact } from "../exactJson.js"
import { errorText, type Files, privateMode, writeWhole, WriteFailed } from "./journal.js"
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

/**
 * The record without plaintext passwords: every `password` field of a credential, wherever a
 * mistake put it (the hash stays: it is what Kratos stores anyway, and what a re-import needs).
 */
export const withoutPassword = (record: unknown): { readonly record: unknown; readonly removed: boolean } => {
  const credentials = (record as { credentials?: unknown } | null)?.credentials
  if (credentials === null || typeof credentials !== "object" || (!Array.isArray(credentials) && exactObject(credentials) === undefined)) {
    return { record, removed: false }
  }
  let removed = false
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip)
    // (a number of `exactJson.ts`' parse is an object too: kept as it is)
    const object = exactObject(node)
    if (object === undefined) return node
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(object)) {
      if (k === "password") removed = true
      else out[k] = strip(v)
    }
    return out
  }
  // the first level names credential types (one of them is `password`): keys below are fields
  const stripped: Record<string, unknown> = {}
  for (const [type, credential] of Object.entries(credentials)) stripped[type] = strip(credential)
  return removed ? { record: { ...(record as Record<string, unknown>), credentials: stripped }, removed } : { record, removed }
}

export const keptName = (path: string): string => {
  const ext = path.endsWith(".jsonl") ? ".jsonl" : ""
  const base = path.slice(0, path.length - ext.length)
  for (let n = 1; ; n++) {
    const candidate = `${base}.${n}${ext}`
    if (!fs.existsSync(candidate)) return candidate
  }
}

/**
 * The failures file of a run. Opened (owner-only) before anything is sent, so an unwritable
 * location stops the run before it starts; an earlier run's non-empty file is kept under a new
 * name, never overwritten.
 */
export class FailureWriter {
  private fd: number | undefined
  private buffer: Array<string> = []
  /** Where the earlier failures file went, if there was one. */
  kept: string | undefined
  private constructor(private readonly files: Files, private readonly path: string | undefined) {}

  /** Throws `WriteFailed` when the file cannot be created. */
  static open(files: Files, path: string | undefined): FailureWriter {
    const w = new FailureWriter(files, path)
    if (path === undefined) return w
    try {
      if (fs.statSync(path).size > 0) {
        w.kept = keptName(path)
        fs.renameSync(path, w.kept)
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new WriteFailed(path, errorText(e))
    }
    try {
      w.fd = files.openSync(path, "w", privateMode)
      files.fchmodSync(w.fd, privateMode)
    } catch (e) {
      throw new WriteFailed(path, errorText(e))
    }
    return w
  }

  /** The first write that failed: the run stops at its next check of this. */
  failed: WriteFailed | undefined

  /**
   * `exact`: the record with its numbers as written (from `exactJson.ts`' parse), or `undefined`
   * when `failure.record` rounds none; asked for only when there is a file to write. Its plaintext
   * passwords are removed as `failure.record`'s were.
   */
  write(failure: ImportFailure, exact?: () => unknown): void {
    if (this.fd === undefined) return
    const record = exact?.()
    this.buffer.push(record === undefined ? JSON.stringify(failure) : stringifyExact({ ...failure, record: withoutPassword(record).record }))
    if (this.buffer.length >= 256) this.flush()
  }

  flush(): void {
    if (this.fd === undefined || this.buffer.length === 0 || this.failed !== undefined) return
    const text = this.buffer.join("\n") + "\n"
    this.buffer = []
    try {
      writeWhole(this.files, this.fd, this.path!, text)
    } catch (e) {
      this.failed = e instanceof WriteFailed ? e : new WriteFailed(this.path!, errorText(e))
    }
  }

  close(): void {
    if (this.fd === undefined) return
    this.flush()
    try {
      this.files.closeSync(this.fd)
    } catch {
      // nothing more to write to it
    }
    this.fd = undefined
  }
}
