import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { asc, eq, isNotNull } from 'drizzle-orm'
import { runCli } from '../../../test/support/cli.ts'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { canonicalContent, canonicalJson, macInputV2, sha256Hex } from './log.ts'
import { auditEntries } from './schema.ts'
import { verifyAuditLog } from './verify.ts'

let testApp: TestApp
let second: TestApp
before(async () => {
  testApp = await startTestApp()
  // A second app on the same database stands for another process in server mode (or a CLI next to the embedded server).
  second = await startTestApp({ environment: testApp.environment })
})
after(async () => {
  await second.close()
  await testApp.close()
})

describe('audit chain', () => {
  it('writes the MACed content and the format-2 MAC input exactly as the general JSON forms, for random entries', () => {
    const pieces = ['', 'a', 'Zoë', '"quoted"', 'back\\slash', 'line\nbreak', '名前', '🙂', '\u2028', 'tab\t']
    const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T
    const text = () => Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => pick(pieces)).join('')
    const maybe = () => (Math.random() < 0.3 ? null : text())
    for (let i = 0; i < 500; i++) {
      const entry = {
        id: text(),
        recordedAt: new Date(Math.floor(Math.random() * 4e12)),
        orgId: maybe(),
        actorAccountId: maybe(),
        action: text(),
        target: maybe(),
        data: { [text()]: text(), nested: { z: [1, null, text()], a: Math.random() < 0.5 }, count: i },
        ip: maybe(),
        userAgent: maybe(),
      }
      const general = canonicalJson({ ...entry, recordedAt: entry.recordedAt.toISOString() })
      assert.equal(canonicalContent(entry), general)
      const digest = sha256Hex(general)
      assert.equal(macInputV2(entry.action, entry.recordedAt, digest), JSON.stringify(['v2', entry.action, entry.recordedAt.toISOString(), digest]))
    }
  })

  it('stays intact with two writers appending batches and in-transaction entries at once', async () => {
    for (let i = 0; i < 150; i++) {
      testApp.platform.audit.record({ action: 'test.first_writer', data: { i } })
      second.platform.audit.record({ action: 'test.second_writer', data: { i } })
    }
    await testApp.platform.db.transaction((tx) => testApp.platform.audit.recordIn(tx, { action: 'test.in_transaction', target: 'x' }))
    await Promise.all([testApp.platform.audit.flush(), second.platform.audit.flush(), testApp.platform.audit.flush()])
    await testApp.platform.audit.flush()
    const verdict = await verifyAuditLog(testApp.platform)
    assert.equal(verdict.ok, true, JSON.stringify(verdict))
    const chained = await testApp.platform.db.select({ action: auditEntries.action }).from(auditEntries).where(isNotNull(auditEntries.chainIndex))
    assert.equal(chained.filter((entry) => entry.action.startsWith('test.')).length, 301)
  })

  it('drops an in-transaction entry whose transaction rolls back', async () => {
    await assert.rejects(
      testApp.platform.db.transaction(async (tx) => {
        await testApp.platform.audit.recordIn(tx, { action: 'test.rolled_back' })
        throw new Error('roll back')
      }),
    )
    await testApp.platform.audit.flush()
    const rows = await testApp.platform.db.select().from(auditEntries).where(eq(auditEntries.action, 'test.rolled_back'))
    assert.equal(rows.length, 0)
  })

  it('never chains an entry inserted with SQL, and verification names it', async () => {
    const [first] = await testApp.platform.db.select().from(auditEntries).orderBy(asc(auditEntries.seq)).limit(1)
    assert.ok(first)
    await testApp.platform.db
      .insert(auditEntries)
      .values({ ...first, seq: undefined, id: 'aud_forged', action: 'identity.forged', chainIndex: null, prevHash: null, hash: null })
    testApp.platform.audit.record({ action: 'test.after_forgery' })
    await testApp.platform.audit.close()
    const verdict = await verifyAuditLog(testApp.platform)
    assert.equal(verdict.ok, false)
    assert.equal(!verdict.ok && verdict.problem, 'inserted')
    assert.equal('entryId' in verdict && verdict.entryId, 'aud_forged')
    await testApp.platform.db.delete(auditEntries).where(eq(auditEntries.id, 'aud_forged'))
    assert.equal((await verifyAuditLog(testApp.platform)).ok, true)
  })

  it('`laurel audit verify` passes, then names an edited entry, then a deleted one', async () => {
    const env = testApp.environment.env
    const intact = await runCli(['audit', 'verify'], env)
    assert.equal(intact.code, 0, intact.stderr)
    assert.match(intact.stdout, /intact/)

    const entries = await testApp.platform.db.select().from(auditEntries).orderBy(asc(auditEntries.chainIndex)).limit(20)
    const edited = entries[5]
    const deleted = entries[12]
    assert.ok(edited && deleted)
    await testApp.platform.db
      .update(auditEntries)
      .set({ data: { i: 999 } })
      .where(eq(auditEntries.id, edited.id))
    const afterEdit = await runCli(['audit', 'verify'], env)
    assert.equal(afterEdit.code, 1)
    assert.match(afterEdit.stderr, new RegExp(`${edited.id}.*edited`))

    await testApp.platform.db.update(auditEntries).set({ data: edited.data }).where(eq(auditEntries.id, edited.id))
    await testApp.platform.db.delete(auditEntries).where(eq(auditEntries.id, deleted.id))
    const afterDelete = await runCli(['audit', 'verify'], env)
    assert.equal(afterDelete.code, 1)
    assert.match(afterDelete.stderr, /was deleted/)
    assert.match(afterDelete.stderr, new RegExp(`entries ${deleted.chainIndex}\\.\\.${deleted.chainIndex}`))
  })
})
