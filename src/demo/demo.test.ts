import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp, textOf } from '../../test/support/harness.ts'
import { findAccountByEmail } from '../features/identity/service.ts'
import { listOrgsForAccount } from '../features/orgs/service.ts'
import { describeAuditVerdict, verifyAuditLog } from '../platform/audit/verify.ts'
import { createDemoData, DEMO_ADMIN, DEMO_RECIPIENT } from './index.ts'

let testApp: TestApp
let orgId: string
let seconds: number

/** One number from a query returning a single `n` column. */
async function countOf(query: ReturnType<typeof sql>): Promise<number> {
  const result = await testApp.platform.db.execute(query)
  return Number((result.rows[0] as { n: unknown } | undefined)?.n ?? 0)
}

before(async () => {
  // With SMTP configured, demo mail must still stay in the outbox (its addresses are in .test).
  testApp = await startTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:9' } })
  testApp.secrets.add(DEMO_ADMIN.password)
  const startedAt = performance.now()
  await createDemoData(testApp.platform)
  seconds = (performance.now() - startedAt) / 1000
  orgId = String((await testApp.platform.db.execute(sql`select id from orgs limit 1`)).rows[0]?.id)
})

after(() => testApp.close())

describe('createDemoData', () => {
  it('finishes quickly enough for a first start', () => {
    console.log(`createDemoData took ${seconds.toFixed(1)} s`)
    assert.ok(seconds < 40, `createDemoData took ${seconds.toFixed(1)} s`)
  })

  it('creates two achievements, each with a badge image and a certificate design with a logo', async () => {
    assert.equal(await countOf(sql`select count(*) n from achievements where org_id = ${orgId} and image_type is not null`), 2)
    assert.equal(await countOf(sql`select count(*) n from certificate_designs where org_id = ${orgId} and logo_data is not null`), 2)
  })

  it('issues about 200 credentials over the past twelve months, some revoked, corrected and expiring soon, many with results', async () => {
    const total = await countOf(sql`select count(*) n from credentials where org_id = ${orgId}`)
    assert.ok(total >= 180 && total <= 230, `${total} credentials`)
    const months = await countOf(sql`select count(distinct to_char(valid_from, 'YYYY-MM')) n from credentials where org_id = ${orgId}`)
    assert.ok(months >= 12, `issued in ${months} months`)
    assert.equal(await countOf(sql`select count(*) n from credentials where org_id = ${orgId} and valid_from > now()`), 0)
    assert.equal(
      await countOf(sql`select count(*) n from credentials where org_id = ${orgId} and created_at <> valid_from`),
      0,
      'creation dates follow the issue dates',
    )
    const revoked = await countOf(
      sql`select count(*) n from credentials where org_id = ${orgId} and revoked_at is not null and revocation_reason <> 'superseded'`,
    )
    assert.ok(revoked >= 3, `${revoked} revoked`)
    const superseded = await countOf(sql`select count(*) n from credentials where org_id = ${orgId} and revocation_reason = 'superseded'`)
    const corrections = await countOf(
      sql`select count(*) n from credentials c join credentials old on old.id = c.replaces_credential_id where c.org_id = ${orgId} and old.revocation_reason = 'superseded'`,
    )
    assert.ok(superseded >= 3 && corrections === superseded, `${superseded} superseded, ${corrections} corrections`)
    const expiringSoon = await countOf(
      sql`select count(*) n from credentials where org_id = ${orgId} and revoked_at is null and valid_until between now() and now() + interval '60 days'`,
    )
    assert.ok(expiringSoon >= 3, `${expiringSoon} expiring within 60 days`)
    const withResults = await countOf(sql`select count(*) n from credentials where org_id = ${orgId} and document->'credentialSubject' ? 'result'`)
    assert.ok(withResults >= 50, `${withResults} with results`)
  })

  it('records a year of views, verifications, downloads and shares, and no deliveries the outbox never made', async () => {
    const byKind = new Map(
      (await testApp.platform.db.execute(sql`select kind, count(*) n from credential_events where org_id = ${orgId} group by kind`)).rows.map((row) => [
        String(row.kind),
        Number(row.n),
      ]),
    )
    for (const kind of ['page_viewed', 'verified', 'pdf_downloaded', 'json_downloaded', 'linkedin_clicked']) {
      assert.ok((byKind.get(kind) ?? 0) >= 20, `${byKind.get(kind) ?? 0} ${kind} events`)
    }
    assert.equal(byKind.get('delivered'), undefined)
    assert.equal(byKind.get('link_opened'), undefined)
    const months = await countOf(sql`select count(distinct to_char(occurred_at, 'YYYY-MM')) n from credential_events where org_id = ${orgId}`)
    assert.ok(months >= 12, `events in ${months} months`)
    assert.equal(await countOf(sql`select count(*) n from credential_events where org_id = ${orgId} and occurred_at > now()`), 0)
  })

  it('builds an exam catalog, sessions held with check-ins and results that issued credentials, and upcoming ones with a waitlist', async () => {
    assert.equal(await countOf(sql`select count(*) n from exams where org_id = ${orgId}`), 3)
    assert.equal(await countOf(sql`select count(*) n from test_centres where org_id = ${orgId}`), 3)
    assert.equal(await countOf(sql`select count(*) n from rooms where org_id = ${orgId}`), 4)
    assert.equal(await countOf(sql`select count(*) n from proctors where org_id = ${orgId}`), 3)
    const held = await countOf(sql`select count(*) n from exam_sessions where org_id = ${orgId} and status = 'completed' and ends_at < now()`)
    assert.ok(held >= 5, `${held} sessions held`)
    const checkedIn = await countOf(
      sql`select count(*) n from exam_registrations r join exam_sessions s on s.id = r.exam_session_id where s.org_id = ${orgId} and r.checked_in_at >= s.starts_at and r.checked_in_at <= s.ends_at`,
    )
    assert.ok(checkedIn >= 40, `${checkedIn} checked in`)
    const issuedByResults = await countOf(
      sql`select count(*) n from exam_registrations r join credentials c on c.id = r.credential_id where r.org_id = ${orgId} and r.passed and c.document->'credentialSubject' ? 'result'`,
    )
    assert.ok(issuedByResults >= 20, `${issuedByResults} credentials issued by results`)
    const upcoming = await countOf(
      sql`select count(*) n from exam_sessions where org_id = ${orgId} and status in ('scheduled', 'confirmed') and starts_at > now()`,
    )
    assert.ok(upcoming >= 3, `${upcoming} upcoming`)
    const seated = await countOf(
      sql`select count(*) n from exam_registrations r join exam_sessions s on s.id = r.exam_session_id where s.org_id = ${orgId} and s.starts_at > now() and r.status = 'seated'`,
    )
    const waitlisted = await countOf(
      sql`select count(*) n from exam_registrations r join exam_sessions s on s.id = r.exam_session_id where s.org_id = ${orgId} and s.starts_at > now() and r.status = 'waitlisted'`,
    )
    assert.ok(seated >= 10 && waitlisted >= 1, `${seated} seated, ${waitlisted} waitlisted`)
  })

  it('keeps every demo email in the outbox, addressed only to the reserved demo domain', async () => {
    assert.ok((await countOf(sql`select count(*) n from mail_messages`)) > 200)
    assert.equal(await countOf(sql`select count(*) n from mail_messages where status <> 'outbox'`), 0)
    assert.equal(await countOf(sql`select count(*) n from mail_messages where to_address not like '%@demo.laurel.test'`), 0)
  })

  it('records every change in an intact audit chain, as the services do', async () => {
    const verdict = await verifyAuditLog(testApp.platform)
    assert.ok(verdict.ok, describeAuditVerdict(verdict))
    assert.ok((await countOf(sql`select count(*) n from audit_entries where org_id = ${orgId} and action = 'credentials.revoked'`)) >= 3)
  })

  it('gives the recipient an account in no organisation that sees their credentials, the corrected one included', async () => {
    const account = await findAccountByEmail(testApp.platform.db, DEMO_RECIPIENT.email)
    assert.ok(account)
    assert.equal((await listOrgsForAccount(testApp.platform, account.id)).length, 0)
    const client = testApp.client()
    await client.signIn(DEMO_RECIPIENT.email, DEMO_RECIPIENT.password)
    const page = await client.get('/me/credentials')
    assert.equal(page.statusCode, 200)
    const rows = page.body.match(/<tr\b/g)?.length ?? 0
    assert.ok(rows - 1 >= 4, `${rows - 1} rows on My credentials`)
    const text = textOf(page.body)
    assert.match(text, /Certified Data Protection Practitioner/)
    assert.match(text, /Workplace First Aid Instructor/)
  })
})
