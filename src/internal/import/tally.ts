/**
 * What a run counts and tells: the counters, the events (queued synchronously, handed over in bulk),
 * the progress model, the one path every record outcome takes (counted, journaled when final,
 * written to the failures file when a failure) and the final report.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as MetricLabel from "effect/MetricLabel"
import { importRecords } from "../client/metrics.js"
import { keepHiddenClass } from "../hiddenClass.js"
import { exactSourceRecord, externalIdOf, sourceRecord } from "./batchBytes.js"
import { FailureWriter, withoutPassword } from "./failures.js"
import * as Journal from "./journal.js"
import { journalStep, writeError } from "./journalRun.js"
import type { FailureStatus, ImportEvent, ImportFailure, ImportProgress, ImportReport, PreparedRecord } from "./model.js"
import { ImportError } from "./model.js"

export interface FailureDetails {
  /** The record as read (written to the failures file without a plaintext password). */
  readonly raw?: unknown
  readonly externalId?: string | undefined
  /** The HTTP status of a server-side failure. */
  readonly code?: number | undefined
  /** What the failure is counted under in `failuresByReason` (default: its reason). */
  readonly group?: string
  /** The byte offset of the record's line in the input (-1 or absent: not known). */
  readonly offset?: number | undefined
  /**
   * The record with its numbers as written (`exactJson.ts`), for the failures file, when `raw`
   * rounds one of them (`undefined` when it does not): a fixed file imported again must not have
   * changed them. Called only when a failures file is written.
   */
  readonly exact?: (() => unknown) | undefined
}

/** A record's outcome as the `kratos.import.records` counter labels it. */
export type RecordOutcome =
  | "created"
  | "already_present"
  | "updated"
  | "resumed"
  | "dry_run_valid"
  | "failed"
  | "conflict"
  | "unknown"
  | "invalid"
  | "malformed"
  | "duplicate"

const outcomeLabels = new Map<RecordOutcome, ReadonlyArray<MetricLabel.MetricLabel>>()
const pendingCounts = new Map<RecordOutcome, number>()

/** Counts a record with this outcome; the counter is updated in bulk (`publishCounts`), not per record. */
export const countRecords = (outcome: RecordOutcome): void => {
  pendingCounts.set(outcome, (pendingCounts.get(outcome) ?? 0) + 1)
}

/** Adds the records counted since the last call to `kratos.import.records` (label arrays made once). */
export const publishCounts = (): void => {
  if (pendingCounts.size === 0) return
  for (const [outcome, n] of pendingCounts) {
    let labels = outcomeLabels.get(outcome)
    if (labels === undefined) {
      labels = [MetricLabel.make("outcome", outcome)]
      outcomeLabels.set(outcome, labels)
    }
    importRecords.unsafeUpdate(n, labels)
  }
  pendingCounts.clear()
}

/** Malformed lines listed in the report (all are in the failures file). */
const malformedListed = 20

/** How failures are grouped in the report: by status, code and the first line of the reason. */
const reasonKey = (status: FailureStatus, code: number | undefined, reason: string): string => {
  const short = reason.split("\n")[0].slice(0, 100)
  if (status === "malformed") return "malformed JSON"
  if (status === "duplicate") return "duplicate in input"
  if (status === "invalid") return `invalid: ${short.replace(/line \d+/g, "line N")}`
  return code ? `${code} ${status}: ${short}` : `${status}: ${short}`
}

/**
 * The progress model: finished records against the records the input is estimated to hold (from
 * the share of its bytes read), the rate and ETA from finished records only.
 */
export const progressOf = (
  stats: {
    readonly records: number
    readonly done: number
    readonly imported: number
    readonly failed: number
    readonly retried: number
    readonly inFlight: number
    readonly bytes: number
  },
  elapsedMs: number,
  totalBytes: number | undefined,
  batchSize: number,
  waiting: ImportProgress["waiting"]
): ImportProgress => {
  const rate = elapsedMs > 0 ? (stats.done * 1000) / elapsedMs : 0
  const readShare = totalBytes && totalBytes > 0 ? Math.min(1, stats.bytes / totalBytes) : undefined
  // the records the whole input holds, extrapolated from those read so far
  const estimated = readShare && readShare > 0 && stats.records > 0 ? stats.records / readShare : undefined
  // The share of those records that are finished, not of the bytes read: reading runs ahead of
  // the server (by a few batches, or by all of a small file), and a bar at 100% with most of the
  // records still to send tells the user the wrong thing.
  const fraction = estimated !== undefined ? Math.min(1, stats.done / estimated) : readShare === undefined ? undefined : 0
  const etaSeconds = estimated !== undefined && rate > 0 ? Math.max(0, (estimated - stats.done) / rate) : undefined
  return {
    read: stats.records,
    done: stats.done,
    imported: stats.imported,
    failed: stats.failed,
    retries: stats.retried,
    batchSize,
    inFlight: stats.inFlight,
    rate,
    bytesRead: stats.bytes,
    totalBytes,
    fraction,
    etaSeconds,
    elapsedMs,
    ...(waiting !== undefined ? { waiting } : {})
  }
}

