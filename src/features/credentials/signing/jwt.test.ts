// VC-JWTs made with `jose` (as another issuer would) and verified by Laurel.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { verifyJwtCredential } from './jwt.ts'
import { openBadgeCredential, openBadgeJwt, p256JwtIssuer as p256Issuer, TestWeb } from './test-fixtures.ts'
import type { VerificationReport } from './verify.ts'

const web = new TestWeb()

const detail = (report: VerificationReport, name: string) => report.checks.find((check) => check.name === name)?.detail ?? ''

describe('VC-JWT credentials', () => {
  it('accepts an Open Badges 3.0 VC-JWT signed by its issuer, with its dates from nbf and exp', async () => {
    const token = await openBadgeJwt(await p256Issuer())
    const report = await verifyJwtCredential(token, { documentLoader: web.loader, now: new Date('2027-01-01T00:00:00Z') })
    assert.equal(report.verdict, 'valid', JSON.stringify(report.checks))
    assert.match(detail(report, 'signature'), /^JWT \(ES256\) by did:key:zDna/)
    assert.equal(detail(report, 'validity'), 'valid from 2026-11-23T10:00:00Z until 2028-11-23T10:00:00Z')
    const late = await verifyJwtCredential(token, { documentLoader: web.loader, now: new Date('2029-01-01T00:00:00Z') })
    assert.equal(late.verdict, 'expired')
  })

  it('gives a distinct verdict for a changed token, an unknown key, a key of another issuer and an unreadable token', async () => {
    const issuer = await p256Issuer()
    const token = await openBadgeJwt(issuer)
    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())
    claims.vc.name = 'Something else'
    const changed = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    const options = { documentLoader: web.loader, now: new Date('2027-01-01T00:00:00Z') }
    assert.equal((await verifyJwtCredential(changed, options)).verdict, 'invalid_signature')

    const unknownKey = await openBadgeJwt(issuer, 'did:web:nowhere.example#key-1')
    const unknown = await verifyJwtCredential(unknownKey, options)
    assert.equal(unknown.verdict, 'key_unavailable')
    assert.match(detail(unknown, 'signature'), /could not retrieve the key did:web:nowhere\.example#key-1/)

    const other = await p256Issuer()
    const { validFrom, validUntil, ...vc } = openBadgeCredential({ issuerDid: issuer.did })
    const byOther = await new SignJWT({ vc }).setProtectedHeader({ alg: 'ES256', kid: other.kid }).setIssuer(issuer.did).sign(other.privateKey)
    assert.equal((await verifyJwtCredential(byOther, options)).verdict, 'issuer_mismatch')

    assert.equal((await verifyJwtCredential('eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln', options)).verdict, 'malformed')
  })
})
