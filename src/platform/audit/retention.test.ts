import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import type { RetentionRule } from '../privacy/registry.ts'
import { runRule } from '../privacy/retention.ts'
import { canonicalContentV2, sha256Hex } from './log.ts'
import { ipAddressesRule, requestEntriesRule } from './retention.ts'
import { auditEntries } from './schema.ts'
import { verifyAuditLog } from './verify.ts'

const DAY_MS = 24 * 3600_000

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

async function entryWithIp(ip: string) {
  const [row] = await testApp.platform.db
    .select()
    .from(auditEntries)
    .where(eq(auditEntries.id, await idOf(ip)))
  assert.ok(row)
  return row
}

async function idOf(ip: string): Promise<string> {
  const [row] = await testApp.platform.db.select({ id: auditEntries.id }).from(auditEntries).where(eq(auditEntries.target, ip))
  assert.ok(row, `no entry for ${ip}`)
  return row.id
}

/** Applies the rule as a dry run and as a run, which must agree; returns the count. */
async function applyRule(rule: RetentionRule): Promise<number> {
  const { db, clock } = testApp.platform
  const wouldRemove = await runRule(db, rule, { now: clock.now(), dryRun: true })
  const removed = await runRule(db, rule, { now: clock.now(), dryRun: false })
  assert.equal(removed, wouldRemove, `${rule.key}: the dry run said ${wouldRemove}, the run removed ${removed}`)
  return removed
}

async function assertIntact(): Promise<void> {
  const verdict = await verifyAuditLog(testApp.platform)
  assert.equal(verdict.ok, true, JSON.stringify(verdict))
}

async function assertEdited(id: string, detail: RegExp): Promise<void> {
  const verdict = await verifyAuditLog(testApp.platform)
  assert.equal(verdict.ok, false)
  assert.equal(!verdict.ok && verdict.problem, 'edited')
  assert.equal('entryId' in verdict && verdict.entryId, id)
  assert.match(!verdict.ok ? verdict.detail : '', detail)
}

// Each entry's target names it by its IP address, so tests can find it again.
function record(action: string, ip: string): void {
  testApp.platform.audit.record({ action, actorAccountId: 'acct_retention', target: ip, ip, userAgent: `Browser for ${ip}`, data: { path: '/somewhere' } })
}

describe('audit retention', () => {
  it('anonymises IP addresses after 90 days and prunes request entries after a year, and the chain still verifies', async () => {
    const { platform, clock } = testApp
    record('http.page_request', '203.0.113.1')
    record('identity.sign_in', '203.0.113.2')
    await platform.audit.flush()
    clock.advance(100 * DAY_MS)
    record('http.page_request', '203.0.113.3')
    await platform.audit.flush()

    assert.ok((await applyRule(ipAddressesRule)) >= 2)
    for (const ip of ['203.0.113.1', '203.0.113.2']) {
      const old = await entryWithIp(ip)
      assert.equal(old.ip, null)
      assert.equal(old.userAgent, null)
      assert.equal(old.personalSalt, null)
      assert.ok(old.personalDigest)
    }
    assert.equal((await entryWithIp('203.0.113.3')).ip, '203.0.113.3')
    await assertIntact()

    clock.advance(300 * DAY_MS)
    assert.ok((await applyRule(requestEntriesRule)) >= 1)
    const prunedRows = await platform.db.select().from(auditEntries).where(eq(auditEntries.action, 'http.page_request'))
    const old = prunedRows.find((row) => row.prunedAt !== null)
    assert.ok(old, 'the year-old request entry is a tombstone')
    assert.deepEqual({ target: old.target, actor: old.actorAccountId, data: old.data, ip: old.ip }, { target: null, actor: null, data: {}, ip: null })
    assert.ok(old.contentDigest)
    assert.equal((await entryWithIp('203.0.113.3')).prunedAt, null, 'the 300-day-old request entry stays')
    assert.equal((await platform.db.select().from(auditEntries).where(eq(auditEntries.target, '203.0.113.2')))[0]?.prunedAt, null, 'a sign-in is never pruned')
    await assertIntact()

    assert.equal(await applyRule(ipAddressesRule), 1, 'the 300-day-old request entry is anonymised')
    assert.equal(await applyRule(requestEntriesRule), 0)
    assert.equal(await applyRule(ipAddressesRule), 0)
    await assertIntact()
  })

  it('still detects a tombstone whose action or time was changed', async () => {
    const { db } = testApp.platform
    const [tombstone] = await db.select().from(auditEntries).where(eq(auditEntries.action, 'http.page_request'))
    assert.ok(tombstone?.prunedAt)
    await db.update(auditEntries).set({ action: 'http.api_request' }).where(eq(auditEntries.seq, tombstone.seq))
    await assertEdited(tombstone.id, /no longer matches its MAC/)
    await db
      .update(auditEntries)
      .set({ action: tombstone.action, recordedAt: new Date(tombstone.recordedAt.getTime() - DAY_MS) })
      .where(eq(auditEntries.seq, tombstone.seq))
    await assertEdited(tombstone.id, /no longer matches its MAC/)
    await db.update(auditEntries).set({ recordedAt: tombstone.recordedAt }).where(eq(auditEntries.seq, tombstone.seq))
    await assertIntact()
  })

  it('detects an entry of another action pruned as a tombstone would be, even with a correct digest', async () => {
    const { db } = testApp.platform
    const [signIn] = await db.select().from(auditEntries).where(eq(auditEntries.target, '203.0.113.2'))
    assert.ok(signIn)
    await db
      .update(auditEntries)
      .set({ target: null, actorAccountId: null, data: {}, personalDigest: null, prunedAt: new Date(), contentDigest: sha256Hex(canonicalContentV2(signIn)) })
      .where(eq(auditEntries.seq, signIn.seq))
    await assertEdited(signIn.id, /identity\.sign_in entries are never pruned/)
    await db.update(auditEntries).set(signIn).where(eq(auditEntries.seq, signIn.seq))
    await assertIntact()
  })

  it('detects an IP address changed, and one removed before its 90 days', async () => {
    const { db, audit } = testApp.platform
    record('identity.sign_in_failed', '198.51.100.9')
    await audit.flush()
    const fresh = await entryWithIp('198.51.100.9')
    await db.update(auditEntries).set({ ip: '198.51.100.10' }).where(eq(auditEntries.seq, fresh.seq))
    await assertEdited(fresh.id, /no longer matches its MAC/)
    await db.update(auditEntries).set({ ip: null, userAgent: null, personalSalt: null }).where(eq(auditEntries.seq, fresh.seq))
    await assertEdited(fresh.id, /removed before its 90 days/)
    await db.update(auditEntries).set(fresh).where(eq(auditEntries.seq, fresh.seq))
    await assertIntact()
  })
})
