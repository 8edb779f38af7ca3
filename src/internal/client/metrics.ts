/**
 * The client's metrics, in Effect's global registry (so any exporter of Effect metrics, such as
 * `@effect/opentelemetry`'s, sends them). Updated with `unsafeUpdate` and label arrays built once
 * per operation and status: the registry caches its hook per label array, so an update on the hot
 * path is a map lookup and an addition, with no Effect and no array per call.
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

/** Calls of an operation, by final outcome: the HTTP status, or the transport failure's reason. */
export const requests = Metric.counter("kratos.client.requests", {
  description: "Calls of an operation by final status (or transport failure)",
  incremental: true
})

/** Whole-call duration, retries and waits included, in milliseconds. */
export const duration = Metric.histogram(
  "kratos.client.duration",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 17 }),
  "Duration of a call of an operation, retries and waits included (ms)"
)

/** Retries scheduled, by reason (a status or a transport failure). */
export const retries = Metric.counter("kratos.client.retries", {
  description: "Retries scheduled, by reason",
  incremental: true
})

/** Times the client-side rate limiter held an attempt back, and for how long in all. */
export const rateLimitWaits = Metric.counter("kratos.client.rate_limit.waits", {
  description: "Attempts held back by the client-side rate limiter",
  incremental: true
})
export const rateLimitWaitTime = Metric.counter("kratos.client.rate_limit.wait_ms", {
  description: "Time attempts spent held back by the client-side rate limiter (ms)",
  incremental: true
})

/** The limiter's current rate (requests/s), set when it changes while the limiter is on. */
export const rateLimitRate = Metric.gauge("kratos.client.rate_limit.rate", {
  description: "The client-side rate limiter's current rate (requests/s)"
})

/** Records of a bulk import, by outcome. */
export const importRecords = Metric.counter("kratos.import.records", {
  description: "Records of a bulk import by outcome",
  incremental: true
})

/** Label arrays of one operation, made once and reused (the registry's hook cache keys on them). */
export class OperationLabels {
  readonly base: ReadonlyArray<MetricLabel.MetricLabel>
  private readonly byOutcome = new Map<string | number, ReadonlyArray<MetricLabel.MetricLabel>>()
  private readonly byReason = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

  constructor(
    readonly operation: string,
    /** The Ory Network rate-limit bucket the operation draws from (see `Operation.Bucket`). */
    readonly bucket?: string
  ) {
    this.base = [MetricLabel.make("operation", operation)]
  }

  /** `operation` and `status` (an HTTP status, or a transport failure's reason). */
  outcome(status: string | number): ReadonlyArray<MetricLabel.MetricLabel> {
    let labels = this.byOutcome.get(status)
    if (labels === undefined) {
      labels = [...this.base, MetricLabel.make("status", String(status))]
      this.byOutcome.set(status, labels)
    }
    return labels
  }

  /** `operation` and `reason`. */
  reason(reason: string): ReadonlyArray<MetricLabel.MetricLabel> {
    let labels = this.byReason.get(reason)
    if (labels === undefined) {
      labels = [...this.base, MetricLabel.make("reason", reason)]
      this.byReason.set(reason, labels)
    }
    return labels
  }
}

const noLabels: ReadonlyArray<MetricLabel.MetricLabel> = []

/** The rate limiter's rate changed (clients share the gauge: the last one set wins). */
export const recordRate = (rate: number): void => rateLimitRate.unsafeUpdate(rate, noLabels)
