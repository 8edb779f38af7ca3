/**
 * Ends every run with one plain line, `Tests: N passed, N failed, N skipped`, which tools that do not know
 * vitest's own summary can read.
 */
import type { Reporter, TestModule } from "vitest/node"

export default class SummaryReporter implements Reporter {
  private line = ""

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failed++
        else skipped++
      }
      if (module.state() === "failed" && module.children.size === 0) failed++
    }
    this.line = `Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`
  }

  // After the default reporter's summary, so the plain line closes the output.
  onFinished(): void {
    if (this.line) process.stdout.write(`${this.line}\n`)
  }
}
