import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { linkFromOutbox, newOrg, newPerson, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { createApiKey } from '../identity/api-keys.ts'
import { addMember, changeMemberRole, listMembers, type OrgScope, removeMember } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const ownerScope = (orgId: string, accountId: string): OrgScope => ({ orgId, accountId, role: 'owner' })

describe('organisations', () => {
  it('creates an org whose creator is its owner, then switches between orgs', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const created = await client.submit('/orgs', { name: 'Acme Testing Centre', timeZone: 'Europe/Paris' })
    assert.equal(created.statusCode, 302)
    const dashboard = await client.get(created.headers.location as string)
    assert.match(textOf(dashboard.body), /Acme Testing Centre/)
    assert.match(textOf(dashboard.body), /Your role: owner/)
    await client.submit('/orgs', { name: 'Second Org' })
    const home = await client.get('/orgs')
    assert.match(textOf(home.body), /Acme Testing Centre.*Second Org/)
    assert.match(dashboard.body, /Switch organisation/)
  })

  it('rejects a nameless org with an inline message', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const response = await client.submit('/orgs', { name: '' })
    assert.equal(response.statusCode, 422)
    assert.match(response.body, /aria-invalid="true"/)
    assert.match(textOf(response.body), /Name the organisation/)
  })

  it('invites by email; the invitee accepts only with the invited address and then sees the org', async () => {
    const { org, owner } = await newOrg(testApp, 'Invite Org')
    const ownerClient = testApp.client()
    await ownerClient.signIn(owner.email, owner.password)
    const invitee = await newPerson(testApp, { name: 'Invited Person' })
    const invited = await ownerClient.submit(`/orgs/${org.id}/invitations`, { email: invitee.email.toUpperCase(), role: 'trainer' })
    assert.equal(invited.statusCode, 302)
    const link = await linkFromOutbox(testApp, invitee.email, '/invitations/accept')
    const token = new URL(link, 'http://x').searchParams.get('token') ?? ''

    const stranger = await newPerson(testApp)
    const strangerClient = testApp.client()
    await strangerClient.signIn(stranger.email, stranger.password)
    assert.match(textOf((await strangerClient.get(link)).body), /This invitation is for/)
    assert.equal((await strangerClient.submit('/invitations/accept', { token })).statusCode, 403)

    const inviteeClient = testApp.client()
    await inviteeClient.signIn(invitee.email, invitee.password)
    const accepted = await inviteeClient.submit('/invitations/accept', { token })
    assert.equal(accepted.headers.location, `/orgs/${org.id}`)
    const dashboard = await inviteeClient.get(`/orgs/${org.id}`)
    assert.match(textOf(dashboard.body), /Invite Org/)
    assert.match(textOf(dashboard.body), /Your role: trainer/)
    assert.equal((await inviteeClient.submit('/invitations/accept', { token })).statusCode, 422, 'an invitation works once')
  })

  it('lets staff see members but not invite; members see neither', async () => {
    const { org, owner } = await newOrg(testApp)
    const staff = await newPerson(testApp)
    const member = await newPerson(testApp)
    await addMember(testApp.platform, ownerScope(org.id, owner.account.id), { accountId: staff.account.id, role: 'staff' })
    await addMember(testApp.platform, ownerScope(org.id, owner.account.id), { accountId: member.account.id, role: 'member' })
    const staffClient = testApp.client()
    await staffClient.signIn(staff.email, staff.password)
    assert.equal((await staffClient.get(`/orgs/${org.id}/members`)).statusCode, 200)
    assert.equal((await staffClient.submit(`/orgs/${org.id}/invitations`, { email: uniqueEmail(), role: 'member' })).statusCode, 403)
    const memberClient = testApp.client()
    await memberClient.signIn(member.email, member.password)
    assert.equal((await memberClient.get(`/orgs/${org.id}/members`)).statusCode, 403)
    assert.equal((await memberClient.get(`/orgs/${org.id}/audit`)).statusCode, 403)
  })

  it('never leaves an org without an owner', async () => {
    const { org, owner } = await newOrg(testApp)
    const scope = ownerScope(org.id, owner.account.id)
    const { items } = await listMembers(testApp.platform.db, scope)
    const ownerMember = items[0]
    assert.ok(ownerMember)
    await assert.rejects(changeMemberRole(testApp.platform, scope, ownerMember.id, 'admin'), /at least one owner/)
    await assert.rejects(removeMember(testApp.platform, scope, ownerMember.id), /at least one owner/)
  })

  it('confirms a role change, refuses one with the reason and the role still held, and asks before granting owner', async () => {
    const { org, owner } = await newOrg(testApp)
    const scope = ownerScope(org.id, owner.account.id)
    const person = await newPerson(testApp, { name: 'Rita Role' })
    const rita = await addMember(testApp.platform, scope, { accountId: person.account.id, role: 'member' })
    const [ownerMember] = (await listMembers(testApp.platform.db, scope, { role: 'owner' })).items
    assert.ok(ownerMember)
    const membersUrl = `/orgs/${org.id}/members`
    const roleControlOf = (html: string, memberId: string) => new RegExp(`action="${membersUrl}/${memberId}/role"[\\s\\S]*?</form>`).exec(html)?.[0] ?? ''
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    await client.get(membersUrl)

    assert.equal((await client.submit(`${membersUrl}/${rita.id}/role`, { role: 'staff' })).statusCode, 302)
    assert.match(textOf((await client.get(membersUrl)).body), /Rita Role is now Staff\./)

    assert.equal((await client.submit(`${membersUrl}/${ownerMember.id}/role`, { role: 'admin' })).statusCode, 302)
    const refused = await client.get(membersUrl)
    assert.match(textOf(refused.body), /Org Owner is still Owner: An organisation needs at least one owner/)
    assert.match(roleControlOf(refused.body, ownerMember.id), /<option value="owner" selected>/)

    const asked = await client.submit(`${membersUrl}/${rita.id}/role`, { role: 'owner' })
    assert.equal(asked.statusCode, 200)
    assert.match(textOf(asked.body), /Make Rita Role an owner\?/)
    assert.match(asked.body, /name="confirm" value="yes"/)
    assert.equal((await listMembers(testApp.platform.db, scope, { search: 'Rita' })).items[0]?.role, 'staff', 'nothing changes before the yes')
    assert.equal((await client.submit(`${membersUrl}/${rita.id}/role`, { role: 'owner', confirm: 'yes' })).statusCode, 302)
    assert.match(textOf((await client.get(membersUrl)).body), /Rita Role is now Owner\./)
    assert.equal((await listMembers(testApp.platform.db, scope, { search: 'Rita' })).items[0]?.role, 'owner')
  })

  it('revokes a removed member’s API keys for that org', async () => {
    const { org, owner } = await newOrg(testApp)
    const person = await newPerson(testApp)
    const scope = ownerScope(org.id, owner.account.id)
    const member = await addMember(testApp.platform, scope, { accountId: person.account.id, role: 'admin' })
    const { secret } = await createApiKey(testApp.platform, { accountId: person.account.id, orgId: org.id, name: 'k', scope: 'write' })
    testApp.secrets.add(secret)
    const headers = { authorization: `Bearer ${secret}` }
    assert.equal((await testApp.app.inject({ url: `/api/v1/orgs/${org.id}`, headers })).statusCode, 200)
    await removeMember(testApp.platform, scope, member.id)
    assert.equal((await testApp.app.inject({ url: `/api/v1/orgs/${org.id}`, headers })).statusCode, 401)
  })

  it('searches, filters, sorts and pages the member list', async () => {
    const { org, owner } = await newOrg(testApp)
    const scope = ownerScope(org.id, owner.account.id)
    for (let i = 0; i < 30; i++) {
      const person = await newPerson(testApp, { name: `Member ${String(i).padStart(2, '0')}` })
      await addMember(testApp.platform, scope, { accountId: person.account.id, role: i % 3 === 0 ? 'staff' : 'member' })
    }
    const firstPage = await listMembers(testApp.platform.db, scope)
    assert.equal(firstPage.total, 31)
    assert.equal(firstPage.items.length, 25)
    assert.equal(firstPage.pageCount, 2)
    assert.equal((await listMembers(testApp.platform.db, scope, { page: 2 })).items.length, 6)
    assert.equal((await listMembers(testApp.platform.db, scope, { role: 'staff' })).total, 10)
    assert.deepEqual(
      (await listMembers(testApp.platform.db, scope, { search: 'member 1' })).items.map((item) => item.name),
      ['Member 10', 'Member 11', 'Member 12', 'Member 13', 'Member 14', 'Member 15', 'Member 16', 'Member 17', 'Member 18', 'Member 19'],
    )
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = await client.get(`/orgs/${org.id}/members?search=Member+2&role=&sort=name`)
    assert.match(textOf(page.body), /Member 20/)
    assert.doesNotMatch(textOf(page.body), /Member 10/)
  })

  it('sorts the member page by a column header, keeping the filters in its paging links', async () => {
    const { org, owner } = await newOrg(testApp)
    const scope = ownerScope(org.id, owner.account.id)
    for (let i = 0; i < 27; i++) {
      const person = await newPerson(testApp, { name: `Sorted ${String(i).padStart(2, '0')}` })
      await addMember(testApp.platform, scope, { accountId: person.account.id, role: 'member' })
    }
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const names = (html: string) => [...html.matchAll(/<tr><td>(Sorted \d+)<\/td>/g)].map((match) => match[1])
    const descending = await client.get(`/orgs/${org.id}/members?search=Sorted&role=member&sort=name&dir=desc`)
    assert.deepEqual(names(descending.body).slice(0, 2), ['Sorted 26', 'Sorted 25'])
    assert.match(descending.body, /<th scope="col" aria-sort="descending"><a href="[^"]*sort=name&dir=asc"/)
    const next = /<a href="([^"]+)">Next →<\/a>/.exec(descending.body)?.[1] ?? ''
    assert.deepEqual(Object.fromEntries(new URL(next, 'http://laurel.test').searchParams), {
      search: 'Sorted',
      role: 'member',
      sort: 'name',
      dir: 'desc',
      page: '2',
    })
    assert.deepEqual(names((await client.get(next)).body), ['Sorted 01', 'Sorted 00'])
    const unknown = await client.get(`/orgs/${org.id}/members?search=Sorted&sort=passwordHash`)
    assert.equal(unknown.statusCode, 200)
    assert.deepEqual(names(unknown.body).slice(0, 2), ['Sorted 00', 'Sorted 01'], 'an unknown column falls back to names A to Z')
  })
})
