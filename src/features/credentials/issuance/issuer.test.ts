import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newIssuingOrg } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { verifyDocument } from '../public/verification.ts'
import { revokeCredential } from '../status.ts'
import { issueCredential } from './issuance.ts'
import { didDocumentOf, getIssuerSettings } from './issuer.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const proofOf = (document: Record<string, unknown>) => document.proof as Record<string, unknown>[]

describe('issuer identity and suite, chosen per org', () => {
  it('an admin chooses did:web and ecdsa-rdfc-2019 on the issuer page; issued credentials follow, and rotation keeps every key in the DID document', async () => {
    const issuing = await newIssuingOrg(testApp)
    const { org, scope } = issuing
    const staff = testApp.client()
    await staff.signIn(issuing.owner.email, issuing.owner.password)
    const input = { achievementId: issuing.achievementId, recipientEmail: 'ada@example.org', recipientName: 'Ada' }

    const before = await issueCredential(testApp.platform, scope, input)
    const [firstProof] = proofOf(before.credential.document)
    assert.equal(firstProof?.cryptosuite, 'eddsa-rdfc-2022')
    assert.match(String(firstProof?.verificationMethod), /^did:key:z6Mk/, 'did:key under an http public URL by default')

    const page = await staff.get(`/orgs/${org.id}/issuer`)
    assert.match(textOf(page.body), /did:key — the DID is the key itself/)
    const refused = await staff.submit(`/orgs/${org.id}/issuer/settings`, { didMethod: 'key', cryptosuite: 'ecdsa-rdfc-2019' })
    assert.equal(refused.statusCode, 302)
    assert.match(textOf((await staff.get(`/orgs/${org.id}/issuer`)).body), /ecdsa-rdfc-2019 needs the did:web identity/)
    assert.equal((await getIssuerSettings(testApp.platform, org.id)).cryptosuite, 'eddsa-rdfc-2022', 'nothing changed')

    assert.equal((await staff.submit(`/orgs/${org.id}/issuer/settings`, { didMethod: 'web', cryptosuite: 'ecdsa-rdfc-2019' })).statusCode, 302)
    const did = `did:web:laurel.test:issuers:${org.id}`
    assert.match(textOf((await staff.get(`/orgs/${org.id}/issuer`)).body), new RegExp(`${did}.*did:web — its document`))
    const after = await issueCredential(testApp.platform, scope, { ...input, recipientEmail: 'bob@example.org' })
    const [ecdsaProof] = proofOf(after.credential.document)
    assert.equal(ecdsaProof?.cryptosuite, 'ecdsa-rdfc-2019')
    assert.equal((after.credential.document.issuer as { id: string }).id, did)
    assert.equal((await verifyDocument(testApp.platform, after.credential.document)).verdict, 'valid')
    assert.equal((await verifyDocument(testApp.platform, before.credential.document)).verdict, 'valid', 'the earlier did:key credential still verifies')

    assert.equal((await staff.submit(`/orgs/${org.id}/issuer/rotate`, {})).statusCode, 302)
    const methods = ((await didDocumentOf(testApp.platform, org.id)) as { verificationMethod: { publicKeyMultibase: string }[] }).verificationMethod
    assert.deepEqual(
      methods.map((method) => method.publicKeyMultibase.slice(0, 4)).sort(),
      ['z6Mk', 'z6Mk', 'zDna', 'zDna'],
      'both key types rotated, old keys kept',
    )
    assert.equal((await verifyDocument(testApp.platform, after.credential.document)).verdict, 'valid', 'signed with a rotated key, it still verifies')
    const rotated = await issueCredential(testApp.platform, scope, { ...input, recipientEmail: 'cy@example.org' })
    assert.notEqual(proofOf(rotated.credential.document)[0]?.verificationMethod, ecdsaProof?.verificationMethod)
    assert.equal((await verifyDocument(testApp.platform, rotated.credential.document)).verdict, 'valid')

    // Their status lists are signed again by the DID that issued them, so old did:key credentials keep a readable status.
    await revokeCredential(testApp.platform, scope, before.credential.id, 'Issued in error')
    await revokeCredential(testApp.platform, scope, after.credential.id, 'Issued in error')
    assert.equal((await verifyDocument(testApp.platform, before.credential.document)).verdict, 'revoked')
    assert.equal((await verifyDocument(testApp.platform, after.credential.document)).verdict, 'revoked')
    assert.equal((await verifyDocument(testApp.platform, rotated.credential.document)).verdict, 'valid')
  })

  it('refuses a suite it does not sign with, changing nothing', async () => {
    const issuing = await newIssuingOrg(testApp)
    const response = await testApp.app.inject({
      method: 'PUT',
      url: `/api/v1/orgs/${issuing.org.id}/credentials/issuer-settings`,
      headers: { authorization: `Bearer ${issuing.apiKey}` },
      payload: { didMethod: 'web', cryptosuite: 'turtle-2030' },
    })
    assert.equal(response.statusCode, 400, response.body)
    assert.equal((await getIssuerSettings(testApp.platform, issuing.org.id)).didMethod, 'key')
  })
})
