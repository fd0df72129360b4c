import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { encode as encodeBase58 } from 'base58-universal'
import { newIssuingOrg, newOrg } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../../../test/support/harness.ts'
import { pngOfSize } from '../../../../test/support/images.ts'
import { verifyWithDigitalBazaar } from '../../../../test/support/independent-verifiers.ts'
import { uploadJsonToVerify } from '../../../../test/support/verify-upload.ts'
import { projectPath } from '../../../platform/paths.ts'
import { createApiKey } from '../../identity/api-keys.ts'
import { createAchievement } from '../achievements.ts'
import { checkImage } from '../images/images.ts'
import { getActiveSigner } from '../issuance/issuer.ts'
import { createDocumentLoader } from '../signing/contexts.ts'
import { signCredential } from '../signing/sign.ts'
import { addProof, didKeySigner, didWebIssuer, TestWeb } from '../signing/test-fixtures.ts'

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
    assert.equal(signed.proof.cryptosuite, 'eddsa-rdfc-2022', 'a lone proof is an object')
    assert.equal(signed.credentialStatus.length, 2)
    const verified = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: signed } })
    assert.equal(verified.statusCode, 200, verified.body)
    assert.equal(verified.json().verified, true)
  })

  it('signs with eddsa-jcs-2022 when options.cryptosuite asks for it, and verifies it', async () => {
    const response = await issue({ credential: baseCredential(), options: { cryptosuite: 'eddsa-jcs-2022' } })
    assert.equal(response.statusCode, 201, response.body)
    const signed = response.json().verifiableCredential
    assert.equal(signed.proof.cryptosuite, 'eddsa-jcs-2022')
    const verified = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: signed } })
    assert.equal(verified.json().verified, true, verified.body)
    const tampered = { ...signed, credentialSubject: { ...signed.credentialSubject, name: 'Holdes' } }
    const refused = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: tampered } })
    assert.equal(refused.json().verdict, 'invalid_signature')
  })

  it('refuses a cryptosuite it does not sign with, naming the ones it does', async () => {
    const response = await issue({ credential: baseCredential(), options: { cryptosuite: 'bbs-2023' } })
    assert.equal(response.statusCode, 400, response.body)
    const problem = response.json()
    assert.equal(problem.code, 'unsupported_cryptosuite')
    assert.match(problem.detail, /eddsa-rdfc-2022 or eddsa-jcs-2022 or ecdsa-rdfc-2019/)
    assert.equal(problem.errors[0].field, '/options/cryptosuite')
  })

  it('refuses ecdsa-rdfc-2019 under did:key, whose P-256 DID would not be the issuer of the status lists', async () => {
    const response = await issue({ credential: baseCredential(), options: { cryptosuite: 'ecdsa-rdfc-2019' } })
    assert.equal(response.statusCode, 422, response.body)
    assert.equal(response.json().code, 'ecdsa_needs_did_web')
  })

  it('requires an API key', async () => {
    const response = await testApp.app.inject({ method: 'POST', url: '/credentials/issue', payload: { credential: baseCredential() } })
    assert.equal(response.statusCode, 401)
  })

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes)
  const otherDigest = sha256(Buffer.from('other')).digest()
  const bitstringEntry = (id: string, extra: object = {}) => ({
    id,
    type: 'BitstringStatusListEntry',
    statusPurpose: 'message',
    statusListIndex: '5',
    statusListCredential: 'https://status.example/lists/1',
    ...extra,
  })
  // [what is wrong, the request, the rule named, the JSON pointer named]
  const rejections: [string, (credential: Record<string, unknown>) => unknown, string, string][] = [
    ['a credential that is not an object', () => ({ credential: ['not', 'an', 'object'] }), 'vc.types', '/credential'],
    ['a non-array @context', (c) => ({ credential: { ...c, '@context': 'https://www.w3.org/ns/credentials/v2' } }), 'vc.contexts', '/credential/@context'],
    ['a null id', (c) => ({ credential: { ...c, id: null } }), 'vc.identifiers', '/credential/id'],
    ['an id that is not a URL', (c) => ({ credential: { ...c, id: 'credential-1' } }), 'vc.identifiers', '/credential/id'],
    ['a non-array type', (c) => ({ credential: { ...c, type: 'VerifiableCredential' } }), 'vc.types', '/credential/type'],
    ['a missing issuer', (c) => ({ credential: { ...c, issuer: undefined } }), 'vc.issuer', '/credential/issuer'],
    ['an ill-typed issuer', (c) => ({ credential: { ...c, issuer: 42 } }), 'vc.issuer', '/credential/issuer'],
    ['an issuer object without id', (c) => ({ credential: { ...c, issuer: { name: 'x' } } }), 'vc.issuer', '/credential/issuer'],
    ['another issuer than the organisation', (c) => ({ credential: { ...c, issuer: 'did:example:someone-else' } }), 'vc.issuer', '/credential/issuer'],
    ['a missing credentialSubject', (c) => ({ credential: { ...c, credentialSubject: undefined } }), 'vc.credential-subject', '/credential/credentialSubject'],
    ['a null credentialSubject', (c) => ({ credential: { ...c, credentialSubject: null } }), 'vc.credential-subject', '/credential/credentialSubject'],
    ['a true credentialSubject', (c) => ({ credential: { ...c, credentialSubject: true } }), 'vc.credential-subject', '/credential/credentialSubject'],
    ['a number credentialSubject', (c) => ({ credential: { ...c, credentialSubject: 7 } }), 'vc.credential-subject', '/credential/credentialSubject'],
    [
      'a string credentialSubject',
      (c) => ({ credential: { ...c, credentialSubject: 'did:example:x' } }),
      'vc.credential-subject',
      '/credential/credentialSubject',
    ],
    ['an empty credentialSubject array', (c) => ({ credential: { ...c, credentialSubject: [] } }), 'vc.credential-subject', '/credential/credentialSubject'],
    [
      'a credentialSubject with no claim',
      (c) => ({ credential: { ...c, credentialSubject: [{ name: 'A' }, {}] } }),
      'vc.credential-subject',
      '/credential/credentialSubject/1',
    ],
    ['a validFrom that is no dateTime', (c) => ({ credential: { ...c, validFrom: '1 May 2026' } }), 'vc.validity-period', '/credential/validFrom'],
    [
      'a credentialStatus entry without type',
      (c) => ({ credential: { ...c, credentialStatus: [{ id: 'https://status.example/1' }] } }),
      'vc.status',
      '/credential/credentialStatus/0/type',
    ],
    [
      'credentialStatus entries repeating an id',
      (c) => ({
        credential: { ...c, credentialStatus: [bitstringEntry('https://status.example/lists/1#5'), bitstringEntry('https://status.example/lists/1#5')] },
      }),
      'vc.status',
      '/credential/credentialStatus/1/id',
    ],
    [
      'a credentialStatus id that is not a URL',
      (c) => ({ credential: { ...c, credentialStatus: { id: 'status 1', type: 'ExampleStatus' } } }),
      'vc.status',
      '/credential/credentialStatus/id',
    ],
    [
      'a BitstringStatusListEntry without statusListIndex',
      (c) => ({ credential: { ...c, credentialStatus: bitstringEntry('https://status.example/lists/1#5', { statusListIndex: undefined }) } }),
      'bitstring-status-list.entry',
      '/credential/credentialStatus/statusListIndex',
    ],
    [
      'a credentialSchema without id',
      (c) => ({ credential: { ...c, credentialSchema: [{ type: 'JsonSchema' }] } }),
      'vc.data-schemas',
      '/credential/credentialSchema/0/id',
    ],
    [
      'a credentialSchema without type',
      (c) => ({ credential: { ...c, credentialSchema: [{ id: 'https://example.org/schema.json' }] } }),
      'vc.data-schemas',
      '/credential/credentialSchema/0/type',
    ],
    [
      'a refreshService without type',
      (c) => ({ credential: { ...c, refreshService: { id: 'https://example.org/refresh' } } }),
      'vc.refreshing',
      '/credential/refreshService/type',
    ],
    [
      'a termsOfUse without type',
      (c) => ({ credential: { ...c, termsOfUse: { id: 'https://example.org/tou' } } }),
      'vc.terms-of-use',
      '/credential/termsOfUse/type',
    ],
    [
      'an evidence without type',
      (c) => ({ credential: { ...c, evidence: [{ id: 'https://example.org/evidence' }] } }),
      'vc.evidence',
      '/credential/evidence/0/type',
    ],
    [
      'a relatedResource that is a string',
      (c) => ({ credential: { ...c, relatedResource: ['https://example.org/a'] } }),
      'vc.related-resources',
      '/credential/relatedResource/0',
    ],
    [
      'a relatedResource without id',
      (c) => ({ credential: { ...c, relatedResource: [{ digestSRI: 'sha256-abc' }] } }),
      'vc.related-resources',
      '/credential/relatedResource/0/id',
    ],
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
      'vc.related-resources',
      '/credential/relatedResource/1/id',
    ],
    [
      'a relatedResource without a digest',
      (c) => ({ credential: { ...c, relatedResource: [{ id: 'https://example.org/a' }] } }),
      'vc.related-resources',
      '/credential/relatedResource/0',
    ],
    [
      'a relatedResource whose digestSRI is not SRI metadata',
      (c) => ({ credential: { ...c, relatedResource: [{ id: 'https://example.org/a', digestSRI: 'md5:abc' }] } }),
      'vc.related-resources',
      '/credential/relatedResource/0',
    ],
    [
      'a relatedResource whose digestSRI does not match bytes we hold',
      (c) => ({ credential: { ...c, relatedResource: [{ id: imageUrl, digestSRI: `sha256-${otherDigest.toString('base64')}` }] } }),
      'vc.related-resources',
      '/credential/relatedResource/0',
    ],
    [
      'a relatedResource whose digestMultibase does not match bytes we hold',
      (c) => ({
        credential: {
          ...c,
          relatedResource: [{ id: imageUrl, digestMultibase: `u${Buffer.concat([Buffer.from([0x12, 0x20]), otherDigest]).toString('base64url')}` }],
        },
      }),
      'vc.related-resources',
      '/credential/relatedResource/0',
    ],
    [
      'a wrong digest of the bundled VC 2.0 base context',
      (c) => ({ credential: { ...c, relatedResource: { id: 'https://www.w3.org/ns/credentials/v2', digestSRI: `sha256-${otherDigest.toString('base64')}` } } }),
      'vc.related-resources',
      '/credential/relatedResource',
    ],
    [
      'a wrong digest of the bundled examples context',
      (c) => ({
        credential: {
          ...c,
          relatedResource: [{ id: 'https://www.w3.org/ns/credentials/examples/v2', digestSRI: `sha384-${createHash('sha384').update('x').digest('base64')}` }],
        },
      }),
      'vc.related-resources',
      '/credential/relatedResource/0',
    ],
  ]
  for (const [label, build, rule, pointer] of rejections) {
    it(`rejects ${label} with 400 naming the rule ${rule} at ${pointer}`, async () => {
      const response = await issue(build(baseCredential()))
      assert.equal(response.statusCode, 400, response.body)
      assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
      const problem = response.json()
      assert.equal(problem.code, rule, response.body)
      assert.equal(problem.type, 'https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR')
      assert.deepEqual(
        problem.errors.map((error: { field: string }) => error.field),
        [pointer],
      )
    })
  }

  for (const [label, context] of [
    ['an undefined term (JSON-LD safe mode)', { '@vocab': null }],
    ['a redefined protected term', { VerifiableCredential: 'https://example.org/x#VC' }],
    ['a term mapped to no IRI', { ExampleTestCredential: 'https ://not-a-url#ExampleTestCredential' }],
  ] as const) {
    it(`refuses a credential with ${label} as a PARSING_ERROR`, async () => {
      const credential = {
        ...baseCredential(),
        '@context': ['https://www.w3.org/ns/credentials/v2', context],
        type: ['VerifiableCredential', 'ExampleTestCredential'],
      }
      const response = await issue({ credential })
      assert.equal(response.statusCode, 400, response.body)
      assert.deepEqual([response.json().code, response.json().type], ['jsonld_unreadable', 'https://www.w3.org/TR/vc-data-model#PARSING_ERROR'])
    })
  }

  it('keeps valid credentialStatus entries of the caller and adds its own after them', async () => {
    const own = bitstringEntry('https://status.example/lists/1#5')
    const response = await issue({ credential: { ...baseCredential(), credentialStatus: own } })
    assert.equal(response.statusCode, 201, response.body)
    const signed = response.json().verifiableCredential
    assert.deepEqual(signed.credentialStatus[0], own)
    assert.deepEqual(
      signed.credentialStatus.slice(1).map((entry: { statusPurpose: string }) => entry.statusPurpose),
      ['revocation', 'suspension'],
    )
    const verified = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: signed } })
    assert.equal(verified.json().verified, true, verified.body)
  })

  it('keeps the caller’s own id, and accepts a credentialSchema with id and type', async () => {
    const credential = {
      ...baseCredential(),
      id: 'urn:uuid:6a1c4b0e-8a62-4f3e-9d7c-0f2b1f4c9a11',
      credentialSchema: { id: 'https://example.org/schema.json', type: 'JsonSchema' },
    }
    const response = await issue({ credential })
    assert.equal(response.statusCode, 201, response.body)
    assert.equal(response.json().verifiableCredential.id, credential.id)
  })

  it('accepts the published digest of the VC 2.0 base context and the exact digest of the bundled examples context', async () => {
    const examples = readFileSync(projectPath('src/features/credentials/signing/contexts/credentials-examples-v2.jsonld'))
    const multihash = Buffer.concat([Buffer.from([0x12, 0x20]), sha256(examples).digest()])
    const response = await issue({
      credential: {
        ...baseCredential(),
        relatedResource: [
          {
            id: 'https://www.w3.org/ns/credentials/v2',
            digestSRI: `sha256-${Buffer.from('59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734', 'hex').toString('base64')}`,
          },
          { id: 'https://www.w3.org/ns/credentials/examples/v2', digestMultibase: `z${encodeBase58(multihash)}` },
        ],
      },
    })
    assert.equal(response.statusCode, 201, response.body)
  })

  it('signs test vectors that use the VC examples context and the DCC context, and verifies them', async () => {
    // Example 1 of VC Data Model 2.0, as test suites and wallet samples send it.
    const examples = {
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
      type: ['VerifiableCredential', 'ExampleAlumniCredential'],
      issuer: did,
      validFrom: '2010-01-01T19:23:24Z',
      credentialSubject: {
        id: 'did:example:ebfeb1f712ebc6f1c276e12ec21',
        alumniOf: { id: 'did:example:c276e12ec21ebfeb1f712ebc6f1', name: 'Example University' },
      },
    }
    const dcc = {
      '@context': ['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/dcc/v1'],
      type: ['VerifiableCredential', 'LearningCredential'],
      issuer: did,
      issuanceDate: '2024-01-01T00:00:00Z',
      credentialSubject: { id: 'did:example:learner', name: 'Learner', hasCredential: { type: ['EducationalOccupationalCredential'], name: 'A course' } },
    }
    for (const credential of [examples, dcc]) {
      const response = await issue({ credential })
      assert.equal(response.statusCode, 201, response.body)
      const signed = response.json().verifiableCredential
      assert.deepEqual(signed.credentialSubject, credential.credentialSubject)
      const verified = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: signed } })
      assert.equal(verified.json().verified, true, verified.body)
    }
  })

  it('accepts a relatedResource whose digest matches the bytes we hold', async () => {
    const response = await issue({
      credential: { ...baseCredential(), relatedResource: [{ id: imageUrl, digestSRI: `sha256-${sha256(imageBytes).digest('base64')}` }] },
    })
    assert.equal(response.statusCode, 201, response.body)
  })
})

