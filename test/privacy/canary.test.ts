import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { privacyProviders } from '../../src/app.ts'
import { createAchievement, issueCredential } from '../../src/features/credentials/service.ts'
import {
  cancelExamSessions,
  confirmExamSessions,
  createExamSession,
  previewRegistrationImport,
  recordResults,
  registerCandidate,
  saveCentre,
  saveExam,
  saveProctor,
  saveRoom,
  setSelfRegistration,
} from '../../src/features/exams/service.ts'
import { createApiKey } from '../../src/features/identity/api-keys.ts'
import { findAccountByEmail } from '../../src/features/identity/service.ts'
import { startTotpEnrollment } from '../../src/features/identity/two-factor.ts'
import { inviteMember } from '../../src/features/orgs/service.ts'
import { submitOwnRequest } from '../../src/features/privacy-center/requests/service.ts'
import { eraseSubject, exportSubject, type Subject } from '../../src/platform/privacy/registry.ts'
import { linkFromOutbox, moveExamSession, newOrg, strongPassword } from '../support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../support/harness.ts'
import { uploadToVerify } from '../support/verify-upload.ts'

/**
 * Seeds canary values for one person through the real flows, then checks that export returns them
 * all and that, after erasure, no text or JSON column anywhere still holds one, except where a
 * provider declares it retained, with its reason.
 */
let testApp: TestApp
const tag = randomBytes(6).toString('hex')
const canary = {
  email: `canary-${tag}@example.org`,
  name: `Canary Person ${tag}`,
  userAgent: `CanaryBrowser/${tag}`,
  apiKeyName: `canary key ${tag}`,
  otherEmail: `canary-other-${tag}@example.org`,
  portalProctorId: `PRC-${tag}`,
}
let subject: Subject
/** The exam session the canary registered for by themselves. */
let selfRegisteredSessionId = ''
/** A credential of the canary and its signed file, downloaded before the erasure. */
let keptCredential = { id: '', file: Buffer.alloc(0) }

