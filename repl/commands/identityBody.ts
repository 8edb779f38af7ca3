/**
 * The body of `identities create` and `identities update`: `--file` as the base, flags on top
 * (`--trait`, `--state`, passwords, metadata).
 */
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { UsageError } from "../Errors.js"
import * as Input from "../Input.js"
import type { Io } from "../Io.js"

export const bodyFlags = {
  schemaId: Options.text("schema-id").pipe(Options.withDescription("Identity schema id (default: the project's default)"), Options.optional),
  traits: Options.text("trait").pipe(
    Options.withDescription("A trait as path=value, the value a string: email=a@b.c, name.first=Ann, username=12345"),
    Options.repeated
  ),
  traitsJson: Options.text("trait-json").pipe(
    Options.withDescription("A trait as path=JSON: age=42, newsletter=true, tags='[\"a\"]'"),
    Options.repeated
  ),
  externalId: Options.text("external-id").pipe(Options.withDescription("Your system's id for this identity"), Options.optional),
  state: Options.choice("state", ["active", "inactive"]).pipe(Options.optional),
  password: Options.redacted("password").pipe(Options.withDescription("Import a plaintext password (hashed by Kratos)"), Options.optional),
  passwordHash: Options.redacted("password-hash").pipe(
    Options.withDescription("Import a password hash (bcrypt, argon2, pbkdf2, scrypt, md5, sha...)"),
    Options.optional
  ),
  metadataPublic: Options.text("metadata-public").pipe(Options.withDescription("metadata_public as a JSON object"), Options.optional),
  metadataAdmin: Options.text("metadata-admin").pipe(Options.withDescription("metadata_admin as a JSON object"), Options.optional)
}

/** The parsed body flags. */
export interface BodyFlags {
  readonly schemaId: Option.Option<string>
  readonly traits: ReadonlyArray<string>
  readonly traitsJson: ReadonlyArray<string>
  readonly externalId: Option.Option<string>
  readonly state: Option.Option<string>
  readonly password: Option.Option<Redacted.Redacted<string>>
  readonly passwordHash: Option.Option<Redacted.Redacted<string>>
  readonly metadataPublic: Option.Option<string>
  readonly metadataAdmin: Option.Option<string>
}

/** Builds a create/update body: `base` (from `--file`, or the current identity) with the flags on top. */
export const bodyFromFlags = (base: Record<string, unknown>, flags: BodyFlags): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.gen(function*() {
    const body: Record<string, unknown> = { ...base }
    if (Option.isSome(flags.schemaId)) body.schema_id = flags.schemaId.value
    if (flags.traits.length > 0 || flags.traitsJson.length > 0) {
      const traits = { ...(typeof body.traits === "object" && body.traits !== null ? body.traits as Record<string, unknown> : {}) }
      const assigned = yield* Input.parseAssignments(flags.traits)
      yield* Input.parseAssignments(flags.traitsJson, "--trait-json", true, assigned)
      for (const [k, v] of Object.entries(assigned)) {
        traits[k] = v !== null && typeof v === "object" && !Array.isArray(v) && typeof traits[k] === "object" && traits[k] !== null
          ? { ...(traits[k] as Record<string, unknown>), ...(v as Record<string, unknown>) }
          : v
      }
      body.traits = traits
    }
    if (Option.isSome(flags.externalId)) body.external_id = flags.externalId.value
    if (Option.isSome(flags.state)) body.state = flags.state.value
    if (Option.isSome(flags.metadataPublic)) body.metadata_public = yield* Input.jsonObject(flags.metadataPublic.value, "--metadata-public")
    if (Option.isSome(flags.metadataAdmin)) body.metadata_admin = yield* Input.jsonObject(flags.metadataAdmin.value, "--metadata-admin")
    if (Option.isSome(flags.password) || Option.isSome(flags.passwordHash)) {
      if (Option.isSome(flags.password) && Option.isSome(flags.passwordHash)) {
        return yield* new UsageError({ message: "give --password or --password-hash, not both" })
      }
      body.credentials = {
        password: {
          config: Option.isSome(flags.password)
            ? { password: Redacted.value(flags.password.value) }
            : { hashed_password: Redacted.value(Option.getOrThrow(flags.passwordHash)) }
        }
      }
    }
    return body
  })

/** The JSON object of `--file` (`-` = stdin), or an empty base. */
export const readBase = (f: Option.Option<string>): Effect.Effect<Record<string, unknown>, UsageError, Io> =>
  Option.match(f, {
    onNone: () => Effect.succeed({}),
    onSome: (path) =>
      Effect.flatMap(Input.readJson(path), (v) =>
        v !== null && typeof v === "object" && !Array.isArray(v)
          ? Effect.succeed(v as Record<string, unknown>)
          : Effect.fail(new UsageError({ message: `${path === "-" ? "stdin" : path} must hold a JSON object` })))
  })

/** Whether any body flag was given. */
export const hasBodyFlags = (f: BodyFlags): boolean =>
  Option.isSome(f.schemaId) || f.traits.length > 0 || f.traitsJson.length > 0 || Option.isSome(f.externalId) || Option.isSome(f.state) ||
  Option.isSome(f.password) || Option.isSome(f.passwordHash) || Option.isSome(f.metadataPublic) ||
  Option.isSome(f.metadataAdmin)
