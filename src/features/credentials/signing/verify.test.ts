import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../../../platform/clock.ts'
import { MEMO_TTL_MS, MemoTable } from '../../../platform/memo.ts'
import { createDocumentLoader, ED25519_2020_URL, type JsonObject, OPEN_BADGES_V3_URL } from './contexts.ts'
import { type CredentialSigner, signCredential } from './sign.ts'
import { addProof, didKeySigner, didWebIssuer, openBadgeCredential, presentationOf, TestWeb } from './test-fixtures.ts'
import { type ProofOutcome, type StatusOutcome, type VerificationReport, verifyCredential, verifyPresentation } from './verify.ts'

function check(report: VerificationReport, name: string) {
  const found = report.checks.find((entry) => entry.name === name)
  assert.ok(found, `no ${name} check`)
  return found
}

function assertVerdict(report: VerificationReport, verdict: VerificationReport['verdict']) {
  assert.equal(report.verdict, verdict, JSON.stringify(report.checks, null, 2))
}

/** An issuer with revocation and suspension lists, and one signed credential pointing into both. */
async function issued(web: TestWeb, signer: CredentialSigner, index = 94567) {
  const { revocation, suspension } = await web.statusEntries(signer, index)
  const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: [revocation, suspension] }), signer, web.loader)
  return { credential, revocation, suspension, index }
}

