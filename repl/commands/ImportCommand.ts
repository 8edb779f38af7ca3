/**
 * `identities import <file...|->`: bulk import through `src/Import.ts`, with a progress line on a
 * terminal (a plain line every few seconds otherwise), a summary, a failures file and a journal
 * for `--resume`. Fails with `ImportIncomplete` (exit 1) unless every record was imported.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import { maxItems, maxPlaintextItems } from "../../src/BatchPatch.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import type * as Import from "../../src/Import.js"
// the defaults alone, without the importer (which loads when the command runs)
import { importDefaults } from "../../src/internal/import/model.js"
import { commandLine, interruptedLines, resumeCommand } from "./importResume.js"
import { migratedImport, migrationOptions } from "./migrateSource.js"
import { UsageError } from "../Errors.js"
import { Io } from "../Io.js"
import * as Print from "../Print.js"

const files = Args.text({ name: "file" }).pipe(
  Args.withDescription("JSONL, a JSON array or concatenated JSON objects of create-identity bodies; - for stdin"),
  Args.atLeast(1)
)
const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("Decode, validate against the identity schema and find duplicates; send nothing")
)
const concurrency = Options.integer("concurrency").pipe(
  Options.withDescription(
    `Batch requests on the wire (default ${importDefaults.concurrency}, as Ory Network requires; raise it for a self-hosted Kratos)`
  ),
  Options.withDefault(importDefaults.concurrency)
)
const batchSize = Options.integer("batch-size").pipe(
  Options.withDescription(`Largest batch (max ${maxItems}; plaintext-password batches are capped at ${maxPlaintextItems})`),
  Options.withDefault(importDefaults.batchSize)
)
const prehash = Options.boolean("prehash").pipe(
  Options.withDescription(`bcrypt plaintext passwords locally (all cores) so the server does no hashing and batches can be ${maxItems}`)
)
const prehashCost = Options.integer("prehash-cost").pipe(
  Options.withDescription(`bcrypt cost for --prehash (default ${importDefaults.prehashCost}, Kratos' own)`),
  Options.withDefault(importDefaults.prehashCost)
)
const journal = Options.file("journal").pipe(
  Options.withDescription("Journal path (default <file>.journal.jsonl; stdin or a pipe: none unless given)"),
  Options.optional
)
const resume = Options.boolean("resume").pipe(
  Options.withDescription("Continue from the journal: skip confirmed lines, look up lines sent without a result")
)
const retryFailed = Options.boolean("retry-failed").pipe(
  Options.withDescription("With --resume: send again the records the journal holds as failed (fix them in the input first)")
)
const restart = Options.boolean("restart").pipe(
  Options.withDescription("Start over: replace a journal that holds an earlier import of this file")
)
const failures = Options.file("failures").pipe(
  Options.withDescription("Failures file (default <file>.failures.jsonl): fix it and import it again"),
  Options.optional
)
const schemaFile = Options.file("schema-file").pipe(
  Options.withDescription("Validate traits against this identity schema (JSON) instead of the server's: with --dry-run, no server is needed"),
  Options.optional
)
const quiet = Options.boolean("quiet").pipe(Options.withAlias("q"), Options.withDescription("No progress output"))
const output = Options.choice("output", ["table", "json"]).pipe(
  Options.withAlias("o"),
  Options.withDescription("Summary format (default: table on a terminal, json otherwise)"),
  Options.optional
)

const plainInterval = 5_000

const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "?"
  const s = Math.round(seconds)
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60
    ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
    : `${s}s`
}

/** One progress line, e.g. `42% 420000 read, 419000 done (12 failed) 4100/s ETA 2m10s batch 1000 retries 3`. */
export const progressLine = (p: Import.ImportProgress): string =>
  [
    p.fraction !== undefined ? `${Math.floor(p.fraction * 100)}%` : undefined,
    `${p.read} read, ${p.done} done (${p.imported} imported, ${p.failed} not)`,
    `${Math.round(p.rate)}/s`,
    p.etaSeconds !== undefined ? `ETA ${formatDuration(p.etaSeconds)}` : undefined,
    `batch ${p.batchSize}`,
    p.retries > 0 ? `retries ${p.retries}` : undefined,
    p.waiting !== undefined ? `waiting ${formatDuration(p.waiting.seconds)} (${p.waiting.reason})` : undefined
  ].filter((s) => s !== undefined).join("  ")

const summaryView = (r: Import.ImportReport) => ({
  source: r.source,
  ...(r.dryRun ? { "dry run": "yes (nothing sent)", valid: r.valid } : {}),
  records: r.records,
  created: r.created,
  "already present": r.alreadyPresent,
  ...(r.updated > 0 ? { "updated (edited since imported)": r.updated } : {}),
  failed: r.failed,
  conflicts: r.conflicts,
  unknown: r.unknown,
  invalid: r.invalid,
  malformed: r.malformed,
  ...(r.malformedAt !== undefined ? { "malformed at (line:byte)": r.malformedAt.map((m) => `${m.line}:${m.offset}`).join(", ") } : {}),
  duplicates: r.duplicates,
  ...(r.resumed > 0 ? { "resumed (done before)": r.resumed } : {}),
  retried: r.retried,
  reconciled: r.reconciled,
  batches: r.batches,
  "batches split": r.batchesSplit,
  duration: formatDuration(r.durationMs / 1000),
  "records/s": r.recordsPerSecond,
  ...(Object.keys(r.failuresByReason).length > 0 ? { "failures by reason": r.failuresByReason } : {}),
  ...(r.failuresFile !== undefined && !r.complete ? { "failures file": r.failuresFile } : {}),
  ...(r.journal !== undefined ? { journal: r.journal } : {}),
  ...(r.warnings.length > 0 ? { warnings: r.warnings } : {})
})

