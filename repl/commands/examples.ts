/** Real examples for each command's help page, by command path. */
export const examples: Readonly<Record<string, ReadonlyArray<string>>> = {
  "identities list": [
    "kratos-admin identities list --page-size 50 --columns id,traits.email,state",
    "kratos-admin identities list --all -o jsonl > identities.jsonl",
    "kratos-admin identities list --all --jq '.[] | select(.state == \"inactive\") | .traits.email'"
  ],
  "identities get": [
    "kratos-admin identities get 8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60",
    "kratos-admin identities get <id> --include-credential password -o json"
  ],
  "identities get-by-external-id": ["kratos-admin identities get-by-external-id crm-42"],
  "identities create": [
    "kratos-admin identities create --trait email=ann@example.com --trait name.first=Ann",
    "kratos-admin identities create --schema-id customer --trait email=bo@example.com --trait username=12345 --trait-json newsletter=true",
    "echo '{\"traits\":{\"email\":\"cy@example.com\"}}' | kratos-admin identities create --file -"
  ],
  "identities update": [
    "kratos-admin identities update <id> --state inactive",
    "kratos-admin identities update <id> --file identity.json"
  ],
  "identities patch": [
    "kratos-admin identities patch <id> --op replace --path /traits/name/first --value Bea",
    "kratos-admin identities patch <id> --file patch.json"
  ],
  "identities delete": ["kratos-admin identities delete <id>", "kratos-admin identities delete <id1> <id2> --yes"],
  "identities delete-credentials": [
    "kratos-admin identities delete-credentials <id> totp",
    "kratos-admin identities delete-credentials <id> oidc --identifier google:1234567890"
  ],
  "identities sessions": ["kratos-admin identities sessions <id> --active true"],
  "identities delete-sessions": ["kratos-admin identities delete-sessions <id> --yes"],
  "identities import": [
    "kratos-admin identities import users.jsonl",
    "kratos-admin identities import users.jsonl --dry-run",
    "cat users.jsonl | kratos-admin identities import - --prehash"
  ],
  "identities deactivate": [
    "kratos-admin identities deactivate --organization-id <org-id> --dry-run",
    "kratos-admin identities deactivate --all --where '.traits.email | endswith(\"@old.example.com\")' --yes"
  ],
  "identities activate": ["kratos-admin identities activate --ids-from ids.txt --yes"],
  "sessions list": ["kratos-admin sessions list --active true", "kratos-admin sessions list --expand identity -o wide"],
  "sessions get": ["kratos-admin sessions get <session-id> --expand devices"],
  "sessions extend": ["kratos-admin sessions extend <session-id>"],
  "sessions disable": [
    "kratos-admin sessions disable <session-id> --yes",
    "kratos-admin sessions disable --all --where '.metadata_admin.compromised == true' --dry-run"
  ],
  "schemas list": ["kratos-admin schemas list"],
  "schemas get": ["kratos-admin schemas get default"],
  "recovery link": ["kratos-admin recovery link <identity-id> --expires-in 1h"],
  "recovery code": ["kratos-admin recovery code <identity-id> --expires-in 30m"],
  status: ["kratos-admin status", "kratos-admin status --check --url https://<slug>.projects.oryapis.com"],
  sandbox: [
    "kratos-admin sandbox --demo",
    "kratos-admin sandbox --port 4434 --api-key dev-key --rate-limit",
    "kratos-admin sandbox --ory-network --latency 50"
  ],
  repl: ["kratos-admin repl", "kratos-admin --url http://127.0.0.1:4434 repl"],
  // groups: shown by `kratos-admin <group> --help` under the list of its commands
  identities: [
    "kratos-admin identities list --all -q | head",
    "kratos-admin identities get <id1> <id2> <id3> -o yaml",
    "kratos-admin identities deactivate --all --where '.metadata_public.plan == \"trial\"' --dry-run"
  ],
  sessions: ["kratos-admin sessions list --expand identity -o wide", "kratos-admin identities sessions <identity-id> --active true"],
  schemas: ["kratos-admin schemas list", "kratos-admin schemas get default --jq '.properties.traits.required'"],
  recovery: ["kratos-admin recovery link <identity-id> --expires-in 1h"],
  context: ["kratos-admin context add prod --url https://<slug>.projects.oryapis.com --key-env ORY_PROD_KEY", "kratos-admin context use prod"]
}
