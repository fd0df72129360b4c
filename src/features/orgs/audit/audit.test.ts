import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { newOrg, newPerson, uniqueEmail, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { eraseSubject } from '../../../platform/privacy/registry.ts'
import { createAchievement } from '../../credentials/service.ts'
import { createExamSession, saveCentre, saveExam, saveRoom } from '../../exams/service.ts'
import { REQUEST_STATUSES } from '../../privacy-center/requests/schema.ts'
import { addMember, changeMemberRole, inviteMember, type OrgScope, updateOrg } from '../service.ts'
import { AUDIT_ACTIONS, describeAction, sentenceText } from './sentences.ts'
import { listActivity } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const ownerScope = (orgId: string, accountId: string): OrgScope => ({ orgId, accountId, role: 'owner' })
const DAY_MS = 86_400_000

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

/** An org whose owner invited someone, added a member, changed their role and created an achievement. */
async function busyOrg(name: string) {
  const { org, owner } = await newOrg(testApp, name)
  const scope = ownerScope(org.id, owner.account.id)
  const colleague = await newPerson(testApp, { name: `${name} Colleague` })
  const member = await addMember(testApp.platform, scope, { accountId: colleague.account.id, role: 'member' })
  await changeMemberRole(testApp.platform, scope, member.id, 'staff')
  const invitee = uniqueEmail('invitee')
  testApp.personalData.add(invitee)
  await inviteMember(testApp.platform, scope, { email: invitee, role: 'admin' })
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'First Aid',
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: 12,
  })
  await testApp.platform.audit.flush()
  return { org, owner, scope, colleague, member, invitee, achievementId: achievement.id }
}

describe('the audit catalogue', () => {
  it('has a sentence for every action the code writes', async () => {
    const written = new Set<string>()
    for (const file of await sourceFiles('src')) {
      const source = await readFile(file, 'utf8')
      if (!/audit\.record(In)?\(/.test(source)) continue
      for (const match of source.matchAll(/action: (?:[^,}\n]*\? )?'([a-z]+\.[a-z_]+)'(?: : '([a-z]+\.[a-z_]+)')?/g)) {
        for (const action of match.slice(1)) if (action && !action.startsWith('test.')) written.add(action)
      }
    }
    // Actions made from templates in the code: catalog entities, portal session moves, request moves and reminders.
    for (const entity of ['exam', 'test_centre', 'room', 'proctor'])
      for (const change of ['created', 'updated', 'archived', 'restored']) written.add(`exams.${entity}_${change}`)
    for (const move of ['created', 'confirmed', 'cancelled']) written.add(`exams.portal_session_${move}`)
    for (const status of REQUEST_STATUSES) written.add(`privacy.request_${status}`)
    for (const kind of ['near_due', 'overdue']) written.add(`privacy.request_${kind}_notified`)
    assert.ok(written.size > 100, `found only ${written.size} actions: the scan is broken`)
    const missing = [...written].filter((action) => !AUDIT_ACTIONS[action])
    assert.deepEqual(missing, [], 'actions without a sentence')
  })

  it('reads a person not signed in as someone, and what Laurel did as Laurel’s', () => {
    const context = {
      actor: 'Laurel',
      isWithoutAccount: true,
      subject: undefined,
      target: 'preq_1',
      data: { type: 'erasure' },
      orgPath: (...parts: string[]) => ['', 'orgs', 'org_1', ...parts].join('/'),
      nameOf: () => undefined,
    }
    assert.equal(sentenceText(describeAction('privacy.request_received', context)), 'Someone made an erasure request')
    assert.equal(sentenceText(describeAction('privacy.request_expired', context)), 'Laurel closed an erasure request unconfirmed after 30 days')
    assert.deepEqual(describeAction('privacy.request_received', context)[2], { text: 'an erasure request', href: '/orgs/org_1/privacy/requests/preq_1' })
    const confirmed = { ...context, data: { type: 'access', from: 'identity_pending', to: 'received' } }
    assert.equal(sentenceText(describeAction('privacy.request_received', confirmed)), 'Someone confirmed an access request by the link emailed to them')
  })
})

