/**
 * The scenario both servers answer: every admin operation's successes and documented errors,
 * both paging styles across pages, every filter, batch edge cases, PUT and PATCH rules,
 * sessions with each `expand`, recovery with each `expires_in` form.
 *
 * Steps run in order against a fresh server; ids the answers carry are captured by name.
 */
import type { Step, Vars } from "./harness.js"

const email = (local: string) => `${local}@example.com`
const person = (local: string, extra: Record<string, unknown> = {}) => ({ traits: { email: email(local) }, ...extra })
const capture = (name: string) => (body: any, v: Vars) => {
  if (body && typeof body.id === "string") v[name] = body.id
}
const password = "a-Long-passw0rd-for-tests"

/** Valid-looking hashes of each imported format (v26.2.0 checks the prefix). */
const hashes: Record<string, string> = {
  bcrypt: "$2a$04$ZKSx6TBTTLRjBDP1Bqa.qOSpxIb2Tm.5tcX8kEsuo9TDqfGXeFvmi",
  argon2id: "$argon2id$v=19$m=16,t=2,p=1$bmFjbGZpdnZqYWRqcXU3Zg$Fb2/mcbCGzw9dc2nXvPmgg",
  argon2i: "$argon2i$v=19$m=16,t=2,p=1$bmFjbGZpdnZqYWRqcXU3Zg$BzCIjWr8H7SRRLjIbTi/Eg",
  pbkdf2: "$pbkdf2-sha256$i=1000,l=32$bmFjbGZpdnZqYWRqcXU3Zg$F1xNd0M+0Hkmz4+nqMBIbHZr5NJHR+nG7Yrr0pbJEVM",
  scrypt: "$scrypt$ln=16384,r=8,p=1$ZtQva/YNeiU0XkwKDhHtQI7uplqPz+LVoZsdqAjBkVg=$fW/1cXBBkzkiXuC9TtVg9Ps7k9rsFSw4bAF+2XOlyFI=",
  ssha: "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
  md5: "$md5$pepper=$wZ6cDkCYpMQAB+6yaozZqw==",
  sha1: "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$c2FsdA==$BZeB0oHM/3T0ZTlr3HIRUA9c3+8=",
  hmac: "$hmac-sha256$cGFzc3dvcmQ=$a2V5",
  firescrypt:
    "$firescrypt$ln=14,r=8,p=1$sbvDBWrpWQGlK7hQbBg0VQ==$ik4Op3l8QJsEl4mNZ1Pu5zmqCJ9eRBimJH0FAbu/QoOvdM+wj0U9aZpUXxWFFgjDNiMsBFyH6GrlkyLP0O6gOQ==$Bw==$YoQVx2AtU14vk2K+Pcuo6Q==",
  md5crypt: "$md5-crypt$$1$deadbeef$Q7g0UO4hRC0mGUR3pBLVa1"
}

const withHash = (local: string, hash: string) => ({
  traits: { email: email(local) },
  credentials: { password: { config: { hashed_password: hash } } }
})

const schemas: Array<Step> = [
  { name: "schemas: list (public)", base: "public", path: "/schemas" },
  { name: "schemas: list page_size=1", base: "public", path: "/schemas?page_size=1" },
  { name: "schemas: list legacy page=0 per_page=1", base: "public", path: "/schemas?page=0&per_page=1" },
  { name: "schemas: get default", base: "public", path: "/schemas/default" },
  { name: "schemas: get base64url id", base: "public", path: "/schemas/ZGVmYXVsdA" },
  { name: "schemas: get unknown", base: "public", path: "/schemas/nope" },
  { name: "schemas: list on the admin port", path: "/admin/schemas" },
  { name: "schemas: get on the admin port", path: "/admin/schemas/default" }
]

