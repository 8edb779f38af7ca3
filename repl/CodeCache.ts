/**
 * Runs the CLI's CommonJS bundle (dist/bin/main.cjs) with a V8 code cache, so that a warm start
 * does not compile it again. Node 20 has no compile cache for ES modules (`module.enableCompileCache`
 * is Node 22.1), and compiling the bundle was the largest single cost of a one-shot command: a
 * `vm.Script` given the `cachedData` V8 produced earlier skips parsing and compiling every function
 * the cache holds.
 *
 * - The cache is produced after the command ran (`createCachedData` at exit), so it holds the
 *   functions compiled lazily while the command ran, not only the top level.
 * - It lives in the user's cache directory (`$XDG_CACHE_HOME/effect-kratos`, else
 *   `~/.cache/effect-kratos`, else a per-user directory in the OS's temporary directory), never
 *   inside the installed package, which may be read-only. A directory that cannot be written, or
 *   is not the user's own (someone else's cache is code this process would run), is not used.
 * - Its name carries what V8 would refuse it for anyway (bundle content, Node version and
 *   architecture, V8 flags), so two installs or two Node versions keep their own files instead of
 *   overwriting each other's. V8 itself checks the source only by its length, hence the bundle's
 *   content hash (computed by the build) in the name.
 * - A cache V8 rejects is replaced after the run; each command line's first words are recorded in
 *   the file, and a command not recorded yet has its functions added (a cache made by `--help`
 *   would otherwise stay without what `identities list` compiles, for good).
 * - It is written to a temporary name and renamed, so a concurrent run reads the old file or the
 *   new one, never a torn one. Any failure to read or write is ignored: the bundle then compiles
 *   from source, as it would without a cache.
 * - `KRATOS_ADMIN_NO_COMPILE_CACHE=1` turns it off.
 *
 * Only Node built-ins here: this runs before the bundle, and must stay cheap.
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import * as vm from "node:vm"
import { crc32 } from "node:zlib"

/** What a run needs to find and key its cache. */
export interface Options {
  /** The CommonJS bundle to run. */
  readonly bundle: string
  /** A hash of the bundle's content (V8 checks only its length). */
  readonly bundleId: string
  /** V8 flags set at run time (`v8.setFlagsFromString`): they change what V8 accepts. */
  readonly v8Flags: ReadonlyArray<string>
  /** What the command line runs (its first words): the cache records which ones it has seen. */
  readonly command: string
  readonly env: NodeJS.ProcessEnv
}

// The file: "KAC1", the header's length and the CRC-32 of the V8 data (u32 LE each), the header
// (the commands seen, JSON), the V8 data. V8 checks its data's version, flags and source length,
// but not its bytes (release builds skip the checksum): damaged data would crash the process, so
// it is checked here.
const MAGIC = "KAC1"
const PREFIX = 12
// a bound on the commands a cache records; past it, the cache is no longer extended
const MAX_COMMANDS = 64

/** FNV-1a: a short, stable name for the flags (no `node:crypto` to load for it). */
const fnv1a = (text: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}

/** The directory the cache lives in. */
export const directory = (env: NodeJS.ProcessEnv): string => {
  const xdg = env.XDG_CACHE_HOME
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, "effect-kratos")
  let home = ""
  try {
    home = os.homedir()
  } catch {
    // no home directory (a service account): the temporary directory below
  }
  if (home !== "") return path.join(home, ".cache", "effect-kratos")
  const uid = typeof process.getuid === "function" ? `-${process.getuid()}` : ""
  return path.join(os.tmpdir(), `effect-kratos${uid}`)
}

/** The cache file's name for these options. */
export const fileName = (options: Options): string => {
  const flags = [...process.execArgv, options.env.NODE_OPTIONS ?? "", ...options.v8Flags].join("\0")
  return `kratos-admin-${options.bundleId}-${process.version}-${process.arch}-${fnv1a(flags)}.v8cache`
}

/** A directory this user alone can write: anything else could hand this process foreign code. */
const ownDirectory = (dir: string): boolean => {
  if (typeof process.getuid !== "function") return true
  const s = fs.lstatSync(dir)
  return s.isDirectory() && s.uid === process.getuid() && (s.mode & 0o022) === 0
}

interface Entry {
  readonly commands: ReadonlyArray<string>
  readonly data: Buffer
}

/** The cache file's commands and V8 data, or undefined when it is missing, foreign or damaged. */
const read = (dir: string, file: string): Entry | undefined => {
  try {
    if (!ownDirectory(dir)) return undefined
    const buffer = fs.readFileSync(path.join(dir, file))
    if (buffer.length < PREFIX || buffer.toString("latin1", 0, 4) !== MAGIC) return undefined
    const headerLength = buffer.readUInt32LE(4)
    const data = buffer.subarray(PREFIX + headerLength)
    if (crc32(data) !== buffer.readUInt32LE(8)) return undefined
    const header: unknown = JSON.parse(buffer.toString("utf8", PREFIX, PREFIX + headerLength))
    const commands = Array.isArray(header) ? header.filter((c): c is string => typeof c === "string") : []
    return { commands, data }
  } catch {
    return undefined
  }
}

const write = (dir: string, file: string, commands: ReadonlyArray<string>, data: Buffer): void => {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!ownDirectory(dir)) return
    const header = Buffer.from(JSON.stringify(commands))
    const head = Buffer.alloc(PREFIX)
    head.write(MAGIC, 0, "latin1")
    head.writeUInt32LE(header.length, 4)
    head.writeUInt32LE(crc32(data), 8)
    const temp = path.join(dir, `${file}.${process.pid}.tmp`)
    fs.writeFileSync(temp, Buffer.concat([head, header, data]), { mode: 0o600 })
    fs.renameSync(temp, path.join(dir, file))
  } catch {
    // a read-only or full disk: the next run compiles from source, as this one did
  }
}

/** Whether the code cache is turned off by the environment. */
export const disabled = (env: NodeJS.ProcessEnv): boolean => {
  const value = env.KRATOS_ADMIN_NO_COMPILE_CACHE
  return value !== undefined && value !== "" && value !== "0"
}

/**
 * Runs the bundle (a CommonJS module, its `require` resolving from its own directory) from the
 * code cache when there is a usable one; schedules the cache's (re)writing at exit when it was
 * missing, rejected or without this command.
 */
export const run = (options: Options): void => {
  // the bundle is ASCII (the build checks it): latin1 decodes it faster than utf8 does
  const source = fs.readFileSync(options.bundle, "latin1")
  const useCache = !disabled(options.env)
  const dir = useCache ? directory(options.env) : ""
  const file = useCache ? fileName(options) : ""
  const entry = useCache ? read(dir, file) : undefined
  // the bundle is a function expression, CommonJS' module wrapper (the build writes it so)
  const script = new vm.Script(source, {
    filename: options.bundle,
    ...(entry !== undefined ? { cachedData: entry.data } : {})
  })
  if (useCache) {
    const known = entry !== undefined && script.cachedDataRejected !== true ? entry.commands : undefined
    if (known === undefined || (!known.includes(options.command) && known.length < MAX_COMMANDS)) {
      process.once("exit", () => write(dir, file, [...(known ?? []), options.command], script.createCachedData()))
    }
  }
  const module = { exports: {} }
  const body = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: object,
    filename: string,
    dirname: string
  ) => void
  body.call(module.exports, module.exports, createRequire(options.bundle), module, options.bundle, path.dirname(options.bundle))
}
