/**
 * The operation's span, opened from the fiber's own state. `Effect.useSpan` snapshots the fiber's
 * refs to read two of them (a copy of the whole map, on every call) and adds a region of its own;
 * here the span is opened with plain reads and ended by the interpreter's one exit handler. Same
 * tracer, parent, links, annotations and timing as `Effect.useSpan`; nothing when tracing is off.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import * as Chunk from "effect/Chunk"

export interface OpenSpan {
  readonly span: Tracer.Span
  readonly clock: Clock.Clock
  readonly timing: boolean
}

/** The nearest ancestor that does not disable propagation. */
const parentOf = (span: Tracer.AnySpan | undefined): Option.Option<Tracer.AnySpan> => {
  let current = span
  while (current !== undefined) {
    if (!Context.get(current.context, Tracer.DisablePropagation)) return Option.some(current)
    current = current._tag === "Span" ? Option.getOrUndefined(current.parent) : undefined
  }
  return Option.none()
}

export const open = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  name: string,
  kind: Tracer.SpanKind,
  attributes: ReadonlyArray<readonly [string, unknown]>
): OpenSpan | undefined => {
  if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return undefined
  const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
  const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
  const links = fiber.getFiberRef(FiberRef.currentTracerSpanLinks)
  const span = fiber.currentTracer.span(
    name,
    parentOf(fiber.currentSpan),
    Context.empty(),
    Chunk.toReadonlyArray(links),
    timing ? clock.unsafeCurrentTimeNanos() : BigInt(0),
    kind
  )
  HashMap.forEach(fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations), (value, key) => span.attribute(key, value))
  for (const [key, value] of attributes) span.attribute(key, value)
  return { span, clock, timing }
}

export const end = (open: OpenSpan, exit: Exit.Exit<unknown, unknown>): void => {
  if (open.span.status._tag === "Ended") return
  open.span.end(open.timing ? open.clock.unsafeCurrentTimeNanos() : BigInt(0), exit)
}