const creates: Array<Step> = [
  { name: "create: minimal", method: "POST", path: "/admin/identities", json: person("minimal"), capture: capture("minimal") },
  {
    name: "create: full with plaintext password",
    method: "POST",
    path: "/admin/identities",
    json: {
      schema_id: "default",
      traits: { email: email("alice"), name: { first: "Alice", last: "Liddell" } },
      external_id: "ext-alice",
      metadata_public: { plan: "pro" },
      metadata_admin: { note: "vip" },
      credentials: { password: { config: { password } } }
    },
    capture: capture("alice")
  },
  {
    name: "create: bob with password",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: email("bob") }, credentials: { password: { config: { password } } } },
    capture: capture("bob")
  },
  { name: "create: inactive state", method: "POST", path: "/admin/identities", json: person("inactive", { state: "inactive" }), capture: capture("inactive") },
  { name: "create: invalid state", method: "POST", path: "/admin/identities", json: person("badstate", { state: "blocked" }) },
  { name: "create: state not a string", method: "POST", path: "/admin/identities", json: person("badstate2", { state: 5 }) },
  { name: "create: unknown field", method: "POST", path: "/admin/identities", json: person("unknown", { schema_url: "x" }) },
  { name: "create: traits not an object", method: "POST", path: "/admin/identities", json: { traits: "nope" } },
  { name: "create: no traits", method: "POST", path: "/admin/identities", json: {} },
  { name: "create: invalid email format", method: "POST", path: "/admin/identities", json: { traits: { email: "not-an-email" } } },
  { name: "create: additional trait", method: "POST", path: "/admin/identities", json: { traits: { email: email("extra"), age: 3 } } },
  { name: "create: wrong trait type", method: "POST", path: "/admin/identities", json: { traits: { email: 42 } } },
  {
    name: "create: two trait errors",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: "x", name: { first: 1, last: 2 } } }
  },
  { name: "create: unknown schema", method: "POST", path: "/admin/identities", json: person("schema", { schema_id: "nope" }) },
  { name: "create: schema id in base64url", method: "POST", path: "/admin/identities", json: person("b64", { schema_id: "ZGVmYXVsdA" }), capture: capture("b64") },
  { name: "create: duplicate email", method: "POST", path: "/admin/identities", json: person("alice") },
  { name: "create: duplicate email, other case", method: "POST", path: "/admin/identities", json: { traits: { email: "ALICE@example.com" } } },
  { name: "create: duplicate external_id", method: "POST", path: "/admin/identities", json: person("ext2", { external_id: "ext-alice" }) },
  { name: "create: invalid JSON", method: "POST", path: "/admin/identities", raw: "{", headers: { "content-type": "application/json" } },
  { name: "create: empty body", method: "POST", path: "/admin/identities", raw: "", headers: { "content-type": "application/json" } },
  { name: "create: not JSON at all", method: "POST", path: "/admin/identities", raw: "hello", headers: { "content-type": "text/plain" } },
  { name: "create: invalid organization_id", method: "POST", path: "/admin/identities", json: person("org", { organization_id: "not-a-uuid" }) },
  {
    name: "create: verifiable addresses imported",
    method: "POST",
    path: "/admin/identities",
    json: {
      traits: { email: email("verified") },
      verifiable_addresses: [{ value: email("verified"), verified: true, via: "email", status: "completed" }],
      recovery_addresses: [{ value: email("verified"), via: "email" }]
    },
    capture: capture("verified")
  },
  {
    name: "create: addresses without status or via",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: email("lenient") }, verifiable_addresses: [{ value: email("lenient"), verified: true }] },
    capture: capture("lenient")
  },
  {
    name: "create: addresses no trait backs",
    method: "POST",
    path: "/admin/identities",
    json: {
      traits: { email: email("unbacked") },
      verifiable_addresses: [{ value: "other@example.com", verified: false, via: "email", status: "pending" }],
      recovery_addresses: [{ value: "other@example.com", via: "email" }]
    },
    capture: capture("unbacked")
  },
  {
    name: "create: uppercase imported address",
    method: "POST",
    path: "/admin/identities",
    json: {
      traits: { email: "Upper@Example.com" },
      verifiable_addresses: [{ value: "Upper@Example.com", verified: true, via: "email", status: "completed" }]
    },
    capture: capture("upper")
  },
  {
    name: "create: oidc provider",
    method: "POST",
    path: "/admin/identities",
    json: {
      traits: { email: email("oidc") },
      credentials: {
        password: { config: { password } },
        oidc: { config: { providers: [{ provider: "google", subject: "g-1" }, { provider: "github", subject: "gh-1" }] } }
      }
    },
    capture: capture("oidc")
  },
  {
    name: "create: one oidc provider twice",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: email("oidctwice") }, credentials: { oidc: { config: { providers: [{ provider: "google", subject: "t-1" }, { provider: "google", subject: "t-1" }] } } } }
  },
  {
    name: "create: oidc provider without subject",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: email("nosubject") }, credentials: { oidc: { config: { providers: [{ provider: "google" }] } } } },
    capture: capture("nosubject")
  },
  {
    name: "create: saml provider",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: email("saml") }, credentials: { saml: { config: { providers: [{ provider: "okta", subject: "o-1" }] } } } },
    capture: capture("saml")
  },
  {
    name: "create: password migration hook",
    method: "POST",
    path: "/admin/identities",
    json: { traits: { email: email("hook") }, credentials: { password: { config: { use_password_migration_hook: true } } } },
    capture: capture("hook")
  },
  ...Object.entries(hashes).map(([format, hash]): Step => ({
    name: `create: hashed password ${format}`,
    method: "POST",
    path: "/admin/identities",
    json: withHash(`hash-${format}`, hash),
    capture: capture(`hash_${format}`)
  })),
  { name: "create: unknown hash format", method: "POST", path: "/admin/identities", json: withHash("hash-unknown", "plain-text-not-a-hash") },
  { name: "create: empty hashed password", method: "POST", path: "/admin/identities", json: withHash("hash-empty", "") },
  {
    name: "create: bcrypt beyond Ory's bounds",
    method: "POST",
    path: "/admin/identities",
    json: withHash("hash-cost", "$2a$20$ZKSx6TBTTLRjBDP1Bqa.qOSpxIb2Tm.5tcX8kEsuo9TDqfGXeFvmi"),
    capture: capture("hash_cost")
  },
  { name: "create: bcrypt unparsable", method: "POST", path: "/admin/identities", json: withHash("hash-broken", "$2a$04$short"), capture: capture("hash_broken") }
]

