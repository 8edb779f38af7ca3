/**
 * File-name completion for flags and arguments that name files (`--file`, `import <file>`):
 * the entries of the directory typed so far, directories with a trailing `/`, `~/` for home.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** Completions of `word` as a path; each ends in `/` (a directory, to go on) or a space. */
export const completePath = (word: string, cwd: string = process.cwd()): Array<string> => {
  const expanded = word === "~" ? os.homedir() + "/" : word.startsWith("~/") ? os.homedir() + word.slice(1) : word
  const slash = expanded.lastIndexOf("/")
  const dir = slash < 0 ? "" : expanded.slice(0, slash + 1)
  const base = expanded.slice(slash + 1)
  const shown = word === "~" ? "~/" : word.slice(0, word.length - base.length)
  let entries: Array<fs.Dirent>
  try {
    entries = fs.readdirSync(path.resolve(cwd, dir === "" ? "." : dir), { withFileTypes: true })
  } catch {
    return []
  }
  const isDir = (e: fs.Dirent): boolean => {
    if (e.isDirectory()) return true
    if (!e.isSymbolicLink()) return false
    try {
      return fs.statSync(path.resolve(cwd, dir, e.name)).isDirectory()
    } catch {
      return false
    }
  }
  return entries
    .filter((e) => e.name.startsWith(base) && (base.startsWith(".") || !e.name.startsWith(".")))
    .map((e) => shown + e.name + (isDir(e) ? "/" : " "))
    .sort()
}
