import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAchievement, issueCredential, reinstateCredential, revokeCredential, suspendCredential } from '../../src/features/credentials/service.ts'
import { validateOb3Schema } from '../../src/features/credentials/signing/verify.ts'
import { createApiKey } from '../../src/features/identity/api-keys.ts'
import type { OrgScope } from '../../src/features/orgs/service.ts'
import { newOrg, uniqueEmail } from '../support/factories.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'
import { installFetch, verifyWithDigitalBazaar, verifyWithVerifierCore } from '../support/independent-verifiers.ts'

/**
 * Credentials issued by the running app, checked by two verifiers that share no code with Laurel,
 * which fetch our status lists and DID documents from the app itself — in a did:key setup (plain
 * http public URL) and a did:web setup (https public URL).
 */
for (const [method, publicUrl] of [
  ['did:key', 'http://laurel.test'],
  ['did:web', 'https://laurel.test'],
] as const) {
  describe(`independent verifiers, ${method} issuer`, () => {
    let testApp: TestApp
    let scope: OrgScope
    let achievementId: string
    let apiKey: string
    let restoreFetch: () => void
    const fetchFromApp = async (url: string) => {
      const parsed = new URL(url)
      if (parsed.origin !== new URL(publicUrl).origin) return undefined
      const response = await testApp.app.inject({ url: parsed.pathname })
      return response.statusCode === 200 ? (response.json() as object) : undefined
    }

    before(async () => {
      testApp = await startTestApp({ env: { PUBLIC_URL: publicUrl } })
      restoreFetch = installFetch(fetchFromApp)
      const { org, owner } = await newOrg(testApp)
      scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
      achievementId = (
        await createAchievement(testApp.platform, scope, {
          name: 'Interop Badge',
          description: 'd',
          criteria: 'c',
          tags: [],
          alignments: [],
          validityMonths: 12,
        })
      ).id
      apiKey = (await createApiKey(testApp.platform, { accountId: owner.account.id, orgId: org.id, name: 'interop', scope: 'write' })).secret
      testApp.secrets.add(apiKey)
    })
    after(async () => {
      restoreFetch()
      await testApp.close()
    })

    const issue = async () =>
      (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Ніна Шевченко' })).credential

    it(`signs with a ${method} issuer and a schema-valid Open Badge; both verifiers accept it`, async () => {
      const credential = await issue()
      const issuer = (credential.document.issuer as { id: string }).id
      assert.ok(issuer.startsWith(`${method}:`), issuer)
      assert.deepEqual(validateOb3Schema(credential.document).errors, [])
      const core = await verifyWithVerifierCore(credential.document)
      assert.deepEqual([core.errors, core.signature, core.notRevoked, core.notExpired, core.schemaErrors], [undefined, true, true, true, undefined])
      assert.deepEqual(await verifyWithDigitalBazaar(credential.document, fetchFromApp), {
        verified: true,
        statusVerified: true,
        revoked: false,
        suspended: undefined,
      })
    })

    it('after a revoke both report it revoked', async () => {
      const credential = await issue()
      await revokeCredential(testApp.platform, scope, credential.id, 'Interop check')
      assert.equal((await verifyWithVerifierCore(credential.document)).notRevoked, false)
      // @digitalbazaar/vc still says verified: the revocation is only in the status bit.
      assert.deepEqual(await verifyWithDigitalBazaar(credential.document, fetchFromApp), {
        verified: true,
        statusVerified: true,
        revoked: true,
        suspended: undefined,
      })
    })

    it('after one changed character both reject the signature', async () => {
      const credential = await issue()
      const tampered = JSON.parse(JSON.stringify(credential.document).replace('Шевченко', 'Шевченкo'))
      assert.deepEqual((await verifyWithVerifierCore(tampered)).errors, ['invalid_signature'])
      assert.equal((await verifyWithDigitalBazaar(tampered, fetchFromApp)).verified, false)
    })

    it('a correction names the credential it replaces and both accept it; the old one reports revoked and its page links to the new one', async () => {
      const original = await issue()
      const response = await testApp.app.inject({
        method: 'POST',
        url: `/api/v1/orgs/${scope.orgId}/credentials/${original.id}/reissue`,
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { recipientName: 'Ніна Шевченко-Коваль' },
      })
      assert.equal(response.statusCode, 201, response.body)
      const corrected = response.json().verifiableCredential
      assert.equal(corrected.replaces, original.document.id)
      assert.equal(corrected.credentialSubject.name, 'Ніна Шевченко-Коваль')
      assert.deepEqual(validateOb3Schema(corrected).errors, [])
      const core = await verifyWithVerifierCore(corrected)
      assert.deepEqual([core.errors, core.signature, core.notRevoked, core.schemaErrors], [undefined, true, true, undefined])
      assert.equal((await verifyWithDigitalBazaar(corrected, fetchFromApp)).verified, true)

      assert.equal((await verifyWithVerifierCore(original.document)).notRevoked, false)
      assert.equal((await verifyWithDigitalBazaar(original.document, fetchFromApp)).revoked, true)
      const oldPage = await testApp.app.inject({ url: `/credentials/${original.id}` })
      assert.match(oldPage.body, /replaced by a corrected one/)
      assert.ok(oldPage.body.includes(`href="/credentials/${response.json().id}"`), 'the old page links to the correction')
    })

    it('a result goes into the credential as Open Badges result data that both accept', async () => {
      const response = await testApp.app.inject({
        method: 'POST',
        url: `/api/v1/orgs/${scope.orgId}/credentials`,
        headers: { authorization: `Bearer ${apiKey}` },
        payload: {
          achievementId,
          recipientName: '李小龍',
          recipientEmail: uniqueEmail(),
          result: { score: 87, passMark: 70, maxScore: 100, takenOn: '2026-11-20T09:00:00Z' },
        },
      })
      assert.equal(response.statusCode, 201, response.body)
      const document = response.json().verifiableCredential
      const subject = document.credentialSubject
      assert.deepEqual(subject.result, [{ type: ['Result'], resultDescription: subject.achievement.resultDescription[0].id, value: '87', status: 'Completed' }])
      assert.equal(subject.achievement.resultDescription[0].requiredValue, '70')
      assert.equal(subject.activityEndDate, '2026-11-20T09:00:00.000Z')
      assert.deepEqual(validateOb3Schema(document).errors, [])
      const core = await verifyWithVerifierCore(document)
      assert.deepEqual([core.errors, core.signature, core.schemaErrors], [undefined, true, undefined])
      assert.equal((await verifyWithDigitalBazaar(document, fetchFromApp)).verified, true)
    })

    it('a credential signed with eddsa-jcs-2022 through the VC-API is accepted by @digitalbazaar/vc and by Laurel', async () => {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/credentials/issue',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: {
          credential: {
            '@context': ['https://www.w3.org/ns/credentials/v2'],
            type: ['VerifiableCredential'],
            issuer: ((await issue()).document.issuer as { id: string }).id,
            credentialSubject: { id: 'did:example:holder', name: 'Holder' },
          },
          options: { cryptosuite: 'eddsa-jcs-2022' },
        },
      })
      assert.equal(response.statusCode, 201, response.body)
      const document = response.json().verifiableCredential
      assert.equal(document.proof.cryptosuite, 'eddsa-jcs-2022')
      assert.deepEqual(await verifyWithDigitalBazaar(document, fetchFromApp), { verified: true, statusVerified: true, revoked: false, suspended: false })
      const tampered = { ...document, credentialSubject: { ...document.credentialSubject, name: 'Holdes' } }
      assert.equal((await verifyWithDigitalBazaar(tampered, fetchFromApp)).verified, false)
      const laurel = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: document } })
      assert.equal(laurel.json().verified, true, laurel.body)
    })

    it('a credential carrying a suspension entry is reported suspended by both, then valid once reinstated', async () => {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/credentials/issue',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: {
          credential: {
            '@context': ['https://www.w3.org/ns/credentials/v2'],
            type: ['VerifiableCredential'],
            issuer: ((await issue()).document.issuer as { id: string }).id,
            credentialSubject: { id: 'did:example:holder', name: 'Holder' },
          },
        },
      })
      assert.equal(response.statusCode, 201, response.body)
      const document = response.json().verifiableCredential
      const credentialId = /cred_[0-9a-z]+/.exec(document.id)?.[0] ?? ''
      await suspendCredential(testApp.platform, scope, credentialId)
      const suspended = await verifyWithVerifierCore(document)
      assert.deepEqual([suspended.signature, suspended.notRevoked, suspended.notSuspended], [true, true, false])
      assert.deepEqual(await verifyWithDigitalBazaar(document, fetchFromApp), { verified: true, statusVerified: true, revoked: false, suspended: true })
      await reinstateCredential(testApp.platform, scope, credentialId)
      const reinstated = await verifyWithVerifierCore(document)
      assert.deepEqual([reinstated.signature, reinstated.notRevoked, reinstated.notSuspended], [true, true, true])
      assert.deepEqual(await verifyWithDigitalBazaar(document, fetchFromApp), { verified: true, statusVerified: true, revoked: false, suspended: false })
    })
  })
}