const reads: Array<Step> = [
  { name: "get: alice", path: (v) => `/admin/identities/${v.alice}` },
  { name: "get: include_credential=password", path: (v) => `/admin/identities/${v.alice}?include_credential=password` },
  { name: "get: include_credential=oidc", path: (v) => `/admin/identities/${v.oidc}?include_credential=oidc` },
  { name: "get: include both", path: (v) => `/admin/identities/${v.oidc}?include_credential=oidc&include_credential=password` },
  { name: "get: saml with include", path: (v) => `/admin/identities/${v.saml}?include_credential=saml` },
  { name: "get: include_credential invalid", path: (v) => `/admin/identities/${v.alice}?include_credential=nope` },
  { name: "get: hashed argon2id", path: (v) => `/admin/identities/${v.hash_argon2id}?include_credential=password` },
  { name: "get: migration hook", path: (v) => `/admin/identities/${v.hook}?include_credential=password` },
  { name: "get: imported verified address", path: (v) => `/admin/identities/${v.verified}` },
  { name: "get: lenient address", path: (v) => `/admin/identities/${v.lenient}` },
  { name: "get: unbacked addresses", path: (v) => `/admin/identities/${v.unbacked}` },
  { name: "get: no metadata_admin", path: (v) => `/admin/identities/${v.minimal}` },
  { name: "get: unknown id", path: "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" },
  { name: "get: malformed id", path: "/admin/identities/not-a-uuid" },
  { name: "get: without /admin", path: (v) => `/identities/${v.alice}` },
  { name: "get by external id", path: "/admin/identities/by/external/ext-alice" },
  { name: "get by external id with include", path: "/admin/identities/by/external/ext-alice?include_credential=password" },
  { name: "get by external id: unknown", path: "/admin/identities/by/external/nobody" }
]

const lists: Array<Step> = [
  { name: "list: default", path: "/admin/identities", unordered: true },
  { name: "list: page_size=5 across pages", path: "/admin/identities?page_size=5", followNext: 10, unordered: true },
  { name: "list: without /admin, page_size=10", path: "/identities?page_size=10", followNext: 5, unordered: true },
  { name: "list: legacy page=0 per_page=5", path: "/admin/identities?page=0&per_page=5", followNext: 0, unordered: true },
  { name: "list: legacy page=1 per_page=5", path: "/admin/identities?page=1&per_page=5", followNext: 0, unordered: true },
  { name: "list: legacy last page", path: "/admin/identities?page=4&per_page=5", followNext: 0, unordered: true },
  { name: "list: legacy beyond the end", path: "/admin/identities?page=9&per_page=5" },
  { name: "list: legacy page=1 only", path: "/admin/identities?page=1", followNext: 0, unordered: true },
  { name: "list: per_page only", path: "/admin/identities?per_page=3", followNext: 0, unordered: true },
  { name: "list: legacy over 1000", path: "/admin/identities?page=11&per_page=100" },
  { name: "list: legacy per_page=0", path: "/admin/identities?page=0&per_page=0", followNext: 0, unordered: true },
  { name: "list: page_size=0", path: "/admin/identities?page_size=0", unordered: true },
  { name: "list: page_size=1000 clamps", path: "/admin/identities?page_size=1000", unordered: true },
  { name: "list: page_size=-1", path: "/admin/identities?page_size=-1", unordered: true },
  { name: "list: page_size not a number", path: "/admin/identities?page_size=abc" },
  { name: "list: page not a number", path: "/admin/identities?page=abc", unordered: true },
  { name: "list: page_token not a uuid", path: "/admin/identities?page_token=garbage" },
  { name: "list: page_token nil uuid", path: "/admin/identities?page_token=00000000-0000-0000-0000-000000000000&page_size=3", followNext: 0, unordered: true },
  { name: "list: ids one", path: (v) => `/admin/identities?ids=${v.alice}` },
  { name: "list: ids three, page_size=1", path: (v) => `/admin/identities?ids=${v.alice}&ids=${v.bob}&ids=${v.minimal}&page_size=1`, followNext: 4, unordered: true },
  { name: "list: ids with unknown", path: (v) => `/admin/identities?ids=${v.alice}&ids=8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60` },
  { name: "list: ids invalid", path: "/admin/identities?ids=nope" },
  { name: "list: credentials_identifier", path: `/admin/identities?credentials_identifier=${email("alice")}` },
  { name: "list: credentials_identifier uppercase", path: "/admin/identities?credentials_identifier=ALICE@EXAMPLE.COM" },
  { name: "list: credentials_identifier oidc", path: "/admin/identities?credentials_identifier=google:g-1" },
  { name: "list: credentials_identifier unknown", path: "/admin/identities?credentials_identifier=nobody@example.com" },
  { name: "list: preview similar", path: "/admin/identities?preview_credentials_identifier_similar=hash-", unordered: true },
  { name: "list: organization_id", path: "/admin/identities?organization_id=8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" },
  { name: "list: organization_id invalid", path: "/admin/identities?organization_id=nope" },
  { name: "list: two filters", path: (v) => `/admin/identities?ids=${v.alice}&credentials_identifier=${email("alice")}` },
  { name: "list: include_credential", path: (v) => `/admin/identities?ids=${v.alice}&include_credential=password` },
  { name: "list: include_credential invalid", path: "/admin/identities?include_credential=nope" },
  { name: "list: consistency strong", path: (v) => `/admin/identities?ids=${v.bob}&consistency=strong` },
  { name: "list: consistency invalid", path: (v) => `/admin/identities?ids=${v.bob}&consistency=nope` }
]

