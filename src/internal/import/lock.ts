/**
 * One import per journal: `<journal>.lock`, created exclusively, names its holder (pid, host,
 * start time). A lock whose holder is gone (same host, no such process, or a process started at
 * another time: the pid was reused) is stale and taken over; any other is refused with its holder.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { privateMode } from "./journal.js"

export interface Holder {
  readonly pid: number
  readonly host: string
  /** When the holding run began (ISO). */
  readonly started: string
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  readonly processStart?: string | undefined
}

export type Acquired =
  | { readonly _tag: "Acquired"; readonly release: () => void; readonly tookOver?: Holder | undefined }
  | { readonly _tag: "Held"; readonly holder: Holder | undefined; readonly lockPath: string }

/** Field 22 of /proc/<pid>/stat (undefined where there is no procfs). */
const processStart = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) may hold spaces and parentheses: count from the last ")"
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
  } catch {
    return undefined
  }
}

const alive = (holder: Holder): boolean => {
  try {
    process.kill(holder.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  if (holder.processStart === undefined) return true
  const now = processStart(holder.pid)
  return now === undefined || now === holder.processStart
}

const readHolder = (path: string): Holder | undefined => {
  try {
    const h = JSON.parse(fs.readFileSync(path, "utf8")) as Holder
    return typeof h.pid === "number" && typeof h.host === "string" ? h : undefined
  } catch {
    return undefined
  }
}

// A lock file still being written by its creator is empty for a moment: not stale before this age.
const unreadableGrace = 10_000

const isStale = (path: string, holder: Holder | undefined): boolean => {
  if (holder === undefined) {
    try {
      return Date.now() - fs.statSync(path).mtimeMs > unreadableGrace
    } catch {
      return true
    }
  }
  return holder.host === os.hostname() && !alive(holder)
}

/** Takes the lock of `journal`, or says who holds it. Throws only when the lock cannot be written at all. */
export const acquire = (journal: string, started: Date): Acquired => {
  const lockPath = `${journal}.lock`
  const me: Holder = { pid: process.pid, host: os.hostname(), started: started.toISOString(), processStart: processStart(process.pid) }
  let tookOver: Holder | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number
    try {
      fd = fs.openSync(lockPath, "wx", privateMode)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
      const holder = readHolder(lockPath)
      if (!isStale(lockPath, holder)) return { _tag: "Held", holder, lockPath }
      // Moved aside rather than deleted: of two runs seeing the same stale lock, one rename wins.
      const aside = `${lockPath}.stale-${process.pid}`
      try {
        fs.renameSync(lockPath, aside)
        fs.rmSync(aside, { force: true })
      } catch {
        // another run took it over first: look again
      }
      tookOver = holder
      continue
    }
    try {
      fs.writeSync(fd, JSON.stringify(me))
    } finally {
      fs.closeSync(fd)
    }
    const release = () => {
      if (readHolder(lockPath)?.pid === me.pid) fs.rmSync(lockPath, { force: true })
    }
    return { _tag: "Acquired", release, tookOver }
  }
  return { _tag: "Held", holder: readHolder(lockPath), lockPath }
}

export const describeHolder = (h: Holder | undefined): string =>
  h === undefined ? "an unknown process" : `pid ${h.pid} on ${h.host}, running since ${h.started}`
