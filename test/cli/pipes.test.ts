/**
 * Every byte of output reaches a reader that starts late, in every output mode, through real pipes;
 * a write failure other than a closed pipe is an error exit.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { sandbox, seed, sh } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
const count = 2600

beforeAll(async () => {
  sb = await sandbox()
  // ~1.5 KB each: every mode prints well over 1 MB
  await seed(sb.url, count, 1200, "pipe")
}, 120_000)
afterAll(() => sb.close())

describe("output through pipes", () => {
  it("jsonl, json and table reach a reader that starts a second late, then the exit code is the command's", async () => {
    const env = { KRATOS_ADMIN_URL: sb.url }
    const [jsonl, json, table] = await Promise.all([
      sh(`$KA identities list --all -o jsonl | (sleep 1; wc -l)`, { env }),
      sh(`$KA identities list --all -o json | (sleep 1; cat) | $NODE -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length, s.length))'`, { env }),
      sh(`$KA identities list --all -o table | (sleep 1; wc -l)`, { env })
    ])
    expect(jsonl.code).toBe(0)
    expect(Number(jsonl.stdout.trim())).toBe(count)
    expect(json.code).toBe(0)
    const [items, bytes] = json.stdout.trim().split(" ").map(Number)
    expect(items).toBe(count)
    expect(bytes).toBeGreaterThan(1024 * 1024)
    expect(table.code).toBe(0)
    expect(Number(table.stdout.trim())).toBe(count + 1)
  }, 120_000)

  it("one page of JSON piped to a late reader is complete", async () => {
    const r = await sh(`$KA identities list --page-size 500 -o json | (sleep 1; cat) | $NODE -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))'`, {
      env: { KRATOS_ADMIN_URL: sb.url }
    })
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe("500")
  }, 60_000)

  it("a closed pipe (| head) ends quietly; a full disk is an error exit", async () => {
    const env = { KRATOS_ADMIN_URL: sb.url }
    const head = await sh(`$KA identities list --all -o jsonl | head -n 1 | wc -l; echo "exit \${PIPESTATUS[0]}"`, { env })
    expect(head.stdout).toMatch(/^1\nexit 0\n$/)
    expect(head.stderr).toBe("")
    const full = await sh(`$KA identities list -o json > /dev/full`, { env })
    expect(full.code).toBe(1)
    expect(full.stderr).toContain("cannot write the output: ENOSPC")
  }, 60_000)
})