export class Tally {
  readonly stats = {
    records: 0,
    valid: 0,
    created: 0,
    alreadyPresent: 0,
    updated: 0,
    failed: 0,
    conflicts: 0,
    unknown: 0,
    invalid: 0,
    malformed: 0,
    duplicates: 0,
    resumed: 0,
    retried: 0,
    reconciled: 0,
    batches: 0,
    batchesSplit: 0,
    done: 0,
    bytes: 0,
    inFlight: 0,
    keyless: 0
  }
  readonly byReason = new Map<string, number>()
  readonly warnings: Array<string> = []
  /** A wait between attempts, shown in the progress line. */
  waiting: ImportProgress["waiting"] = undefined
  /** A wait inside a call (the client's retry or rate limiter): until when, and why. */
  private inCall: { readonly until: number; readonly reason: string } | undefined = undefined
  /** The batch size shown in the progress line. */
  batchSize: () => number = () => 0
  readonly malformedAt: Array<{ readonly line: number; readonly offset: number }> = []
  private queued: Array<ImportEvent> = []
  private lastProgress = 0
  private createdLines: Array<number> = []
  private finals: Array<Journal.DoneItem> = []

  constructor(
    private readonly offerAll: (events: Array<ImportEvent>) => Effect.Effect<unknown>,
    readonly started: number,
    private readonly progressInterval: number,
    private readonly totalBytes: number | undefined,
    private readonly failuresOut: FailureWriter,
    private readonly journal: Journal.JournalWriter | undefined
  ) {}

  /** Hands the queued events over. */
  readonly flush: Effect.Effect<void> = Effect.suspend(() => {
    publishCounts()
    return this.queued.length === 0 ? Effect.void : Effect.asVoid(this.offerAll(this.queued.splice(0)))
  })

  emit(event: ImportEvent): Effect.Effect<void> {
    this.queued.push(event)
    return this.flush
  }

  warnSync(message: string): void {
    this.warnings.push(message)
    this.queued.push({ _tag: "Warning", message })
  }

  get imported(): number {
    return this.stats.created + this.stats.alreadyPresent + this.stats.updated
  }

  get notImported(): number {
    const s = this.stats
    return s.failed + s.conflicts + s.unknown + s.invalid + s.malformed + s.duplicates
  }

  progressEvent(now: number): ImportEvent {
    const s = this.stats
    return {
      _tag: "Progress",
      progress: progressOf(
        { ...s, imported: this.imported, failed: this.notImported },
        now - this.started,
        this.totalBytes,
        this.batchSize(),
        this.waiting ?? (this.inCall !== undefined && this.inCall.until > now
          ? { seconds: Math.ceil((this.inCall.until - now) / 1000), reason: this.inCall.reason }
          : undefined)
      )
    }
  }

