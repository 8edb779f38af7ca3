/**
 * Credentials of a create, batch or PUT body, as Kratos imports them: the password is checked
 * before anything is stored (a whole-request 400 in the batch), plaintext is hashed off-thread,
 * OIDC and SAML providers are kept as given.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { checkImportedHash, hashPassword } from "./hashing.js"
import type { ImportedCredentials, PasswordConfig } from "./model.js"

type Providers = { readonly config?: { readonly providers?: ReadonlyArray<object> | null | undefined } | null | undefined }

/** The credentials of a create, batch or PUT body, in any of the shapes they are decoded to. @internal */
export type BodyCredentials = {
  readonly password?: {
    readonly config?: {
      readonly hashed_password?: unknown
      readonly password?: unknown
      readonly use_password_migration_hook?: boolean | null | undefined
    } | null | undefined
  } | null | undefined
  readonly oidc?: Providers | null | undefined
  readonly saml?: Providers | null | undefined
} | null | undefined

/** What a password needs before it is stored. @internal */
export type PasswordPlan = { readonly plaintext: string } | { readonly config: PasswordConfig } | undefined

const reveal = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : Redacted.isRedacted(v) ? String(Redacted.value(v)) : String(v)

/** Pre-DB password checks (whole-request 400 in the batch). @internal */
export const planPassword = (credentials: BodyCredentials): PasswordPlan => {
  const password = credentials?.password
  if (!password) return undefined
  const config = password.config
  if (!config) return undefined
  if (config.use_password_migration_hook) return { config: { hashed_password: "", use_password_migration_hook: true } }
  const plaintext = reveal(config.password)
  if (plaintext !== undefined && plaintext.length > 0) return { plaintext }
  const hashed = reveal(config.hashed_password) ?? ""
  checkImportedHash(hashed)
  return { config: { hashed_password: hashed } }
}

/** Providers as Go stores them: `subject` and `provider` are strings even when absent, nulls are dropped. */
const providersOf = (c: Providers | null | undefined) =>
  c?.config?.providers?.map((p) => {
    const out: Record<string, unknown> = { subject: "", provider: "" }
    for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null) out[k] = v
    return out
  })

/** @internal */
export const finishCredentials = (
  credentials: BodyCredentials,
  password: PasswordConfig | undefined
): ImportedCredentials | undefined =>
  credentials
    ? { password, oidc: providersOf(credentials.oidc), saml: providersOf(credentials.saml) }
    : undefined

/** @internal */
export const resolvePassword = (plan: PasswordPlan, cost: number): Effect.Effect<PasswordConfig | undefined> =>
  plan === undefined
    ? Effect.succeed(undefined)
    : "plaintext" in plan
      ? Effect.map(hashPassword(plan.plaintext, cost), (hashed_password) => ({ hashed_password }))
      : Effect.succeed(plan.config)

/** A batch's passwords: only plaintext ones need a fiber (hashing runs off-thread). @internal */
export const resolvePasswords = (
  plans: ReadonlyArray<PasswordPlan>,
  cost: number
): Effect.Effect<ReadonlyArray<PasswordConfig | undefined>> => {
  const out = plans.map((p) => p !== undefined && "config" in p ? p.config : undefined)
  const plain: Array<number> = []
  plans.forEach((p, n) => {
    if (p !== undefined && "plaintext" in p) plain.push(n)
  })
  if (plain.length === 0) return Effect.succeed(out)
  return Effect.as(
    Effect.forEach(plain, (n) => Effect.map(resolvePassword(plans[n], cost), (c) => {
      out[n] = c
    }), { concurrency: 8, discard: true }),
    out
  )
}