describe('listActivity', () => {
  it('names people and links them and the things acted on', async () => {
    const { org, owner, scope, colleague, member, invitee, achievementId } = await busyOrg('Named Org')
    const { items } = await listActivity(testApp.platform.db, scope)
    const sentences = items.map((line) => sentenceText(line.sentence))
    const ownerName = `Org Owner (${owner.email})`
    assert.ok(sentences.includes(`${ownerName} invited ${invitee} as admin`), sentences.join('\n'))
    assert.ok(sentences.includes(`${ownerName} changed the role of Named Org Colleague (${colleague.email}) from member to staff`))
    assert.ok(sentences.includes(`${ownerName} created the organisation`))
    const created = items.find((line) => line.action === 'credentials.achievement_created')
    assert.deepEqual(
      created?.sentence.filter((segment) => typeof segment !== 'string'),
      [
        { text: ownerName, href: `/orgs/${org.id}/members?search=${encodeURIComponent(owner.email)}` },
        { text: 'the achievement “First Aid”', href: `/orgs/${org.id}/achievements/${achievementId}` },
      ],
    )
    assert.ok(!JSON.stringify(items).includes(member.id), 'no raw member ID')
  })

  it('names exam sessions, and never a thing of another org', async () => {
    const mine = await busyOrg('Naming Org')
    const theirs = await busyOrg('Other Naming Org')
    const { platform } = testApp
    const exam = await saveExam(platform, mine.scope, {
      code: 'FA-1',
      title: 'Theory Exam',
      durationMinutes: 60,
      passMark: 70,
      maxScore: 100,
      achievementId: null,
    })
    const centre = await saveCentre(platform, mine.scope, { code: 'LON', name: 'London', timeZone: 'UTC' })
    const room = await saveRoom(platform, mine.scope, centre.id, { name: 'A', capacity: 20 })
    const startsAt = utcHourInDays(20, 9)
    await createExamSession(platform, mine.scope, { examId: exam.id, roomId: room.id, proctorId: null, startsAt, endsAt: utcHourInDays(20, 10), seats: 5 })
    // An entry naming another org's achievement (no code writes one): its name must not leak.
    await platform.audit.recordIn(platform.db, {
      action: 'credentials.achievement_updated',
      orgId: mine.org.id,
      actorAccountId: mine.owner.account.id,
      target: theirs.achievementId,
    })
    await platform.audit.flush()
    const sentences = (await listActivity(platform.db, mine.scope)).items.map((line) => sentenceText(line.sentence))
    const when = startsAt.toISOString().slice(0, 16).replace('T', ' ')
    assert.ok(sentences.includes(`Org Owner (${mine.owner.email}) created the exam session “Theory Exam, ${when}”`), sentences.join('\n'))
    assert.ok(sentences.includes(`Org Owner (${mine.owner.email}) changed an achievement`), 'another org’s achievement stays unnamed')
  })

  it('reads an erased person as a deleted account and never shows what was erased', async () => {
    const { org, owner } = await newOrg(testApp, 'Erasure Org')
    const scope = ownerScope(org.id, owner.account.id)
    const leaver = await newPerson(testApp, { name: 'Leaving Person' })
    await addMember(testApp.platform, scope, { accountId: leaver.account.id, role: 'admin' })
    await updateOrg(testApp.platform, { ...scope, accountId: leaver.account.id, role: 'admin' }, { name: 'Erasure Org', timeZone: 'UTC' })
    await eraseSubject(testApp.platform.db, testApp.platform.memo, testApp.platform.privacyProviders, { accountId: leaver.account.id, email: leaver.email })
    const { items } = await listActivity(testApp.platform.db, scope)
    const text = JSON.stringify(items)
    assert.ok(!text.includes('Leaving Person') && !text.includes(leaver.email), 'erased data is not shown')
    const updated = items.find((line) => line.action === 'orgs.updated')
    assert.equal(sentenceText(updated?.sentence ?? []), 'a deleted account changed the organisation’s settings')
  })

  it('filters by person, action and dates, and pages', async () => {
    const { scope, colleague } = await busyOrg('Filter Org')
    const db = testApp.platform.db
    const byColleague = await listActivity(db, scope, { person: 'filter org colleague' })
    assert.deepEqual(
      byColleague.items.map((line) => line.action),
      ['orgs.member_role_changed', 'orgs.member_added'],
      'entries about the colleague as a member',
    )
    await updateOrg(testApp.platform, { ...scope, accountId: colleague.account.id, role: 'admin' }, { name: 'Filter Org', timeZone: 'UTC' })
    const byEmail = await listActivity(db, scope, { person: colleague.email.toUpperCase() })
    assert.equal(byEmail.items[0]?.action, 'orgs.updated', 'entries the colleague made, found by email in any case')
    assert.equal((await listActivity(db, scope, { person: 'nobody-by-this-name' })).total, 0)

    const invited = await listActivity(db, scope, { action: 'orgs.member_invited' })
    assert.deepEqual(
      invited.items.map((line) => line.action),
      ['orgs.member_invited'],
    )
    const signIns = await listActivity(db, scope, { action: 'identity.sign_in' })
    assert.equal(signIns.total, 0, 'an exact action, not a prefix')

    const now = testApp.clock.now()
    testApp.clock.advance(3 * DAY_MS)
    await updateOrg(testApp.platform, scope, { name: 'Filter Org', timeZone: 'UTC' })
    const later = await listActivity(db, scope, { from: new Date(now.getTime() + DAY_MS) })
    assert.deepEqual(
      later.items.map((line) => line.action),
      ['orgs.updated'],
    )
    const earlier = await listActivity(db, scope, { to: new Date(now.getTime() + DAY_MS) })
    assert.ok(earlier.total >= 6 && earlier.items.every((line) => line.recordedAt < new Date(now.getTime() + DAY_MS)))

    const all = await listActivity(db, scope)
    const pageTwo = await listActivity(db, scope, { page: 2, pageSize: 3 })
    assert.equal(pageTwo.pageCount, Math.ceil(all.total / 3))
    assert.deepEqual(
      pageTwo.items.map((line) => line.id),
      all.items.slice(3, 6).map((line) => line.id),
    )
  })

  it('refuses staff below admin', async () => {
    const { scope } = await busyOrg('Staff Org')
    await assert.rejects(listActivity(testApp.platform.db, { ...scope, role: 'staff' }), { kind: 'forbidden' })
  })
})

