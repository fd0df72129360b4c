import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildDidDocument, didKeyFor, didKeyVerificationMethodFor, didWebFor, generateIssuerKey } from './keys.ts'

describe('generateIssuerKey', () => {
  it('makes a fresh Ed25519 Multikey pair each time', async () => {
    const first = await generateIssuerKey()
    const second = await generateIssuerKey()
    assert.match(first.publicKeyMultibase, /^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/)
    assert.match(first.secretKeyMultibase, /^z[1-9A-HJ-NP-Za-km-z]+$/)
    assert.notEqual(first.publicKeyMultibase, second.publicKeyMultibase)
  })
})

describe('DIDs', () => {
  it('didKeyFor makes a did:key whose key is its own fragment', () => {
    const key = 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
    assert.equal(didKeyFor(key), `did:key:${key}`)
    assert.equal(didKeyVerificationMethodFor(key), `did:key:${key}#${key}`)
    const p256 = 'zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169'
    assert.equal(didKeyFor(p256), `did:key:${p256}`)
    assert.throws(() => didKeyFor('z82LkvCwHNreneWpsgPEbV3gu1C6NFJEBg4srfJ5gdxEsMGRJ'), /Ed25519 \(z6Mk…\) or P-256 \(zDna…\)/)
  })

  it('didWebFor names the DID served from the origin under the org, whatever the path of the public URL', () => {
    assert.equal(didWebFor(new URL('https://laurel.example/some/path'), 'org_01'), 'did:web:laurel.example:issuers:org_01')
    assert.equal(didWebFor(new URL('https://laurel.example:8443'), 'org_01'), 'did:web:laurel.example%3A8443:issuers:org_01')
    assert.equal(didWebFor(new URL('https://laurel.example'), ''), 'did:web:laurel.example:issuers:')
  })
})

describe('buildDidDocument', () => {
  it('lists every key as a Multikey assertion method, retired ones too', () => {
    const did = 'did:web:laurel.example:issuers:org_01'
    const didDocument = buildDidDocument({
      did,
      keys: [
        { id: 'ikey_old', publicKeyMultibase: 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' },
        { id: '#ikey_new', publicKeyMultibase: 'z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH' },
      ],
    })
    assert.deepEqual(didDocument, {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: did,
      verificationMethod: [
        { id: `${did}#ikey_old`, type: 'Multikey', controller: did, publicKeyMultibase: 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' },
        { id: `${did}#ikey_new`, type: 'Multikey', controller: did, publicKeyMultibase: 'z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH' },
      ],
      assertionMethod: [`${did}#ikey_old`, `${did}#ikey_new`],
    })
  })
})
