import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg, newPerson, type PersonFixture } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { type CredentialRow, issueCredential } from '../issuance/issuance.ts'
import { verifyDocument } from './verification.ts'

let testApp: TestApp
let scope: OrgScope
let owner: PersonFixture
let holder: PersonFixture
let credential: CredentialRow
const HOLDER_NAME = 'Zoë Ångström-Łukasiewicz'

before(async () => {
  testApp = await startTestApp()
  const created = await newOrg(testApp, 'Disclosure Board')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  holder = await newPerson(testApp, { name: HOLDER_NAME })
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'Discreet Practitioner',
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: 12,
  })
  credential = (
    await issueCredential(testApp.platform, scope, {
      achievementId: achievement.id,
      recipientEmail: holder.email,
      recipientName: HOLDER_NAME,
      result: { score: 91, passMark: 75 },
      evidence: [{ url: 'https://portfolio.example.org/zoe', name: 'Portfolio' }],
    })
  ).credential
})
after(() => testApp.close())

describe('per-field disclosure on public credential pages', () => {
  it('shows every field by default, and the public JSON is the signed file', async () => {
    const page = textOf((await testApp.client().get(`/credentials/${credential.id}`)).body)
    for (const text of [HOLDER_NAME, 'Score 91 (pass mark 75)', 'Portfolio', 'Issued on', 'Expires']) assert.ok(page.includes(text), text)
    const json = await testApp.client().get(`/credentials/${credential.id}.json`)
    assert.deepEqual(json.json(), credential.document)
  })

  it('with the holder name hidden by the holder, neither the page nor its JSON names them, while the signed file still verifies', async () => {
    const holderClient = testApp.client()
    await holderClient.signIn(holder.email, holder.password)
    const ownPage = await holderClient.get(`/credentials/${credential.id}`)
    assert.match(ownPage.body, /choose what this page shows/)
    const saved = await holderClient.submit(`/credentials/${credential.id}/disclosure`, {
      show_issueDate: 'on',
      show_expiry: 'on',
      show_result: 'on',
      show_evidence: 'on',
    })
    assert.equal(saved.statusCode, 302)

    const stranger = testApp.client()
    const page = await stranger.get(`/credentials/${credential.id}`)
    assert.equal(page.statusCode, 200)
    assert.ok(!page.body.includes(HOLDER_NAME) && !page.body.includes('Zo&#xeb;'), 'no holder name on the page')
    assert.ok(!page.body.includes('Download the signed credential'), 'no signed file offered to strangers')
    assert.match(textOf(page.body), /Score 91/)
    const json = await stranger.get(`/credentials/${credential.id}.json`)
    assert.equal(json.statusCode, 200)
    assert.ok(!json.body.includes('Zo'), json.body)
    assert.equal(json.json().id, credential.id)
    assert.equal(json.headers['cache-control'], 'private, no-store')

    const signed = await holderClient.get(`/credentials/${credential.id}.json`)
    assert.equal((signed.json().credentialSubject as { name: string }).name, HOLDER_NAME)
    assert.equal((await verifyDocument(testApp.platform, signed.json())).verdict, 'valid')

    const staff = testApp.client()
    await staff.signIn(owner.email, owner.password)
    assert.deepEqual((await staff.get(`/credentials/${credential.id}.json`)).json(), credential.document)
  })

  it('the org can hide a field for all its credentials, and the holder cannot show it again', async () => {
    const admin = testApp.client()
    await admin.signIn(owner.email, owner.password)
    await admin.get(`/orgs/${scope.orgId}/credentials/disclosure`)
    const saved = await admin.submit(`/orgs/${scope.orgId}/credentials/disclosure`, { show_holderName: 'on', show_issueDate: 'on', show_expiry: 'on' })
    assert.equal(saved.statusCode, 302)
    const holderClient = testApp.client()
    await holderClient.signIn(holder.email, holder.password)
    await holderClient.get(`/credentials/${credential.id}`)
    await holderClient.submit(`/credentials/${credential.id}/disclosure`, { show_holderName: 'on', show_result: 'on', show_issueDate: 'on', show_expiry: 'on' })
    const page = textOf((await testApp.client().get(`/credentials/${credential.id}`)).body)
    assert.ok(page.includes(HOLDER_NAME), 'the holder showed their name again')
    assert.ok(!page.includes('Score 91') && !page.includes('Portfolio'), 'result and evidence stay hidden: the org does not publish them')
  })

  it('only the holder may change what their page shows', async () => {
    const other = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(other.email, other.password)
    await client.get(`/credentials/${credential.id}`)
    const response = await client.submit(`/credentials/${credential.id}/disclosure`, {})
    assert.equal(response.statusCode, 403)
  })
})
