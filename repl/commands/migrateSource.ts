/**
 * `identities import --from auth0|firebase FILE`: the other system's export read and mapped to
 * create bodies (`src/Migrate.ts`) before the importer sees them; a record that cannot be mapped
 * is reported by the importer as a malformed line, with the reason.
 */
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { Service } from "../../src/IdentityApi.js"
import type * as ImportModule from "../../src/Import.js"
import * as Migrate from "../../src/Migrate.js"
import { UsageError } from "../Errors.js"
import { readFileOrStdin } from "../Io.js"
import type { Io } from "../Io.js"

export const migrationOptions = {
  from: Options.choice("from", ["auth0", "firebase"]).pipe(
    Options.withDescription("The file is another system's user export: Auth0 (JSON Lines or array) or Firebase (auth:export JSON)"),
    Options.optional
  ),
  firebaseHashConfig: Options.text("firebase-hash-config").pipe(
    Options.withDescription("Firebase's password hash parameters (as the console prints them, or JSON) for --from firebase"),
    Options.optional
  )
}

type Item = ImportModule.SourceItem

const mapped = (line: number, body: ReturnType<typeof Migrate.fromAuth0>): Item =>
  typeof body === "string"
    ? { _tag: "Malformed", line, reason: body, bytes: 0 }
    : { _tag: "Value", line, value: body, bytes: 0 }

/** The import of a migrated file, or `undefined` without `--from`. */
export const migratedImport = (
  Import: typeof ImportModule,
  api: Service,
  flags: { readonly from: Option.Option<"auth0" | "firebase">; readonly firebaseHashConfig: Option.Option<string> },
  file: string,
  options: ImportModule.ImportOptions
): Effect.Effect<Stream.Stream<ImportModule.ImportEvent, ImportModule.ImportError> | undefined, UsageError, Io> =>
  Effect.gen(function*() {
    if (Option.isNone(flags.from)) {
      if (Option.isSome(flags.firebaseHashConfig)) return yield* new UsageError({ message: "--firebase-hash-config goes with --from firebase" })
      return undefined
    }
    const run = (source: Stream.Stream<Item, ImportModule.ImportError>) =>
      Import.runWith(api, source, { source: file, ...Import.defaultPaths(file), ...options })
    if (flags.from.value === "auth0") {
      const source = Import.readFile(file).pipe(Stream.map((item): Item => {
        if (item._tag !== "Text") return item._tag === "Value" ? mapped(item.line, Migrate.fromAuth0(item.value)) : item
        try {
          return mapped(item.line, Migrate.fromAuth0(JSON.parse(item.text)))
        } catch {
          return { _tag: "Malformed", line: item.line, reason: "not JSON", bytes: 0 }
        }
      }))
      return run(source)
    }
    const config = Option.isSome(flags.firebaseHashConfig)
      ? Migrate.parseFirebaseHashConfig(yield* readFileOrStdin(flags.firebaseHashConfig.value))
      : undefined
    if (typeof config === "string") return yield* new UsageError({ message: `--firebase-hash-config: ${config}` })
    const text = yield* readFileOrStdin(file)
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch {
      return yield* new UsageError({ message: `${file} is not a Firebase export (JSON with "users")` })
    }
    const users = Migrate.firebaseUsers(document)
    return run(Stream.fromIterable(users.map((u, i) => mapped(i + 1, Migrate.fromFirebase(u, config)))))
  })