const puts: Array<Step> = [
  {
    name: "put: full update",
    method: "PUT",
    path: (v) => `/admin/identities/${v.minimal}`,
    json: { traits: { email: email("minimal2"), name: { first: "Min" } }, metadata_public: { a: 1 }, metadata_admin: { b: 2 }, external_id: "ext-min", state: "active" }
  },
  { name: "put: omitted fields are wiped", method: "PUT", path: (v) => `/admin/identities/${v.minimal}`, json: { traits: { email: email("minimal2") } } },
  { name: "put: get after wipe", path: (v) => `/admin/identities/${v.minimal}` },
  { name: "put: deactivate", method: "PUT", path: (v) => `/admin/identities/${v.bob}`, json: { traits: { email: email("bob") }, state: "inactive" } },
  { name: "put: reactivate", method: "PUT", path: (v) => `/admin/identities/${v.bob}`, json: { traits: { email: email("bob") }, state: "active" } },
  { name: "put: invalid state", method: "PUT", path: (v) => `/admin/identities/${v.bob}`, json: { traits: { email: email("bob") }, state: "gone" } },
  { name: "put: unknown fields allowed", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, json: { traits: { email: email("b64") }, whatever: 1 } },
  { name: "put: invalid traits", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, json: { traits: { email: "bad" } } },
  { name: "put: conflicting email", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, json: { traits: { email: email("alice") } } },
  { name: "put: unknown schema", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, json: { schema_id: "nope", traits: { email: email("b64") } } },
  { name: "put: wrong content type", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, raw: "{}", headers: { "content-type": "text/plain" } },
  { name: "put: empty body", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, raw: "", headers: { "content-type": "application/json" } },
  { name: "put: unknown id", method: "PUT", path: "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60", json: { traits: { email: email("ghost") } } },
  {
    name: "put: with a new password",
    method: "PUT",
    path: (v) => `/admin/identities/${v.b64}`,
    json: { traits: { email: email("b64") }, credentials: { password: { config: { password: "another-Passw0rd-x" } } } }
  },
  {
    name: "put: appends an oidc provider",
    method: "PUT",
    path: (v) => `/admin/identities/${v.oidc}`,
    json: { traits: { email: email("oidc") }, credentials: { oidc: { config: { providers: [{ provider: "apple", subject: "a-1" }] } } } }
  },
  { name: "put: get oidc after append", path: (v) => `/admin/identities/${v.oidc}?include_credential=oidc` },
  {
    // Kratos appends a PUT's providers without looking: one the identity has repeats its identifier
    name: "put: an oidc provider already there",
    method: "PUT",
    path: (v) => `/admin/identities/${v.oidc}`,
    json: { traits: { email: email("oidc") }, credentials: { oidc: { config: { providers: [{ provider: "apple", subject: "a-1" }] } } } }
  },
  { name: "put: get oidc after the refused append", path: (v) => `/admin/identities/${v.oidc}?include_credential=oidc` },
  { name: "put: email change moves identifier", method: "PUT", path: (v) => `/admin/identities/${v.b64}`, json: { traits: { email: email("b64new") } } },
  { name: "put: get after email change", path: (v) => `/admin/identities/${v.b64}` }
]

const patches: Array<Step> = [
  { name: "patch: replace a trait", method: "PATCH", path: (v) => `/admin/identities/${v.lenient}`, json: [{ op: "replace", path: "/traits/email", value: email("lenient2") }] },
  { name: "patch: add nested metadata_admin", method: "PATCH", path: (v) => `/admin/identities/${v.lenient}`, json: [{ op: "add", path: "/metadata_admin/a/b", value: 1 }] },
  { name: "patch: replace missing metadata_public", method: "PATCH", path: (v) => `/admin/identities/${v.lenient}`, json: [{ op: "replace", path: "/metadata_public", value: { x: 1 } }] },
  { name: "patch: remove metadata_public", method: "PATCH", path: (v) => `/admin/identities/${v.lenient}`, json: [{ op: "remove", path: "/metadata_public" }] },
  { name: "patch: get after patches", path: (v) => `/admin/identities/${v.lenient}` },
  { name: "patch: state inactive", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "replace", path: "/state", value: "inactive" }] },
  { name: "patch: invalid state", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "replace", path: "/state", value: "gone" }] },
  { name: "patch: verified true", method: "PATCH", path: (v) => `/admin/identities/${v.unbacked}`, json: [{ op: "replace", path: "/verifiable_addresses/0/verified", value: true }] },
  { name: "patch: verified false", method: "PATCH", path: (v) => `/admin/identities/${v.verified}`, json: [{ op: "replace", path: "/verifiable_addresses/0/verified", value: false }] },
  { name: "patch: move refused", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "move", from: "/traits/email", path: "/metadata_public" }] },
  { name: "patch: test refused", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "test", path: "/state", value: "inactive" }] },
  { name: "patch: /id refused", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "replace", path: "/id", value: "x" }] },
  { name: "patch: /credentials refused", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "remove", path: "/credentials" }] },
  { name: "patch: remove a missing path", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "remove", path: "/metadata_public/nope" }] },
  { name: "patch: invalid traits", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "replace", path: "/traits/email", value: "bad" }] },
  { name: "patch: conflicting email", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [{ op: "replace", path: "/traits/email", value: email("alice") }] },
  { name: "patch: not an array", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: { op: "add" } },
  { name: "patch: invalid JSON", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, raw: "[", headers: { "content-type": "application/json" } },
  { name: "patch: unknown id", method: "PATCH", path: "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60", json: [{ op: "add", path: "/metadata_public", value: 1 }] },
  { name: "patch: empty patch", method: "PATCH", path: (v) => `/admin/identities/${v.hook}`, json: [] }
]

