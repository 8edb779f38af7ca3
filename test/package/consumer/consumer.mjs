// A plain Node ESM user of the installed package: the client against a sandbox, both from the
// package, and what importing the client loads.
const dlopened = []
const dlopen = process.dlopen
process.dlopen = (module, file, ...rest) => (dlopened.push(file), dlopen.call(process, module, file, ...rest))

const root = await import("effect-kratos")
const { IdentityApi } = await import("effect-kratos/IdentityApi")
const afterClient = dlopened.length

const { Effect, Layer } = await import("effect")
const UndiciHttpClient = await import("effect-kratos/UndiciHttpClient")
const Sandbox = await import("effect-kratos/Sandbox")

const program = Effect.scoped(Effect.gen(function*() {
  const sandbox = yield* Sandbox.make({ demo: true })
  const client = IdentityApi.layer({ baseUrl: sandbox.url }).pipe(Layer.provide(UndiciHttpClient.layer()))
  return yield* Effect.gen(function*() {
    const api = yield* IdentityApi
    const page = yield* api.listIdentities({ page_size: 2 })
    const missing = yield* Effect.flip(api.getIdentity({ id: "00000000-0000-4000-8000-000000000001" }))
    return { listed: page.items.length, missingTag: missing._tag, isKratosError: root.KratosError.isKratosError(missing) }
  }).pipe(Effect.provide(client))
}))

const result = await Effect.runPromise(program)
console.log(JSON.stringify({ ...result, rootExports: Object.keys(root).sort(), addonsLoadedByClient: afterClient }))
