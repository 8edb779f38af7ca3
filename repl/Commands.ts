/**
 * The two roots over the same commands: the shell's (`repl` included) and the REPL's (`connect`
 * included). Commands owned by other modules (import, sandbox) are mounted here.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { applyCommand, diffCommand } from "./commands/applyCommand.js"
import { activateCommand, deactivateCommand } from "./commands/bulkCommand.js"
import { completionCommand } from "./commands/completion.js"
import { connect } from "./commands/connect.js"
import { context } from "./commands/context.js"
import { exportCommand } from "./commands/exportCommand.js"
import { identities } from "./commands/identities.js"
import { importCommand } from "./commands/ImportCommand.js"
import { recovery } from "./commands/recovery.js"
import { sandboxCommand } from "./commands/SandboxCommand.js"
import { schemas } from "./commands/schemas.js"
import { sessions } from "./commands/sessions.js"
import { status } from "./commands/status.js"
import { rootDescription } from "./ShellRoot.js"
import * as Tree from "./Tree.js"

const importCommands = [importCommand, exportCommand, deactivateCommand, activateCommand, applyCommand, diffCommand] as const

const replCommand = Command.make("repl", {}, () => Effect.void).pipe(
  Command.withDescription("Interactive shell (the default on a terminal); without a configured server it starts an embedded sandbox")
)

/** The one-shot tree. */
export const shellRoot = Command.make("kratos-admin").pipe(
  Command.withDescription(rootDescription),
  Command.withSubcommands([
    identities(importCommands),
    sessions,
    schemas,
    recovery,
    status,
    sandboxCommand,
    replCommand,
    context,
    completionCommand((): Tree.Node => Tree.fromCommand(shellRoot, "kratos-admin"))
  ])
)

/** The REPL tree: the same operations plus `connect`. */
export const replRoot = Command.make("kratos-admin").pipe(
  Command.withSubcommands([identities(importCommands), sessions, schemas, recovery, status, connect, context, sandboxCommand])
)
