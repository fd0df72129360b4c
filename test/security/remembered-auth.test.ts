/**
 * Who is signed in and which orgs they belong to are remembered for a few seconds (platform/memo.ts).
 * Every change must still reach the very next request, even one that would be served from memory.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { LOGIN_SESSION_COOKIE } from '../../src/features/identity/login-sessions.ts'
import { setPlatformAdmin, updateProfile } from '../../src/features/identity/service.ts'
import { addMember, changeMemberRole, type OrgScope, removeMember, updateOrg } from '../../src/features/orgs/service.ts'
import { MEMO_TTL_MS } from '../../src/platform/memo.ts'
import { newOrg, newPerson } from '../support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../support/harness.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const ownerScope = (orgId: string, accountId: string): OrgScope => ({ orgId, accountId, role: 'owner' })

async function memberOfNewOrg(role: 'staff' | 'member') {
  const { org, owner } = await newOrg(testApp, `Remembered ${role}`)
  const person = await newPerson(testApp, { name: 'Remembered Person' })
  const member = await addMember(testApp.platform, ownerScope(org.id, owner.account.id), { accountId: person.account.id, role })
  const client = testApp.client()
  await client.signIn(person.email, person.password)
  return { org, owner, person, member, client, scope: ownerScope(org.id, owner.account.id) }
}

describe('remembered sign-in and memberships', () => {
  it('serves a signed-in page from memory, and a change made behind its back shows once the copy expires', async () => {
    const { org, person, client } = await memberOfNewOrg('member')
    assert.equal((await client.get(`/orgs/${org.id}`)).statusCode, 200)
    // Straight SQL, as another process without Redis would: nothing tells this process.
    await testApp.platform.database.pool.query('delete from login_sessions where account_id = $1', [person.account.id])
    assert.equal((await client.get(`/orgs/${org.id}`)).statusCode, 200, 'the remembered copy is used')
    testApp.clock.advance(MEMO_TTL_MS)
    assert.equal((await client.get(`/orgs/${org.id}`)).statusCode, 302, 'and then the login session is gone')
  })

  it('a role change, a removal and an org rename reach the next request', async () => {
    const { org, member, client, scope } = await memberOfNewOrg('staff')
    assert.equal((await client.get(`/orgs/${org.id}/members`)).statusCode, 200)
    await changeMemberRole(testApp.platform, scope, member.id, 'member')
    assert.equal((await client.get(`/orgs/${org.id}/members`)).statusCode, 403, 'staff pages are closed to a member')
    await updateOrg(testApp.platform, scope, { name: 'Renamed Org', timeZone: 'UTC' })
    assert.match(textOf((await client.get(`/orgs/${org.id}`)).body), /Renamed Org/)
    await removeMember(testApp.platform, scope, member.id)
    assert.equal((await client.get(`/orgs/${org.id}`)).statusCode, 404)
  })

  it('a new member is counted on the dashboard at once', async () => {
    const { org, owner, scope } = await memberOfNewOrg('staff')
    const ownerClient = testApp.client()
    await ownerClient.signIn(owner.email, owner.password)
    assert.match(textOf((await ownerClient.get(`/orgs/${org.id}`)).body), /\b2 members\b/)
    const third = await newPerson(testApp)
    await addMember(testApp.platform, scope, { accountId: third.account.id, role: 'member' })
    assert.match(textOf((await ownerClient.get(`/orgs/${org.id}`)).body), /\b3 members\b/)
  })

  it('a new name and the platform-admin role reach the next request', async () => {
    const { person, client } = await memberOfNewOrg('member')
    assert.equal((await client.get('/admin')).statusCode, 403)
    await updateProfile(testApp.platform, person.account.id, { name: 'Renamed Person' })
    assert.match(textOf((await client.get('/account')).body), /Renamed Person/)
    await setPlatformAdmin(testApp.platform, person.email, true)
    assert.equal((await client.get('/admin')).statusCode, 200)
  })

  it('signing out in one browser ends that login session at once, however recently it was used', async () => {
    const { person, client } = await memberOfNewOrg('member')
    const other = testApp.client()
    await other.signIn(person.email, person.password)
    assert.equal((await other.get('/account')).statusCode, 200)
    await client.submit('/account/sessions/sign-out-others', {})
    assert.equal((await other.get('/account')).statusCode, 302)
    const cookies = { [LOGIN_SESSION_COOKIE]: client.cookie(LOGIN_SESSION_COOKIE) ?? '' }
    assert.equal((await testApp.app.inject({ url: '/account', cookies })).statusCode, 200)
    await client.submit('/sign-out', {})
    assert.equal((await testApp.app.inject({ url: '/account', cookies })).statusCode, 302, 'the old cookie no longer signs in')
  })
})