describe('verifyCredential', () => {
  describe('eddsa-rdfc-2022 credentials from Laurel', () => {
    it('accepts a did:key credential and says why', async () => {
      const web = new TestWeb()
      const { credential } = await issued(web, await didKeySigner())
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'valid')
      assert.deepEqual(
        report.checks.map(({ name, ok }) => [name, ok]),
        [
          ['signature', true],
          ['issuer', true],
          ['status', true],
          ['validity', true],
          ['schema', true],
        ],
      )
      assert.match(check(report, 'status').detail, /revocation bit clear \(index 94567\); suspension bit clear/)
      assert.equal(check(report, 'validity').detail, 'valid from 2026-11-23T10:00:00Z until 2028-11-23T10:00:00Z')
    })

    it('accepts a did:web credential, also one signed with a key retired since', async () => {
      const web = new TestWeb()
      const { signer, retiredSigner, didDocument } = await didWebIssuer('org_01')
      web.addDidDocument(didDocument)
      assertVerdict(await verifyCredential((await issued(web, signer)).credential, { documentLoader: web.loader }), 'valid')
      const old = await signCredential(openBadgeCredential({ issuerDid: retiredSigner.did }), retiredSigner, web.loader)
      const report = await verifyCredential(old, { documentLoader: web.loader })
      assertVerdict(report, 'valid')
      assert.match(check(report, 'signature').detail, /#ikey_retired$/)
    })

    it('says the key could not be retrieved, never that the signature does not match, for an unknown did:web issuer', async () => {
      const web = new TestWeb()
      const { signer } = await didWebIssuer('org_gone')
      const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'key_unavailable')
      const { detail } = check(report, 'signature')
      assert.match(
        detail,
        /could not retrieve the key did:web:laurel\.example:issuers:org_gone#ikey_active: Cannot resolve did:web:laurel\.example:issuers:org_gone: it is not a DID this server knows/,
      )
      assert.doesNotMatch(detail, /does not match/)
      assert.equal(check(report, 'status').detail, 'not checked: the signing key could not be retrieved')
    })

    it('says the key could not be retrieved when its DID document lacks it', async () => {
      const web = new TestWeb()
      const { signer, didDocument } = await didWebIssuer('org_partial')
      web.addDidDocument({ ...didDocument, verificationMethod: didDocument.verificationMethod.filter((method) => method.id !== signer.verificationMethodId) })
      const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'key_unavailable')
      assert.match(check(report, 'signature').detail, /could not retrieve the key .*#ikey_active: The DID document of .* has no verification method/)
    })

    it('still calls a changed document a failed signature when the key is there', async () => {
      const web = new TestWeb()
      const { signer, didDocument } = await didWebIssuer('org_changed')
      web.addDidDocument(didDocument)
      const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader)
      const report = await verifyCredential({ ...credential, name: 'Changed' }, { documentLoader: web.loader })
      assertVerdict(report, 'invalid_signature')
    })

    it('fails the signature when one character changes', async () => {
      const web = new TestWeb()
      const { credential } = await issued(web, await didKeySigner())
      const tampered = structuredClone(credential) as unknown as { credentialSubject: { name: string } }
      tampered.credentialSubject.name = tampered.credentialSubject.name.replace('Zoë', 'Zoe')
      const report = await verifyCredential(tampered, { documentLoader: web.loader })
      assertVerdict(report, 'invalid_signature')
      assert.match(check(report, 'signature').detail, /signature does not match the document/)
      assert.equal(check(report, 'status').detail, 'not checked: the signature is not valid')
    })
  })

  describe('status', () => {
    it('folds the revocation bit into the verdict, although the status library calls the check verified', async () => {
      const web = new TestWeb()
      const { credential, revocation, index } = await issued(web, await didKeySigner())
      await web.setBit(revocation.statusListCredential, index, true)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'revoked')
      assert.match(check(report, 'status').detail, /revocation bit set \(index 94567\)/)
    })

    it('reports suspended, then valid again once reinstated', async () => {
      const web = new TestWeb()
      const { credential, suspension, index } = await issued(web, await didKeySigner())
      await web.setBit(suspension.statusListCredential, index, true)
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader }), 'suspended')
      await web.setBit(suspension.statusListCredential, index, false)
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader }), 'valid')
    })

    it('prefers revoked over suspended and over expired', async () => {
      const web = new TestWeb()
      const { credential, revocation, suspension, index } = await issued(web, await didKeySigner())
      await web.setBit(suspension.statusListCredential, index, true)
      await web.setBit(revocation.statusListCredential, index, true)
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader, now: new Date('2030-01-01T00:00:00Z') }), 'revoked')
    })

    it('never says valid when a status list cannot be loaded', async () => {
      const web = new TestWeb()
      const { credential, suspension } = await issued(web, await didKeySigner())
      web.documents.delete(suspension.statusListCredential)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'status_unknown')
      assert.match(check(report, 'status').detail, /suspension status unknown: .*sl_suspension_2.*not a document this server has/)
    })

    it('does not trust a status list whose signature fails', async () => {
      const web = new TestWeb()
      const { credential, revocation } = await issued(web, await didKeySigner())
      const list = structuredClone(web.documents.get(revocation.statusListCredential)) as JsonObject
      list.validFrom = '2026-01-02T00:00:00Z'
      web.documents.set(revocation.statusListCredential, list)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'status_unknown')
      assert.match(
        check(report, 'status').detail,
        /revocation status unknown: the status list \S+sl_revocation_1 does not verify: DataIntegrityProof \(eddsa-rdfc-2022\) signature does not match the document;/,
      )
    })

    it('does not trust a status list from another issuer', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const stranger = await didKeySigner()
      const { revocation } = await web.statusEntries(stranger, 5)
      const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: revocation }), signer, web.loader)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'status_unknown')
      assert.match(check(report, 'status').detail, /Issuers of the status list credential and verifiable credential do not match/)
    })

    it('calls a status entry without its list malformed, naming the rule', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const credential = openBadgeCredential({ issuerDid: signer.did })
      credential.credentialStatus = { id: 'https://laurel.example/status/1', type: 'BitstringStatusListEntry', statusPurpose: 'revocation' }
      const report = await verifyCredential(await signCredential(credential, signer, web.loader), { documentLoader: web.loader })
      assertVerdict(report, 'malformed')
      assert.match(check(report, 'schema').detail, /rule bitstring-status-list\.entry, at \/credentialStatus\/statusListIndex/)
    })
  })

  describe('with a proof memo', () => {
    const memoAt = () => {
      const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'))
      return { clock, memo: { proofs: new MemoTable<ProofOutcome[]>(clock), statusBits: new MemoTable<StatusOutcome>(clock) } }
    }

    it('checks a changed document afresh, and shows a status change at once', async () => {
      const web = new TestWeb()
      const { credential, revocation, index } = await issued(web, await didKeySigner())
      const { memo } = memoAt()
      const options = { documentLoader: web.loader, memo }
      assertVerdict(await verifyCredential(credential, options), 'valid')
      const altered = { ...credential, name: `${String(credential.name)}!` }
      assertVerdict(await verifyCredential(altered, options), 'invalid_signature')
      await web.setBit(revocation.statusListCredential, index, true)
      assertVerdict(await verifyCredential(credential, options), 'revoked')
    })

    it('answers from the memo until MEMO_TTL_MS has passed, then checks again', async () => {
      const web = new TestWeb()
      const { signer, didDocument } = await didWebIssuer('org_memo')
      web.addDidDocument(didDocument)
      const { credential } = await issued(web, signer)
      const { clock, memo } = memoAt()
      const options = { documentLoader: web.loader, memo }
      assertVerdict(await verifyCredential(credential, options), 'valid')
      // Without the DID document no proof can be checked: only the memo can still say valid.
      web.didDocuments.delete(didDocument.id)
      assertVerdict(await verifyCredential(credential, options), 'valid')
      clock.advance(MEMO_TTL_MS)
      assertVerdict(await verifyCredential(credential, options), 'key_unavailable')
    })
  })

  describe('validity dates', () => {
    it('is expired after validUntil and not yet valid before validFrom', async () => {
      const web = new TestWeb()
      const { credential } = await issued(web, await didKeySigner())
      const expired = await verifyCredential(credential, { documentLoader: web.loader, now: new Date('2028-11-23T10:06:00Z') })
      assertVerdict(expired, 'expired')
      assert.equal(check(expired, 'validity').detail, 'expired on 2028-11-23T10:00:00Z')
      const early = await verifyCredential(credential, { documentLoader: web.loader, now: new Date('2026-11-23T09:54:00Z') })
      assertVerdict(early, 'not_yet_valid')
      assert.equal(check(early, 'validity').detail, 'not valid before 2026-11-23T10:00:00Z')
    })

    it('tolerates clocks a few minutes apart', async () => {
      const web = new TestWeb()
      const { credential } = await issued(web, await didKeySigner())
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader, now: new Date('2026-11-23T09:57:00Z') }), 'valid')
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader, now: new Date('2028-11-23T10:03:00Z') }), 'valid')
    })
  })

  describe('other proofs', () => {
    it('accepts eddsa-jcs-2022, and notices tampering', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const credential = await addProof(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader, { kind: 'eddsa-jcs-2022' })
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'valid')
      assert.match(check(report, 'signature').detail, /^DataIntegrityProof \(eddsa-jcs-2022\) by /)
      assertVerdict(await verifyCredential({ ...credential, name: 'Certified Forklift Safety Officer!' }, { documentLoader: web.loader }), 'invalid_signature')
    })

    it('accepts a legacy VC 1.1 credential with an Ed25519Signature2020 proof', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const { validFrom, validUntil, ...rest } = openBadgeCredential({ issuerDid: signer.did })
      const legacy = {
        ...rest,
        '@context': ['https://www.w3.org/2018/credentials/v1', OPEN_BADGES_V3_URL, ED25519_2020_URL],
        issuanceDate: validFrom,
        expirationDate: validUntil,
      }
      const credential = await addProof(legacy, signer, web.loader, { kind: 'Ed25519Signature2020' })
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'valid')
      assert.match(check(report, 'signature').detail, /^Ed25519Signature2020 by /)
      assert.match(check(report, 'schema').detail, /not checked: .* VC 1\.1/)
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader, now: new Date('2029-01-01T00:00:00Z') }), 'expired')
    })

    it('accepts a proof set signed by the issuer and a co-signer, as long as every proof holds', async () => {
      const web = new TestWeb()
      const issuer = await didKeySigner()
      const coSigner = await didKeySigner()
      const bothSigned = await addProof(await signCredential(openBadgeCredential({ issuerDid: issuer.did }), issuer, web.loader), coSigner, web.loader)
      const report = await verifyCredential(bothSigned, { documentLoader: web.loader })
      assertVerdict(report, 'valid')
      assert.equal(check(report, 'signature').detail.split('; ').length, 2)

      const proofs = bothSigned.proof as JsonObject[]
      const forged = { ...bothSigned, proof: [proofs[0], { ...proofs[1], proofValue: proofs[0]?.proofValue }] }
      assertVerdict(await verifyCredential(forged, { documentLoader: web.loader }), 'invalid_signature')
    })

    it('rejects proofs that are all by someone other than the issuer', async () => {
      const web = new TestWeb()
      const issuer = await didKeySigner()
      const stranger = await didKeySigner()
      const credential = await addProof(openBadgeCredential({ issuerDid: issuer.did }), stranger, web.loader)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'issuer_mismatch')
      assert.equal(check(report, 'signature').ok, true)
      assert.equal(check(report, 'issuer').detail, `signed with a key of ${stranger.did}, not of the issuer ${issuer.did}`)
      assert.equal(check(report, 'status').detail, 'not checked: it is not signed by its issuer')
    })

    it('accepts a previousProof chain where a co-signer signs after the issuer', async () => {
      const web = new TestWeb()
      const issuer = await didKeySigner()
      const coSigner = await didKeySigner()
      const first = await addProof(openBadgeCredential({ issuerDid: issuer.did }), issuer, web.loader, { id: 'urn:uuid:0b1e5cd2-4d6c-4f55-9a3b-1f0f1d3c2a01' })
      const chained = await addProof(first, coSigner, web.loader, {
        id: 'urn:uuid:0b1e5cd2-4d6c-4f55-9a3b-1f0f1d3c2a02',
        previousProof: 'urn:uuid:0b1e5cd2-4d6c-4f55-9a3b-1f0f1d3c2a01',
      })
      assertVerdict(await verifyCredential(chained, { documentLoader: web.loader }), 'valid')

      // The chained proof covers the first one: swapping it out breaks the chain.
      const proofs = chained.proof as JsonObject[]
      const reissued = await addProof(openBadgeCredential({ issuerDid: issuer.did }), issuer, web.loader, {
        id: 'urn:uuid:0b1e5cd2-4d6c-4f55-9a3b-1f0f1d3c2a01',
      })
      const swapped = { ...chained, proof: [(reissued.proof as JsonObject[])[0], proofs[1]] }
      const report = await verifyCredential(swapped, { documentLoader: web.loader })
      assertVerdict(report, 'invalid_signature')
      assert.match(check(report, 'signature').detail, /signature does not match/)

      const broken = { ...chained, proof: [proofs[1]] }
      assert.match(
        check(await verifyCredential(broken, { documentLoader: web.loader }), 'signature').detail,
        /previousProof urn:uuid:.*a01 is not among the proofs/,
      )
    })

    it('accepts a bare did:key as verification method', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const credential = await addProof(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader, { verificationMethod: signer.did })
      assert.equal((credential.proof as JsonObject[])[0]?.verificationMethod, signer.did)
      assertVerdict(await verifyCredential(credential, { documentLoader: web.loader }), 'valid')
    })

    it('rejects a key the controller did not authorise for assertions', async () => {
      const web = new TestWeb()
      const { signer, didDocument } = await didWebIssuer('org_01')
      web.addDidDocument({ ...didDocument, assertionMethod: [`${signer.did}#ikey_retired`] })
      const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader)
      const report = await verifyCredential(credential, { documentLoader: web.loader })
      assertVerdict(report, 'issuer_mismatch')
      assert.match(check(report, 'signature').detail, /#ikey_active is not an assertionMethod key of did:web:/)
    })
  })

  describe('malformed input', () => {
    it('says what is missing before verifying anything', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const unsigned = openBadgeCredential({ issuerDid: signer.did })
      const cases: [unknown, RegExp][] = [
        ['a string', /must be a JSON object/],
        [{ ...unsigned, '@context': [OPEN_BADGES_V3_URL] }, /first "@context" entry must be .* \(rule vc\.contexts, at \/@context\/0\)/],
        [{ ...unsigned, type: ['OpenBadgeCredential'] }, /VerifiableCredential/],
        [{ ...unsigned, issuer: { name: 'Nobody' } }, /issuer.*rule vc\.issuer/],
        [{ ...unsigned, credentialSubject: [] }, /names none \(rule vc\.credential-subject, at \/credentialSubject\)/],
        [{ ...unsigned, id: null }, /rule vc\.identifiers, at \/id/],
        [{ ...unsigned, credentialStatus: [{ id: 'https://example.org/s' }] }, /needs a "type" \(rule vc\.status, at \/credentialStatus\/0\/type\)/],
        [unsigned, /no proof/],
        [{ ...(await signCredential(unsigned, signer, web.loader)), validUntil: 'next year' }, /"validUntil" must be an XML Schema dateTime/],
      ]
      for (const [input, detail] of cases) {
        const report = await verifyCredential(input, { documentLoader: web.loader })
        assertVerdict(report, 'malformed')
        assert.match(check(report, 'schema').detail, detail)
        assert.equal(report.checks.length, 5)
      }
    })

    it('calls a credential with a term no context defines malformed', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const signed = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, web.loader)
      const report = await verifyCredential({ ...signed, favouriteColour: 'teal' }, { documentLoader: web.loader })
      assertVerdict(report, 'malformed')
      assert.match(check(report, 'signature').detail, /cannot be read as JSON-LD: Safe mode validation error/)
    })

    it('never throws, whatever it is given', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const { credential } = await issued(web, signer)
      const options = { documentLoader: web.loader }
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (value) => {
          assert.equal((await verifyCredential(value, options)).checks.length, 5)
        }),
        { numRuns: 100 },
      )
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(credential)), fc.jsonValue(), async (key, value) => {
          const report = await verifyCredential({ ...credential, [key]: value }, options)
          assert.notEqual(report.verdict, 'valid')
        }),
        { numRuns: 60 },
      )
    })

    it('checks Open Badges against the official schema: no achievement, no badge', async () => {
      const web = new TestWeb()
      const signer = await didKeySigner()
      const credential = openBadgeCredential({ issuerDid: signer.did })
      delete (credential.credentialSubject as JsonObject).achievement
      const report = await verifyCredential(await signCredential(credential, signer, web.loader), { documentLoader: web.loader })
      assertVerdict(report, 'malformed')
      assert.equal(check(report, 'signature').ok, true)
      assert.equal(check(report, 'schema').detail, "/credentialSubject must have required property 'achievement'")
    })
  })
})