const batchItem = (local: string, extra: Record<string, unknown> = {}, patchId?: string) => ({
  create: { traits: { email: email(local) }, ...extra },
  ...(patchId ? { patch_id: patchId } : {})
})
const batch = (items: Array<unknown>) => ({ identities: items })
const pid = (n: number) => `0f5a9c2e-1b3d-4c5e-8f70-${String(n).padStart(12, "0")}`

const batches: Array<Step> = [
  { name: "batch: one item", method: "PATCH", path: "/admin/identities", json: batch([batchItem("b1", {}, pid(1))]), capture: (b, v) => (v.b1 = b.identities[0].identity) },
  { name: "batch: one conflicting item", method: "PATCH", path: "/admin/identities", json: batch([batchItem("b1", {}, pid(2))]) },
  { name: "batch: one invalid item", method: "PATCH", path: "/admin/identities", json: batch([{ create: { traits: { email: "bad" } }, patch_id: pid(3) }]) },
  { name: "batch: all fail", method: "PATCH", path: "/admin/identities", json: batch([batchItem("b1", {}, pid(4)), batchItem("alice", {}, pid(5))]) },
  {
    name: "batch: mixed",
    method: "PATCH",
    path: "/admin/identities",
    json: batch([batchItem("b2", {}, pid(6)), batchItem("b1", {}, pid(7)), { create: { traits: { email: "bad" } }, patch_id: pid(8) }, batchItem("b3")])
  },
  { name: "batch: duplicates within the batch", method: "PATCH", path: "/admin/identities", json: batch([batchItem("b4", {}, pid(9)), batchItem("b4", {}, pid(10))]) },
  { name: "batch: non-object traits in one item", method: "PATCH", path: "/admin/identities", json: batch([{ create: { traits: "nope" }, patch_id: pid(11) }, batchItem("b5", {}, pid(12))]) },
  { name: "batch: empty object", method: "PATCH", path: "/admin/identities", json: {} },
  { name: "batch: identities null", method: "PATCH", path: "/admin/identities", json: { identities: null } },
  { name: "batch: identities empty", method: "PATCH", path: "/admin/identities", json: { identities: [] } },
  { name: "batch: null create", method: "PATCH", path: "/admin/identities", json: batch([{ create: null, patch_id: pid(13) }, batchItem("b6")]) },
  { name: "batch: invalid patch_id", method: "PATCH", path: "/admin/identities", json: batch([{ create: { traits: { email: email("b7") } }, patch_id: "nope" }]) },
  { name: "batch: unknown field", method: "PATCH", path: "/admin/identities", json: batch([{ create: { traits: { email: email("b8") }, nope: 1 } }]) },
  { name: "batch: invalid state in one item", method: "PATCH", path: "/admin/identities", json: batch([batchItem("b9", { state: "gone" }), batchItem("b10")]) },
  {
    name: "batch: unknown hash in one item",
    method: "PATCH",
    path: "/admin/identities",
    json: batch([batchItem("b11", { credentials: { password: { config: { hashed_password: "nope" } } } }), batchItem("b12")])
  },
  {
    name: "batch: every hash format",
    method: "PATCH",
    path: "/admin/identities",
    json: batch(Object.entries(hashes).map(([f, h], n) => batchItem(`bh-${f}`, { credentials: { password: { config: { hashed_password: h } } } }, pid(100 + n))))
  },
  {
    name: "batch: plaintext passwords and providers",
    method: "PATCH",
    path: "/admin/identities",
    json: batch([
      batchItem("bp1", { credentials: { password: { config: { password } } } }, pid(20)),
      batchItem("bp2", { credentials: { oidc: { config: { providers: [{ provider: "google", subject: "g-2" }] } } } }, pid(21)),
      batchItem("bp3", { credentials: { saml: { config: { providers: [{ provider: "okta", subject: "o-2" }] } } } }, pid(22)),
      batchItem("bp4", { credentials: { password: { config: { use_password_migration_hook: true } } } }, pid(23))
    ])
  },
  {
    name: "batch: addresses imported",
    method: "PATCH",
    path: "/admin/identities",
    json: batch([
      batchItem("ba1", { verifiable_addresses: [{ value: email("ba1"), verified: true, via: "email", status: "completed" }] }, pid(30)),
      batchItem("ba2", { verifiable_addresses: [{ value: email("ba2"), verified: true }] }, pid(31))
    ])
  },
  { name: "batch: external_id conflict", method: "PATCH", path: "/admin/identities", json: batch([batchItem("b13", { external_id: "ext-alice" }, pid(40)), batchItem("b14", {}, pid(41))]) },
  { name: "batch: over 1000 items", method: "PATCH", path: "/admin/identities", json: batch(Array.from({ length: 1001 }, (_, n) => batchItem(`many${n}`))) },
  {
    name: "batch: over 200 plaintext passwords",
    method: "PATCH",
    path: "/admin/identities",
    json: batch(Array.from({ length: 201 }, (_, n) => batchItem(`pw${n}`, { credentials: { password: { config: { password } } } })))
  },
  { name: "batch: invalid JSON", method: "PATCH", path: "/admin/identities", raw: "{", headers: { "content-type": "application/json" } },
  { name: "batch: not an object", method: "PATCH", path: "/admin/identities", json: [1] },
  { name: "batch: list after batches", path: "/admin/identities?credentials_identifier=b1@example.com" }
]

