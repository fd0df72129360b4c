import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

let randomPool = Buffer.alloc(0)
let randomOffset = 0

/**
 * 16 random bytes from a pooled buffer: one randomBytes call per 256 uses instead of one each (a
 * randomBytes call costs about as much as hashing a few hundred bytes; IDs and audit salts take these
 * on every request). The caller must not keep the returned view: copy or encode it.
 */
export function randomSixteenBytes(): Buffer {
  if (randomOffset + 16 > randomPool.length) {
    randomPool = randomBytes(4096)
    randomOffset = 0
  }
  randomOffset += 16
  return randomPool.subarray(randomOffset - 16, randomOffset)
}

/**
 * A readable, time-ordered, unguessable ID: `<prefix>_` + 10 characters of milliseconds + 16 random
 * characters (80 bits), Crockford base32 in lower case. Sorting IDs as text sorts them by creation time.
 */
export function newId(prefix: string): string {
  let time = Date.now()
  let timePart = ''
  for (let i = 0; i < 10; i++) {
    timePart = ALPHABET[time % 32] + timePart
    time = Math.floor(time / 32)
  }
  let randomPart = ''
  for (const byte of randomSixteenBytes()) randomPart += ALPHABET[byte % 32]
  return `${prefix}_${timePart}${randomPart}`
}

/** A random secret for tokens shown once (links, API keys), base64url, 32 bytes by default. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}
