/** `schemas …`: list, get. */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Ops from "../../src/Operations.js"
import { Io } from "../Io.js"
import * as Print from "../Print.js"
import * as Shape from "../Shape.js"
import * as Option from "effect/Option"
import * as Render from "../Render.js"
import { all, idArg } from "./flags.js"
import { fromOperation, printList } from "./operation.js"

const list = fromOperation("list", Ops.listIdentitySchemas, {
  flags: { all },
  run: ({ all, query }, { api, decode, format }) =>
    Effect.flatMap(decode(query), (input) =>
      printList("schema", "schemas", all, format, api.listIdentitySchemas(input), api.listIdentitySchemasStream(input)))
})

const get = fromOperation("get", Ops.getIdentitySchema, {
  flags: { id: idArg("id", "Schema id, e.g. default") },
  run: ({ id }, { api, decode, format }) =>
    Effect.gen(function*() {
      const schema = yield* api.getIdentitySchema(yield* decode({ id }))
      // A schema is a document, not a record: JSON reads best even for people.
      const shape = Option.getOrElse(yield* Effect.serviceOption(Shape.Shape), () => Shape.none)
      const shaped = shape.jq !== undefined || shape.quiet || shape.columns !== undefined
      if ((format === "table" || format === "wide") && !shaped) return yield* Effect.flatMap(Io, (io) => io.out(Render.json(schema)))
      yield* Print.one("schema", schema, format)
    })
})

/** `schemas` */
export const schemas = Command.make("schemas").pipe(
  Command.withDescription("Identity schemas"),
  Command.withSubcommands([list, get])
)
