import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import fc from 'fast-check'
import { CREDENTIALS_V2_URL, createDocumentLoader, type JsonObject, OPEN_BADGES_V3_URL } from './contexts.ts'
import { fastCanonicalize, fastEddsaRdfc2022 } from './fast-canonicalize.ts'
import { SigningPool, signCredential } from './sign.ts'
import { didKeySigner, openBadgeCredential } from './test-fixtures.ts'
import { verifyCredential } from './verify.ts'

const documentLoader = createDocumentLoader()
const standard = (document: object) => eddsaRdfc2022.canonize(document, { documentLoader })

// Any Unicode (lone surrogates included), plus the characters N-Quads escapes.
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('\0', '\b', '\t', '\n', '\f', '\r', '\x1b', '\x1f', '\x7f', '"', '\\', ' ', 'a', 'ë', 'Ł', '\u2028', '😀', '\ud800'),
    maxLength: 20,
  }),
)
const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/)
const httpsIri = fc
  .tuple(
    fc.constantFrom('https://laurel.example', 'https://laurel.example:8443', 'http://localhost:3000'),
    fc.array(segment, { maxLength: 3 }),
    fc.option(segment),
  )
  .map(([origin, path, fragment]) => `${origin}/${path.join('/')}${fragment === null ? '' : `#${fragment}`}`)
const didIri = fc.oneof(
  fc.stringMatching(/^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/).map((key) => `did:key:${key}`),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).map((org) => `did:web:laurel.example%3A8443:issuers:${org}`),
)
const anyIri = fc.oneof(
  httpsIri,
  didIri,
  fc.uuid().map((uuid) => `urn:uuid:${uuid}`),
)
const dateTime = fc.oneof(
  fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().replace(/\.\d{3}Z$/, '+02:00')),
  anyText,
)
const typeOf = (term: string) => fc.constantFrom(term, [term])

const identity = fc.record(
  { type: typeOf('IdentityObject'), identityHash: anyText, identityType: anyText, hashed: fc.boolean(), salt: anyText },
  { requiredKeys: ['type', 'identityHash', 'identityType', 'hashed'] },
)
const statusEntry = fc.record({
  id: anyIri,
  type: typeOf('BitstringStatusListEntry'),
  statusPurpose: fc.oneof(fc.constantFrom('revocation', 'suspension'), anyText),
  statusListIndex: fc.oneof(fc.nat({ max: 131071 }).map(String), anyText),
  statusListCredential: anyIri,
})
const credential = fc.record(
  {
    '@context': fc.constant([CREDENTIALS_V2_URL, OPEN_BADGES_V3_URL]),
    id: anyIri,
    type: fc.constantFrom(['VerifiableCredential', 'OpenBadgeCredential'], ['OpenBadgeCredential', 'VerifiableCredential']),
    issuer: fc.oneof(
      anyIri,
      fc.record({ id: anyIri, type: typeOf('Profile'), name: anyText, url: fc.oneof(httpsIri, anyText) }, { requiredKeys: ['id', 'type'] }),
    ),
    name: anyText,
    validFrom: dateTime,
    validUntil: dateTime,
    credentialSubject: fc.record(
      {
        id: anyIri,
        type: typeOf('AchievementSubject'),
        name: anyText,
        identifier: fc.uniqueArray(identity, { maxLength: 3, selector: (entry) => JSON.stringify(entry) }),
        achievement: fc.record(
          {
            id: anyIri,
            type: typeOf('Achievement'),
            name: anyText,
            description: anyText,
            criteria: fc.record({ id: anyIri, narrative: anyText }, { requiredKeys: [] }),
            image: fc.record({ id: anyIri, type: typeOf('Image'), caption: anyText }, { requiredKeys: ['id', 'type'] }),
            tag: fc.uniqueArray(anyText, { maxLength: 3 }),
            alignment: fc.uniqueArray(
              fc.record(
                { type: typeOf('Alignment'), targetName: anyText, targetUrl: fc.oneof(httpsIri, anyText), targetFramework: anyText, targetCode: anyText },
                { requiredKeys: ['type', 'targetName', 'targetUrl'] },
              ),
              { maxLength: 2, selector: (entry) => JSON.stringify(entry) },
            ),
          },
          { requiredKeys: ['id', 'type', 'name', 'description', 'criteria'] },
        ),
      },
      { requiredKeys: ['type', 'achievement'] },
    ),
    credentialStatus: fc.oneof(statusEntry, fc.array(statusEntry, { maxLength: 3 })),
  },
  { requiredKeys: ['@context', 'id', 'type', 'issuer', 'credentialSubject'] },
)
const proofOptions = fc.record({
  '@context': fc.constant([CREDENTIALS_V2_URL, OPEN_BADGES_V3_URL]),
  type: fc.constant('DataIntegrityProof'),
  created: dateTime,
  verificationMethod: anyIri,
  cryptosuite: fc.constant('eddsa-rdfc-2022'),
  proofPurpose: fc.constant('assertionMethod'),
})

describe('fastCanonicalize', () => {
  it('gives byte for byte the N-Quads rdf-canonize gives, for random credentials of our shape', async () => {
    await fc.assert(
      fc.asyncProperty(credential, async (document) => {
        const fast = fastCanonicalize(document)
        assert.notEqual(fast, undefined, 'the fast path gave up')
        assert.equal(fast, await standard(document))
      }),
      { numRuns: 400 },
    )
  })

  it('does the same for the proof options', async () => {
    await fc.assert(
      fc.asyncProperty(proofOptions, async (document) => {
        assert.equal(fastCanonicalize(document), await standard(document))
      }),
      { numRuns: 100 },
    )
  })

  it('gives up on anything else, and the cryptosuite then takes the general path', async () => {
    const base = openBadgeCredential({ issuerDid: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' })
    const subject = base.credentialSubject as JsonObject
    const others: JsonObject[] = [
      { ...base, '@context': [CREDENTIALS_V2_URL, 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json'] },
      { ...base, description: 'A property the fast path does not know' },
      { ...base, id: 'https://laurel.example/credentials/a b' },
      { ...base, id: 'cred_01' },
      { ...base, issuer: { ...(base.issuer as JsonObject), image: 'https://laurel.example/logo.png' } },
      { ...base, credentialSubject: { ...subject, identifier: [subject.identifier, subject.identifier].flat() } },
      { ...base, credentialSubject: [subject] },
    ]
    for (const document of others) {
      assert.equal(fastCanonicalize(document), undefined, JSON.stringify(document).slice(0, 200))
      assert.equal(await fastEddsaRdfc2022.canonize(document, { documentLoader }).catch(() => 'error'), await standard(document).catch(() => 'error'))
    }
  })

  it('signs credentials that verify, one by one and in a pool', async () => {
    const signer = await didKeySigner()
    const signed = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, documentLoader, { fastCanonicalization: true })
    assert.equal((await verifyCredential(signed, { documentLoader })).verdict, 'valid')

    const pool = new SigningPool({ size: 1, fastCanonicalization: true })
    try {
      const [pooled] = await pool.sign([openBadgeCredential({ issuerDid: signer.did })], signer)
      assert.equal((await verifyCredential(pooled, { documentLoader })).verdict, 'valid')
    } finally {
      await pool.close()
    }
  })
})