const credentialDeletes: Array<Step> = [
  { name: "credentials: delete the only password", method: "DELETE", path: (v) => `/admin/identities/${v.bob}/credentials/password` },
  { name: "credentials: oidc without identifier", method: "DELETE", path: (v) => `/admin/identities/${v.oidc}/credentials/oidc` },
  { name: "credentials: oidc unknown identifier", method: "DELETE", path: (v) => `/admin/identities/${v.oidc}/credentials/oidc?identifier=google:nope` },
  { name: "credentials: oidc one provider", method: "DELETE", path: (v) => `/admin/identities/${v.oidc}/credentials/oidc?identifier=google:g-1` },
  { name: "credentials: get after oidc delete", path: (v) => `/admin/identities/${v.oidc}?include_credential=oidc` },
  { name: "credentials: password with oidc left", method: "DELETE", path: (v) => `/admin/identities/${v.oidc}/credentials/password` },
  { name: "credentials: totp not set", method: "DELETE", path: (v) => `/admin/identities/${v.alice}/credentials/totp` },
  { name: "credentials: unknown type", method: "DELETE", path: (v) => `/admin/identities/${v.alice}/credentials/nope` },
  { name: "credentials: code type", method: "DELETE", path: (v) => `/admin/identities/${v.alice}/credentials/code` },
  { name: "credentials: unknown identity", method: "DELETE", path: "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60/credentials/password" }
]

const sessions: Array<Step> = [
  { name: "sessions: none yet", path: "/admin/sessions" },
  { name: "sessions: identity without sessions", path: (v) => `/admin/identities/${v.alice}/sessions` },
  { name: "sessions: delete when there are none", method: "DELETE", path: (v) => `/admin/identities/${v.alice}/sessions` },
  { name: "session alice 1", session: { identity: "alice", email: email("alice"), password, as: "s_alice1" } },
  { name: "session alice 2", session: { identity: "alice", email: email("alice"), password, as: "s_alice2" }, pauseMs: 1100 },
  { name: "session alice 3", session: { identity: "alice", email: email("alice"), password, as: "s_alice3" }, pauseMs: 1100 },
  { name: "session bob", session: { identity: "bob", email: email("bob"), password, as: "s_bob" }, pauseMs: 1100 },
  { name: "sessions: list", path: "/admin/sessions" },
  { name: "sessions: list expand=identity", path: "/admin/sessions?expand=identity" },
  { name: "sessions: list expand=devices", path: "/admin/sessions?expand=devices" },
  { name: "sessions: list expand both", path: "/admin/sessions?expand=identity&expand=devices" },
  { name: "sessions: list expand invalid", path: "/admin/sessions?expand=nope" },
  { name: "sessions: list page_size=1 across pages", path: "/admin/sessions?page_size=1", followNext: 5 },
  { name: "sessions: list active=true", path: "/admin/sessions?active=true" },
  { name: "sessions: list active=false", path: "/admin/sessions?active=false" },
  { name: "sessions: list active invalid", path: "/admin/sessions?active=maybe" },
  { name: "sessions: list page_token garbage", path: "/admin/sessions?page_token=!!!" },
  { name: "sessions: list page_size=abc", path: "/admin/sessions?page_size=abc" },
  { name: "sessions: get", path: (v) => `/admin/sessions/${v.s_bob}` },
  { name: "sessions: get expand=identity", path: (v) => `/admin/sessions/${v.s_bob}?expand=identity` },
  { name: "sessions: get expand=devices", path: (v) => `/admin/sessions/${v.s_bob}?expand=devices` },
  { name: "sessions: get expand both", path: (v) => `/admin/sessions/${v.s_bob}?expand=identity&expand=devices` },
  { name: "sessions: get expand invalid", path: (v) => `/admin/sessions/${v.s_bob}?expand=nope` },
  { name: "sessions: get unknown", path: "/admin/sessions/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" },
  { name: "sessions: get malformed", path: "/admin/sessions/not-a-uuid" },
  { name: "sessions: identity sessions", path: (v) => `/admin/identities/${v.alice}/sessions` },
  { name: "sessions: identity sessions page_size=1", path: (v) => `/admin/identities/${v.alice}/sessions?page_size=1`, followNext: 4 },
  { name: "sessions: identity sessions legacy page=1 per_page=1", path: (v) => `/admin/identities/${v.alice}/sessions?page=1&per_page=1` },
  { name: "sessions: identity sessions active=false", path: (v) => `/admin/identities/${v.alice}/sessions?active=false` },
  { name: "sessions: identity sessions malformed id", path: "/admin/identities/not-a-uuid/sessions" },
  { name: "sessions: identity sessions unknown identity", path: "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60/sessions" },
  { name: "sessions: extend", method: "PATCH", path: (v) => `/admin/sessions/${v.s_alice1}/extend` },
  { name: "sessions: extend unknown", method: "PATCH", path: "/admin/sessions/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60/extend" },
  { name: "sessions: extend malformed", method: "PATCH", path: "/admin/sessions/nope/extend" },
  { name: "sessions: disable", method: "DELETE", path: (v) => `/admin/sessions/${v.s_alice2}` },
  { name: "sessions: get disabled", path: (v) => `/admin/sessions/${v.s_alice2}` },
  { name: "sessions: disable unknown", method: "DELETE", path: "/admin/sessions/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" },
  { name: "sessions: disable malformed", method: "DELETE", path: "/admin/sessions/nope" },
  { name: "sessions: list active=false after disable", path: "/admin/sessions?active=false" },
  { name: "sessions: deactivate bob", method: "PATCH", path: (v) => `/admin/identities/${v.bob}`, json: [{ op: "replace", path: "/state", value: "inactive" }] },
  { name: "sessions: session of an inactive identity", path: (v) => `/admin/sessions/${v.s_bob}` },
  { name: "sessions: delete identity sessions", method: "DELETE", path: (v) => `/admin/identities/${v.alice}/sessions` },
  { name: "sessions: identity sessions after delete", path: (v) => `/admin/identities/${v.alice}/sessions` },
  { name: "sessions: delete sessions malformed id", method: "DELETE", path: "/admin/identities/nope/sessions" }
]

