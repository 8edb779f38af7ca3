/**
 * The list streams the interpreter built (`IdentityApi`'s `…Stream` methods, by function identity).
 * Each page such a stream emits is an array decoded from its own response, held by nothing else,
 * and a stream run reaches one consumer: a consumer that started the run itself may clear a page's
 * items as it is done with them. The export does, so that a minor GC in the middle of a page copies
 * only the identities not yet rendered instead of the whole decoded page (the collector copies
 * every young object still referenced). A stream function anyone else wrote, wrapped or bound is
 * not in here, and its pages are never touched.
 *
 * @internal
 */
const streams = new WeakSet<object>()

/** Marks a stream function of the interpreter's. @internal */
export const register = <F extends object>(stream: F): F => {
  streams.add(stream)
  return stream
}

/** Whether the pages of `stream`'s runs are the caller's to clear. @internal */
export const isOwn = (stream: unknown): boolean => typeof stream === "function" && streams.has(stream)
