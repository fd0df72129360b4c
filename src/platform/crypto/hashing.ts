import { createHash, hash, timingSafeEqual } from 'node:crypto'

/** SHA-256 hex of a high-entropy secret (login-session tokens, API keys, emailed links): no salt or stretching needed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

const SHA256_BLOCK_BYTES = 64

/**
 * HMAC-SHA256 (RFC 2104) of strings under one key, hex-encoded. It is built from two one-shot
 * `crypto.hash` calls over buffers holding the padded keys, which costs half of what `createHmac`
 * does for the few-hundred-byte messages of the audit log (a MAC on every request).
 * hashing.test.ts proves it equal to `createHmac` for random keys and messages.
 */
export class HmacSha256 {
  private readonly innerPad: Uint8Array
  // The outer key pad, followed by the inner digest.
  private readonly outer: Buffer
  // The inner key pad, followed by the message being MACed; grown when a message does not fit.
  private inner: Buffer

  constructor(secret: Buffer) {
    // A key longer than a block is hashed first; a shorter one is padded with zeros.
    const key = Buffer.alloc(SHA256_BLOCK_BYTES)
    const keyBytes = secret.length > SHA256_BLOCK_BYTES ? hash('sha256', secret, 'buffer') : secret
    keyBytes.copy(key)
    this.innerPad = key.map((byte) => byte ^ 0x36)
    this.outer = Buffer.concat([key.map((byte) => byte ^ 0x5c), Buffer.alloc(32)])
    this.inner = this.withInnerPad(1024)
  }

  hex(message: string): string {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = message.length * 3
    if (SHA256_BLOCK_BYTES + room > this.inner.length) this.inner = this.withInnerPad(room)
    const length = this.inner.write(message, SHA256_BLOCK_BYTES)
    this.outer.write(hash('sha256', this.inner.subarray(0, SHA256_BLOCK_BYTES + length), 'hex'), SHA256_BLOCK_BYTES, 'hex')
    return hash('sha256', this.outer, 'hex')
  }

  private withInnerPad(messageRoom: number): Buffer {
    return Buffer.concat([this.innerPad, Buffer.alloc(messageRoom)])
  }
}

export function equalsConstantTime(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
