/**
 * The one-shot command tree, loaded for the words a command line starts with: `identities list`
 * loads the `identities` commands and nothing of the importer, the workflows, the sandbox or the
 * REPL; anything else (help, a typo, a group alone, the importer's commands) loads every command,
 * so help pages and "did you mean" suggestions see the whole tree.
 */
import * as Command from "@effect/cli/Command"
import type { shellRoot } from "./Commands.js"

/** The root's description (also the full tree's). */
export const rootDescription =
  "Ory Kratos admin Identity API from the command line. Global: --url URL --api-key KEY (or ORY_SDK_URL / ORY_API_KEY, KRATOS_ADMIN_URL)"

/** The full tree's type: a partial root runs with what the full one needs. */
export type ShellRoot = typeof shellRoot

// The `identities` commands of identities.ts itself (the importer's are mounted from elsewhere).
const identityCommands = new Set([
  "list",
  "get",
  "get-by-external-id",
  "create",
  "update",
  "patch",
  "delete",
  "delete-credentials",
  "sessions",
  "delete-sessions"
])

type AnyCommand = Command.Command<string, unknown, unknown, unknown>

const groups: Record<string, (second: string | undefined) => Promise<AnyCommand> | undefined> = {
  identities: (second) =>
    second !== undefined && identityCommands.has(second)
      ? import("./commands/identities.js").then((m) => m.identities([]) as AnyCommand)
      : undefined,
  sessions: () => import("./commands/sessions.js").then((m) => m.sessions as AnyCommand),
  schemas: () => import("./commands/schemas.js").then((m) => m.schemas as AnyCommand),
  recovery: () => import("./commands/recovery.js").then((m) => m.recovery as AnyCommand),
  status: () => import("./commands/status.js").then((m) => m.status as AnyCommand),
  sandbox: () => import("./commands/SandboxCommand.js").then((m) => m.sandboxCommand as AnyCommand),
  context: () => import("./commands/context.js").then((m) => m.context as AnyCommand)
}

/** The root for a command line (global flags already taken out). */
export const load = async (rest: ReadonlyArray<string>): Promise<ShellRoot> => {
  const firstFlag = rest.findIndex((t) => t.startsWith("-"))
  const words = firstFlag === -1 ? rest : rest.slice(0, firstFlag)
  const help = rest.includes("--help") || rest.includes("-h") || words[0] === "help"
  const group = help || words[0] === undefined || !Object.hasOwn(groups, words[0]) ? undefined : groups[words[0]]!(words[1])
  if (group === undefined) return (await import("./Commands.js")).shellRoot
  const root = Command.make("kratos-admin").pipe(
    Command.withDescription(rootDescription),
    Command.withSubcommands([await group])
  )
  return root as unknown as ShellRoot
}