before(async () => {
  testApp = await startTestApp()
  const { platform } = testApp
  const password = strongPassword()
  const client = testApp.client({ ip: '198.51.100.23' })
  const asCanary = { 'user-agent': canary.userAgent }
  await client.request({ method: 'GET', url: '/sign-up', headers: asCanary })
  await client.submit('/sign-up', { name: canary.name, email: canary.email, password, marketing: 'on' })
  await client.get(await linkFromOutbox(testApp, canary.email, '/verify-email'))
  await client.request({
    method: 'POST',
    url: '/sign-in',
    headers: { ...asCanary, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: canary.email, password: 'a-wrong-password-here', _csrf: csrfOf(await client.get('/sign-in')) }).toString(),
  })
  await client.request({
    method: 'POST',
    url: '/sign-in',
    headers: { ...asCanary, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: canary.email, password, next: '/', _csrf: csrfOf(await client.get('/sign-in')) }).toString(),
  })
  const account = await findAccountByEmail(platform.db, canary.email)
  assert.ok(account)
  const { org, owner } = await newOrg(testApp)
  const invitation = await inviteMember(platform, { orgId: org.id, accountId: owner.account.id, role: 'owner' }, { email: canary.email, role: 'staff' })
  assert.ok(invitation)
  await client.get('/orgs')
  const accept = await linkFromOutbox(testApp, canary.email, '/invitations/accept')
  await client.submit('/invitations/accept', { token: new URL(accept, 'http://x').searchParams.get('token') ?? '' })
  await createApiKey(platform, { accountId: account.id, orgId: org.id, name: canary.apiKeyName, scope: 'read' })
  await saveProctor(
    platform,
    { orgId: org.id, accountId: owner.account.id, role: 'owner' },
    { name: canary.name, email: canary.email, memberId: null, portalProctorId: canary.portalProctorId },
  )
  await startTotpEnrollment(platform, account.id)
  // A second address, confirmed, and credentials (with their delivery records) sent to both.
  await client.submit('/account/emails', { email: canary.otherEmail })
  await client.get(await linkFromOutbox(testApp, canary.otherEmail, '/account/emails/verify'))
  const ownerScope = { orgId: org.id, accountId: owner.account.id, role: 'owner' as const }
  const achievement = await createAchievement(platform, ownerScope, {
    name: 'Canary badge',
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: null,
  })
  const issued = []
  for (const recipientEmail of [canary.email, canary.otherEmail]) {
    issued.push((await issueCredential(platform, ownerScope, { achievementId: achievement.id, recipientEmail, recipientName: canary.name })).credential)
  }
  // The holder downloads their signed credential from its public page, as anyone may keep it.
  const [kept] = issued
  assert.ok(kept)
  keptCredential = { id: kept.id, file: Buffer.from((await client.get(`/credentials/${kept.id}.json`)).rawPayload) }
  assert.ok(JSON.parse(keptCredential.file.toString()).proof, 'the download is the signed file')
  // A candidate at two exam sessions: one passed (its credential issued), one cancelled (the candidate
  // emailed); and a registration upload still waiting for confirmation.
  const exam = await saveExam(platform, ownerScope, {
    code: 'C-1',
    title: 'Canary exam',
    durationMinutes: 60,
    passMark: 5,
    maxScore: 10,
    achievementId: achievement.id,
  })
  const centre = await saveCentre(platform, ownerScope, { code: 'C', name: 'Canary centre', timeZone: 'UTC' })
  const room = await saveRoom(platform, ownerScope, centre.id, { name: 'R', capacity: 5 })
  const examSessions = []
  for (const days of [10, 11, 12]) {
    const startsAt = new Date(Date.now() + days * 86_400_000)
    examSessions.push(
      await createExamSession(platform, ownerScope, {
        examId: exam.id,
        roomId: room.id,
        proctorId: null,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 3_600_000),
        seats: 5,
      }),
    )
  }
  const [held, cancelled, open] = examSessions.map((session) => session.id)
  assert.ok(held && cancelled && open)
  for (const session of [held, cancelled]) await registerCandidate(platform, ownerScope, session, { name: canary.name, email: canary.email })
  await confirmExamSessions(platform, ownerScope, [held])
  await moveExamSession(testApp, held, -60)
  await recordResults(platform, ownerScope, held, [{ email: canary.email, score: 9 }])
  await cancelExamSessions(platform, ownerScope, [cancelled], 'Canary cancellation')
  await previewRegistrationImport(platform, ownerScope, {
    fileName: 'c.csv',
    content: Buffer.from(`session,name,email\n${held},${canary.name} (again),${canary.otherEmail}`),
  })
  // And registered by themselves, under their second confirmed address, through the candidate's page.
  await setSelfRegistration(platform, ownerScope, open, { open: true, closesAt: null })
  await client.get(`/exam-sessions/open/${org.id}`)
  const selfRegistered = await client.submit(`/exam-sessions/open/${org.id}/${open}/register`, { email: canary.otherEmail })
  assert.equal(selfRegistered.headers.location, '/me/exam-registrations', 'the canary registered themselves')
  selfRegisteredSessionId = open
  // A privacy request of their own, still open when the erasure comes.
  await submitOwnRequest(platform, { accountId: account.id, email: canary.email, name: canary.name }, { orgId: org.id, type: 'access', details: null })
  await platform.audit.flush()
  subject = { accountId: account.id, email: canary.email }
})
after(() => testApp.close())

function csrfOf(response: { body: string }): string {
  return /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1] ?? ''
}

/** Every (table, column) of a text or JSON type in every schema, with how many rows hold `needle`. */
async function findEverywhere(needle: string): Promise<string[]> {
  const { db } = testApp.platform
  const columns = await db.execute<{ table_schema: string; table_name: string; column_name: string }>(sql`
    select table_schema, table_name, column_name from information_schema.columns
    where table_schema not in ('pg_catalog', 'information_schema')
      and data_type in ('text', 'character varying', 'json', 'jsonb', 'character')`)
  const found: string[] = []
  for (const column of columns.rows) {
    const result = await db.execute<{ count: string }>(
      sql`select count(*) as count from ${sql.identifier(column.table_schema)}.${sql.identifier(column.table_name)}
          where ${sql.identifier(column.column_name)}::text ilike ${`%${needle}%`}`,
    )
    if (Number(result.rows[0]?.count) > 0) found.push(`${column.table_name}.${column.column_name}`)
  }
  return found
}

/**
 * Text and JSON columns of Laurel's tables (the public schema) that no provider declares, as personal
 * (`stores`) or as not personal (`notPersonal`). pg-boss's own schema is left out: its tables belong
 * to the library and hold job payloads, which carry only IDs by our rule; the erasure scan below
 * reads every schema, so a payload with a person's data in it would still fail there.
 */