const recovery: Array<Step> = [
  { name: "recovery link: default expiry", method: "POST", path: "/admin/recovery/link", json: (v: Vars) => ({ identity_id: v.alice }) },
  ...["1h", "90m", "1h30m", "2h45m10s", "500ms"].map((e): Step => ({
    name: `recovery link: expires_in ${e}`,
    method: "POST",
    path: "/admin/recovery/link",
    json: (v: Vars) => ({ identity_id: v.alice, expires_in: e })
  })),
  { name: "recovery link: expires_in negative", method: "POST", path: "/admin/recovery/link", json: (v: Vars) => ({ identity_id: v.alice, expires_in: "-1h" }) },
  { name: "recovery link: expires_in zero", method: "POST", path: "/admin/recovery/link", json: (v: Vars) => ({ identity_id: v.alice, expires_in: "0s" }) },
  { name: "recovery link: expires_in unparsable", method: "POST", path: "/admin/recovery/link", json: (v: Vars) => ({ identity_id: v.alice, expires_in: "tomorrow" }) },
  { name: "recovery link: expires_in without unit", method: "POST", path: "/admin/recovery/link", json: (v: Vars) => ({ identity_id: v.alice, expires_in: "3600" }) },
  { name: "recovery link: unknown identity", method: "POST", path: "/admin/recovery/link", json: { identity_id: "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" } },
  { name: "recovery link: no identity", method: "POST", path: "/admin/recovery/link", json: {} },
  { name: "recovery link: malformed identity", method: "POST", path: "/admin/recovery/link", json: { identity_id: "nope" } },
  { name: "recovery link: wrong content type", method: "POST", path: "/admin/recovery/link", raw: "{}", headers: { "content-type": "text/plain" } },
  { name: "recovery link: empty body", method: "POST", path: "/admin/recovery/link", raw: "", headers: { "content-type": "application/json" } },
  { name: "recovery link: return_to allowed", method: "POST", path: "/admin/recovery/link?return_to=http://127.0.0.1:4433/welcome", json: (v: Vars) => ({ identity_id: v.alice }) },
  { name: "recovery link: return_to elsewhere", method: "POST", path: "/admin/recovery/link?return_to=https://evil.example/", json: (v: Vars) => ({ identity_id: v.alice }) },
  { name: "recovery code: default expiry", method: "POST", path: "/admin/recovery/code", json: (v: Vars) => ({ identity_id: v.alice }) },
  ...["1h", "90m", "1h30m", "500ms"].map((e): Step => ({
    name: `recovery code: expires_in ${e}`,
    method: "POST",
    path: "/admin/recovery/code",
    json: (v: Vars) => ({ identity_id: v.alice, expires_in: e })
  })),
  { name: "recovery code: expires_in negative", method: "POST", path: "/admin/recovery/code", json: (v: Vars) => ({ identity_id: v.alice, expires_in: "-5m" }) },
  { name: "recovery code: expires_in unparsable", method: "POST", path: "/admin/recovery/code", json: (v: Vars) => ({ identity_id: v.alice, expires_in: "soon" }) },
  { name: "recovery code: flow_type api", method: "POST", path: "/admin/recovery/code", json: (v: Vars) => ({ identity_id: v.alice, flow_type: "api" }) },
  { name: "recovery code: flow_type browser", method: "POST", path: "/admin/recovery/code", json: (v: Vars) => ({ identity_id: v.alice, flow_type: "browser" }) },
  { name: "recovery code: flow_type invalid", method: "POST", path: "/admin/recovery/code", json: (v: Vars) => ({ identity_id: v.alice, flow_type: "native" }) },
  { name: "recovery code: unknown identity", method: "POST", path: "/admin/recovery/code", json: { identity_id: "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" } },
  { name: "recovery code: malformed identity", method: "POST", path: "/admin/recovery/code", json: { identity_id: "nope" } },
  { name: "recovery code: wrong content type", method: "POST", path: "/admin/recovery/code", raw: "{}", headers: { "content-type": "text/plain" } },
  { name: "recovery code: body not an object", method: "POST", path: "/admin/recovery/code", json: [1] }
]

