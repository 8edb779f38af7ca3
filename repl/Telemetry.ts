/**
 * The CLI's OpenTelemetry SDK: traces and Effect's metrics through `@effect/opentelemetry`, to an
 * OTLP/HTTP collector (protobuf or JSON) or, for `console`, as JSON lines on stderr (stdout is the
 * command's output). Loaded on demand by `TelemetryConfig.provide`; everything here is released
 * with the layer: the span processor and the metric reader flush what they hold, then shut down.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto"
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import {
  type PushMetricExporter,
  PeriodicExportingMetricReader,
  type ResourceMetrics
} from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import type * as Resource from "@effect/opentelemetry/Resource"
import type * as Layer from "effect/Layer"
import type { Exporter, Plan } from "./TelemetryConfig.js"

const success = { code: 0 } as const

const hrMillis = ([seconds, nanos]: readonly [number, number]): number => seconds * 1000 + nanos / 1e6

/** One JSON line per span on stderr. */
class StderrSpanExporter implements SpanExporter {
  export(spans: Array<ReadableSpan>, done: (result: { code: number }) => void): void {
    for (const span of spans) {
      const context = span.spanContext()
      process.stderr.write(`${JSON.stringify({
        span: span.name,
        traceId: context.traceId,
        spanId: context.spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        durationMs: hrMillis(span.duration),
        status: span.status.code,
        attributes: span.attributes,
        events: span.events.map((e) => ({ name: e.name, attributes: e.attributes }))
      })}\n`)
    }
    done(success)
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** One JSON line per metric on stderr. */
class StderrMetricExporter implements PushMetricExporter {
  export(metrics: ResourceMetrics, done: (result: { code: number }) => void): void {
    for (const scope of metrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        process.stderr.write(`${JSON.stringify({
          metric: metric.descriptor.name,
          points: metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }))
        })}\n`)
      }
    }
    done(success)
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const spanExporter = (exporter: Exporter): SpanExporter =>
  exporter._tag === "Console"
    ? new StderrSpanExporter()
    : exporter.protocol === "http/json"
    ? new JsonTraceExporter()
    : new ProtoTraceExporter()

const metricExporter = (exporter: Exporter): PushMetricExporter =>
  exporter._tag === "Console"
    ? new StderrMetricExporter()
    : exporter.protocol === "http/json"
    ? new JsonMetricExporter()
    : new ProtoMetricExporter()

export const layer = (plan: Plan): Layer.Layer<Resource.Resource> =>
  NodeSdk.layer(() => ({
    resource: { serviceName: plan.serviceName, serviceVersion: "0.1.0" },
    spanProcessor: plan.traces === undefined ? undefined : new BatchSpanProcessor(spanExporter(plan.traces)),
    metricReader: plan.metrics === undefined
      ? undefined
      : new PeriodicExportingMetricReader({
        exporter: metricExporter(plan.metrics),
        exportIntervalMillis: plan.metricInterval,
        exportTimeoutMillis: Math.min(plan.metricInterval, 30_000)
      }),
    shutdownTimeout: "5 seconds"
  }))
