// The hooks of load-log.mjs.
import { appendFileSync } from "node:fs"

let file = ""
export const initialize = (data) => {
  file = data ?? ""
}
export const load = async (url, context, next) => {
  if (file !== "") appendFileSync(file, `${url}\n`)
  return next(url, context)
}
