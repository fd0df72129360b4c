import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg, type PersonFixture, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { verifyById } from '../public/verification.ts'
import { getCredential } from '../queries.ts'
import { revokeCredential } from '../status.ts'
import { issueCredential } from './issuance.ts'
import { reissueCredential } from './lineage.ts'

let testApp: TestApp
let scope: OrgScope
let owner: PersonFixture
let achievementId: string

before(async () => {
  testApp = await startTestApp()
  const created = await newOrg(testApp, 'Lineage Board')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  achievementId = (
    await createAchievement(testApp.platform, scope, {
      name: 'Careful Scribe',
      description: 'd',
      criteria: 'c',
      tags: [],
      alignments: [],
      validityMonths: null,
    })
  ).id
})
after(() => testApp.close())

describe('correcting a credential', () => {
  it('from the staff page: the new one replaces the old, keeps the result, and the holder is told', async () => {
    const email = uniqueEmail('holder')
    const { credential } = await issueCredential(testApp.platform, scope, {
      achievementId,
      recipientEmail: email,
      recipientName: 'Jonh Smith',
      result: { score: 80, passMark: 60 },
    })
    const staff = testApp.client()
    await staff.signIn(owner.email, owner.password)
    await staff.get(`/orgs/${scope.orgId}/credentials/${credential.id}`)
    assert.equal((await verifyById(testApp.platform, credential.id))?.report.verdict, 'valid')
    const response = await staff.submit(`/orgs/${scope.orgId}/credentials/${credential.id}/reissue`, {
      recipientName: 'John Smith',
      validFrom: '2026-01-15',
      validUntil: '2028-01-15',
    })
    assert.equal(response.statusCode, 302, textOf(response.body))
    const newId = /cred_[0-9a-z]+/.exec(String(response.headers.location))?.[0] ?? ''
    const corrected = await getCredential(testApp.platform.db, scope, newId)
    assert.equal(corrected.recipientName, 'John Smith')
    assert.equal(corrected.replacesCredentialId, credential.id)
    assert.equal(corrected.validUntil?.toISOString(), '2028-01-15T00:00:00.000Z')
    assert.deepEqual((corrected.document.credentialSubject as { result: { value: string }[] }).result[0]?.value, '80')
    const old = await getCredential(testApp.platform.db, scope, credential.id)
    assert.equal(old.revocationReason, 'superseded')
    assert.equal((await verifyById(testApp.platform, credential.id))?.report.verdict, 'revoked', 'verification by ID, remembered before, follows at once')
    const [message] = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: email })
    assert.match(message?.subject ?? '', /was corrected/)
    assert.ok(message?.text.includes(`/credentials/${newId}`))
    const newPage = textOf((await testApp.client().get(`/credentials/${newId}`)).body)
    assert.match(newPage, /corrects an earlier one/)
  })

  it('refuses to correct a revoked credential, and a second correction of the same one', async () => {
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Once Only' })
    await reissueCredential(testApp.platform, scope, credential.id, { recipientName: 'Once Only Fixed' })
    await assert.rejects(reissueCredential(testApp.platform, scope, credential.id, { recipientName: 'Twice' }), /revoked credential cannot be corrected/)
    const revoked = (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Revoked' })).credential
    await revokeCredential(testApp.platform, scope, revoked.id, 'Cheating')
    await assert.rejects(reissueCredential(testApp.platform, scope, revoked.id, {}), /revoked credential cannot be corrected/)
  })
})
