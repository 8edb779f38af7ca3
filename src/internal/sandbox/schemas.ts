/**
 * Identity JSON schemas: ajv validation of traits (compiled once per schema) and the
 * `ory.sh/kratos` extension, which says which traits are credential identifiers, verifiable
 * and recovery addresses.
 */
import Ajv from "ajv"
import type { ErrorObject, ValidateFunction } from "ajv"
import addFormats from "ajv-formats"
import { isGoEmail } from "../goEmailFormat.js"
import { fail } from "./response.js"
import { valueAt as at } from "../jsonPointer.js"

/** @internal */
export interface SchemaEntry {
  readonly id: string
  readonly schema: object
  readonly validate: ValidateFunction
  /** Trait paths (JSON pointers under `/traits`) and what the extension says about them. */
  readonly extensions: ReadonlyArray<{ readonly path: ReadonlyArray<string>; readonly ext: KratosExtension }>
}

interface KratosExtension {
  readonly credentials?: {
    readonly password?: { readonly identifier?: boolean }
    readonly webauthn?: { readonly identifier?: boolean }
    readonly passkey?: { readonly display_name?: boolean }
    readonly code?: { readonly identifier?: boolean; readonly via?: string }
  }
  readonly verification?: { readonly via?: string }
  readonly recovery?: { readonly via?: string }
}

const extKey = "ory.sh/kratos"

// ajv-formats and ajv ship CJS default exports; under NodeNext the callable sits on `.default`.
type AjvClass = typeof Ajv.default
const AjvCtor = ((Ajv as unknown as { default?: AjvClass }).default ?? (Ajv as unknown as AjvClass))
type AddFormats = typeof addFormats.default
const addFormatsFn = ((addFormats as unknown as { default?: AddFormats }).default ?? (addFormats as unknown as AddFormats))

const ajv = new AjvCtor({ allErrors: true, strict: false, validateSchema: false })
addFormatsFn(ajv)
// the addresses Kratos v26.2.0 takes for an email, not ajv-formats' stricter regex
ajv.addFormat("email", isGoEmail)

const stripExtensions = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stripExtensions)
  if (value === null || typeof value !== "object") return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (k === extKey || k === "$schema" || k === "$id") continue
    out[k] = stripExtensions(v)
  }
  return out
}

const collectExtensions = (
  node: unknown,
  path: ReadonlyArray<string>,
  out: Array<{ path: ReadonlyArray<string>; ext: KratosExtension }>
): void => {
  if (node === null || typeof node !== "object") return
  const n = node as Record<string, unknown>
  if (n[extKey] && typeof n[extKey] === "object") out.push({ path, ext: n[extKey] as KratosExtension })
  // An array trait carries the extension on `items`; its values are the array's strings.
  if (n.items && typeof n.items === "object" && !Array.isArray(n.items)) collectExtensions(n.items, path, out)
  const props = n.properties
  if (props && typeof props === "object") {
    for (const [k, v] of Object.entries(props)) collectExtensions(v, [...path, k], out)
  }
}

/** @internal */
export const compileSchema = (id: string, schema: object): SchemaEntry => {
  const validate = ajv.compile(stripExtensions(schema) as object)
  const extensions: Array<{ path: ReadonlyArray<string>; ext: KratosExtension }> = []
  const traits = (schema as { properties?: { traits?: unknown } }).properties?.traits
  collectExtensions(traits, [], extensions)
  return { id, schema, validate, extensions }
}

const goType = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v

// Messages in the words of santhosh-tekuri/jsonschema, which Kratos uses.
const describe = (e: ErrorObject, doc: unknown): string => {
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case "type":
      return `expected ${String(p.type)}, but got ${goType(at(doc, e.instancePath))}`
    case "required":
      return `missing properties: "${String(p.missingProperty)}"`
    case "additionalProperties":
      return `additionalProperties "${String(p.additionalProperty)}" not allowed`
    case "format":
      return `${JSON.stringify(at(doc, e.instancePath))} is not valid "${String(p.format)}"`
    case "minLength":
      return `length must be >= ${String(p.limit)}, but got ${String((at(doc, e.instancePath) as string).length)}`
    case "maxLength":
      return `length must be <= ${String(p.limit)}, but got ${String((at(doc, e.instancePath) as string).length)}`
    case "enum":
      return `value must be one of ${((p.allowedValues as Array<unknown>) ?? []).map((v) => JSON.stringify(v)).join(", ")}`
    case "pattern":
      return `does not match pattern ${JSON.stringify(p.pattern)}`
    default:
      return e.message ?? "validation failed"
  }
}

