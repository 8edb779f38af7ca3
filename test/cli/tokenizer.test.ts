import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { continueInput, quote, tokenize } from "../../repl/Tokenizer.js"

const tokens = (s: string) => {
  const t = tokenize(s)
  return t._tag === "Tokens" ? t.tokens : t
}

describe("Tokenizer", () => {
  it("splits on whitespace and honours quotes and escapes", () => {
    expect(tokens("identities  list\t--page-size 3")).toEqual(["identities", "list", "--page-size", "3"])
    expect(tokens(`a 'b c' "d \\"e\\"" f\\ g`)).toEqual(["a", "b c", `d "e"`, "f g"])
    expect(tokens(`--trait 'name.first=Ann Lee'`)).toEqual(["--trait", "name.first=Ann Lee"])
    expect(tokens(`x"y"'z'`)).toEqual(["xyz"])
    expect(tokens(`''`)).toEqual([""])
    expect(tokens("   ")).toEqual([])
    expect(tokens(`"$HOME"`)).toEqual(["$HOME"]) // no expansion
  })

  it("keeps JSON words verbatim", () => {
    expect(tokens(`--value {"first": "Ann Lee", "n": [1, 2]} next`)).toEqual([
      "--value",
      `{"first": "Ann Lee", "n": [1, 2]}`,
      "next"
    ])
    expect(tokens(`[1,"]"]`)).toEqual([`[1,"]"]`])
  })

  it("reports unclosed quotes, brackets and trailing backslashes as incomplete", () => {
    expect(tokenize(`identities create --trait "email=a`)).toEqual({ _tag: "Incomplete", reason: "quote" })
    expect(tokenize(`--value 'abc`)).toEqual({ _tag: "Incomplete", reason: "quote" })
    expect(tokenize(`--value {"a": 1`)).toEqual({ _tag: "Incomplete", reason: "bracket" })
    expect(tokenize(`identities list \\`)).toEqual({ _tag: "Incomplete", reason: "backslash" })
  })

  it("continues lines: newline inside quotes, splice after a backslash", () => {
    const quoted = continueInput(`a "b`, `c"`)
    expect(tokens(quoted)).toEqual(["a", "b\nc"])
    expect(tokens(continueInput(`identities \\`, `list`))).toEqual(["identities", "list"])
    expect(tokens(continueInput(`--value {"a":`, ` 1}`))).toEqual(["--value", `{"a":\n 1}`])
  })

  it("quote gives back the word (property)", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.string(), { maxLength: 6 }), (words) => {
        const t = tokenize(words.map(quote).join(" "))
        expect(t).toEqual({ _tag: "Tokens", tokens: words })
      }),
      { numRuns: 300 }
    )
  })

  it("never throws on arbitrary input (property)", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ maxLength: 80 }), (s) => {
        const t = tokenize(s)
        expect(["Tokens", "Incomplete"]).toContain(t._tag)
      }),
      { numRuns: 500 }
    )
  })
})