const misc: Array<Step> = [
  { name: "misc: request id echoed", path: "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60", headers: { "x-request-id": "req-123" } },
  { name: "misc: method not allowed", method: "DELETE", path: "/admin/identities" },
  { name: "misc: unknown route", path: "/admin/nothing-here" },
  { name: "misc: trailing slash", path: "/admin/identities/" },
  { name: "delete: identity", method: "DELETE", path: (v) => `/admin/identities/${v.hash_md5}` },
  { name: "delete: again", method: "DELETE", path: (v) => `/admin/identities/${v.hash_md5}` },
  { name: "delete: malformed id", method: "DELETE", path: "/admin/identities/nope" },
  { name: "delete: identity with sessions", method: "DELETE", path: (v) => `/admin/identities/${v.bob}` },
  { name: "delete: its session is gone", path: (v) => `/admin/sessions/${v.s_bob}` }
]

/**
 * A JSON body `bytes` long: the value after leading whitespace, which every JSON reader must get
 * through, so the answers stay small. Kratos serves behind a 5 MiB request body limit.
 */
const padded = (bytes: number, value: unknown): string => {
  const json = JSON.stringify(value)
  return " ".repeat(bytes - json.length) + json
}
const overLimit = 5 * 1024 * 1024 + 1024
const underLimit = 5 * 1024 * 1024 - 1024
const json = { "content-type": "application/json" }

const bodyLimits: Array<Step> = [
  { name: "body limit: create just under 5 MiB", method: "POST", path: "/admin/identities", raw: padded(underLimit, person("big")), headers: json, capture: capture("big") },
  { name: "body limit: create over 5 MiB", method: "POST", path: "/admin/identities", raw: padded(overLimit, person("bigger")), headers: json },
  { name: "body limit: batch over 5 MiB", method: "PATCH", path: "/admin/identities", raw: padded(overLimit, { identities: [{ create: person("biggest") }] }), headers: json },
  { name: "body limit: put over 5 MiB", method: "PUT", path: (v) => `/admin/identities/${v.big}`, raw: padded(overLimit, { schema_id: "default", ...person("big") }), headers: json },
  { name: "body limit: patch over 5 MiB", method: "PATCH", path: (v) => `/admin/identities/${v.big}`, raw: padded(overLimit, [{ op: "replace", path: "/state", value: "inactive" }]), headers: json },
  { name: "body limit: recovery link over 5 MiB", method: "POST", path: "/admin/recovery/link", raw: padded(overLimit, { identity_id: "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" }), headers: json },
  { name: "body limit: recovery code over 5 MiB", method: "POST", path: "/admin/recovery/code", raw: padded(overLimit, { identity_id: "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" }), headers: json },
  { name: "body limit: nothing was changed", path: (v) => `/admin/identities/${v.big}` }
]

/** What `identities apply` sends to bring an existing identity's address verification and organization in line. */
const applyPatches: Array<Step> = [
  { name: "apply: identity to align", method: "POST", path: "/admin/identities", json: person("align"), capture: capture("align") },
  {
    name: "apply: verify its address and set its organization",
    method: "PATCH",
    path: (v) => `/admin/identities/${v.align}`,
    json: [
      { op: "replace", path: "/verifiable_addresses/0/verified", value: true },
      { op: "replace", path: "/verifiable_addresses/0/status", value: "completed" },
      { op: "replace", path: "/organization_id", value: "0d6a4d1c-2b1f-4c1e-9a55-3f1b2c3d4e60" }
    ]
  },
  { name: "apply: the change is kept", path: (v) => `/admin/identities/${v.align}` },
  {
    name: "apply: unverify it again",
    method: "PATCH",
    path: (v) => `/admin/identities/${v.align}`,
    json: [
      { op: "replace", path: "/verifiable_addresses/0/verified", value: false },
      { op: "replace", path: "/verifiable_addresses/0/status", value: "pending" }
    ]
  }
]

export const scenario: ReadonlyArray<Step> = [
  ...schemas,
  ...creates,
  ...reads,
  ...lists,
  ...puts,
  ...patches,
  ...batches,
  ...credentialDeletes,
  ...sessions,
  ...recovery,
  ...misc,
  ...bodyLimits,
  ...applyPatches
]

/** The password every scenario identity with a password has (scenario data, not a secret). */
export const scenarioPassword = password
