/**
 * What `identities import` tells on Ctrl-C: the summary so far and the exact command that resumes
 * the import (the user's own command line with `--resume` instead of `--restart`).
 */
import type * as Import from "../../src/Import.js"
import { shellWord } from "../../src/internal/shellWord.js"


/**
 * The command that resumes: `argv` (the words after `kratos-admin`, as the user typed them) with
 * `--restart` dropped and `--resume` added. Without a command line (in the shell) it is built from
 * the file and the journal and failures paths.
 */
export const resumeCommand = (
  argv: ReadonlyArray<string> | undefined,
  file: string,
  paths: { readonly journal?: string | undefined; readonly failures?: string | undefined }
): string => {
  const words = argv !== undefined
    ? argv.filter((w) => w !== "--restart")
    : [
      "identities",
      "import",
      file,
      ...(paths.journal !== undefined ? ["--journal", paths.journal] : []),
      ...(paths.failures !== undefined ? ["--failures", paths.failures] : [])
    ]
  if (!words.includes("--resume")) words.push("--resume")
  return ["kratos-admin", ...words].map(shellWord).join(" ")
}

/** The words after `kratos-admin` when this process runs a one-shot `identities import`, else undefined (the shell). */
export const commandLine = (argv: ReadonlyArray<string> = process.argv.slice(2)): ReadonlyArray<string> | undefined => {
  const at = argv.indexOf("identities")
  return at >= 0 && argv[at + 1] === "import" ? argv : undefined
}

/** The lines printed when an import is interrupted; `resume` is the command, or why there is none. */
export const interruptedLines = (
  file: string,
  progress: Import.ImportProgress | undefined,
  resume: string | { readonly none: string }
): ReadonlyArray<string> => [
  `interrupted: ${file}: ` + (progress === undefined
    ? "nothing finished yet"
    : `${progress.done} record(s) finished (${progress.imported} imported, ${progress.failed} not) of ${progress.read} read, ` +
      `in ${Math.round(progress.elapsedMs / 1000)}s`),
  typeof resume === "string" ? `the journal keeps what was done; resume with: ${resume}` : resume.none
]
