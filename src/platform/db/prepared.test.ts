import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq, sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { mailMessages } from '../mail/schema.ts'
import type { Db } from './client.ts'
import { insertMany } from './insert-many.ts'
import { prepared } from './prepared.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('prepared', () => {
  it('builds a query once per database handle and runs it with each call’s values, from concurrent connections', async () => {
    const { db } = testApp.platform
    let builds = 0
    const subjectOf = (db: Db) => {
      builds++
      return db
        .select({ subject: mailMessages.subject })
        .from(mailMessages)
        .where(eq(mailMessages.id, sql.placeholder('id')))
        .prepare('')
    }
    const rows = Array.from({ length: 30 }, (_, i) => ({
      id: `mail_prepared_${i}`,
      toAddress: 'p@example.org',
      subject: `subject ${i}`,
      bodyEncrypted: 'x',
      status: 'outbox' as const,
    }))
    await insertMany(db, mailMessages, rows, [])
    const subjects = await Promise.all(rows.map(async (row) => (await prepared(db, subjectOf).execute({ id: row.id }))[0]?.subject))
    assert.deepEqual(
      subjects,
      rows.map((row) => row.subject),
    )
    assert.equal(builds, 1)
    await db.transaction(async (tx) => {
      assert.equal((await prepared(tx, subjectOf).execute({ id: 'mail_prepared_3' }))[0]?.subject, 'subject 3')
    })
    assert.equal(builds, 2, 'a transaction has a query of its own')
  })
})