describe('POST /credentials/verify (VC-API)', () => {
  const verify = (credential: object) => testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: credential } })
  const plain = (issuer: string) => ({
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential'],
    issuer,
    credentialSubject: { id: 'did:example:holder', name: 'Holder' },
  })

  it('says the issuer’s key could not be retrieved, not that the signature does not match', async () => {
    const elsewhere = new TestWeb()
    const { signer, didDocument } = await didWebIssuer('org_elsewhere')
    elsewhere.addDidDocument(didDocument)
    const credential = await signCredential(plain(signer.did), signer, elsewhere.loader)
    const response = await verify(credential)
    assert.equal(response.statusCode, 400)
    const body = response.json()
    assert.equal(body.verdict, 'key_unavailable')
    assert.match(body.errors.join(' '), /could not retrieve the key did:web:laurel\.example:issuers:org_elsewhere#ikey_active/)
    assert.doesNotMatch(body.errors.join(' '), /does not match/)
  })

  it('shows the same distinct verdicts on the /verify page', async () => {
    const elsewhere = new TestWeb()
    const { signer, didDocument } = await didWebIssuer('org_far')
    elsewhere.addDidDocument(didDocument)
    const unreachable = await uploadJsonToVerify(testApp.client(), await signCredential(plain(signer.did), signer, elsewhere.loader))
    assert.match(unreachable.body, /data-verdict="key_unavailable"/)
    assert.match(unreachable.body, /signing key could not be retrieved/)
    assert.doesNotMatch(unreachable.body, /does not match the content/)
    const byStranger = await uploadJsonToVerify(testApp.client(), await addProof(plain(did), await didKeySigner(), createDocumentLoader()))
    assert.match(byStranger.body, /data-verdict="issuer_mismatch"/)
    assert.match(byStranger.body, /not signed with a key of the issuer it names/)
  })

  it('says a credential signed by someone else than its issuer is not signed by its issuer', async () => {
    const stranger = await didKeySigner()
    const credential = await addProof(plain(did), stranger, createDocumentLoader())
    const body = (await verify(credential)).json()
    assert.equal(body.verdict, 'issuer_mismatch')
    assert.ok(body.checks.includes('signature'))
    assert.ok(body.errors.includes(`issuer: signed with a key of ${stranger.did}, not of the issuer ${did}`), body.errors.join('\n'))
  })

  it('answers 400 for a tampered credential', async () => {
    const signed = (await issue({ credential: baseCredential() })).json().verifiableCredential
    const tampered = { ...signed, credentialSubject: { ...signed.credentialSubject, name: 'Holdes' } }
    const response = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: tampered } })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().verified, false)
  })
})

