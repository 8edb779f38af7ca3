#!/usr/bin/env node
// The registry reachable here serves only the linux-x64 builds of some native packages, so
// `npm install` writes a lockfile without their other-platform optional builds, and `npm ci`
// then refuses it ("Missing: ... from lock file"). This adds those entries back, marked optional
// and tagged with the os/cpu/libc their names encode, so every platform skips what it cannot run.
// Run after `npm install` whenever package-lock.json changes.
import { readFileSync, writeFileSync } from "node:fs"

const file = new URL("../package-lock.json", import.meta.url)
const lock = JSON.parse(readFileSync(file, "utf8"))
const packages = lock.packages

const osNames = ["android", "darwin", "freebsd", "linux", "win32", "openbsd", "openharmony", "netbsd", "sunos", "aix"]
const cpuNames = ["arm64", "arm", "x64", "ia32", "loong64", "ppc64", "riscv64", "s390x", "mips64el", "wasm32"]
const platformOf = (name) => {
  const parts = name.split("/").pop().split("-")
  const os = parts.find((p) => osNames.includes(p))
  const cpu = parts.find((p) => cpuNames.includes(p))
  if (!os || !cpu) return undefined
  const libc = parts.includes("musl") || parts.includes("musleabihf") ? "musl"
    : os === "linux" && (parts.includes("gnu") || parts.includes("gnueabihf")) ? "glibc" : undefined
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) }
}

let added = 0
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === "" ? "node_modules" : `${path}/node_modules`
    if (packages[`${base}/${dep}`] || packages[`node_modules/${dep}`]) continue
    const platform = platformOf(dep)
    if (!platform) continue
    packages[`node_modules/${dep}`] = { version, ...platform, optional: true }
    added++
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)))
)
lock.packages = sorted
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n")
console.log(`complete-lockfile: added ${added} optional platform entries`)