describe('verifyPresentation', () => {
  it('checks the holder, challenge and domain of the presentation and every credential in it', async () => {
    const web = new TestWeb()
    const issuer = await didKeySigner()
    const holder = await didKeySigner()
    const { credential, revocation, index } = await issued(web, issuer)
    const presentation = await presentationOf([credential], holder, web.loader, { challenge: 'c-91f2', domain: 'verifier.example' })
    const options = { documentLoader: web.loader, challenge: 'c-91f2', domain: 'verifier.example' }

    const result = await verifyPresentation(presentation, options)
    assert.deepEqual(result.problems, [])
    assert.equal(result.ok, true)
    assert.equal(result.credentials[0]?.verdict, 'valid')

    assert.deepEqual((await verifyPresentation(presentation, { ...options, challenge: 'c-0000' })).problems, [
      'the presentation proof does not carry the expected challenge',
    ])
    assert.deepEqual((await verifyPresentation(presentation, { ...options, domain: 'evil.example' })).problems, [
      'the presentation proof does not carry the expected domain',
    ])
    assert.deepEqual((await verifyPresentation({ ...presentation, holder: issuer.did }, options)).ok, false)

    await web.setBit(revocation.statusListCredential, index, true)
    const revoked = await verifyPresentation(presentation, options)
    assert.equal(revoked.ok, false)
    assert.deepEqual(revoked.problems, [])
    assert.equal(revoked.credentials[0]?.verdict, 'revoked')
  })

  it('reports a presentation without proof', async () => {
    const result = await verifyPresentation(
      { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'] },
      { documentLoader: createDocumentLoader(), challenge: 'c' },
    )
    assert.equal(result.ok, false)
    assert.match(result.problems.join(), /no proof/)
  })
})