async function undeclaredColumns(): Promise<string[]> {
  const declared = new Set(
    privacyProviders.flatMap((provider) =>
      [...provider.stores, ...(provider.notPersonal ?? [])].flatMap((entry) => entry.columns.map((column) => `${entry.table}.${column}`)),
    ),
  )
  const columns = await testApp.platform.db.execute<{ table_name: string; column_name: string }>(sql`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = 'public' and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb')
    order by c.table_name, c.ordinal_position`)
  return columns.rows.map((row) => `${row.table_name}.${row.column_name}`).filter((column) => !declared.has(column))
}

describe('privacy providers', () => {
  it('declare every text and JSON column of every table, as personal or not', async () => {
    const undeclared = await undeclaredColumns()
    assert.deepEqual(undeclared, [], `Declare these columns in a privacy provider's stores[].columns or notPersonal: ${undeclared.join(', ')}`)
  })

  it('fail the declaration check on a new undeclared column', async () => {
    const { db } = testApp.platform
    await db.execute(sql`create table canary_new_feature (id text primary key, nickname text)`)
    try {
      assert.deepEqual(await undeclaredColumns(), ['canary_new_feature.id', 'canary_new_feature.nickname'])
    } finally {
      await db.execute(sql`drop table canary_new_feature`)
    }
  })

  it('declare tables that exist', async () => {
    for (const provider of privacyProviders) {
      for (const { table } of [...provider.stores, ...(provider.notPersonal ?? []), ...provider.retainedAfterErasure]) {
        const result = await testApp.platform.db.execute(sql`select to_regclass(${table}) as name`)
        assert.ok(result.rows[0]?.name, `${provider.name} declares missing table ${table}`)
      }
      for (const retained of provider.retainedAfterErasure) assert.ok(retained.reason.length > 40, 'a retained column says why')
    }
  })

  it('the canaries were really stored before the test erases them', async () => {
    assert.ok((await findEverywhere(canary.email)).length >= 3)
    assert.ok((await findEverywhere(canary.userAgent)).includes('login_sessions.user_agent'))
    assert.deepEqual(
      (await findEverywhere(canary.otherEmail))
        .filter((place) => ['account_emails.email', 'credentials.recipient_email', 'mail_messages.to_address'].includes(place))
        .sort(),
      ['account_emails.email', 'credentials.recipient_email', 'mail_messages.to_address'],
    )
  })

  it('exports every canary', async () => {
    const exported = JSON.stringify(await exportSubject(testApp.platform.db, privacyProviders, subject))
    for (const [label, value] of Object.entries(canary)) assert.ok(exported.includes(value), `the export lacks the ${label}`)
    assert.ok(exported.includes(selfRegisteredSessionId), 'the export holds the registration the canary made themselves')
  })

  it('erases every canary except what a provider declares as retained', async () => {
    await eraseSubject(testApp.platform.db, testApp.platform.memo, privacyProviders, subject)
    const allowed = new Set(privacyProviders.flatMap((provider) => provider.retainedAfterErasure.map((retained) => `${retained.table}.${retained.column}`)))
    for (const [label, value] of Object.entries(canary)) {
      const leftovers = (await findEverywhere(value)).filter((place) => !allowed.has(place))
      assert.deepEqual(leftovers, [], `the ${label} survived erasure in ${leftovers.join(', ')}`)
    }
    assert.equal(await findAccountByEmail(testApp.platform.db, canary.email), undefined)
  })

  it('keeps only the declared verification record, so the credential and the holder’s downloaded file still verify', async () => {
    const retained = new Set(privacyProviders.flatMap((provider) => provider.retainedAfterErasure.map((kept) => `${kept.table}.${kept.column}`)))
    const leftovers = new Set(await findEverywhere(canary.name))
    assert.ok(
      [...leftovers].every((place) => retained.has(place)),
      `the name survived outside the verification record: ${[...leftovers].join(', ')}`,
    )
    assert.ok(leftovers.has('credentials.recipient_name'), 'the verification record keeps the holder’s name')
    const client = testApp.client()
    const byId = await client.submit('/verify', { id: keptCredential.id })
    assert.equal(/data-verdict="([a-z_]+)"/.exec(byId.body)?.[1], 'valid', textOf(byId.body).slice(0, 500))
    assert.match(textOf(byId.body), /Valid, by the issuer’s record/)
    const byFile = await uploadToVerify(client, 'credential.json', 'application/json', keptCredential.file)
    assert.equal(/data-verdict="([a-z_]+)"/.exec(byFile.body)?.[1], 'valid', textOf(byFile.body).slice(0, 500))
    assert.match(textOf((await client.get(`/credentials/${keptCredential.id}`)).body), /This credential is valid\./)
  })
})
