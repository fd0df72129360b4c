import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq, sql } from 'drizzle-orm'
import { accounts } from '../../src/features/identity/schema.ts'
import { startTotpEnrollment } from '../../src/features/identity/two-factor.ts'
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
    const keys = await testApp.platform.db.select().from(dataKeys)
    assert.ok(keys.length >= 1)
    for (const key of keys) assert.notEqual(key.wrappedKey.length, 0)
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
