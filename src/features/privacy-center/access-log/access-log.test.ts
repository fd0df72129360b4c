import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq, sql } from 'drizzle-orm'
import { newOrg, newPerson, type PersonFixture, strongPassword, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { addMember, changeMemberRole, type OrgScope } from '../../orgs/service.ts'
import { requestDataExport } from '../export/service.ts'
import { listAccessLog } from './service.ts'

let testApp: TestApp
let staff: PersonFixture
let person: PersonFixture
let staffClient: TestClient
let personClient: TestClient
let laterEmail = ''
let laterAccountId = ''
const EARLIER_IP = '203.0.113.77'

interface LogJson {
  items: { kind: string; action: string; actor: string; ip: string | null; details: Record<string, unknown> }[]
  nextBefore: number | null
}

async function failSignIn(client: TestClient, email: string) {
  const response = await client.submit('/sign-in', { email, password: strongPassword(), next: '/' })
  assert.notEqual(response.statusCode, 302, 'a wrong password does not sign in')
}

async function logOf(client: TestClient, query = ''): Promise<LogJson> {
  const response = await client.request({ method: 'GET', url: `/api/v1/me/access-log${query}`, headers: { accept: 'application/json' } })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<LogJson>()
}

before(async () => {
  testApp = await startTestApp()
  const created = await newOrg(testApp, 'Access Log Board')
  staff = created.owner
  person = await newPerson(testApp, { name: 'Logged Person' })
  const scope: OrgScope = { orgId: created.org.id, accountId: staff.account.id, role: 'owner' }

  staffClient = testApp.client({ ip: '198.51.100.10' })
  personClient = testApp.client({ ip: '198.51.100.20' })
  await failSignIn(personClient, person.email)
  await personClient.signIn(person.email, person.password)
  await personClient.get('/account')
  await failSignIn(staffClient, staff.email)
  await staffClient.signIn(staff.email, staff.password)

  // Staff act on the person's record: a membership, a role change, and a data export for them.
  const member = await addMember(testApp.platform, scope, { accountId: person.account.id, role: 'member' })
  await changeMemberRole(testApp.platform, scope, member.id, 'trainer')
  await requestDataExport(
    testApp.platform,
    { accountId: person.account.id, email: person.email },
    { actor: { accountId: staff.account.id, orgId: scope.orgId, ip: staffClient.ip, userAgent: 'StaffBrowser/1' } },
  )

  // Someone tried an address before its account existed: that was not the later account holder.
  laterEmail = uniqueEmail('later')
  await failSignIn(testApp.client({ ip: EARLIER_IP }), laterEmail)
  await testApp.platform.audit.flush()
  laterAccountId = (await newPerson(testApp, { email: laterEmail })).account.id
  await testApp.platform.audit.flush()
})
after(() => testApp.close())

describe('my access log', () => {
  it('shows the person’s own failed sign-in with its address, and the pages they opened', async () => {
    const page = await personClient.get('/account/privacy/access-log')
    assert.equal(page.statusCode, 200)
    const text = textOf(page.body)
    assert.match(text, /Sign-in\s+failed/)
    assert.ok(text.includes(personClient.ip), 'the address of the attempt')
    assert.match(text, /GET \/account \(200\)/)

    const signIns = await logOf(personClient, '?kind=sign_in')
    assert.ok(signIns.items.length >= 2)
    assert.ok(signIns.items.every((item) => item.kind === 'sign_in'))
    const failure = signIns.items.find((item) => item.details.result === 'failed')
    assert.equal(failure?.ip, personClient.ip)
    assert.equal(failure?.actor, 'you')
  })

  it('shows what staff changed on the person’s record without the staff member’s address, browser or email', async () => {
    const log = await logOf(personClient, '?kind=by_others')
    const actions = log.items.map((item) => item.action)
    assert.ok(actions.includes('orgs.member_added') && actions.includes('orgs.member_role_changed'), actions.join())
    assert.ok(log.items.every((item) => item.actor === 'someone_else' && item.ip === null))
    const privacy = await logOf(personClient, '?kind=privacy')
    assert.deepEqual(
      privacy.items.map((item) => [item.action, item.actor, item.ip]),
      [['privacy.export_requested', 'someone_else', null]],
    )
    const everything = JSON.stringify(await logOf(personClient))
    for (const other of [staffClient.ip, staff.email, staff.account.id, 'StaffBrowser']) assert.ok(!everything.includes(other), other)
  })

  it('holds nothing about another person: not their sign-ins, addresses or email, even for what the staff member did to them', async () => {
    const everything = JSON.stringify(await logOf(staffClient))
    for (const other of [personClient.ip, person.email, person.account.id]) assert.ok(!everything.includes(other), other)
    const text = textOf((await staffClient.get('/account/privacy/access-log')).body)
    assert.ok(!text.includes(person.email) && !text.includes(personClient.ip))
    const ownExportRequest = (await logOf(staffClient, '?kind=privacy')).items[0]
    assert.equal(ownExportRequest?.actor, 'you', 'the staff member sees that they asked for an export')
    assert.equal(ownExportRequest?.details.email, '(another person’s address)')
    const signIns = await logOf(staffClient, '?kind=sign_in')
    assert.ok(signIns.items.some((item) => item.details.result === 'failed' && item.ip === staffClient.ip))
  })

  it('leaves out what was recorded under an address before the person held it', async () => {
    const earlier = await testApp.platform.db
      .select()
      .from(auditEntries)
      .where(and(eq(auditEntries.ip, EARLIER_IP), sql`${auditEntries.data}->>'email' = ${laterEmail}`))
    assert.equal(earlier.length, 1, 'the earlier attempt is in the audit log under the address')
    const log = await listAccessLog(testApp.platform, laterAccountId)
    assert.ok(!JSON.stringify(log).includes(EARLIER_IP))
  })

  it('pages newest first without gaps or repeats', async () => {
    // The earlier tests' own API calls are audited in the background: write them first, so the log holds still.
    await testApp.platform.audit.flush()
    const all = await listAccessLog(testApp.platform, person.account.id, { pageSize: 500 })
    const first = await listAccessLog(testApp.platform, person.account.id, { pageSize: 2 })
    assert.ok(first.nextBefore)
    const second = await listAccessLog(testApp.platform, person.account.id, { pageSize: 2, before: first.nextBefore })
    assert.deepEqual(
      [...first.items, ...second.items].map((item) => item.seq),
      all.items.slice(0, 4).map((item) => item.seq),
    )
    const seqs = all.items.map((item) => item.seq)
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
    )
  })

  it('needs a signed-in person', async () => {
    assert.equal((await testApp.client().get('/account/privacy/access-log')).statusCode, 302)
    assert.equal((await testApp.client().request({ method: 'GET', url: '/api/v1/me/access-log', headers: { accept: 'application/json' } })).statusCode, 401)
  })
})
