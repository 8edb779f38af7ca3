/** `schemas …`: list, get. */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Ops from "../../src/Operations.js"
import { Io } from "../Io.js"
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
      yield* Effect.flatMap(Io, (io) => io.out(format === "jsonl" ? Render.jsonLine(schema) : Render.json(schema)))
    })
})

/** `schemas` */
export const schemas = Command.make("schemas").pipe(
  Command.withDescription("Identity schemas"),
  Command.withSubcommands([list, get])
)
