import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { JsonObject } from './contexts.ts'
import { signCredential } from './sign.ts'
import { statusEntry } from './status-list.ts'
import { didKeySigner, openBadgeCredential, TestWeb } from './test-fixtures.ts'
import { OB3_SCHEMA_URLS, validateOb3Schema } from './verify.ts'

// SHA-256 of JSON.stringify of 1EdTech's file (educredentials/obv3-examples copy, Dec 2025).
const PUBLISHED_SCHEMA_SHA256 = '143cde2a35020828072d3e6f0e2481d65c290996dfe6cca52a8a3cb339be06cb'
const revocation = statusEntry({ statusListCredentialUrl: 'https://laurel.example/status-lists/sl_1', index: 12, purpose: 'revocation' })
const suspension = statusEntry({ statusListCredentialUrl: 'https://laurel.example/status-lists/sl_2', index: 12, purpose: 'suspension' })

describe('validateOb3Schema (the official 1EdTech schema, as is)', () => {
  it('is the schema published by 1EdTech, unchanged but for formatting, known under both of its URLs', () => {
    const copy = JSON.parse(readFileSync(new URL('./ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8'))
    assert.equal(createHash('sha256').update(JSON.stringify(copy)).digest('hex'), PUBLISHED_SCHEMA_SHA256)
    assert.ok(OB3_SCHEMA_URLS.includes(copy.$id))
    assert.equal(OB3_SCHEMA_URLS.length, 2)
  })

  it('accepts the signed credential Laurel issues with a single credentialStatus entry', async () => {
    const signer = await didKeySigner()
    const signed = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: revocation }), signer, new TestWeb().loader)
    assert.deepEqual(validateOb3Schema(signed), { ok: true, errors: [] })
  })

  it('rejects two credentialStatus entries: OB 3.0 allows one (VC 2.0 would allow more)', () => {
    const credential = openBadgeCredential({
      issuerDid: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      credentialStatus: [revocation, suspension],
    })
    assert.deepEqual(validateOb3Schema(credential), { ok: false, errors: ['/credentialStatus must be object'] })
  })

  it('rejects a lone proof object: OB 3.0 serialises proof as an array', async () => {
    const signer = await didKeySigner()
    const signed = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, new TestWeb().loader)
    assert.ok(Array.isArray(signed.proof))
    assert.deepEqual(validateOb3Schema({ ...signed, proof: signed.proof[0] }), { ok: false, errors: ['/proof must be array'] })
  })

  it('rejects a credential without credentialSubject.achievement', () => {
    const credential = openBadgeCredential({ issuerDid: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' })
    delete (credential.credentialSubject as JsonObject).achievement
    assert.deepEqual(validateOb3Schema(credential), { ok: false, errors: ["/credentialSubject must have required property 'achievement'"] })
  })

  it('names each problem', () => {
    const credential = openBadgeCredential({ issuerDid: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' })
    const subject = credential.credentialSubject as { identifier: JsonObject[]; achievement: JsonObject }
    subject.identifier[0] = { ...subject.identifier[0], identityType: 'email' }
    subject.achievement.image = { id: 'https://laurel.example/image.png', type: 'Image', alt: 'A forklift' }
    credential.validFrom = '23 November 2026'
    const { errors } = validateOb3Schema(credential)
    assert.ok(errors.includes('/validFrom must match format "date-time"'), errors.join('\n'))
    assert.ok(errors.includes('/credentialSubject/achievement/image must NOT have additional properties (alt)'), errors.join('\n'))
    assert.ok(
      errors.some((error) => error.startsWith('/credentialSubject/identifier/0/identityType')),
      errors.join('\n'),
    )
  })
})
