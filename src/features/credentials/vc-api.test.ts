import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { newOrg } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { pngOfSize } from '../../../test/support/images.ts'
import { createApiKey } from '../identity/api-keys.ts'
import { createAchievement } from './achievements.ts'
import { checkImage } from './images.ts'
import { getActiveSigner } from './issuer.ts'

let testApp: TestApp
let apiKey: string
let did: string
let imageUrl: string
let imageBytes: Buffer

before(async () => {
  testApp = await startTestApp()
  const { org, owner } = await newOrg(testApp)
  apiKey = (await createApiKey(testApp.platform, { accountId: owner.account.id, orgId: org.id, name: 'vc-api', scope: 'write' })).secret
  testApp.secrets.add(apiKey)
  did = (await getActiveSigner(testApp.platform, org.id)).did
  const image = checkImage(pngOfSize(128, 128))
  const achievement = await createAchievement(
    testApp.platform,
    { orgId: org.id, accountId: owner.account.id, role: 'owner' },
    {
      name: 'Image holder',
      description: 'd',
      criteria: 'c',
      tags: [],
      alignments: [],
      validityMonths: null,
      image,
    },
  )
  imageBytes = image.data
  imageUrl = `http://laurel.test/achievements/${achievement.id}/image`
})
after(() => testApp.close())

const baseCredential = () => ({
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiableCredential'],
  issuer: did,
  credentialSubject: { id: 'did:example:holder', name: 'Holder' },
})

function issue(body: unknown) {
  return testApp.app.inject({ method: 'POST', url: '/credentials/issue', headers: { authorization: `Bearer ${apiKey}` }, payload: body as object })
}

describe('POST /credentials/issue (VC-API)', () => {
  it('signs a well-formed VC 2.0 credential, adding status entries', async () => {
    const response = await issue({ credential: baseCredential(), options: {} })
    assert.equal(response.statusCode, 201, response.body)
    const signed = response.json().verifiableCredential
    assert.equal(signed.proof.cryptosuite ?? signed.proof[0]?.cryptosuite, 'eddsa-rdfc-2022')
    assert.equal(signed.credentialStatus.length, 2)
    const verified = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: signed } })
    assert.equal(verified.statusCode, 200, verified.body)
    assert.equal(verified.json().verified, true)
  })

  it('requires an API key', async () => {
    const response = await testApp.app.inject({ method: 'POST', url: '/credentials/issue', payload: { credential: baseCredential() } })
    assert.equal(response.statusCode, 401)
  })

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes)
  const rejections: [string, (credential: Record<string, unknown>) => unknown][] = [
    ['a missing credential', () => ({ options: {} })],
    ['a non-array @context', (c) => ({ credential: { ...c, '@context': 'https://www.w3.org/ns/credentials/v2' } })],
    ['a non-array type', (c) => ({ credential: { ...c, type: 'VerifiableCredential' } })],
    ['a missing issuer', (c) => ({ credential: { ...c, issuer: undefined } })],
    ['an ill-typed issuer', (c) => ({ credential: { ...c, issuer: 42 } })],
    ['an issuer object without id', (c) => ({ credential: { ...c, issuer: { name: 'x' } } })],
    ['a missing credentialSubject', (c) => ({ credential: { ...c, credentialSubject: undefined } })],
    ['a null credentialSubject', (c) => ({ credential: { ...c, credentialSubject: null } })],
    ['a true credentialSubject', (c) => ({ credential: { ...c, credentialSubject: true } })],
    ['a number credentialSubject', (c) => ({ credential: { ...c, credentialSubject: 7 } })],
    ['a string credentialSubject', (c) => ({ credential: { ...c, credentialSubject: 'did:example:x' } })],
    ['a refreshService without type', (c) => ({ credential: { ...c, refreshService: { id: 'https://example.org/refresh' } } })],
    ['a credentialSchema without type', (c) => ({ credential: { ...c, credentialSchema: [{ id: 'https://example.org/schema.json' }] } })],
    ['a relatedResource that is a string', (c) => ({ credential: { ...c, relatedResource: ['https://example.org/a'] } })],
    ['a relatedResource without id', (c) => ({ credential: { ...c, relatedResource: [{ digestSRI: 'sha256-abc' }] } })],
    [
      'a relatedResource repeating an id',
      (c) => ({
        credential: {
          ...c,
          relatedResource: [
            { id: 'https://example.org/a', digestSRI: 'sha256-a' },
            { id: 'https://example.org/a', digestSRI: 'sha256-b' },
          ],
        },
      }),
    ],
    ['a relatedResource without a digest', (c) => ({ credential: { ...c, relatedResource: [{ id: 'https://example.org/a' }] } })],
    [
      'a relatedResource whose digestSRI does not match bytes we hold',
      (c) => ({ credential: { ...c, relatedResource: [{ id: imageUrl, digestSRI: `sha256-${sha256(Buffer.from('other')).digest('base64')}` }] } }),
    ],
    [
      'a relatedResource whose digestMultibase does not match bytes we hold',
      (c) => ({
        credential: {
          ...c,
          relatedResource: [
            { id: imageUrl, digestMultibase: `u${Buffer.concat([Buffer.from([0x12, 0x20]), sha256(Buffer.from('other')).digest()]).toString('base64url')}` },
          ],
        },
      }),
    ],
  ]
  for (const [label, build] of rejections) {
    it(`rejects ${label} with 400`, async () => {
      const response = await issue(build(baseCredential()))
      assert.equal(response.statusCode, 400, response.body)
    })
  }

  it('accepts a relatedResource whose digest matches the bytes we hold', async () => {
    const response = await issue({
      credential: { ...baseCredential(), relatedResource: [{ id: imageUrl, digestSRI: `sha256-${sha256(imageBytes).digest('base64')}` }] },
    })
    assert.equal(response.statusCode, 201, response.body)
  })
})

describe('POST /credentials/verify (VC-API)', () => {
  it('answers 400 for a tampered credential', async () => {
    const signed = (await issue({ credential: baseCredential() })).json().verifiableCredential
    const tampered = { ...signed, credentialSubject: { ...signed.credentialSubject, name: 'Holdes' } }
    const response = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: tampered } })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().verified, false)
  })
})
