import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { newIssuingOrg, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { eraseSubject, type Subject } from '../../platform/privacy/registry.ts'
import { issueCredential } from './issuance/issuance.ts'
import { verifyById, verifyDocument } from './public/verification.ts'
import { credentials } from './schema.ts'

let testApp: TestApp
let issuing: Awaited<ReturnType<typeof newIssuingOrg>>

before(async () => {
  testApp = await startTestApp()
  issuing = await newIssuingOrg(testApp)
})
after(() => testApp.close())

/** A credential issued with a result, its signed file as the holder downloaded it, then its holder erased. */
async function issueAndErase(subjectOptions: Partial<Subject> = {}) {
  const email = uniqueEmail('erased')
  const recipientName = `Holder ${email.slice(7, 17)}`
  const { credential } = await issueCredential(testApp.platform, issuing.scope, {
    achievementId: issuing.achievementId,
    recipientEmail: email,
    recipientName,
    result: { score: 87, passMark: 70 },
  })
  const downloaded = JSON.parse((await testApp.client().get(`/credentials/${credential.id}.json`)).body)
  await eraseSubject(testApp.platform.db, testApp.platform.memo, testApp.platform.privacyProviders, { accountId: null, email, ...subjectOptions })
  const [stored] = await testApp.platform.db.select().from(credentials).where(eq(credentials.id, credential.id))
  assert.ok(stored)
  return { id: credential.id, recipientName, downloaded, stored }
}

describe('erasing a credential holder', () => {
  it('keeps a verification record by default: the page and verification by ID answer valid, the holder’s copy still verifies', async () => {
    const { id, recipientName, downloaded, stored } = await issueAndErase()
    assert.equal(stored.recipientEmail, null)
    assert.equal(stored.recipientName, recipientName)
    assert.ok(stored.erasedAt)
    assert.deepEqual(Object.keys(stored.document).sort(), [
      '@context',
      'credentialStatus',
      'credentialSubject',
      'id',
      'issuer',
      'name',
      'type',
      'validFrom',
      'validUntil',
    ])
    const record = JSON.stringify(stored.document)
    // The result goes as a whole: no `result` key (a bare "87" could be part of a random ID).
    for (const gone of ['identifier', 'identityHash', 'proof', '"result"', recipientName]) assert.ok(!record.includes(gone), `the record holds no ${gone}`)

    const byId = await verifyById(testApp.platform, id)
    assert.equal(byId?.report.verdict, 'valid', JSON.stringify(byId?.report.checks))
    assert.equal(byId?.report.checks[0]?.name, 'record')
    assert.equal((await verifyDocument(testApp.platform, downloaded)).verdict, 'valid')

    const page = await testApp.client().get(`/credentials/${id}`)
    assert.equal(page.statusCode, 200)
    const text = textOf(page.body)
    assert.match(text, /This credential is valid\./)
    assert.ok(text.includes(recipientName), 'the holder’s name stays on the record')
    assert.match(text, /asked for their data to be erased/)
    assert.ok(!text.includes('Score 87'), 'the result is gone')
    assert.ok(!page.body.includes(`/credentials/${id}.json`), 'no signed file is offered')

    const json = await testApp.client().get(`/credentials/${id}.json`)
    assert.equal(json.statusCode, 200)
    const view = JSON.parse(json.body)
    assert.equal(view.status, 'valid')
    assert.equal(view.holderName, recipientName)
    assert.equal(view.result, undefined)
    assert.match(view.note, /erased at its holder’s request/)
    assert.equal((await testApp.client().get(`/credentials/${id}.pdf`)).statusCode, 409)
  })

  it('withdraws the credentials when the person asks for it: the page says so and shows no name; the holder’s copy is revoked', async () => {
    const { id, recipientName, downloaded, stored } = await issueAndErase({ revokeCredentials: true })
    assert.equal(stored.recipientName, '')
    assert.ok(stored.revokedAt)
    assert.equal((await verifyById(testApp.platform, id))?.report.verdict, 'revoked')
    assert.equal((await verifyDocument(testApp.platform, downloaded)).verdict, 'revoked')
    const text = textOf((await testApp.client().get(`/credentials/${id}`)).body)
    assert.match(text, /withdrawn at the holder’s request/)
    assert.ok(!text.includes(recipientName))
    assert.match(text, /A credential holder/)
  })

  it('withdraws on erasure when the organisation chose that on its settings page', async () => {
    const staff = testApp.client()
    await staff.signIn(issuing.owner.email, issuing.owner.password)
    const settings = await staff.get(`/orgs/${issuing.org.id}/credentials/disclosure`)
    assert.match(textOf(settings.body), /Keep a verification record \(recommended\)/)
    const saved = await staff.submit(`/orgs/${issuing.org.id}/credentials/erasure-policy`, { erasurePolicy: 'revoke' })
    assert.equal(saved.statusCode, 302)
    const { id } = await issueAndErase()
    assert.equal((await verifyById(testApp.platform, id))?.report.verdict, 'revoked')
    assert.match(textOf((await testApp.client().get(`/credentials/${id}`)).body), /withdrawn at the holder’s request/)
    // Back to the default through the API.
    const api = await testApp.app.inject({
      method: 'PUT',
      url: `/api/v1/orgs/${issuing.org.id}/credentials/erasure-policy`,
      headers: { authorization: `Bearer ${issuing.apiKey}` },
      payload: { erasurePolicy: 'keep_record' },
    })
    assert.equal(api.statusCode, 200, api.body)
    const { id: keptId } = await issueAndErase()
    assert.equal((await verifyById(testApp.platform, keptId))?.report.verdict, 'valid')
  })
})
