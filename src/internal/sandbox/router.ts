/**
 * Routing: the operation table's paths matched against a request (with Kratos' admin prefix
 * rules), and the route module serving each operation.
 */
import * as Option from "effect/Option"
import type * as Operation from "../../Operation.js"
import { type OperationName, operations } from "../../Operations.js"
import type { Handler } from "./request.js"
import { batchPatchIdentities } from "./routes/batch.js"
import { deleteIdentityCredentials } from "./routes/credentials.js"
import {
  createIdentity,
  deleteIdentity,
  getIdentity,
  getIdentityByExternalID,
  listIdentities,
  updateIdentity
} from "./routes/identities.js"
import { patchIdentity } from "./routes/identityPatch.js"
import { createRecoveryCodeForIdentity, createRecoveryLinkForIdentity } from "./routes/recovery.js"
import { getIdentitySchema, listIdentitySchemas } from "./routes/schemas.js"
import {
  deleteIdentitySessions,
  disableSession,
  extendSession,
  getSession,
  listIdentitySessions,
  listSessions
} from "./routes/sessions.js"

/** The handler of each operation. @internal */
export const handlers: Record<OperationName, Handler> = {
  listIdentities,
  batchPatchIdentities,
  createIdentity,
  getIdentityByExternalID,
  deleteIdentity,
  getIdentity,
  patchIdentity,
  updateIdentity,
  deleteIdentityCredentials,
  deleteIdentitySessions,
  listIdentitySessions,
  createRecoveryCodeForIdentity,
  createRecoveryLinkForIdentity,
  listSessions,
  disableSession,
  getSession,
  extendSession,
  listIdentitySchemas,
  getIdentitySchema
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** A matched route: the operation and its decoded path parameters. @internal */
export interface Route {
  readonly operation: Operation.Operation
  readonly params: Readonly<Record<string, string>>
}

// Path patterns compiled once: matching sits on every request's path.
let patterns: ReadonlyArray<{ readonly op: Operation.Operation; readonly names: ReadonlyArray<string>; readonly pattern: RegExp }> | undefined
const compiled = () =>
  (patterns ??= (Object.values(operations) as ReadonlyArray<Operation.Operation>).map((op) => {
    const names: Array<string> = []
    const pattern = new RegExp(
      "^" + op.path.replace(/\{([^}]+)\}/g, (_, n: string) => (names.push(n), "([^/]+)")) + "$"
    )
    return { op, names, pattern }
  }))

/** The operation serving a method and a concrete path as the table writes it. @internal */
export const match = (method: string, path: string): Option.Option<Route> => {
  for (const { names, op, pattern } of compiled()) {
    if (op.method !== method) continue
    const m = pattern.exec(path)
    if (!m) continue
    const params: Record<string, string> = {}
    names.forEach((n, i) => (params[n] = safeDecode(m[i + 1])))
    return Option.some({ operation: op, params })
  }
  return Option.none()
}

/** As the admin port routes: a path without `/admin` is prefixed; schemas answer under both. @internal */
export const resolveRoute = (method: string, path: string): Option.Option<Route> => {
  const direct = match(method, path)
  if (Option.isSome(direct)) return direct
  if (!path.startsWith("/admin/")) return match(method, `/admin${path}`)
  if (path.startsWith("/admin/schemas")) return match(method, path.slice("/admin".length))
  return Option.none()
}

/** The methods some route serves at `path` (the `Allow` of a 405). @internal */
export const allowedMethods = (path: string): Array<string> =>
  ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => Option.isSome(resolveRoute(m, path)))
