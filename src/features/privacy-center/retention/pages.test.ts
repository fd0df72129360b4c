import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { newOrg, newPerson } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { createApiKey } from '../../identity/api-keys.ts'
import { setPlatformAdmin } from '../../identity/service.ts'
import { addMember } from '../../orgs/service.ts'
import { getPrivacySettings } from '../settings.ts'
import { retentionRuns } from './schema.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('Retention page (platform admin)', () => {
  it('lists every rule with what a run would remove, runs on request, and shows the run', async () => {
    const admin = await newPerson(testApp)
    await setPlatformAdmin(testApp.platform, admin.email, true)
    const client = testApp.client()
    await client.signIn(admin.email, admin.password)
    const page = await client.get('/admin/retention')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /data-rule="audit\.request-entries"/)
    assert.match(page.body, /data-rule="identity\.unverified-sign-ups"/)
    assert.match(page.body, /data-confirm="Apply every retention rule now\?/)
    assert.match(textOf(page.body), /Retention has not run yet/)

    const run = await client.submit('/admin/retention/run', {})
    assert.equal(run.statusCode, 302)
    const runs = await testApp.platform.db.select().from(retentionRuns).where(eq(retentionRuns.trigger, 'staff'))
    assert.equal(runs.length, 1)
    assert.match(textOf((await client.get('/admin/retention')).body), /staff/)
  })

  it('is not shown to anyone else', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    assert.equal((await client.get('/admin/retention')).statusCode, 403)
    assert.equal((await client.submit('/admin/retention/run', {})).statusCode, 403)
  })
})

describe('Retention periods (org admins)', () => {
  it('saves a period within the rule’s bounds, and explains one outside them', async () => {
    const { org, owner } = await newOrg(testApp)
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = await client.get(`/orgs/${org.id}/privacy/retention`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /name="days\.mail\.message-bodies"/)

    const saved = await client.submit(`/orgs/${org.id}/privacy/retention`, { 'days.mail.message-bodies': '45' })
    assert.equal(saved.statusCode, 302)
    assert.deepEqual((await getPrivacySettings(testApp.platform.db, org.id)).retentionDays, { 'mail.message-bodies': 45 })

    const refused = await client.submit(`/orgs/${org.id}/privacy/retention`, { 'days.mail.message-bodies': '5' })
    assert.equal(refused.statusCode, 422)
    assert.match(textOf(refused.body), /Choose a whole number of days from 30 to 730/)
    assert.deepEqual((await getPrivacySettings(testApp.platform.db, org.id)).retentionDays, { 'mail.message-bodies': 45 })
  })

  it('through the API: reads and sets periods, refuses a fixed rule, and hides another org', async () => {
    const { org, owner } = await newOrg(testApp)
    const { org: otherOrg } = await newOrg(testApp)
    const { secret } = await createApiKey(testApp.platform, { accountId: owner.account.id, orgId: org.id, name: 'k', scope: 'write' })
    testApp.secrets.add(secret)
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }
    const url = `/api/v1/orgs/${org.id}/privacy/retention`
    const read = await testApp.app.inject({ url, headers })
    assert.equal(read.statusCode, 200)
    assert.ok(read.json().some((rule: { key: string }) => rule.key === 'audit.request-entries'))

    const set = await testApp.app.inject({ method: 'PUT', url, headers, payload: { retentionDays: { 'mail.message-bodies': 60 } } })
    assert.equal(set.statusCode, 200, set.body)
    assert.equal(set.json().find((rule: { key: string }) => rule.key === 'mail.message-bodies').chosenDays, 60)

    const fixed = await testApp.app.inject({ method: 'PUT', url, headers, payload: { retentionDays: { 'audit.request-entries': 30 } } })
    assert.equal(fixed.statusCode, 422)
    assert.match(fixed.body, /not a rule whose period an organisation can choose/)

    const other = await testApp.app.inject({ url: `/api/v1/orgs/${otherOrg.id}/privacy/retention`, headers })
    assert.equal(other.statusCode, 404)
  })

  it('is for admins: a member is refused', async () => {
    const { org, owner } = await newOrg(testApp)
    const member = await newPerson(testApp)
    await addMember(testApp.platform, { orgId: org.id, accountId: owner.account.id, role: 'owner' }, { accountId: member.account.id, role: 'member' })
    const client = testApp.client()
    await client.signIn(member.email, member.password)
    assert.equal((await client.get(`/orgs/${org.id}/privacy/retention`)).statusCode, 403)
  })
})
