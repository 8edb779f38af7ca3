/**
 * The stream readline draws on: the terminal, except while no prompt is shown. readline echoes
 * keys as they arrive; what is typed or pasted while a command runs would otherwise be drawn
 * into that command's output. Those lines are queued unseen and shown with their prompt when
 * they run, as a shell shows type-ahead.
 */
import { Writable } from "node:stream"

export const echoGate = (target: NodeJS.WriteStream, open: () => boolean): NodeJS.WriteStream => {
  const gate = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (open()) target.write(chunk)
      callback()
    }
  })
  // what readline reads off a terminal output: its size (for wrapping) and resizes
  Object.defineProperties(gate, {
    isTTY: { get: () => target.isTTY },
    columns: { get: () => target.columns },
    rows: { get: () => target.rows }
  })
  const onResize = () => gate.emit("resize")
  target.on("resize", onResize)
  gate.on("close", () => target.off("resize", onResize))
  return gate as unknown as NodeJS.WriteStream
}