/** The identity schema of `--schema-file`: JSON, or a usage error naming the file. */
const readSchemaFile = (file: string) =>
  Effect.try({
    try: () => ({ name: file, document: JSON.parse(fs.readFileSync(file, "utf8")) as unknown }),
    catch: (e) => new UsageError({ message: `--schema-file ${file}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : e instanceof Error ? e.message : String(e)}` })
  })

/** @since 0.1.0 */
export const importCommand = Command.make(
  "import",
  { files, dryRun, concurrency, batchSize, prehash, prehashCost, journal, resume, retryFailed, restart, failures, schemaFile, quiet, output, ...migrationOptions },
  (o) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const io = yield* Io
      // the importer (and bcrypt, for --prehash) loads with the command that uses it
      const Import = yield* Effect.promise(() => import("../../src/Import.js"))
      const format = yield* Print.resolveFormat(o.output)
      if (o.concurrency < 1) return yield* new UsageError({ message: "--concurrency must be at least 1" })
      if (o.batchSize < 1 || o.batchSize > maxItems) return yield* new UsageError({ message: `--batch-size must be 1..${maxItems}` })
      if (o.prehashCost < 4 || o.prehashCost > 15) return yield* new UsageError({ message: "--prehash-cost must be 4..15 (Kratos refuses more than 15)" })
      if (o.files.length > 1 && (Option.isSome(o.journal) || Option.isSome(o.failures))) {
        return yield* new UsageError({ message: "--journal and --failures take one input file" })
      }
      if (o.resume && o.restart) return yield* new UsageError({ message: "--resume and --restart exclude each other" })
      if (o.retryFailed && !o.resume) return yield* new UsageError({ message: "--retry-failed goes with --resume" })
      if (o.files.filter((f) => f === "-").length > 1) return yield* new UsageError({ message: "stdin (-) can be read once" })
      const identitySchema = Option.isNone(o.schemaFile) ? undefined : yield* readSchemaFile(o.schemaFile.value)
      const stderrTTY = process.stderr.isTTY === true
      const incomplete: Array<Import.ImportReport> = []
      for (const file of o.files) {
        const options: Import.ImportOptions = {
          dryRun: o.dryRun,
          concurrency: o.concurrency,
          batchSize: o.batchSize,
          resume: o.resume,
          retryFailed: o.retryFailed,
          restart: o.restart,
          ...(o.prehash ? { prehash: { cost: o.prehashCost } } : {}),
          ...(Option.isSome(o.journal) ? { journal: o.journal.value } : {}),
          ...(Option.isSome(o.failures) ? { failures: o.failures.value } : {}),
          ...(identitySchema !== undefined ? { identitySchema } : {})
        }
        let lastPlain = Date.now()
        let lastProgress: Import.ImportProgress | undefined
        // a pipe named by a path (`<(zcat …)`) has no journal beside it, as stdin has none
        const piped = file !== "-" && Import.defaultPaths(file).journal === undefined
        const journaled = Option.isSome(o.journal) || (file !== "-" && !piped)
        const migrated = yield* migratedImport(Import, api, o, file, options)
        const report = yield* (migrated ?? Import.importFileWith(api, file, options)).pipe(
          Stream.runFoldEffect(undefined as Import.ImportReport | undefined, (acc, event) => {
            switch (event._tag) {
              case "Finished":
                return Effect.as(o.quiet ? Effect.void : io.progress(undefined), event.report)
              case "Warning":
                return Effect.as(io.err(`warning: ${event.message}`), acc)
              case "Progress": {
                lastProgress = event.progress
                if (o.quiet) return Effect.succeed(acc)
                if (stderrTTY) return Effect.as(io.progress(progressLine(event.progress)), acc)
                const now = Date.now()
                if (now - lastPlain < plainInterval) return Effect.succeed(acc)
                lastPlain = now
                return Effect.as(io.err(`${file}: ${progressLine(event.progress)}`), acc)
              }
              default:
                return Effect.succeed(acc)
            }
          }),
          // Ctrl-C: what was done so far, and the command that goes on from there
          Effect.onInterrupt(() =>
            Effect.gen(function*() {
              if (!o.quiet) yield* io.progress(undefined)
              const resume = o.dryRun
                ? { none: "dry run: nothing was sent" }
                : !journaled
                ? { none: `no journal (${file === "-" ? "stdin" : "a pipe"}): the import cannot be resumed; give --journal to make it resumable` }
                : resumeCommand(commandLine(), file, {
                  journal: Option.getOrUndefined(o.journal),
                  failures: Option.getOrUndefined(o.failures)
                }) + (piped ? ` (${file} was a pipe: give the same input again in its place)` : "")
              for (const line of interruptedLines(file, lastProgress, resume)) yield* io.err(line)
            })
          )
        )
        if (report === undefined) continue
        yield* Print.one("value", format === "table" ? summaryView(report) : report, format)
        if (!report.complete) incomplete.push(report)
      }
      if (incomplete.length > 0) {
        const first = incomplete[0]
        return yield* new Import.ImportIncomplete({
          message: incomplete.map(Import.incompleteMessage).join("; "),
          report: first
        })
      }
    })
).pipe(
  Command.withDescription(
    "Bulk-import identities (batches of 1000, resumable, no duplicates): identities import <file...|-> [--dry-run] [--prehash]"
  )
)