describe('ecdsa-rdfc-2019 and the issuer settings', () => {
  /** What an outside verifier fetches from this server: did:web documents (always over https) and status lists. */
  async function fetchFromLaurel(url: string): Promise<object | undefined> {
    const { pathname } = new URL(url)
    const response = await testApp.app.inject({ method: 'GET', url: pathname })
    return response.statusCode === 200 ? response.json() : undefined
  }

  it('an admin switches the org to did:web and ecdsa-rdfc-2019; issued credentials verify here and with @digitalbazaar/vc', async () => {
    const { org, apiKey: key } = await newIssuingOrg(testApp)
    const headers = { authorization: `Bearer ${key}` }
    const settingsUrl = `/api/v1/orgs/${org.id}/credentials/issuer-settings`
    assert.deepEqual((await testApp.app.inject({ url: settingsUrl, headers })).json(), { didMethod: 'key', cryptosuite: 'eddsa-rdfc-2022' })
    const refused = await testApp.app.inject({ method: 'PUT', url: settingsUrl, headers, payload: { didMethod: 'key', cryptosuite: 'ecdsa-rdfc-2019' } })
    assert.equal(refused.statusCode, 422, refused.body)
    const saved = await testApp.app.inject({ method: 'PUT', url: settingsUrl, headers, payload: { didMethod: 'web', cryptosuite: 'ecdsa-rdfc-2019' } })
    assert.equal(saved.statusCode, 200, saved.body)

    const orgDid = `did:web:laurel.test:issuers:${org.id}`
    const credential = { ...baseCredential(), issuer: orgDid }
    const response = await testApp.app.inject({ method: 'POST', url: '/credentials/issue', headers, payload: { credential } })
    assert.equal(response.statusCode, 201, response.body)
    const signed = response.json().verifiableCredential
    assert.equal(signed.proof.cryptosuite, 'ecdsa-rdfc-2019', 'the org default applies without options')
    assert.match(signed.proof.verificationMethod, new RegExp(`^${orgDid}#ikey_`))

    const here = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: signed } })
    assert.equal(here.json().verified, true, here.body)
    const independent = await verifyWithDigitalBazaar(signed, fetchFromLaurel)
    assert.equal(independent.verified, true)
    assert.equal(independent.revoked, false)

    const asked = await testApp.app.inject({
      method: 'POST',
      url: '/credentials/issue',
      headers,
      payload: { credential, options: { cryptosuite: 'eddsa-rdfc-2022' } },
    })
    assert.equal(asked.json().verifiableCredential.proof.cryptosuite, 'eddsa-rdfc-2022', 'a request may still ask for another suite')
    const didDocument = await fetchFromLaurel(`https://laurel.test/issuers/${org.id}/did.json`)
    const keys = (didDocument as { verificationMethod: { publicKeyMultibase: string }[] }).verificationMethod.map((method) => method.publicKeyMultibase)
    assert.deepEqual(keys.map((multibase) => multibase.slice(0, 4)).sort(), ['z6Mk', 'zDna'], 'the Ed25519 and the P-256 key are listed')
  })
})
