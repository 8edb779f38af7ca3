/**
 * A string as one POSIX shell word: as it is when it holds only characters no shell treats
 * specially, else single-quoted (a `'` inside written `'\''`). The REPL's tokenizer reads it back
 * unchanged; commands printed for the user to run (a resume, a decompression) are built with it.
 *
 * @internal
 */
const safeWord = /^[A-Za-z0-9_@%+=:,./-]+$/

/** @internal */
export const shellWord = (word: string): string => (safeWord.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)
