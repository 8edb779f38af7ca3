// A TypeScript user of the installed package: the client's error channel is exact (each declared
// error by its tag, nothing widened to unknown), through the subpath and root entry points.
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { IdentityApi as Root, KratosError as RootErrors } from "effect-kratos"
import { IdentityApi } from "effect-kratos/IdentityApi"
import type * as KratosError from "effect-kratos/KratosError"
import type { ClientConfigError } from "effect-kratos/KratosHttpClient"
import * as UndiciHttpClient from "effect-kratos/UndiciHttpClient"

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

const getOne = Effect.flatMap(IdentityApi, (api) => api.getIdentity({ id: "00000000-0000-4000-8000-000000000001" as never }))
type Failure = Effect.Effect.Error<typeof getOne>

export const notWidened: unknown extends Failure ? false : true = true
export const notFoundIsTheClass: Equals<Extract<Failure, { readonly _tag: "NotFound" }>, KratosError.NotFound> = true

const handled = getOne.pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
export const notFoundHandled: Equals<Extract<Effect.Effect.Error<typeof handled>, { readonly _tag: "NotFound" }>, never> = true

// @ts-expect-error a tag the call cannot fail with
export const unknownTag = getOne.pipe(Effect.catchTag("NoSuchTag", () => Effect.void))

export const sameService: Equals<Root.IdentityApi, IdentityApi> = true
export const guard: (u: unknown) => u is KratosError.KratosError = RootErrors.isKratosError

// a bad base URL or an insecure key is a typed failure of the layer, not of every call
export const live: Layer.Layer<IdentityApi, ClientConfigError> = IdentityApi.layer({ baseUrl: "http://127.0.0.1:4434" }).pipe(
  Layer.provide(UndiciHttpClient.layer())
)
