/** `DELETE /admin/identities/{id}/credentials/{type}`: removing one credential (or one provider). */
import { texts } from "../goTexts.js"
import { iso } from "../model.js"
import type { Handler } from "../request.js"
import { identityOr404 } from "../request.js"
import { fail, noContent } from "../response.js"
import type { StoredIdentity } from "../store.js"

const firstFactorCount = (i: StoredIdentity): number => {
  let n = 0
  const pw = i.credentials.password?.config
  if (pw && (typeof pw.hashed_password === "string" && pw.hashed_password.length > 0 || pw.use_password_migration_hook === true)) n++
  for (const t of ["oidc", "saml"]) {
    const providers = i.credentials[t]?.config.providers
    if (Array.isArray(providers)) n += providers.length
  }
  return n
}

/** @internal */
export const deleteIdentityCredentials: Handler = (r) => {
  const identity = identityOr404(r, r.params.id)
  const type = r.params.type
  const cred = identity.credentials[type]
  if (!cred) return fail(404, { reason: texts.noCredential(type) })
  const now = iso(r.ctx.now)
  const credentials = { ...identity.credentials }
  switch (type) {
    case "totp":
    case "lookup_secret":
    case "webauthn":
      delete credentials[type]
      break
    case "password":
      if (firstFactorCount(identity) < 2) fail(400, { reason: texts.lastFirstFactor })
      credentials.password = { ...cred, config: {}, updated_at: now }
      break
    case "oidc":
    case "saml": {
      const identifier = r.query.get("identifier") ?? ""
      if (identifier === "") fail(400, { reason: texts.identifierRequired })
      const providers = (cred.config.providers as Array<Record<string, unknown>> | undefined) ?? []
      const keep = providers.filter((p) => `${String(p.provider)}:${String(p.subject)}` !== identifier)
      if (keep.length === providers.length) fail(404, { reason: texts.identifierNotFound(identifier, type) })
      if (firstFactorCount(identity) < 2) fail(400, { reason: texts.lastFirstFactor })
      if (keep.length === 0) delete credentials[type]
      else {
        credentials[type] = {
          ...cred,
          identifiers: cred.identifiers.filter((i) => i !== identifier),
          config: { ...cred.config, providers: keep },
          updated_at: now
        }
      }
      break
    }
    default:
      return fail(400, { reason: texts.credentialNotDeletable(type) })
  }
  r.store.replace({ ...identity, credentials, updated_at: now })
  return noContent()
}
