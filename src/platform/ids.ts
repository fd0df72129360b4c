import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

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
  const random = randomBytes(16)
  let randomPart = ''
  for (const byte of random) randomPart += ALPHABET[byte % 32]
  return `${prefix}_${timePart}${randomPart}`
}

/** A random secret for tokens shown once (links, API keys), base64url, 32 bytes by default. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}
