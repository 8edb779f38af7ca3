/** Identity schemas: the offset-paged list and one schema by id or its base64url form. */
import { texts } from "../goTexts.js"
import { offsetLinkHeader, parseOffsetPaging } from "../pagination.js"
import type { Handler } from "../request.js"
import { fail, json } from "../response.js"

/** @internal */
export const listIdentitySchemas: Handler = (r) => {
  const { limit, offset } = parseOffsetPaging(r.query, 250, 1000)
  const all = [...r.ctx.schemas.values()]
  const items = all.slice(offset, offset + limit).map((s) => ({ id: s.id, schema: s.schema }))
  return json(200, items, {
    "x-total-count": String(all.length),
    link: offsetLinkHeader(r.path, r.query, offset, limit, all.length)
  })
}

/** @internal */
export const getIdentitySchema: Handler = (r) => {
  const id = r.params.id
  const direct = r.ctx.schemas.get(id)
  const decoded = direct ? undefined : r.ctx.schemas.get(Buffer.from(id, "base64url").toString("utf8"))
  const entry = direct ?? decoded
  if (!entry) return fail(404, { reason: texts.schemaNotFound(id) })
  return json(200, entry.schema)
}
