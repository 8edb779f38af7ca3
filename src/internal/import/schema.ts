/**
 * Trait validation against the identity schema the server serves: ajv with formats, the
 * `ory.sh/kratos` extension keys removed, one compiled validator per schema id, and the trait
 * paths the extension marks as password identifiers (what Kratos makes unique).
 */
import { topLevel } from "../wireCheck.js"
import { Ajv, type ErrorObject, type Plugin, type ValidateFunction } from "ajv"
import * as AjvFormats from "ajv-formats"
import { isGoEmail } from "../goEmailFormat.js"
import { keepHiddenClass } from "../hiddenClass.js"

const extension = "ory.sh/kratos"

// ajv-formats is CJS with a `default` export; under NodeNext interop the plugin may sit one `.default` deeper.
const formatsModule = AjvFormats as unknown as { default: Plugin<unknown> | { default: Plugin<unknown> } }
const withFormats: Plugin<unknown> = typeof formatsModule.default === "function"
  ? formatsModule.default
  : formatsModule.default.default

/** A compiled identity schema. */
export interface CompiledSchema {
  readonly id: string
  readonly validate: ValidateFunction
  /** Trait paths marked `credentials.password.identifier`. */
  readonly identifierPaths: ReadonlyArray<ReadonlyArray<string>>
}

const withoutExtensions = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withoutExtensions)
  if (node === null || typeof node !== "object") return node
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(node)) {
    // `$schema`/`$id` would make ajv look up meta-schemas and ids across compilations.
    if (key === extension || key === "$schema" || key === "$id") continue
    out[key] = withoutExtensions((node as Record<string, unknown>)[key])
  }
  return out
}

const findIdentifiers = (node: unknown, path: Array<string>, out: Array<ReadonlyArray<string>>): void => {
  if (node === null || typeof node !== "object") return
  const record = node as Record<string, unknown>
  const ext = record[extension] as { credentials?: { password?: { identifier?: unknown } } } | undefined
  if (ext?.credentials?.password?.identifier === true) out.push([...path])
  const properties = record.properties
  if (properties !== null && typeof properties === "object") {
    for (const [key, child] of Object.entries(properties)) findIdentifiers(child, [...path, key], out)
  }
}

// Compiling takes tens of milliseconds: a session that imports file after file reuses the result.
const compiled = new Map<string, CompiledSchema>()
const maxCompiled = 32

/** Compiles a schema document (throws on a schema ajv cannot compile); the same document is compiled once. */
export const compile = (id: string, document: unknown): CompiledSchema => {
  const key = `${id}\n${JSON.stringify(document)}`
  const hit = compiled.get(key)
  if (hit !== undefined) return hit
  const schema = compileUncached(id, document)
  if (compiled.size >= maxCompiled) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, schema)
  return schema
}

const compileUncached = (id: string, document: unknown): CompiledSchema => {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false })
  withFormats(ajv)
  // Kratos' email format, not ajv-formats' stricter regex: a record Kratos takes is never refused here
  ajv.addFormat("email", isGoEmail)
  const validate = ajv.compile(withoutExtensions(document) as object)
  const identifierPaths: Array<ReadonlyArray<string>> = []
  const traits = (document as { properties?: { traits?: unknown } } | null)?.properties?.traits
  findIdentifiers(traits, [], identifierPaths)
  return { id, validate, identifierPaths }
}

const describe = (e: ErrorObject): string => {
  const where = e.instancePath === "" ? "#" : e.instancePath
  const params = e.params as Record<string, unknown>
  if (e.keyword === "required") return `${where}: missing property "${String(params.missingProperty)}"`
  if (e.keyword === "additionalProperties") return `${where}: property "${String(params.additionalProperty)}" is not allowed`
  return `${where}: ${e.message ?? e.keyword}`
}

// Hot (once a record): one wrapper reused rather than an object a call.
const document: { traits: unknown } = { traits: undefined }

/** `undefined` when the traits are valid, else the reasons (one per error). */
export const check = (schema: CompiledSchema, traits: unknown): string | undefined => {
  document.traits = traits
  const valid = schema.validate(document, topLevel(document))
  document.traits = undefined
  return valid ? undefined : (schema.validate.errors ?? []).map(describe).join("; ")
}

/** The password identifiers the traits declare, normalised as Kratos does (trimmed, lowercased). */
export const identifiers = (schema: CompiledSchema, traits: unknown): Array<string> => {
  const out = new Identifiers()
  out.read(schema, traits)
  return out.items.slice(0, out.length)
}

/**
 * A record's identifiers, read into one list the importer reuses for every record (its array keeps
 * its room: no array, nor growing one, per record).
 */
export class Identifiers {
  readonly items: Array<string> = []
  length = 0

  read(schema: CompiledSchema, traits: unknown): void {
    this.length = 0
    const paths = schema.identifierPaths
    for (let p = 0; p < paths.length; p++) {
      const path = paths[p]
      let cur: unknown = traits
      for (let i = 0; i < path.length; i++) {
        cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[path[i]] : undefined
      }
      if (Array.isArray(cur)) for (let i = 0; i < cur.length; i++) this.add(cur[i])
      else this.add(cur)
    }
  }

  private add(v: unknown): void {
    if (typeof v !== "string") return
    const id = v.trim().toLowerCase()
    if (id.length === 0) return
    for (let i = 0; i < this.length; i++) if (this.items[i] === id) return
    if (this.length < this.items.length) this.items[this.length] = id
    else this.items.push(id)
    this.length++
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new Identifiers())
