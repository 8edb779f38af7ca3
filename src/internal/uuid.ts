/**
 * UUID text as one flat string. Joining hex slices with dashes (as Node's `randomUUID` does too)
 * makes a rope of about ten pieces, ~480 bytes of heap for every id kept: stored identities and
 * in-flight patch ids are kept by the hundred thousand.
 */
const text = Buffer.alloc(36)
const variant = Buffer.from("89ab89ab89ab89ab", "latin1")
const hexValue = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x57)

/** The UUID of 32 lowercase hex digits, with `version` and the RFC 9562 variant (10xx) set. @internal */
export const formatUuid = (hex: string, version: number): string => {
  let o = 0
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) text[o++] = 0x2d
    text[o++] = hex.charCodeAt(i)
  }
  text[14] = 0x30 + version
  text[19] = variant[hexValue(hex.charCodeAt(16))]
  return text.toString("latin1", 0, 36)
}
