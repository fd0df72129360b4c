import { createHash, createHmac, type KeyObject, timingSafeEqual } from 'node:crypto'

/** SHA-256 hex of a high-entropy secret (login-session tokens, API keys, emailed links): no salt or stretching needed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Pass a KeyObject (createSecretKey) on hot paths: a raw Buffer key costs ~5x more per call. */
export function hmacHex(key: KeyObject | Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex')
}

export function equalsConstantTime(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
