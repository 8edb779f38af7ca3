/**
 * `kratos-admin completion bash|zsh|fish`: prints the shell's completion script, generated from
 * the command tree it is given (the one-shot tree, so every command and flag of the binary).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { Io } from "../Io.js"
import { type GlobalFlag, script, shells } from "../ShellCompletion.js"
import type * as Tree from "../Tree.js"

/** Flags taken anywhere on the command line, outside the tree. */
export const globalFlags: ReadonlyArray<GlobalFlag> = [
  { names: ["--url"], takesValue: true, description: "Admin API base URL" },
  { names: ["--api-key"], takesValue: true, description: "API key" },
  { names: ["--context"], takesValue: true, context: true, description: "Use this context of the config file" },
  { names: ["--timeout"], takesValue: true, description: "Per attempt, until the response headers arrive (e.g. 30s)" },
  { names: ["--deadline"], takesValue: true, description: "The whole call, retries included (e.g. 2m)" },
  { names: ["--debug"], takesValue: false, description: "Every HTTP exchange on stderr" }
]

/** The command; `tree` is read when it runs (the tree it completes contains this command). */
export const completionCommand = (tree: () => Tree.Node) =>
  Command.make(
    "completion",
    { shell: Args.choice(shells.map((s) => [s, s] as const), { name: "shell" }).pipe(Args.withDescription("bash, zsh or fish")) },
    ({ shell }) =>
      Effect.flatMap(Io, (io) => io.out(script(shell, tree(), globalFlags)))
  ).pipe(
    Command.withDescription(
      "Print a shell completion script: source <(kratos-admin completion bash), or see the install line at its top"
    )
  )