describe('GET /orgs/:orgId/audit', () => {
  it('shows sentences, never another org’s entries, and filters through the form', async () => {
    const mine = await busyOrg('My Audit Org')
    const theirs = await busyOrg('Their Audit Org')
    const client = testApp.client()
    await client.signIn(mine.owner.email, mine.owner.password)
    const page = await client.get(`/orgs/${mine.org.id}/audit`)
    assert.equal(page.statusCode, 200)
    const text = textOf(page.body)
    assert.match(text, /Org Owner \(.+\) invited invitee\..+ as admin/)
    assert.match(text, /changed the role of My Audit Org Colleague/)
    assert.doesNotMatch(text, /Their Audit Org/)
    assert.ok(!page.body.includes(theirs.colleague.email) && !page.body.includes(theirs.invitee), 'no other org’s people')
    assert.ok(!page.body.includes(mine.member.id), 'no raw IDs')
    assert.match(page.body, /<option value="orgs.member_invited"/)

    const filtered = await client.get(`/orgs/${mine.org.id}/audit?person=colleague&action=orgs.member_added&from=&to=`)
    const rows = [...filtered.body.matchAll(/data-action="([^"]+)"/g)].map((match) => match[1])
    assert.deepEqual(rows, ['orgs.member_added'])

    const otherOrg = await client.get(`/orgs/${theirs.org.id}/audit`)
    assert.equal(otherOrg.statusCode, 404)
  })

  it('explains a reversed date range', async () => {
    const { org, owner } = await newOrg(testApp, 'Dates Org')
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = await client.get(`/orgs/${org.id}/audit?from=2026-05-02&to=2026-05-01`)
    assert.equal(page.statusCode, 422)
    assert.match(textOf(page.body), /“from” date is after the “to” date/)
  })

  it('exports the filtered view as CSV', async () => {
    const mine = await busyOrg('CSV Org')
    const client = testApp.client()
    await client.signIn(mine.owner.email, mine.owner.password)
    const response = await client.get(`/orgs/${mine.org.id}/audit/export.csv?action=orgs.member_role_changed`)
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /text\/csv/)
    const lines = response.body.trim().split('\n')
    assert.equal(lines[0], 'When (UTC),Person,Email,Action,What happened')
    assert.equal(lines.length, 2)
    assert.match(lines[1] ?? '', new RegExp(`,Org Owner,${mine.owner.email.replaceAll('.', '\\.')},Member role changed,.*from member to staff`))
    await testApp.platform.audit.flush()
    const exported = await listActivity(testApp.platform.db, mine.scope, { action: 'orgs.audit_exported' })
    assert.equal(sentenceText(exported.items[0]?.sentence ?? []), `Org Owner (${mine.owner.email}) downloaded 1 audit log entry as CSV`)
  })

  it('is for admins only', async () => {
    const { org, scope } = await busyOrg('Member View Org')
    const staff = await newPerson(testApp)
    await addMember(testApp.platform, scope, { accountId: staff.account.id, role: 'staff' })
    const client = testApp.client()
    await client.signIn(staff.email, staff.password)
    assert.equal((await client.get(`/orgs/${org.id}/audit`)).statusCode, 403)
    assert.equal((await client.get(`/orgs/${org.id}/audit/export.csv`)).statusCode, 403)
  })
})
