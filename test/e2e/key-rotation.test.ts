import assert from 'node:assert/strict'
import { createDecipheriv, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { eq, sql } from 'drizzle-orm'
import { accounts } from '../../src/features/identity/schema.ts'
import { startTotpEnrollment } from '../../src/features/identity/two-factor.ts'
import { Keyring } from '../../src/platform/crypto/keyring.ts'
import { dataKeys } from '../../src/platform/crypto/schema.ts'
import { runCli } from '../support/cli.ts'
import { newPerson, uniqueEmail } from '../support/factories.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('keyring', () => {
  it('encrypts with authentication: a changed ciphertext does not decrypt', async () => {
    const { keyring } = testApp.platform
    const ciphertext = keyring.encrypt('portal password: hunter2-canary')
    assert.ok(ciphertext.startsWith(`lk1:${keyring.activeKey}:`))
    assert.ok(!ciphertext.includes('hunter2'))
    assert.equal(await keyring.decrypt(ciphertext), 'portal password: hunter2-canary')
    const payload = Buffer.from(ciphertext.split(':')[2] ?? '', 'base64url')
    payload[payload.length - 1] = (payload.at(-1) ?? 0) ^ 1
    await assert.rejects(keyring.decrypt(`lk1:${keyring.activeKey}:${payload.toString('base64url')}`))
  })

  it('stores data keys only wrapped by the master key', async () => {
    const { platform } = testApp
    const ciphertext = platform.keyring.encrypt('a secret under the active key')
    const [stored] = await platform.db.select().from(dataKeys).where(eq(dataKeys.id, platform.keyring.activeKey))
    assert.ok(stored)
    const wrapped = Buffer.from(stored.wrappedKey, 'base64url')
    // Opened here with AES-256-GCM itself (not the keyring's code), with the key's ID as associated data.
    const dataKey = openSealed(platform.masterKey, wrapped, stored.id)
    assert.equal(dataKey.length, 32)
    assert.equal(wrapped.indexOf(dataKey), -1, 'the stored bytes do not hold the key')
    for (const encoding of ['hex', 'base64', 'base64url'] as const) assert.ok(!stored.wrappedKey.includes(dataKey.toString(encoding)))
    const payload = Buffer.from(ciphertext.split(':')[2] ?? '', 'base64url')
    assert.equal(
      openSealed(dataKey, payload, stored.id).toString('utf8'),
      'a secret under the active key',
      'what it wraps is the key secrets are encrypted with',
    )
    assert.throws(() => openSealed(randomBytes(32), wrapped, stored.id), 'no other key opens it')
    await assert.rejects(Keyring.open(platform.db, randomBytes(32)), /master key does not open/)
  })

  it('`laurel keys rotate` re-encrypts every secret: all decrypt afterwards and none stays under the old key', async () => {
    const { platform } = testApp
    const people = await Promise.all([newPerson(testApp), newPerson(testApp), newPerson(testApp)])
    const secrets = new Map<string, string>()
    for (const person of people) secrets.set(person.account.id, (await startTotpEnrollment(platform, person.account.id)).secret)
    await platform.mailer.send(platform.db, { to: uniqueEmail(), subject: 'Before rotation', text: 'a body written before rotation' })
    const oldKey = platform.keyring.activeKey

    const result = await runCli(['keys', 'rotate'], testApp.environment.env)
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /Keys rotated: \d+ secrets re-encrypted/)

    for (const column of platform.encryptedColumns) {
      const stale = await platform.db.execute(
        sql`select count(*) as count from ${sql.identifier(column.table)} where ${sql.identifier(column.column)} like ${`lk1:${oldKey}:%`}`,
      )
      assert.equal(Number(stale.rows[0]?.count), 0, `${column.table}.${column.column} still has values under the old key`)
    }
    for (const [accountId, secret] of secrets) {
      const [account] = await platform.db.select().from(accounts).where(eq(accounts.id, accountId))
      assert.ok(account?.totpSecret && !account.totpSecret.includes(oldKey))
      assert.equal(await platform.keyring.decrypt(account.totpSecret), secret)
    }
    const outbox = await platform.mailer.listOutbox(platform.db, { limit: 500 })
    assert.ok(outbox.some((message) => message.text === 'a body written before rotation'))
    const [retired] = await platform.db.select().from(dataKeys).where(eq(dataKeys.id, oldKey))
    assert.ok(retired?.retiredAt, 'the old key is retired')
    assert.equal(retired?.wrappedKey, '', 'and its material is gone')
  })
})

/** AES-256-GCM as the keyring lays it out: 12-byte IV, 16-byte tag, then the ciphertext. */
function openSealed(key: Buffer, sealed: Buffer, associatedData: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
  decipher.setAAD(Buffer.from(associatedData))
  decipher.setAuthTag(sealed.subarray(12, 28))
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
}