/** Validates `{traits}` against the schema; throws Kratos' 400 with the jsonschema text as reason. @internal */
export const validateTraits = (entry: SchemaEntry, traits: unknown): void => {
  const doc = { traits }
  if (entry.validate(doc)) return
  const lines = (entry.validate.errors ?? []).map(
    (e) => `I[#${e.instancePath}] S[${e.schemaPath}] ${describe(e, doc)}`
  )
  fail(400, { reason: lines.length === 1 ? lines[0] : `validation failed\n  ${lines.join("\n  ")}` })
}

/** What the extension derives from traits. @internal */
export interface Derived {
  readonly password: ReadonlyArray<string>
  readonly webauthn: ReadonlyArray<string>
  readonly code: ReadonlyArray<{ readonly value: string; readonly via: string }>
  readonly verification: ReadonlyArray<{ readonly value: string; readonly via: string }>
  readonly recovery: ReadonlyArray<{ readonly value: string; readonly via: string }>
}

const valuesAt = (traits: unknown, path: ReadonlyArray<string>): Array<string> => {
  let cur: unknown = traits
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return []
    cur = (cur as Record<string, unknown>)[seg]
  }
  if (typeof cur === "string") return [cur]
  if (Array.isArray(cur)) return cur.filter((v): v is string => typeof v === "string")
  return []
}

const uniq = <A>(xs: Array<A>, key: (a: A) => string): Array<A> => {
  if (xs.length < 2) return xs
  const seen = new Set<string>()
  return xs.filter((x) => (seen.has(key(x)) ? false : (seen.add(key(x)), true)))
}

/** Normalizes an identifier as Kratos' graceful normalization does for emails and usernames. @internal */
export const normalizeIdentifier = (s: string): string => s.trim().toLowerCase()

/** @internal */
export const derive = (entry: SchemaEntry, traits: unknown): Derived => {
  const password: Array<string> = []
  const webauthn: Array<string> = []
  const code: Array<{ value: string; via: string }> = []
  const verification: Array<{ value: string; via: string }> = []
  const recovery: Array<{ value: string; via: string }> = []
  for (const { ext, path } of entry.extensions) {
    const values = valuesAt(traits, path)
    if (values.length === 0) continue
    for (const raw of values) {
      const v = normalizeIdentifier(raw)
      if (ext.credentials?.password?.identifier) password.push(v)
      if (ext.credentials?.webauthn?.identifier) webauthn.push(v)
      if (ext.credentials?.code?.identifier) code.push({ value: v, via: ext.credentials.code.via ?? "email" })
      if (ext.verification?.via) verification.push({ value: v, via: ext.verification.via })
      if (ext.recovery?.via) recovery.push({ value: v, via: ext.recovery.via })
    }
  }
  const k = (a: { value: string; via: string }) => `${a.via}\u0000${a.value}`
  return {
    password: uniq(password, (s) => s),
    webauthn: uniq(webauthn, (s) => s),
    code: uniq(code, k),
    verification: uniq(verification, k),
    recovery: uniq(recovery, k)
  }
}

/** The default "default" schema: email (password identifier, verification, recovery) and name. @internal */
export const defaultIdentitySchema: object = {
  $id: "https://schemas.ory.sh/presets/kratos/identity.email.schema.json",
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Person",
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        email: {
          type: "string",
          format: "email",
          title: "E-Mail",
          minLength: 3,
          maxLength: 320,
          [extKey]: {
            credentials: { password: { identifier: true } },
            verification: { via: "email" },
            recovery: { via: "email" }
          }
        },
        name: {
          type: "object",
          properties: { first: { type: "string", title: "First name" }, last: { type: "string", title: "Last name" } }
        }
      },
      required: ["email"],
      additionalProperties: false
    }
  }
}

/** A second schema for demo data: customers log in with email or username. @internal */
export const customerIdentitySchema: object = {
  $id: "https://example.com/customer.schema.json",
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Customer",
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        email: {
          type: "string",
          format: "email",
          [extKey]: {
            credentials: { password: { identifier: true } },
            verification: { via: "email" },
            recovery: { via: "email" }
          }
        },
        username: {
          type: "string",
          minLength: 3,
          pattern: "^[a-zA-Z0-9_.-]+$",
          [extKey]: { credentials: { password: { identifier: true } } }
        },
        plan: { type: "string", enum: ["free", "pro", "enterprise"] }
      },
      required: ["email", "username"],
      additionalProperties: false
    }
  }
}
