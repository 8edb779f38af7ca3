/**
 * The REPL's line queue and Ctrl-R search, without a terminal.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { LineSource } from "../../repl/LineSource.js"
import { type Editor, ReverseSearch } from "../../repl/ReverseSearch.js"

describe("LineSource", () => {
  it.effect("queues lines nobody waits for and hands them out in order", () =>
    Effect.gen(function*() {
      const src = new LineSource()
      src.prompting = true
      src.push("typed at the prompt")
      src.push("pasted 1")
      src.push("pasted 2")
      expect(yield* src.take("command")).toEqual({ _tag: "Line", text: "typed at the prompt", echoed: true })
      expect(yield* src.take("answer")).toEqual({ _tag: "Line", text: "pasted 1", echoed: false })
      expect(src.size).toBe(1)
      expect(src.discard()).toBe(1)
      const waiting = yield* Effect.fork(src.take("command"))
      yield* Effect.yieldNow()
      expect(src.waiting).toBe("command")
      src.push("later")
      expect(yield* Fiber.join(waiting)).toMatchObject({ _tag: "Line", text: "later" })
      src.close()
      expect(yield* src.take("command")).toEqual({ _tag: "End" })
    }))

  it.effect("Ctrl-D ends a body, typed ahead or not, and is skipped by the command loop", () =>
    Effect.gen(function*() {
      const src = new LineSource()
      src.push("{\"a\":")
      src.push("1}")
      src.endBody()
      src.push("next command")
      expect(yield* src.take("body")).toMatchObject({ text: "{\"a\":" })
      expect(yield* src.take("body")).toMatchObject({ text: "1}" })
      expect(yield* src.take("body")).toEqual({ _tag: "End" })
      expect(yield* src.take("command")).toMatchObject({ text: "next command" })
      src.endBody()
      src.push("after a stray Ctrl-D")
      expect(yield* src.take("command")).toMatchObject({ text: "after a stray Ctrl-D" })
    }))
})

const editor = (): Editor & { shown: Array<string> } => {
  let prompt = "> "
  const shown: Array<string> = []
  return {
    line: "typed",
    cursor: 5,
    historyIndex: -1,
    shown,
    getPrompt: () => prompt,
    setPrompt: (p) => void (prompt = p),
    prompt() {
      shown.push(prompt + this.line)
    }
  }
}

describe("ReverseSearch", () => {
  const history = ["identities list --page-size 2", "status", "identities get abc", "identities list --all"]
  const key = (name: string, ctrl = false) => ({ name, ctrl })

  it("narrows with typed characters, goes older with Ctrl-R, takes the match on Enter", () => {
    const e = editor()
    const search = new ReverseSearch(e, () => history)
    expect(search.key(undefined, key("r", true))).toBe(true)
    expect(e.shown.at(-1)).toBe("(reverse-i-search)`': typed")
    for (const c of "list") search.key(c, key(c))
    expect(e.shown.at(-1)).toBe("(reverse-i-search)`list': identities list --page-size 2")
    search.key(undefined, key("r", true))
    expect(e.line).toBe("identities list --all")
    search.key(undefined, key("r", true))
    expect(e.shown.at(-1)).toBe("(failed reverse-i-search)`list': identities list --all")
    search.key(undefined, key("backspace"))
    expect(e.line).toBe("identities list --page-size 2")
    // Enter: the search ends, the key goes on to readline (which runs the line)
    expect(search.key("\r", key("return"))).toBe(false)
    expect(search.isActive).toBe(false)
    expect(e.getPrompt()).toBe("> ")
    expect(e.line).toBe("identities list --page-size 2")
  })

  it("Ctrl-G puts the line back; keys outside a search are readline's", () => {
    const e = editor()
    const search = new ReverseSearch(e, () => history)
    expect(search.key("a", key("a"))).toBe(false)
    search.key(undefined, key("r", true))
    search.key("s", key("s"))
    expect(e.line).toBe("identities list --page-size 2")
    expect(search.key(undefined, key("g", true))).toBe(true)
    expect(e.line).toBe("typed")
    expect(e.cursor).toBe(5)
    expect(e.getPrompt()).toBe("> ")
  })
})