  /** A call is about to wait (told by the client): shown in a progress event now and until it ends. */
  inCallWait(millis: number, reason: string): Effect.Effect<void> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      this.inCall = { until: now + millis, reason }
      return millis >= 1000 ? this.progress(true) : Effect.void
    })
  }

  /** A progress event, at most one per interval unless forced (time from `Clock`: tests drive it with `TestClock`). */
  progress(force: boolean): Effect.Effect<void> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (!force && now - this.lastProgress < this.progressInterval) return Effect.void
      this.lastProgress = now
      return this.emit(this.progressEvent(now))
    })
  }

  /**
   * The one path of a failed record: counted, grouped by reason, written to the failures file
   * (without a plaintext password) and told as an event. Not journaled: see `finalFailure`.
   */
  failSync(line: number, status: FailureStatus, reason: string, details: FailureDetails): void {
    const s = this.stats
    s.done++
    if (status === "malformed") s.malformed++
    else if (status === "invalid") s.invalid++
    else if (status === "duplicate") s.duplicates++
    else if (status === "failed") s.failed++
    else if (status === "conflict") s.conflicts++
    else s.unknown++
    countRecords(status)
    const key = reasonKey(status, details.code, details.group ?? reason)
    this.byReason.set(key, (this.byReason.get(key) ?? 0) + 1)
    const stripped = details.raw === undefined ? undefined : withoutPassword(details.raw)
    const offset = details.offset !== undefined && details.offset >= 0 ? details.offset : undefined
    if (status === "malformed" && this.malformedAt.length < malformedListed) this.malformedAt.push({ line, offset: offset ?? -1 })
    const failure: ImportFailure = {
      line,
      ...(offset !== undefined ? { offset } : {}),
      ...(details.externalId !== undefined ? { external_id: details.externalId } : {}),
      status,
      ...(details.code !== undefined ? { code: details.code } : {}),
      reason,
      ...(stripped?.removed ? { password_removed: true } : {}),
      ...(stripped !== undefined ? { record: stripped.record } : {})
    }
    this.failuresOut.write(failure, stripped === undefined ? undefined : details.exact)
    this.queued.push({ _tag: "RecordFailed", failure })
  }

  fail(line: number, status: FailureStatus, reason: string, details: FailureDetails): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.failSync(line, status, reason, details)
      return this.flush
    })
  }

  /** A sent record failed for good: journaled as such, so a resume does not send it again. */
  finalFailure(
    rec: PreparedRecord,
    status: "failed" | "conflict" | "unknown",
    code: number | undefined,
    reason: string
  ): Effect.Effect<void> {
    this.finals.push([rec.line, status === "failed" ? "f" : status === "conflict" ? "x" : "u", code ?? 0, reason])
    const raw = sourceRecord(rec)
    return this.fail(rec.line, status, reason, { raw, externalId: externalIdOf(raw), ...(code ? { code } : {}), exact: () => exactSourceRecord(rec) })
  }

  created(rec: PreparedRecord): void {
    countRecords("created")
    this.stats.created++
    this.stats.done++
    this.createdLines.push(rec.line)
  }

  present(rec: PreparedRecord, id: string): void {
    countRecords("already_present")
    this.stats.alreadyPresent++
    this.stats.done++
    this.finals.push([rec.line, "p", id])
  }

  updated(rec: PreparedRecord, id: string): void {
    countRecords("updated")
    this.stats.updated++
    this.stats.done++
    this.finals.push([rec.line, "r", id])
  }

  /** Journals the outcomes since the last commit and checks the failures file took its lines. */
  readonly commit: Effect.Effect<void, ImportError> = Effect.suspend(() => {
    publishCounts()
    if (this.createdLines.length > 0 || this.finals.length > 0) {
      const c = this.createdLines
      const f = this.finals
      this.createdLines = []
      this.finals = []
      this.failuresOut.flush()
      const journal = this.journal
      if (journal !== undefined) {
        return journalStep(() => journal.done(c, f)).pipe(
          Effect.withSpan("kratos.import.journal.flush", {
            attributes: { "kratos.import.journal.created": c.length, "kratos.import.journal.outcomes": f.length }
          })
        )
      }
    }
    return this.failuresOut.failed === undefined ? Effect.void : Effect.fail(writeError(this.failuresOut.failed))
  })

  report(now: number, info: {
    readonly source: string
    readonly dryRun: boolean
    readonly journal: string | undefined
    readonly failuresFile: string | undefined
  }): ImportReport {
    const s = this.stats
    const durationMs = now - this.started
    return {
      source: info.source,
      dryRun: info.dryRun,
      records: s.records,
      valid: s.valid,
      created: s.created,
      alreadyPresent: s.alreadyPresent,
      updated: s.updated,
      failed: s.failed,
      conflicts: s.conflicts,
      unknown: s.unknown,
      invalid: s.invalid,
      malformed: s.malformed,
      ...(this.malformedAt.length > 0 ? { malformedAt: this.malformedAt } : {}),
      duplicates: s.duplicates,
      resumed: s.resumed,
      failuresByReason: Object.fromEntries([...this.byReason.entries()].sort((a, b) => b[1] - a[1])),
      retried: s.retried,
      reconciled: s.reconciled,
      batches: s.batches,
      batchesSplit: s.batchesSplit,
      durationMs,
      recordsPerSecond: durationMs > 0 ? Math.round(((info.dryRun ? s.done : this.imported) * 1000) / durationMs) : 0,
      complete: this.notImported === 0,
      ...(info.journal !== undefined ? { journal: info.journal } : {}),
      ...(info.failuresFile !== undefined ? { failuresFile: info.failuresFile } : {}),
      warnings: this.warnings
    }
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new Tally(() => Effect.void, 0, 0, undefined, FailureWriter.open(Journal.nodeFiles, undefined), undefined))
