/**
 * Ctrl-R reverse incremental search over the REPL history, as bash and zsh have it (node:readline
 * has none): typed characters narrow the search, Ctrl-R again goes to an older match, Backspace
 * widens it, Ctrl-G or Esc puts the line back as it was, and any other key takes the match as the
 * line and is then handled as usual (Enter runs it, arrows edit it).
 */

/** The part of readline the search drives. */
export interface Editor {
  line: string
  cursor: number
  /** Where Up/Down are in the history (-1: the line being typed). */
  historyIndex: number
  getPrompt(): string
  setPrompt(prompt: string): void
  /** Redraws prompt and line, keeping the cursor. */
  prompt(preserveCursor?: boolean): void
}

/** A decoded key, as node:readline's `keypress` event gives it. */
export interface Key {
  readonly name?: string | undefined
  readonly ctrl?: boolean | undefined
  readonly meta?: boolean | undefined
}

const isPrintable = (s: string | undefined, key: Key): s is string =>
  s !== undefined && s.length > 0 && !key.ctrl && !key.meta && !/[\x00-\x1f\x7f]/.test(s)

export class ReverseSearch {
  private active = false
  private query = ""
  private index = -1
  private failed = false
  private saved = { line: "", cursor: 0, prompt: "" }

  constructor(private readonly editor: Editor, private readonly history: () => ReadonlyArray<string>) {}

  get isActive(): boolean {
    return this.active
  }

  /** Handles one key; `true` when the search consumed it, `false` to let readline have it. */
  key(s: string | undefined, key: Key | undefined): boolean {
    const k = key ?? {}
    if (!this.active) {
      if (k.ctrl && k.name === "r") {
        this.start()
        return true
      }
      return false
    }
    if (k.ctrl && k.name === "r") {
      this.search(this.index + 1)
      return true
    }
    if ((k.ctrl && k.name === "g") || k.name === "escape") {
      this.editor.line = this.saved.line
      this.editor.cursor = this.saved.cursor
      this.stop()
      return true
    }
    if (k.name === "backspace") {
      this.query = this.query.slice(0, -1)
      this.search(0)
      return true
    }
    if (isPrintable(s, k)) {
      this.query += s
      this.search(Math.max(this.index, 0))
      return true
    }
    // take the match and let readline act on the key
    this.editor.cursor = this.editor.line.length
    this.stop()
    return false
  }

  private start(): void {
    this.active = true
    this.query = ""
    this.index = -1
    this.failed = false
    this.saved = { line: this.editor.line, cursor: this.editor.cursor, prompt: this.editor.getPrompt() }
    this.render()
  }

  private search(from: number): void {
    if (this.query === "") {
      this.index = -1
      this.failed = false
      this.editor.line = this.saved.line
      this.editor.cursor = this.saved.cursor
      return this.render()
    }
    const entries = this.history()
    for (let i = from; i < entries.length; i++) {
      const at = entries[i].indexOf(this.query)
      if (at >= 0) {
        this.index = i
        this.failed = false
        this.editor.line = entries[i]
        this.editor.cursor = at
        return this.render()
      }
    }
    this.failed = true
    this.render()
  }

  private render(): void {
    this.editor.setPrompt(`(${this.failed ? "failed " : ""}reverse-i-search)\`${this.query}': `)
    this.editor.prompt(true)
  }

  private stop(): void {
    this.active = false
    this.editor.setPrompt(this.saved.prompt)
    this.editor.prompt(true)
  }
}
