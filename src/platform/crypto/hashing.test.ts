import assert from 'node:assert/strict'
import { createHmac, randomBytes, randomInt } from 'node:crypto'
import { describe, it } from 'node:test'
import { HmacSha256 } from './hashing.ts'

describe('HmacSha256', () => {
  it('equals createHmac for random keys and messages, short and long, ASCII and not', () => {
    const pieces = ['a', 'Zoë', '名前', '🙂', '\u2028', '"', '\n', 'x'.repeat(700)]
    for (let i = 0; i < 300; i++) {
      // Keys of every length around the 64-byte block, where a longer key is hashed first.
      const secret = randomBytes(randomInt(1, 130))
      const hmac = new HmacSha256(secret)
      for (let j = 0; j < 5; j++) {
        const message = Array.from({ length: randomInt(0, 8) }, () => pieces[randomInt(pieces.length)]).join('')
        assert.equal(
          hmac.hex(message),
          createHmac('sha256', secret).update(message).digest('hex'),
          `key of ${secret.length} bytes, message ${JSON.stringify(message)}`,
        )
      }
    }
  })
})
