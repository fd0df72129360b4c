import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq, inArray } from 'drizzle-orm'
import { customType, pgTable, text } from 'drizzle-orm/pg-core'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { mailMessages } from '../mail/schema.ts'
import { insertMany } from './insert-many.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('insertMany', () => {
  it('stores every field as Drizzle would, with app-side and SQL defaults, and returns what was asked', async () => {
    const rows = [
      { toAddress: 'zoë@example.org', subject: 'It’s "quoted", \\ and\nbroken', bodyEncrypted: 'body 1', status: 'outbox' as const },
      {
        id: 'mail_given',
        orgId: 'org_x',
        toAddress: 'b@example.org',
        subject: '名前 🙂',
        bodyEncrypted: 'body 2',
        htmlEncrypted: '<p>2</p>',
        attachments: [{ source: 'certificate', ref: 'cred_1' }],
        status: 'queued' as const,
      },
    ]
    const returned = await insertMany(testApp.platform.db, mailMessages, rows, ['id', 'createdAt', 'attachments'])
    assert.equal(returned.length, 2)
    const generated = returned.find((row) => row.id !== 'mail_given')
    assert.match(generated?.id ?? '', /^mail_[0-9a-z]{26}$/, 'the $defaultFn ID')
    assert.ok(returned.every((row) => row.createdAt instanceof Date && Math.abs(row.createdAt.getTime() - Date.now()) < 60_000))
    assert.deepEqual(returned.find((row) => row.id === 'mail_given')?.attachments, rows[1]?.attachments)

    const stored = await testApp.platform.db
      .select()
      .from(mailMessages)
      .where(
        inArray(
          mailMessages.id,
          returned.map((row) => row.id),
        ),
      )
    const byAddress = new Map(stored.map((row) => [row.toAddress, row]))
    const first = byAddress.get('zoë@example.org')
    assert.equal(first?.subject, rows[0]?.subject)
    assert.equal(first?.orgId, null)
    assert.equal(first?.htmlEncrypted, null)
    assert.deepEqual(first?.attachments, [], 'the SQL default of a column no row sets')
    assert.equal(first?.attempts, 0)
    const second = byAddress.get('b@example.org')
    assert.equal(second?.subject, '名前 🙂')
    assert.equal(second?.status, 'queued')
    assert.deepEqual(second?.attachments, rows[1]?.attachments)
  })

  it('refuses, before writing anything, what JSON cannot carry or a default only the database knows', async () => {
    const { db } = testApp.platform
    const row = { toAddress: 'refused@example.org', subject: 'refused', bodyEncrypted: 'x', status: 'outbox' as const }
    await assert.rejects(
      insertMany(db, mailMessages, [{ ...row, createdAt: new Date() }, row], ['id']),
      /createdAt is set in some rows only, and its default is computed by the database/,
    )
    const binary = pgTable('binary_probe', { id: text().primaryKey(), bytes: customType<{ data: Buffer }>({ dataType: () => 'bytea' })() })
    await assert.rejects(insertMany(db, binary, [{ id: 'b', bytes: Buffer.from([1, 2]) }], []), /bytes is binary, which JSON cannot carry/)
    assert.equal((await db.select().from(mailMessages).where(eq(mailMessages.toAddress, 'refused@example.org'))).length, 0)
  })

  it('inserts nothing for no rows', async () => {
    assert.deepEqual(await insertMany(testApp.platform.db, mailMessages, [], ['id']), [])
  })
})
